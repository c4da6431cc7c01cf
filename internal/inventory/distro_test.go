package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	rpmmeta "github.com/google/osv-scalibr/extractor/filesystem/os/rpm/metadata"
)

func releaseFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "inventory", "release-files", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReleaseFiles: real release files (testdata/inventory/release-files,
// see PROVENANCE.md) give the OS and its advisory ecosystem.
func TestReleaseFiles(t *testing.T) {
	for _, c := range []struct{ file, path, id, version, eco string }{
		{"amazonlinux-2/etc/os-release", "etc/os-release", "amzn", "2", "Amazon Linux:2"},
		{"oraclelinux-8.3/etc/os-release", "etc/os-release", "ol", "8.3", "Oracle Linux:8"},
		{"oracle-6/etc/oracle-release", "etc/oracle-release", "ol", "6.10", "Oracle Linux:6"},
		{"oracle-7/etc/oracle-release", "etc/oracle-release", "ol", "7.9", "Oracle Linux:7"},
		{"oracle-8/etc/oracle-release", "etc/oracle-release", "ol", "8.9", "Oracle Linux:8"},
		{"oracle-9/etc/oracle-release", "etc/oracle-release", "ol", "9.3", "Oracle Linux:9"},
		// Oracle's redhat-release claims Red Hat: the reason oracle-release is read first.
		{"oracle-6/etc/redhat-release", "etc/redhat-release", "rhel", "6.10", "Red Hat"},
		{"rhel-8.10/etc/redhat-release", "etc/redhat-release", "rhel", "8.10", "Red Hat"},
		{"rocky-8.10/etc/redhat-release", "etc/redhat-release", "rocky", "8.10", "Rocky Linux:8"},
		{"debian-12.11/etc/debian_version", "etc/debian_version", "debian", "12", "Debian:12"},
		{"debian-13.5/etc/debian_version", "etc/debian_version", "debian", "13", "Debian:13"},
	} {
		m := ParseReleaseFile(c.path, releaseFile(t, c.file))
		os := OSFromRelease(m)
		if os == nil || os.ID != c.id || os.VersionID != c.version || os.Ecosystem != c.eco {
			t.Errorf("%s: %+v, want %s %s %s", c.file, os, c.id, c.version, c.eco)
		}
	}
	// Release lines as the distributions print them (CentOS 6 and 7, AL1,
	// AL2023's system-release, Fedora) and files that name nothing known.
	for line, want := range map[string]string{
		"CentOS release 6.10 (Final)":              "centos 6.10 ",
		"CentOS Linux release 7.9.2009 (Core)":     "centos 7.9.2009 ",
		"Amazon Linux AMI release 2018.03":         "amzn 2018.03 Amazon Linux:1",
		"Amazon Linux release 2023 (Amazon Linux)": "amzn 2023 Amazon Linux:2023",
		"Fedora release 39 (Thirty Nine)":          "fedora 39 ",
	} {
		os := OSFromRelease(ParseReleaseFile("etc/system-release", []byte(line+"\n")))
		if os == nil || os.ID+" "+os.VersionID+" "+os.Ecosystem != want {
			t.Errorf("%q → %+v, want %s", line, os, want)
		}
	}
	for p, b := range map[string]string{"etc/redhat-release": "Plan 9 release 4", "etc/alpine-release": "edge", "etc/os-release": "NAME=x\n"} {
		if m := ParseReleaseFile(p, []byte(b)); m != nil {
			t.Errorf("%s %q → %v, want nil (lookup goes on)", p, b, m)
		}
	}
	if os := OSFromRelease(ParseReleaseFile("etc/alpine-release", []byte("3.18.4\n"))); os == nil || os.Ecosystem != "Alpine:v3.18" {
		t.Errorf("alpine-release: %+v", os)
	}
}

// TestDistroEcosystems: every distribution Sightline detects maps to the
// ecosystem its advisories use, or to "" when it has none (Distros).
func TestDistroEcosystems(t *testing.T) {
	for _, c := range []struct {
		m    map[string]string
		want string
	}{
		{map[string]string{"ID": "amzn", "VERSION_ID": "2023"}, "Amazon Linux:2023"},
		{map[string]string{"ID": "amzn", "VERSION_ID": "2"}, "Amazon Linux:2"},
		{map[string]string{"ID": "amzn", "VERSION_ID": "2018.03"}, "Amazon Linux:1"},
		{map[string]string{"ID": "ol", "VERSION_ID": "9.3"}, "Oracle Linux:9"},
		{map[string]string{"ID": "rocky", "VERSION_ID": "9.4"}, "Rocky Linux:9"},
		{map[string]string{"ID": "almalinux", "VERSION_ID": "9.4"}, "AlmaLinux:9"},
		{map[string]string{"ID": "rhel", "VERSION_ID": "9.4", "CPE_NAME": "cpe:/o:redhat:enterprise_linux:9::baseos"}, "Red Hat:enterprise_linux:9::baseos"},
		{map[string]string{"ID": "photon", "VERSION_ID": "5.0"}, "Photon OS:5.0"},
		{map[string]string{"ID": "photon", "VERSION_ID": "4"}, "Photon OS:4.0"},
		{map[string]string{"ID": "opensuse-tumbleweed", "VERSION_ID": "20240321", "PRETTY_NAME": "openSUSE Tumbleweed"}, "openSUSE:Tumbleweed"},
		{map[string]string{"ID": "opensuse-leap", "VERSION_ID": "15.5", "PRETTY_NAME": "openSUSE Leap 15.5"}, "openSUSE:Leap 15.5"},
		{map[string]string{"ID": "sle-micro", "VERSION_ID": "5.5", "PRETTY_NAME": "SUSE Linux Enterprise Micro 5.5"}, "SUSE:Linux Enterprise Micro 5.5"},
		{map[string]string{"ID": "sl-micro", "VERSION_ID": "6.0", "PRETTY_NAME": "SUSE Linux Micro 6.0"}, "SUSE:Linux Micro 6.0"},
		{map[string]string{"ID": "sles", "VERSION_ID": "15.5", "PRETTY_NAME": "SUSE Linux Enterprise Server 15 SP5"}, "SUSE:Linux Enterprise Server 15 SP5"},
		{map[string]string{"ID": "centos", "VERSION_ID": "7"}, ""},
		{map[string]string{"ID": "fedora", "VERSION_ID": "39"}, ""},
		{map[string]string{"ID": "bottlerocket", "VERSION_ID": "1.19.0"}, ""},
		{map[string]string{"ID": "debian", "VERSION_ID": "12"}, "Debian:12"},
		{map[string]string{"ID": "alpine", "VERSION_ID": "3.20.1"}, "Alpine:v3.20"},
	} {
		if got := Ecosystem(c.m); got != c.want {
			t.Errorf("%v: %q, want %q", c.m, got, c.want)
		}
	}
	for _, d := range Distros {
		if d.Source == "" && Ecosystem(map[string]string{"ID": d.ID, "VERSION_ID": "1"}) != "" {
			t.Errorf("%s has no advisory source but an ecosystem", d.ID)
		}
	}
}

// TestRPMRecordEVR: an rpm package keeps its epoch in Version (as rpm
// prints %{EVR}) and its purl (epoch qualifier), with its architecture;
// the real openssl-libs of the AL2023 image (packages.csv) as the case.
func TestRPMRecordEVR(t *testing.T) {
	r := Record{Name: "openssl-libs", Version: "3.0.8-1.amzn2023.0.4", PURLType: "rpm", Extractor: "os/rpm",
		Location: "var/lib/rpm/rpmdb.sqlite", Rpm: &rpmmeta.Metadata{PackageName: "openssl-libs", Epoch: 1,
			SourceRPM: "openssl-3.0.8-1.amzn2023.0.4.src.rpm", Architecture: "x86_64"}}
	osRel := map[string]string{"ID": "amzn", "VERSION_ID": "2023", "NAME": "Amazon Linux"}
	p := r.Package(osRel)
	if p.Version != "1:3.0.8-1.amzn2023.0.4" || p.SourceName != "openssl" || p.SourceVersion != "1:3.0.8-1.amzn2023.0.4" ||
		p.Arch != "x86_64" || p.Ecosystem != "Amazon Linux:2023" {
		t.Errorf("package %+v", p)
	}
	for _, q := range []string{"pkg:rpm/amzn/openssl-libs@3.0.8-1.amzn2023.0.4?", "epoch=1", "distro=amzn-2023", "arch=x86_64"} {
		if !strings.Contains(p.PURL, q) {
			t.Errorf("purl %s lacks %s", p.PURL, q)
		}
	}
	// Ksplice user-space packages have their own ELSA stream.
	r.Version, r.Rpm.Epoch = "1.1.1g-15.ksplice1.el8_3", 2
	if p := r.Package(map[string]string{"ID": "ol", "VERSION_ID": "8.3"}); p.Ecosystem != "Oracle Linux:8:ksplice" || p.Version != "2:1.1.1g-15.ksplice1.el8_3" {
		t.Errorf("ksplice package %+v", p)
	}
	// CentOS has no advisory source: no ecosystem, the OS stays readable in the purl.
	if p := r.Package(map[string]string{"ID": "centos", "VERSION_ID": "7"}); p.Ecosystem != "" || !strings.Contains(p.PURL, "distro=centos-7") {
		t.Errorf("centos package %+v", p)
	}
}

// FuzzParseReleaseFile: no release file content panics, and whatever is
// recognised has an ID and maps to an ecosystem without panicking.
func FuzzParseReleaseFile(f *testing.F) {
	for _, rel := range []string{"oracle-6/etc/oracle-release", "oracle-6/etc/redhat-release", "rhel-8.10/etc/redhat-release",
		"debian-12.11/etc/debian_version", "amazonlinux-2/etc/os-release"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "inventory", "release-files", rel))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(0))
	}
	f.Add([]byte("Amazon Linux AMI release 2018.03\n"), uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, which uint8) {
		p := OSReleasePaths[int(which)%len(OSReleasePaths)]
		m := ParseReleaseFile(p, b)
		if m != nil && m["ID"] == "" {
			t.Fatalf("%s: fields without ID: %v", p, m)
		}
		_ = OSFromRelease(m)
		_ = RPMEcosystem(m, string(b))
	})
}
