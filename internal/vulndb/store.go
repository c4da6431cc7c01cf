package vulndb

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is bumped whenever the on-disk layout changes; Open refuses
// other versions so an old binary never misreads a new file.
// 2: Go affected entries carry ecosystem_specific.imports.
const SchemaVersion = 2

// Bucket names of the on-disk layout (see docs/db.md).
var (
	bucketMeta = []byte("meta") // schema, built_at, sources (JSON)
	bucketPkgs = []byte("pkgs") // ecosystem \x00 name → encoded []Affected
	bucketRecs = []byte("recs") // srcID (2 bytes, big endian) + record id → JSON Record
	bucketKEV  = []byte("kev")  // CVE id → JSON KEV
	bucketEPSS = []byte("epss") // CVE id → score float32, percentile float32
)

var (
	keySchema  = []byte("schema")
	keyBuilt   = []byte("built_at")
	keySources = []byte("sources")
	keyEPSSDay = []byte("epss_date")
	keyPkgHash = []byte("pkg_hashes") // sorted little-endian uint64 FNV-1a hashes of every pkgs key
)

// ErrNoDB is returned (wrapped) by Open when there is no database yet.
var ErrNoDB = errors.New("no advisory database")

// DefaultPath is where the database lives under a cache dir.
func DefaultPath(cacheDir string) string {
	return filepath.Join(cacheDir, "db", "sightline.db")
}

// DB is an open, read-only advisory database. It is safe for concurrent
// use by several goroutines.
type DB struct {
	path   string
	bolt   *bolt.DB
	tx     *bolt.Tx
	pkgs   *bolt.Bucket
	recs   *bolt.Bucket
	kev    *bolt.Bucket
	epss   *bolt.Bucket
	hashes []byte // keyPkgHash, in the mmap: the miss-path filter
	status Status
}

// Open opens the database at path read-only. A missing file is an error
// wrapping ErrNoDB that tells the user how to create one.
func Open(ctx context.Context, path string) (*DB, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s: run `sightline db update` (online) or `sightline db import PATH` / `sightline db update --from BUNDLE` (offline) first", ErrNoDB, path)
	}
	b, err := bolt.Open(path, 0o444, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("opening advisory database %s: %w", path, err)
	}
	db, err := attach(b, path)
	if err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

// attach starts the long-lived read transaction and checks the schema.
func attach(b *bolt.DB, path string) (*DB, error) {
	tx, err := b.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("reading advisory database %s: %w", path, err)
	}
	db := &DB{path: path, bolt: b, tx: tx}
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		tx.Rollback()
		return nil, fmt.Errorf("advisory database %s: not a sightline database (no meta bucket)", path)
	}
	v, _ := strconv.Atoi(string(meta.Get(keySchema)))
	if v != SchemaVersion {
		tx.Rollback()
		return nil, fmt.Errorf("advisory database %s has schema %d, this sightline reads schema %d: run `sightline db update` or re-import", path, v, SchemaVersion)
	}
	db.pkgs, db.recs = tx.Bucket(bucketPkgs), tx.Bucket(bucketRecs)
	db.kev, db.epss = tx.Bucket(bucketKEV), tx.Bucket(bucketEPSS)
	if db.pkgs == nil || db.recs == nil || db.kev == nil || db.epss == nil {
		tx.Rollback()
		return nil, fmt.Errorf("advisory database %s: missing buckets (corrupt file?)", path)
	}
	db.hashes = meta.Get(keyPkgHash)
	if len(db.hashes)%8 != 0 {
		tx.Rollback()
		return nil, fmt.Errorf("advisory database %s: corrupt package hash index", path)
	}
	st, err := readStatus(meta)
	if err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("advisory database %s: %w", path, err)
	}
	st.Path = path
	db.status = st
	return db, nil
}

// Close releases the file.
func (db *DB) Close() error {
	if db == nil || db.bolt == nil {
		return nil
	}
	err := db.tx.Rollback()
	if cerr := db.bolt.Close(); err == nil {
		err = cerr
	}
	db.bolt = nil
	return err
}

