package match

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// TestUnsortedRangeEvaluation: a range evaluated from events in published
// (here: reversed) order, as done for ranges the importer could not sort,
// gives the same verdict and fixed version as the import-sorted range, at
// every event version of every range of the real test records.
func TestUnsortedRangeEvaluation(t *testing.T) {
	checks := 0
	for _, root := range []string{vulndbtest.Testdata("quickstart"), vulndbtest.Testdata("vulndb/osv")} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || (filepath.Ext(p) != ".json" && filepath.Ext(p) != ".yaml") {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rec, err := vulndb.ParseOSV(p, data)
			if err != nil {
				return err
			}
			for _, pkg := range rec.Packages {
				for _, r := range pkg.Affected.Ranges {
					if !r.Sorted {
						continue
					}
					parse, err := vulndb.ParserFor(r.Type, pkg.Ecosystem)
					if err != nil {
						return err
					}
					shuffled := vulndb.Range{Type: r.Type, Events: slices.Clone(r.Events)}
					slices.Reverse(shuffled.Events)
					for _, e := range r.Events {
						v, err := parse(e.Version)
						if err != nil {
							continue // "0"
						}
						in1, fix1 := evalRange(r, v, parse)
						in2, fix2 := evalRange(shuffled, v, parse)
						if in1 != in2 || fix1 != fix2 {
							t.Errorf("%s %s@%s: sorted (%v, %q), unsorted (%v, %q)", rec.Record.ID, pkg.Name, e.Version, in1, fix1, in2, fix2)
						}
						checks++
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checks < 20 {
		t.Fatalf("only %d checks: test data missing?", checks)
	}
}
