package gobin

import (
	"bytes"
	"debug/buildinfo"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Stdlib is the module name Symbols uses for the standard library (as the
// Go vulnerability database does).
const Stdlib = "stdlib"

// maxNames bounds the names read from one binary; the largest real Go
// binaries hold a few hundred thousand.
const maxNames = 4 << 20

// Binary is what gobin reads from one Go executable: its target platform
// and the functions linked into it, grouped by module.
type Binary struct {
	// GOOS and GOARCH are the build settings of the same names (recorded by
	// Go ≥ 1.18); "" when the build info has none.
	GOOS, GOARCH string
	// SymbolsErr says why no function names could be read (no pclntab, a
	// pre-1.16 table); nil when they were.
	SymbolsErr error

	byModule map[string]map[string][]string // module → package → symbols
	alias    map[string]string              // replacement path → module path
}

// Read reads the build info and the function name table of a Go binary
// held in memory. An error means data is not a Go binary with build info
// (debug/buildinfo's error); an unreadable function table is not an
// error but Binary.SymbolsErr. Time and memory are linear in len(data).
func Read(data []byte) (*Binary, error) {
	return ReadAt(bytes.NewReader(data), int64(len(data)))
}

// ReadAt is Read for size bytes behind r (a binary spilled to a temp
// file): only the build info, the section headers and the function name
// table are read; memory is linear in the name table, time in size.
func ReadAt(r io.ReaderAt, size int64) (b *Binary, err error) {
	defer func() {
		if r := recover(); r != nil { // debug/elf, debug/macho on hostile headers
			b, err = nil, fmt.Errorf("reading Go binary: %v", r)
		}
	}()
	bi, err := buildinfo.Read(r)
	if err != nil {
		return nil, err
	}
	b = &Binary{alias: map[string]string{}}
	for _, s := range bi.Settings {
		switch s.Key {
		case "GOOS":
			b.GOOS = s.Value
		case "GOARCH":
			b.GOARCH = s.Value
		}
	}
	mods := []string{}
	if bi.Main.Path != "" {
		mods = append(mods, bi.Main.Path)
	}
	for _, d := range bi.Deps {
		mods = append(mods, d.Path)
		if d.Replace != nil && d.Replace.Path != "" && d.Replace.Path != d.Path {
			b.alias[d.Replace.Path] = d.Path
		}
	}
	names, err := funcNames(r, size)
	if err != nil {
		b.SymbolsErr = err
		return b, nil
	}
	b.byModule = group(names, mods, bi.Path)
	return b, nil
}

// group splits funcnametab into module → package → sorted, unique symbols.
// A package belongs to the module with the longest path prefix; one
// outside every module whose first element has no dot is the standard
// library's; package main is the main package (mainPath).
func group(names []byte, mods []string, mainPath string) map[string]map[string][]string {
	slices.SortFunc(mods, func(a, b string) int { return len(b) - len(a) }) // longest first
	out := map[string]map[string][]string{}
	modOf := map[string]string{} // package → module ("" = none)
	count := 0
	for len(names) > 0 && count < maxNames {
		i := bytes.IndexByte(names, 0)
		if i < 0 {
			i = len(names)
		}
		name := string(names[:i])
		names = names[min(i+1, len(names)):]
		pkg, sym, ok := splitName(name)
		if !ok {
			continue
		}
		count++
		if pkg == "main" && mainPath != "" {
			pkg = mainPath
		}
		mod, seen := modOf[pkg]
		if !seen {
			mod = moduleOf(pkg, mods)
			modOf[pkg] = mod
		}
		if mod == "" {
			continue
		}
		if out[mod] == nil {
			out[mod] = map[string][]string{}
		}
		out[mod][pkg] = append(out[mod][pkg], sym)
	}
	for _, pkgs := range out {
		for p, syms := range pkgs {
			slices.Sort(syms)
			pkgs[p] = slices.Compact(syms)
		}
	}
	return out
}

func moduleOf(pkg string, mods []string) string {
	for _, m := range mods {
		if pkg == m || (strings.HasPrefix(pkg, m) && pkg[len(m)] == '/') {
			return m
		}
	}
	first, _, _ := strings.Cut(pkg, "/")
	if !strings.Contains(first, ".") {
		return Stdlib
	}
	return ""
}

// Symbols returns the encoded symbol set of one module of the binary,
// named as osv-scalibr names Go packages: the module path, or the
// replacement's path when replaced, or "stdlib"/"go" for the standard
// library. It is nil when the binary's function table could not be read
// (see SymbolsErr) and an empty, non-nil Set when the table was read but
// holds no function of the module.
func (b *Binary) Symbols(c *Codec, module string) Set {
	if b.SymbolsErr != nil {
		return nil
	}
	if module == "go" {
		module = Stdlib
	}
	if m, ok := b.alias[module]; ok {
		module = m
	}
	return c.Encode(b.byModule[module])
}
