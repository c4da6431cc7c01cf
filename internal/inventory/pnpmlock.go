package inventory

// Our pnpm-lock.yaml reader replaces osv-scalibr's, which reads dev only
// from the per-package "dev" field of lockfile v5/v6 (v9, pnpm 9 and 10,
// has none, so nothing was dev) and misreads v9 keys written with a
// leading "/".

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/google/osv-scalibr/purl"
	"go.yaml.in/yaml/v3"
)

const pnpmLockName = "javascript/pnpmlock"

// pnpmLock reads pnpm-lock.yaml, lockfile versions 5, 6 and 9
// (https://github.com/pnpm/spec/tree/master/lockfile). A package key is
// "/name/1.2.3" (v5), "/name@1.2.3" (v6) or "name@1.2.3" (v9), with peer
// suffixes ("(react@18.2.0)", v5 "_react@18.2.0") that do not change the
// package.
//
//   - dev: v5/v6 say it per package (dev: true); for v9 the dependency
//     graph (snapshots) is walked from the importers' dependencies and
//     optionalDependencies (production) and devDependencies: a package only
//     the latter reach is dev;
//   - link: importers and directory/file: packages are local code: not listed;
//   - git and tarball-URL packages have no registry version: listed without one.
//
// A multi-document file (pnpm's env lockfile first) is read document by
// document.
type pnpmLock struct{}

func (pnpmLock) name() string  { return pnpmLockName }
func (pnpmLock) streams() bool { return false }

func (pnpmLock) required(p string, _ fs.FileMode, _ int64) bool {
	return pathBase(p) == "pnpm-lock.yaml" && !strings.Contains("/"+p, "/node_modules/")
}

type pnpmDeps struct {
	Dependencies         map[string]pnpmRef `yaml:"dependencies"`
	DevDependencies      map[string]pnpmRef `yaml:"devDependencies"`
	OptionalDependencies map[string]pnpmRef `yaml:"optionalDependencies"`
}

// pnpmRef is a dependency's resolved version: "1.2.3" (v5, and in
// packages/snapshots) or {specifier, version} (importers, v6+).
type pnpmRef string

func (r *pnpmRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		var v struct {
			Version string `yaml:"version"`
		}
		if err := n.Decode(&v); err != nil {
			return err
		}
		*r = pnpmRef(v.Version)
		return nil
	}
	return n.Decode((*string)(r))
}

type pnpmPackage struct {
	Name       string `yaml:"name"`
	Version    string `yaml:"version"`
	Dev        *bool  `yaml:"dev"`
	Resolution struct {
		Tarball   string `yaml:"tarball"`
		Commit    string `yaml:"commit"`
		Directory string `yaml:"directory"`
		Type      string `yaml:"type"`
	} `yaml:"resolution"`
	pnpmDeps `yaml:",inline"`
}

type pnpmFile struct {
	LockfileVersion any                    `yaml:"lockfileVersion"`
	Importers       map[string]pnpmDeps    `yaml:"importers"`
	Packages        map[string]pnpmPackage `yaml:"packages"`
	Snapshots       map[string]pnpmDeps    `yaml:"snapshots"`
	pnpmDeps        `yaml:",inline"`       // v5/v6 single-project root
}

func (p pnpmLock) extract(ctx context.Context, in *input) ([]Record, error) {
	dec := yaml.NewDecoder(in.r)
	var out []Record
	for {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		var f pnpmFile
		err := dec.Decode(&f)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("decoding YAML: %w", err)
		}
		recs, err := p.document(ctx, &f, in.path)
		out = append(out, recs...)
		if err != nil {
			return out, err
		}
	}
}

func (pnpmLock) document(ctx context.Context, f *pnpmFile, loc string) ([]Record, error) {
	prod, dev := pnpmReach(ctx, f)
	var out []Record
	n := 0
	for key, pkg := range f.Packages {
		if n++; n%checkEvery == 0 && ctx.Err() != nil {
			return out, ctx.Err()
		}
		name, version := pnpmNameVersion(key)
		if pkg.Name != "" {
			name = pkg.Name
		}
		if pkg.Version != "" {
			version = pkg.Version
		}
		r := pkg.Resolution
		if name == "" || strings.HasPrefix(key, "file:") || r.Directory != "" || strings.HasPrefix(r.Tarball, "file:") {
			continue // local code
		}
		if r.Commit != "" || r.Type == "git" || r.Tarball != "" && !strings.Contains(r.Tarball, "/-/") || !looksLikeVersion(version) {
			version = "" // git, a tarball URL (registry tarballs have /-/), or a version that is a URL
		}
		isDev := false
		if pkg.Dev != nil {
			isDev = *pkg.Dev
		} else if f.Snapshots != nil {
			k := pnpmBase(key)
			isDev = dev[k] && !prod[k]
		}
		out = append(out, pkgRecord(pnpmLockName, loc, name, version, purl.TypeNPM, isDev))
	}
	return out, nil
}

// pnpmReach walks the v9 snapshot graph from the importers and returns the
// package keys (peer suffixes removed) production and dev dependencies reach.
func pnpmReach(ctx context.Context, f *pnpmFile) (prod, dev map[string]bool) {
	prod, dev = map[string]bool{}, map[string]bool{}
	if f.Snapshots == nil {
		return prod, dev
	}
	walk := func(seen map[string]bool, roots map[string]pnpmRef) {
		var stack []string
		push := func(deps map[string]pnpmRef) {
			for name, ref := range deps {
				k := name + "@" + string(ref)
				if b := pnpmBase(string(ref)); len(b) > 1 && strings.Contains(b[1:], "@") {
					k = string(ref) // an alias: the ref names the real package
				}
				if strings.HasPrefix(string(ref), "link:") || seen[k] {
					continue
				}
				seen[k] = true
				stack = append(stack, k)
			}
		}
		push(roots)
		for n := 0; len(stack) > 0; n++ {
			if n%checkEvery == 0 && ctx.Err() != nil {
				return
			}
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			s := f.Snapshots[k]
			push(s.Dependencies)
			push(s.OptionalDependencies)
		}
	}
	for _, imp := range f.Importers {
		walk(prod, imp.Dependencies)
		walk(prod, imp.OptionalDependencies)
		walk(dev, imp.DevDependencies)
	}
	strip := func(m map[string]bool) map[string]bool {
		out := make(map[string]bool, len(m))
		for k := range m {
			out[pnpmBase(k)] = true
		}
		return out
	}
	return strip(prod), strip(dev)
}

// pnpmBase removes a leading "/" and the peer suffix from a package key.
func pnpmBase(key string) string {
	key = strings.TrimPrefix(strings.Trim(key, "'\""), "/")
	if i := strings.IndexByte(key, '('); i > 0 {
		key = key[:i]
	}
	return key
}

// pnpmNameVersion splits a package key in any lockfile version.
func pnpmNameVersion(key string) (name, version string) {
	key = pnpmBase(key)
	if n, v := splitDescriptor(key); v != "" && !strings.Contains(v, "/") {
		return n, v // name@1.2.3 (v6, v9)
	}
	// v5: name/1.2.3 or @scope/name/1.2.3, peers after "_".
	i := strings.LastIndexByte(key, '/')
	if i <= 0 {
		return "", ""
	}
	name, version = key[:i], key[i+1:]
	if j := strings.IndexByte(version, '_'); j > 0 {
		version = version[:j]
	}
	return name, version
}
