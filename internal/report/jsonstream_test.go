package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/scan"
)

// encodingJSON is what renderJSON wrote before streaming: the whole
// document through encoding/json.
func encodingJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func streamed(t *testing.T, v any, order map[string][]int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := streamJSON(&buf, v, order); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestStreamJSONSameBytes: the streamed scan JSON is byte for byte what
// encoding/json writes for the sorted result — the real fixtures (with
// suppressed findings, nil and empty lists, coverage) and corner cases.
func TestStreamJSONSameBytes(t *testing.T) {
	sorted := func(r *scan.Result) *scan.Result {
		c := *r
		c.Findings = SortFindings(r.Findings)
		if c.Findings == nil {
			c.Findings = []scan.Finding{}
		}
		if c.Packages == nil {
			c.Packages = []inventory.Package{}
		}
		if len(r.Suppressed) > 0 {
			c.Suppressed = SortFindings(r.Suppressed)
		}
		return &c
	}
	withCoverage := fixture(t)
	withCoverage.Coverage = &scan.Coverage{DB: "ok", Packages: 3, Checked: 2, Unchecked: 1,
		Ecosystems: []scan.EcosystemCoverage{{Ecosystem: "npm", Packages: 3, Checked: 2, Unchecked: map[string]int{"no_version": 1}}}}
	cases := map[string]*scan.Result{
		"plain":      fixture(t),
		"suppressed": suppressedFixture(t),
		"coverage":   withCoverage,
		"empty":      {},
		"warnings":   {Schema: scan.Schema, Warnings: []string{"a <b> & c"}, Packages: []inventory.Package{}},
	}
	for name, res := range cases {
		t.Run(name, func(t *testing.T) {
			var got bytes.Buffer
			if err := renderJSON(&got, res); err != nil {
				t.Fatal(err)
			}
			c := sorted(res)
			if c.Schema == "" {
				c.Schema = scan.Schema
			}
			want := encodingJSON(t, c)
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("streamed JSON differs from encoding/json:\n--- got\n%s\n--- want\n%s", got.Bytes(), want)
			}
		})
	}
}

type streamProbe struct {
	A     string            `json:"a,omitempty"`
	B     []int             `json:"b"`
	C     []int             `json:"c,omitempty"`
	D     *int              `json:"d,omitempty"`
	E     time.Time         `json:"e,omitzero"`
	F     map[string][]int  `json:"f"`
	G     []json.RawMessage `json:"g"`
	H     string            `json:"-"`
	I     float64           `json:"i,omitempty"`
	J     []map[string]any  `json:"j"`
	NoTag int
	hide  int
}

// TestStreamJSONRules: encoding/json's field rules (omitempty, omitzero
// with IsZero, "-", untagged, unexported, nil vs empty slices, nested
// values) give the same bytes streamed; order permutes a slice.
func TestStreamJSONRules(t *testing.T) {
	one := 1
	for i, v := range []streamProbe{
		{},
		{A: "x<y>", B: []int{}, C: []int{1, 2}, D: &one, E: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
			F: map[string][]int{"z": {1}, "a": nil}, G: []json.RawMessage{[]byte(`{"k":[1,2]}`)}, H: "h", I: 0.5,
			J: []map[string]any{{"x": []any{}}, {}}, NoTag: 3, hide: 4},
	} {
		if got, want := streamed(t, &v, nil), encodingJSON(t, &v); !bytes.Equal(got, want) {
			t.Errorf("case %d:\n--- got\n%s\n--- want\n%s", i, got, want)
		}
	}
	v := streamProbe{B: []int{10, 20, 30}}
	got := streamed(t, v, map[string][]int{"b": {2, 0, 1}})
	want := encodingJSON(t, streamProbe{B: []int{30, 10, 20}})
	if !bytes.Equal(got, want) {
		t.Errorf("ordered:\n--- got\n%s\n--- want\n%s", got, want)
	}
	// Not a plain struct: encoded in one piece, same bytes.
	for _, v := range []any{[]int{1, 2}, map[string]int{"a": 1}, json.RawMessage(`{"a":1}`)} {
		if got, want := streamed(t, v, nil), encodingJSON(t, v); !bytes.Equal(got, want) {
			t.Errorf("%T:\n--- got\n%s\n--- want\n%s", v, got, want)
		}
	}
}
