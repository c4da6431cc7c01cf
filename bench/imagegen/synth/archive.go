// Package synth builds synthetic container images for benchmarks and
// hostile-input tests. Writer writes docker-archive images (the `docker save` layout)
// layer by layer without holding a layer in memory: each layer's tar is
// streamed through SHA-256 (its diffID) and gzip into a temp file, then
// appended to the archive. It exists so benchmarks and tests can build
// images of any size — a 4 GiB image or a million-file layer — in bounded
// memory and disk (the archive plus one compressed layer).
package synth

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"time"

	kgzip "github.com/klauspost/compress/gzip"
)

// Epoch is the mtime of every entry and the image's creation time, so the
// same inputs give the same bytes.
var Epoch = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Writer builds one docker archive. Call AddLayer for each layer, bottom
// first, then Close.
type Writer struct {
	f       *os.File
	tw      *tar.Writer
	level   int
	diffIDs []string
	layers  []string
	history []map[string]string
}

// Create starts an archive at path. level is the gzip level of the layers
// (kgzip.BestSpeed … kgzip.BestCompression; kgzip.NoCompression stores).
func Create(path string, level int) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &Writer{f: f, tw: tar.NewWriter(f), level: level}, nil
}

// Layer writes one layer's entries.
type Layer struct{ tw *tar.Writer }

// File adds a regular file whose content is read from r (exactly size bytes).
func (l *Layer) File(name string, mode int64, size int64, r io.Reader) error {
	h := &tar.Header{Name: name, Mode: mode, Size: size, ModTime: Epoch, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := l.tw.WriteHeader(h); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	n, err := io.CopyN(l.tw, r, size)
	if err != nil {
		return fmt.Errorf("%s: wrote %d of %d bytes: %w", name, n, size, err)
	}
	return nil
}

// Bytes adds a regular file with content b.
func (l *Layer) Bytes(name string, mode int64, b []byte) error {
	h := &tar.Header{Name: name, Mode: mode, Size: int64(len(b)), ModTime: Epoch, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := l.tw.WriteHeader(h); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	_, err := l.tw.Write(b)
	return err
}

// AddLayer writes a layer filled by fill, with createdBy as its history line.
func (w *Writer) AddLayer(createdBy string, fill func(*Layer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(w.f.Name()), ".layer-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	zw, err := kgzip.NewWriterLevel(tmp, w.level)
	if err != nil {
		return err
	}
	diff := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(zw, diff))
	if err := fill(&Layer{tw: tw}); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	st, err := tmp.Stat()
	if err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	blob := sha256.New()
	name := fmt.Sprintf("%d.tar.gz", len(w.layers))
	if err := w.entry(name, st.Size(), io.TeeReader(tmp, blob)); err != nil {
		return err
	}
	w.diffIDs = append(w.diffIDs, sum(diff))
	w.layers = append(w.layers, name)
	w.history = append(w.history, map[string]string{"created": Epoch.Format(time.RFC3339), "created_by": createdBy})
	return nil
}

func sum(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

func (w *Writer) entry(name string, size int64, r io.Reader) error {
	if err := w.tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, ModTime: Epoch, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := io.CopyN(w.tw, r, size)
	return err
}

// Close writes the config and manifest and closes the archive.
func (w *Writer) Close() error {
	cfg, err := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux", "created": Epoch.Format(time.RFC3339),
		"config":  map[string]any{"Env": []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": w.diffIDs},
		"history": w.history,
	})
	if err != nil {
		return err
	}
	ch := sha256.Sum256(cfg)
	cfgName := hex.EncodeToString(ch[:]) + ".json"
	if err := w.entry(cfgName, int64(len(cfg)), bytes.NewReader(cfg)); err != nil {
		return err
	}
	man, err := json.Marshal([]map[string]any{{"Config": cfgName, "RepoTags": []string{"sightline-gen:latest"}, "Layers": w.layers}})
	if err != nil {
		return err
	}
	if err := w.entry("manifest.json", int64(len(man)), bytes.NewReader(man)); err != nil {
		return err
	}
	if err := w.tw.Close(); err != nil {
		return err
	}
	return w.f.Close()
}
