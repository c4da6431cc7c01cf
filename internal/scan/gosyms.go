package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sightline-sec/sightline/internal/gobin"
)

// goSymbolStore keeps the Go symbol sets of cached layers beside the layer
// cache, one file per set named by its SHA-256: <layers>/gosym/<hex>.
// Keeping them out of the layer entries keeps a warm rescan's JSON small
// (the entry of a layer with the Go toolchain's 8 binaries would grow
// from 99 kB to 515 kB; decoding it took 5 → 8–16 ms); a set is read
// only when a finding on its module needs evidence. Content addressing
// shares a binary's sets between layers and images, needs no index, and
// lets a read be verified against its name.
type goSymbolStore struct{ dir string }

func (c *layerCache) symbols() *goSymbolStore {
	if c == nil {
		return nil
	}
	return &goSymbolStore{dir: filepath.Join(c.dir, "gosym")}
}

// spill writes every in-memory set of lr to the store and replaces it by
// its reference, which also frees the bytes for the rest of the scan.
func (st *goSymbolStore) spill(lr *LayerResult) error {
	for _, recs := range lr.Files {
		for i := range recs {
			r := &recs[i]
			if r.GoSymbols == nil {
				continue
			}
			sum := sha256.Sum256(r.GoSymbols)
			ref := hex.EncodeToString(sum[:])
			if err := st.write(ref, r.GoSymbols); err != nil {
				return err
			}
			r.GoSymbols, r.GoSymbolsRef = nil, ref
		}
	}
	return nil
}

func (st *goSymbolStore) path(ref string) (string, bool) {
	if len(ref) != 64 || strings.Trim(ref, "0123456789abcdef") != "" {
		return "", false // never build a path from an unexpected string
	}
	return filepath.Join(st.dir, ref), true
}

func (st *goSymbolStore) write(ref string, set gobin.Set) error {
	p, _ := st.path(ref)
	if _, err := os.Stat(p); err == nil {
		return nil // same content already stored
	}
	if err := os.MkdirAll(st.dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(st.dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(set)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

var errNoSymbolStore = errors.New("symbol set not in the layer cache (cache deleted or --no-cache)")

// load reads and verifies one set.
func (st *goSymbolStore) load(ref string) (gobin.Set, error) {
	if st == nil {
		return nil, errNoSymbolStore
	}
	p, ok := st.path(ref)
	if !ok {
		return nil, fmt.Errorf("bad symbol set reference %q in the layer cache", ref)
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoSymbolStore
	}
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != ref {
		return nil, fmt.Errorf("symbol set %s in the layer cache is damaged", ref[:12])
	}
	return b, nil
}
