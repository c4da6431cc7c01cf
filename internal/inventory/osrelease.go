package inventory

import (
	"bufio"
	"bytes"
	"strings"

	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/os/ecosystem"
	rpmmeta "github.com/google/osv-scalibr/extractor/filesystem/os/rpm/metadata"
)

// OSReleasePaths are where os-release(5) lives, in lookup order.
var OSReleasePaths = []string{"etc/os-release", "usr/lib/os-release"}

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
// advisory ecosystem computed by osv-scalibr's mapping (the same one its
// OS package extractors use, so OS.Ecosystem equals the packages').
// It returns nil when there is no ID.
func OSFromRelease(m map[string]string) *OS {
	if m["ID"] == "" {
		return nil
	}
	return &OS{
		ID:         m["ID"],
		VersionID:  m["VERSION_ID"],
		PrettyName: m["PRETTY_NAME"],
		Ecosystem:  ecosystem.MakeEcosystem(osMetadata(m)).String(),
	}
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
		strings.Contains(family, "suse") || oneOf(m["ID"], "azurelinux", "mariner", "openEuler"):
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
