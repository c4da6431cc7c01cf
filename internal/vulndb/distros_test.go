package vulndb_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sightline-sec/sightline/internal/vulndb"
)

// The real ALAS and ELSA samples (testdata/vulndb/alas, testdata/vulndb/oval;
// provenance in testdata/vulndb/PROVENANCE.md). Every expectation below is
// read off those files.

func alasFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"alas/*/updateinfo_*.xml.gz", "alas/clair-v2/*.xml"} {
		m, _ := filepath.Glob(td(pat))
		out = append(out, m...)
	}
	out = slices.DeleteFunc(out, func(p string) bool { return strings.Contains(p, "invalid") })
	if len(out) != 14 {
		t.Fatalf("%d ALAS sample files, want 14", len(out))
	}
	return out
}

func ovalFiles(t *testing.T) []string {
	t.Helper()
	m, _ := filepath.Glob(td("oval/*/*"))
	if len(m) != 9 {
		t.Fatalf("%d OVAL sample files, want 9", len(m))
	}
	return m
}

func record(t *testing.T, bt *vulndb.Batch, id string) *vulndb.Parsed {
	t.Helper()
	for _, p := range bt.Records {
		if p.Record.ID == id {
			return p
		}
	}
	t.Fatalf("no record %s among %d", id, len(bt.Records))
	return nil
}

// entry returns "introduced..fixed" of one package of a record.
func entry(p *vulndb.Parsed, eco, name string) string {
	for _, e := range p.Packages {
		if e.Ecosystem == eco && e.Name == name {
			var ev []string
			for _, r := range e.Affected.Ranges {
				for _, x := range r.Events {
					ev = append(ev, x.Version)
				}
			}
			return strings.Join(ev, "..")
		}
	}
	return ""
}

func TestALASRecords(t *testing.T) {
	bt, err := vulndb.ReadALAS(ctx, alasFiles(t)...)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range bt.Records {
		ids = append(ids, p.Record.ID)
	}
	// PROVENANCE: 11 distinct advisories in updateinfo XML.
	want := []string{"ALAS-2011-1", "ALAS-2011-2", "ALAS2-2018-939", "ALAS2-2018-942", "ALAS2-2018-949",
		"ALAS2022-2021-001", "ALAS2023-2023-001", "ALAS2023LIVEPATCH-2023-001", "ALAS2023NVIDIA-2025-001",
		"ALAS2GOLANG1.19-2023-001", "ALAS2KERNEL-5.15-2022-001"}
	if !slices.Equal(ids, want) {
		t.Fatalf("ids %v\nwant %v", ids, want)
	}
	cases := []struct{ id, eco, name, want string }{
		{"ALAS2-2018-942", "Amazon Linux:2", "qemu-kvm", "0..10:1.5.3-141.amzn2.5.3"},                        // epoch 10
		{"ALAS2-2018-949", "Amazon Linux:2", "java-1.8.0-openjdk", "0..1:1.8.0.161-0.b14.amzn2"},             // epoch 1
		{"ALAS2022-2021-001", "Amazon Linux:2022", "vim-minimal", "0..2:8.2.3512-1.amzn2022"},                // epoch 2, 3 arches folded
		{"ALAS2022-2021-001", "Amazon Linux:2022", "vim-filesystem", "0..2:8.2.3512-1.amzn2022"},             // noarch
		{"ALAS2023-2023-001", "Amazon Linux:2023", "rsyslog", "0..8.2204.0-3.amzn2023.0.2"},                  // epoch="0" dropped
		{"ALAS2023NVIDIA-2025-001", "Amazon Linux:2023", "libnvidia-container1", "0..1.17.4-1"},              // release "1"
		{"ALAS-2011-1", "Amazon Linux:1", "httpd", "0..2.2.21-1.18.amzn1"},                                   // collection amazon-linux-ami
		{"ALAS2KERNEL-5.15-2022-001", "Amazon Linux:2", "kernel", "5.15..5.15.43-20.123.amzn2"},              // extras topic floor
		{"ALAS2GOLANG1.19-2023-001", "Amazon Linux:2", "golang", "1.19..1.19.10-1.amzn2.0.2"},                // extras topic floor
		{"ALAS2KERNEL-5.15-2022-001", "Amazon Linux:2", "kernel-livepatch-5.15.43-20.123", "0..1.0-0.amzn2"}, // not in the 5.15 line
	}
	for _, c := range cases {
		if got := entry(record(t, bt, c.id), c.eco, c.name); got != c.want {
			t.Errorf("%s %s %s: %q, want %q", c.id, c.eco, c.name, got, c.want)
		}
	}
	r := record(t, bt, "ALAS2-2018-949").Record
	if r.Severity.Level != "high" || r.Severity.Ecosystem != "important" || len(r.Aliases) != 15 ||
		!slices.Contains(r.Aliases, "CVE-2018-2677") || r.Summary != "important priority package update for java-1.8.0-openjdk" {
		t.Errorf("ALAS2-2018-949 record %+v", r)
	}
	if r := record(t, bt, "ALAS2023-2023-001").Record; r.Severity.Level != "high" || // "Important"
		!r.Published.Equal(time.Date(2023, 2, 17, 20, 41, 0, 0, time.UTC)) || !r.Modified.Equal(time.Date(2023, 2, 22, 23, 22, 0, 0, time.UTC)) {
		t.Errorf("ALAS2023-2023-001 %+v", r)
	}
	if r := record(t, bt, "ALAS-2011-1").Record; !slices.Equal(r.Related, []string{"RHSA-2011:1245"}) || !slices.Equal(r.Aliases, []string{"CVE-2011-3192"}) {
		t.Errorf("ALAS-2011-1 aliases %v related %v", r.Aliases, r.Related)
	}
	// ALAS2-2018-939 is in four files, trimmed to 1 package in one of
	// them: the copies (same updated date) are united into its 13.
	if n := len(record(t, bt, "ALAS2-2018-939").Packages); n != 13 {
		t.Errorf("ALAS2-2018-939 has %d packages after the merge, want 13", n)
	}
}

