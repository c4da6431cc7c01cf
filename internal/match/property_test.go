package match

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/mod/semver"

	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

type goRec struct {
	ID       string `json:"id"`
	Affected []struct {
		Package struct{ Name, Ecosystem string } `json:"package"`
		Ranges  []struct {
			Type   string              `json:"type"`
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
	} `json:"affected"`
	Withdrawn string `json:"withdrawn"`
}

func reports(vs []vulndb.Vulnerability, id string) bool {
	for _, v := range vs {
		if v.ID == id || slices.Contains(v.Aliases, id) {
			return true
		}
	}
	return false
}

// oracle says whether v (no "v" prefix) is inside any of ranges, using
// golang.org/x/mod/semver — an implementation independent of the one
// under test — and the OSV rule: introduced opens, fixed closes.
func oracle(ranges [][]map[string]string, v string) bool {
	for _, events := range ranges {
		evs := slices.Clone(events)
		key := func(e map[string]string) string {
			if x := e["introduced"]; x != "" {
				if x == "0" {
					return "v0.0.0-0"
				}
				return "v" + x
			}
			return "v" + e["fixed"]
		}
		slices.SortStableFunc(evs, func(a, b map[string]string) int { return semver.Compare(key(a), key(b)) })
		in := false
		for _, e := range evs {
			if semver.Compare("v"+v, key(e)) < 0 {
				break
			}
			in = e["introduced"] != ""
		}
		if in {
			return true
		}
	}
	return false
}

// TestGoVulnDBProperty: over the whole pinned Go vulndb, for every SEMVER
// range, each introduced version is reported and each fixed version is
// not — unless another range of the same record for the same package
// covers it (then the oracle above says so). Queries use the "v" prefix
// Go tooling uses. Expectations come from the records themselves.
func TestGoVulnDBProperty(t *testing.T) {
	dir := vulndbtest.GoVulnDB(t)
	m := New(buildDB(t, dir))
	ctx := context.Background()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) < 4000 {
		t.Fatalf("Go vulndb at %s: %d records, %v", dir, len(files), err)
	}
	checks, covered := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r goRec
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if r.Withdrawn != "" {
			continue
		}
		byPkg := map[string][][]map[string]string{}
		for _, a := range r.Affected {
			for _, rg := range a.Ranges {
				if rg.Type == "SEMVER" {
					byPkg[a.Package.Name] = append(byPkg[a.Package.Name], rg.Events)
				}
			}
		}
		for name, ranges := range byPkg {
			for _, events := range ranges {
				for _, ev := range events {
					for kind, v := range ev {
						if v == "0" || (kind != "introduced" && kind != "fixed") {
							continue
						}
						want := kind == "introduced"
						if !want && oracle(ranges, v) {
							want = true // another range of this record covers the fixed version
							covered++
						}
						got, err := m.Match(ctx, Query{Ecosystem: "Go", Name: name, Version: "v" + v})
						if err != nil {
							t.Fatalf("%s %s@v%s: %v", r.ID, name, v, err)
						}
						if reports(got, r.ID) != want {
							t.Errorf("%s: %s %s@v%s: reported=%v, want %v", r.ID, kind, name, v, !want, want)
						}
						checks++
					}
				}
			}
		}
	}
	if checks < 8000 {
		t.Fatalf("only %d checks ran", checks)
	}
	t.Logf("%d introduced/fixed checks over %d records (%d fixed versions covered by another range)", checks, len(files), covered)
}
