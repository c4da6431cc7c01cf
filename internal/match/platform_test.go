package match

import (
	"context"
	"slices"
	"testing"

	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// TestPlatformFilter uses real Go vulndb records (testdata/gobin/records):
// GO-2026-6604 (stdlib, goos windows), GO-2026-5024 (x/sys, goos windows),
// GO-2022-0209 (x/crypto, goarch amd64), GO-2026-6599 (stdlib, any
// platform). Versions are inside each record's range.
func TestPlatformFilter(t *testing.T) {
	m := New(buildDB(t, vulndbtest.Testdata("gobin/records")))
	ctx := context.Background()
	linux := Platform{"linux", "amd64"}
	windows := Platform{"windows", "amd64"}
	for _, c := range []struct {
		name, version string
		plat          Platform
		id            string
		want          bool   // reported
		check         string // GoPlatform when reported
	}{
		{"stdlib", "1.26.8", linux, "GO-2026-6604", false, ""},
		{"stdlib", "1.26.8", windows, "GO-2026-6604", true, PlatformMatched},
		{"stdlib", "1.26.8", Platform{}, "GO-2026-6604", true, PlatformUnknown},
		{"stdlib", "1.26.8", Platform{GOOS: "windows"}, "GO-2026-6604", true, PlatformMatched}, // goarch not restricted
		{"stdlib", "1.26.8", Platform{GOARCH: "amd64"}, "GO-2026-6604", true, PlatformUnknown},
		{"stdlib", "1.26.8", linux, "GO-2026-6599", true, PlatformAny},
		{"stdlib", "1.26.8", Platform{}, "GO-2026-6599", true, PlatformAny},
		{"golang.org/x/sys", "0.43.0", linux, "GO-2026-5024", false, ""},
		{"golang.org/x/sys", "0.43.0", windows, "GO-2026-5024", true, PlatformMatched},
		{"golang.org/x/crypto", "0.0.0-20190308221718-c2843e01d9a2", Platform{"linux", "arm64"}, "GO-2022-0209", false, ""},
		{"golang.org/x/crypto", "0.0.0-20190308221718-c2843e01d9a2", Platform{"darwin", "amd64"}, "GO-2022-0209", true, PlatformMatched},
		{"golang.org/x/crypto", "0.0.0-20190308221718-c2843e01d9a2", Platform{GOOS: "linux"}, "GO-2022-0209", true, PlatformUnknown},
	} {
		got, err := m.Match(ctx, Query{Ecosystem: "Go", Name: c.name, Version: c.version, Platform: c.plat})
		if err != nil {
			t.Fatal(err)
		}
		v := find(got, c.id)
		if (v != nil) != c.want {
			t.Errorf("%s@%s on %+v: %s reported=%v, want %v", c.name, c.version, c.plat, c.id, v != nil, c.want)
			continue
		}
		if v != nil && v.GoPlatform != c.check {
			t.Errorf("%s@%s on %+v: %s platform check %q, want %q", c.name, c.version, c.plat, c.id, v.GoPlatform, c.check)
		}
	}
}

// TestGoImportsStored: the imports come back from the store as the record
// publishes them, only those that apply to the platform.
func TestGoImportsStored(t *testing.T) {
	m := New(buildDB(t, vulndbtest.Testdata("gobin/records")))
	got, err := m.Match(context.Background(), Query{Ecosystem: "Go", Name: "stdlib", Version: "1.26.8", Platform: Platform{"windows", "amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	v := find(got, "GO-2026-6604")
	if v == nil || len(v.GoImports) != 2 {
		t.Fatalf("GO-2026-6604 imports = %+v", v)
	}
	os := v.GoImports[0]
	if os.Path != "os" || !slices.Equal(os.GOOS, []string{"windows"}) || len(os.GOARCH) != 0 ||
		len(os.Symbols) != 13 || os.Symbols[5] != "Root.Mkdir" || v.GoImports[1].Path != "internal/syscall/windows" {
		t.Errorf("imports = %+v", v.GoImports)
	}
}

// TestPlatformMemo: results are memoised per platform, so a linux query
// after a windows one is not served the windows answer.
func TestPlatformMemo(t *testing.T) {
	m := New(buildDB(t, vulndbtest.Testdata("gobin/records")))
	ctx := context.Background()
	var got [][]vulndb.Vulnerability
	for _, p := range []Platform{{"windows", "amd64"}, {"linux", "amd64"}, {"windows", "amd64"}} {
		v, err := m.Match(ctx, Query{Ecosystem: "Go", Name: "golang.org/x/sys", Version: "v0.43.0", Platform: p})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if find(got[0], "GO-2026-5024") == nil || find(got[1], "GO-2026-5024") != nil || find(got[2], "GO-2026-5024") == nil {
		t.Errorf("per-platform answers: %v / %v / %v", ids(got[0]), ids(got[1]), ids(got[2]))
	}
}
