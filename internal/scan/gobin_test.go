package scan

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sightline-sec/sightline/internal/gobin/gobintest"
	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/image/imagetest"
	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/match"
	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// recordsMatcher opens a database built from the real Go vulndb records
// of testdata/gobin/records.
func recordsMatcher(t *testing.T) Matcher {
	t.Helper()
	ctx := context.Background()
	bt, err := vulndb.ReadOSV(ctx, vulndbtest.Testdata("gobin/records"), vulndb.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "sightline.db")
	if _, err := vulndb.Write(ctx, p, bt); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return DBMatcher{M: match.New(db)}
}

// findingAt returns the finding of advisory id on the package found at loc.
func findingAt(res *Result, id, name, loc string) *Finding {
	for i, f := range res.Findings {
		if f.ID != id || f.Package.Name != name {
			continue
		}
		for _, p := range res.Packages {
			if p.Name == name && p.PURL == f.Package.PURL && p.Platform == f.Package.Platform && slices.Contains(p.Locations, loc) {
				return &res.Findings[i]
			}
		}
	}
	return nil
}

// TestGoPlatformAndSymbols is the item 7 on real binaries: one
// program built for linux/amd64 (stripped and not) and windows/amd64 in
// one image, matched against real Go vulndb records. GO-2026-6604 and
// GO-2026-5024 are windows-only: reported for the .exe, not for the linux
// binaries. Symbol evidence says which advisory's functions are linked.
func TestGoPlatformAndSymbols(t *testing.T) {
	linux := gobintest.Binary(t, gobintest.Build{GOOS: "linux", GOARCH: "amd64"})
	stripped := gobintest.Binary(t, gobintest.Build{GOOS: "linux", GOARCH: "amd64", Stripped: true})
	windows := gobintest.Binary(t, gobintest.Build{GOOS: "windows", GOARCH: "amd64"})
	img := imagetest.Image(t, imagetest.AppConfig, imagetest.Step{CreatedBy: "go binaries", Layer: imagetest.Layer(t, []imagetest.File{
		{Path: "usr/local/bin/platapp", Mode: 0o755, Data: linux},
		{Path: "usr/local/bin/platapp-stripped", Mode: 0o755, Data: stripped},
		{Path: "opt/win/platapp.exe", Mode: 0o644, Data: windows},
	})})
	cache := t.TempDir()
	s := newScanner(t, cache)
	s.Matcher = recordsMatcher(t)
	ctx := context.Background()
	cold, err := s.ScanImage(ctx, &image.Image{Image: img, Transport: image.OCILayout, Platform: "linux/amd64"})
	if err != nil {
		t.Fatal(err)
	}
	warm, err := s.ScanImage(ctx, &image.Image{Image: img, Transport: image.OCILayout, Platform: "linux/amd64"})
	if err != nil {
		t.Fatal(err)
	}
	cj, _ := json.Marshal(cold.Findings)
	wj, _ := json.Marshal(warm.Findings)
	if string(cj) != string(wj) {
		t.Errorf("warm rescan (layer cache) gives other findings:\ncold %s\nwarm %s", cj, wj)
	}
	for _, res := range []*Result{cold, warm} {
		checkPlatapp(t, res)
	}
}

func checkPlatapp(t *testing.T, res *Result) {
	t.Helper()
	const lin, strip, win = "/usr/local/bin/platapp", "/usr/local/bin/platapp-stripped", "/opt/win/platapp.exe"
	for _, p := range res.Packages {
		if p.Type == "go-stdlib" || p.Type == "go-module" {
			want := "linux/amd64"
			if slices.Contains(p.Locations, win) {
				want = "windows/amd64"
			}
			if p.Platform != want {
				t.Errorf("%s at %v: platform %q, want %q", p.Name, p.Locations, p.Platform, want)
			}
		}
	}
	for _, loc := range []string{lin, strip} {
		for _, c := range [][2]string{{"GO-2026-6604", "stdlib"}, {"GO-2026-5024", "golang.org/x/sys"}} {
			if f := findingAt(res, c[0], c[1], loc); f != nil {
				t.Errorf("%s reported for %s at %s (linux/amd64); it is restricted to windows", c[0], c[1], loc)
			}
		}
		f := findingAt(res, "GO-2026-6599", "stdlib", loc)
		if f == nil || f.Evidence == nil || f.Evidence.Symbols != SymbolsPresent ||
			!slices.Contains(f.Evidence.Matched, "html/template.Template.Execute") || f.Evidence.Platform != "" {
			t.Errorf("GO-2026-6599 at %s: %+v", loc, f)
		}
		f = findingAt(res, "GO-2026-6605", "stdlib", loc)
		if f == nil || f.Evidence == nil || f.Evidence.Symbols != SymbolsAbsent || len(f.Evidence.Matched) != 0 {
			t.Errorf("GO-2026-6605 (net/http, not linked) at %s: %+v", loc, f)
		}
	}
	f := findingAt(res, "GO-2026-6604", "stdlib", win)
	if f == nil || f.Evidence == nil || f.Evidence.Symbols != SymbolsPresent || f.Evidence.Platform != "windows/amd64" ||
		!slices.Equal(f.Evidence.Platforms, []string{"windows"}) ||
		!slices.Contains(f.Evidence.Matched, "os.Root.Mkdir") || !slices.Contains(f.Evidence.Matched, "internal/syscall/windows.Mkdirat") {
		t.Errorf("GO-2026-6604 on the windows binary: %+v", f)
	}
	f = findingAt(res, "GO-2026-5024", "golang.org/x/sys", win)
	if f == nil || f.Evidence == nil || f.Evidence.Symbols != SymbolsPresent ||
		!slices.Equal(f.Evidence.Matched, []string{"golang.org/x/sys/windows.NewNTUnicodeString"}) {
		t.Errorf("GO-2026-5024 on the windows binary: %+v", f)
	}
}

