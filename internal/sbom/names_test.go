package sbom

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/match"
	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// cdxGo is a CycloneDX document naming github.com/1Panel-dev/1Panel
// v1.4.3 three ways SBOM producers do: purl with the path's case (syft),
// purl lowercased per the purl spec but the component name with case, and
// both lowercased (the case is lost).
const cdxGo = `{
  "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
  "components": [
    {"type": "library", "name": "github.com/1Panel-dev/1Panel", "version": "v1.4.3",
     "purl": "pkg:golang/github.com/1Panel-dev/1Panel@v1.4.3"},
    {"type": "library", "group": "github.com/1Panel-dev", "name": "1Panel", "version": "v1.4.3",
     "purl": "pkg:golang/github.com/1panel-dev/1panel@v1.4.3?type=module"},
    {"type": "library", "name": "github.com/1panel-dev/1panel", "version": "v1.4.3",
     "purl": "pkg:golang/github.com/1panel-dev/1panel@v1.4.3"},
    {"type": "library", "name": "Haraka", "version": "2.8.8", "purl": "pkg:npm/haraka@2.8.8"}
  ]
}`

// TestSBOMNameCase: the case end to end — every spelling finds
// GO-2023-2006 (real record, testdata/vulndb/names); only the one whose
// case is lost is flagged, and matching says what it assumed.
func TestSBOMNameCase(t *testing.T) {
	ctx := context.Background()
	doc, err := Parse(ctx, strings.NewReader(cdxGo))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		name    string
		unknown bool
	}
	var gs []got
	for _, p := range doc.Packages {
		gs = append(gs, got{p.Name, p.NameCaseUnknown})
	}
	want := []got{{"github.com/1Panel-dev/1Panel", false}, {"github.com/1Panel-dev/1Panel", false},
		{"github.com/1panel-dev/1panel", true}, {"Haraka", false}}
	if !slices.Equal(gs, want) {
		t.Fatalf("packages %+v, want %+v", gs, want)
	}

	bt, err := vulndb.ReadOSV(ctx, vulndbtest.Testdata("vulndb/names"), vulndb.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "db")
	if _, err := vulndb.Write(ctx, path, bt); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := match.New(db)
	for _, p := range doc.Packages {
		vs, err := m.Match(ctx, match.Query{Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version, NameCaseUnknown: p.NameCaseUnknown})
		if err != nil {
			t.Fatal(err)
		}
		wantID := map[string]string{"Go": "GO-2023-2006", "npm": "GHSA-w5m8-5v9m-xhx5"}[p.Ecosystem]
		if !slices.ContainsFunc(vs, func(v vulndb.Vulnerability) bool { return v.ID == wantID }) {
			t.Errorf("%s (%s): %d findings, %s missing", p.Name, p.PURL, len(vs), wantID)
		}
	}
	if notes := m.Notes(); len(notes) != 1 || !strings.Contains(notes[0], "github.com/1panel-dev/1panel") {
		t.Errorf("notes %q, want one for the lower-cased path", notes)
	}
}
