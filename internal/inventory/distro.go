package inventory

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/google/osv-scalibr/extractor/filesystem/os/ecosystem"
	rpmmeta "github.com/google/osv-scalibr/extractor/filesystem/os/rpm/metadata"
)

// Distribution advisory ecosystems.
//
// osv-scalibr maps os-release to OSV ecosystems for Debian, Ubuntu, the
// apk family, Red Hat, AlmaLinux, openEuler, Mageia and Azure Linux. For
// the other rpm distributions it gives "" or a name no advisory uses
// (Rocky Linux without its release, SUSE with VERSION_ID where OSV keys by
// product name), so rpm-family ecosystems are computed here, from one
// table. Sources of each rule:
//
//   - OSV schema "Defined ecosystems" (ossf/osv-schema docs/schema.md):
//     "Rocky Linux:<N>", "AlmaLinux:<N>" (numeric release), "Photon OS:<N.0>"
//     (required release number), "SUSE:<R>" and "openSUSE:<R>" where R is
//     the os-release PRETTY_NAME without the vendor word ("SUSE Linux
//     Enterprise Micro 5.5" → "SUSE:Linux Enterprise Micro 5.5", "openSUSE
//     Tumbleweed" → "openSUSE:Tumbleweed"), "Red Hat:<CPE without
//     cpe:/o:redhat:>".
//   - Amazon Linux and Oracle Linux are not OSV ecosystems: Sightline reads
//     their vendors' own feeds (ALAS updateinfo.xml, ELSA OVAL; see
//     internal/vulndb) and names them as OSV would name a distro release,
//     "Amazon Linux:<1|2|2022|2023>" and "Oracle Linux:<major>". Oracle's
//     Ksplice user-space packages (release containing ".ksplice") are fixed
//     by their own ELSA entries and get "Oracle Linux:<major>:ksplice".
//   - CentOS, Fedora and Bottlerocket have no advisory source Sightline can
//     read: their packages get ecosystem "" (counted as having no source),
//     and keep the distribution in their purl's distro qualifier.
//
// The table is documented in docs/scan.md ("Distributions").

// Distro describes one distribution Sightline can detect.
type Distro struct {
	ID     string // os-release ID
	Name   string // how people call it
	Source string // where its advisories come from; "" = none
}

// Distros lists the detected distributions and their advisory source, in
// the order docs/scan.md shows them.
var Distros = []Distro{
	{"debian", "Debian", "OSV (Debian Security Tracker)"},
	{"ubuntu", "Ubuntu", "OSV (Ubuntu Security Notices)"},
	{"alpine", "Alpine Linux", "OSV (Alpine secdb)"},
	{"wolfi", "Wolfi", "OSV (Chainguard)"},
	{"chainguard", "Chainguard OS", "OSV (Chainguard)"},
	{"rhel", "Red Hat Enterprise Linux", "OSV (Red Hat CSAF), keyed by the os-release CPE"},
	{"almalinux", "AlmaLinux", "OSV (AlmaLinux)"},
	{"rocky", "Rocky Linux", "OSV (Rocky Linux)"},
	{"amzn", "Amazon Linux", "ALAS (repository updateinfo.xml)"},
	{"ol", "Oracle Linux", "ELSA (Oracle OVAL)"},
	{"photon", "Photon OS", "OSV (Photon OS)"},
	{"sles", "SUSE Linux Enterprise Server", "OSV (SUSE)"},
	{"sle-micro", "SUSE Linux Enterprise Micro", "OSV (SUSE)"},
	{"sl-micro", "SUSE Linux Micro", "OSV (SUSE)"},
	{"opensuse-leap", "openSUSE Leap", "OSV (openSUSE)"},
	{"opensuse-tumbleweed", "openSUSE Tumbleweed", "OSV (openSUSE)"},
	{"azurelinux", "Azure Linux", "OSV (Azure Linux)"},
	{"mariner", "CBL-Mariner", "OSV (Azure Linux)"},
	{"openEuler", "openEuler", "OSV (openEuler)"},
	{"mageia", "Mageia", "OSV (Mageia)"},
	{"centos", "CentOS", ""},
	{"fedora", "Fedora", ""},
	{"bottlerocket", "Bottlerocket", ""},
}

// rpmEcosystem computes the ecosystem of the rpm distributions osv-scalibr
// maps wrongly or not at all; ok is false for the others.
func rpmEcosystem(m map[string]string) (eco string, ok bool) {
	id, ver := m["ID"], m["VERSION_ID"]
	major, _, _ := strings.Cut(ver, ".")
	switch {
	case id == "amzn":
		return withRelease("Amazon Linux", amazonRelease(ver)), true
	case id == "ol":
		return withRelease("Oracle Linux", major), true
	case id == "rocky":
		return withRelease("Rocky Linux", major), true
	case id == "photon":
		return withRelease("Photon OS", photonRelease(ver)), true
	case id == "sles" || strings.HasPrefix(id, "sle-") || strings.HasPrefix(id, "sles_") || strings.HasPrefix(id, "sl-"):
		return withRelease("SUSE", productName(m["PRETTY_NAME"], "SUSE ")), true
	case strings.HasPrefix(id, "opensuse"):
		return withRelease("openSUSE", productName(m["PRETTY_NAME"], "openSUSE ")), true
	case id == "centos" || id == "fedora" || id == "bottlerocket":
		return "", true
	}
	return "", false
}

// RPMEcosystem is the advisory ecosystem of an rpm package with the given
// release ("15.ksplice1.el8_3") on the OS the os-release fields describe.
func RPMEcosystem(osRelease map[string]string, version string) string {
	eco, ok := rpmEcosystem(osRelease)
	if !ok {
		return ecosystem.MakeEcosystem(rpmFill(&rpmmeta.Metadata{}, osRelease)).String()
	}
	if eco != "" && osRelease["ID"] == "ol" && strings.Contains(version, ".ksplice") {
		eco += ":ksplice"
	}
	return eco
}

func withRelease(base, rel string) string {
	if rel == "" {
		return base
	}
	return base + ":" + rel
}

// amazonRelease maps VERSION_ID to the Amazon Linux release its ALAS
// advisories name: "2", "2022", "2023"; Amazon Linux AMI (AL1) versions
// are dates ("2018.03") and all share the "amzn1" repositories.
func amazonRelease(v string) string {
	major, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	switch {
	case err != nil:
		return ""
	case n >= 2011 && n <= 2018:
		return "1"
	}
	return major
}

// photonRelease: OSV requires "N.0"; os-release says "5.0" (older images
// "3.0"), so a bare major gets ".0".
func photonRelease(v string) string {
	if v == "" || strings.Contains(v, ".") {
		return v
	}
	return v + ".0"
}

var trailingParens = regexp.MustCompile(`(\s*\([^)]*\))+$`)

// productName is PRETTY_NAME without the vendor word and without trailing
// parenthesised notes ("openSUSE Tumbleweed (20160714) (x86_64)" in old
// images): the SUSE/openSUSE ecosystem suffix.
func productName(pretty, vendor string) string {
	p := strings.TrimSpace(trailingParens.ReplaceAllString(pretty, ""))
	return strings.TrimSpace(strings.TrimPrefix(p, vendor))
}

// EVR spells an rpm version as rpm's %{EVR} does and as OSV Red Hat,
// AlmaLinux and Rocky Linux records write fixed versions: "E:V-R" when the
// epoch is set and not 0, else "V-R". vr is "version-release".
func EVR(epoch int, vr string) string {
	if epoch <= 0 || vr == "" {
		return vr
	}
	return strconv.Itoa(epoch) + ":" + vr
}
