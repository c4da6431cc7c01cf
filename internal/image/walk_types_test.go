package image

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// TestEntryTypesNeverDroppedSilently: every tar entry type that can carry
// file content comes through: contiguous files ('7') are read as files
// with a warning (the Docker engine refuses them), unknown types are
// Unreadable with a warning, global headers and volume labels are
// metadata, GNU dumpdirs are directories, and a root opaque marker is an
// Opaque entry for the root ("").
func TestEntryTypesNeverDroppedSilently(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []tar.Header{
		{Name: "var/lib/dpkg/status", Typeflag: tar.TypeCont, Size: 5, Mode: 0o644},
		{Name: "usr/lib/os-release", Typeflag: 'Z', Size: 5, Mode: 0o644},
		{Name: "d/", Typeflag: 'D', Mode: 0o755},
		{Name: "label", Typeflag: 'V'},
		{Name: ".wh..wh..opq", Typeflag: tar.TypeReg},
	} {
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("%s: %v", h.Name, err)
		}
		if h.Size > 0 {
			tw.Write([]byte("hello"))
		}
	}
	tw.Close()
	var warns []string
	got := map[string]*Entry{}
	err := WalkLayer(context.Background(), &buf, Limits{}, func(w string) { warns = append(warns, w) }, func(e *Entry) error {
		if e.Kind == File {
			b, _ := io.ReadAll(e.Body)
			e.Link = string(b) // keep what was read
		}
		got[e.Path] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if e := got["var/lib/dpkg/status"]; e == nil || e.Kind != File || e.Link != "hello" {
		t.Errorf("contiguous file: %+v", e)
	}
	if e := got["usr/lib/os-release"]; e == nil || e.Kind != Unreadable || e.Skip != SkipUnsupported {
		t.Errorf("unknown type: %+v", e)
	}
	if e := got["d"]; e == nil || e.Kind != Dir {
		t.Errorf("dumpdir: %+v", e)
	}
	if e := got["label"]; e != nil {
		t.Errorf("volume label came through as %+v", e)
	}
	if e := got[""]; e == nil || e.Kind != Opaque {
		t.Errorf("root opaque marker: %+v", e)
	}
	all := strings.Join(warns, "\n")
	for _, w := range []string{"/var/lib/dpkg/status", "refuse to apply", "/usr/lib/os-release", `'Z'`} {
		if !strings.Contains(all, w) {
			t.Errorf("no warning with %q in %q", w, all)
		}
	}
}
