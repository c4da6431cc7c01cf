package inventory

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseOSRelease(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "image", "debian12", "etc_os-release"))
	if err != nil {
		t.Fatal(err)
	}
	m := ParseOSRelease(b)
	if m["ID"] != "debian" || m["VERSION_ID"] != "12" || m["PRETTY_NAME"] != "Debian GNU/Linux 12 (bookworm)" {
		t.Fatalf("parsed %v", m)
	}
	if os := OSFromRelease(m); os.Ecosystem != "Debian:12" {
		t.Errorf("ecosystem %q", os.Ecosystem)
	}
	for in, want := range map[string]string{
		"ID=alpine\nVERSION_ID=3.20.3\n":                  "Alpine:v3.20",
		"ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"": "Ubuntu:22.04",
		"ID=wolfi\n": "Wolfi",
	} {
		if got := OSFromRelease(ParseOSRelease([]byte(in))); got == nil || got.Ecosystem != want {
			t.Errorf("%q → %+v, want %s", in, got, want)
		}
	}
	if m := ParseOSRelease([]byte("# c\nBAD KEY=1\nX='a b'\nY=\"q\\\"uote\"\n")); m["X"] != "a b" || m["Y"] != `q"uote` || len(m) != 2 {
		t.Errorf("quoting: %v", m)
	}
}

// FuzzParseOSRelease: no input panics; keys are always valid identifiers.
func FuzzParseOSRelease(f *testing.F) {
	f.Add([]byte("ID=debian\nVERSION_ID=\"12\"\n"))
	f.Add([]byte("X='unterminated\nY=\"\\\"\nZ=\\"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for k := range ParseOSRelease(b) {
			if !validKey(k) {
				t.Fatalf("invalid key %q", k)
			}
		}
		_ = OSFromRelease(ParseOSRelease(b))
	})
}

// FuzzOSPackageParsers runs the dpkg and apk database parsers (osv-scalibr's,
// behind our Extract, which turns their panics into warnings) on arbitrary
// content at their real paths.
func FuzzOSPackageParsers(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "image", "debian12", "var_lib_dpkg_status")); err == nil {
		f.Add(b[:4096], false)
	}
	f.Add([]byte("P:musl\nV:1.2.5-r0\nA:x86_64\no:musl\n\nP:busybox\nV:1.36.1-r29\n"), true)
	f.Add([]byte("Package: a\nStatus: install ok installed\nVersion: 1\nSource: b (2)\n"), false)
	x, err := NewExtractor()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte, apk bool) {
		p := "var/lib/dpkg/status"
		if apk {
			p = "lib/apk/db/installed"
		}
		recs, skips, err := x.Extract(context.Background(), p, 0o644, b)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range skips {
			if strings.Contains(s.Detail, "panicked") {
				t.Fatalf("parser panic: %s", s)
			}
		}
		for _, r := range recs {
			_ = r.Package(map[string]string{"ID": "debian", "VERSION_ID": "12"})
		}
	})
}
