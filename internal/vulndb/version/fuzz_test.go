package version

import "testing"

// FuzzCompare: no parser panics on any input, and comparison is
// antisymmetric for every ecosystem whose parser accepts both strings.
func FuzzCompare(f *testing.F) {
	for _, s := range [][2]string{
		{"1.0.0-alpha", "1.0.0-alpha.1"}, {"1:2.30-1~deb12u1", "2.30-1"}, {"1.2.3-r0", "1.2.3_rc1-r1"},
		{"v0.0.0-20210101000000-abcdefabcdef", "0.3.7"}, {"1.0a1", "1.0.post1"}, {"1.0-SNAPSHOT", "1.0"},
		{"2.36-9+deb12u4", "2.36-9+deb12u10"}, {"", "~"}, {"1.0.0+incompatible", "v2.0.0"},
	} {
		f.Add(s[0], s[1])
	}
	ecos := []string{"Go", "npm", "PyPI", "Maven", "RubyGems", "NuGet", "Packagist", "Debian:12", "Alpine:v3.19", "Red Hat", "Amazon Linux:2023", "CRAN", "Hackage", "Pub", "crates.io"}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, eco := range ecos {
			parse, err := ForEcosystem(eco)
			if err != nil {
				t.Fatal(err)
			}
			va, err1 := parse(a)
			vb, err2 := parse(b)
			if err1 != nil || err2 != nil {
				continue
			}
			if x, y := va.Compare(vb), vb.Compare(va); x != -y {
				t.Errorf("%s: compare(%q,%q)=%d but reverse=%d", eco, a, b, x, y)
			}
		}
		if _, err := SemVer(a); err != nil {
			t.Errorf("SemVer(%q) failed: %v", a, err)
		}
	})
}
