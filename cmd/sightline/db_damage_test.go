package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// damagedCLI is a cache dir holding a database imported from the repo's
// real advisory data (Go vulndb records, Debian, npm and PyPI OSV, KEV,
// EPSS): big enough to have branch and leaf pages.
func damagedCLI(t *testing.T) *cli {
	t.Helper()
	c := newCLI(t)
	td := filepath.Join("..", "..", "testdata")
	c.ok("db", "import", filepath.Join(td, "quickstart"), filepath.Join(td, "vulndb", "osv", "debian"),
		filepath.Join(td, "vulndb", "osv", "npm"), filepath.Join(td, "vulndb", "osv", "pypi"),
		filepath.Join(td, "vulndb", "kev", "known_exploited_vulnerabilities-subset.json"),
		filepath.Join(td, "vulndb", "epss", "epss-2021-08-31-subset.csv.gz"))
	return c
}

func (c *cli) dbFile() string { return filepath.Join(c.cache, "db", "sightline.db") }

// pageIDs lists the non-empty pages of a bbolt file whose header names
// them and has flag f (0x01 branch, 0x02 leaf): bbolt's page header is
// id uint64, flags uint16, count uint16, overflow uint32.
func pageIDs(t *testing.T, path string, f uint16) []int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const ps = 4096
	var ids []int
	for i := 2; (i+1)*ps <= len(data); i++ {
		h := data[i*ps:]
		// count > 0: the empty leaf bbolt creates a new file with is
		// left unreachable once the first commit replaces it
		if binary.LittleEndian.Uint64(h) == uint64(i) && binary.LittleEndian.Uint16(h[8:])&f != 0 && binary.LittleEndian.Uint16(h[10:]) > 0 {
			ids = append(ids, i)
		}
	}
	return ids
}

// sbomOf writes a CycloneDX SBOM listing purls.
func sbomOf(t *testing.T, purls ...string) string {
	t.Helper()
	var comps []map[string]string
	for _, p := range purls {
		name, ver, _ := strings.Cut(p[strings.LastIndex(p, "/")+1:], "@")
		comps = append(comps, map[string]string{"type": "library", "name": name, "version": ver, "purl": p})
	}
	b, _ := json.Marshal(map[string]any{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": comps})
	p := filepath.Join(t.TempDir(), "bom.cdx.json")
	os.WriteFile(p, b, 0o644)
	return p
}

// TestDBDamagedCLI damages the installed database in place (truncated,
// zeroed meta, branch and leaf pages, bytes in the middle) and runs the
// real commands: db status, db query and scan exit 2 with a message
// naming the file and how to rebuild it, never a panic; `db update`
// from a local mirror and `db import` repair it.
func TestDBDamagedCLI(t *testing.T) {
	intact := damagedCLI(t)
	good, err := os.ReadFile(intact.dbFile())
	if err != nil {
		t.Fatal(err)
	}
	branches, leaves := pageIDs(t, intact.dbFile(), 0x01), pageIDs(t, intact.dbFile(), 0x02)
	if len(branches) == 0 || len(leaves) < 3 {
		t.Fatalf("database too small to damage by page kind: branch %v leaf %v", branches, leaves)
	}
	hwm := (leaves[len(leaves)-1] + 1) * 4096
	zero := func(off, n int) func(*os.File) error {
		return func(f *os.File) error { _, err := f.WriteAt(make([]byte, n), int64(off)); return err }
	}
	trunc := func(n int) func(*os.File) error { return func(f *os.File) error { return f.Truncate(int64(n)) } }
	cases := []struct {
		name   string
		damage func(*os.File) error
		sure   bool // every command must report it (a page the check reaches)
	}{
		{"truncated inside the meta page", trunc(100), true},
		{"truncated after the meta pages", trunc(2 * 4096), true},
		{"truncated mid-file", trunc(hwm / 2), true},
		{"meta page 0 zeroed", zero(0, 4096), true},
		{"first branch page zeroed", zero(branches[0]*4096, 4096), true},
		{"first leaf page zeroed", zero(leaves[0]*4096, 4096), true},
		{"last leaf page zeroed", zero(leaves[len(leaves)-1]*4096, 4096), true},
		{"bytes in the middle zeroed", zero(hwm/2+1000, 700), false},
	}
	bom := sbomOf(t, "pkg:golang/golang.org/x/text@v0.3.5", "pkg:npm/lodash@4.17.15", "pkg:pypi/django@3.2.0")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCLI(t)
			os.MkdirAll(filepath.Dir(c.dbFile()), 0o755)
			os.WriteFile(c.dbFile(), good, 0o644)
			f, err := os.OpenFile(c.dbFile(), os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.damage(f); err != nil {
				t.Fatal(err)
			}
			f.Close()
			for _, args := range [][]string{
				{"db", "status"},
				{"db", "query", "pkg:golang/golang.org/x/text@v0.3.5"},
				{"db", "query", "pkg:npm/lodash@4.17.15"},
				{"scan", "sbom", "--format", "json", bom},
			} {
				_, stderr, code := c.run(args...)
				if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
					t.Fatalf("%v: a panic reached the user:\n%s", args, stderr)
				}
				damaged := code == 2 && strings.Contains(stderr, c.dbFile()+" is damaged") && strings.Contains(stderr, "sightline db update")
				if !damaged && (tc.sure || code != 0) {
					t.Errorf("%v: exit %d, stderr %q; want exit 2 saying the database is damaged and how to rebuild it", args, code, stderr)
				}
			}
		})
	}

	// Repair: db update from a local mirror rebuilds a damaged database;
	// db import over one warns that its sources are gone.
	mirror := t.TempDir()
	os.MkdirAll(filepath.Join(mirror, "Go"), 0o755)
	zipDir(t, filepath.Join("..", "..", "testdata", "quickstart"), filepath.Join(mirror, "Go", "all.zip"))
	c := newCLI(t)
	os.MkdirAll(filepath.Dir(c.dbFile()), 0o755)
	os.WriteFile(c.dbFile(), good[:hwm/2], 0o644)
	if _, stderr, code := c.run("db", "update", "--mirror", mirror, "--ecosystems", "Go", "--kev", "none", "--epss", "none", "--offline"); code != 0 || !strings.Contains(stderr, "is damaged") {
		t.Fatalf("db update over a damaged database: exit %d %s", code, stderr)
	}
	if q := c.query("pkg:golang/golang.org/x/text@v0.3.5"); len(q.Vulnerabilities) == 0 {
		t.Fatal("rebuilt database lost the Go advisories")
	}
	os.WriteFile(c.dbFile(), good[:hwm/2], 0o644)
	_, stderr, code := c.run("db", "import", filepath.Join("..", "..", "testdata", "quickstart"))
	if code != 0 || !strings.Contains(stderr, "was damaged") {
		t.Fatalf("db import over a damaged database: exit %d %s", code, stderr)
	}
}

