package inventory

// Our go.mod reader replaces osv-scalibr's for two meanings it gets wrong
// for a source tree: a module replaced by a local directory
// ("replace x => ./x") is the project's own code, not a registry module
// (scalibr lists it named "./x" without a version), and the "go" line is
// the minimum language version, not the Go that builds the program
// (scalibr reports it as stdlib, which would match every stdlib advisory
// since that release).

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/google/osv-scalibr/purl"
	"golang.org/x/mod/modfile"
)

const goModName = "go/gomod"

// goMod reads go.mod (https://go.dev/ref/mod#go-mod-file): every require
// (direct and // indirect; from go 1.17 on the file lists the whole
// build list, https://go.dev/ref/mod#graph-pruning) after replace
// directives. A toolchain line names the Go release the module asks to be
// built with: it is listed as stdlib. go.sum is not read: it holds the
// checksums of every version the resolver looked at, most of which are
// not in the build.
type goMod struct{}

func (goMod) name() string  { return goModName }
func (goMod) streams() bool { return false }

func (goMod) required(p string, _ fs.FileMode, _ int64) bool { return pathBase(p) == "go.mod" }

func (goMod) extract(ctx context.Context, in *input) ([]Record, error) {
	b, err := io.ReadAll(in.r)
	if err != nil {
		return nil, err
	}
	// Parse, not ParseLax: ParseLax ignores replace directives (it is
	// meant for dependencies' go.mod files). A directive newer than our
	// x/mod fails Parse; ParseLax then still gives the requirements, and
	// the error is reported with them.
	f, strictErr := modfile.Parse(in.path, b, nil)
	if strictErr != nil {
		var err error
		if f, err = modfile.ParseLax(in.path, b, nil); err != nil {
			return nil, err
		}
	}
	type key struct{ path, version string }
	mods := make(map[key]bool, len(f.Require))
	order := make([]key, 0, len(f.Require))
	for _, r := range f.Require {
		k := key{r.Mod.Path, r.Mod.Version}
		if !mods[k] {
			mods[k] = true
			order = append(order, k)
		}
	}
	repl := map[key]*modfile.Replace{}
	for _, r := range f.Replace {
		repl[key{r.Old.Path, r.Old.Version}] = r
	}
	out := make([]Record, 0, len(order)+1)
	for i, k := range order {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return out, ctx.Err()
		}
		r := repl[k]
		if r == nil {
			r = repl[key{k.path, ""}] // a replace without a version applies to all
		}
		if r != nil {
			if modfile.IsDirectoryPath(r.New.Path) {
				continue // replaced by local code
			}
			k = key{r.New.Path, r.New.Version}
		}
		out = append(out, pkgRecord(goModName, in.path, k.path, strings.TrimPrefix(k.version, "v"), purl.TypeGolang, false))
	}
	if f.Toolchain != nil {
		v, ok := strings.CutPrefix(f.Toolchain.Name, "go")
		if !ok {
			return out, fmt.Errorf("toolchain %q does not name a Go release", f.Toolchain.Name)
		}
		v, _, _ = strings.Cut(v, "-") // go1.21.3-custom
		out = append(out, pkgRecord(goModName, in.path, "stdlib", v, purl.TypeGolang, false))
	}
	if strictErr != nil {
		return out, fmt.Errorf("replace directives not applied: %w", strictErr)
	}
	return out, nil
}
