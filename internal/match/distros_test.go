package match

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// distroDB imports every real ALAS updateinfo and ELSA OVAL sample
// (testdata/vulndb/alas, testdata/vulndb/oval) and the KEV subset.
func distroDB(t *testing.T) *vulndb.DB {
	t.Helper()
	ctx := context.Background()
	td := vulndbtest.Testdata("vulndb")
	var alasFiles []string
	for _, pat := range []string{"alas/*/updateinfo_*.xml.gz", "alas/clair-v2/*.xml"} {
		m, _ := filepath.Glob(filepath.Join(td, pat))
		alasFiles = append(alasFiles, m...)
	}
	alasFiles = slices.DeleteFunc(alasFiles, func(p string) bool { return strings.Contains(p, "invalid") })
	ovalFiles, _ := filepath.Glob(filepath.Join(td, "oval/*/*"))
	alas, err := vulndb.ReadALAS(ctx, alasFiles...)
	if err != nil {
		t.Fatal(err)
	}
	oval, err := vulndb.ReadOVAL(ctx, ovalFiles...)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sightline.db")
	if _, err := vulndb.Write(ctx, path, alas, oval); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestDistroMatching: ALAS and ELSA records matched the way the inventory
// queries them. Every version is a real EVR from the records; where a
// case spells a fixed EVR without its epoch, that is the version the
// inventory reported before epochs were kept (osv-scalibr's
// "version-release"), and the case shows the false positive it caused.
func TestDistroMatching(t *testing.T) {
	m := New(distroDB(t))
	cases := []struct {
		name  string
		q     Query
		id    string // "" = no finding; several: "A B"
		fixed string // the fixed version of each id, in the same order
	}{
		// rpm epochs (issue 7 item 5).
		{"qemu-kvm epoch 10 at its fix", Query{Ecosystem: "Amazon Linux:2", Name: "qemu-kvm", Version: "10:1.5.3-141.amzn2.5.3"}, "", ""},
		{"qemu-kvm at its fix, epoch dropped (old false positive)", Query{Ecosystem: "Amazon Linux:2", Name: "qemu-kvm", Version: "1.5.3-141.amzn2.5.3"}, "ALAS2-2018-942", "10:1.5.3-141.amzn2.5.3"},
		{"vim epoch 2 at its fix", Query{Ecosystem: "Amazon Linux:2022", Name: "vim-minimal", Version: "2:8.2.3512-1.amzn2022", Arch: "aarch64"}, "", ""},
		{"vim at its fix, epoch dropped", Query{Ecosystem: "Amazon Linux:2022", Name: "vim-minimal", Version: "8.2.3512-1.amzn2022"}, "ALAS2022-2021-001", "2:8.2.3512-1.amzn2022"},
		{"java epoch 1 at its fix", Query{Ecosystem: "Amazon Linux:2", Name: "java-1.8.0-openjdk", Version: "1:1.8.0.161-0.b14.amzn2"}, "", ""},
		{"bind epoch 30 at its fix", Query{Ecosystem: "Oracle Linux:5", Name: "bind", Version: "30:9.3.3-8.el5"}, "", ""},
		{"bind at its fix, epoch dropped", Query{Ecosystem: "Oracle Linux:5", Name: "bind", Version: "9.3.3-8.el5"}, "ELSA-2007-0057", "30:9.3.3-8.el5"},
		{"dbus epoch 1 at its fix", Query{Ecosystem: "Oracle Linux:6", Name: "dbus-libs", Version: "1:1.2.24-7.0.1.el6_3"}, "", ""},
		// Releases: one advisory, several Oracle Linux releases.
		// (ELSA-2015-1207 later fixed firefox again, at 38.1.0, on OL5, 6 and 7.)
		{"OL6 firefox at the OL5 fix is below the OL6 fix", Query{Ecosystem: "Oracle Linux:6", Name: "firefox", Version: "3.6.22-1.0.1.el5_7"},
			"ELSA-2011-1268 ELSA-2015-1207", "3.6.22-1.0.1.el6_1 38.1.0-1.0.1.el6_6"},
		{"OL5 firefox at the OL5 fix", Query{Ecosystem: "Oracle Linux:5", Name: "firefox", Version: "3.6.22-1.0.1.el5_7"}, "ELSA-2015-1207", "38.1.0-1.0.1.el5_11"},
		{"OL8 data never judges OL7", Query{Ecosystem: "Oracle Linux:7", Name: "osbuild", Version: "110-1.el8"}, "", ""},
		// Architectures.
		{"rsyslog x86_64 at the x86_64 fix", Query{Ecosystem: "Oracle Linux:7", Name: "rsyslog", Version: "8.24.0-57.0.1.el7_9.3", Arch: "x86_64"}, "", ""},
		{"rsyslog aarch64 at the x86_64 fix", Query{Ecosystem: "Oracle Linux:7", Name: "rsyslog", Version: "8.24.0-57.0.1.el7_9.3", Arch: "aarch64"}, "ELSA-2022-4803", "8.24.0-57.0.4.el7_9.3"},
		// OR-ed rebuilds: vulnerable below the highest.
		{"osbuild at the lower rebuild", Query{Ecosystem: "Oracle Linux:8", Name: "osbuild", Version: "110-1.el8", Arch: "x86_64"}, "ELSA-2024-2961", "110-1.0.1.el8"},
		// Ksplice fixes judge ksplice packages only.
		{"regular openssl vs a ksplice fix", Query{Ecosystem: "Oracle Linux:8", Name: "openssl-libs", Version: "1:1.1.1g-15.el8_3"}, "", ""},
		{"ksplice openssl at its fix", Query{Ecosystem: "Oracle Linux:8:ksplice", Name: "openssl-libs", Version: "2:1.1.1g-15.ksplice1.el8_3"}, "", ""},
		// AL2 extras topics bound their range from below.
		// The core kernel at ALAS2-2018-939's fix is below
		// ALAS2KERNEL-5.15-2022-001's fix (5.15.43-20.123.amzn2) but not
		// in the 5.15 line that advisory is about.
		{"core kernel vs the kernel-5.15 topic", Query{Ecosystem: "Amazon Linux:2", Name: "kernel", Version: "4.9.76-38.79.amzn2"}, "", ""},
	}
	for _, c := range cases {
		vulns, err := m.Match(context.Background(), c.q)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		var ids, fixed []string
		for _, v := range vulns {
			ids = append(ids, v.ID)
			fixed = append(fixed, strings.Join(v.FixedVersions, ","))
		}
		if strings.Join(ids, " ") != c.id || strings.Join(fixed, " ") != c.fixed {
			t.Errorf("%s: %v fixed in %v, want %q fixed in %q", c.name, ids, fixed, c.id, c.fixed)
		}
	}
}

// TestDistroRecordFields: a matched ALAS finding carries the advisory's
// severity and CVE aliases (the join key of KEV and EPSS).
func TestDistroRecordFields(t *testing.T) {
	m := New(distroDB(t))
	vulns, err := m.Match(context.Background(), Query{Ecosystem: "Amazon Linux:2", Name: "java-1.8.0-openjdk", Version: "1.8.0.161-0.b14.amzn2"})
	if err != nil || len(vulns) != 1 {
		t.Fatalf("%+v %v", vulns, err)
	}
	v := vulns[0]
	if v.ID != "ALAS2-2018-949" || v.Severity.Level != "high" || len(v.Aliases) != 15 || v.FixState != vulndb.FixStateFixed {
		t.Errorf("%+v", v)
	}
}
