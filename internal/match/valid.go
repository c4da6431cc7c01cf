package match

import (
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/sightline-sec/sightline/internal/vulndb/version"
)

// Which installed versions can be checked.
//
// The version orderings (osv-scalibr's semantic, wrapped by
// vulndb/version) are built to order the versions advisories publish, and
// most of them accept any string: "notaversion" parses as a Go version
// lower than every release, so it fell inside every "introduced: 0" range
// (163 Go stdlib advisories; 6 for npm "zzz-garbage"). A version that
// cannot be ordered must not be matched at all, so the queried version is
// first checked against its ecosystem's own rules for a well-formed
// version; one that fails is reported as unchecked (bad_version), never
// as vulnerable to everything nor as "no findings".
//
// Only the queried (installed) version is checked here, never the
// versions inside advisories: a rule stricter than the ecosystem would
// then silently drop advisory ranges. And only when some advisory names
// the package: for one no advisory names, no version changes the answer
// ("checked, nothing found"), and the misses, most packages of a scan,
// skip the cost (BenchmarkCheckVersion: 0.3-2.4 µs a version). The rules,
// per ecosystem base:
//
//   - Go: a semantic version as Go modules spell it (golang.org/x/mod/semver,
//     the "v" optional, as OSV's Go data omits it), which covers the
//     stdlib's "1.22.3" and pseudo-versions.
//   - npm, crates.io, Hex, Pub, SwiftURL, Julia: SemVer 2.0.0
//     (https://semver.org), full MAJOR.MINOR.PATCH; npm, SwiftURL and
//     Julia also take a leading "v" as their tools do.
//   - PyPI: PEP 440 (https://peps.python.org/pep-0440/), including the
//     spellings its "Normalization" section accepts ("1.0-post1", "v2").
//   - Maven: the version order specification accepts any token string, so
//     only versions without a single digit, or with spaces or control
//     characters, are refused ("latest", "zzz-garbage").
//   - RubyGems: Gem::Version's pattern (digits, then dot-separated
//     alphanumerics, optional "-" pre-release part).
//   - NuGet: up to four numeric parts with SemVer 2.0 pre-release and
//     build parts (NuGet's "Package versioning" document).
//   - Packagist: Composer's version forms (optional "v", one to four
//     numeric parts, stability suffix, "-dev"); branch names such as
//     "dev-main" cannot be ordered against advisory ranges.
//   - Debian, Ubuntu: Debian Policy 5.6.12 ([epoch:]upstream[-revision],
//     upstream starting with a digit, only alphanumerics and . + ~ -).
//   - Alpine and the other apk distributions: apk-tools' version grammar
//     (numbers separated by dots or by one letter, as in openssh's
//     "6.6.1p1", an optional final letter, _alpha/_beta/_pre/_rc/_cvs/
//     _svn/_git/_hg/_p suffixes, ~commit, -rN).
//   - RPM distributions: [epoch:]version[-release] of alphanumerics and
//     . _ + ~ ^, with a digit in the version.
//   - Hackage (PVP) and CRAN: numbers separated by dots (CRAN: or "-").
//   - Every other ecosystem: starts with a digit (after an optional "v")
//     and holds no spaces or control characters.
//
// Every version in the OSV project's real-data ordering fixtures
// (testdata/vulndb/version-orderings/*-generated.txt) and in the real
// inventories under testdata passes these rules (valid_test.go).

