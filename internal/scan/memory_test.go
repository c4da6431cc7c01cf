package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/bench/imagegen/synth"
	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/image/imagetest"
	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/match"
	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

func realStatus(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(imagetest.Testdata(t), "debian12", "var_lib_dpkg_status"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLayerCacheRoundTrip: a layer result written to the cache (JSON
// lines, one record per line) reads back equal; a truncated entry, one of
// another version and one of another layer are misses, never partial
// results.
func TestLayerCacheRoundTrip(t *testing.T) {
	img := imagetest.AppImage(t)
	layers, _ := img.Layers()
	cf, _ := img.ConfigFile()
	c := &layerCache{dir: t.TempDir()}
	for i, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		diffID := cf.RootFS.DiffIDs[i].String()
		lr, err := analyzeLayer(context.Background(), rc, diffID, newScanner(t, "").Extractor, image.Limits{})
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.put(lr); err != nil {
			t.Fatal(err)
		}
		got := c.get(diffID)
		lr.records = 0 // not stored: only meaningful while the layer is read
		if !reflect.DeepEqual(normalised(got), normalised(lr)) {
			t.Errorf("layer %d: cached result differs:\n got %+v\nwant %+v", i, got, lr)
		}
		p, _ := c.file(diffID)
		b, _ := os.ReadFile(p)
		if err := os.WriteFile(p, b[:len(b)-len(b)/3], 0o644); err != nil {
			t.Fatal(err)
		}
		if got := c.get(diffID); got != nil && len(lr.Files) > 0 {
			t.Errorf("layer %d: truncated cache entry accepted", i)
		}
		old := bytes.Replace(b, []byte(cacheVersion), []byte("layer/1 "+strings.TrimPrefix(cacheVersion, "layer/2 ")), 1)
		os.WriteFile(p, old, 0o644)
		if c.get(diffID) != nil {
			t.Errorf("layer %d: entry of another cache version accepted", i)
		}
	}
}

// normalised maps nil and empty record lists alike (the cache does not
// tell them apart; nothing reads the difference).
func normalised(lr *LayerResult) *LayerResult {
	if lr == nil {
		return nil
	}
	c := *lr
	c.Files = map[string][]inventory.Record{}
	for p, r := range lr.Files {
		if len(r) == 0 {
			r = nil
		}
		c.Files[p] = r
	}
	return &c
}

// TestSpoolLargeFiles: with a tiny in-memory limit every wanted file is
// spilled to the temp dir — the Go binary is read at offsets from there —
// and the layer's records are exactly those of the in-memory path; no
// spill file is left behind.
func TestSpoolLargeFiles(t *testing.T) {
	b := imagetest.TarBytes(t, append(imagetest.DebianBase(t),
		imagetest.File{Path: "usr/local/bin/textapp", Mode: 0o755, Data: imagetest.GoBinary(t)}))
	x := newScanner(t, "").Extractor
	mem, err := analyze(context.Background(), bytes.NewReader(b), "", x, image.Limits{}, inventory.NewSpool(t.TempDir(), 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "tmp")
	sp := inventory.NewSpool(dir, 1024)
	spilled, err := analyze(context.Background(), bytes.NewReader(b), "", x, image.Limits{}, sp, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(mem.Files["usr/local/bin/textapp"]) == 0 || len(mem.Files["var/lib/dpkg/status"]) != imagetest.InstalledDpkg(t) {
		t.Fatalf("in-memory path found %d Go, %d deb records", len(mem.Files["usr/local/bin/textapp"]), len(mem.Files["var/lib/dpkg/status"]))
	}
	if !reflect.DeepEqual(mem.Files, spilled.Files) || !reflect.DeepEqual(mem.OSRelease, spilled.OSRelease) {
		t.Errorf("spilled files gave other records")
	}
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("spill dir: %v (nothing was spilled?)", err)
	}
	if len(left) != 0 {
		t.Errorf("spill files left behind: %v", left)
	}
}

// TestLayerRecordLimit: a dpkg status of more entries than the layer's
// record limit keeps the first entries up to the limit and says so (a
// skipped-file entry and a warning); wanted files after the limit are
// skipped, listed up to maxLayerSkips and then counted.
func TestLayerRecordLimit(t *testing.T) {
	const limit, entries = 1000, 3000
	status, err := synth.DpkgStatus(realStatus(t), entries, "")
	if err != nil {
		t.Fatal(err)
	}
	files := []imagetest.File{{Path: "var/lib/dpkg/status", Data: status}}
	const extra = maxLayerSkips + 50
	for i := range extra {
		files = append(files, imagetest.File{Path: fmt.Sprintf("srv/node_modules/p%d/package.json", i),
			Data: fmt.Appendf(nil, `{"name":"p%d","version":"1.0.0"}`, i)})
	}
	lr, err := analyze(context.Background(), bytes.NewReader(imagetest.TarBytes(t, files)), "", newScanner(t, "").Extractor, image.Limits{}, inventory.NewSpool("", 0), limit)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(lr.Files["var/lib/dpkg/status"]); got != limit {
		t.Errorf("kept %d status records, want the limit %d", got, limit)
	}
	if len(lr.Skipped) != maxLayerSkips+1 {
		t.Fatalf("%d skipped entries, want %d listed + 1 counting the rest", len(lr.Skipped), maxLayerSkips+1)
	}
	first := lr.Skipped[0]
	if first.Path != "/var/lib/dpkg/status" || first.Reason != SkipTooLarge || !strings.Contains(first.Detail, fmt.Sprintf("kept %d of its %d", limit, entries)) {
		t.Errorf("status skip entry %+v", first)
	}
	listed := maxLayerSkips - 1 // package.json files listed one by one
	if rest := lr.Skipped[maxLayerSkips]; rest.Count != extra-listed || rest.Path != "/" {
		t.Errorf("aggregate entry %+v, want count %d", rest, extra-listed)
	}
	if w := strings.Join(lr.Warnings, "\n"); !strings.Contains(w, "/var/lib/dpkg/status: kept 1000") || !strings.Contains(w, "further skipped files of this layer") {
		t.Errorf("warnings do not tell the limit:\n%s", w)
	}
}

// TestFindingLimit: an image whose every dpkg entry is an old openssl
// (real Debian advisories) stops matching at the finding limit: findings
// never exceed it, the rest of the packages are reported as not matched
// because of the limit, and the cut is the same on every run.
func TestFindingLimit(t *testing.T) {
	ctx := context.Background()
	db := debianDB(t)
	var status bytes.Buffer
	for i := range 40 {
		fmt.Fprintf(&status, "Package: libssl-copy%d\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 1.0.0-1\n\n", i)
	}
	osRel, _ := os.ReadFile(filepath.Join(imagetest.Testdata(t), "debian12", "etc_os-release"))
	layer := imagetest.TarBytes(t, []imagetest.File{{Path: "etc/os-release", Data: osRel}, {Path: "var/lib/dpkg/status", Data: status.Bytes()}})
	scanWith := func(limit int) *Result {
		s := newScanner(t, "")
		s.Matcher, s.MaxFindings = DBMatcher{M: match.New(db)}, limit
		res, err := s.ScanImage(ctx, &image.Image{Image: imageOf(t, layer), Transport: image.OCILayout})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	all := scanWith(0)
	per := len(all.Findings) / 40
	if per == 0 || len(all.Findings) != 40*per {
		t.Fatalf("%d findings for 40 copies of one package", len(all.Findings))
	}
	limit := 10*per + per/2 // room for 10 packages and a half
	capped := scanWith(limit)
	if len(capped.Findings) != 10*per {
		t.Errorf("%d findings under a limit of %d, want the 10 whole packages that fit (%d)", len(capped.Findings), limit, 10*per)
	}
	w := strings.Join(capped.Warnings, "\n")
	if !strings.Contains(w, fmt.Sprintf("30 packages were not matched: the scan reached its limit of %d findings", limit)) {
		t.Errorf("warnings do not count the packages cut by the limit:\n%s", w)
	}
	if n := capped.Coverage.ecosystem("Debian:12").Unchecked[UncheckedFindingLimit]; n != 30 {
		t.Errorf("coverage counts %d packages cut by the finding limit, want 30", n)
	}
	again := scanWith(limit)
	if !reflect.DeepEqual(capped.Findings, again.Findings) {
		t.Errorf("the cut differs between runs")
	}
	if !errors.Is(fmt.Errorf("x: %w", ErrFindingLimit), ErrFindingLimit) {
		t.Fatal("ErrFindingLimit does not wrap")
	}
}

func debianDB(t testing.TB) *vulndb.DB {
	t.Helper()
	ctx := context.Background()
	bt, err := vulndb.ReadOSV(ctx, vulndbtest.Testdata("vulndb/osv/debian"), vulndb.ReadOptions{})
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
	return db
}

// FuzzLayerCacheEntry: any bytes in a cache file give a miss or a result
// of this version and layer — never a panic, never another layer's
// result (the cache directory may be shared or tampered with).
func FuzzLayerCacheEntry(f *testing.F) {
	diffID := "sha256:" + strings.Repeat("ab", 32)
	var good bytes.Buffer
	lr := &LayerResult{Version: cacheVersion, DiffID: diffID, Links: map[string]string{"etc/os-release": "../usr/lib/os-release"},
		Files: map[string][]inventory.Record{"var/lib/dpkg/status": {{Name: "libc6", Version: "2.36-9", PURLType: "deb"}}, "bin/x": nil}}
	if err := writeCacheEntry(&good, lr); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add(good.Bytes()[:good.Len()/2])
	f.Add([]byte(`{"version":"` + cacheVersion + `","diff_id":"` + diffID + `","lines":99999999999}`))
	f.Add([]byte(`{"version":"` + cacheVersion + `","diff_id":"` + diffID + `","lines":-1}`))
	f.Add([]byte(`{"version":"layer/1","diff_id":"` + diffID + `","files":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := readCacheEntry(bytes.NewReader(b), diffID)
		if err != nil {
			return
		}
		if got.Version != cacheVersion || got.DiffID != diffID || got.Files == nil || got.Links == nil {
			t.Fatalf("accepted %+v", got)
		}
	})
}
