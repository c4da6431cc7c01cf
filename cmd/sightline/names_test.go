package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestGoPathCaseCLI is issue 7's case: `db query` and `scan sbom` of
// github.com/1Panel-dev/1Panel v1.4.3 find GO-2023-2006 (real Go vulndb
// record, testdata/vulndb/names), whether the purl keeps the path's case
// or its producer lowercased it (then with a warning).
func TestGoPathCaseCLI(t *testing.T) {
	c := newCLI(t)
	c.ok("db", "import", td("names"))

	out, errs, code := c.run("db", "query", "pkg:golang/github.com/1Panel-dev/1Panel@v1.4.3")
	if code != 0 || !strings.Contains(out, "GO-2023-2006") || strings.Contains(errs, "case") {
		t.Fatalf("query with case: exit %d\n%s\n%s", code, out, errs)
	}
	out, errs, code = c.run("db", "query", "pkg:golang/github.com/1panel-dev/1panel@v1.4.3")
	if code != 0 || !strings.Contains(out, "GO-2023-2006") || !strings.Contains(errs, "warning:") || !strings.Contains(errs, "github.com/1Panel-dev/1Panel") {
		t.Fatalf("lower-cased query: exit %d\n%s\n%s", code, out, errs)
	}

	bom := filepath.Join(t.TempDir(), "bom.cdx.json")
	doc := `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
	  {"type": "library", "name": "github.com/1panel-dev/1panel", "version": "v1.4.3", "purl": "pkg:golang/github.com/1panel-dev/1panel@v1.4.3"}]}`
	if err := os.WriteFile(bom, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code = c.run("scan", "sbom", "--offline", "--format", "json", bom)
	if code != 0 {
		t.Fatalf("scan sbom: exit %d\n%s", code, errs)
	}
	res := decodeResult(t, out)
	var ids []string
	for _, f := range res.Findings {
		ids = append(ids, f.ID)
	}
	if !slices.Contains(ids, "GO-2023-2006") {
		t.Errorf("scan sbom findings %v lack GO-2023-2006", ids)
	}
	if !slices.ContainsFunc(res.Warnings, func(w string) bool {
		return strings.Contains(w, "matched the advisories of github.com/1Panel-dev/1Panel")
	}) {
		t.Errorf("scan sbom warnings %q lack the case note", res.Warnings)
	}
	if len(res.Packages) != 1 || !res.Packages[0].NameCaseUnknown {
		t.Errorf("package %+v: want name_case_unknown", res.Packages)
	}
}

// TestOldSchemaCLI: a database written before per-ecosystem name keys
// (schema 1) is refused with exit 2 and how to rebuild it; the next import
// builds a new one and warns that the old file's other sources were
// dropped (they cannot be copied across schemas).
func TestOldSchemaCLI(t *testing.T) {
	c := newCLI(t)
	c.ok("db", "import", td("names"), td("kev/known_exploited_vulnerabilities-subset.json"))
	p := filepath.Join(c.cache, "db", "sightline.db")
	b, err := bolt.Open(p, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("1")) })
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"db", "query", "pkg:nuget/jQuery@3.3.1"}, {"db", "status"}} {
		if _, errs, code := c.run(args...); code != 2 || !strings.Contains(errs, "schema 1") || !strings.Contains(errs, "sightline db update") {
			t.Errorf("%v on schema 1: exit %d, stderr %q", args, code, errs)
		}
	}
	_, errs, code := c.run("db", "import", td("names"))
	if code != 0 || !strings.Contains(errs, "schema 1") || !strings.Contains(errs, "re-import the other sources") {
		t.Errorf("db import over schema 1: exit %d, stderr %q; want a warning that the old sources were dropped", code, errs)
	}
	if ids := c.query("pkg:nuget/jQuery@3.3.1").ids(); !slices.Equal(ids, []string{"GHSA-6c3j-c64m-qhgq", "GHSA-gxr4-xjj5-5px2"}) {
		t.Errorf("after rebuilding: %v", ids)
	}
}
