package vulndb_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/sightline-sec/sightline/internal/vulndb"
)

var (
	realDBOnce  sync.Once
	realDBBytes []byte
	realDBErr   error
)

// realDB is a database built from the repository's real advisory data
// (Go vulndb records, Debian, npm and PyPI OSV records, the KEV and EPSS
// subsets), cut to the pages its meta page counts: big enough to have
// branch, leaf and overflow pages, small enough to copy per test case.
func realDB(t testing.TB) []byte {
	t.Helper()
	realDBOnce.Do(func() {
		p := filepath.Join(os.TempDir(), fmt.Sprintf("sightline-realdb-%d.db", os.Getpid()))
		defer os.Remove(p)
		var bts []*vulndb.Batch
		for _, dir := range []string{quickstart(), td("osv/debian"), td("osv/npm"), td("osv/pypi")} {
			bt, err := vulndb.ReadOSV(ctx, dir, vulndb.ReadOptions{})
			if err != nil {
				realDBErr = err
				return
			}
			bts = append(bts, bt)
		}
		kev, err := vulndb.ReadKEV(td("kev/known_exploited_vulnerabilities-subset.json"))
		if err != nil {
			realDBErr = err
			return
		}
		epss, err := vulndb.ReadEPSS(td("epss/epss-2021-08-31-subset.csv.gz"))
		if err != nil {
			realDBErr = err
			return
		}
		if _, realDBErr = vulndb.Write(ctx, p, append(bts, kev, epss)...); realDBErr != nil {
			return
		}
		b, err := bolt.Open(p, 0o444, &bolt.Options{ReadOnly: true})
		if err != nil {
			realDBErr = err
			return
		}
		var size int64
		b.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil })
		b.Close()
		data, err := os.ReadFile(p)
		if err != nil {
			realDBErr = err
			return
		}
		realDBBytes = data[:size]
	})
	if realDBErr != nil {
		t.Fatal(realDBErr)
	}
	return bytes.Clone(realDBBytes)
}

const pageSize = 4096 // bbolt's page size on the machines that built realDB (os.Getpagesize)

// Page flags of bbolt's on-disk page header (id uint64, flags uint16, …).
const (
	branchPage = 0x01
	leafPage   = 0x02
	metaPage   = 0x04
)

// pagesOf lists the ids of the pages whose header has flag f.
func pagesOf(data []byte, f uint16) []int {
	var ids []int
	for i := 0; (i+1)*pageSize <= len(data); i++ {
		h := data[i*pageSize:]
		if binary.LittleEndian.Uint64(h) == uint64(i) && binary.LittleEndian.Uint16(h[8:])&f != 0 {
			ids = append(ids, i)
		}
	}
	return ids
}

// snapshot is everything a reader can get out of a database: the
// Affected entries, records, KEV and EPSS entries of every package and
// CVE the intact database holds.
type snapshot struct {
	Affected map[string][]vulndb.Affected
	Records  map[string]*vulndb.Record
	KEV      map[string]*vulndb.KEV
	EPSS     map[string]*vulndb.EPSS
}

// keys lists every package key (ecosystem, name) and CVE id of the
// intact real database, read with bbolt directly.
func keys(t testing.TB, data []byte) (pkgs [][2]string, cves []string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "keys.db")
	os.WriteFile(p, data, 0o644)
	b, err := bolt.Open(p, 0o444, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.View(func(tx *bolt.Tx) error {
		tx.Bucket([]byte("pkgs")).ForEach(func(k, _ []byte) error {
			eco, name, _ := bytes.Cut(k, []byte{0})
			pkgs = append(pkgs, [2]string{string(eco), string(name)})
			return nil
		})
		for _, bk := range []string{"kev", "epss"} {
			tx.Bucket([]byte(bk)).ForEach(func(k, _ []byte) error { cves = append(cves, string(k)); return nil })
		}
		return nil
	})
	return pkgs, cves
}

// readAll reads everything through the public API. Any error must be
// damage; the first one is returned.
func readAll(db *vulndb.DB, pkgs [][2]string, cves []string) (snapshot, error) {
	s := snapshot{map[string][]vulndb.Affected{}, map[string]*vulndb.Record{}, map[string]*vulndb.KEV{}, map[string]*vulndb.EPSS{}}
	for _, p := range pkgs {
		aff, err := db.Affected(p[0], p[1])
		if err != nil {
			return s, err
		}
		s.Affected[p[0]+"/"+p[1]] = aff
		for _, a := range aff {
			r, err := db.Record(a.Source, a.RecordID)
			if err != nil {
				return s, err
			}
			s.Records[a.RecordID] = r
		}
	}
	for _, c := range cves {
		s.KEV[c], s.EPSS[c] = db.KEV(c), db.EPSS(c)
	}
	return s, db.Err()
}

