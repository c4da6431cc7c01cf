package match

import (
	"fmt"
	"regexp"
	"strings"

	packageurl "github.com/package-url/packageurl-go"
)

// purlEcosystems maps PURL types to OSV ecosystems (distros are handled
// separately because the release is part of the ecosystem).
var purlEcosystems = map[string]string{
	packageurl.TypeGolang:   "Go",
	packageurl.TypeNPM:      "npm",
	packageurl.TypePyPi:     "PyPI",
	packageurl.TypeMaven:    "Maven",
	packageurl.TypeGem:      "RubyGems",
	packageurl.TypeCargo:    "crates.io",
	packageurl.TypeNuget:    "NuGet",
	packageurl.TypeComposer: "Packagist",
	packageurl.TypeHex:      "Hex",
	packageurl.TypePub:      "Pub",
	packageurl.TypeHackage:  "Hackage",
	packageurl.TypeCran:     "CRAN",
}

var debianCodenames = map[string]string{
	"wheezy": "7", "jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11",
	"bookworm": "12", "trixie": "13", "forky": "14",
}

var distroRe = regexp.MustCompile(`^([a-z]+)-?([0-9][0-9.]*)?$`)

// FromPURL turns a package URL into a Query. Distro PURLs need the release
// in the distro qualifier (deb: "debian-12" or "bookworm"; apk:
// "alpine-3.19"); a deb/apk PURL names a binary package, so ?source=NAME
// (or upstream=NAME, or origin=NAME for apk) names the source package, and without it the name is
// taken as the source name.
func FromPURL(s string) (Query, error) {
	p, err := packageurl.FromString(s)
	if err != nil {
		return Query{}, fmt.Errorf("package URL %q: %w", s, err)
	}
	if p.Version == "" {
		return Query{}, fmt.Errorf("package URL %q: no version (want …@VERSION)", s)
	}
	q := Query{Name: p.Name, Version: p.Version}
	quals := p.Qualifiers.Map()
	if eco, ok := purlEcosystems[p.Type]; ok {
		q.Ecosystem = eco
		switch {
		case p.Namespace == "":
		case p.Type == packageurl.TypeMaven:
			q.Name = p.Namespace + ":" + p.Name
		default:
			q.Name = p.Namespace + "/" + p.Name
		}
		return q, nil
	}
	switch p.Type {
	case packageurl.TypeDebian, packageurl.TypeApk:
	default:
		return Query{}, fmt.Errorf("package URL %q: type %q is not supported (use golang, npm, pypi, maven, gem, cargo, nuget, composer, hex, pub, hackage, cran, deb, apk)", s, p.Type)
	}
	eco, err := distroEcosystem(p.Type, p.Namespace, quals["distro"])
	if err != nil {
		return Query{}, fmt.Errorf("package URL %q: %w", s, err)
	}
	q.Ecosystem = eco
	q.SourceName = firstOf(quals["source"], quals["upstream"], quals["origin"], p.Name)
	if i := strings.IndexByte(q.SourceName, '@'); i > 0 { // "source=name@version"
		q.SourceName, q.SourceVersion = q.SourceName[:i], q.SourceName[i+1:]
	}
	return q, nil
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func distroEcosystem(typ, ns, distro string) (string, error) {
	m := distroRe.FindStringSubmatch(strings.ToLower(distro))
	if distro == "" || m == nil {
		return "", fmt.Errorf("needs a distro qualifier with the release, e.g. ?distro=debian-12 or ?distro=alpine-3.19")
	}
	name, rel := m[1], m[2]
	if typ == packageurl.TypeApk {
		parts := strings.Split(rel, ".")
		if name != "alpine" || len(parts) < 2 {
			return "", fmt.Errorf("distro %q: want alpine-MAJOR.MINOR", distro)
		}
		return "Alpine:v" + parts[0] + "." + parts[1], nil
	}
	if code, ok := debianCodenames[name]; ok {
		return "Debian:" + code, nil
	}
	switch firstOf(name, ns) {
	case "debian":
		if rel == "" {
			return "", fmt.Errorf("distro %q: no release number", distro)
		}
		return "Debian:" + strings.Split(rel, ".")[0], nil
	case "ubuntu":
		if rel == "" {
			return "", fmt.Errorf("distro %q: no release number", distro)
		}
		return "Ubuntu:" + rel, nil
	}
	return "", fmt.Errorf("distro %q is not supported for deb packages (debian-N, a Debian codename, or ubuntu-NN.NN)", distro)
}
