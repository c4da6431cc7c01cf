package inventory

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"

	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/os/ecosystem"
	rpmmeta "github.com/google/osv-scalibr/extractor/filesystem/os/rpm/metadata"
)

// OSReleasePaths are the files the OS is read from, in lookup order:
// os-release(5), then the older release files of images that lack it
// (CentOS 6, stripped images). /etc/oracle-release comes before
// /etc/redhat-release because Oracle Linux's redhat-release claims to be
// Red Hat ("Red Hat Enterprise Linux Server release 6.10 (Santiago)" on
// Oracle Linux 6.10; real files in testdata/inventory/release-files).
//
// The last four are where CentOS, Rocky, AlmaLinux and Fedora point their
// /etc/redhat-release and /etc/system-release symlinks: the walker must
// keep their content for the links to resolve.
var OSReleasePaths = []string{
	"etc/os-release", "usr/lib/os-release",
	"etc/oracle-release", "etc/system-release", "etc/redhat-release",
	"etc/alpine-release", "etc/debian_version",
	"etc/centos-release", "etc/rocky-release", "etc/almalinux-release", "etc/fedora-release",
}

// maxReleaseFile bounds what is parsed of one release file; real ones are
// under 1 KiB.
const maxReleaseFile = 64 << 10

// ParseReleaseFile reads the OS release file at p (one of OSReleasePaths,
// root-relative) into os-release fields. Fallback files yield ID,
// VERSION_ID, NAME and PRETTY_NAME. It returns nil when the file names no
// OS it can recognise, so the lookup goes on to the next file.
func ParseReleaseFile(p string, b []byte) map[string]string {
	if len(b) > maxReleaseFile {
		b = b[:maxReleaseFile]
	}
	var m map[string]string
	switch p {
	case "etc/os-release", "usr/lib/os-release":
		m = ParseOSRelease(b)
	case "etc/alpine-release":
		m = alpineRelease(firstLine(b))
	case "etc/debian_version":
		m = debianVersion(firstLine(b))
	default:
		m = redhatRelease(firstLine(b))
	}
	if m["ID"] == "" {
		return nil
	}
	return m
}

func firstLine(b []byte) string {
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

var versionLike = regexp.MustCompile(`^\d+(\.\d+)*$`)

// alpineRelease: /etc/alpine-release holds the version ("3.18.4").
func alpineRelease(l string) map[string]string {
	if !versionLike.MatchString(l) {
		return nil
	}
	return map[string]string{"ID": "alpine", "VERSION_ID": l, "NAME": "Alpine Linux", "PRETTY_NAME": "Alpine Linux v" + l}
}

// debianVersion: /etc/debian_version holds "12.5" on a release and
// "trixie/sid" on testing/unstable (no release number: ID only).
func debianVersion(l string) map[string]string {
	m := map[string]string{"ID": "debian", "NAME": "Debian GNU/Linux", "PRETTY_NAME": "Debian GNU/Linux " + l}
	if versionLike.MatchString(l) {
		m["VERSION_ID"], _, _ = strings.Cut(l, ".")
	}
	return m
}

// releaseLine is the "<name> release <version> (<codename>)" line of
// /etc/redhat-release, /etc/system-release and /etc/oracle-release.
var releaseLine = regexp.MustCompile(`^(.+?) release (\d[\w.]*)`)

// releaseNames maps the distribution name of a release line to the
// os-release ID, longest names first.
var releaseNames = []struct{ prefix, id string }{
	{"Oracle Linux", "ol"},
	{"Amazon Linux", "amzn"},
	{"Red Hat Enterprise Linux", "rhel"},
	{"CentOS", "centos"},
	{"Rocky Linux", "rocky"},
	{"AlmaLinux", "almalinux"},
	{"Fedora", "fedora"},
}

func redhatRelease(l string) map[string]string {
	sub := releaseLine.FindStringSubmatch(l)
	if sub == nil {
		return nil
	}
	for _, n := range releaseNames {
		if strings.HasPrefix(sub[1], n.prefix) {
			return map[string]string{"ID": n.id, "VERSION_ID": sub[2], "NAME": sub[1], "PRETTY_NAME": l}
		}
	}
	return nil
}

// ParseOSRelease reads os-release(5) content: KEY=VALUE lines, "#"
// comments, values optionally single- or double-quoted with backslash
// escapes inside double quotes. Malformed lines are ignored, as systemd does.
func ParseOSRelease(b []byte) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !validKey(k) {
			continue
		}
		m[k] = unquote(strings.TrimSpace(v))
	}
	return m
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func unquote(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return v[1 : len(v)-1]
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if v[i] == '\\' && i+1 < len(v) {
				i++
			}
			b.WriteByte(v[i])
		}
		return b.String()
	}
	return v
}

// OSFromRelease describes the OS of parsed os-release fields, with the
// advisory ecosystem its packages get (Ecosystem).
// It returns nil when there is no ID.
func OSFromRelease(m map[string]string) *OS {
	if m["ID"] == "" {
		return nil
	}
	return &OS{
		ID:         m["ID"],
		VersionID:  m["VERSION_ID"],
		PrettyName: m["PRETTY_NAME"],
		Ecosystem:  Ecosystem(m),
	}
}

// Ecosystem is the advisory ecosystem of the OS that os-release fields
// describe ("Debian:12", "Amazon Linux:2023"); "" when the distribution
// has no advisory source (see Distros).
func Ecosystem(m map[string]string) string {
	if eco, ok := rpmEcosystem(m); ok {
		return eco
	}
	return ecosystem.MakeEcosystem(osMetadata(m)).String()
}

// osMetadata builds the package-manager metadata osv-scalibr maps to an
// ecosystem, picked by the distribution family.
func osMetadata(m map[string]string) any {
	family := m["ID"] + " " + m["ID_LIKE"]
	switch {
	case strings.Contains(family, "alpine") || oneOf(m["ID"], "wolfi", "chainguard", "minimos"):
		return apkFill(&apkmeta.Metadata{}, m)
	case strings.Contains(family, "debian") || strings.Contains(family, "ubuntu"):
		return dpkgFill(&dpkgmeta.Metadata{}, m)
	case strings.Contains(family, "rhel") || strings.Contains(family, "fedora") ||
		strings.Contains(family, "suse") || oneOf(m["ID"], "azurelinux", "mariner", "openEuler", "mageia", "almalinux", "rhel"):
		return rpmFill(&rpmmeta.Metadata{}, m)
	}
	return nil
}

func oneOf(s string, list ...string) bool {
	for _, l := range list {
		if s == l {
			return true
		}
	}
	return false
}

func dpkgFill(d *dpkgmeta.Metadata, m map[string]string) *dpkgmeta.Metadata {
	d.OSID, d.OSVersionID, d.OSVersionCodename = m["ID"], m["VERSION_ID"], m["VERSION_CODENAME"]
	return d
}

func apkFill(a *apkmeta.Metadata, m map[string]string) *apkmeta.Metadata {
	a.OSID, a.OSVersionID = m["ID"], m["VERSION_ID"]
	return a
}

func rpmFill(r *rpmmeta.Metadata, m map[string]string) *rpmmeta.Metadata {
	r.OSID, r.OSVersionID, r.OSName = m["ID"], m["VERSION_ID"], m["NAME"]
	r.OSPrettyName, r.OSBuildID, r.OSCPEName = m["PRETTY_NAME"], m["BUILD_ID"], m["CPE_NAME"]
	return r
}
