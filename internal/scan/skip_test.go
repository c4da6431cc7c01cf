package scan

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/image/imagetest"
)

// writeDpkgStatus writes a dpkg status file of at least size bytes: the
// real status of testdata/image/debian12 repeated with renamed packages
// (each copy's stanzas get a numeric suffix), and returns the number of
// installed packages in it.
func writeDpkgStatus(t *testing.T, path string, size int64) int {
	t.Helper()
	real, err := os.ReadFile(filepath.Join("..", "..", "testdata", "image", "debian12", "var_lib_dpkg_status"))
	if err != nil {
		t.Fatal(err)
	}
	stanzas := strings.Split(strings.TrimSpace(string(real)), "\n\n")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	var written int64
	installed := 0
	for copyN := 0; written < size; copyN++ {
		for _, s := range stanzas {
			if strings.Contains(s, "\nStatus: install ok installed") {
				installed++
			}
			s = strings.Replace(s, "Package: ", "Package: c"+fmt.Sprint(copyN)+"-", 1)
			n, _ := w.WriteString(s + "\n\n")
			written += int64(n)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return installed
}

// TestLargeDpkgStatus: a 150 MiB /var/lib/dpkg/status (over osv-scalibr's
// 100 MiB default limit, which made it "not wanted" without a word) yields
// all its packages. It is parsed as a stream, so no buffer of its size is
// held.
func TestLargeDpkgStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 150 MiB file")
	}
	root := t.TempDir()
	want := writeDpkgStatus(t, filepath.Join(root, "var", "lib", "dpkg", "status"), 150<<20)
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc", "os-release"), []byte("ID=debian\nVERSION_ID=\"12\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := newScanner(t, "").ScanFS(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) > 0 {
		t.Errorf("warnings: %q", res.Warnings)
	}
	deb := 0
	for _, p := range res.Packages {
		if p.Type == "deb" {
			deb++
		}
	}
	if deb != want {
		t.Errorf("%d deb packages, want %d", deb, want)
	}
}

// TestSkippedFilesAreRecorded: a file a buffering parser needs over the
// size limit, and an unreadable one, are warnings and Skipped entries with
// their reasons.
func TestSkippedFilesAreRecorded(t *testing.T) {
	root := t.TempDir()
	jar, err := os.ReadFile(filepath.Join("..", "..", "testdata", "inventory", "com.google.src.yolo-0.1.2.jar"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "app", "yolo.jar"), jar, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "app", "package-lock.json"), []byte(`{"packages": {"node_modules/a": {"version": "1.0.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newScanner(t, "")
	s.Extractor.MaxFileSize = 100
	lr, err := s.walkFS(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	checkSkipped(t, lr, map[string]string{"/app/yolo.jar": SkipTooLarge, "/app/package-lock.json": SkipParseError})

	// The same files in an image layer.
	layer := imagetest.TarBytes(t, []imagetest.File{
		{Path: "app/yolo.jar", Data: jar},
		{Path: "app/package-lock.json", Data: []byte(`{"packages": {"node_modules/a": {"version": "1.0.0"}`)},
	})
	res, err := analyzeLayer(context.Background(), bytes.NewReader(layer), "", s.Extractor, image.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	checkSkipped(t, res, map[string]string{"/app/yolo.jar": SkipTooLarge, "/app/package-lock.json": SkipParseError})
}

// checkSkipped asserts lr recorded exactly the skips in want (path →
// reason), each with a warning.
func checkSkipped(t *testing.T, lr *LayerResult, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, s := range lr.Skipped {
		got[s.Path] = s.Reason
		if !slices.ContainsFunc(lr.Warnings, func(w string) bool { return strings.HasPrefix(w, "skipped "+s.Path+" ("+s.Reason+")") }) {
			t.Errorf("no warning for %s in %q", s.Path, lr.Warnings)
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("skipped %v, want %v", got, want)
	}
}
