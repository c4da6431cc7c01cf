package inventory

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// TestOneFileFS: the one-file view passes the standard library's fs
// conformance checks (Open, ReadDir, Stat, reading, directory listing)
// for a nested and a top-level path, and nothing else exists in it.
func TestOneFileFS(t *testing.T) {
	content := "Package: x\nVersion: 1\n"
	for _, p := range []string{"var/lib/dpkg/status", "package-lock.json"} {
		f := oneFileFS{p: p, info: fileInfo{name: p[strings.LastIndexByte(p, '/')+1:], size: int64(len(content)), mode: 0o644},
			r: strings.NewReader(content)}
		if err := fstest.TestFS(f, p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		if got, err := fs.ReadFile(f, p); err != nil || string(got) != content {
			t.Errorf("%s: read %q, %v", p, got, err)
		}
		for _, absent := range []string{"etc/os-release", "npm-shrinkwrap.json", p + "/x", "var/lib/dpkg/status.d"} {
			if _, err := f.Open(absent); err == nil {
				t.Errorf("%s: %s exists", p, absent)
			}
		}
	}
}
