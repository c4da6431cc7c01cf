package match

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// buildDB imports the given OSV paths into a fresh database and opens it.
func buildDB(t testing.TB, paths ...string) *vulndb.DB {
	t.Helper()
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "sightline.db")
	var batches []*vulndb.Batch
	for _, p := range paths {
		bt, err := vulndb.ReadOSV(ctx, p, vulndb.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, bt)
	}
	if _, err := vulndb.Write(ctx, dbPath, batches...); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func ids(vs []vulndb.Vulnerability) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

func find(vs []vulndb.Vulnerability, id string) *vulndb.Vulnerability {
	for i := range vs {
		if vs[i].ID == id {
			return &vs[i]
		}
	}
	return nil
}

// TestQuickstartXText checks the done criterion on the bundled records:
// x/text v0.3.5 is affected by GO-2021-0113 (fixed 0.3.7), v0.3.7 is not.
func TestQuickstartXText(t *testing.T) {
	m := New(buildDB(t, vulndbtest.Testdata("quickstart")))
	ctx := context.Background()
	got, err := m.Match(ctx, Query{Ecosystem: "Go", Name: "golang.org/x/text", Version: "v0.3.5"})
	if err != nil {
		t.Fatal(err)
	}
	v := find(got, "GO-2021-0113")
	if v == nil {
		t.Fatalf("GO-2021-0113 not reported for v0.3.5: %v", ids(got))
	}
	if !slices.Equal(v.Aliases, []string{"CVE-2021-38561", "GHSA-ppp9-7jff-5vj2"}) {
		t.Errorf("aliases %v", v.Aliases)
	}
	if !slices.Equal(v.FixedVersions, []string{"0.3.7"}) || v.FixState != vulndb.FixStateFixed {
		t.Errorf("fixed %v state %s", v.FixedVersions, v.FixState)
	}
	if find(got, "GO-2020-0015") != nil {
		t.Errorf("GO-2020-0015 (fixed 0.3.3) reported for 0.3.5")
	}
	got, err = m.Match(ctx, Query{Ecosystem: "Go", Name: "golang.org/x/text", Version: "v0.3.7"})
	if err != nil {
		t.Fatal(err)
	}
	if find(got, "GO-2021-0113") != nil {
		t.Errorf("GO-2021-0113 reported for fixed v0.3.7")
	}
	if find(got, "GO-2022-1059") == nil {
		t.Errorf("GO-2022-1059 (fixed 0.3.8) not reported for 0.3.7: %v", ids(got))
	}
}

// TestConcurrentMatch: one Matcher over one DB serves many goroutines (run
// with -race).
func TestConcurrentMatch(t *testing.T) {
	m := New(buildDB(t, vulndbtest.Testdata("quickstart"), vulndbtest.Testdata("vulndb/osv")))
	done := make(chan error)
	for g := range 4 {
		go func() {
			var err error
			for i := range 200 {
				q := Query{Ecosystem: "Go", Name: "golang.org/x/text", Version: "v0.3.5"}
				if (i+g)%2 == 1 {
					q = Query{Ecosystem: "Debian:12", Name: "libssl3", SourceName: "openssl", Version: "3.0.11-1~deb12u1"}
				}
				var got []vulndb.Vulnerability
				if got, err = m.Match(context.Background(), q); err == nil && len(got) == 0 {
					err = context.Canceled
				}
				if err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestFromPURL(t *testing.T) {
	cases := map[string]Query{
		"pkg:golang/golang.org/x/text@v0.3.5":                                    {Ecosystem: "Go", Name: "golang.org/x/text", Version: "v0.3.5", NameCaseUnknown: true},
		"pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12":               {Ecosystem: "Debian:12", Name: "openssl", Version: "3.0.11-1~deb12u2", SourceName: "openssl"},
		"pkg:deb/debian/libssl3@3.0.11-1?distro=bookworm&source=openssl":         {Ecosystem: "Debian:12", Name: "libssl3", Version: "3.0.11-1", SourceName: "openssl"},
		"pkg:apk/alpine/libcrypto3@3.1.4-r5?distro=alpine-3.19.1&origin=openssl": {Ecosystem: "Alpine:v3.19", Name: "libcrypto3", Version: "3.1.4-r5", SourceName: "openssl"},
		"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1":                   {Ecosystem: "Maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1"},
		"pkg:npm/%40babel/traverse@7.23.1":                                       {Ecosystem: "npm", Name: "@babel/traverse", Version: "7.23.1", NameCaseUnknown: true},
		"pkg:golang/github.com/1Panel-dev/1Panel@v1.4.3":                         {Ecosystem: "Go", Name: "github.com/1Panel-dev/1Panel", Version: "v1.4.3"},
		"pkg:golang/github.com/1%21panel-dev/1%21panel@v1.4.3":                   {Ecosystem: "Go", Name: "github.com/1Panel-dev/1Panel", Version: "v1.4.3"},
		"pkg:nuget/runtimepack.Microsoft.NETCore.App.Runtime.linux-x64@8.0.0":    {Ecosystem: "NuGet", Name: "Microsoft.NETCore.App.Runtime.linux-x64", Version: "8.0.0"},
		"pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.18?distro=ubuntu-22.04":           {Ecosystem: "Ubuntu:22.04:LTS", Name: "openssl", Version: "3.0.2-0ubuntu1.18", SourceName: "openssl"},
	}
	for in, want := range cases {
		got, err := FromPURL(in)
		if err != nil || got != want {
			t.Errorf("FromPURL(%s) = %+v, %v; want %+v", in, got, err, want)
		}
	}
}
