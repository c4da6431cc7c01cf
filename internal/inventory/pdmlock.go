package inventory

// Our pdm.lock reader replaces osv-scalibr's, which marks a package dev
// when it is in the "dev" group even if the default group needs it too.

import (
	"context"
	"fmt"
	"io/fs"
	"slices"

	"github.com/BurntSushi/toml"
	"github.com/google/osv-scalibr/purl"
)

const pdmLockName = "python/pdmlock"

// pdmLock reads pdm.lock (https://pdm-project.org/latest/usage/lockfile/):
// [[package]] name, version, groups. The lock names the groups a package
// is needed by, but not which groups are dev-dependency groups and which
// are extras (optional-dependencies, which ship): that is in
// pyproject.toml. So a package is dev only when it is in the "dev" group
// and not in "default"; one needed only by another group ("test", an
// extra) is kept as not dev — a dev package may be shown as production,
// never the other way round. Editable and path packages are local code;
// git packages have no registry version.
type pdmLock struct{}

func (pdmLock) name() string  { return pdmLockName }
func (pdmLock) streams() bool { return false }

func (pdmLock) required(p string, _ fs.FileMode, _ int64) bool { return pathBase(p) == "pdm.lock" }

func (pdmLock) extract(ctx context.Context, in *input) ([]Record, error) {
	var f struct {
		Package []struct {
			Name     string   `toml:"name"`
			Version  string   `toml:"version"`
			Groups   []string `toml:"groups"`
			Editable bool     `toml:"editable"`
			Path     string   `toml:"path"`
			Git      string   `toml:"git"`
		} `toml:"package"`
	}
	if _, err := toml.NewDecoder(in.r).Decode(&f); err != nil {
		return nil, fmt.Errorf("decoding TOML: %w", err)
	}
	var out []Record
	for i, p := range f.Package {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return out, ctx.Err()
		}
		if p.Editable || p.Path != "" {
			continue
		}
		v := p.Version
		if p.Git != "" {
			v = ""
		}
		dev := slices.Contains(p.Groups, "dev") && !slices.Contains(p.Groups, "default")
		out = append(out, pkgRecord(pdmLockName, in.path, p.Name, v, purl.TypePyPi, dev))
	}
	return out, nil
}
