package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/report/reporttest"
	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/suppress"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/report/golden")

// fixedNow is the injected clock of every golden file.
var fixedNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func fixture(t *testing.T) *scan.Result {
	t.Helper()
	r, err := reporttest.Fixture()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// suppressedFixture is the fixture after the test VEX document and an
// ignore entry, with suppressed findings kept (--show-suppressed).
func suppressedFixture(t *testing.T) *scan.Result {
	t.Helper()
	res := fixture(t)
	v, err := suppress.LoadVEX(filepath.Join(reporttest.Dir(), "vex", "fixture.openvex.json"))
	if err != nil {
		t.Fatal(err)
	}
	ig, err := suppress.ParseIgnore([]byte("ignore:\n  - id: CVE-2019-1010022\n    package: glibc\n    reason: Debian rates it unimportant\n    expires: 2027-06-30\n"))
	if err != nil {
		t.Fatal(err)
	}
	ig.Path = ".sightline.yaml"
	suppress.Apply(res, suppress.Options{Ignore: ig, VEX: []*suppress.VEX{v}, Now: fixedNow})
	// Golden files must not depend on the checkout path.
	for i := range res.Suppressed {
		if s := res.Suppressed[i].Suppression; s != nil {
			s.Source = filepath.Base(s.Source)
		}
	}
	return res
}

// uncheckedFixture is the fixture with what a real scan cannot always
// check: a pkg:generic component (no advisory source) and a status file a
// layer could not read.
func uncheckedFixture(t *testing.T) *scan.Result {
	t.Helper()
	res := fixture(t)
	res.Packages = append(res.Packages, inventory.Package{Name: "openssl", Version: "3.0.2", Type: "generic",
		PURL: "pkg:generic/openssl@3.0.2", Locations: []string{"/opt/vendor/openssl/VERSION"}})
	res.Coverage = reporttest.CheckedAll(res.Packages)
	c := res.Coverage
	c.Checked--
	c.Unchecked++
	c.Ecosystems[0] = scan.EcosystemCoverage{Ecosystem: "", Packages: 1, Unchecked: map[string]int{scan.UncheckedNoSource: 1}}
	layer := 3
	c.SkippedFiles = []scan.SkippedFile{{Path: "/var/lib/dpkg/status.d/nginx-extras", Layer: &layer,
		Reason: scan.SkipTooLarge, Detail: "160 MiB is over the 128 MiB limit"}}
	return res
}

// noDBFixture is the fixture's inventory scanned without any advisory
// database: no findings, and nothing checked.
func noDBFixture(t *testing.T) *scan.Result {
	t.Helper()
	res := fixture(t)
	res.Findings, res.DB = []scan.Finding{}, nil
	res.Coverage = reporttest.CheckedAll(res.Packages)
	c := res.Coverage
	c.DB, c.Unchecked, c.Checked = scan.CoverageDBNone, c.Packages, 0
	for i := range c.Ecosystems {
		e := &c.Ecosystems[i]
		e.Unchecked, e.Checked = map[string]int{scan.UncheckedNoDB: e.Packages}, 0
	}
	return res
}

var variants = map[string]func(*testing.T) *scan.Result{
	"plain": fixture, "suppressed": suppressedFixture, "unchecked": uncheckedFixture, "nodb": noDBFixture,
}

var goldenExt = map[string]string{
	"table": "txt", "json": "json", "sarif": "sarif.json",
	"cyclonedx": "cdx.json", "cyclonedx-vex": "cdx-vex.json", "spdx": "spdx.json",
}

func render(t *testing.T, res *scan.Result, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if opts.Now.IsZero() {
		opts.Now = fixedNow
	}
	opts.ToolVersion = "v0.0.0-test"
	if err := Render(&buf, res, opts); err != nil {
		t.Fatalf("%s: %v", opts.Format, err)
	}
	return buf.Bytes()
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(reporttest.Dir(), "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (run go test ./internal/report -update and review the diff)\n--- got ---\n%s", name, got)
	}
}

