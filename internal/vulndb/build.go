package vulndb

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sightline-sec/sightline/internal/atomicfile"
	"github.com/sightline-sec/sightline/internal/vulndb/pkgname"
)

// Batch is the parsed content of one source, ready to be written. A batch
// replaces whatever the database held under the same source name.
type Batch struct {
	Meta     SourceMeta
	Records  []*Parsed             // KindOSV
	KEV      []KEV                 // KindKEV
	EPSS     map[string][2]float32 // KindEPSS: CVE → score, percentile
	EPSSDate string
	// Unchanged marks a source whose upstream did not change (HTTP 304 or
	// same checksum): its stored data is kept, only Meta is refreshed.
	Unchanged bool
}

// Write builds a new database from the one at path (if any) plus batches
// and atomically replaces path with it. The previous file stays intact
// until the rename, so any error (or a crash) leaves it usable.
func Write(ctx context.Context, path string, batches ...*Batch) (Status, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Status{}, fmt.Errorf("creating %s: %w", dir, err)
	}
	old, dropped := openOld(ctx, path)
	if err := ctx.Err(); err != nil {
		return Status{}, err
	}
	if old != nil {
		defer old.Close()
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return Status{}, fmt.Errorf("creating a database in %s: %w", dir, atomicfile.Cause(err))
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName) // no-op after a successful rename
	if err := build(ctx, tmpName, old, batches); err != nil {
		return Status{}, err
	}
	if err := Verify(ctx, tmpName); err != nil {
		return Status{}, fmt.Errorf("checking the new database before installing it: %w", err)
	}
	if err := installDB(tmpName, path); err != nil {
		return Status{}, err
	}
	db, err := Open(ctx, path)
	if err != nil {
		return Status{}, err
	}
	defer db.Close()
	st := db.Status()
	st.Dropped = dropped
	return st, nil
}

// openOld opens the current database for copying; a missing, foreign,
// other-schema, damaged or unreadable file counts as empty (it is rebuilt
// from the new batches) and dropped says why. The full check runs here
// because the copy reads every byte of the old file anyway, and a damaged
// page must not end up in the new one.
func openOld(ctx context.Context, path string) (old *DB, dropped string) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, ""
	}
	db, err := Open(ctx, path)
	if err == nil {
		if err = db.verify(ctx); err != nil {
			db.Close()
		}
	}
	if d := (*DamagedError)(nil); errors.As(err, &d) {
		return nil, fmt.Sprintf("advisory database %s was damaged (%v)", d.Path, d.Err)
	}
	if err != nil {
		return nil, err.Error()
	}
	return db, ""
}

func build(ctx context.Context, tmpName string, old *DB, batches []*Batch) error {
	// A large initial mmap (address space only) avoids re-mapping as the
	// file grows during the one big write transaction.
	b, err := bolt.Open(tmpName, 0o644, &bolt.Options{NoSync: true, NoFreelistSync: true, InitialMmapSize: 1 << 30, Timeout: 5 * time.Second})
	if err != nil {
		return fmt.Errorf("opening temporary database %s: %w", tmpName, err)
	}
	defer b.Close()
	err = b.Update(func(tx *bolt.Tx) error { return fill(ctx, tx, old, batches) })
	if err != nil {
		return err
	}
	if err := b.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", tmpName, err)
	}
	return b.Close()
}

func fill(ctx context.Context, tx *bolt.Tx, old *DB, batches []*Batch) error {
	var sources []SourceMeta
	if old != nil {
		sources = old.status.Sources
	}
	sources, drop := assignIDs(sources, batches)
	if err := writePkgsAndRecs(ctx, tx, old, drop, batches); err != nil {
		return err
	}
	if err := writeKEV(tx, old, batches); err != nil {
		return err
	}
	epssDate, err := writeEPSS(tx, old, batches)
	if err != nil {
		return err
	}
	return writeMeta(tx, sources, epssDate)
}

