package scan

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// layerCache stores LayerResults as <dir>/<algorithm>/<hex>.json. Entries
// are written atomically (temp file + rename in the same directory) and
// only for layers whose content was verified against the diffID; entries
// from another cacheVersion are ignored.
type layerCache struct{ dir string }

func (c *layerCache) file(diffID string) (string, bool) {
	algo, hexd, ok := strings.Cut(diffID, ":")
	if !ok || algo != "sha256" || len(hexd) != 64 || strings.Trim(hexd, "0123456789abcdef") != "" {
		return "", false // never build a path from an unexpected string
	}
	return filepath.Join(c.dir, algo, hexd+".json"), true
}

func (c *layerCache) get(diffID string) *LayerResult {
	if c == nil {
		return nil
	}
	p, ok := c.file(diffID)
	if !ok {
		return nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	var lr LayerResult
	if json.Unmarshal(b, &lr) != nil || lr.Version != cacheVersion || lr.DiffID != diffID {
		return nil
	}
	return &lr
}

func (c *layerCache) put(lr *LayerResult) error {
	if c == nil {
		return nil
	}
	p, ok := c.file(lr.DiffID)
	if !ok {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("creating layer cache: %w", err)
	}
	if err := c.symbols().spill(lr); err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil // as below: no entry rather than one without its symbols
		}
		return fmt.Errorf("writing layer cache: %w", err)
	}
	b, err := json.Marshal(lr)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing layer cache: %w", err)
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
		if errors.Is(err, fs.ErrPermission) {
			return nil // a read-only cache is not a reason to fail the scan
		}
		return fmt.Errorf("writing layer cache: %w", err)
	}
	return nil
}
