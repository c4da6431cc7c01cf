package match

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// fixtureVersions reads both sides of every "A < B" line of an OSV
// version-ordering fixture.
func fixtureVersions(t testing.TB, name string) []string {
	t.Helper()
	f, err := os.Open(vulndbtest.Testdata(filepath.Join("vulndb", "version-orderings", name)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		for _, op := range []string{" < ", " = ", " > "} {
			if a, b, ok := strings.Cut(sc.Text(), op); ok {
				out = append(out, a, b)
			}
		}
	}
	if err := sc.Err(); err != nil || len(out) == 0 {
		t.Fatalf("%s: %d versions, %v", name, len(out), err)
	}
	return out
}

// notWellFormed are the versions in the real-data fixtures that the
// ecosystem's own tools refuse, so Sightline must too:
//   - PyPI: exactly the 69 versions pip's vendored packaging 23.2.1
//     (`pip._vendor.packaging.version.Version`) raises InvalidVersion for,
//     i.e. legacy non-PEP 440 versions ("0.3m1", "2.0.0-final", dates);
//     checked by running it over the whole fixture.
//   - Packagist: versions Composer's VersionParser has no form for
//     ("post" and "test" are not Composer stability flags; "dev" takes no
//     number).
//   - Maven: tokens without a single digit: they order below every
//     release, so an installed "stable" would fall in every range.
var notWellFormed = map[string][]string{
	"PyPI": {"-class.-jw.util.version.Version-", "0.0.1-test1", "0.1-bulbasaur", "0.1-charmander", "0.3.1-p1",
		"0.3m1", "0.3m2", "0.3m3", "0.3m4", "0.3m5", "0.4.0-p1", "0.4m1", "0.4m2", "0.4m3", "0.4m4", "0.4m5",
		"0.5m1", "0.5m2", "0.5m3", "0.5m4", "0.5m5", "0.6m1", "0.6m2", "0.6m3", "0.6m4", "0.6m5", "0.6m6",
		"0.7.1.fix1", "0.7.10p1", "0.7.11p1", "0.7.11p2", "0.7.11p3", "0.7.4.svn.r2010", "0.8.1p1", "0.8.3p1",
		"0.8.4p1", "0.8.4p2", "0.8.6p1", "0.8.7p1", "0.9-doduo", "0.9-eevee", "0.9-fearow", "0.9-gyarados",
		"0.9-horsea", "0.9-ivysaur", "1.0beta6.1", "1.3.1-STAGING", "2.0.0-final", "2.0.1rc2-git",
		"2013-01-21T20:33:09+0100", "2013-01-23T17:11:52+0100", "2013-02-01T20:50:46+0100",
		"2013-02-02T19:59:03+0100", "2013-02-02T20:23:17+0100", "2013-02-08T17:40:57+0000",
		"2013-03-27T16:32:26+0100", "2013-05-09T12:47:53+0200", "2013-05-10T17:55:56+0200",
		"2013-05-14T20:16:05+0200", "2013-06-01T10:32:51+0200", "2013-07-19T09:11:08+0000",
		"2013-08-12T21:48:56+0200", "2013-09-11T19-27-10", "2013-12-23T17-51-15", "2014-01-12T15-52-10",
		"4.11-final", "5.0-final", "a3", "trunk"},
	"Packagist": {"0.0.1-test1", "1.5.1.dev100", "1.5.1.dev101", "3.0.0b1.post1", "3.0.0b1.post2",
		"3.0.0b2.post1", "3.0.0b2.post2", "3.1.0.post1", "3.2.0rc1.post1", "3.5.0.post1", "3.5.2.post1"},
	"Maven": {"SNAPHSOT", "client_hc_no_vehicle", "stable"},
}

// TestRealVersionsAreWellFormed: every version in the OSV project's
// real-data ordering fixtures is accepted for its ecosystem, except the
// ones the ecosystem's own tools refuse (listed above), and those are
// refused.
func TestRealVersionsAreWellFormed(t *testing.T) {
	for file, eco := range map[string]string{
		"alpine-versions-generated.txt": "Alpine:v3.19", "cran-versions-generated.txt": "CRAN",
		"debian-versions-generated.txt": "Debian:12", "maven-versions-generated.txt": "Maven",
		"packagist-versions-generated.txt": "Packagist", "pypi-versions-generated.txt": "PyPI",
		"rubygems-versions-generated.txt": "RubyGems", "hackage-versions.txt": "Hackage",
		"nuget-versions.txt": "NuGet",
	} {
		refused := map[string]bool{}
		for _, v := range fixtureVersions(t, file) {
			if err := checkVersion(eco, v); err != nil {
				refused[v] = true
			}
		}
		var got []string
		for v := range refused {
			got = append(got, v)
		}
		slices.Sort(got)
		want := slices.Clone(notWellFormed[eco])
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s (%s): refused %q\nwant refused %q", file, eco, got, want)
		}
	}
}