func TestGolden(t *testing.T) {
	for _, variant := range []string{"plain", "suppressed", "unchecked", "nodb"} {
		for _, format := range Formats {
			t.Run(variant+"/"+format, func(t *testing.T) {
				res := variants[variant](t)
				opts := Options{Format: format}
				got := render(t, res, opts)
				checkGolden(t, variant+"."+goldenExt[format], got)
				// Rendering twice gives identical bytes (map order, sorting).
				if again := render(t, res, opts); !bytes.Equal(got, again) {
					t.Error("output is not deterministic")
				}
			})
		}
	}
	t.Run("color", func(t *testing.T) {
		checkGolden(t, "plain.color.txt", render(t, fixture(t), Options{Format: "table", Color: true}))
	})
}

func TestRenderDoesNotMutate(t *testing.T) {
	res := suppressedFixture(t)
	before, _ := json.Marshal(res)
	for _, f := range Formats {
		render(t, res, Options{Format: f})
	}
	after, _ := json.Marshal(res)
	if !bytes.Equal(before, after) {
		t.Error("a renderer changed the result")
	}
}

func TestUnknownFormat(t *testing.T) {
	err := Render(&bytes.Buffer{}, fixture(t), Options{Format: "xml"})
	if err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Fatalf("error %v", err)
	}
}

func TestEmptyResult(t *testing.T) {
	res := &scan.Result{Schema: scan.Schema, Target: scan.Target{Kind: "fs", Name: "/srv/empty"}}
	for _, f := range Formats {
		out := render(t, res, Options{Format: f})
		if f != "table" && !json.Valid(out) {
			t.Errorf("%s: invalid JSON %s", f, out)
		}
	}
	var doc struct {
		Findings []any `json:"findings"`
		Packages []any `json:"packages"`
	}
	out := render(t, res, Options{Format: "json"})
	if err := json.Unmarshal(out, &doc); err != nil || doc.Findings == nil || doc.Packages == nil {
		t.Errorf("empty lists must be [] not null: %s", out)
	}
	if !strings.Contains(string(render(t, res, Options{Format: "table"})), "0 finding(s)") {
		t.Error("table summary missing")
	}
}

