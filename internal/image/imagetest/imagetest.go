// Package imagetest builds real OCI images for tests from real content in
// testdata/image (see its PROVENANCE.md): a Debian 12 base layer with the
// real dpkg status, a Go binary compiled against golang.org/x/text v0.3.5,
// a real npm install's metadata, and layers exercising whiteouts.
package imagetest

import (
	"archive/tar"
	"bytes"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// File is one tar entry of a test layer.
type File struct {
	Path string
	Mode int64
	Data []byte
	Link string // symlink target (Type tar.TypeSymlink) or hard link target
	Type byte   // 0 means regular file
}

// epoch fixes every mtime so layers (and goldens) are reproducible.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// TarBytes writes files into an uncompressed tar, in the given order.
func TarBytes(t testing.TB, files []File) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.Path, Mode: f.Mode, ModTime: epoch, Typeflag: f.Type,
			Linkname: f.Link, Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(f.Data))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("tar header %s: %v", f.Path, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(f.Data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Layer makes a gzip-compressed layer of files.
func Layer(t testing.TB, files []File) v1.Layer {
	t.Helper()
	b := TarBytes(t, files)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Step is one layer plus the Dockerfile-like history line that made it.
type Step struct {
	// Layer is the step's layer; nil makes an empty-layer history entry
	// (a CMD, ENV or EXPOSE instruction of a Dockerfile).
	Layer     v1.Layer
	CreatedBy string
}

// Image assembles layers with history and config into a linux/amd64 image.
func Image(t testing.TB, cfg v1.Config, steps ...Step) v1.Image {
	t.Helper()
	img := empty.Image
	var empties []v1.History // empty-layer entries, placed after the append
	var hist []v1.History
	for _, s := range steps {
		h := v1.History{CreatedBy: s.CreatedBy, Created: v1.Time{Time: epoch}}
		if s.Layer == nil {
			h.EmptyLayer = true
			hist = append(hist, h)
			empties = append(empties, h)
			continue
		}
		hist = append(hist, h)
		var err error
		img, err = mutate.Append(img, mutate.Addendum{Layer: s.Layer, History: h})
		if err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	if len(empties) > 0 {
		cf.History = hist
	}
	cf.OS, cf.Architecture, cf.Config = "linux", "amd64", cfg
	cf.Created = v1.Time{Time: epoch}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Testdata returns the repository's testdata/image directory.
func Testdata(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "testdata", "image")
		}
	}
	t.Fatal("no go.mod above " + dir)
	return ""
}

func read(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// DebianBase is the base layer: the real Debian 12 dpkg status and
// os-release, with /etc/os-release a relative symlink as on Debian.
func DebianBase(t testing.TB) []File {
	td := Testdata(t)
	return []File{
		{Path: "etc/", Type: tar.TypeDir, Mode: 0o755},
		{Path: "etc/os-release", Type: tar.TypeSymlink, Link: "../usr/lib/os-release"},
		{Path: "usr/", Type: tar.TypeDir, Mode: 0o755},
		{Path: "usr/lib/", Type: tar.TypeDir, Mode: 0o755},
		{Path: "usr/lib/os-release", Data: read(t, filepath.Join(td, "debian12", "etc_os-release"))},
		{Path: "var/lib/dpkg/", Type: tar.TypeDir, Mode: 0o755},
		{Path: "var/lib/dpkg/status", Data: read(t, filepath.Join(td, "debian12", "var_lib_dpkg_status"))},
	}
}

// InstalledDpkg counts the packages the real Debian 12 status file in
// DebianBase lists as installed: the number of deb packages a scan of it
// must report, derived from the data rather than written into tests.
func InstalledDpkg(t testing.TB) int {
	t.Helper()
	b := read(t, filepath.Join(Testdata(t), "debian12", "var_lib_dpkg_status"))
	return bytes.Count(b, []byte("\nStatus: install ok installed\n"))
}

var (
	goBinOnce sync.Once
	goBin     []byte
	goBinErr  error
)

// GoBinary compiles testdata/image/gobin (requires golang.org/x/text
// v0.3.5) once per test process, from the module proxy or module cache.
func GoBinary(t testing.TB) []byte {
	t.Helper()
	goBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "imagetest-gobin-")
		if err != nil {
			goBinErr = err
			return
		}
		defer os.RemoveAll(dir)
		src := filepath.Join(Testdata(t), "gobin")
		for _, n := range []string{"go.mod", "go.sum", "main.go"} {
			if err := os.WriteFile(filepath.Join(dir, n), read(t, filepath.Join(src, n)), 0o644); err != nil {
				goBinErr = err
				return
			}
		}
		cmd := exec.Command("go", "build", "-trimpath", "-o", "textapp", ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if out, err := cmd.CombinedOutput(); err != nil {
			goBinErr = &buildError{out: string(out), err: err}
			return
		}
		goBin, goBinErr = os.ReadFile(filepath.Join(dir, "textapp"))
	})
	if goBinErr != nil {
		t.Fatalf("building the test Go binary: %v", goBinErr)
	}
	return goBin
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// Tree lays a testdata directory out under prefix in the image.
func Tree(t testing.TB, dir, prefix string) []File {
	t.Helper()
	var files []File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		name := strings.TrimSuffix(prefix+"/"+filepath.ToSlash(rel), "/.")
		if d.IsDir() {
			files = append(files, File{Path: name + "/", Type: tar.TypeDir, Mode: 0o755})
			return nil
		}
		files = append(files, File{Path: name, Data: read(t, p)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files
}

// AppConfig is the runtime config of the standard test image.
var AppConfig = v1.Config{
	User:         "app",
	ExposedPorts: map[string]struct{}{"8080/tcp": {}},
	Entrypoint:   []string{"/usr/local/bin/textapp"},
	Cmd:          []string{"--serve"},
	Labels:       map[string]string{"org.opencontainers.image.source": "https://example.com/sightline-test"},
}

// AppImage is the standard test image:
//
//	0 Debian 12 base (real dpkg status, os-release symlink)
//	1 the Go binary and a node app (real npm install metadata), plus
//	  /opt/legacy with minimist's package.json
//	2 removes /opt/legacy's content (opaque dir) and a status rewrite that
//	  drops nothing (attribution must still credit layer 0)
func AppImage(t testing.TB) v1.Image {
	t.Helper()
	td := Testdata(t)
	base := DebianBase(t)
	app := append([]File{
		{Path: "usr/local/bin/", Type: tar.TypeDir, Mode: 0o755},
		{Path: "usr/local/bin/textapp", Mode: 0o755, Data: GoBinary(t)},
	}, Tree(t, filepath.Join(td, "nodeapp"), "srv/nodeapp")...)
	app = append(app, Tree(t, filepath.Join(td, "legacy"), "opt/legacy")...)
	top := []File{
		{Path: "opt/legacy/", Type: tar.TypeDir, Mode: 0o755},
		{Path: "opt/legacy/.wh..wh..opq"},
		{Path: "var/lib/dpkg/status", Data: read(t, filepath.Join(td, "debian12", "var_lib_dpkg_status"))},
	}
	return Image(t, AppConfig,
		Step{Layer(t, base), "ADD rootfs.tar / # debian:12"},
		Step{Layer(t, app), "COPY textapp nodeapp /"},
		Step{Layer(t, top), "RUN rm -rf /opt/legacy/* && apt-get install --reinstall tzdata"},
	)
}

// DebianBaseVersions is DebianBase with the installed version of some
// packages changed (package name → version), for tests that need a real
// package set at a known vulnerable version: e.g. openssl and libssl3 at
// 3.0.11-1~deb12u1, the version Debian 12.2 shipped. Every named package
// must be in the status file.
func DebianBaseVersions(t testing.TB, versions map[string]string) []File {
	t.Helper()
	files := DebianBase(t)
	for i := range files {
		if files[i].Path != "var/lib/dpkg/status" {
			continue
		}
		stanzas := strings.Split(string(files[i].Data), "\n\n")
		done := 0
		for j, s := range stanzas {
			head, rest, _ := strings.Cut(s, "\n")
			v, ok := versions[strings.TrimPrefix(head, "Package: ")]
			if !ok {
				continue
			}
			lines := strings.Split(rest, "\n")
			for k, l := range lines {
				if strings.HasPrefix(l, "Version: ") {
					lines[k] = "Version: " + v
					done++
				}
			}
			stanzas[j] = head + "\n" + strings.Join(lines, "\n")
		}
		if done != len(versions) {
			t.Fatalf("DebianBaseVersions: changed %d of %d packages", done, len(versions))
		}
		files[i].Data = []byte(strings.Join(stanzas, "\n\n"))
	}
	return files
}
