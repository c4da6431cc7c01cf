package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.json")
	if err := Write(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Fatalf("content %q", b)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", st.Mode())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestErrorsNameTheDestination: the cases from issue 7 (--output into a
// missing directory, onto a directory) name the user's path and the
// cause, never ".r.json.tmp-1120877096".
func TestErrorsNameTheDestination(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		path string
		want string
		is   error
	}{
		{filepath.Join(dir, "nodir", "r.json"), "no such file or directory", fs.ErrNotExist},
		{dir, "is a directory", nil},
	}
	for _, c := range cases {
		err := Write(c.path, []byte("x"), 0o644)
		if err == nil {
			t.Fatalf("%s: no error", c.path)
		}
		msg := err.Error()
		if !strings.Contains(msg, c.path) || !strings.Contains(msg, c.want) || strings.Contains(msg, ".tmp-") {
			t.Errorf("%s: %q", c.path, msg)
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: %v is not %v", c.path, err, c.is)
		}
	}
}