// Path is the file the database was opened from.
func (db *DB) Path() string { return db.path }

// Status describes what the database holds and how old it is.
func (db *DB) Status() Status {
	st := db.status
	st.Sources = append([]SourceMeta(nil), st.Sources...)
	st.markStale(time.Now())
	return st
}

// pkgKey is the index key of one package. PyPI names are compared in
// their PEP 503 normal form (case and runs of "-_." do not matter).
func pkgKey(ecosystem, name string) []byte {
	if ecosystem == "PyPI" {
		name = pep503(name)
	}
	k := make([]byte, 0, len(ecosystem)+1+len(name))
	k = append(k, ecosystem...)
	k = append(k, 0)
	return append(k, name...)
}

// Affected returns the advisory entries recorded for one package (exact
// ecosystem, e.g. "Debian:12", and name). Most packages have none; that
// path costs one B+tree lookup and no allocation beyond the key.
func (db *DB) Affected(ecosystem, name string) ([]Affected, error) {
	if ecosystem == "PyPI" {
		name = pep503(name)
	}
	if !db.mayHave(ecosystem, name) {
		return nil, nil
	}
	v := db.pkgs.Get(pkgKey(ecosystem, name))
	if v == nil {
		return nil, nil
	}
	out, err := decodeAffected(v)
	if err != nil {
		return nil, fmt.Errorf("advisory database %s: index entry %s/%s: %w", db.path, ecosystem, name, err)
	}
	return out, nil
}

// Record returns the stored details of one OSV record of one source
// (the Source and RecordID of an Affected entry).
func (db *DB) Record(src uint16, id string) (*Record, error) {
	v := db.recs.Get(recKey(src, id))
	if v == nil {
		return nil, fmt.Errorf("advisory database %s: record %s missing", db.path, id)
	}
	var r Record
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("advisory database %s: record %s: %w", db.path, id, err)
	}
	return &r, nil
}

// KEV returns the CISA KEV entry of a CVE id, or nil.
func (db *DB) KEV(cve string) *KEV {
	v := db.kev.Get([]byte(cve))
	if v == nil {
		return nil
	}
	var k KEV
	if json.Unmarshal(v, &k) != nil {
		return nil
	}
	return &k
}

// EPSS returns the EPSS score of a CVE id, or nil.
func (db *DB) EPSS(cve string) *EPSS {
	v := db.epss.Get([]byte(cve))
	if len(v) != 8 {
		return nil
	}
	return &EPSS{
		CVE:        cve,
		Score:      roundScore(float64(mathFloat32(v[0:4]))),
		Percentile: roundScore(float64(mathFloat32(v[4:8]))),
		Date:       db.status.EPSSDate,
	}
}

func mathFloat32(b []byte) float32 {
	return float32frombits(binary.LittleEndian.Uint32(b))
}

// pep503 normalises a Python project name.
func pep503(name string) string {
	var b []byte
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.':
			sep = true
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if sep && len(b) > 0 {
			b = append(b, '-')
		}
		sep = false
		b = append(b, c)
	}
	return string(b)
}

// FNV-1a, 64 bit: hashes of package keys for the miss-path filter.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// pkgHash is the FNV-1a hash of pkgKey(ecosystem, name) (name already
// normalised), computed without building the key.
func pkgHash(ecosystem, name string) uint64 {
	h := fnvString(fnvOffset, ecosystem)
	h ^= 0
	h *= fnvPrime
	return fnvString(h, name)
}

// mayHave reports whether the package can have index entries: a binary
// search over the sorted hashes stored in the file (read in place from the
// mmap, nothing loaded at open). Most scanned packages have no advisory,
// and this answers them without a B+tree descent.
func (db *DB) mayHave(ecosystem, name string) bool {
	if db.hashes == nil {
		return true // database without the filter
	}
	h := pkgHash(ecosystem, name)
	lo, hi := 0, len(db.hashes)/8
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		v := binary.LittleEndian.Uint64(db.hashes[mid*8:])
		switch {
		case v == h:
			return true
		case v < h:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return false
}
