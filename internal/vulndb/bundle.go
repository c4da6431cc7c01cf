package vulndb

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sightline-sec/sightline/internal/atomicfile"
)

// A bundle moves a database into air-gapped machines: a gzip'd tar with
// manifest.json first (format, schema, sources, size and SHA-256 of the
// database file) and then sightline.db. ImportBundle verifies size,
// checksum and schema before it replaces anything.

const bundleFormat = "sightline-db-bundle/1"

// Manifest describes a bundle.
type Manifest struct {
	Format        string       `json:"format"`
	SchemaVersion int          `json:"schema_version"`
	BuiltAt       time.Time    `json:"built_at"`
	ExportedAt    time.Time    `json:"exported_at"`
	Size          int64        `json:"size"`
	SHA256        string       `json:"sha256"`
	Sources       []SourceMeta `json:"sources"`
}

// Export writes the database at dbPath as a bundle to out (via a temporary
// file renamed into place).
func Export(ctx context.Context, dbPath, out string) (Manifest, error) {
	db, err := Open(ctx, dbPath)
	if err != nil {
		return Manifest{}, err
	}
	st := db.Status()
	// A damaged database is never shipped: the checksum would vouch for it.
	err = db.verify(ctx)
	db.Close()
	if err != nil {
		return Manifest{}, err
	}
	// Size, checksum and content all come from one open file: a
	// concurrent `db update` renames a new file into place but cannot
	// change this one, so the manifest always describes the bytes shipped.
	f, err := os.Open(dbPath)
	if err != nil {
		return Manifest{}, fmt.Errorf("reading %s: %w", dbPath, err)
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("reading %s: %w", dbPath, err)
	}
	m := Manifest{Format: bundleFormat, SchemaVersion: st.SchemaVersion, BuiltAt: st.BuiltAt,
		ExportedAt: time.Now().UTC(), Size: size, SHA256: hex.EncodeToString(h.Sum(nil)), Sources: st.Sources}
	tmp, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".tmp-*")
	if err != nil {
		return m, fmt.Errorf("writing %s: %w", out, atomicfile.Cause(err))
	}
	defer os.Remove(tmp.Name())
	if err := writeBundle(tmp, f, m); err != nil {
		tmp.Close()
		return m, fmt.Errorf("writing %s: %w", out, err)
	}
	if err := syncClose(tmp); err != nil {
		return m, fmt.Errorf("writing %s: %w", out, err)
	}
	return m, replaceFile(tmp.Name(), out)
}

func writeBundle(w io.Writer, db io.Reader, m Manifest) error {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o644, Size: int64(len(mj)), ModTime: m.ExportedAt}); err != nil {
		return err
	}
	if _, err := tw.Write(mj); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "sightline.db", Mode: 0o644, Size: m.Size, ModTime: m.BuiltAt}); err != nil {
		return err
	}
	if _, err := io.Copy(tw, db); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// ImportBundle verifies the bundle at src and, only if it is intact and of
// a schema this binary reads, atomically replaces the database at dbPath.
// It checks no signature: see ImportBundleWith.
func ImportBundle(ctx context.Context, src, dbPath string) (Manifest, error) {
	in, err := ImportBundleWith(ctx, src, dbPath, BundleOptions{})
	return in.Manifest, err
}

// BundleOptions configure ImportBundleWith.
type BundleOptions struct {
	// TrustedKeys, when set, make a signature by one of them mandatory:
	// an unsigned bundle, or one whose signature does not verify, is
	// refused (ErrSignature) before anything is replaced.
	TrustedKeys []TrustedKey
	// Signature is the detached signature file; "" means src+SignatureExt.
	Signature string
}

// Imported describes an installed bundle.
type Imported struct {
	Manifest       Manifest
	SignedBy       string // id of the trusted key that signed it; "" when no key was required
	TrustedComment string // the signature's trusted comment
}

// ImportBundleWith is ImportBundle with a signature check. The bundle
// file is read once: the signature is verified over the same bytes that
// are extracted, so the file cannot change between check and use.
func ImportBundleWith(ctx context.Context, src, dbPath string, o BundleOptions) (Imported, error) {
	var in Imported
	m, err := importBundle(ctx, src, dbPath, o, &in)
	in.Manifest = m
	return in, err
}

