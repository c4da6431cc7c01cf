package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/image/imagetest"
	"github.com/sightline-sec/sightline/internal/scan"
)

// writeBOM writes a CycloneDX 1.5 SBOM listing the given purls (a purl
// without "@" is a component without a version) into dir.
func writeBOM(t *testing.T, dir string, purls ...string) string {
	t.Helper()
	var comps []string
	for _, p := range purls {
		name, ver := p, ""
		if i := strings.LastIndex(p, "@"); i > 0 {
			name, ver = p[:i], p[i+1:]
		}
		name = name[strings.LastIndex(name, "/")+1:]
		comps = append(comps, fmt.Sprintf(`{"type":"library","name":%q,"version":%q,"purl":%q}`, name, ver, p))
	}
	doc := `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[` + strings.Join(comps, ",") + `]}`
	p := filepath.Join(dir, "bom.cdx.json")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestScanWithoutDBNeverSaysZero is issue 7's case: `scan image … --fail-on
// any` without an advisory database exited 0. It now fails the gate, and
// no output reports a findings count.
func TestScanWithoutDBNeverSaysZero(t *testing.T) {
	archive := "docker-archive:" + writeDockerArchive(t, imagetest.AppImage(t), "")
	c := newCLI(t)
	out, stderr, code := c.run("scan", "image", "--fail-on", "any", archive)
	if code != 1 || !strings.Contains(stderr, "no advisory database") || !strings.Contains(stderr, "--allow-unchecked") {
		t.Fatalf("exit %d, stderr %q; want 1 naming the missing database", code, stderr)
	}
	if strings.Contains(out, "finding(s)") || !strings.Contains(out, "Not checked: no advisory database") {
		t.Errorf("table without a DB:\n%s", out)
	}
	out, _, code = c.run("scan", "image", "--format", "json", "--fail-on", "critical", "--allow-unchecked", archive)
	res := decodeResult(t, out)
	if code != 0 || res.Coverage == nil || res.Coverage.DB != "none" || res.Coverage.Checked != 0 ||
		res.Coverage.Unchecked != len(res.Packages) || len(res.Packages) == 0 {
		t.Errorf("--allow-unchecked: exit %d, coverage %+v for %d packages", code, res.Coverage, len(res.Packages))
	}
	for _, f := range []string{"sarif", "cyclonedx", "spdx"} {
		out, _, _ := c.run("scan", "image", "--format", f, archive)
		if !strings.Contains(out, `"none"`) && !strings.Contains(out, "sightline:coverage:db: none") {
			t.Errorf("%s output does not say there was no database", f)
		}
	}
}

// TestReadmeAlpineSBOMAfterQuickstart is the README's own sequence: import
// the Quickstart's Go records, then scan the Alpine 3.10 SBOM. It said "0
// findings" with no warning; now every package is reported not checked
// (no Alpine:v3.10 records), and a gate fails on it.
func TestReadmeAlpineSBOMAfterQuickstart(t *testing.T) {
	c := newCLI(t)
	c.ok("db", "import", filepath.Join("..", "..", "testdata", "quickstart"))
	bom := filepath.Join("..", "..", "testdata", "sbom", "syft-alpine-3.10.spdx.json")
	out, stderr, code := c.run("scan", "sbom", bom)
	if code != 0 || !strings.Contains(out, "Not checked: 3 of 3 packages") || !strings.Contains(out, "Alpine:v3.10") ||
		!strings.Contains(stderr, "warning: 3 of 3 packages not checked (Alpine:v3.10: 3 no records in the database)") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr: %s", code, out, stderr)
	}
	if _, stderr, code := c.run("scan", "sbom", "--fail-on", "critical", bom); code != 1 || !strings.Contains(stderr, "could not check") {
		t.Errorf("gate: exit %d, stderr %q", code, stderr)
	}
	if _, _, code := c.run("scan", "sbom", "--fail-on", "critical", "--allow-unchecked", bom); code != 0 {
		t.Errorf("--allow-unchecked: exit %d", code)
	}
}

