package main

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sightline-sec/sightline/internal/image/imagetest"
)

// requireDocker returns the docker CLI, skipping only outside CI when no
// engine runs (CI always has one: .ci/run starts it).
func requireDocker(t *testing.T) string {
	t.Helper()
	docker := requireTool(t, "docker")
	if err := exec.Command(docker, "version").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("docker engine not reachable: %v", err)
		}
		t.Skipf("docker engine not reachable: %v", err)
	}
	return docker
}

// TestScanImageEngineFirst: a name that exists only in the local Docker
// engine is scanned from the engine, without a transport prefix and
// without the network (issue 7: it went to Docker Hub), as Trivy and
// Grype do.
func TestScanImageEngineFirst(t *testing.T) {
	docker := requireDocker(t)
	tag := fmt.Sprintf("sightline-test/local-only:t%d", time.Now().UnixNano())
	archive := writeDockerArchive(t, imagetest.AppImage(t), tag)
	if out, err := exec.Command(docker, "load", "-i", archive).CombinedOutput(); err != nil {
		t.Fatalf("docker load: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command(docker, "rmi", "-f", tag).Run() })
	out, stderr, code := runCLI(t, "scan", "image", "--offline", "--db", quickstartDB(t), "--format", "json", tag)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	res := decodeResult(t, out)
	if res.Target.Transport != "docker" || len(res.Packages) < imagetest.InstalledDpkg(t) {
		t.Fatalf("transport %q, %d packages", res.Target.Transport, len(res.Packages))
	}
	// Not in any engine, offline: the error says where it looked.
	_, stderr, code = runCLI(t, "scan", "image", "--offline", "--db", quickstartDB(t), tag+"-missing")
	if code != 2 || !strings.Contains(stderr, "Docker engine: not found") {
		t.Fatalf("missing image: exit %d %q", code, stderr)
	}
}

// TestScanImageCompressedArchive: `docker save | gzip > x.tar.gz` is read
// as the archive it holds; a missing x.tar.gz / x.tgz is a missing file,
// never a registry lookup.
func TestScanImageCompressedArchive(t *testing.T) {
	plain := writeDockerArchive(t, imagetest.AppImage(t), "sightline-test/app:gz")
	gz := filepath.Join(t.TempDir(), "app.tar.gz")
	src, err := os.Open(plain)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Create(gz)
	zw := gzip.NewWriter(f)
	io.Copy(zw, src)
	zw.Close()
	f.Close()
	src.Close()
	cache := t.TempDir()
	db := quickstartDB(t)
	want, _, code := runCLI(t, "scan", "image", "--offline", "--no-cache", "--db", db, "--format", "json", plain)
	if code != 0 {
		t.Fatal("plain archive failed")
	}
	got, stderr, code := runCLI(t, "--cache-dir", cache, "scan", "image", "--offline", "--no-cache", "--db", db, "--format", "json", gz)
	if code != 0 {
		t.Fatalf("gzip archive: exit %d %s", code, stderr)
	}
	if a, b := decodeResult(t, want), decodeResult(t, got); len(a.Packages) != len(b.Packages) || len(a.Findings) != len(b.Findings) {
		t.Errorf("gzip archive: %d packages %d findings; plain %d %d", len(b.Packages), len(b.Findings), len(a.Packages), len(a.Findings))
	}
	if left, _ := filepath.Glob(filepath.Join(cache, "tmp", "*")); len(left) != 0 {
		t.Errorf("decompressed copy left behind: %v", left)
	}
	for _, p := range []string{"missing.tar.gz", "missing.tgz", "missing.tar.zst"} {
		_, stderr, code := runCLI(t, "scan", "image", p)
		if code != 2 || !strings.Contains(stderr, p+": no such file or directory") {
			t.Errorf("%s: exit %d %q", p, code, stderr)
		}
	}
}

// TestScanImageEngineRefValidated: an engine reference outside the
// distribution grammar is refused before any engine API request
// (issue 7: 'docker:../../etc/passwd' reached the API URL). The "engine"
// here is a local HTTP server that counts requests.
func TestScanImageEngineRefValidated(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	t.Setenv("DOCKER_HOST", "tcp://"+strings.TrimPrefix(srv.URL, "http://"))
	db := quickstartDB(t)
	for _, in := range []string{"docker:../../etc/passwd", "docker:a/../../b", "docker:", "docker:x?all=1", "docker:a b", "docker:x:tag:tag"} {
		_, stderr, code := runCLI(t, "scan", "image", "--db", db, in)
		if code != 2 || !strings.Contains(stderr, "not an image reference") && !strings.Contains(stderr, "empty image reference") {
			t.Errorf("%s: exit %d %q", in, code, stderr)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d requests reached the engine API", n)
	}
	// A valid reference does reach it (and is not found there).
	_, stderr, code := runCLI(t, "scan", "image", "--db", db, "docker:app:1")
	if code == 0 || calls.Load() == 0 {
		t.Errorf("valid reference: exit %d, %d requests, %q", code, calls.Load(), stderr)
	}
}