func importBundle(ctx context.Context, src, dbPath string, o BundleOptions, in *Imported) (Manifest, error) {
	var sc *sigCheck
	if len(o.TrustedKeys) > 0 {
		var err error
		if sc, err = newSigCheck(src, o.Signature, o.TrustedKeys); err != nil {
			return Manifest{}, err
		}
	}
	f, err := os.Open(src)
	if err != nil {
		return Manifest{}, fmt.Errorf("reading bundle %s: %w", src, err)
	}
	defer f.Close()
	var r io.Reader = f
	if sc != nil {
		r = sc.wrap(f)
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return Manifest{}, fmt.Errorf("bundle %s: not a sightline bundle (gzip): %w", src, err)
	}
	tr := tar.NewReader(zr)
	m, err := readManifest(tr)
	if err != nil {
		return m, fmt.Errorf("bundle %s: %w", src, err)
	}
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o755); err != nil {
		return m, fmt.Errorf("creating %s: %w", filepath.Dir(dbPath), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dbPath), filepath.Base(dbPath)+".tmp-*")
	if err != nil {
		return m, fmt.Errorf("staging bundle %s in %s: %w", src, filepath.Dir(dbPath), atomicfile.Cause(err))
	}
	defer os.Remove(tmp.Name())
	err = extractDB(tr, tmp, m)
	if cerr := syncClose(tmp); err == nil {
		err = cerr
	}
	if err != nil {
		return m, fmt.Errorf("bundle %s: %w", src, err)
	}
	if sc != nil {
		// The signature covers the whole file, trailing bytes included.
		if _, err := io.Copy(io.Discard, r); err != nil {
			return m, fmt.Errorf("reading bundle %s: %w", src, err)
		}
		if in.SignedBy, err = sc.verify(src); err != nil {
			return m, err
		}
		in.TrustedComment = sc.comment
	}
	// A matching checksum only says the file is the one the manifest
	// describes, not that it is a sound database: read all of it first.
	if err := Verify(ctx, tmp.Name()); err != nil {
		return m, fmt.Errorf("bundle %s: %w", src, err)
	}
	return m, installDB(tmp.Name(), dbPath)
}

func readManifest(tr *tar.Reader) (Manifest, error) {
	var m Manifest
	h, err := tr.Next()
	if err != nil {
		return m, fmt.Errorf("not a sightline bundle (tar): %w", err)
	}
	if h.Name != "manifest.json" {
		return m, fmt.Errorf("not a sightline bundle: first entry is %q, want manifest.json", h.Name)
	}
	if h.Size > MaxManifestBytes {
		return m, fmt.Errorf("manifest.json of %d bytes is over the %s limit for a bundle manifest", h.Size, FormatBytes(MaxManifestBytes))
	}
	if err := json.NewDecoder(io.LimitReader(tr, MaxManifestBytes)).Decode(&m); err != nil {
		return m, fmt.Errorf("manifest.json: %w", err)
	}
	if m.Format != bundleFormat {
		return m, fmt.Errorf("unknown bundle format %q (want %s)", m.Format, bundleFormat)
	}
	if m.SchemaVersion != SchemaVersion {
		return m, fmt.Errorf("bundle holds schema %d, this sightline reads schema %d", m.SchemaVersion, SchemaVersion)
	}
	return m, nil
}

var errChecksum = errors.New("checksum mismatch: the bundle is corrupt or was modified")

func extractDB(tr *tar.Reader, w io.Writer, m Manifest) error {
	h, err := tr.Next()
	if err != nil {
		return fmt.Errorf("reading sightline.db: %w", err)
	}
	if h.Name != "sightline.db" || h.Size != m.Size {
		return fmt.Errorf("entry %q of %d bytes, want sightline.db of %d bytes", h.Name, h.Size, m.Size)
	}
	hs := sha256.New()
	if _, err := io.Copy(io.MultiWriter(w, hs), io.LimitReader(tr, m.Size)); err != nil {
		return fmt.Errorf("reading sightline.db: %w", err)
	}
	if got := hex.EncodeToString(hs.Sum(nil)); got != m.SHA256 {
		return fmt.Errorf("%w (sha256 %s, manifest says %s)", errChecksum, got, m.SHA256)
	}
	return nil
}