// assignIDs gives each batch the id of the source it replaces (dropping
// that source's old data) or a new one.
func assignIDs(sources []SourceMeta, batches []*Batch) ([]SourceMeta, map[uint16]bool) {
	drop := map[uint16]bool{}
	next := uint16(1)
	for _, s := range sources {
		next = max(next, s.ID+1)
	}
	for _, bt := range batches {
		i := slices.IndexFunc(sources, func(s SourceMeta) bool { return s.Name == bt.Meta.Name })
		if i < 0 && bt.Unchanged {
			// "Unchanged" relative to data the old file no longer has
			// (dropped as damaged): recording its ETag would keep the
			// source empty forever, so it is left out and fetched anew.
			continue
		}
		if i >= 0 {
			bt.Meta.ID = sources[i].ID
			if bt.Unchanged {
				bt.Meta.Records = sources[i].Records
				bt.Meta.Ecosystems = sources[i].Ecosystems
				if bt.Meta.Modified.IsZero() {
					bt.Meta.Modified = sources[i].Modified
				}
			} else {
				drop[bt.Meta.ID] = true
			}
			sources[i] = bt.Meta
			continue
		}
		bt.Meta.ID = next
		next++
		sources = append(sources, bt.Meta)
	}
	for _, bt := range batches {
		if !bt.Unchanged {
			bt.Meta.Records = bt.count()
			if len(bt.Records) > 0 { // advisory sources (OSV, ALAS, OVAL), not KEV/EPSS
				bt.Meta.Ecosystems = ecosystemStats(bt.Records)
			}
		}
		for i := range sources {
			if sources[i].ID == bt.Meta.ID {
				sources[i] = bt.Meta
			}
		}
	}
	return sources, drop
}

func (bt *Batch) count() int {
	switch bt.Meta.Kind {
	case KindKEV:
		return len(bt.KEV)
	case KindEPSS:
		return len(bt.EPSS)
	}
	n := 0
	for _, p := range bt.Records {
		if !p.Withdrawn {
			n++
		}
	}
	return n
}

func recKey(src uint16, id string) []byte {
	k := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(id)), src)
	return append(k, id...)
}

type kvPair struct{ k, v []byte }

// putSorted writes pairs in key order into a fresh bucket filled to 100%:
// the file is read-only afterwards, so full pages mean fewer pages to read.
func putSorted(tx *bolt.Tx, name []byte, pairs []kvPair) error {
	bk, err := tx.CreateBucket(name)
	if err != nil {
		return fmt.Errorf("creating bucket %s: %w", name, err)
	}
	bk.FillPercent = 1.0
	slices.SortFunc(pairs, func(a, b kvPair) int { return bytes.Compare(a.k, b.k) })
	for i, p := range pairs {
		if i > 0 && bytes.Equal(p.k, pairs[i-1].k) {
			continue // duplicate record id within one source: first wins
		}
		if err := bk.Put(p.k, p.v); err != nil {
			return fmt.Errorf("writing %s/%q: %w", name, p.k, err)
		}
	}
	return nil
}

