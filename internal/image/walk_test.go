package image

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

func seedTar(entries ...tar.Header) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range entries {
		tw.WriteHeader(&h)
		if h.Typeflag == tar.TypeReg {
			tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
		}
	}
	tw.Close()
	return buf.Bytes()
}

func checkPath(t *testing.T, p string) {
	if strings.HasPrefix(p, "/") || p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, "/../") {
		t.Fatalf("entry path %q escapes the root", p)
	}
}

// FuzzWalkLayer: any byte stream yields entries with root-relative paths
// or an error, never a panic.
func FuzzWalkLayer(f *testing.F) {
	f.Add(seedTar(tar.Header{Name: "etc/os-release", Typeflag: tar.TypeReg, Size: 3, Mode: 0o644}))
	f.Add(seedTar(tar.Header{Name: "../../x", Typeflag: tar.TypeReg, Size: 1}, tar.Header{Name: "a/.wh..wh..opq", Typeflag: tar.TypeReg}))
	f.Add(seedTar(tar.Header{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "/../../etc"}, tar.Header{Name: "h", Typeflag: tar.TypeLink, Linkname: "../h"}))
	f.Add(seedTar(tar.Header{Name: "dev/x", Typeflag: tar.TypeChar}, tar.Header{Name: "a/.wh.b", Typeflag: tar.TypeReg}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = WalkLayer(context.Background(), bytes.NewReader(b), Limits{MaxEntries: 10000, MaxBytes: 1 << 20}, func(string) {},
			func(e *Entry) error {
				checkPath(t, e.Path)
				if e.Kind == Hardlink {
					checkPath(t, e.Link)
				}
				if e.Kind == Symlink {
					checkPath(t, ResolveLink(e.Path, e.Link))
				}
				return nil
			})
	})
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{"./etc/passwd": "etc/passwd", "a//b/./c": "a/b/c", "a/../b": "b", ".": "", "./": ""} {
		if got, ok := CleanPath(in); !ok || got != want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"../x", "a/../../x", "/etc/passwd", "x\x00y"} {
		if _, ok := CleanPath(in); ok {
			t.Errorf("CleanPath(%q) accepted", in)
		}
	}
	for _, c := range [][3]string{{"etc/os-release", "../usr/lib/os-release", "usr/lib/os-release"},
		{"etc/os-release", "/../../../../host", "host"}, {"a/b", "../../../../x", "x"}} {
		if got := ResolveLink(c[0], c[1]); got != c[2] {
			t.Errorf("ResolveLink(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

type chunky struct {
	data []byte
	err  error
}

func (c *chunky) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, c.err
	}
	n := copy(p, c.data[:min(len(c.data), 1000)])
	c.data = c.data[n:]
	return n, nil
}
func (c *chunky) Close() error { return nil }

func TestReadAhead(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 300000)
	r := newReadAhead(&chunky{data: data, err: io.EOF})
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	r.Close()
	r = newReadAhead(&chunky{data: data[:5000], err: io.ErrUnexpectedEOF})
	if got, err := io.ReadAll(r); err != io.ErrUnexpectedEOF || len(got) != 5000 {
		t.Fatalf("truncated source: %d bytes, %v", len(got), err)
	}
	// Closing early stops the goroutine.
	r = newReadAhead(&chunky{data: data, err: io.EOF})
	r.Read(make([]byte, 10))
	r.Close()
}
