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
	"runtime/debug"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
	"unsafe"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/sightline-sec/sightline/internal/vulndb/pkgname"
)

// SchemaVersion is bumped whenever the on-disk layout changes; Open refuses
// other versions so an old binary never misreads a new file. Schema 2:
// package keys are pkgname.Key (each ecosystem's own name comparison)
// and the fold bucket exists. Schema 3: Go affected entries carry
// ecosystem_specific.imports. A file of another schema is never copied
// into a new one (its encoded entries differ): Write rebuilds from the
// new batches and says what was dropped; `db update` fetches everything.
const SchemaVersion = 3

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

// ErrDamaged is matched (errors.Is) by every error that reports a database
// file that cannot be read as it was written: truncated, overwritten,
// zeroed pages, a bundle whose database is garbage. The CLI exits with 2
// for it (docs/cli.md): the fix is the user's, rebuild the file.
var ErrDamaged = errors.New("advisory database is damaged")

// DamagedError names the damaged file, what was found, and how to
// rebuild it. It matches ErrDamaged.
type DamagedError struct {
	Path string
	Err  error
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("advisory database %s is damaged: %v; rebuild it with \"sightline db update\" "+
		"(offline: \"sightline db import PATH...\" or \"sightline db update --from BUNDLE\")", e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *DamagedError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

func damaged(path string, err error) error { return &DamagedError{Path: path, Err: err} }

// DefaultPath is where the database lives under a cache dir.
func DefaultPath(cacheDir string) string {
	return filepath.Join(cacheDir, "db", "sightline.db")
}

// DB is an open, read-only advisory database. It is safe for concurrent
// use by several goroutines.
//
// Every method that reads the memory map runs under guard: bbolt trusts
// its file (a corrupt page makes it panic, a page id past the end of the
// file makes it read outside the mapping), so a fault there is turned into
// a panic (debug.SetPanicOnFault) and every panic into a DamagedError.
type DB struct {
	path   string
	bolt   *bolt.DB
	tx     *bolt.Tx
	pkgs   *bolt.Bucket
	recs   *bolt.Bucket
	kev    *bolt.Bucket
	epss   *bolt.Bucket
	fold   *bolt.Bucket
	hashes []byte // keyPkgHash, in the mmap: the miss-path filter
	status Status
	// base and size delimit the file in the memory map: every value
	// handed out must lie inside (see inFile).
	base, size uintptr
	// fault is the first damage met by a read that cannot return an
	// error (KEV, EPSS); Err reports it.
	fault atomic.Pointer[DamagedError]
	ecos  ecoIndex // ecosystems in the index, computed on first use
}

// Open opens the database at path read-only and checks what can be
// checked without reading every record (docs/db.md, "Damaged
// databases"): bbolt's meta page checksums, that the file holds every
// page the meta page counts (a truncated file), the shape of every page
// tree (or, when the stamp of an earlier full check matches, of the root
// and meta buckets only: stamp.go), the schema, the buckets, and that the
// package hash index lies inside the file. A missing file is an error
// wrapping ErrNoDB that tells the user how to create one; a damaged one
// is a *DamagedError. Verify reads everything.
func Open(ctx context.Context, path string) (*DB, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for try := 0; ; try++ {
		before, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w at %s: run `sightline db update` (online) or `sightline db import PATH` / `sightline db update --from BUNDLE` (offline) first", ErrNoDB, path)
		}
		if err != nil {
			return nil, fmt.Errorf("opening advisory database %s: %w", path, err)
		}
		if before.Size() == 0 {
			// bbolt would try to initialise it (and fail: read-only)
			return nil, damaged(path, errors.New("the file is empty"))
		}
		b, err := openBolt(path)
		if err != nil {
			return nil, err
		}
		// The size must be the opened file's: a concurrent `db update`
		// may rename a new file over path between the Stat and the open.
		if after, err := os.Stat(path); (err != nil || !os.SameFile(before, after)) && try < 3 {
			b.Close()
			continue
		}
		db, err := attach(b, path, before)
		if err != nil {
			b.Close()
			return nil, err
		}
		return db, nil
	}
}

// openBolt opens the file read-only; bbolt's own meta page checks
// (magic, version, checksum) failing means damage.
func openBolt(path string) (b *bolt.DB, err error) {
	defer func(old bool) {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			b, err = nil, damaged(path, fmt.Errorf("%v", r))
		}
	}(debug.SetPanicOnFault(true))
	b, err = bolt.Open(path, 0o444, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	var pe *fs.PathError
	switch {
	case err == nil:
		return b, nil
	case errors.As(err, &pe), errors.Is(err, berrors.ErrTimeout):
		// the file system said no (permissions, I/O) or a writer holds
		// the lock: not the file's content
		return nil, fmt.Errorf("opening advisory database %s: %w", path, err)
	}
	// Everything else is bbolt rejecting the content: no magic, both
	// meta pages bad, a file smaller than its meta page says.
	return nil, damaged(path, fmt.Errorf("not a readable bbolt file (%w)", err))
}

// attach starts the long-lived read transaction and checks the schema,
// the buckets and the file size.
func attach(b *bolt.DB, path string, fi fs.FileInfo) (db *DB, err error) {
	fileSize := fi.Size()
	tx, err := b.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("reading advisory database %s: %w", path, err)
	}
	db = &DB{path: path, bolt: b, tx: tx, base: b.Info().Data, size: uintptr(fileSize)}
	defer func() { // after guard (defers run last first): sees its error too
		if err != nil {
			tx.Rollback() // or Close waits for the transaction forever
		}
	}()
	defer db.guard(&err, debug.SetPanicOnFault(true))
	if need := tx.Size(); need > fileSize {
		return nil, damaged(path, fmt.Errorf("the file is truncated: %d bytes, its meta page counts %d", fileSize, need))
	}
	check := checkTop
	if !stamped(path, fi) {
		check = checkPages // see stamp.go
	}
	if err := checkFile(path, b.Info().PageSize, uint64(tx.ID()), check); err != nil {
		return nil, err
	}
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return nil, damaged(path, errors.New("no meta bucket (not a sightline database, or its root page is lost)"))
	}
	v, err := strconv.Atoi(string(meta.Get(keySchema)))
	if err != nil {
		return nil, damaged(path, fmt.Errorf("schema version unreadable: %w", err))
	}
	if v != SchemaVersion {
		return nil, fmt.Errorf("%w: %s has schema %d, this sightline reads schema %d: rebuild it with `sightline db update` (online) or `sightline db import PATH...` / `sightline db update --from BUNDLE` (offline)", ErrSchema, path, v, SchemaVersion)
	}
	db.pkgs, db.recs, db.fold = tx.Bucket(bucketPkgs), tx.Bucket(bucketRecs), tx.Bucket(bucketFold)
	db.kev, db.epss = tx.Bucket(bucketKEV), tx.Bucket(bucketEPSS)
	if db.pkgs == nil || db.recs == nil || db.fold == nil || db.kev == nil || db.epss == nil {
		return nil, damaged(path, errors.New("missing buckets"))
	}
	db.hashes = meta.Get(keyPkgHash)
	if len(db.hashes)%8 != 0 || !db.inFile(meta, db.hashes) {
		return nil, damaged(path, errors.New("corrupt package hash index"))
	}
	st, err := readStatus(meta)
	if err != nil {
		return nil, damaged(path, err)
	}
	st.Path = path
	db.status = st
	return db, nil
}