func writePkgsAndRecs(ctx context.Context, tx *bolt.Tx, old *DB, drop map[uint16]bool, batches []*Batch) error {
	pkgs := map[string][]byte{}
	var recs []kvPair
	if old != nil {
		err := old.each(old.pkgs, func(k, v []byte) error {
			kept, err := filterSources(v, drop)
			if err != nil {
				return fmt.Errorf("copying index entry %q: %w", k, err)
			}
			if len(kept) > 0 {
				pkgs[string(k)] = append(pkgs[string(k)], kept...)
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = old.each(old.recs, func(k, v []byte) error {
			if len(k) >= 2 && !drop[binary.BigEndian.Uint16(k)] {
				recs = append(recs, kvPair{k, v})
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, bt := range batches {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, p := range bt.Records {
			if p.Withdrawn {
				continue
			}
			j, err := json.Marshal(p.Record)
			if err != nil {
				return fmt.Errorf("encoding record %s: %w", p.Record.ID, err)
			}
			recs = append(recs, kvPair{recKey(bt.Meta.ID, p.Record.ID), j})
			for _, e := range p.Packages {
				e.Affected.Source = bt.Meta.ID
				k := string(pkgKey(e.Ecosystem, e.Name))
				pkgs[k] = encodeAffected(pkgs[k], e.Affected)
			}
		}
	}
	pairs := make([]kvPair, 0, len(pkgs))
	for k, v := range pkgs {
		pairs = append(pairs, kvPair{[]byte(k), v})
	}
	if err := putSorted(tx, bucketPkgs, pairs); err != nil {
		return err
	}
	if err := putSorted(tx, bucketRecs, recs); err != nil {
		return err
	}
	fold := foldPairs(pairs)
	if err := putSorted(tx, bucketFold, fold); err != nil {
		return err
	}
	// The filter covers the fold keys too, so a case-unknown lookup of a
	// name without variants (nearly all) skips the fold bucket as well.
	return writeHashes(tx, append(pairs, fold...))
}

// foldPairs builds the fold bucket: for ecosystems whose case-sensitive
// names purl producers may lowercase (pkgname.CaseLost), every stored
// name that differs from its folded form, listed under the folded form
// (see DB.CaseVariants). pairs must be sorted by key.
func foldPairs(pairs []kvPair) []kvPair {
	idx := map[string]int{}
	var out []kvPair
	for _, p := range pairs {
		eco, name, ok := splitKey(p.k)
		if !ok || !pkgname.CaseLost(eco) {
			continue
		}
		f := pkgname.Fold(name)
		if f == name {
			continue
		}
		fk := string(rawKey(eco, f))
		i, seen := idx[fk]
		if !seen {
			i = len(out)
			idx[fk] = i
			out = append(out, kvPair{k: []byte(fk)})
		}
		out[i].v = appendString(out[i].v, name)
	}
	return out
}

// writeHashes stores the miss-path filter (see DB.mayHave) of the pkgs and
// fold keys. Keys are already normalised, so hashing the raw key bytes
// equals pkgHash.
func writeHashes(tx *bolt.Tx, pairs []kvPair) error {
	hs := make([]uint64, len(pairs))
	for i, p := range pairs {
		hs[i] = fnvString(fnvOffset, string(p.k))
	}
	slices.Sort(hs)
	hs = slices.Compact(hs)
	buf := make([]byte, 0, 8*len(hs))
	for _, h := range hs {
		buf = binary.LittleEndian.AppendUint64(buf, h)
	}
	m, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return fmt.Errorf("creating meta bucket: %w", err)
	}
	return m.Put(keyPkgHash, buf)
}

func findBatch(batches []*Batch, kind string) *Batch {
	var last *Batch
	for _, b := range batches {
		if b.Meta.Kind == kind && !b.Unchanged {
			last = b
		}
	}
	return last
}

func writeKEV(tx *bolt.Tx, old *DB, batches []*Batch) error {
	var pairs []kvPair
	if bt := findBatch(batches, KindKEV); bt != nil {
		for _, k := range bt.KEV {
			j, err := json.Marshal(k)
			if err != nil {
				return fmt.Errorf("encoding KEV %s: %w", k.CVE, err)
			}
			pairs = append(pairs, kvPair{[]byte(k.CVE), j})
		}
	} else if old != nil {
		if err := old.each(old.kev, func(k, v []byte) error { pairs = append(pairs, kvPair{k, v}); return nil }); err != nil {
			return err
		}
	}
	return putSorted(tx, bucketKEV, pairs)
}

func writeEPSS(tx *bolt.Tx, old *DB, batches []*Batch) (string, error) {
	var pairs []kvPair
	date := ""
	if bt := findBatch(batches, KindEPSS); bt != nil {
		date = bt.EPSSDate
		for cve, s := range bt.EPSS {
			v := binary.LittleEndian.AppendUint32(nil, math.Float32bits(s[0]))
			v = binary.LittleEndian.AppendUint32(v, math.Float32bits(s[1]))
			pairs = append(pairs, kvPair{[]byte(cve), v})
		}
	} else if old != nil {
		date = old.status.EPSSDate
		if err := old.each(old.epss, func(k, v []byte) error { pairs = append(pairs, kvPair{k, v}); return nil }); err != nil {
			return "", err
		}
	}
	return date, putSorted(tx, bucketEPSS, pairs)
}

func writeMeta(tx *bolt.Tx, sources []SourceMeta, epssDate string) error {
	m, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return fmt.Errorf("creating meta bucket: %w", err)
	}
	js, err := json.Marshal(sources)
	if err != nil {
		return fmt.Errorf("encoding sources: %w", err)
	}
	built, _ := time.Now().UTC().MarshalText()
	for k, v := range map[string][]byte{
		string(keySchema):  []byte(strconv.Itoa(SchemaVersion)),
		string(keyBuilt):   built,
		string(keySources): js,
		string(keyEPSSDay): []byte(epssDate),
	} {
		if err := m.Put([]byte(k), v); err != nil {
			return fmt.Errorf("writing meta %s: %w", k, err)
		}
	}
	return nil
}
