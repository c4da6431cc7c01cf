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
	for _, variant := range []string{"plain", "suppressed"} {
		for _, format := range Formats {
			t.Run(variant+"/"+format, func(t *testing.T) {
				res := fixture(t)
				opts := Options{Format: format}
				if variant == "suppressed" {
					res = suppressedFixture(t)
				}
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
	for _, variant := range []string{"plain", "suppressed"} {
		res := fixture(t)
		if variant == "suppressed" {
			res = suppressedFixture(t)
		}
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