// guard is deferred, with the previous SetPanicOnFault setting, by every
// method that reads the memory map: it restores the setting and turns a
// panic (bbolt's assertions, a fault on a page outside the file, a decoder
// running off a corrupt value) into a DamagedError in *errp.
func (db *DB) guard(errp *error, oldFault bool) {
	debug.SetPanicOnFault(oldFault)
	if r := recover(); r != nil {
		*errp = damaged(db.path, fmt.Errorf("reading it failed: %v", r))
	}
}

// inFile reports whether a value v of bucket b lies inside the mapped
// file. bbolt computes a value's address from offsets stored in the
// file; a corrupt offset points anywhere, and a slice reaching outside
// the file would fault later, outside any guard, or read foreign memory.
// Values of inline buckets (small buckets bbolt keeps inside their
// parent's page) may live in a copy bbolt made on the heap, so only
// their reads are guarded, not their bounds.
func (db *DB) inFile(b *bolt.Bucket, v []byte) bool {
	if len(v) == 0 || b.Root() == 0 {
		return true
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(v)))
	return p >= db.base && p-db.base <= db.size && uintptr(len(v)) <= db.size-(p-db.base)
}

// get reads one key under the caller's guard; a value reaching outside
// the file is damage.
func (db *DB) get(b *bolt.Bucket, k []byte) ([]byte, error) {
	v := b.Get(k)
	if !db.inFile(b, v) {
		return nil, damaged(db.path, fmt.Errorf("value of key %q points outside the file", k))
	}
	return v, nil
}

