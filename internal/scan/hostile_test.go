package scan

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/image/imagetest"
)

// hostileLayer writes raw tar headers, bypassing imagetest's sane defaults.
func hostileLayer(t *testing.T, hdrs []tar.Header, bodies [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := range hdrs {
		h := hdrs[i]
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("header %q: %v", h.Name, err)
		}
		if bodies != nil && bodies[i] != nil {
			tw.Write(bodies[i])
		}
	}
	tw.Close()
	return buf.Bytes()
}

func imageOf(t *testing.T, layers ...[]byte) v1.Image {
	t.Helper()
	var steps []imagetest.Step
	for _, b := range layers {
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, imagetest.Step{Layer: l, CreatedBy: "hostile"})
	}
	return imagetest.Image(t, imagetest.AppConfig, steps...)
}

// TestHostileLayers: traversal names, absolute names, symlinks out of the
// root, device files and malformed whiteouts produce warnings naming the
// skipped path, never a write outside the cache dir and never a panic; the
// legitimate content next to them is still inventoried.
func TestHostileLayers(t *testing.T) {
	status, err := os.ReadFile(filepath.Join(imagetest.Testdata(t), "debian12", "var_lib_dpkg_status"))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	cache := filepath.Join(work, "cache")
	layer := hostileLayer(t, []tar.Header{
		{Name: "../../escape/var/lib/dpkg/status", Typeflag: tar.TypeReg, Mode: 0o644, Size: 5},
		{Name: "/abs/var/lib/dpkg/status", Typeflag: tar.TypeReg, Mode: 0o644, Size: 5},
		{Name: "etc/os-release", Typeflag: tar.TypeSymlink, Linkname: "../../../../../etc/os-release"},
		{Name: "dev/sda", Typeflag: tar.TypeBlock, Mode: 0o600, Devmajor: 8},
		{Name: "dev/null", Typeflag: tar.TypeChar, Mode: 0o666, Devmajor: 1, Devminor: 3},
		{Name: "usr/.wh..", Typeflag: tar.TypeReg, Mode: 0o644},
		{Name: "usr/lib/link", Typeflag: tar.TypeLink, Linkname: "../../../etc/shadow"},
		{Name: "var/lib/dpkg/status", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(status))},
	}, [][]byte{[]byte("evil\n"), []byte("evil\n"), nil, nil, nil, nil, nil, status})
	s := newScanner(t, cache)
	res, err := s.ScanImage(context.Background(), &image.Image{Image: imageOf(t, layer), Transport: image.OCILayout})
	if err != nil {
		t.Fatal(err)
	}
	if want := imagetest.InstalledDpkg(t); len(res.Packages) != want {
		t.Errorf("legitimate status lost: %d packages, want the %d installed ones", len(res.Packages), want)
	}
	all := strings.Join(res.Warnings, "\n")
	for _, want := range []string{"../../escape/var/lib/dpkg/status", "/abs/var/lib/dpkg/status", "/dev/sda", "/dev/null", "usr/.wh..", "../../../etc/shadow"} {
		if !strings.Contains(all, want) {
			t.Errorf("no warning naming %q in:\n%s", want, all)
		}
	}
	// The os-release symlink escaping the root resolves inside it (to
	// /etc/os-release, itself): no OS, no read of the host's file.
	if res.OS != nil {
		t.Errorf("OS %+v read through an escaping symlink", res.OS)
	}
	// Nothing but the cache was written under work/.
	filepath.WalkDir(work, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(p, filepath.Join(cache, "layers")) {
			t.Errorf("unexpected file written: %s", p)
		}
		return nil
	})
	if _, err := os.Stat(filepath.Join(filepath.Dir(work), "escape")); err == nil {
		t.Errorf("traversal created a file outside the work dir")
	}
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func analyzeBytes(t *testing.T, b []byte, lim image.Limits) (*LayerResult, error) {
	t.Helper()
	x := newScanner(t, "").Extractor
	return analyzeLayer(context.Background(), bytes.NewReader(b), "", x, lim)
}

