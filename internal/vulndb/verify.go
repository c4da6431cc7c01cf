package vulndb

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Verify opens the database at path and reads all of it: the full check
// that `db update`, `db import`, `db update --from` and `db export` run on
// a file before they install or ship it. It returns nil, an error wrapping
// ErrNoDB, a schema error, or a *DamagedError naming the first problem.
//
// What it checks (docs/db.md, "Damaged databases"): every page a reader
// can reach, through every key and value of every bucket (each value must
// lie inside the file; bbolt's page assertions and any memory fault are
// recovered); keys in strictly increasing order; every index entry decodes
// and names a known source and a stored record; the package hash filter
// equals the hashes of the index keys (a flipped bit there would hide a
// package's advisories); every record and KEV entry is valid JSON; every
// EPSS value has 8 bytes.
//
// bbolt's own Tx.Check is not used: it runs in a goroutine of its own,
// where a fault on a hostile file cannot be recovered and kills the
// process, and it checks writer invariants (free list, unreachable
// pages) that a read-only file does not depend on.
func Verify(ctx context.Context, path string) error {
	db, err := Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.verify(ctx)
}

func (db *DB) verify(ctx context.Context) (err error) {
	// The shape first, without bbolt: its cursors trust page ids.
	if err := checkFile(db.path, db.bolt.Info().PageSize, uint64(db.tx.ID()), checkPages); err != nil {
		return err
	}
	defer db.guard(&err, debug.SetPanicOnFault(true))
	known := map[uint16]bool{}
	for _, s := range db.status.Sources {
		known[s.ID] = true
	}
	var hashes []uint64
	err = db.walk(ctx, bucketPkgs, func(k, v []byte) error {
		if bytes.IndexByte(k, 0) < 0 {
			return fmt.Errorf("index key %q has no ecosystem separator", k)
		}
		hashes = append(hashes, fnvString(fnvOffset, string(k)))
		entries, err := decodeAffected(v)
		if err != nil {
			return fmt.Errorf("index entry %q: %w", k, err)
		}
		for _, e := range entries {
			if !known[e.Source] {
				return fmt.Errorf("index entry %q names unknown source %d", k, e.Source)
			}
			if rv := db.recs.Get(recKey(e.Source, e.RecordID)); rv == nil {
				return fmt.Errorf("index entry %q names record %s, which is missing", k, e.RecordID)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	{ // the filter holds the fold keys too
		err = db.walk(ctx, bucketFold, func(k, v []byte) error {
			if bytes.IndexByte(k, 0) < 0 {
				return fmt.Errorf("fold key %q has no ecosystem separator", k)
			}
			hashes = append(hashes, fnvString(fnvOffset, string(k)))
			for d := (decoder{b: v}); len(d.b) > 0; {
				if d.str(); d.err != nil {
					return fmt.Errorf("fold entry %q: %w", k, d.err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if err := db.checkHashes(hashes); err != nil {
		return damaged(db.path, err)
	}
	var r Record
	err = db.walk(ctx, bucketRecs, func(k, v []byte) error {
		if len(k) < 2 || !known[binary.BigEndian.Uint16(k)] {
			return fmt.Errorf("record key %q names no known source", k)
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("record %q: %w", k[2:], err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var kev KEV
	err = db.walk(ctx, bucketKEV, func(k, v []byte) error {
		if err := json.Unmarshal(v, &kev); err != nil {
			return fmt.Errorf("KEV entry %q: %w", k, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = db.walk(ctx, bucketEPSS, func(k, v []byte) error {
		if len(v) != 8 {
			return fmt.Errorf("EPSS entry %q: %d bytes, want 8", k, len(v))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return db.walk(ctx, bucketMeta, func([]byte, []byte) error { return nil })
}

// walk visits every key of a top-level bucket in order, checking that
// keys increase and that keys and values lie inside the file. Errors from
// fn are damage; cancellation is not.
func (db *DB) walk(ctx context.Context, name []byte, fn func(k, v []byte) error) error {
	b := db.tx.Bucket(name)
	if b == nil {
		return damaged(db.path, fmt.Errorf("bucket %s missing", name))
	}
	var prev []byte
	n := 0
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if !db.inFile(b, k) || !db.inFile(b, v) {
			return damaged(db.path, fmt.Errorf("bucket %s: key or value of %q points outside the file", name, k))
		}
		if prev != nil && bytes.Compare(prev, k) >= 0 {
			return damaged(db.path, fmt.Errorf("bucket %s: key %q out of order after %q", name, k, prev))
		}
		prev = k
		if err := fn(k, v); err != nil {
			return damaged(db.path, fmt.Errorf("bucket %s: %w", name, err))
		}
	}
	return nil
}

// checkHashes compares the stored miss-path filter with the hashes of the
// index keys (pkgs and fold): a missing hash would make Affected skip a package that has
// advisories, silently.
func (db *DB) checkHashes(hs []uint64) error {
	if db.hashes == nil {
		return nil // written before the filter existed: Affected does not use it
	}
	slices.Sort(hs)
	hs = slices.Compact(hs)
	if len(db.hashes) != 8*len(hs) {
		return fmt.Errorf("package hash index holds %d hashes, the index (package and fold keys) has %d", len(db.hashes)/8, len(hs))
	}
	for i, h := range hs {
		if binary.LittleEndian.Uint64(db.hashes[i*8:]) != h {
			return errors.New("package hash index does not match the index keys")
		}
	}
	return nil
}

// each runs fn over one bucket of db under guard: the copy of an old
// database into a new one (Write) reads it like any query does.
func (db *DB) each(b *bolt.Bucket, fn func(k, v []byte) error) (err error) {
	defer db.guard(&err, debug.SetPanicOnFault(true))
	return b.ForEach(func(k, v []byte) error {
		if !db.inFile(b, k) || !db.inFile(b, v) {
			return damaged(db.path, fmt.Errorf("key or value of %q points outside the file", k))
		}
		return fn(k, v)
	})
}

// checkFile runs a page check (checkTop, checkPages) on the file at path.
func checkFile(path string, pageSize int, txid uint64, check func(io.ReaderAt, int, uint64) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading advisory database %s: %w", path, err)
	}
	defer f.Close()
	if err := check(f, pageSize, txid); err != nil {
		return damaged(path, err)
	}
	return nil
}