// TestAdvisoryVersionsAreWellFormed: every version the real advisory
// records in testdata name (range events other than the "0" sentinel and
// `versions` lists) is accepted for the record's ecosystem.
func TestAdvisoryVersionsAreWellFormed(t *testing.T) {
	var files []string
	for _, dir := range []string{"vulndb/osv", "vulndb/severity", "quickstart", "report/records"} {
		err := filepath.WalkDir(vulndbtest.Testdata(dir), func(p string, d os.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(p, ".json") {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			Affected []struct {
				Package struct{ Ecosystem string }
				Ranges  []struct {
					Type   string
					Events []map[string]string
				}
				Versions []string
			}
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, a := range rec.Affected {
			eco := a.Package.Ecosystem
			if eco == "" {
				continue
			}
			vs := slices.Clone(a.Versions)
			for _, r := range a.Ranges {
				if r.Type == "GIT" {
					continue
				}
				for _, e := range r.Events {
					for _, v := range e {
						if v != "0" {
							vs = append(vs, v)
						}
					}
				}
			}
			for _, v := range vs {
				n++
				if err := checkVersion(eco, v); err != nil {
					t.Errorf("%s: %v", filepath.Base(f), err)
				}
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d advisory versions checked", n)
	}
}

// TestInventoryVersionsAreWellFormed: the versions the extractors read
// from the real package metadata in testdata are accepted.
func TestInventoryVersionsAreWellFormed(t *testing.T) {
	x, err := inventory.NewExtractor()
	if err != nil {
		t.Fatal(err)
	}
	osRel := map[string]string{"ID": "debian", "VERSION_ID": "12"}
	files := map[string]string{
		"image/debian12/var_lib_dpkg_status":      "var/lib/dpkg/status",
		"inventory/statusd_foo":                   "var/lib/dpkg/status.d/foo",
		"inventory/attrs-22.2.0.METADATA":         "usr/lib/python3/dist-packages/attrs-22.2.0.dist-info/METADATA",
		"inventory/rss-0.2.9.gemspec":             "usr/share/gems/specifications/rss-0.2.9.gemspec",
		"inventory/Cargo.lock":                    "src/app/Cargo.lock",
		"inventory/composer.lock":                 "var/www/composer.lock",
		"inventory/app.deps.json":                 "app/TestLibrary.deps.json",
		"image/nodeapp/package-lock.json":         "srv/app/package-lock.json",
		"inventory/com.google.src.yolo-0.1.2.jar": "app/lib/com.google.src.yolo-0.1.2.jar",
	}
	ecos := map[string]int{}
	for src, path := range files {
		b, err := os.ReadFile(vulndbtest.Testdata(src))
		if err != nil {
			t.Fatal(err)
		}
		recs, skips, err := x.Extract(context.Background(), path, 0o644, b)
		if len(recs) == 0 {
			t.Fatalf("%s: no packages (%v %v)", src, skips, err)
		}
		for _, r := range recs {
			p := r.Package(osRel)
			ecos[p.Ecosystem]++
			v := p.Version
			if p.SourceVersion != "" {
				v = p.SourceVersion
			}
			if err := checkVersion(p.Ecosystem, v); err != nil {
				t.Errorf("%s: %s: %v", src, p.Name, err)
			}
		}
	}
	for _, eco := range []string{"Debian:12", "PyPI", "RubyGems", "crates.io", "Packagist", "NuGet", "npm", "Maven"} {
		if ecos[eco] == 0 {
			t.Errorf("no %s package among %v: the test would prove nothing for it", eco, ecos)
		}
	}
}

// TestGarbageVersionsRefused: strings that are no version in any
// ecosystem are refused by every ecosystem's rule.
func TestGarbageVersionsRefused(t *testing.T) {
	garbage := []string{"notaversion", "zzz-garbage", "", " ", "latest", "*", "1.0.0\x00junk", "\xff\xfe1.0",
		"1.2.3 junk", "go1.22.0\x01\x02", strings.Repeat("1", 300)}
	for _, eco := range []string{"Go", "npm", "PyPI", "Maven", "RubyGems", "crates.io", "NuGet", "Packagist",
		"Pub", "Hex", "Debian:12", "Ubuntu:22.04:LTS", "Alpine:v3.19", "Wolfi", "Red Hat", "AlmaLinux:9",
		"SUSE:Linux Enterprise Server 15 SP5", "Hackage", "CRAN", "SwiftURL", "Bitnami", "GHC", "ConanCenter"} {
		for _, v := range garbage {
			if checkVersion(eco, v) == nil {
				t.Errorf("%s accepts %q", eco, v)
			}
		}
	}
}

// BenchmarkCheckVersion: the cost the version rules add per package some
// advisory names, on real versions (compare with BenchmarkLookupMiss,
// ~1 µs per lookup, which pays none of it).
func BenchmarkCheckVersion(b *testing.B) {
	for _, c := range []struct{ eco, file string }{
		{"Debian:12", "debian-versions-generated.txt"}, {"PyPI", "pypi-versions-generated.txt"},
		{"Alpine:v3.19", "alpine-versions-generated.txt"}, {"Maven", "maven-versions-generated.txt"},
	} {
		b.Run(c.eco, func(b *testing.B) {
			vs := fixtureVersions(b, c.file)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = checkVersion(c.eco, vs[i%len(vs)])
			}
		})
	}
}
