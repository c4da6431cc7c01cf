// Package gobintest builds the real Go binaries the platform and symbol
// evidence tests read: testdata/gobin/platapp, compiled for a GOOS/GOARCH,
// stripped or not, with the Go toolchain and the Go module proxy.
package gobintest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// Toolchain pins the Go release the binaries are built with, so the
// stdlib advisories the tests expect (fixed in 1.26.9) stay applicable
// whatever the machine's default go is (GOTOOLCHAIN fetches it through
// the module proxy when it is not the local one).
const Toolchain = "go1.26.8"

// Build is one way to build platapp.
type Build struct {
	GOOS, GOARCH string
	Stripped     bool // -ldflags=-s -w: no symbol table, no DWARF
}

func (b Build) String() string {
	s := b.GOOS + "-" + b.GOARCH
	if b.Stripped {
		s += "-stripped"
	}
	return s
}

type result struct {
	data []byte
	err  error
}

var (
	mu     sync.Mutex
	builds = map[Build]*result{}
)

// Testdata returns the absolute path of testdata/<rel> at the repo root.
func Testdata(rel string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", rel)
}

// Binary returns the bytes of platapp built as b, building it once per
// test process.
func Binary(t testing.TB, b Build) []byte {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	r := builds[b]
	if r == nil {
		r = &result{}
		r.data, r.err = build(b)
		builds[b] = r
	}
	if r.err != nil {
		t.Fatalf("building platapp for %s: %v", b, r.err)
	}
	return r.data
}

// build compiles a copy of the source in a temporary directory (the
// go command's build cache makes repeats cheap) and removes it.
func build(b Build) ([]byte, error) {
	dir, err := os.MkdirTemp("", "gobintest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	src := Testdata("gobin/platapp")
	for _, n := range []string{"go.mod", "go.sum", "main.go", "sys_windows.go", "sys_other.go"} {
		data, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, n), data, 0o644); err != nil {
			return nil, err
		}
	}
	out := filepath.Join(dir, "platapp-"+b.String())
	args := []string{"build", "-o", out}
	if b.Stripped {
		args = append(args, "-ldflags=-s -w")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "CGO_ENABLED=0", "GOTOOLCHAIN="+Toolchain,
		"GOOS="+b.GOOS, "GOARCH="+b.GOARCH)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, msg)
	}
	return os.ReadFile(out)
}