func TestTruncatedLayer(t *testing.T) {
	full := imagetest.TarBytes(t, imagetest.DebianBase(t))
	comp := gz(full)
	zr, err := gzip.NewReader(bytes.NewReader(comp[:len(comp)/2]))
	if err != nil {
		t.Fatal(err)
	}
	_, err = analyzeLayer(context.Background(), zr, "", newScanner(t, "").Extractor, image.Limits{})
	if err == nil || !strings.Contains(err.Error(), "truncated") && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated gzip layer: %v, want a truncation error", err)
	}
	if _, err := analyzeBytes(t, full[:len(full)-2048], image.Limits{}); err == nil {
		t.Errorf("truncated tar accepted")
	}
}

// TestDecompressionBomb: a tiny gzip inflating to far more than the limit
// stops with ErrLimit instead of reading on.
func TestDecompressionBomb(t *testing.T) {
	big := hostileLayer(t, []tar.Header{{Name: "zeros", Typeflag: tar.TypeReg, Mode: 0o644, Size: 64 << 20}},
		[][]byte{make([]byte, 64<<20)})
	comp := gz(big)
	if len(comp) > 1<<20 {
		t.Fatalf("bomb is %d bytes compressed", len(comp))
	}
	zr, _ := gzip.NewReader(bytes.NewReader(comp))
	_, err := analyzeLayer(context.Background(), zr, "", newScanner(t, "").Extractor, image.Limits{MaxBytes: 8 << 20})
	if !errors.Is(err, image.ErrLimit) {
		t.Fatalf("bomb: %v, want ErrLimit", err)
	}
}

// TestManyEntries: a layer of many empty entries is bounded by MaxEntries.
func TestManyEntries(t *testing.T) {
	hdrs := make([]tar.Header, 20000)
	for i := range hdrs {
		hdrs[i] = tar.Header{Name: "d/" + strings.Repeat("x", i%50) + string(rune('a'+i%26)), Typeflag: tar.TypeReg, Mode: 0o644}
	}
	b := hostileLayer(t, hdrs, nil)
	if _, err := analyzeBytes(t, b, image.Limits{}); err != nil {
		t.Fatalf("20000 entries under the default limit: %v", err)
	}
	if _, err := analyzeBytes(t, b, image.Limits{MaxEntries: 1000}); !errors.Is(err, image.ErrLimit) {
		t.Fatalf("MaxEntries not enforced: %v", err)
	}
}

// TestDiffIDMismatch: a config whose diffID lies about the layer is
// rejected, so it cannot plant results in the shared layer cache.
func TestDiffIDMismatch(t *testing.T) {
	b := imagetest.TarBytes(t, imagetest.DebianBase(t))
	lie := "sha256:" + strings.Repeat("0", 64)
	_, err := analyzeLayer(context.Background(), bytes.NewReader(b), lie, newScanner(t, "").Extractor, image.Limits{})
	if err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("lying diffID: %v", err)
	}
}

// TestWhiteouts: a whiteout deletes a lower file, an opaque directory
// hides a lower directory's content, and a re-added file is visible.
func TestWhiteouts(t *testing.T) {
	status, _ := os.ReadFile(filepath.Join(imagetest.Testdata(t), "debian12", "var_lib_dpkg_status"))
	pkgJSON, _ := os.ReadFile(filepath.Join(imagetest.Testdata(t), "legacy", "package.json"))
	l0 := imagetest.TarBytes(t, []imagetest.File{
		{Path: "var/lib/dpkg/status", Data: status},
		{Path: "a/node_modules/minimist/package.json", Data: pkgJSON},
		{Path: "b/node_modules/minimist/package.json", Data: pkgJSON},
		{Path: "c/node_modules/minimist/package.json", Data: pkgJSON},
	})
	l1 := imagetest.TarBytes(t, []imagetest.File{
		{Path: "var/lib/dpkg/.wh.status"},
		{Path: "a/node_modules/.wh.minimist"},
		{Path: "b/.wh..wh..opq"},
		{Path: "c/.wh.node_modules"},
		{Path: "c/node_modules/minimist/package.json", Data: pkgJSON},
	})
	res, err := newScanner(t, "").ScanImage(context.Background(), &image.Image{Image: imageOf(t, l0, l1), Transport: image.OCILayout})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Packages) != 1 {
		t.Fatalf("packages %+v, want only the re-added minimist", res.Packages)
	}
	p := res.Packages[0]
	if p.Name != "minimist" || len(p.Locations) != 1 || p.Locations[0] != "/c/node_modules/minimist/package.json" || p.Layer.Index != 1 {
		t.Errorf("package %+v", p)
	}
}
