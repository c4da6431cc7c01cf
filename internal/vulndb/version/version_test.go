package version

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// fixtures pairs OSV ecosystems with the OSV project's version-ordering
// test vectors (testdata/vulndb/version-orderings, from osv-scalibr's
// semantic/testdata; see PROVENANCE.md there).
var fixtures = []struct{ eco, file string }{
	{"npm", "semver-versions.txt"},
	{"crates.io", "semver-versions.txt"},
	{"Go", "semver-versions.txt"},
	{"Hex", "semver-versions.txt"},
	{"RubyGems", "rubygems-versions.txt"},
	{"RubyGems", "rubygems-versions-generated.txt"},
	{"NuGet", "nuget-versions.txt"},
	{"Packagist", "packagist-versions.txt"},
	{"Packagist", "packagist-versions-generated.txt"},
	{"Maven", "maven-versions.txt"},
	{"Maven", "maven-versions-generated.txt"},
	{"PyPI", "pypi-versions.txt"},
	{"PyPI", "pypi-versions-generated.txt"},
	{"Debian:12", "debian-versions.txt"},
	{"Debian:12", "debian-versions-generated.txt"},
	{"Ubuntu:22.04:LTS", "debian-versions.txt"},
	{"CRAN", "cran-versions.txt"},
	{"CRAN", "cran-versions-generated.txt"},
	{"Alpine:v3.19", "alpine-versions.txt"},
	{"Alpine:v3.19", "alpine-versions-generated.txt"},
	{"Red Hat", "redhat-versions.txt"},
	{"Hackage", "hackage-versions.txt"},
	{"Pub", "pub-versions.txt"},
}

// TestOrderingFixtures checks every "A < B", "A = B", "A > B" line with
// the ecosystem's parser, as upstream's own test does. For Go it also
// checks the "v"-prefixed spelling inventories use.
func TestOrderingFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.eco+"/"+fx.file, func(t *testing.T) {
			parse, err := ForEcosystem(fx.eco)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			forEachLine(t, fx.file, func(a, op, b string) {
				want := map[string]int{"<": -1, "=": 0, ">": 1}[op]
				check(t, parse, a, b, want)
				if Base(fx.eco) == "Go" {
					check(t, parse, "v"+a, "v"+b, want)
				}
				n++
			})
			if n == 0 {
				t.Fatal("no comparisons read")
			}
		})
	}
}

func check(t *testing.T, parse Parser, a, b string, want int) {
	t.Helper()
	va, err1 := parse(a)
	vb, err2 := parse(b)
	if err1 != nil || err2 != nil {
		t.Errorf("parse %q / %q: %v %v", a, b, err1, err2)
		return
	}
	if got := va.Compare(vb); got != want {
		t.Errorf("compare(%q, %q) = %d, want %d", a, b, got, want)
	}
	if got := vb.Compare(va); got != -want {
		t.Errorf("compare(%q, %q) = %d, want %d", b, a, got, -want)
	}
}

func forEachLine(t *testing.T, file string, fn func(a, op, b string)) {
	t.Helper()
	f, err := os.Open(filepath.Join(vulndbtest.Testdata("vulndb/version-orderings"), file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "// ") {
			continue
		}
		p := strings.Split(line, " ")
		if len(p) != 3 {
			t.Fatalf("%s: malformed line %q", file, line)
		}
		fn(p[0], p[1], p[2])
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownEcosystem(t *testing.T) {
	for _, eco := range []string{"NoSuchEcosystem", "", "GIT"} {
		if _, err := ForEcosystem(eco); err == nil {
			t.Errorf("ForEcosystem(%q) accepted an unknown ecosystem", eco)
		}
	}
}
