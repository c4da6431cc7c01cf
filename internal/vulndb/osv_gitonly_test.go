package vulndb

import (
	"os"
	"testing"
)

// A real Debian record has an affected entry with no package and only GIT
// ranges; it must import (the entry is skipped), not fail the whole source.
func TestParseOSVSkipsPackagelessGitEntry(t *testing.T) {
	const path = "../../testdata/vulndb-gitonly/CVE-2016-0701.json"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseOSV(path, data)
	if err != nil {
		t.Fatalf("ParseOSV: %v", err)
	}
	if len(p.Packages) == 0 {
		t.Fatal("no package entries kept")
	}
	for _, e := range p.Packages {
		if e.Ecosystem == "" || e.Name == "" {
			t.Errorf("kept a package-less entry: %+v", e)
		}
	}
}