// TestScanSBOMUncheckedKinds: issue 7's SBOM cases in one SBOM, against
// the real records in testdata/vulndb/osv (npm lodash), go-stdlib (a
// stdlib advisory) and the Quickstart (Go): a component without a version,
// pkg:generic, garbage versions of packages advisories name.
func TestScanSBOMUncheckedKinds(t *testing.T) {
	c := newCLI(t)
	c.ok("db", "import", td("osv"), td("go-stdlib"), filepath.Join("..", "..", "testdata", "quickstart"))
	dir := t.TempDir()
	bom := writeBOM(t, dir, "pkg:npm/request", "pkg:generic/openssl@3.0.2", "pkg:npm/lodash@zzz-garbage",
		"pkg:npm/lodash@4.17.15", "pkg:golang/stdlib@notaversion", "pkg:golang/golang.org/x/text@v0.3.5")
	out, stderr, code := c.run("scan", "sbom", "--format", "json", bom)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	res := decodeResult(t, out)
	got := map[string]string{}
	for _, e := range res.Coverage.Ecosystems {
		got[e.Ecosystem] = fmt.Sprintf("%d/%d %v", e.Checked, e.Packages, e.Unchecked)
	}
	want := map[string]string{
		"":    "0/1 map[no_source:1]",
		"npm": "1/3 map[bad_version:1 no_version:1]",
		"Go":  "1/2 map[bad_version:1]",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("coverage %v, want %v", got, want)
	}
	for _, f := range res.Findings {
		if v := f.Package.Version; v == "" || v == "zzz-garbage" || v == "notaversion" {
			t.Errorf("finding %s on unchecked %s@%q", f.ID, f.Package.Name, v)
		}
	}
	if len(res.Findings) == 0 {
		t.Error("the checked packages found nothing; the test proves nothing")
	}
	if strings.Contains(stderr, `"" packages not matched`) || !strings.Contains(stderr, "(no ecosystem): 1 no advisory source") {
		t.Errorf("stderr %q", stderr)
	}

	// SARIF points at the SBOM file, never at a purl (code scanning
	// rejects the pkg: scheme); the purl is the logical location.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, bom)
	if err != nil {
		t.Fatal(err)
	}
	out, _, _ = c.run("scan", "sbom", "--format", "sarif", rel)
	var log struct {
		Runs []struct {
			Results []struct {
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
					} `json:"physicalLocation"`
					LogicalLocations []struct{ FullyQualifiedName string } `json:"logicalLocations"`
				} `json:"locations"`
			} `json:"results"`
			Properties struct {
				Coverage scan.Coverage `json:"coverage"`
			} `json:"properties"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil || len(log.Runs) != 1 || len(log.Runs[0].Results) == 0 {
		t.Fatalf("SARIF: %v\n%.400s", err, out)
	}
	for _, r := range log.Runs[0].Results {
		l := r.Locations[0]
		if u := l.PhysicalLocation.ArtifactLocation.URI; u != filepath.ToSlash(filepath.Clean(rel)) ||
			!strings.HasPrefix(l.LogicalLocations[0].FullyQualifiedName, "pkg:") {
			t.Errorf("location %+v, want the SBOM path %s", l, rel)
		}
	}
	if log.Runs[0].Properties.Coverage.Unchecked != 4 {
		t.Errorf("SARIF run coverage %+v", log.Runs[0].Properties.Coverage)
	}
}

// TestSeverityFromAliasGates is issue 7's severity case on real records:
// a Go advisory has no severity; --fail-on low passed over it. It now
// counts as critical unless rated, and once its GHSA alias is loaded it
// carries GHSA's rating (GHSA-g5gj-9ggf-9vmq: CVSS 3.1 5.9, medium).
func TestSeverityFromAliasGates(t *testing.T) {
	src := filepath.Join("..", "..", "testdata", "vulndb", "severity")
	goOnly := t.TempDir()
	b, err := os.ReadFile(filepath.Join(src, "GO-2022-0249.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(goOnly, "GO-2022-0249.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	bom := writeBOM(t, t.TempDir(), "pkg:golang/github.com/cloudflare/cfrpki@v1.3.0")

	c := newCLI(t)
	c.ok("db", "import", goOnly)
	out, _, code := c.run("scan", "sbom", "--format", "json", "--fail-on", "low", bom)
	if res := decodeResult(t, out); code != 1 || len(res.Findings) != 1 || res.Findings[0].Severity.Level != "unknown" {
		t.Errorf("GO record alone: exit %d, findings %+v; want the unknown finding to fail --fail-on low", code, res.Findings)
	}
	if _, _, code := c.run("scan", "sbom", "--fail-on", "low", "--unknown-as", "none", bom); code != 0 {
		t.Errorf("--unknown-as none: exit %d", code)
	}

	c = newCLI(t)
	c.ok("db", "import", src)
	out, _, code = c.run("scan", "sbom", "--format", "json", "--fail-on", "high", bom)
	res := decodeResult(t, out)
	if code != 0 || len(res.Findings) != 1 {
		t.Fatalf("with the GHSA: exit %d, findings %+v", code, res.Findings)
	}
	if s := res.Findings[0].Severity; s.Level != "medium" || s.Score != 5.9 || s.Source != "GHSA-g5gj-9ggf-9vmq" {
		t.Errorf("severity %+v, want medium 5.9 from GHSA-g5gj-9ggf-9vmq", s)
	}
	if _, _, code := c.run("scan", "sbom", "--fail-on", "medium", bom); code != 1 {
		t.Errorf("--fail-on medium: exit %d, want 1", code)
	}
	out, _, _ = c.run("scan", "sbom", "--format", "sarif", bom)
	if !strings.Contains(out, `"level": "warning"`) || !strings.Contains(out, `"severitySource": "GHSA-g5gj-9ggf-9vmq"`) {
		t.Errorf("SARIF does not follow the alias severity:\n%.2000s", out)
	}
}

// TestDBQueryUnchecked: db query never answers "no known advisories" for a
// version it cannot check; it exits 2 saying why (docs/db.md).
func TestDBQueryUnchecked(t *testing.T) {
	c := newCLI(t)
	c.ok("db", "import", td("osv"), td("go-stdlib"), filepath.Join("..", "..", "testdata", "quickstart"))
	for purl, want := range map[string]string{
		"pkg:golang/stdlib@notaversion":                           `"notaversion" is not a valid Go version (bad_version)`,
		"pkg:npm/lodash@zzz-garbage":                              `"zzz-garbage" is not a valid npm version (bad_version)`,
		"pkg:apk/alpine/busybox@1.30.1-r5?distro=alpine-3.10.9":   "holds no Alpine:v3.10 records",
		"pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-7": "holds no Debian:7 records",
	} {
		out, stderr, code := c.run("db", "query", purl)
		if code != 2 || !strings.Contains(stderr, want) || strings.Contains(out, "no known advisories") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 2 and %q", purl, code, out, stderr, want)
		}
	}
	if d := c.query("pkg:npm/lodash@4.17.15"); len(d.Vulnerabilities) == 0 {
		t.Error("a real version is no longer answered")
	}
	if d := c.query("pkg:golang/stdlib@v1.21.0"); len(d.Vulnerabilities) != 1 || d.Vulnerabilities[0].ID != "GO-2023-2102" {
		t.Errorf("stdlib v1.21.0: %v, want GO-2023-2102 (fixed 1.21.3)", d.ids())
	}
	// A version of a package no advisory names cannot change the answer:
	// "checked, nothing known" (docs/db.md).
	if d := c.query("pkg:npm/left-pad@not-a-version"); len(d.Vulnerabilities) != 0 {
		t.Errorf("left-pad: %v", d.ids())
	}
}

// TestDBStatusEcosystems: db status lists every ecosystem with its record
// count and the age of its newest record, counted from the real records.
func TestDBStatusEcosystems(t *testing.T) {
	c := newCLI(t)
	c.ok("db", "import", td("osv"))
	var st struct {
		Ecosystems []struct {
			Ecosystem string `json:"ecosystem"`
			Records   int    `json:"records"`
			Newest    string `json:"newest"`
			Age       string `json:"age"`
		} `json:"ecosystems"`
	}
	out := c.ok("db", "status", "--format", "json")
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range st.Ecosystems {
		got[e.Ecosystem] = e.Records
		if e.Newest == "" || e.Age == "" {
			t.Errorf("%s: no newest record date/age: %+v", e.Ecosystem, e)
		}
	}
	// Read off testdata/vulndb/osv: 2 DSAs and 4 CVE records name Debian:12,
	// only CVE-2010-0928 names Debian:10, two CVE records name Alpine:v3.17;
	// one GHSA each for npm, Maven and RubyGems, a GHSA and a PYSEC for PyPI.
	for eco, n := range map[string]int{"Debian:12": 6, "Debian:10": 1, "Alpine:v3.17": 2, "npm": 1, "Maven": 1,
		"RubyGems": 1, "PyPI": 2} {
		if got[eco] != n {
			t.Errorf("%s: %d records, want %d (all: %v)", eco, got[eco], n, got)
		}
	}
	table := c.ok("db", "status")
	if !strings.Contains(table, "ECOSYSTEM") || !strings.Contains(table, "RubyGems") {
		t.Errorf("status table:\n%s", table)
	}
}
