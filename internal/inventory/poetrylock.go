package inventory

// Our poetry.lock reader replaces osv-scalibr's, which reads only the
// groups of Poetry ≥ 1.2 and so marks no package of an older lockfile
// (category = "dev") as dev, and lists path dependencies (the project's own
// code) as PyPI packages.

import (
	"context"
	"fmt"
	"io/fs"
	"slices"

	"github.com/BurntSushi/toml"
	"github.com/google/osv-scalibr/purl"
)

const poetryLockName = "python/poetrylock"

// poetryLock reads poetry.lock (https://python-poetry.org/docs/basic-usage/#installing-with-poetrylock).
// A package is dev when it is outside the main group: Poetry ≥ 2 writes
// groups = [...] per package (main included when anything in main needs
// it), Poetry < 1.5 wrote category = "dev" | "main". Optional packages
// (extras) ship with the project. A package whose source is a local
// directory or file is the project's own code: not listed.
type poetryLock struct{}

func (poetryLock) name() string  { return poetryLockName }
func (poetryLock) streams() bool { return false }

func (poetryLock) required(p string, _ fs.FileMode, _ int64) bool {
	return pathBase(p) == "poetry.lock"
}

type poetryFile struct {
	Package []struct {
		Name     string   `toml:"name"`
		Version  string   `toml:"version"`
		Category string   `toml:"category"`
		Groups   []string `toml:"groups"`
		Source   struct {
			Type string `toml:"type"`
		} `toml:"source"`
	} `toml:"package"`
}

func (poetryLock) extract(ctx context.Context, in *input) ([]Record, error) {
	var f poetryFile
	if _, err := toml.NewDecoder(in.r).Decode(&f); err != nil {
		return nil, fmt.Errorf("decoding TOML: %w", err)
	}
	var out []Record
	for i, p := range f.Package {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return out, ctx.Err()
		}
		if p.Source.Type == "directory" || p.Source.Type == "file" {
			continue
		}
		dev := p.Category == "dev"
		if len(p.Groups) > 0 {
			dev = !slices.Contains(p.Groups, "main")
		}
		out = append(out, pkgRecord(poetryLockName, in.path, p.Name, p.Version, purl.TypePyPi, dev))
	}
	return out, nil
}
