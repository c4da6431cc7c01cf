package match

import (
	"context"
	"errors"
	"testing"

	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// reasonOf returns the UncheckedError reason of err ("" for nil).
func reasonOf(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ue *UncheckedError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v is not an *UncheckedError", err)
	}
	return ue.Reason
}

// TestUncheckedReasons: a database of the real Go quickstart records and
// the report fixtures (Debian, npm GHSA, and CVE records naming Alpine
// v3.12 to v3.21) tells every kind of package it cannot check apart from
// one it checked and found clean.
func TestUncheckedReasons(t *testing.T) {
	db := buildDB(t, vulndbtest.Testdata("quickstart"), vulndbtest.Testdata("report/records"))
	if !db.HasEcosystem("Alpine:v3.12") || db.HasEcosystem("Alpine:v3.10") || !db.HasEcosystem("Go") {
		t.Fatalf("fixture DB ecosystems changed: %v", db.Ecosystems())
	}
	m := New(db)
	ctx := context.Background()
	cases := []struct {
		name   string
		q      Query
		reason string
		ids    []string // when checked: exactly these findings
	}{
		{"pkg:generic has no ecosystem", Query{Ecosystem: "", Name: "openssl", Version: "3.0.2"}, NoSource, nil},
		{"an ecosystem no source publishes", Query{Ecosystem: "CentOS:7", Name: "bash", Version: "4.2.46-34.el7"}, NoSource, nil},
		{"a release the DB holds no records for (only v3.12+)",
			Query{Ecosystem: "Alpine:v3.10", Name: "util-linux", Version: "2.33.2-r0", SourceName: "util-linux"}, NotLoaded, nil},
		{"an ecosystem with a source but nothing imported", Query{Ecosystem: "PyPI", Name: "jinja2", Version: "2.10"}, NotLoaded, nil},
		{"no version", Query{Ecosystem: "npm", Name: "lodash", Version: ""}, NoVersion, nil},
		{"garbage npm version", Query{Ecosystem: "npm", Name: "lodash", Version: "zzz-garbage"}, BadVersion, nil},
		{"garbage Go version", Query{Ecosystem: "Go", Name: "golang.org/x/text", Version: "notaversion"}, BadVersion, nil},
		{"garbage apk source version",
			Query{Ecosystem: "Alpine:v3.12", Name: "util-linux", Version: "2.35.2-r0", SourceName: "util-linux", SourceVersion: "junk"},
			BadVersion, nil},
		{"loaded release, affected", Query{Ecosystem: "Alpine:v3.12", Name: "libblkid", Version: "2.35.2-r0", SourceName: "util-linux"},
			"", []string{"CVE-2022-0563"}},
		{"loaded release, fixed version: checked, clean",
			Query{Ecosystem: "Alpine:v3.12", Name: "util-linux", Version: "2.37.4-r0", SourceName: "util-linux"}, "", nil},
		{"real npm version", Query{Ecosystem: "npm", Name: "lodash", Version: "4.17.15"},
			"", []string{"GHSA-35jh-r3h4-6jhm", "GHSA-p6mc-m468-83gw"}},
	}
	for _, c := range cases {
		got, err := m.Match(ctx, c.q)
		if r := reasonOf(t, err); r != c.reason {
			t.Errorf("%s: reason %q (%v), want %q", c.name, r, err, c.reason)
			continue
		}
		if c.reason != "" {
			continue
		}
		if g := ids(got); len(g) != len(c.ids) || (len(g) > 0 && !equal(g, c.ids)) {
			t.Errorf("%s: findings %v, want %v", c.name, g, c.ids)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestGoStdlibUnparseableVersion is issue 7's case: against the whole
// pinned Go vulndb, stdlib@notaversion matched every stdlib advisory
// (163) because the lenient ordering put it below every release. It is
// now unchecked (bad_version), and so is a Go binary's build-info version
// with junk after it; a real version is still matched.
func TestGoStdlibUnparseableVersion(t *testing.T) {
	m := New(buildDB(t, vulndbtest.GoVulnDB(t)))
	ctx := context.Background()
	for _, v := range []string{"notaversion", "v1.21.0\x00\x13\x88junk", "go1.21.0 garbage", "\xde\xad\xbe\xef"} {
		got, err := m.Match(ctx, Query{Ecosystem: "Go", Name: "stdlib", Version: v})
		if reasonOf(t, err) != BadVersion || len(got) != 0 {
			t.Errorf("stdlib@%q: %d findings, %v; want bad_version", v, len(got), err)
		}
	}
	got, err := m.Match(ctx, Query{Ecosystem: "Go", Name: "stdlib", Version: "v1.21.0"})
	if err != nil || find(got, "GO-2023-2102") == nil {
		t.Fatalf("stdlib v1.21.0: %v, %v; want GO-2023-2102 (fixed 1.21.3) among them", ids(got), err)
	}
}

// TestSeverityFromAliases: Go records carry no severity; the finding takes
// it from an alias's record when the database holds one, and says which.
// Expectations are read off the records in testdata/vulndb/severity.
func TestSeverityFromAliases(t *testing.T) {
	ctx := context.Background()
	q := func(name, v string) Query { return Query{Ecosystem: "Go", Name: name, Version: v} }
	t.Run("without alias records", func(t *testing.T) {
		m := New(buildDB(t, vulndbtest.Testdata("quickstart")))
		got, err := m.Match(ctx, q("golang.org/x/text", "v0.3.5"))
		if err != nil || len(got) == 0 {
			t.Fatal(got, err)
		}
		for _, v := range got {
			if v.Severity.Level != "unknown" || v.Severity.Source != "" {
				t.Errorf("%s: severity %+v, want unknown without a source", v.ID, v.Severity)
			}
		}
	})
	m := New(buildDB(t, vulndbtest.Testdata("vulndb/severity")))
	for _, c := range []struct {
		q                     Query
		id, level, source     string
		score                 float64
		vector                string
		ecosystemRatingCopied bool
	}{
		// GHSA-g5gj-9ggf-9vmq: CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H = 5.9, "MODERATE".
		{q("github.com/cloudflare/cfrpki", "v1.3.0"), "GO-2022-0249", "medium", "GHSA-g5gj-9ggf-9vmq", 5.9,
			"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", true},
		// GHSA-vp35-85q5-9f25: no vector, database_specific.severity "LOW".
		{q("github.com/docker/docker", "v20.10.19+incompatible"), "GO-2022-1107", "low", "GHSA-vp35-85q5-9f25", 0, "", true},
		// No GHSA-45x7-px36-x8w8 record here; the Debian CVE record carries
		// NVD's CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N = 5.9.
		{q("golang.org/x/crypto", "v0.16.0"), "GO-2023-2402", "medium", "CVE-2023-48795", 5.9,
			"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N", false},
	} {
		got, err := m.Match(ctx, c.q)
		if err != nil {
			t.Fatal(err)
		}
		v := find(got, c.id)
		if v == nil {
			t.Fatalf("%s: no %s among %v", c.q.Name, c.id, ids(got))
		}
		s := v.Severity
		if s.Level != c.level || s.Source != c.source || s.Score != c.score {
			t.Errorf("%s: severity %+v, want %s %.1f from %s", c.id, s, c.level, c.score, c.source)
		}
		if c.vector != "" && (s.CVSSv3 == nil || s.CVSSv3.Vector != c.vector) {
			t.Errorf("%s: CVSS v3 %+v, want %s", c.id, s.CVSSv3, c.vector)
		}
		if c.ecosystemRatingCopied != (s.Ecosystem != "") {
			t.Errorf("%s: ecosystem rating %q (only a GHSA alias's rating is taken)", c.id, s.Ecosystem)
		}
	}
	// The fixed version is clean: the alias records never add findings.
	if got, err := m.Match(ctx, q("github.com/cloudflare/cfrpki", "v1.4.0")); err != nil || len(got) != 0 {
		t.Errorf("cfrpki v1.4.0: %v %v", ids(got), err)
	}
}

// TestOwnSeveritySource: a record's own rating names the record.
func TestOwnSeveritySource(t *testing.T) {
	m := New(realDB(t))
	got, err := m.Match(context.Background(), Query{Ecosystem: "npm", Name: "lodash", Version: "4.17.15"})
	if err != nil {
		t.Fatal(err)
	}
	v := find(got, "GHSA-p6mc-m468-83gw")
	if v == nil || v.Severity.Source != "GHSA-p6mc-m468-83gw" || vulndb.LevelRank(v.Severity.Level) == 0 {
		t.Fatalf("lodash finding %+v", v)
	}
}
