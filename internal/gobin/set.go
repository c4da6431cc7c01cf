package gobin

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Set is the stored set of package-qualified functions of one module in
// one binary, as the layer cache keeps it (a []byte: base64 in JSON). nil
// means "not read"; a read set is one format byte followed by the zstd
// frame of its Names text.
type Set []byte

// Names is a decoded Set: lines "\n<package> <sym> <sym> …" with packages
// and symbols sorted, ending in "\n". Package paths and symbols never
// hold spaces or newlines (splitName drops such names), so a lookup is a
// substring search on the bytes, with no parsing step.
type Names []byte

const setFormat = 1

// encoderWindow bounds the zstd history the Codec keeps (the default, 8
// MiB, stayed resident: +8 MiB peak RSS per scan). Sets are at most a few
// MiB, and a 512 KiB window made kubectl's 277 kB of sets 0.1 % larger.
const encoderWindow = 512 << 10

// maxNamesBytes bounds a decoded set (the largest real binaries measured
// give 2.4 MB of names); a bigger frame is a damaged cache entry.
const maxNamesBytes = 64 << 20

var errBadSet = errors.New("damaged Go symbol set")

// Codec encodes and decodes Sets. It is safe for concurrent use; zstd
// state is reused across calls (one Codec per Extractor or scan).
type Codec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

// NewCodec returns a Codec. Its coders run synchronously (no goroutines),
// so it needs no Close.
func NewCodec() (*Codec, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
		zstd.WithWindowSize(encoderWindow), zstd.WithLowerEncoderMem(true))
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxNamesBytes),
		zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(2*encoderWindow))
	if err != nil {
		return nil, fmt.Errorf("zstd decoder: %w", err)
	}
	return &Codec{enc: enc, dec: dec}, nil
}

// Encode builds the Set of package → symbols.
func (c *Codec) Encode(pkgs map[string][]string) Set {
	text := encodeNames(pkgs)
	return c.enc.EncodeAll(text, Set{setFormat})
}

// Decode returns the names of a read Set; nil for a nil Set. A set of an
// unknown format or a damaged frame is an error.
func (c *Codec) Decode(s Set) (Names, error) {
	if s == nil {
		return nil, nil
	}
	if len(s) < 2 || s[0] != setFormat {
		return nil, errBadSet
	}
	out, err := c.dec.DecodeAll(s[1:], nil)
	if err != nil || len(out) == 0 || out[0] != '\n' || out[len(out)-1] != '\n' {
		return nil, errBadSet
	}
	return out, nil
}

func encodeNames(pkgs map[string][]string) []byte {
	paths := make([]string, 0, len(pkgs))
	n := 1
	for p, syms := range pkgs {
		paths = append(paths, p)
		n += 1 + len(p)
		for _, s := range syms {
			n += 1 + len(s)
		}
	}
	slices.Sort(paths)
	b := make([]byte, 0, n+1)
	for _, p := range paths {
		b = append(b, '\n')
		b = append(b, p...)
		for _, s := range pkgs[p] {
			b = append(b, ' ')
			b = append(b, s...)
		}
	}
	return append(b, '\n')
}

// Package returns the functions of pkg in the set; ok is false when the
// package has none. Look a package up once and then its symbols: each
// lookup is a substring search.
func (n Names) Package(pkg string) (fs Funcs, ok bool) {
	if len(n) == 0 || pkg == "" || strings.ContainsAny(pkg, " \n") {
		return nil, false
	}
	key := "\n" + pkg + " "
	i := bytes.Index(n, []byte(key))
	if i < 0 {
		return nil, false
	}
	rest := n[i+len(key)-1:] // keep the space before the first symbol
	end := bytes.IndexByte(rest, '\n')
	return Funcs(rest[:end+1]), true // keep the newline as the last separator
}

// HasPackage reports whether any function of pkg is in the set.
func (n Names) HasPackage(pkg string) bool {
	_, ok := n.Package(pkg)
	return ok
}

// Has reports whether function sym ("Func", "Type.Method") of package
// pkg is in the set.
func (n Names) Has(pkg, sym string) bool {
	fs, _ := n.Package(pkg)
	return fs.Has(sym)
}

// Funcs are the functions of one package: " sym sym …\n".
type Funcs []byte

// Has reports whether sym is one of them.
func (fs Funcs) Has(sym string) bool {
	if len(fs) == 0 || sym == "" || strings.ContainsAny(sym, " \n") {
		return false
	}
	return bytes.Contains(fs, []byte(" "+sym+" ")) || bytes.Contains(fs, []byte(" "+sym+"\n"))
}