func TestALASInvalid(t *testing.T) {
	p := td("alas/vuln-list-update/updateinfo_invalid.xml.gz")
	if k, err := vulndb.DetectKind(p); err != nil || k != vulndb.KindALAS {
		t.Fatalf("DetectKind = %q, %v", k, err)
	}
	_, err := vulndb.ReadALAS(ctx, p)
	if err == nil || !strings.Contains(err.Error(), "updateinfo_invalid.xml.gz") || !strings.Contains(err.Error(), "invalid updateinfo XML") {
		t.Fatalf("malformed updateinfo: %v", err)
	}
	for name, body := range map[string]string{
		"repomd":    mustRead(t, td("alas/vuln-list-update/repomd_valid.xml")),
		"foreign":   `<updates><update type="security"><id>X-1</id><pkglist><collection short="rocky-linux-9"><package name="a" version="1" release="1" arch="x86_64"/></collection></pkglist></update></updates>`,
		"no-id":     `<updates><update type="security"><title>t</title></update></updates>`,
		"truncated": `<updates><update type="security"><id>ALAS-2011-1</id>`,
	} {
		if _, err := vulndb.ParseUpdateinfo(ctx, name, strings.NewReader(body)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Non-security updates are not advisories.
	recs, err := vulndb.ParseUpdateinfo(ctx, "bugfix", strings.NewReader(`<updates><update type="bugfix"><id>ALBA-1</id></update></updates>`))
	if err != nil || len(recs) != 0 {
		t.Errorf("bugfix update: %v %v", recs, err)
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOVALRecords(t *testing.T) {
	bt, err := vulndb.ReadOVAL(ctx, ovalFiles(t)...)
	if err != nil {
		t.Fatal(err)
	}
	// PROVENANCE: 23 distinct ELSAs.
	if len(bt.Records) != 23 {
		var ids []string
		for _, p := range bt.Records {
			ids = append(ids, p.Record.ID)
		}
		t.Fatalf("%d records, want 23: %v", len(bt.Records), ids)
	}
	cases := []struct{ id, eco, name, want string }{
		{"ELSA-2007-0057", "Oracle Linux:5", "bind", "0..30:9.3.3-8.el5"},                            // epoch 30
		{"ELSA-2012-1261", "Oracle Linux:6", "dbus", "0..1:1.2.24-7.0.1.el6_3"},                      // epoch 1
		{"ELSA-2011-1268", "Oracle Linux:5", "firefox", "0..3.6.22-1.0.1.el5_7"},                     // one ELSA,
		{"ELSA-2011-1268", "Oracle Linux:6", "firefox", "0..3.6.22-1.0.1.el6_1"},                     // two releases
		{"ELSA-2022-4803", "Oracle Linux:7", "rsyslog.aarch64", "0..8.24.0-57.0.4.el7_9.3"},          // per arch
		{"ELSA-2022-4803", "Oracle Linux:7", "rsyslog.x86_64", "0..8.24.0-57.0.1.el7_9.3"},           // per arch
		{"ELSA-2022-4803", "Oracle Linux:7", "rsyslog", ""},                                          // no arch-less entry
		{"ELSA-2025-10073", "Oracle Linux:10", "firefox", "0..128.12.0-1.0.1.el10_0"},                // same on all arches
		{"ELSA-2024-2961", "Oracle Linux:8", "osbuild", "0..110-1.0.1.el8"},                          // rebuilds OR-ed: highest
		{"ELSA-2021-9151", "Oracle Linux:8:ksplice", "openssl", "0..2:1.1.1g-15.ksplice1.el8_3"},     // ksplice
		{"ELSA-2021-9151", "Oracle Linux:8", "openssl", ""},                                          // never for regular openssl
		{"ELSA-2023-12342", "Oracle Linux:8", "hivex", "0..1.3.18-21.module+el8.7.0+21037+8ee66348"}, // module stream
		{"ELSA-2018-1196-1", "Oracle Linux:5", "kernel", "0..2.6.18-419.0.0.0.10.el5"},               // id with -1
	}
	for _, c := range cases {
		if got := entry(record(t, bt, c.id), c.eco, c.name); got != c.want {
			t.Errorf("%s %s %s: %q, want %q", c.id, c.eco, c.name, got, c.want)
		}
	}
	r := record(t, bt, "ELSA-2007-0057").Record
	if r.Severity.Level != "medium" || !slices.Equal(r.Aliases, []string{"CVE-2007-0493", "CVE-2007-0494"}) ||
		!r.Published.Equal(time.Date(2007, 6, 26, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ELSA-2007-0057 %+v", r)
	}
}

func TestOVALBounds(t *testing.T) {
	for name, body := range map[string]string{
		"updateinfo": mustRead(t, td("alas/clair-v2/amazon_linux_2_updateinfo.xml")),
		"no-id":      `<oval_definitions><definitions><definition class="patch"><metadata><title>x</title></metadata></definition></definitions></oval_definitions>`,
		"truncated":  `<oval_definitions><definitions><definition`,
	} {
		if _, err := vulndb.ParseOVAL(ctx, name, strings.NewReader(body)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// One definition over the per-element limit (16 MiB) is refused
	// before it is decoded whole: the real ELSA-2007-0057 criteria,
	// repeated.
	crit := `<criterion test_ref="oval:com.oracle.elsa:tst:20070057014" comment="bind is earlier than 30:9.3.3-8.el5"/>` + "\n"
	huge := `<oval_definitions><definitions><definition id="x" class="patch"><metadata><title>ELSA-2007-0057: x</title></metadata><criteria>` +
		strings.Repeat(crit, 17<<20/len(crit)) + `</criteria></definition></definitions></oval_definitions>`
	if _, err := vulndb.ParseOVAL(ctx, "huge", strings.NewReader(huge)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("17 MiB definition: %v", err)
	}
}

func TestDetectDistroFeeds(t *testing.T) {
	for _, c := range []struct{ path, kind string }{
		{"alas/vuls-data-update/updateinfo_2023.xml.gz", vulndb.KindALAS},
		{"alas/clair-v2/amazon_linux_1_updateinfo.xml", vulndb.KindALAS},
		{"oval/vuln-list-update/ELSA-2007-0057.xml", vulndb.KindOVAL},
		{"oval/vuln-list-update/all-positive-data.xml.bz2", vulndb.KindOVAL},
		{"oval/vunnel/mock_per_arch_data", vulndb.KindOVAL}, // no extension, comment after the root
	} {
		if k, err := vulndb.DetectKind(td(c.path)); err != nil || k != c.kind {
			t.Errorf("%s: %q %v, want %s", c.path, k, err, c.kind)
		}
	}
	if _, err := vulndb.DetectKind(td("alas/claircore/test_repomd.xml")); err == nil {
		t.Error("repomd.xml detected as a feed")
	}
}

// TestDistroFeedsInStore: both feeds written to a database are queryable
// under the ecosystems the inventory uses, per-arch fixes under ArchName.
func TestDistroFeedsInStore(t *testing.T) {
	alas, err := vulndb.ReadALAS(ctx, alasFiles(t)...)
	if err != nil {
		t.Fatal(err)
	}
	oval, err := vulndb.ReadOVAL(ctx, ovalFiles(t)...)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "d.db")
	st := mustWrite(t, p, alas, oval)
	if len(st.Sources) != 2 || st.Sources[0].Records != 11 || st.Sources[1].Records != 23 || st.Sources[0].Kind != vulndb.KindALAS {
		t.Fatalf("status %+v", st.Sources)
	}
	db, err := vulndb.Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range [][2]string{{"Amazon Linux:2", "qemu-kvm"}, {"Oracle Linux:7", vulndb.ArchName("rsyslog", "x86_64")}, {"Oracle Linux:8:ksplice", "openssl-libs"}} {
		if aff, err := db.Affected(q[0], q[1]); err != nil || len(aff) != 1 || !aff[0].Ranges[0].Sorted {
			t.Errorf("%v: %+v %v", q, aff, err)
		}
	}
}

func TestEVRString(t *testing.T) {
	for _, c := range [][4]string{
		{"0", "8.2204.0", "3.amzn2023.0.2", "8.2204.0-3.amzn2023.0.2"},
		{"", "1.17.4", "1", "1.17.4-1"},
		{"10", "1.5.3", "141.amzn2.5.3", "10:1.5.3-141.amzn2.5.3"},
		{"2", "8.2.3512", "1.amzn2022", "2:8.2.3512-1.amzn2022"},
	} {
		if got := vulndb.EVRString(c[0], c[1], c[2]); got != c[3] {
			t.Errorf("EVRString%v = %q", c[:3], got)
		}
	}
}
