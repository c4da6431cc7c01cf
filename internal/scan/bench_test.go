package scan

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/image/imagetest"
)

// The benchmark image is the standard test image (real Debian 12 status,
// Go binary, npm app) plus one large layer of real files: the running Go
// toolchain's GOROOT (sources, compiled tools with Go build info). Its
// compressed layers are also written out, so `gzip -dc` of exactly the
// same bytes is the baseline measured in the same run:
//
//	go test ./internal/scan -run '^$' -bench . -benchtime 5x
//
// Set SIGHTLINE_BENCH_ARCHIVE=path to keep the docker archive (e.g. to
// compare other scanners on it).
var (
	benchOnce    sync.Once
	benchArchive string
	benchLayers  []string
	benchDir     string
)

func goRootLayer(b *testing.B) []imagetest.File {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Fatalf("go env GOROOT: %v", err)
	}
	root := strings.TrimSpace(string(out))
	var files []imagetest.File
	for _, sub := range []string{"src", "pkg/tool"} {
		filepath.WalkDir(filepath.Join(root, sub), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !d.Type().IsRegular() {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			info, _ := d.Info()
			rel, _ := filepath.Rel(root, p)
			files = append(files, imagetest.File{Path: "usr/local/go/" + filepath.ToSlash(rel), Mode: int64(info.Mode().Perm()), Data: data})
			return nil
		})
	}
	return files
}

func setupBench(b *testing.B) {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sightline-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
		app := imagetest.AppImage(b)
		big := imagetest.Layer(b, goRootLayer(b))
		layers, _ := app.Layers()
		steps := []imagetest.Step{{Layer: layers[0], CreatedBy: "debian"}, {Layer: big, CreatedBy: "COPY go /usr/local/go"}}
		for _, l := range layers[1:] {
			steps = append(steps, imagetest.Step{Layer: l, CreatedBy: "app"})
		}
		img := imagetest.Image(b, imagetest.AppConfig, steps...)
		benchArchive = filepath.Join(dir, "bench.tar")
		if p := os.Getenv("SIGHTLINE_BENCH_ARCHIVE"); p != "" {
			benchArchive = p
		}
		if err := tarball.WriteToFile(benchArchive, nil, img); err != nil {
			b.Fatal(err)
		}
		benchLayers = writeCompressedLayers(b, img, dir)
	})
	if benchArchive == "" {
		b.Fatal("bench setup failed")
	}
}

func writeCompressedLayers(b *testing.B, img v1.Image, dir string) []string {
	ls, err := img.Layers()
	if err != nil {
		b.Fatal(err)
	}
	var out []string
	for i, l := range ls {
		rc, err := l.Compressed()
		if err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(dir, "layer"+string(rune('0'+i))+".gz")
		f, _ := os.Create(p)
		io.Copy(f, rc)
		f.Close()
		rc.Close()
		out = append(out, p)
	}
	return out
}

func benchScan(b *testing.B, cache string) {
	ctx := context.Background()
	s := newScanner(b, cache)
	im, err := image.Open(ctx, "docker-archive:"+benchArchive, image.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer im.Close()
	res, err := s.ScanImage(ctx, im)
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Packages) < imagetest.InstalledDpkg(b) {
		b.Fatalf("%d packages", len(res.Packages))
	}
}

// BenchmarkGunzipBaseline: `gzip -dc` over every compressed layer, one
// after another, output discarded.
func BenchmarkGunzipBaseline(b *testing.B) {
	setupBench(b)
	gz, err := exec.LookPath("gzip")
	if err != nil {
		b.Skip("gzip not installed")
	}
	b.ResetTimer()
	for b.Loop() {
		for _, l := range benchLayers {
			cmd := exec.Command(gz, "-dc", l)
			cmd.Stdout = io.Discard
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkScanCold: full scan, empty layer cache every time.
func BenchmarkScanCold(b *testing.B) {
	setupBench(b)
	b.ResetTimer()
	for b.Loop() {
		benchScan(b, "")
	}
}

// BenchmarkScanWarm: rescan with every layer cached.
func BenchmarkScanWarm(b *testing.B) {
	setupBench(b)
	cache := b.TempDir()
	benchScan(b, cache)
	b.ResetTimer()
	for b.Loop() {
		benchScan(b, cache)
	}
}
