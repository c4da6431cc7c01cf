package scan

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/image/imagetest"
)

// gnuTar returns the path of GNU tar; without it the test skips, except
// under CI where it fails.
func gnuTar(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("tar")
	if err == nil {
		if out, _ := exec.Command(p, "--version").Output(); bytes.Contains(out, []byte("GNU tar")) {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("GNU tar is required under CI")
	}
	t.Skip("GNU tar not installed")
	return ""
}

// sparseRootfs lays out the real Debian 12 os-release and dpkg status,
// the status with a 1 MiB hole at its end (truncate), so GNU tar --sparse
// stores it as a sparse file.
func sparseRootfs(t *testing.T) string {
	t.Helper()
	td := imagetest.Testdata(t)
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.MkdirAll(filepath.Join(root, "var", "lib", "dpkg"), 0o755)
	for src, dst := range map[string]string{"etc_os-release": "etc/os-release", "var_lib_dpkg_status": "var/lib/dpkg/status"} {
		b, err := os.ReadFile(filepath.Join(td, "debian12", src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, dst), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	status := filepath.Join(root, "var", "lib", "dpkg", "status")
	fi, _ := os.Stat(status)
	if err := os.Truncate(status, fi.Size()+1<<20); err != nil {
		t.Fatal(err)
	}
	return root
}

// tarWith runs GNU tar with args over root's etc and var.
func tarWith(t *testing.T, tar, root string, args ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "layer.tar")
	cmd := exec.Command(tar, append(append([]string{"--sparse", "-cf", out, "-C", root}, args...), "etc", "var")...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar %v: %v: %s", args, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSparseLayers: a dpkg status stored as a GNU sparse file, in every
// format GNU tar writes (old GNU and GNU 'S' entries, PAX sparse 0.0, 0.1
// and 1.0), is read like any file: every installed package is found. The
// 'S' entries, which the Docker engine and containerd refuse to apply, are
// read with a warning. A PAX sparse entry of a version archive/tar does
// not expand cannot be read: it is a warning and a skipped file, and the
// lower layer's copy stays hidden.
func TestSparseLayers(t *testing.T) {
	tar := gnuTar(t)
	root := sparseRootfs(t)
	want := imagetest.InstalledDpkg(t)
	for _, c := range []struct {
		name string
		args []string
		warn bool
	}{
		{"oldgnu", []string{"--format=oldgnu"}, true},
		{"gnu", []string{"--format=gnu"}, true},
		{"posix sparse 0.0", []string{"--format=posix", "--sparse-version=0.0"}, false},
		{"posix sparse 0.1", []string{"--format=posix", "--sparse-version=0.1"}, false},
		{"posix sparse 1.0", []string{"--format=posix", "--sparse-version=1.0"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			layer := tarWith(t, tar, root, c.args...)
			if c.warn && !bytes.Contains(layer[:1<<16], []byte("var/lib/dpkg/status")) {
				t.Fatal("layer lacks the status entry")
			}
			res, err := newScanner(t, "").ScanImage(context.Background(), &image.Image{Image: imageOf(t, layer), Transport: image.OCILayout})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Packages) != want || res.OS == nil || res.OS.ID != "debian" {
				t.Fatalf("%d packages, OS %+v; want the %d installed Debian packages", len(res.Packages), res.OS, want)
			}
			warned := strings.Contains(strings.Join(res.Warnings, "\n"), "refuse to apply")
			if warned != c.warn {
				t.Errorf("warning about engines refusing the layer: %v, want %v (%q)", warned, c.warn, res.Warnings)
			}
		})
	}

	// A version archive/tar does not know: GNU tar's 1.0 output with
	// GNU.sparse.major=2 (same length, so the PAX header stays valid).
	layer := tarWith(t, tar, root, "--format=posix", "--sparse-version=1.0")
	bumped := bytes.Replace(layer, []byte("GNU.sparse.major=1\n"), []byte("GNU.sparse.major=2\n"), 1)
	if bytes.Equal(bumped, layer) {
		t.Fatal("no GNU.sparse.major record in GNU tar's PAX sparse output")
	}
	base := imagetest.TarBytes(t, imagetest.DebianBase(t))
	lr, err := analyzeBytes(t, bumped, image.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lr.Skipped) != 1 || lr.Skipped[0].Path != "/var/lib/dpkg/status" || lr.Skipped[0].Reason != SkipSparse {
		t.Fatalf("skipped %+v; want /var/lib/dpkg/status as %q", lr.Skipped, SkipSparse)
	}
	if !strings.Contains(strings.Join(lr.Warnings, "\n"), "/var/lib/dpkg/status") {
		t.Errorf("no warning names the skipped file: %q", lr.Warnings)
	}
	res, err := newScanner(t, "").ScanImage(context.Background(), &image.Image{Image: imageOf(t, base, bumped), Transport: image.OCILayout})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Packages) != 0 {
		t.Errorf("%d packages from the base layer's status, which the unreadable upper copy replaces", len(res.Packages))
	}
}
