package runevidence

import (
	"os"
	"strings"
	"testing"
)

// The parsers read files a container controls (its package databases) or
// the kernel writes; none may panic or run unbounded on any input.

func FuzzParseNetTable(f *testing.F) {
	f.Add("  sl  local_address rem_address   st\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1\n", true)
	f.Add("h\n   1: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 07 0:0 0:0 0 0 0 77 2\n", false)
	f.Fuzz(func(t *testing.T, in string, tcp bool) {
		proto := "udp6"
		if tcp {
			proto = "tcp"
		}
		socks, err := parseNetTable(strings.NewReader(in), proto)
		if err == nil {
			for _, s := range socks {
				if s.Port < 0 || s.Port > 65535 || s.Address == "" {
					t.Fatalf("bad socket %+v", s)
				}
			}
		}
	})
}

func FuzzParseMaps(f *testing.F) {
	f.Add("55d4c8a00000-55d4c8a02000 r--p 00000000 08:01 1234   /usr/bin/server (deleted)\n7f0 rw-p 0 00:00 0 \n")
	f.Fuzz(func(t *testing.T, in string) {
		ms, err := parseMaps(strings.NewReader(in))
		if err == nil {
			for _, m := range ms {
				if !strings.HasPrefix(m.path, "/") {
					t.Fatalf("relative path %q", m.path)
				}
			}
		}
	})
}

func FuzzParsePackageDBs(f *testing.F) {
	for _, n := range []string{"testdata/zlib1g.status", "testdata/zlib1g_amd64.list", "testdata/apk_installed"} {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, in string) {
		if _, err := parseDpkgStatus(strings.NewReader(in)); err != nil && !strings.Contains(err.Error(), "too long") {
			t.Fatalf("dpkg status: %v", err)
		}
		for _, md5 := range []bool{false, true} {
			files, _ := parseFileList(strings.NewReader(in), md5) // an over-long line is an error
			for _, p := range files {
				if !strings.HasPrefix(p, "/") {
					t.Fatalf("relative file %q", p)
				}
			}
		}
		pkgs, _ := parseApkInstalled(strings.NewReader(in))
		for _, p := range pkgs {
			for _, f := range p.Files {
				if !strings.HasPrefix(f, "/") {
					t.Fatalf("relative apk file %q", f)
				}
			}
		}
	})
}
