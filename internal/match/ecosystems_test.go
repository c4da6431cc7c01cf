package match

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// realDB imports testdata/vulndb: Debian, GHSA and PyPA OSV records, a KEV
// subset and an EPSS subset (all real; see PROVENANCE.md there).
func realDB(t *testing.T) *vulndb.DB {
	t.Helper()
	ctx := context.Background()
	td := vulndbtest.Testdata("vulndb")
	osv, err := vulndb.ReadOSV(ctx, filepath.Join(td, "osv"), vulndb.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kev, err := vulndb.ReadKEV(filepath.Join(td, "kev", "known_exploited_vulnerabilities-subset.json"))
	if err != nil {
		t.Fatal(err)
	}
	epss, err := vulndb.ReadEPSS(filepath.Join(td, "epss", "epss-2021-08-31-subset.vuls-data-raw.json"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sightline.db")
	if _, err := vulndb.Write(ctx, path, osv, kev, epss); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type want struct {
	id      string
	aliases []string // must be among the aliases
	fixed   []string // exact
}

// Expectations below are read off the records in testdata/vulndb/osv.
func TestRealEcosystems(t *testing.T) {
	m := New(realDB(t))
	cases := []struct {
		name string
		q    Query
		want []want   // exactly these ids, in order
		not  []string // ids that must not appear, not even as aliases
	}{
		{"debian source package, two DSAs merged with their CVE records",
			Query{Ecosystem: "Debian:12", Name: "libssl3", Version: "3.0.11-1~deb12u1", SourceName: "openssl"},
			[]want{{"CVE-2010-0928", nil, nil}, {"DSA-5532-1", []string{"CVE-2023-5363"}, []string{"3.0.11-1~deb12u2"}},
				{"DSA-5764-1", []string{"CVE-2024-6119"}, []string{"3.0.14-1~deb12u2"}}},
			[]string{"CVE-2014-0160"}},
		{"debian at the DSA-5532-1 fix",
			Query{Ecosystem: "Debian:12", Name: "openssl", Version: "3.0.11-1~deb12u2", SourceName: "openssl"},
			[]want{{"CVE-2010-0928", nil, nil}, {"DSA-5764-1", []string{"CVE-2024-6119"}, []string{"3.0.14-1~deb12u2"}}},
			[]string{"DSA-5532-1", "CVE-2023-5363"}},
		{"debian binary name without source finds nothing",
			Query{Ecosystem: "Debian:12", Name: "libssl3", Version: "3.0.11-1~deb12u1"}, nil, nil},
		{"debian other release is a different ecosystem (the DSAs only name Debian:12)",
			Query{Ecosystem: "Debian:11", Name: "openssl", Version: "3.0.11-1~deb12u1", SourceName: "openssl"},
			[]want{{"CVE-2010-0928", nil, []string{}}}, []string{"DSA-5532-1", "DSA-5764-1"}},
		{"pypi: PYSEC primary over GHSA, PEP 503 name",
			Query{Ecosystem: "PyPI", Name: "Jinja2", Version: "2.10"},
			[]want{{"PYSEC-2019-217", []string{"CVE-2019-10906", "GHSA-462w-v97r-4m45"}, []string{"2.10.1"}}}, nil},
		{"pypi fixed", Query{Ecosystem: "PyPI", Name: "jinja2", Version: "2.10.1"}, nil, nil},
		{"npm", Query{Ecosystem: "npm", Name: "lodash", Version: "4.17.15"},
			[]want{{"GHSA-p6mc-m468-83gw", []string{"CVE-2020-8203"}, []string{"4.17.19"}}}, nil},
		{"npm below introduced", Query{Ecosystem: "npm", Name: "lodash", Version: "3.6.0"}, nil, nil},
		{"npm last_affected is affected, not fixed", Query{Ecosystem: "npm", Name: "lodash.pick", Version: "4.4.0"},
			[]want{{"GHSA-p6mc-m468-83gw", nil, []string{}}}, nil},
		{"npm above last_affected", Query{Ecosystem: "npm", Name: "lodash.pick", Version: "4.4.1"}, nil, nil},
		{"maven: fixed version of the queried range only", Query{Ecosystem: "Maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1"},
			[]want{{"GHSA-jfh8-c2jp-5v3q", []string{"CVE-2021-44228"}, []string{"2.15.0"}}}, nil},
		{"maven older branch", Query{Ecosystem: "Maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.12.1"},
			[]want{{"GHSA-jfh8-c2jp-5v3q", nil, []string{"2.12.2"}}}, nil},
		{"maven branch fix", Query{Ecosystem: "Maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.12.2"}, nil, nil},
		{"rubygems second range", Query{Ecosystem: "RubyGems", Name: "rack", Version: "2.0.7"},
			[]want{{"GHSA-hrqr-hxpp-chr3", []string{"CVE-2019-16782"}, []string{"2.0.8"}}}, nil},
		{"rubygems between ranges", Query{Ecosystem: "RubyGems", Name: "rack", Version: "1.6.12"}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := m.Match(context.Background(), c.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %d findings", ids(got), len(c.want))
			}
			for i, w := range c.want {
				g := got[i]
				if g.ID != w.id {
					t.Fatalf("finding %d is %s, want %s (all: %v)", i, g.ID, w.id, ids(got))
				}
				for _, a := range w.aliases {
					if !slices.Contains(g.Aliases, a) {
						t.Errorf("%s: alias %s missing from %v", g.ID, a, g.Aliases)
					}
				}
				if w.fixed != nil && !slices.Equal(g.FixedVersions, w.fixed) {
					t.Errorf("%s: fixed %v, want %v", g.ID, g.FixedVersions, w.fixed)
				}
				wantState := vulndb.FixStateNotFixed
				if len(g.FixedVersions) > 0 {
					wantState = vulndb.FixStateFixed
				}
				if g.FixState != wantState {
					t.Errorf("%s: fix state %s", g.ID, g.FixState)
				}
			}
			for _, id := range c.not {
				if reports(got, id) {
					t.Errorf("%s reported", id)
				}
			}
		})
	}
}

// TestSeverityKEVEPSS checks the enrichment of findings: CVSS scores
// computed from the vectors in the records (NVD publishes 8.6 for
// CVE-2019-10906's vector and 10.0 for CVE-2021-44228's), GHSA's own
// rating, KEV entries and EPSS scores of aliases.
func TestSeverityKEVEPSS(t *testing.T) {
	m := New(realDB(t))
	ctx := context.Background()
	one := func(q Query) vulndb.Vulnerability {
		t.Helper()
		got, err := m.Match(ctx, q)
		if err != nil || len(got) == 0 {
			t.Fatalf("%+v: %v %v", q, ids(got), err)
		}
		return got[0]
	}
	j := one(Query{Ecosystem: "PyPI", Name: "jinja2", Version: "2.10"})
	if j.Severity.CVSSv3 == nil || j.Severity.CVSSv3.Score != 8.6 || j.Severity.Level != "high" || j.Severity.Ecosystem != "high" {
		t.Errorf("jinja2 severity %+v", j.Severity)
	}
	if j.Severity.CVSSv4 == nil || j.Severity.CVSSv4.Score <= 0 {
		t.Errorf("jinja2 CVSS v4 missing: %+v", j.Severity)
	}
	if j.EPSS == nil || j.EPSS.CVE != "CVE-2019-10906" || j.EPSS.Date != "2021-08-31" {
		t.Errorf("jinja2 EPSS %+v", j.EPSS)
	}
	l := one(Query{Ecosystem: "Maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1"})
	if l.KEV == nil || l.KEV.CVE != "CVE-2021-44228" || l.KEV.DateAdded != "2021-12-10" || l.KEV.DueDate != "2021-12-24" || !l.KEV.KnownRansomware {
		t.Errorf("log4j KEV %+v", l.KEV)
	}
	if l.Severity.Score != 10 || l.Severity.Level != "critical" {
		t.Errorf("log4j severity %+v", l.Severity)
	}
	h := one(Query{Ecosystem: "Debian:12", Name: "openssl", Version: "1.0.1e-2", SourceName: "openssl"})
	hb := find([]vulndb.Vulnerability{h}, "CVE-2014-0160")
	if hb == nil {
		got, _ := m.Match(ctx, Query{Ecosystem: "Debian:12", Name: "openssl", Version: "1.0.1e-2"})
		hb = find(got, "CVE-2014-0160")
	}
	if hb == nil || hb.KEV == nil || hb.KEV.KnownRansomware || hb.KEV.DateAdded != "2022-05-04" {
		t.Errorf("heartbleed KEV %+v", hb)
	}
}

func TestUnknownEcosystemIsUnchecked(t *testing.T) {
	m := New(realDB(t))
	_, err := m.Match(context.Background(), Query{Ecosystem: "NoSuchEcosystem", Name: "x", Version: "1"})
	if reasonOf(t, err) != NoSource {
		t.Fatalf("unknown ecosystem: %v, want no_source", err)
	}
	got, err := m.Match(context.Background(), Query{Ecosystem: "npm", Name: "no-advisories-for-this", Version: "1.0.0"})
	if err != nil || len(got) != 0 {
		t.Fatalf("package without advisories: %v %v", got, err)
	}
}
