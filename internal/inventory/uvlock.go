package inventory

// Our uv.lock reader replaces osv-scalibr's, which marks only the direct
// members of a dev group as dev (pytest, not the pluggy it pulls in), marks
// a package dev even when production code also needs it, and lists
// workspace members other than the root as PyPI packages.

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/BurntSushi/toml"
	"github.com/google/osv-scalibr/purl"
)

const uvLockName = "python/uvlock"

// uvLock reads uv.lock (https://docs.astral.sh/uv/concepts/projects/layout/#the-lockfile).
// Packages whose source is the project tree (virtual, editable, directory,
// path) are the project and its workspace members: not listed, but they are
// where the dependency graph starts. A package is dev when only the
// members' dependency groups ([package.dev-dependencies], e.g. "dev")
// reach it; their dependencies and extras (optional-dependencies) ship.
// Git and URL packages have no registry version: listed without one.
type uvLock struct{}

func (uvLock) name() string  { return uvLockName }
func (uvLock) streams() bool { return false }

func (uvLock) required(p string, _ fs.FileMode, _ int64) bool { return pathBase(p) == "uv.lock" }

type uvDep struct {
	Name    string   `toml:"name"`
	Version string   `toml:"version"`
	Extra   []string `toml:"extra"`
}

type uvPackage struct {
	Name         string             `toml:"name"`
	Version      string             `toml:"version"`
	Source       map[string]any     `toml:"source"`
	Dependencies []uvDep            `toml:"dependencies"`
	Optional     map[string][]uvDep `toml:"optional-dependencies"`
	Groups       map[string][]uvDep `toml:"dev-dependencies"`
}

func (p *uvPackage) local() bool {
	for _, k := range []string{"virtual", "editable", "directory", "path"} {
		if _, ok := p.Source[k]; ok {
			return true
		}
	}
	return false
}

func (uvLock) extract(ctx context.Context, in *input) ([]Record, error) {
	var f struct {
		Package []uvPackage `toml:"package"`
	}
	if _, err := toml.NewDecoder(in.r).Decode(&f); err != nil {
		return nil, fmt.Errorf("decoding TOML: %w", err)
	}
	byName := map[string][]int{}
	for i, p := range f.Package {
		byName[p.Name] = append(byName[p.Name], i)
	}
	g := uvGraph{pkgs: f.Package, byName: byName, ctx: ctx}
	prod, dev := map[int]bool{}, map[int]bool{}
	for i := range f.Package {
		p := &f.Package[i]
		if !p.local() {
			continue
		}
		g.walk(prod, p.Dependencies)
		for _, deps := range p.Optional {
			g.walk(prod, deps)
		}
		for _, deps := range p.Groups {
			g.walk(dev, deps)
		}
	}
	var out []Record
	for i := range f.Package {
		p := &f.Package[i]
		if p.local() {
			continue
		}
		v := p.Version
		if _, git := p.Source["git"]; git {
			v = ""
		} else if _, url := p.Source["url"]; url {
			v = ""
		}
		out = append(out, pkgRecord(uvLockName, in.path, p.Name, v, purl.TypePyPi, dev[i] && !prod[i]))
	}
	return out, ctx.Err()
}

type uvGraph struct {
	pkgs   []uvPackage
	byName map[string][]int
	ctx    context.Context
}

// resolve finds the packages a dependency names: the one with its version
// when given (uv pins one per environment fork), else every package of that
// name (each may be installed on some platform).
func (g uvGraph) resolve(d uvDep) []int {
	var out []int
	for _, i := range g.byName[d.Name] {
		if d.Version == "" || g.pkgs[i].Version == d.Version {
			out = append(out, i)
		}
	}
	return out
}

// walk marks everything reachable from deps, following a dependency's
// requested extras into the package's optional-dependencies.
func (g uvGraph) walk(seen map[int]bool, deps []uvDep) {
	stack := append([]uvDep(nil), deps...)
	visitedExtra := map[string]bool{}
	for n := 0; len(stack) > 0; n++ {
		if n%checkEvery == 0 && g.ctx.Err() != nil {
			return
		}
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, i := range g.resolve(d) {
			p := &g.pkgs[i]
			if !seen[i] {
				seen[i] = true
				stack = append(stack, p.Dependencies...)
			}
			for _, e := range d.Extra {
				k := fmt.Sprint(i, "\x00", e)
				if !visitedExtra[k] {
					visitedExtra[k] = true
					stack = append(stack, p.Optional[e]...)
				}
			}
		}
	}
}
