package vulndb

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sightline-sec/sightline/internal/vulndb/pkgname"
)

// SchemaVersion is bumped whenever the on-disk layout changes; Open refuses
// other versions so an old binary never misreads a new file. Schema 2:
// package keys are pkgname.Key (each ecosystem's own name comparison)
// and the fold bucket exists; Write migrates a schema-1 file it replaces.
const SchemaVersion = 2

// ErrSchema is returned (wrapped) by Open for a database of another
// schema; the message says how to rebuild it.
var ErrSchema = errors.New("advisory database of another schema")

// Bucket names of the on-disk layout (see docs/db.md).
var (
	bucketMeta = []byte("meta") // schema, built_at, sources (JSON)
	bucketPkgs = []byte("pkgs") // ecosystem \x00 pkgname.Key(name) → encoded []Affected
	bucketFold = []byte("fold") // ecosystem \x00 pkgname.Fold(key) → the keys of pkgs that fold to it (CaseLost ecosystems)
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
	fold   *bolt.Bucket // nil in schema 1
	hashes []byte       // keyPkgHash, in the mmap: the miss-path filter
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
	db, err := attach(b, path, SchemaVersion)
	if err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

// attach starts the long-lived read transaction and checks the schema:
// minSchema..SchemaVersion is accepted (Open: the current one only).
func attach(b *bolt.DB, path string, minSchema int) (*DB, error) {
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
	if v < minSchema || v > SchemaVersion {
		tx.Rollback()
		return nil, fmt.Errorf("%w: %s has schema %d, this sightline reads schema %d: rebuild it with `sightline db update` (online) or `sightline db import PATH...` / `sightline db update --from BUNDLE` (offline)", ErrSchema, path, v, SchemaVersion)
	}
	db.pkgs, db.recs, db.fold = tx.Bucket(bucketPkgs), tx.Bucket(bucketRecs), tx.Bucket(bucketFold)
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

// pkgKey is the index key of one package: the ecosystem and the name in
// the form the ecosystem compares names in (pkgname.Key).
func pkgKey(ecosystem, name string) []byte {
	return rawKey(ecosystem, pkgname.Key(ecosystem, name))
}

// rawKey joins an ecosystem and an already normalised name.
func rawKey(ecosystem, key string) []byte {
	k := make([]byte, 0, len(ecosystem)+1+len(key))
	k = append(k, ecosystem...)
	k = append(k, 0)
	return append(k, key...)
}

// splitKey is the inverse of rawKey.
func splitKey(k []byte) (ecosystem, key string, ok bool) {
	i := bytes.IndexByte(k, 0)
	if i < 0 {
		return "", "", false
	}
	return string(k[:i]), string(k[i+1:]), true
}

// Affected returns the advisory entries recorded for one package (exact
// ecosystem, e.g. "Debian:12", and name; the name is compared the way its
// ecosystem compares names, see internal/vulndb/pkgname). Most packages
// have none; that path costs one hash-filter probe and no allocation
// beyond the key.
func (db *DB) Affected(ecosystem, name string) ([]Affected, error) {
	name = pkgname.Key(ecosystem, name)
	if !db.mayHave(ecosystem, name) {
		return nil, nil
	}
	v := db.pkgs.Get(rawKey(ecosystem, name))
	if v == nil {
		return nil, nil
	}
	out, err := decodeAffected(v)
	if err != nil {
		return nil, fmt.Errorf("advisory database %s: index entry %s/%s: %w", db.path, ecosystem, name, err)
	}
	return out, nil
}

// CaseVariants returns the package names stored for ecosystem that equal
// name ignoring case, sorted, for a name whose case was lost (a purl
// lowercased by its producer). Only ecosystems with case-sensitive names
// that producers lowercase have variants (pkgname.CaseLost: Go, npm);
// otherwise the result is name itself when it has entries, or nothing.
func (db *DB) CaseVariants(ecosystem, name string) ([]string, error) {
	name = pkgname.Key(ecosystem, name)
	var out []string
	if db.mayHave(ecosystem, name) && db.pkgs.Get(rawKey(ecosystem, name)) != nil {
		out = append(out, name)
	}
	f := pkgname.Fold(name)
	if db.fold == nil || !pkgname.CaseLost(ecosystem) || !db.mayHave(ecosystem, f) {
		return out, nil
	}
	v := db.fold.Get(rawKey(ecosystem, f))
	d := decoder{b: v}
	for len(d.b) > 0 {
		s := d.str()
		if d.err != nil {
			return nil, fmt.Errorf("advisory database %s: fold entry %s/%s: %w", db.path, ecosystem, name, d.err)
		}
		if s != name {
			out = append(out, s)
		}
	}
	slices.Sort(out)
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

// mayHave reports whether a pkgs (or fold) key can have entries: a binary
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
