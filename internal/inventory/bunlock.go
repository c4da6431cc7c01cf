package inventory

// Our bun.lock parser replaces osv-scalibr's, which finds each package's
// line with a JSON path query from the start of the file (quadratic) and
// marks no package as dev.

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/osv-scalibr/purl"
)

const bunLockName = "javascript/bunlock"

// bunLock reads bun's text lockfile, bun.lock (https://bun.sh/docs/install/lockfile;
// JSONC). "packages" maps a key — the package's name, or names joined by
// "/" for a copy nested under another package — to
// ["name@version", registry, {dependencies…}, integrity]; git packages
// omit the registry, workspace members are ["name@workspace:path"].
//
// Workspace members and file:/link: packages are local code: not listed.
// Git packages have no registry version: listed without one. A package is
// dev when only the workspaces' devDependencies reach it: dependencies,
// optionalDependencies and peerDependencies are installed in production
// (bun install --production), and so is everything they reach.
type bunLock struct{}

func (bunLock) name() string  { return bunLockName }
func (bunLock) streams() bool { return true }

func (bunLock) required(p string, _ fs.FileMode, _ int64) bool {
	return pathBase(p) == "bun.lock" && !strings.Contains("/"+p, "/node_modules/")
}

type bunDeps struct {
	Name                 string            `json:"name"` // workspaces only
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
}

// prod lists the names of the dependencies installed in production.
func (d bunDeps) prod() []string {
	var out []string
	for _, m := range []map[string]string{d.Dependencies, d.OptionalDependencies, d.PeerDependencies} {
		for n := range m {
			out = append(out, n)
		}
	}
	return out
}

type bunPackage struct {
	name, version string
	local         bool
	deps          []string // names of what it needs installed
}

func (b bunLock) extract(ctx context.Context, in *input) ([]Record, error) {
	dec := jsontext.NewDecoder(newJSONCReader(in.r), jsonOpts)
	if err := expectObject(dec); err != nil {
		return nil, err
	}
	workspaces := map[string]bunDeps{}
	pkgs := map[string]*bunPackage{}
	var order []string
	for dec.PeekKind() == '"' {
		key, err := readName(dec)
		if err != nil {
			return nil, err
		}
		switch key {
		case "workspaces":
			err = json.UnmarshalDecode(dec, &workspaces, jsonOpts)
		case "packages":
			err = eachMember(ctx, dec, func(k string) error {
				p, err := readBunPackage(dec)
				if err != nil {
					return fmt.Errorf("packages[%q]: %w", k, err)
				}
				if _, dup := pkgs[k]; !dup {
					order = append(order, k)
				}
				pkgs[k] = p
				return nil
			})
		default:
			err = dec.SkipValue()
		}
		if err != nil {
			return nil, err
		}
	}
	if err := expectEnd(dec); err != nil {
		return nil, err
	}
	prod, dev := bunReach(ctx, workspaces, pkgs)
	var out []Record
	for _, k := range order {
		p := pkgs[k]
		if p.local {
			continue
		}
		out = append(out, pkgRecord(bunLockName, in.path, p.name, p.version, purl.TypeNPM, dev[k] && !prod[k]))
	}
	return out, ctx.Err()
}

// readBunPackage decodes one "packages" value.
func readBunPackage(dec *jsontext.Decoder) (*bunPackage, error) {
	var arr []jsontext.Value
	if err := json.UnmarshalDecode(dec, &arr, jsonOpts); err != nil {
		return nil, err
	}
	if len(arr) == 0 {
		return nil, fmt.Errorf("empty entry")
	}
	var ident string
	if err := json.Unmarshal(arr[0], &ident, jsonOpts); err != nil {
		return nil, fmt.Errorf("identifier: %w", err)
	}
	at := strings.IndexByte(ident[min(1, len(ident)):], '@') + min(1, len(ident)) // a scope's "@" comes first
	if at < 1 || at >= len(ident) {
		return nil, fmt.Errorf("identifier %q is not name@version", ident)
	}
	p := &bunPackage{name: ident[:at], version: ident[at+1:]}
	if isLocalSpec(p.version) {
		p.local = true
	} else if !looksLikeVersion(p.version) {
		p.version = "" // git or tarball URL: no registry version
	}
	for _, v := range arr[1:] {
		if v.Kind() != '{' {
			continue
		}
		var d bunDeps
		if err := json.Unmarshal(v, &d, jsonOpts); err != nil {
			return nil, fmt.Errorf("dependencies: %w", err)
		}
		p.deps = d.prod() // a package's own devDependencies are never installed
		break
	}
	return p, nil
}

// maxBunNesting bounds how far up a dependency is looked for; real
// lockfiles nest a few levels. Past it, resolution falls back to the
// top level (only the dev marking can be affected, never the list).
const maxBunNesting = 64

// bunReach walks the dependency graph from the workspaces' production and
// dev roots, resolving a name the way node does: the nearest enclosing
// copy ("a/b/c", then "a/c", then "c").
func bunReach(ctx context.Context, ws map[string]bunDeps, pkgs map[string]*bunPackage) (prod, dev map[string]bool) {
	resolve := func(from, name string) string {
		for k, n := from, 0; k != "" && n < maxBunNesting; k, n = bunParent(k), n+1 {
			if _, ok := pkgs[k+"/"+name]; ok {
				return k + "/" + name
			}
		}
		if _, ok := pkgs[name]; ok {
			return name
		}
		return ""
	}
	walk := func(seen map[string]bool, from string, names []string) {
		var stack []string
		push := func(from string, names []string) {
			for _, n := range names {
				if k := resolve(from, n); k != "" && !seen[k] {
					seen[k] = true
					stack = append(stack, k)
				}
			}
		}
		push(from, names)
		for len(stack) > 0 && ctx.Err() == nil {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			push(k, pkgs[k].deps)
		}
	}
	prod, dev = map[string]bool{}, map[string]bool{}
	for path, d := range ws {
		from := ""
		if path != "" {
			from = d.Name // a member's nested copies are keyed under its name
		}
		walk(prod, from, d.prod())
		walk(dev, from, keys(d.DevDependencies))
	}
	return prod, dev
}

// bunParent drops the last package name from a key ("a/@s/b" → "a").
func bunParent(k string) string {
	i := strings.LastIndexByte(k, '/')
	if i < 0 {
		return ""
	}
	if j := strings.LastIndexByte(k[:i], '/'); strings.HasPrefix(k[j+1:i], "@") {
		i = j
	}
	if i < 0 {
		return ""
	}
	return k[:i]
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
