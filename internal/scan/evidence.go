package scan

import (
	"cmp"
	"slices"
	"strings"

	"github.com/sightline-sec/sightline/internal/gobin"
	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/match"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

// goEvidence computes Finding.Evidence for Go findings from the package's
// binaries (internal/gobin) and the advisory's ecosystem_specific.imports.
// It decodes each binary's symbol set once per scan.
type goEvidence struct {
	codec  *gobin.Codec
	store  *goSymbolStore // sets of cached layers; nil without a cache
	mem    map[*byte]names
	cached map[string]names
}

// names is a decoded set, or why there is none.
type names struct {
	n   gobin.Names
	err string
}

func newGoEvidence(store *goSymbolStore) *goEvidence {
	c, err := gobin.NewCodec()
	if err != nil {
		return nil // only with invalid options; findings then carry "unknown"
	}
	return &goEvidence{codec: c, store: store, mem: map[*byte]names{}, cached: map[string]names{}}
}

func (g *goEvidence) names(b inventory.GoBinary) names {
	switch {
	case g == nil:
		return names{err: "symbol decoder unavailable"}
	case len(b.Symbols) > 0:
		if n, ok := g.mem[&b.Symbols[0]]; ok {
			return n
		}
		n := g.decode(b.Symbols)
		g.mem[&b.Symbols[0]] = n
		return n
	case b.Ref != "":
		if n, ok := g.cached[b.Ref]; ok {
			return n
		}
		set, err := g.store.load(b.Ref)
		n := names{err: errString(err)}
		if err == nil {
			n = g.decode(set)
		}
		g.cached[b.Ref] = n
		return n
	}
	return names{err: cmp.Or(b.Note, "symbol table not read")}
}

func (g *goEvidence) decode(s gobin.Set) names {
	n, err := g.codec.Decode(s)
	if err != nil {
		return names{err: err.Error()}
	}
	return names{n: n}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// evidence returns nil for non-Go findings; never an error: what cannot
// be checked is "unknown" with a reason.
func (g *goEvidence) evidence(p inventory.Package, v vulndb.Vulnerability) *Evidence {
	if p.Ecosystem != "Go" {
		return nil
	}
	e := &Evidence{Symbols: SymbolsUnknown, Platforms: advisoryPlatforms(v.GoImports)}
	switch v.GoPlatform {
	case match.PlatformMatched:
		e.Platform = p.Platform
	case match.PlatformUnknown:
		e.Platform = PlatformUnknown
	}
	switch {
	case len(v.GoImports) == 0:
		e.Reason = "the advisory names no vulnerable package"
		return e
	case len(p.GoBinaries) == 0:
		e.Reason = "no binary to inspect (package not read from a Go binary)"
		return e
	}
	allRead := true
	for _, b := range p.GoBinaries {
		n := g.names(b)
		if n.err != "" {
			allRead = false
			if e.Reason == "" {
				e.Reason = b.Path + ": " + n.err
			}
			continue
		}
		e.Matched = append(e.Matched, linked(n.n, v.GoImports)...)
	}
	slices.Sort(e.Matched)
	e.Matched = slices.Compact(e.Matched)
	switch {
	case len(e.Matched) > 0:
		e.Symbols, e.Reason = SymbolsPresent, ""
	case allRead:
		e.Symbols = SymbolsAbsent
	}
	return e
}

// linked lists the advisory's functions found in one binary, as
// "pkg.Symbol", or the package path alone for an import that names no
// symbols (every function of the package is vulnerable).
func linked(n gobin.Names, imports []vulndb.GoImport) []string {
	var out []string
	for _, im := range imports {
		fs, ok := n.Package(im.Path)
		if !ok {
			continue
		}
		if len(im.Symbols) == 0 {
			out = append(out, im.Path)
			continue
		}
		for _, s := range im.Symbols {
			if fs.Has(s) {
				out = append(out, im.Path+"."+s)
			}
		}
	}
	return out
}

// advisoryPlatforms renders the imports' goos/goarch restrictions as
// "goos/goarch" with "*" for an unrestricted part; nil when none is
// restricted.
func advisoryPlatforms(imports []vulndb.GoImport) []string {
	var out []string
	for _, im := range imports {
		if len(im.GOOS) == 0 && len(im.GOARCH) == 0 {
			continue
		}
		oses, arches := cmpList(im.GOOS), cmpList(im.GOARCH)
		for _, o := range oses {
			for _, a := range arches {
				out = append(out, strings.TrimSuffix(o+"/"+a, "/*"))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func cmpList(l []string) []string {
	if len(l) == 0 {
		return []string{"*"}
	}
	return l
}

// goPlatform splits a package's platform into the matcher's form.
func goPlatform(p inventory.Package) match.Platform {
	os, arch, _ := strings.Cut(p.Platform, "/")
	arch, _, _ = strings.Cut(arch, "/") // drop an image platform's variant
	return match.Platform{GOOS: os, GOARCH: arch}
}

// fillImagePlatform gives Go packages whose binary records no GOOS/GOARCH
// (Go before 1.18) the image's platform ("linux/arm64/v8" → "linux/arm64").
func fillImagePlatform(pkgs []inventory.Package, imagePlatform string) {
	os, rest, ok := strings.Cut(imagePlatform, "/")
	if !ok || os == "" || rest == "" {
		return
	}
	arch, _, _ := strings.Cut(rest, "/")
	for i := range pkgs {
		if p := &pkgs[i]; len(p.GoBinaries) > 0 && p.Platform == "" {
			p.Platform = os + "/" + arch
		}
	}
}
