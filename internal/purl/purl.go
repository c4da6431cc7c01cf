// Package purl maps package URLs to the advisory world: the OSV ecosystem
// (with the distro release where OSV keys advisories by it), the package
// name in the form that ecosystem uses, and the source package. It is the
// one mapping shared by SBOM input and `sightline db query`.
//
// Ecosystem names follow the OSV schema's list; Ubuntu LTS releases carry
// ":LTS" ("Ubuntu:22.04:LTS") as osv.dev names them.
//
// Name case: the purl specification defines the golang type's namespace
// and name as lower case (types/golang-definition.json), but Go module
// paths are case-sensitive and the Go vulnerability database keys
// advisories by the real path ("github.com/1Panel-dev/1Panel"); the spec
// itself notes the definition is broken (purl-spec#308). So a golang purl
// keeps the case it was written with (packageurl-go lowercases it; we
// take the path from the purl text), and a purl of a case-sensitive
// ecosystem whose name is all lower case (golang, npm: the types the spec
// lowercases) is marked NameCaseUnknown for matching to handle.
package purl

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/vulndb/pkgname"
)

// languages maps language PURL types to the OSV ecosystem, our package type
// when it differs from the PURL type, and how the ecosystem joins a PURL
// namespace to the name ("" = the namespace is not part of the name).
var languages = map[string]struct{ eco, typ, sep string }{
	"golang":   {"Go", "go-module", "/"},
	"npm":      {"npm", "", "/"},
	"pypi":     {"PyPI", "python", ""},
	"maven":    {"Maven", "", ":"},
	"gem":      {"RubyGems", "", ""},
	"cargo":    {"crates.io", "", ""},
	"composer": {"Packagist", "", "/"},
	"nuget":    {"NuGet", "", ""},
	"hex":      {"Hex", "", ""},
	"pub":      {"Pub", "", ""},
	"hackage":  {"Hackage", "", ""},
	"cran":     {"CRAN", "", ""},
}

// ToPackage turns a package URL into an inventory package: name in the form
// the advisory ecosystem uses (Go module path with its case as written,
// Maven group:artifact, npm @scope/name, a .NET runtime pack's NuGet ID
// without the "runtimepack." prefix), version, OSV ecosystem, package type
// and, from the `upstream` or `source` qualifier ("name" or
// "name@version"), the source package. osEcosystem is used for distro
// packages whose purl has no distro qualifier (the SBOM's
// operating-system component). See the package doc for name case.
func ToPackage(purl, osEcosystem string) (inventory.Package, error) {
	p, err := packageurl.FromString(purl)
	if err != nil {
		return inventory.Package{}, fmt.Errorf("purl %q: %w", purl, err)
	}
	if p.Name == "" {
		return inventory.Package{}, fmt.Errorf("purl %q has no name", purl)
	}
	q := p.Qualifiers.Map()
	pkg := inventory.Package{Name: p.Name, Version: p.Version, PURL: purl, Type: p.Type}
	switch p.Type {
	case "deb":
		pkg.Ecosystem = debEcosystem(p.Namespace, q["distro"], osEcosystem)
	case "apk":
		pkg.Ecosystem = apkEcosystem(p.Namespace, q["distro"], osEcosystem)
	case "rpm":
		pkg.Ecosystem = rpmEcosystem(p.Namespace, q["distro"], p.Version, osEcosystem)
		pkg.Version, pkg.Arch = rpmVersion(p.Version, q["epoch"]), q["arch"]
	default:
		lang, ok := languages[p.Type]
		if !ok {
			break // unknown type: no ecosystem; callers decide what that means
		}
		pkg.Ecosystem = lang.eco
		if lang.typ != "" {
			pkg.Type = lang.typ
		}
		if p.Namespace != "" && lang.sep != "" {
			pkg.Name = p.Namespace + lang.sep + p.Name
		}
		switch {
		case p.Type == "golang" && p.Namespace == "" && p.Name == "stdlib":
			pkg.Type = "go-stdlib"
		case p.Type == "golang":
			if raw, ok := writtenPath(purl); ok && strings.EqualFold(raw, pkg.Name) {
				pkg.Name = raw
			}
			pkg.Name = pkgname.Key(pkg.Ecosystem, pkg.Name) // the proxy's "!x" escaped form
			pkg.NameCaseUnknown = strings.ToLower(pkg.Name) == pkg.Name
		case p.Type == "nuget":
			pkg.Name = inventory.NuGetID(pkg.Name)
		case pkgname.CaseLost(pkg.Ecosystem):
			pkg.NameCaseUnknown = strings.ToLower(pkg.Name) == pkg.Name
		}
	}
	// The source package of distro packages; other types' "source" means
	// something else (osv-scalibr's npm source=PUBLIC_REGISTRY).
	src := firstOf(q["upstream"], q["source"], q["origin"]) // origin: apk's name for it
	if src != "" && (p.Type == "deb" || p.Type == "apk" || p.Type == "rpm") {
		name, ver, _ := strings.Cut(src, "@")
		pkg.SourceName, pkg.SourceVersion = name, ver
		if ver == "" {
			pkg.SourceVersion = pkg.Version
		}
	}
	return pkg, nil
}

