// Package vulndbtest gives tests the real advisory data they need: the
// pinned Go vulnerability database from the Go module proxy and the repo's
// testdata folders.
package vulndbtest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// GoVulnDBVersion pins the Go vulnerability database module (CC-BY-4.0).
const GoVulnDBVersion = "golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018"

var (
	once   sync.Once
	dir    string
	dirErr error
)

// GoVulnDB returns the data/osv directory of the pinned Go vulndb module,
// downloading it through the Go module proxy once (cached by the go
// command). Without a Go toolchain or network it skips, except under CI
// where it fails.
func GoVulnDB(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		out, err := exec.Command("go", "mod", "download", "-json", GoVulnDBVersion).Output()
		if err != nil {
			dirErr = err
			return
		}
		var m struct{ Dir, Error string }
		if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
			dirErr = err
			if m.Error != "" {
				dirErr = os.ErrNotExist
			}
			return
		}
		dir = filepath.Join(m.Dir, "data", "osv")
	})
	if dirErr != nil || dir == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("go mod download %s: %v", GoVulnDBVersion, dirErr)
		}
		t.Skipf("Go vulndb not available (go mod download %s: %v)", GoVulnDBVersion, dirErr)
	}
	return dir
}

// Testdata returns the absolute path of testdata/<rel> at the repo root.
func Testdata(rel string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", rel)
}
