package scan

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/image/imagetest"
	"github.com/sightline-sec/sightline/internal/inventory"
)

func newScanner(t testing.TB, cacheDir string) *Scanner {
	t.Helper()
	x, err := inventory.NewExtractor()
	if err != nil {
		t.Fatal(err)
	}
	return &Scanner{Extractor: x, CacheDir: cacheDir}
}

// writeArchive saves img as a `docker save`-style archive.
func writeArchive(t testing.TB, img v1.Image) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "app.tar")
	if err := tarball.WriteToFile(p, nil, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// installedDpkg counts "install ok installed" stanzas in the real status file.
func find(res *Result, typ, name string) *inventory.Package {
	for i, p := range res.Packages {
		if p.Type == typ && p.Name == name {
			return &res.Packages[i]
		}
	}
	return nil
}

func TestScanAppImage(t *testing.T) {
	ctx := context.Background()
	archive := writeArchive(t, imagetest.AppImage(t))
	im, err := image.Open(ctx, archive, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	if im.Transport != image.DockerArchive {
		t.Errorf("detected transport %q, want docker-archive", im.Transport)
	}
	res, err := newScanner(t, t.TempDir()).ScanImage(ctx, im)
	if err != nil {
		t.Fatal(err)
	}
	if res.OS == nil || res.OS.Ecosystem != "Debian:12" {
		t.Fatalf("OS = %+v, want Debian:12 (os-release behind a symlink)", res.OS)
	}
	var debs int
	for _, p := range res.Packages {
		if p.Type == "deb" {
			debs++
		}
	}
	if want := imagetest.InstalledDpkg(t); debs != want {
		t.Errorf("%d deb packages, want %d installed in the status file", debs, want)
	}
	libc := find(res, "deb", "libc6")
	if libc == nil || libc.SourceName != "glibc" || libc.Ecosystem != "Debian:12" ||
		!strings.HasPrefix(libc.PURL, "pkg:deb/debian/libc6@") {
		t.Fatalf("libc6 = %+v", libc)
	}
	if libc.Layer == nil || libc.Layer.Index != 0 || !strings.Contains(libc.Layer.CreatedBy, "debian:12") {
		t.Errorf("libc6 attributed to %+v, want layer 0 despite the status rewrite in layer 2", libc.Layer)
	}
	xt := find(res, "go-module", "golang.org/x/text")
	if xt == nil || xt.Version != "0.3.5" && xt.Version != "v0.3.5" || xt.Ecosystem != "Go" {
		t.Fatalf("x/text = %+v", xt)
	}
	if xt.Layer == nil || xt.Layer.Index != 1 || xt.Locations[0] != "/usr/local/bin/textapp" {
		t.Errorf("x/text layer/location = %+v %v", xt.Layer, xt.Locations)
	}
	std := find(res, "go-stdlib", "stdlib")
	if std == nil || !strings.HasPrefix(runtime.Version(), "go"+std.Version) {
		t.Errorf("stdlib = %+v, want the toolchain's %s", std, runtime.Version())
	}
	for name, ver := range map[string]string{"express": "4.17.1", "lodash": "4.17.15", "qs": "6.7.0"} {
		p := find(res, "npm", name)
		if p == nil || p.Version != ver || p.Ecosystem != "npm" {
			t.Errorf("npm %s = %+v, want %s", name, p, ver)
		}
	}
	mini := find(res, "npm", "minimist")
	if mini == nil {
		t.Fatal("minimist missing")
	}
	for _, l := range mini.Locations {
		if strings.HasPrefix(l, "/opt/legacy") {
			t.Errorf("minimist still located in %s, which layer 2 made opaque", l)
		}
	}
	c := res.Target.Config
	if c.User != "app" || len(c.ExposedPorts) != 1 || c.ExposedPorts[0] != "8080/tcp" || c.Entrypoint[0] != "/usr/local/bin/textapp" {
		t.Errorf("config = %+v", c)
	}
	if res.Target.LayerCount != 3 || !strings.HasPrefix(res.Target.Digest, "sha256:") || res.Target.Platform != "linux/amd64" {
		t.Errorf("target = %+v", res.Target)
	}
}

// countingImage records whether any layer was read.
type countingImage struct {
	v1.Image
	layers *int
}

func (c countingImage) Layers() ([]v1.Layer, error) {
	*c.layers++
	return c.Image.Layers()
}

func TestWarmRescanReadsNoLayer(t *testing.T) {
	ctx := context.Background()
	cache := t.TempDir()
	img := imagetest.AppImage(t)
	s := newScanner(t, cache)
	var n int
	first, err := s.ScanImage(ctx, &image.Image{Image: countingImage{img, &n}, Transport: image.OCILayout})
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("cold scan listed layers %d times", n)
	}
	second, err := s.ScanImage(ctx, &image.Image{Image: countingImage{img, &n}, Transport: image.OCILayout})
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("warm rescan read layers")
	}
	if len(first.Packages) != len(second.Packages) || len(first.Packages) == 0 {
		t.Errorf("cold %d packages, warm %d", len(first.Packages), len(second.Packages))
	}
}