var (
	semverCore   = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)([-+].*)?$`)
	pep440       = regexp.MustCompile(`(?i)^\s*v?([0-9]+!)?[0-9]+(\.[0-9]+)*([-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?(-[0-9]+|[-_.]?(post|rev|r)[-_.]?[0-9]*)?([-_.]?dev[-_.]?[0-9]*)?(\+[a-z0-9]+([-_.][a-z0-9]+)*)?\s*$`)
	rubygems     = regexp.MustCompile(`^\s*[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?\s*$`)
	nuget        = regexp.MustCompile(`^[0-9]+(\.[0-9]+){0,3}(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
	packagist    = regexp.MustCompile(`(?i)^v?[0-9]+(\.[0-9]+){0,3}([._-]?(stable|beta|b|rc|alpha|a|patch|pl|p)([.-]?[0-9]+)*)?([.-]?dev)?(\+[0-9a-z.-]+)?$`)
	dpkg         = regexp.MustCompile(`^([0-9]+:)?[0-9][A-Za-z0-9.+~-]*$`)
	apk          = regexp.MustCompile(`^[0-9]+(\.[0-9]+|[a-z][0-9]+)*[a-z]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*(~[0-9a-f]+)?(-r[0-9]+)?$`)
	rpm          = regexp.MustCompile(`^([0-9]+:)?[0-9A-Za-z._+~^]+(-[0-9A-Za-z._+~^]+)?$`)
	dottedNumber = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*$`)
	cran         = regexp.MustCompile(`^[0-9]+([.-][0-9]+)*$`)
)

// apkEcosystems use apk-tools versions; rpmEcosystems rpm's.
var (
	apkEcosystems = map[string]bool{"Alpine": true, "Wolfi": true, "Chainguard": true, "Alpaquita": true,
		"MinimOS": true, "BellSoft Hardened Containers": true}
	rpmEcosystems = map[string]bool{"Red Hat": true, "AlmaLinux": true, "Rocky Linux": true, "SUSE": true,
		"openSUSE": true, "Mageia": true, "openEuler": true, "Azure Linux": true, "Photon OS": true,
		"Amazon Linux": true, "Oracle Linux": true}
)

// checkVersion returns an error saying why v is not a well-formed version
// of the ecosystem (see the rules above), or nil.
func checkVersion(ecosystem, v string) error {
	if wellFormed(version.Base(ecosystem), v) {
		return nil
	}
	return fmt.Errorf("%q is not a valid %s version", v, version.Base(ecosystem))
}

func wellFormed(base, v string) bool {
	if v == "" || len(v) > 256 || !printable(v) {
		return false
	}
	switch {
	case base == "Go":
		return semver.IsValid("v" + strings.TrimPrefix(v, "v"))
	case base == "crates.io" || base == "Hex" || base == "Pub":
		return strictSemver(v)
	case base == "npm" || base == "SwiftURL" || base == "Julia":
		return strictSemver(strings.TrimPrefix(v, "v"))
	case base == "PyPI":
		return pep440.MatchString(v)
	case base == "Maven":
		return strings.ContainsAny(v, "0123456789") && !strings.ContainsAny(v, " \t")
	case base == "RubyGems":
		return rubygems.MatchString(v)
	case base == "NuGet":
		return nuget.MatchString(v)
	case base == "Packagist":
		return packagist.MatchString(v)
	case base == "Debian" || base == "Ubuntu":
		return dpkg.MatchString(v) && !strings.HasSuffix(v, "-")
	case apkEcosystems[base]:
		return apk.MatchString(v)
	case rpmEcosystems[base]:
		return rpm.MatchString(v) && strings.ContainsAny(rpmVersionPart(v), "0123456789")
	case base == "Hackage":
		return dottedNumber.MatchString(v)
	case base == "CRAN":
		return cran.MatchString(v)
	}
	rest := strings.TrimPrefix(v, "v")
	return rest != "" && rest[0] >= '0' && rest[0] <= '9' && !strings.ContainsAny(v, " \t")
}

// strictSemver: SemVer 2.0.0 with all three numbers (x/mod/semver also
// takes the "v1.2" shorthand Go allows in queries, SemVer does not).
func strictSemver(v string) bool {
	return semverCore.MatchString(v) && semver.IsValid("v"+v)
}

// rpmVersionPart is the version of [epoch:]version[-release].
func rpmVersionPart(v string) string {
	if _, rest, ok := strings.Cut(v, ":"); ok {
		v = rest
	}
	ver, _, _ := strings.Cut(v, "-")
	return ver
}

// printable refuses control characters and non-ASCII bytes: no
// ecosystem's version grammar has them, and they are what a corrupted or
// hostile build-info string carries.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