// writtenPath returns a purl's namespace/name as written: percent-decoded,
// case kept (packageurl-go applies the spec's lowercasing to some types).
func writtenPath(s string) (string, bool) {
	if len(s) < 4 || !strings.EqualFold(s[:4], "pkg:") {
		return "", false
	}
	rest := strings.TrimLeft(s[4:], "/")
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	_, rest, ok := strings.Cut(rest, "/") // the type
	if !ok {
		return "", false
	}
	if i := strings.LastIndexByte(rest, '@'); i > 0 {
		rest = rest[:i]
	}
	var segs []string
	for seg := range strings.SplitSeq(rest, "/") {
		if seg == "" {
			continue
		}
		d, err := url.PathUnescape(seg)
		if err != nil {
			return "", false
		}
		segs = append(segs, d)
	}
	return strings.Join(segs, "/"), len(segs) > 0
}

var (
	debCodenames    = map[string]string{"wheezy": "7", "jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14"}
	ubuntuCodenames = map[string]string{
		"bionic": "18.04", "focal": "20.04", "jammy": "22.04", "kinetic": "22.10", "lunar": "23.04",
		"mantic": "23.10", "noble": "24.04", "oracular": "24.10", "plucky": "25.04",
	}
	leadingVersion = regexp.MustCompile(`^\D*?(\d+(?:\.\d+)*)`)
)

// distroVersion takes "debian-12.5", "12", "alpine-3.20.1", "el9"… apart.
func distroVersion(distro string) string {
	m := leadingVersion.FindStringSubmatch(distro)
	if m == nil {
		return ""
	}
	return m[1]
}

// debEcosystem: Debian uses the major release ("Debian:12"); Ubuntu the
// release with ":LTS" for even-year April releases, as OSV names them
// ("Ubuntu:22.04:LTS").
func debEcosystem(ns, distro, osEco string) string {
	switch ns {
	case "debian":
		v := debCodenames[distro]
		if v == "" {
			v, _, _ = strings.Cut(distroVersion(distro), ".")
		}
		if v == "" {
			return osFallback(osEco, "Debian")
		}
		return "Debian:" + v
	case "ubuntu":
		v := ubuntuCodenames[distro]
		if v == "" {
			v = distroVersion(distro)
		}
		if v == "" {
			return osFallback(osEco, "Ubuntu")
		}
		if len(v) == 5 && v[3:] == "04" && (v[1]-'0')%2 == 0 {
			return "Ubuntu:" + v + ":LTS"
		}
		return "Ubuntu:" + v
	}
	return osFallback(osEco, "")
}

// apkEcosystem: "Alpine:v3.20" from any 3.20.x; Wolfi and Chainguard have
// no releases.
func apkEcosystem(ns, distro, osEco string) string {
	switch ns {
	case "alpine":
		parts := strings.Split(distroVersion(distro), ".")
		if len(parts) < 2 {
			return osFallback(osEco, "Alpine")
		}
		return "Alpine:v" + parts[0] + "." + parts[1]
	case "wolfi":
		return "Wolfi"
	case "chainguard":
		return "Chainguard"
	}
	return osFallback(osEco, "")
}