// TestDBUpdateFromGarbageBundle: a bundle whose database is garbage but
// whose manifest checksum and size match it is refused as damaged, and
// the installed database stays as it was.
func TestDBUpdateFromGarbageBundle(t *testing.T) {
	a := damagedCLI(t)
	bundle := filepath.Join(t.TempDir(), "db.tar.gz")
	a.ok("db", "export", bundle)
	garbage, _ := os.ReadFile(a.dbFile())
	for _, id := range pageIDs(t, a.dbFile(), 0x01|0x02) {
		clear(garbage[id*4096 : (id+1)*4096])
	}
	bad := filepath.Join(t.TempDir(), "garbage.tar.gz")
	os.WriteFile(bad, rebundle(t, bundle, garbage), 0o644)

	b := newCLI(t)
	b.ok("db", "import", filepath.Join("..", "..", "testdata", "quickstart"))
	before, _ := os.ReadFile(b.dbFile())
	_, stderr, code := b.run("db", "update", "--from", bad)
	if code != 2 || !strings.Contains(stderr, "garbage.tar.gz") || !strings.Contains(stderr, "is damaged") || strings.Contains(stderr, "goroutine") {
		t.Fatalf("garbage bundle: exit %d, stderr %q", code, stderr)
	}
	if after, _ := os.ReadFile(b.dbFile()); !bytes.Equal(before, after) {
		t.Fatal("the installed database was replaced by a garbage bundle")
	}
}

// rebundle replaces the database of a bundle and recomputes the
// manifest's size and SHA-256 to match, as someone who edits both would.
func rebundle(t *testing.T, bundle string, db []byte) []byte {
	t.Helper()
	f, err := os.Open(bundle)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		switch h.Name {
		case "manifest.json":
			var m map[string]any
			json.Unmarshal(data, &m)
			sum := sha256.Sum256(db)
			m["size"], m["sha256"] = len(db), hex.EncodeToString(sum[:])
			data, _ = json.Marshal(m)
		case "sightline.db":
			data = db
		}
		h.Size = int64(len(data))
		tw.WriteHeader(h)
		tw.Write(data)
	}
	tw.Close()
	zw.Close()
	return out.Bytes()
}

// zipDir zips the .json files of dir into dst (an osv.dev-style all.zip).
func zipDir(t *testing.T, dir, dst string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create(filepath.Base(p))
		w.Write(data)
	}
	zw.Close()
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(fmt.Errorf("writing %s: %w", dst, err))
	}
}
