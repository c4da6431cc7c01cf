package match

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// TestNamesPerEcosystem: for each ecosystem, a real record whose package
// name differs from the query only by that ecosystem's equivalence (it
// must match), and a name that must not. Records: testdata/vulndb/names
// (Go vulndb, GHSA, PyPA) and testdata/vulndb/osv/debian; versions are
// inside the records' ranges.
func TestNamesPerEcosystem(t *testing.T) {
	m := New(buildDB(t, vulndbtest.Testdata("vulndb/names"), vulndbtest.Testdata("vulndb/osv/debian")))
	ctx := context.Background()
	cases := []struct {
		why  string
		q    Query
		want []string // exactly these ids
		note string   // a note containing this is expected ("" = no note)
	}{
		// Go: module paths are case-sensitive (the case).
		{"go exact path", Query{Ecosystem: "Go", Name: "github.com/1Panel-dev/1Panel", Version: "v1.4.3"}, []string{"GO-2023-2006"}, ""},
		{"go proxy-escaped path", Query{Ecosystem: "Go", Name: "github.com/1!panel-dev/1!panel", Version: "v1.4.3"}, []string{"GO-2023-2006"}, ""},
		{"go lowercased purl", Query{Ecosystem: "Go", Name: "github.com/1panel-dev/1panel", Version: "v1.4.3", NameCaseUnknown: true},
			[]string{"GO-2023-2006"}, "matched the advisories of github.com/1Panel-dev/1Panel"},
		{"go lower-case path from a binary is another module", Query{Ecosystem: "Go", Name: "github.com/1panel-dev/1panel", Version: "v1.4.3"}, nil, ""},
		{"go other case", Query{Ecosystem: "Go", Name: "github.com/1Panel-dev/1panel", Version: "v1.4.3"}, nil, ""},
		{"go: the two real paths that differ only in case stay apart", Query{Ecosystem: "Go", Name: "github.com/0xJacky/nginx-ui", Version: "v1.0.0"},
			[]string{"GO-2026-4901"}, ""},
		{"go lowercased purl, ambiguous", Query{Ecosystem: "Go", Name: "github.com/0xjacky/nginx-ui", Version: "v1.0.0", NameCaseUnknown: true},
			[]string{"GO-2024-2462", "GO-2026-4901"}, "ambiguous; matched the advisories of github.com/0xJacky/Nginx-UI and github.com/0xJacky/nginx-ui"},
		// npm: case-sensitive; legacy upper-case names exist.
		{"npm exact", Query{Ecosystem: "npm", Name: "Haraka", Version: "2.8.8"}, []string{"GHSA-w5m8-5v9m-xhx5"}, ""},
		{"npm other case", Query{Ecosystem: "npm", Name: "haraka", Version: "2.8.8"}, nil, ""},
		{"npm lowercased purl", Query{Ecosystem: "npm", Name: "haraka", Version: "2.8.8", NameCaseUnknown: true},
			[]string{"GHSA-w5m8-5v9m-xhx5"}, "matched the advisories of Haraka"},
		{"npm lowercase name, no variants: no note", Query{Ecosystem: "npm", Name: "pubnub", Version: "7.3.0", NameCaseUnknown: true},
			[]string{"GHSA-5844-q3fc-56rh"}, ""},
		// PyPI: PEP 503.
		{"pypi separators and case", Query{Ecosystem: "PyPI", Name: "Flask_OIDC", Version: "0.1.2"}, []string{"PYSEC-2016-25"}, ""},
		{"pypi dots", Query{Ecosystem: "PyPI", Name: "flask.oidc", Version: "0.1.2"}, []string{"PYSEC-2016-25"}, ""},
		{"pypi without separator", Query{Ecosystem: "PyPI", Name: "flaskoidc", Version: "0.1.2"}, nil, ""},
		// NuGet: case-insensitive IDs; both real spellings of jQuery match.
		{"nuget jQuery", Query{Ecosystem: "NuGet", Name: "jQuery", Version: "3.3.1"}, []string{"GHSA-6c3j-c64m-qhgq", "GHSA-gxr4-xjj5-5px2"}, ""},
		{"nuget jquery", Query{Ecosystem: "NuGet", Name: "jquery", Version: "3.3.1"}, []string{"GHSA-6c3j-c64m-qhgq", "GHSA-gxr4-xjj5-5px2"}, ""},
		{"nuget case", Query{Ecosystem: "NuGet", Name: "Magick.NET-Q16-AnyCPU", Version: "13.2.0"}, []string{"GHSA-j7hp-h8jx-5ppr"}, ""},
		{"nuget has no separator folding", Query{Ecosystem: "NuGet", Name: "Magick_NET-Q16-AnyCPU", Version: "13.2.0"}, nil, ""},
		{"nuget Pubnub", Query{Ecosystem: "NuGet", Name: "PubNub", Version: "6.18.0"}, []string{"GHSA-5844-q3fc-56rh"}, ""},
		{"nuget runtime pack as the advisory names it", Query{Ecosystem: "NuGet", Name: "Microsoft.NETCore.App.Runtime.linux-x64", Version: "6.0.2"},
			[]string{"GHSA-5v8v-66v8-mwm7"}, ""},
		{"nuget runtime pack as a self-contained .deps.json names it, unmapped", Query{Ecosystem: "NuGet", Name: "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64", Version: "6.0.2"},
			nil, ""},
		// Maven: groupId:artifactId, case-sensitive.
		{"maven exact", Query{Ecosystem: "Maven", Name: "org.apache.jmeter:ApacheJMeter", Version: "5.0"}, []string{"GHSA-wg37-7mrv-cfwm"}, ""},
		{"maven other case", Query{Ecosystem: "Maven", Name: "org.apache.jmeter:apachejmeter", Version: "5.0"}, nil, ""},
		// RubyGems: case-sensitive.
		{"gem exact", Query{Ecosystem: "RubyGems", Name: "RedCloth", Version: "4.2.9"}, []string{"GHSA-r23g-3qw4-gfh2"}, ""},
		{"gem other case", Query{Ecosystem: "RubyGems", Name: "redcloth", Version: "4.2.9"}, nil, ""},
		// Packagist: case-insensitive vendor/name.
		{"packagist case", Query{Ecosystem: "Packagist", Name: "PubNub/PubNub", Version: "6.0.0"}, []string{"GHSA-5844-q3fc-56rh"}, ""},
		{"packagist has no separator folding", Query{Ecosystem: "Packagist", Name: "pubnub/pub_nub", Version: "6.0.0"}, nil, ""},
		// crates.io: case-insensitive, "-" = "_".
		{"crates underscore", Query{Ecosystem: "crates.io", Name: "libwebp_sys", Version: "0.9.2"}, []string{"GHSA-j7hp-h8jx-5ppr"}, ""},
		{"crates case", Query{Ecosystem: "crates.io", Name: "LibWebP-Sys", Version: "0.9.2"}, []string{"GHSA-j7hp-h8jx-5ppr"}, ""},
		{"crates dot is no separator", Query{Ecosystem: "crates.io", Name: "libwebp.sys", Version: "0.9.2"}, nil, ""},
		// Hex and Pub: lower-case names, compared exactly.
		{"hex exact", Query{Ecosystem: "Hex", Name: "phoenix_html", Version: "3.0.3"}, []string{"GHSA-5g2h-9x5v-5h3x"}, ""},
		{"hex has no separator folding", Query{Ecosystem: "Hex", Name: "phoenix-html", Version: "3.0.3"}, nil, ""},
		{"pub exact", Query{Ecosystem: "Pub", Name: "pubnub", Version: "4.2.0"}, []string{"GHSA-5844-q3fc-56rh"}, ""},
		{"pub other case", Query{Ecosystem: "Pub", Name: "PubNub", Version: "4.2.0"}, nil, ""},
		// Distributions: exact (Debian names are lower case by policy).
		{"debian exact", Query{Ecosystem: "Debian:12", Name: "openssl", Version: "3.0.11-1~deb12u1", SourceName: "openssl"},
			[]string{"CVE-2010-0928", "DSA-5532-1", "DSA-5764-1"}, ""},
		{"debian other case", Query{Ecosystem: "Debian:12", Name: "OpenSSL", Version: "3.0.11-1~deb12u1", SourceName: "OpenSSL"}, nil, ""},
	}
	rp, err := FromPURL("pkg:nuget/runtimepack.Microsoft.NETCore.App.Runtime.linux-x64@6.0.2")
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, struct {
		why  string
		q    Query
		want []string
		note string
	}{"nuget runtime pack purl, mapped", rp, []string{"GHSA-5v8v-66v8-mwm7"}, ""})
	for _, c := range cases {
		got, err := m.Match(ctx, c.q)
		if err != nil {
			t.Errorf("%s: %v", c.why, err)
			continue
		}
		if !slices.Equal(ids(got), c.want) {
			t.Errorf("%s: %+v → %v, want %v", c.why, c.q, ids(got), c.want)
		}
		notes := m.Notes()
		switch {
		case c.note == "" && len(notes) > 0:
			t.Errorf("%s: unexpected notes %q", c.why, notes)
		case c.note != "" && (len(notes) != 1 || !strings.Contains(notes[0], c.note)):
			t.Errorf("%s: notes %q, want one containing %q", c.why, notes, c.note)
		}
	}
}