// schema compiles one of the official schemas in testdata/report/schemas.
func schema(t *testing.T, main string, extra ...string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	dir := filepath.Join(reporttest.Dir(), "schemas")
	load := func(name string) any {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	id := func(doc any) string {
		m := doc.(map[string]any)
		if s, ok := m["$id"].(string); ok {
			return s
		}
		return m["id"].(string)
	}
	mainDoc := load(main)
	if err := c.AddResource(id(mainDoc), mainDoc); err != nil {
		t.Fatal(err)
	}
	base := id(mainDoc)[:strings.LastIndex(id(mainDoc), "/")+1]
	for _, e := range extra {
		if err := c.AddResource(base+e, load(e)); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Compile(id(mainDoc))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSchemas(t *testing.T) {
	sarif := schema(t, "sarif-schema-2.1.0.json")
	cdx := schema(t, "bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json")
	spdx := schema(t, "spdx-schema-2.3.json")
	for _, variant := range []string{"plain", "suppressed", "unchecked", "nodb"} {
		res := variants[variant](t)
		for format, s := range map[string]*jsonschema.Schema{"sarif": sarif, "cyclonedx": cdx, "cyclonedx-vex": cdx, "spdx": spdx} {
			out := render(t, res, Options{Format: format})
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			if err := s.Validate(doc); err != nil {
				t.Errorf("%s/%s does not validate against its schema: %v", variant, format, err)
			}
		}
	}
	// The validator is not vacuous: a SARIF log with a bad level fails.
	bad := map[string]any{"version": "2.1.0", "runs": []any{map[string]any{
		"tool":    map[string]any{"driver": map[string]any{"name": "x"}},
		"results": []any{map[string]any{"message": map[string]any{"text": "m"}, "level": "critical"}},
	}}}
	if err := sarif.Validate(bad); err == nil {
		t.Error("SARIF schema accepted level \"critical\"")
	}
}

// TestCoverageEveryFormat: what was not checked is in every format, and a
// scan without an advisory database never reports a findings count.
func TestCoverageEveryFormat(t *testing.T) {
	for name, mk := range map[string]func(*testing.T) *scan.Result{"unchecked": uncheckedFixture, "nodb": noDBFixture} {
		res := mk(t)
		table := string(render(t, res, Options{Format: "table"}))
		if name == "nodb" && (strings.Contains(table, "finding(s)") || !strings.Contains(table, "no advisory database")) {
			t.Errorf("nodb table:\n%s", table)
		}
		if name == "unchecked" && !strings.Contains(table, "Not checked: 1 of 12 packages") {
			t.Errorf("unchecked table:\n%s", table)
		}
		for _, l := range strings.Split(table[strings.Index(table, "Not checked"):], "\n") {
			if n := len([]rune(l)); n > 80 {
				t.Errorf("footer line of %d columns: %q", n, l)
			}
		}
		var doc struct {
			Coverage scan.Coverage `json:"coverage"`
		}
		if err := json.Unmarshal(render(t, res, Options{Format: "json"}), &doc); err != nil || doc.Coverage.DB != res.Coverage.DB ||
			doc.Coverage.Unchecked != res.Coverage.Unchecked || len(doc.Coverage.SkippedFiles) != len(res.Coverage.SkippedFiles) {
			t.Errorf("%s JSON coverage %+v (%v)", name, doc.Coverage, err)
		}
		var sarif struct {
			Runs []struct {
				Properties struct {
					Coverage scan.Coverage `json:"coverage"`
				} `json:"properties"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(render(t, res, Options{Format: "sarif"}), &sarif); err != nil ||
			sarif.Runs[0].Properties.Coverage.Unchecked != res.Coverage.Unchecked || sarif.Runs[0].Properties.Coverage.DB != res.Coverage.DB {
			t.Errorf("%s SARIF run coverage %+v (%v)", name, sarif.Runs, err)
		}
		for _, f := range []string{"cyclonedx", "cyclonedx-vex", "spdx"} {
			if out := string(render(t, res, Options{Format: f})); !strings.Contains(out, "sightline:coverage:db") ||
				!strings.Contains(out, "sightline:coverage:unchecked") {
				t.Errorf("%s %s: no coverage properties", name, f)
			}
		}
	}
}

// TestSARIFSBOMLocation: an SBOM scan's results point at the SBOM file
// (a relative path, or a file: URI when absolute), never at a purl, which
// GitHub code scanning rejects as an unknown URI scheme; the purl is the
// logical location.
func TestSARIFSBOMLocation(t *testing.T) {
	for file, want := range map[string]string{
		"sbom/app.cdx.json":     "sbom/app.cdx.json",
		"./bom with space.json": "bom%20with%20space.json",
		"/srv/ci/bom.spdx.json": "file:///srv/ci/bom.spdx.json",
		"c:weird/bom.json":      "./c:weird/bom.json",
	} {
		res := fixture(t)
		res.Target = scan.Target{Kind: "sbom", Name: file + " (app)", File: file}
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
			} `json:"runs"`
		}
		if err := json.Unmarshal(render(t, res, Options{Format: "sarif"}), &log); err != nil || len(log.Runs[0].Results) == 0 {
			t.Fatal(err)
		}
		for _, r := range log.Runs[0].Results {
			l := r.Locations[0]
			if l.PhysicalLocation.ArtifactLocation.URI != want || !strings.HasPrefix(l.LogicalLocations[0].FullyQualifiedName, "pkg:") {
				t.Errorf("%s: location %+v, want uri %s and the purl as logical location", file, l, want)
			}
		}
	}
}