// rpmIDs maps purl rpm namespaces to os-release IDs: the ID itself, as
// osv-scalibr and syft write it ("amzn", "ol", "rocky"), syft's
// "amazonlinux", and the vendor names other tools use ("amazon",
// "oracle", "redhat").
var rpmIDs = map[string]string{
	"amzn": "amzn", "amazon": "amzn", "amazonlinux": "amzn",
	"ol": "ol", "oracle": "ol", "oraclelinux": "ol",
	"rocky": "rocky", "rockylinux": "rocky",
	"almalinux": "almalinux", "alma": "almalinux",
	"photon": "photon", "vmware": "photon",
	"centos": "centos", "fedora": "fedora",
}

// rpmVendors: distributions whose ecosystem only the SBOM's OS can give
// (Red Hat's product stream, SUSE's product name), by purl namespace.
var rpmVendors = map[string]string{"redhat": "Red Hat", "rhel": "Red Hat", "suse": "SUSE", "sles": "SUSE", "opensuse": "openSUSE"}

// rpmFamilies is the ecosystem base per os-release ID, to check that the
// SBOM's OS ecosystem belongs to the package's distribution.
var rpmFamilies = map[string]string{
	"amzn": "Amazon Linux", "ol": "Oracle Linux", "rocky": "Rocky Linux", "almalinux": "AlmaLinux", "photon": "Photon OS",
}

// rpmEcosystem maps an rpm purl's namespace and distro qualifier
// ("amzn-2023", "ol-8.3", "rocky-9.4", "photon-4") to the ecosystem the
// inventory gives the same package (inventory.RPMEcosystem), so SBOM input
// and image scans match alike. Red Hat keys advisories by product stream
// ("Red Hat:enterprise_linux:9::appstream") and SUSE by product name,
// neither of which a purl carries: only the SBOM's own OS can say them.
// CentOS and Fedora have no advisory source: "".
func rpmEcosystem(ns, distro, version, osEco string) string {
	id, ok := rpmIDs[ns]
	if !ok {
		return osFallback(osEco, rpmVendors[ns])
	}
	if id == "centos" || id == "fedora" {
		return ""
	}
	ver := distroVersion(distro)
	if ver == "" {
		return osFallback(osEco, rpmFamilies[id])
	}
	return inventory.RPMEcosystem(map[string]string{"ID": id, "VERSION_ID": ver}, version)
}

// rpmVersion is the EVR of an rpm purl: purls keep the epoch in the
// `epoch` qualifier (purl spec, rpm type), inventories and advisories in
// the version ("1:3.0.8-1.amzn2023.0.4").
func rpmVersion(version, epoch string) string {
	if strings.Contains(version, ":") {
		return version
	}
	n, err := strconv.Atoi(epoch)
	if err != nil {
		return version
	}
	return inventory.EVR(n, version)
}

// osFallback uses the document's OS ecosystem when it is of the same
// family (or no family is known).
func osFallback(osEco, family string) string {
	if osEco == "" || (family != "" && !strings.HasPrefix(osEco, family)) {
		return ""
	}
	return osEco
}

// OSEcosystem maps an os-release id and version to the advisory ecosystem
// ("debian" "12" → "Debian:12", "alpine" "3.20.1" → "Alpine:v3.20",
// "amzn" "2023" → "Amazon Linux:2023"); "" when the distribution has no
// advisory source or is unknown.
func OSEcosystem(id, version string) string {
	switch strings.ToLower(id) {
	case "debian":
		return debEcosystem("debian", version, "")
	case "ubuntu":
		return debEcosystem("ubuntu", version, "")
	case "alpine":
		return apkEcosystem("alpine", version, "")
	case "wolfi":
		return "Wolfi"
	}
	if rid, ok := rpmIDs[strings.ToLower(id)]; ok {
		return inventory.Ecosystem(map[string]string{"ID": rid, "VERSION_ID": version})
	}
	return ""
}

// CaseHint restores the case of a package name that came lower-case from
// a purl (pkg.NameCaseUnknown) when the document also names the package
// with upper-case letters, e.g. a CycloneDX component's name (and group)
// next to its lower-cased purl. A hint that differs other than in case,
// or has no upper-case letter, tells nothing and is ignored.
func CaseHint(pkg *inventory.Package, hints ...string) {
	if !pkg.NameCaseUnknown {
		return
	}
	for _, h := range hints {
		if h != pkg.Name && strings.EqualFold(h, pkg.Name) {
			pkg.Name, pkg.NameCaseUnknown = h, false
			return
		}
	}
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
