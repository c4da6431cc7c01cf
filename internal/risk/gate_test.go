package risk

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

// TestGateCoverage: --fail-on-exposed never passes over a scan without an
// advisory database, nor over an exposed workload's image that was not
// scanned or whose scan is incomplete; an incomplete scan of an image no
// exposed workload runs does not block it (docs/risk.md).
func TestGateCoverage(t *testing.T) {
	nginx := scan.Target{Kind: "image", Name: "docker.io/library/nginx:1.27"}
	other := scan.Target{Kind: "image", Name: "docker.io/library/redis:7"}
	cases := []struct {
		name    string
		results []*scan.Result
		gate    int
		want    string
	}{
		{"not scanned", nil, 1, "image docker.io/library/nginx:1.27 not scanned, run by exposed workload(s) docker:web"},
		{"no db", []*scan.Result{{Schema: scan.Schema, Target: nginx, Coverage: &scan.Coverage{DB: scan.CoverageDBNone, Packages: 3, Unchecked: 3}}},
			1, "no advisory database for docker.io/library/nginx:1.27: run sightline db update"},
		{"unchecked", []*scan.Result{{Schema: scan.Schema, Target: nginx, Coverage: &scan.Coverage{DB: scan.CoverageDBOK, Packages: 3, Unchecked: 2}}},
			1, "incomplete scan of docker.io/library/nginx:1.27 (2 package(s) unchecked, 0 file(s) skipped) run by exposed workload(s) docker:web"},
		{"complete", []*scan.Result{{Schema: scan.Schema, Target: nginx, Coverage: &scan.Coverage{DB: scan.CoverageDBOK, Packages: 3}}}, 0, ""},
		{"unchecked, not run", []*scan.Result{
			{Schema: scan.Schema, Target: nginx, Coverage: &scan.Coverage{DB: scan.CoverageDBOK, Packages: 3}},
			{Schema: scan.Schema, Target: other, Coverage: &scan.Coverage{DB: scan.CoverageDBOK, Packages: 3, Unchecked: 1}}}, 0, ""},
	}
	for _, tc := range cases {
		rep := Assess(tagInventory(), tc.results, Options{})
		got := UncheckedForGate(rep)
		if len(got) != tc.gate || (tc.gate > 0 && got[0] != tc.want) {
			t.Errorf("%s: gate gaps %q, want %d: %q", tc.name, got, tc.gate, tc.want)
		}
	}
	rep := Assess(tagInventory(), nil, Options{})
	if g := rep.Coverage.ImagesNotScanned; len(g) != 1 || !g[0].Exposed {
		t.Errorf("images_not_scanned: %+v", g)
	}
	rep = Assess(tagInventory(), cases[2].results, Options{})
	if g := rep.Coverage.ScanGaps; len(g) != 1 || !g[0].Exposed || len(g[0].Workloads) != 1 || g[0].Workloads[0] != "docker:web" {
		t.Errorf("scan_gaps: %+v", g)
	}
	var b bytes.Buffer
	rep = Assess(tagInventory(), cases[1].results, Options{})
	if !NoDB(rep) {
		t.Error("NoDB false for a scan with db none")
	}
	if err := WriteTable(&b, rep, 0, 80); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "NOT CHECKED: no advisory database") || !strings.Contains(b.String(), "EXPOSED to the internet") {
		t.Errorf("table:\n%s", b.String())
	}
}

// TestSeverityLevels: levels are case-normalised; a level that is no
// known one is ranked and gated as unknown, with a coverage note.
func TestSeverityLevels(t *testing.T) {
	finding := func(id, level string) scan.Finding {
		return scan.Finding{Vulnerability: vulndb.Vulnerability{ID: id, Severity: vulndb.Severity{Level: level}},
			Package: scan.PackageRef{Name: "nginx", Version: "1.27", Ecosystem: "Debian"}}
	}
	r := &scan.Result{Schema: scan.Schema, Target: scan.Target{Kind: "image", Name: "docker.io/library/nginx:1.27"},
		Findings: []scan.Finding{finding("A", "CRITICAL"), finding("B", "ultra"), finding("C", " Low ")},
		Coverage: &scan.Coverage{DB: scan.CoverageDBOK, Packages: 1}}
	rep := Assess(tagInventory(), []*scan.Result{r}, Options{})
	levels := map[string]string{}
	for _, rk := range rep.Risks {
		levels[rk.ID] = rk.Severity.Level
	}
	if levels["A"] != "critical" || levels["B"] != "unknown" || levels["C"] != "low" {
		t.Errorf("levels %v", levels)
	}
	if hit := ExposedAtOrAbove(rep, "critical"); len(hit) != 2 {
		t.Errorf("--fail-on-exposed critical: %d rows, want 2 (CRITICAL and the unknown ultra)", len(hit))
	}
	want := `docker.io/library/nginx:1.27: finding B: severity level "ultra" is not low, medium, high or critical: counted as unknown`
	if n := rep.Coverage.SeverityNotes; len(n) != 1 || n[0] != want {
		t.Errorf("severity notes %q", n)
	}
}

// TestTableEscapesControls: a hostile advisory ID or summary that reached
// the report (e.g. from the database) is printed with visible escapes,
// never raw, in the table and its footer.
func TestTableEscapesControls(t *testing.T) {
	r := &scan.Result{Schema: scan.Schema, Target: scan.Target{Kind: "image", Name: "docker.io/library/nginx:1.27\x1b[31m"},
		Findings: []scan.Finding{{Vulnerability: vulndb.Vulnerability{ID: "GHSA-\x1b[2J\x1b[31mEVIL\nX", Severity: vulndb.Severity{Level: "ultra\x1b[0m"}},
			Package: scan.PackageRef{Name: "nginx\x07", Version: "1"}}},
		Coverage: &scan.Coverage{DB: scan.CoverageDBOK, Packages: 2, Unchecked: 1}}
	var b bytes.Buffer
	if err := WriteTable(&b, Assess(nil, []*scan.Result{r}, Options{}), 0, 80); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\x07") || !strings.Contains(b.String(), `GHSA-\x1b[2J`) {
		t.Errorf("table:\n%q", b.String())
	}
}