// TestDamagedDatabase truncates and zeroes a real database at every kind
// of place (meta pages, each branch page, each leaf page, mid-page inside
// the file) and reads all of it. Never a panic; every error is a
// *DamagedError naming the file; Verify finds every damage that changes
// what a reader gets (when it passes, every read equals the intact one).
func TestDamagedDatabase(t *testing.T) {
	intact := realDB(t)
	pkgs, cves := keys(t, intact)
	if len(pagesOf(intact, branchPage)) == 0 || len(pagesOf(intact, leafPage)) < 4 {
		t.Fatalf("test database too small: branch pages %v, leaf pages %v", pagesOf(intact, branchPage), pagesOf(intact, leafPage))
	}
	want := func() snapshot {
		p := filepath.Join(t.TempDir(), "intact.db")
		os.WriteFile(p, intact, 0o644)
		db, err := vulndb.Open(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := vulndb.Verify(ctx, p); err != nil {
			t.Fatalf("intact database: %v", err)
		}
		s, err := readAll(db, pkgs, cves)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()

	type damage struct {
		name string
		do   func([]byte) []byte
	}
	zero := func(off, n int) func([]byte) []byte {
		return func(b []byte) []byte { clear(b[off:min(off+n, len(b))]); return b }
	}
	cases := []damage{
		{"empty file", func(b []byte) []byte { return b[:0] }},
		{"truncated inside meta page 0", func(b []byte) []byte { return b[:100] }},
		{"truncated after the meta pages", func(b []byte) []byte { return b[:2*pageSize] }},
		{"truncated mid-file", func(b []byte) []byte { return b[:len(b)/2] }},
		{"truncated by one page", func(b []byte) []byte { return b[:len(b)-pageSize] }},
		{"truncated by one byte", func(b []byte) []byte { return b[:len(b)-1] }},
		{"meta page 0 zeroed", zero(0, pageSize)},
		{"both meta pages zeroed", zero(0, 2*pageSize)},
		{"mid-file bytes zeroed", zero(len(intact)/2+100, 512)},
	}
	for _, id := range pagesOf(intact, branchPage) {
		cycle := func(b []byte) []byte { // first child: the branch page itself
			binary.LittleEndian.PutUint64(b[id*pageSize+16+8:], uint64(id))
			return b
		}
		// The routing keys after the element headers: lookups go astray
		// while a walk over every key still passes (found in CI: the
		// mid-file case landed there on some builds).
		n := int(binary.LittleEndian.Uint16(intact[id*pageSize+10:]))
		cases = append(cases, damage{fmt.Sprintf("branch page %d keys zeroed", id), zero(id*pageSize+16+n*16, 64)})
		cases = append(cases, damage{fmt.Sprintf("branch page %d zeroed", id), zero(id*pageSize, pageSize)},
			damage{fmt.Sprintf("branch page %d elements zeroed", id), zero(id*pageSize+16, 64)},
			damage{fmt.Sprintf("branch page %d points at itself", id), cycle})
	}
	for _, id := range pagesOf(intact, leafPage) {
		cases = append(cases, damage{fmt.Sprintf("leaf page %d zeroed", id), zero(id*pageSize, pageSize)},
			damage{fmt.Sprintf("leaf page %d header kept, body zeroed", id), zero(id*pageSize+16, pageSize-16)})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "sightline.db")
			os.WriteFile(p, c.do(bytes.Clone(intact)), 0o644)
			verr := vulndb.Verify(ctx, p)
			checkDamage(t, p, verr)
			db, err := vulndb.Open(ctx, p)
			if err != nil {
				checkDamage(t, p, err)
				if verr == nil {
					t.Fatalf("Open failed (%v) but Verify passed", err)
				}
				return
			}
			defer db.Close()
			got, err := readAll(db, pkgs, cves)
			checkDamage(t, p, err)
			if verr == nil && (err != nil || !reflect.DeepEqual(got, want)) {
				t.Fatalf("Verify passed, but reads differ from the intact database (err %v)", err)
			}
		})
	}
}

// checkDamage: err is nil or a DamagedError naming the file and the fix.
func checkDamage(t *testing.T, path string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var d *vulndb.DamagedError
	if !errors.As(err, &d) || !errors.Is(err, vulndb.ErrDamaged) || d.Path != path ||
		!bytes.Contains([]byte(err.Error()), []byte("sightline db update")) {
		t.Fatalf("error is not a DamagedError naming %s and the fix: %v", path, err)
	}
}

// FuzzDamagedDatabase: any edit of a real database file opens, reads and
// verifies to a result or a DamagedError, never a panic, a hang or a
// crash. The fuzzer mutates edits, not the 70 KB file itself: every 4
// bytes are a 24-bit file offset and a byte to store there; cut, when
// non-zero, truncates the file to cut bytes. Small inputs keep
// minimisation cheap and every mutation lands in the file.
func FuzzDamagedDatabase(f *testing.F) {
	intact := realDB(f)
	pkgs, cves := keys(f, intact)
	f.Add([]byte{}, uint32(0))
	for _, id := range append(pagesOf(intact, branchPage), pagesOf(intact, leafPage)[:2]...) {
		off := id*pageSize + 20 // an element's position or size
		f.Add([]byte{byte(off >> 16), byte(off >> 8), byte(off), 0xff}, uint32(0))
		cyc := id*pageSize + 16 + 8 // first child: the page itself
		f.Add([]byte{byte(cyc >> 16), byte(cyc >> 8), byte(cyc), byte(id)}, uint32(0))
	}
	f.Add([]byte{}, uint32(len(intact)/2))
	f.Fuzz(func(t *testing.T, edits []byte, cut uint32) {
		data := bytes.Clone(intact)
		for ; len(edits) >= 4; edits = edits[4:] {
			off := int(edits[0])<<16 | int(edits[1])<<8 | int(edits[2])
			data[off%len(data)] = edits[3]
		}
		if cut > 0 && int(cut) < len(data) {
			data = data[:cut]
		}
		p := filepath.Join(t.TempDir(), "sightline.db")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		verr := vulndb.Verify(ctx, p)
		checkDamage(t, p, verr)
		db, err := vulndb.Open(ctx, p)
		if err != nil {
			if !errors.Is(err, vulndb.ErrDamaged) && !bytes.Contains([]byte(err.Error()), []byte("schema")) {
				t.Fatalf("Open: %v", err)
			}
			return
		}
		defer db.Close()
		_, err = readAll(db, pkgs, cves)
		checkDamage(t, p, err)
		if verr == nil && err != nil {
			t.Fatalf("Verify passed but a read failed: %v", err)
		}
	})
}
