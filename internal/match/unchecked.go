package match

import (
	"fmt"
	"strings"

	"github.com/ossf/osv-schema/bindings/go/osvconstants"

	"github.com/sightline-sec/sightline/internal/vulndb/version"
)

// Reasons a package cannot be checked (UncheckedError.Reason). The strings
// are the keys of a scan's coverage block (docs/json.md).
const (
	// NoVersion: the package has no version (an SBOM component without
	// one); matching it as the lowest version would report every range
	// that starts at 0.
	NoVersion = "no_version"
	// NoSource: no advisory source exists for its ecosystem (none at all,
	// as for pkg:generic, or one no feed Sightline reads publishes).
	NoSource = "no_source"
	// NotLoaded: a source exists but the database holds no records for
	// the exact ecosystem (Alpine:v3.10 when only Go, or only Alpine:v3.19,
	// was imported).
	NotLoaded = "not_loaded"
	// BadVersion: the version is not well-formed in its ecosystem (see
	// valid.go) or the ecosystem has no version ordering.
	BadVersion = "bad_version"
)

// UncheckedError says why one package could not be checked. It is not a
// failure of the scan: callers count it (scan coverage) or report it
// (`db query`).
type UncheckedError struct {
	Reason    string // NoVersion, NoSource, NotLoaded or BadVersion
	Ecosystem string
	Name      string
	Version   string
	Detail    string // human-readable cause
}

func (e *UncheckedError) Error() string {
	eco := e.Ecosystem
	if eco == "" {
		eco = "(no ecosystem)"
	}
	return fmt.Sprintf("%s %s@%s not checked: %s", eco, e.Name, e.Version, e.Detail)
}

// UncheckedReason reports the reason; scan reads it through an interface.
func (e *UncheckedError) UncheckedReason() string { return e.Reason }

// ownFeeds are the ecosystem bases Sightline reads from feeds other than
// OSV (added with their importers). Keep in step with vulndb's updaters.
var ownFeeds = []string{"Amazon Linux", "Oracle Linux"}

// HasSource reports whether an advisory source exists for the ecosystem's
// base: one of the ecosystems the OSV schema defines
// (github.com/ossf/osv-schema osvconstants) or one of Sightline's own
// feeds. It says nothing about what the local database holds.
func HasSource(ecosystem string) bool {
	base := version.Base(ecosystem)
	if base == "" {
		return false
	}
	for _, f := range ownFeeds {
		if base == f {
			return true
		}
	}
	_, ok := osvEcosystems[osvconstants.Ecosystem(base)]
	return ok
}

// osvEcosystems is the OSV schema's ecosystem list.
var osvEcosystems = func() map[osvconstants.Ecosystem]bool {
	m := map[osvconstants.Ecosystem]bool{}
	for _, e := range []osvconstants.Ecosystem{
		osvconstants.EcosystemAlmaLinux, osvconstants.EcosystemAlpaquita, osvconstants.EcosystemAlpine,
		osvconstants.EcosystemAndroid, osvconstants.EcosystemAzureLinux, osvconstants.EcosystemBellSoftHardenedContainers,
		osvconstants.EcosystemBioconductor, osvconstants.EcosystemBitnami, osvconstants.EcosystemChainguard,
		osvconstants.EcosystemCleanStart, osvconstants.EcosystemConanCenter, osvconstants.EcosystemCRAN,
		osvconstants.EcosystemCratesIO, osvconstants.EcosystemDebian, osvconstants.EcosystemDockerHardenedImages,
		osvconstants.EcosystemEcho, osvconstants.EcosystemFreeBSD, osvconstants.EcosystemGHC,
		osvconstants.EcosystemGitHubActions, osvconstants.EcosystemGo, osvconstants.EcosystemHackage,
		osvconstants.EcosystemHex, osvconstants.EcosystemJulia, osvconstants.EcosystemKubernetes,
		osvconstants.EcosystemLinux, osvconstants.EcosystemMageia, osvconstants.EcosystemMaven,
		osvconstants.EcosystemMinimOS, osvconstants.EcosystemNPM, osvconstants.EcosystemNuGet,
		osvconstants.EcosystemOpam, osvconstants.EcosystemOpenEuler, osvconstants.EcosystemOpenSUSE,
		osvconstants.EcosystemOSSFuzz, osvconstants.EcosystemPackagist, osvconstants.EcosystemPhotonOS,
		osvconstants.EcosystemPub, osvconstants.EcosystemPyPI, osvconstants.EcosystemRedHat,
		osvconstants.EcosystemRockyLinux, osvconstants.EcosystemRoot, osvconstants.EcosystemRubyGems,
		osvconstants.EcosystemSUSE, osvconstants.EcosystemSwiftURL, osvconstants.EcosystemTuxCare,
		osvconstants.EcosystemUbuntu, osvconstants.EcosystemVSCode, osvconstants.EcosystemWolfi,
	} {
		m[e] = true
	}
	return m
}()

// checkable decides whether q (with ver, the version matching uses after
// the source-package substitution) can be checked at all: it has a
// version, its ecosystem has an advisory source, and the database holds
// records for that exact ecosystem. Whether the version is well-formed is
// asked later (wellOrdered), and only of packages some advisory names: for
// a package no advisory names, no version could change the answer, and
// the version rules are not free (~1.5 µs per regexp match, more than a
// miss lookup).
func (m *Matcher) checkable(q Query, ver string) error {
	un := func(reason, detail string) error {
		return &UncheckedError{Reason: reason, Ecosystem: q.Ecosystem, Name: q.Name, Version: q.Version, Detail: detail}
	}
	switch {
	case strings.TrimSpace(ver) == "":
		return un(NoVersion, "the package has no version")
	case q.Ecosystem == "":
		return un(NoSource, "no ecosystem, so no advisory source covers it")
	case !m.db.HasEcosystem(q.Ecosystem):
		if HasSource(q.Ecosystem) || m.db.HasEcosystemBase(q.Ecosystem) {
			return un(NotLoaded, fmt.Sprintf("the advisory database holds no %s records "+
				"(`sightline db update` fetches them)", q.Ecosystem))
		}
		return un(NoSource, fmt.Sprintf("no advisory source Sightline reads covers %s", q.Ecosystem))
	}
	return nil
}

// wellOrdered returns the ecosystem's version parser once ver is known to
// be a well-formed version of it (valid.go), else a BadVersion error.
func (m *Matcher) wellOrdered(eco, name, ver string) (version.Parser, error) {
	un := func(detail string) error {
		return &UncheckedError{Reason: BadVersion, Ecosystem: eco, Name: name, Version: ver, Detail: detail}
	}
	parse, err := m.parser(eco)
	if err != nil {
		return nil, un(fmt.Sprintf("Sightline cannot order %s versions", eco))
	}
	if err := checkVersion(eco, ver); err != nil {
		return nil, un(err.Error())
	}
	return parse, nil
}