// TestGoPlatformUnknown: a Go package with no binary (an SBOM component)
// keeps the windows-only finding and says the platform was not checked
// and the symbols not looked at.
func TestGoPlatformUnknown(t *testing.T) {
	s := newScanner(t, "")
	s.Matcher = recordsMatcher(t)
	res, err := s.ScanPackages(context.Background(), Target{Kind: "sbom", Name: "x.cdx.json"}, nil, []inventory.Package{
		{Name: "stdlib", Version: "1.26.8", Ecosystem: "Go", PURL: "pkg:golang/stdlib@v1.26.8", Type: "go-stdlib"},
		{Name: "golang.org/x/sys", Version: "0.43.0", Ecosystem: "Go", PURL: "pkg:golang/golang.org/x/sys@v0.43.0", Type: "go-module"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{"GO-2026-6604", "stdlib"}, {"GO-2026-5024", "golang.org/x/sys"}} {
		var f *Finding
		for i := range res.Findings {
			if res.Findings[i].ID == c[0] {
				f = &res.Findings[i]
			}
		}
		if f == nil || f.Evidence == nil || f.Evidence.Platform != PlatformUnknown || f.Evidence.Symbols != SymbolsUnknown ||
			f.Evidence.Reason == "" || !slices.Equal(f.Evidence.Platforms, []string{"windows"}) {
			t.Errorf("%s on %s without a platform: %+v", c[0], c[1], f)
		}
	}
}

// TestGoSymbolCacheDamaged: side files of the symbol store that are
// deleted or damaged make the evidence "unknown" with a reason; the
// findings stay.
func TestGoSymbolCacheDamaged(t *testing.T) {
	img := imagetest.Image(t, imagetest.AppConfig, imagetest.Step{CreatedBy: "go binary", Layer: imagetest.Layer(t, []imagetest.File{
		{Path: "usr/local/bin/platapp", Mode: 0o755, Data: gobintest.Binary(t, gobintest.Build{GOOS: "linux", GOARCH: "amd64"})},
	})})
	cache := t.TempDir()
	s := newScanner(t, cache)
	s.Matcher = recordsMatcher(t)
	ctx := context.Background()
	scan := func() *Result {
		res, err := s.ScanImage(ctx, &image.Image{Image: img, Transport: image.OCILayout})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := scan()
	files, _ := filepath.Glob(filepath.Join(cache, "layers", "gosym", "*"))
	if len(files) < 2 {
		t.Fatalf("%d symbol side files, want one per Go module of the binary", len(files))
	}
	os.WriteFile(files[0], []byte("damaged"), 0o644)
	for _, f := range files[1:] {
		os.Remove(f)
	}
	again := scan()
	if len(again.Findings) != len(first.Findings) || len(first.Findings) == 0 {
		t.Fatalf("%d findings after damaging the symbol cache, %d before", len(again.Findings), len(first.Findings))
	}
	for _, f := range again.Findings {
		if f.Evidence == nil || f.Evidence.Symbols != SymbolsUnknown || f.Evidence.Reason == "" {
			t.Errorf("%s: evidence %+v, want unknown with a reason", f.ID, f.Evidence)
		}
	}
}

// TestImagePlatformFallback: Go packages whose binary records no
// GOOS/GOARCH (Go < 1.18) take the image's platform, variant dropped;
// others keep theirs, and non-Go packages get none.
func TestImagePlatformFallback(t *testing.T) {
	pkgs := []inventory.Package{
		{Name: "old", Type: "go-module", GoBinaries: []inventory.GoBinary{{Path: "/old"}}},
		{Name: "new", Type: "go-module", Platform: "windows/amd64", GoBinaries: []inventory.GoBinary{{Path: "/new.exe"}}},
		{Name: "libc6", Type: "deb"},
	}
	fillImagePlatform(pkgs, "linux/arm64/v8")
	if pkgs[0].Platform != "linux/arm64" || pkgs[1].Platform != "windows/amd64" || pkgs[2].Platform != "" {
		t.Errorf("platforms %q %q %q", pkgs[0].Platform, pkgs[1].Platform, pkgs[2].Platform)
	}
	if got := goPlatform(pkgs[0]); got != (match.Platform{GOOS: "linux", GOARCH: "arm64"}) {
		t.Errorf("goPlatform = %+v", got)
	}
	if got := goPlatform(pkgs[2]); got != (match.Platform{}) {
		t.Errorf("goPlatform of a deb = %+v", got)
	}
}
