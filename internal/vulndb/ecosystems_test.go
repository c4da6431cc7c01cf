package vulndb_test

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// TestEcosystems: the database says exactly which ecosystems (releases
// included) it holds, how many records each, and the newest record date.
// Expectations read off testdata/vulndb/osv: CVE-2010-0928 is the only
// record naming Debian:10; CVE-2023-5363 and CVE-2024-6119 name Alpine
// v3.17 to v3.21; the DSAs and CVE records make six for Debian:12.
func TestEcosystems(t *testing.T) {
	p := filepath.Join(t.TempDir(), "e.db")
	mustWrite(t, p, mustOSV(t, td("osv")), mustOSV(t, quickstart()))
	db, err := vulndb.Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := []string{"Alpine:v3.17", "Alpine:v3.18", "Alpine:v3.19", "Alpine:v3.20", "Alpine:v3.21",
		"Debian:10", "Debian:11", "Debian:12", "Debian:13", "Go", "Maven", "PyPI", "RubyGems", "npm"}
	if got := db.Ecosystems(); !slices.Equal(got, want) {
		t.Errorf("Ecosystems() = %v\nwant %v", got, want)
	}
	for eco, has := range map[string]bool{"Alpine:v3.19": true, "Alpine:v3.10": false, "Alpine": false, "Debian:12": true, "Debian:7": false, "PyPI": true, "crates.io": false} {
		if db.HasEcosystem(eco) != has {
			t.Errorf("HasEcosystem(%q) = %v", eco, !has)
		}
	}
	if !db.HasEcosystemBase("Alpine:v3.10") || db.HasEcosystemBase("Ubuntu:22.04:LTS") {
		t.Error("HasEcosystemBase wrong")
	}
	st := db.Status()
	byEco := map[string]vulndb.EcosystemStatus{}
	for _, e := range st.Ecosystems {
		byEco[e.Ecosystem] = e
	}
	if len(st.Ecosystems) != len(want) {
		t.Errorf("status lists %d ecosystems, want %d: %+v", len(st.Ecosystems), len(want), st.Ecosystems)
	}
	for eco, n := range map[string]int{"Debian:10": 1, "Debian:12": 6, "Alpine:v3.17": 2, "PyPI": 2, "Go": 5} {
		if byEco[eco].Records != n || len(byEco[eco].Sources) != 1 {
			t.Errorf("%s: %+v, want %d records from one source", eco, byEco[eco], n)
		}
	}
	// CVE-2010-0928's modified date is the newest (and only) Debian:10 date.
	d10 := byEco["Debian:10"]
	if d10.Newest.IsZero() || d10.Age == "" || d10.Newest.After(time.Now()) {
		t.Errorf("Debian:10 newest %v age %q", d10.Newest, d10.Age)
	}
}

// TestEcosystemCountsSurviveOtherImports: a source re-imported or left
// alone keeps its per-ecosystem counts; two sources holding the same
// ecosystem are summed.
func TestEcosystemCountsSurviveOtherImports(t *testing.T) {
	p := filepath.Join(t.TempDir(), "e.db")
	mustWrite(t, p, mustOSV(t, quickstart()))
	st := mustWrite(t, p, mustOSV(t, td("osv")))
	go1 := 0
	for _, e := range st.Ecosystems {
		if e.Ecosystem == "Go" {
			go1 = e.Records
		}
	}
	if go1 != 5 {
		t.Fatalf("Go records after importing another source: %d, want 5", go1)
	}
	st = mustWrite(t, p, mustOSV(t, vulndbtest.Testdata("report/records")))
	for _, e := range st.Ecosystems {
		if e.Ecosystem == "Go" && (e.Records != 7 || len(e.Sources) != 2) {
			t.Errorf("Go summed over two sources: %+v, want 5+2 records", e)
		}
	}
}

// TestRecordByID: any source's record by id; nil when none holds it.
func TestRecordByID(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r.db")
	mustWrite(t, p, mustOSV(t, td("severity")))
	db, err := vulndb.Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.RecordByID("GHSA-g5gj-9ggf-9vmq")
	if err != nil || r == nil || r.Severity.CVSSv3 == nil || r.Severity.Level != "medium" {
		t.Fatalf("GHSA-g5gj-9ggf-9vmq: %+v, %v", r, err)
	}
	if r, err := db.RecordByID("GHSA-ppp9-7jff-5vj2"); r != nil || err != nil {
		t.Errorf("absent id: %+v, %v", r, err)
	}
}

// TestMergeSeveritySource: Source follows the data that decides Level.
func TestMergeSeveritySource(t *testing.T) {
	low := vulndb.Severity{Level: "low", Ecosystem: "low", Source: "DEBIAN-CVE-1"}
	cvss := vulndb.Severity{Level: "high", Score: 7.5, CVSSv3: &vulndb.CVSS{Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 7.5}, Source: "CVE-1"}
	none := vulndb.Severity{Level: "unknown"}
	cases := []struct {
		a, b   vulndb.Severity
		source string
	}{
		{low, cvss, "CVE-1"},        // the score decides: CVE-1's
		{cvss, low, "CVE-1"},        // the ecosystem rating adds nothing
		{none, low, "DEBIAN-CVE-1"}, // the only rating
		{none, none, ""},            // nothing rated: no source
		{none.Attributed("GO-1"), none, ""},
	}
	for _, c := range cases {
		if got := vulndb.MergeSeverity(c.a, c.b); got.Source != c.source {
			t.Errorf("MergeSeverity(%+v, %+v).Source = %q, want %q", c.a, c.b, got.Source, c.source)
		}
	}
	if s := cvss.Attributed("X"); s.Source != "CVE-1" {
		t.Error("Attributed overwrote a source")
	}
	if s := (vulndb.Severity{Level: "medium"}).Attributed("GHSA-1"); s.Source != "GHSA-1" {
		t.Error("Attributed did not set the source")
	}
}
