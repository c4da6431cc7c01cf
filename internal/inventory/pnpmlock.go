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

// pnpmDeps are the dependency maps of an importer, a package or a
// snapshot: name → resolved version ("1.2.3", "1.2.3(peer@1.0.0)",
// "link:../x"; importers of v6+ write {specifier, version}).
type pnpmDeps struct {
	prod, dev map[string]string
}

func readPnpmDeps(n *yaml.Node) pnpmDeps {
	d := pnpmDeps{prod: map[string]string{}, dev: map[string]string{}}
	for _, field := range []string{"dependencies", "optionalDependencies", "devDependencies"} {
		into := d.prod
		if field == "devDependencies" {
			into = d.dev
		}
		yamlPairs(yamlGet(n, field), func(name string, v *yaml.Node) {
			if v.Kind == yaml.MappingNode {
				v = yamlGet(v, "version")
			}
			into[name] = yamlScalar(v)
		})
	}
	return d
}

func (p pnpmLock) extract(ctx context.Context, in *input) ([]Record, error) {
	dec := yaml.NewDecoder(in.r)
	var out []Record
	for {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("decoding YAML: %w", err)
		}
		recs, err := p.document(ctx, yamlDoc(&doc), in.path)
		out = append(out, recs...)
		if err != nil {
			return out, err
		}
	}
}

func (pnpmLock) document(ctx context.Context, root *yaml.Node, loc string) ([]Record, error) {
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a pnpm lockfile (a YAML %v, not a mapping)", root.Kind)
	}
	snapshots := yamlGet(root, "snapshots")
	var prod, dev map[string]bool
	if snapshots != nil {
		importers := []pnpmDeps{}
		yamlPairs(yamlGet(root, "importers"), func(_ string, v *yaml.Node) {
			importers = append(importers, readPnpmDeps(v))
		})
		graph := map[string]pnpmDeps{}
		yamlPairs(snapshots, func(k string, v *yaml.Node) { graph[k] = readPnpmDeps(v) })
		prod, dev = pnpmReach(ctx, importers, graph)
	}
	pkgs := yamlGet(root, "packages")
	var out []Record
	if pkgs != nil {
		out = make([]Record, 0, len(pkgs.Content)/2)
	}
	n := 0
	var err error
	yamlPairs(pkgs, func(key string, pkg *yaml.Node) {
		if n++; n%checkEvery == 0 && ctx.Err() != nil {
			err = ctx.Err()
		}
		if err != nil {
			return
		}
		if r, ok := pnpmRecord(key, pkg, prod, dev, snapshots != nil, loc); ok {
			out = append(out, r)
		}
	})
	return out, err
}

// pnpmRecord turns one "packages" entry into a record, or reports local
// code.
func pnpmRecord(key string, pkg *yaml.Node, prod, dev map[string]bool, v9 bool, loc string) (Record, bool) {
	name, version := pnpmNameVersion(key)
	if n := yamlScalar(yamlGet(pkg, "name")); n != "" {
		name = n
	}
	if v := yamlScalar(yamlGet(pkg, "version")); v != "" {
		version = v
	}
	res := yamlGet(pkg, "resolution")
	tarball := yamlScalar(yamlGet(res, "tarball"))
	if name == "" || strings.HasPrefix(key, "file:") || yamlGet(res, "directory") != nil || strings.HasPrefix(tarball, "file:") {
		return Record{}, false // local code
	}
	if yamlGet(res, "commit") != nil || yamlScalar(yamlGet(res, "type")) == "git" ||
		tarball != "" && !strings.Contains(tarball, "/-/") || !looksLikeVersion(version) {
		version = "" // git, a tarball URL (registry tarballs have /-/), or a version that is a URL
	}
	isDev := yamlScalar(yamlGet(pkg, "dev")) == "true"
	if v9 {
		k := pnpmBase(key)
		isDev = dev[k] && !prod[k]
	}
	return pkgRecord(pnpmLockName, loc, name, version, purl.TypeNPM, isDev), true
}

// pnpmReach walks the v9 snapshot graph from the importers and returns the
// package keys (peer suffixes removed) production and dev dependencies reach.
func pnpmReach(ctx context.Context, importers []pnpmDeps, graph map[string]pnpmDeps) (prod, dev map[string]bool) {
	walk := func(seen map[string]bool, roots map[string]string) {
		var stack []string
		push := func(deps map[string]string) {
			for name, ref := range deps {
				k := name + "@" + ref
				if b := pnpmBase(ref); len(b) > 1 && strings.Contains(b[1:], "@") {
					k = ref // an alias: the ref names the real package
				}
				if strings.HasPrefix(ref, "link:") || seen[k] {
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
			push(graph[k].prod)
		}
	}
	prodKeys, devKeys := map[string]bool{}, map[string]bool{}
	for _, imp := range importers {
		walk(prodKeys, imp.prod)
		walk(devKeys, imp.dev)
	}
	strip := func(m map[string]bool) map[string]bool {
		out := make(map[string]bool, len(m))
		for k := range m {
			out[pnpmBase(k)] = true
		}
		return out
	}
	return strip(prodKeys), strip(devKeys)
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