// Err returns the first damage met by a read that has no error result
// (KEV, EPSS), or nil. Callers that used those check it once at the end.
func (db *DB) Err() error {
	if e := db.fault.Load(); e != nil {
		return e
	}
	return nil
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

// Status describes what the database holds and how old it is. It is read
// at Open and never touches the file.
func (db *DB) Status() Status {
	st := db.status
	st.Sources = append([]SourceMeta(nil), st.Sources...)
	now := time.Now()
	st.markStale(now)
	st.Ecosystems = ecosystemStatus(st.Sources, db.indexEcosystems().list, now)
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
// beyond the key. A damaged file gives a *DamagedError.
func (db *DB) Affected(ecosystem, name string) (out []Affected, err error) {
	defer db.guard(&err, debug.SetPanicOnFault(true))
	name = pkgname.Key(ecosystem, name)
	if !db.mayHave(ecosystem, name) {
		return nil, nil
	}
	v, err := db.get(db.pkgs, rawKey(ecosystem, name))
	if v == nil || err != nil {
		return nil, err
	}
	// Affected entries keep their versions list as raw bytes; a copy
	// keeps them off the mapping, so matching later reads no file page
	// outside this guard.
	out, err = decodeAffected(bytes.Clone(v))
	if err != nil {
		return nil, damaged(db.path, fmt.Errorf("index entry %s/%s: %w", ecosystem, name, err))
	}
	return out, nil
}

// CaseVariants returns the package names stored for ecosystem that equal
// name ignoring case, sorted, for a name whose case was lost (a purl
// lowercased by its producer). Only ecosystems with case-sensitive names
// that producers lowercase have variants (pkgname.CaseLost: Go, npm);
// otherwise the result is name itself when it has entries, or nothing.
func (db *DB) CaseVariants(ecosystem, name string) (out []string, err error) {
	defer db.guard(&err, debug.SetPanicOnFault(true))
	name = pkgname.Key(ecosystem, name)
	if db.mayHave(ecosystem, name) && db.pkgs.Get(rawKey(ecosystem, name)) != nil {
		out = append(out, name)
	}
	f := pkgname.Fold(name)
	if !pkgname.CaseLost(ecosystem) || !db.mayHave(ecosystem, f) {
		return out, nil
	}
	v, err := db.get(db.fold, rawKey(ecosystem, f))
	if err != nil {
		return nil, err
	}
	d := decoder{b: v}
	for len(d.b) > 0 {
		s := d.str()
		if d.err != nil {
			return nil, damaged(db.path, fmt.Errorf("fold entry %s/%s: %w", ecosystem, name, d.err))
		}
		if s != name {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Record returns the stored details of one OSV record of one source
// (the Source and RecordID of an Affected entry). A record the index
// names but the file lacks, or cannot decode, is damage.
func (db *DB) Record(src uint16, id string) (r *Record, err error) {
	defer db.guard(&err, debug.SetPanicOnFault(true))
	v, err := db.get(db.recs, recKey(src, id))
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, damaged(db.path, fmt.Errorf("record %s missing", id))
	}
	r = new(Record)
	if err := json.Unmarshal(v, r); err != nil {
		return nil, damaged(db.path, fmt.Errorf("record %s: %w", id, err))
	}
	return r, nil
}

// KEV returns the CISA KEV entry of a CVE id, or nil. Damage met here is
// kept for Err.
func (db *DB) KEV(cve string) *KEV {
	k, err := db.kevEntry(cve)
	if err != nil {
		db.noteFault(err)
		return nil
	}
	return k
}

func (db *DB) kevEntry(cve string) (k *KEV, err error) {
	defer db.guard(&err, debug.SetPanicOnFault(true))
	v, err := db.get(db.kev, []byte(cve))
	if v == nil || err != nil {
		return nil, err
	}
	k = new(KEV)
	if err := json.Unmarshal(v, k); err != nil {
		return nil, damaged(db.path, fmt.Errorf("KEV entry %s: %w", cve, err))
	}
	return k, nil
}

// EPSS returns the EPSS score of a CVE id, or nil. Damage met here is
// kept for Err.
func (db *DB) EPSS(cve string) *EPSS {
	e, err := db.epssEntry(cve)
	if err != nil {
		db.noteFault(err)
		return nil
	}
	return e
}

func (db *DB) epssEntry(cve string) (e *EPSS, err error) {
	defer db.guard(&err, debug.SetPanicOnFault(true))
	v, err := db.get(db.epss, []byte(cve))
	if v == nil || err != nil {
		return nil, err
	}
	if len(v) != 8 {
		return nil, damaged(db.path, fmt.Errorf("EPSS entry %s: %d bytes, want 8", cve, len(v)))
	}
	return &EPSS{
		CVE:        cve,
		Score:      roundScore(float64(mathFloat32(v[0:4]))),
		Percentile: roundScore(float64(mathFloat32(v[4:8]))),
		Date:       db.status.EPSSDate,
	}, nil
}

func (db *DB) noteFault(err error) {
	var d *DamagedError
	if errors.As(err, &d) {
		db.fault.CompareAndSwap(nil, d)
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
