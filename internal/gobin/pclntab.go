package gobin

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"encoding/binary"
	"errors"
	"io"
)

// The Go runtime's pcHeader (runtime/symtab.go) starts every pclntab since
// Go 1.16. Its fields, in the target's byte order:
//
//	magic uint32; pad1, pad2 uint8 (0); minLC uint8 (1, 2 or 4); ptrSize uint8 (4 or 8)
//	nfunc int; nfiles uint; [textStart uintptr: Go ≥ 1.18]
//	funcnameOffset, cuOffset, filetabOffset, pctabOffset, pclnOffset uintptr
//
// funcnametab (funcnameOffset..cuOffset) is a run of NUL-terminated names:
// the linker writes one for every function in the binary and for every
// function inlined into one (cmd/link/internal/ld/pcln.go, walkFuncs), so
// it lists inlined-only functions too — which debug/gosym's Table.Funcs
// does not — and it survives `-ldflags=-s -w`, which strip the ELF symbol
// table and DWARF but not the pclntab the runtime needs for stack traces.
// maxCandidates bounds the header candidates tried per pattern, so a
// hostile file filled with the pattern costs bounded time.
const maxCandidates = 4096

const (
	magic116 = 0xfffffffa
	magic118 = 0xfffffff0
	magic120 = 0xfffffff1
)

var (
	errNoPclntab = errors.New("no Go function table (pclntab) found")
	errOldFormat = errors.New("function table of a Go release before 1.16, not read")
)

// funcNames returns the funcnametab of the Go binary behind r (size
// bytes). It looks in the section the linker names (ELF .gopclntab, also
// under .data.rel.ro for PIE; Mach-O __gopclntab) and otherwise searches
// the file for a valid header (PE files, externally linked binaries whose
// system linker merged the section away). Only the header and the name
// table are read into memory, so a binary spilled to disk is not loaded.
func funcNames(r io.ReaderAt, size int64) ([]byte, error) {
	if off, n, ok := pclnSection(r, size); ok {
		if names, err := headerAt(r, off, n); err == nil {
			return names, nil
		}
	}
	return searchHeader(r, size)
}

// pclnSection locates the named pclntab section; ok is false when there
// is none or its header lies outside the file (truncated, hostile).
func pclnSection(r io.ReaderAt, size int64) (off, n int64, ok bool) {
	inFile := func(o, l uint64) (int64, int64, bool) {
		if o > uint64(size) || l > uint64(size)-o {
			return 0, 0, false
		}
		return int64(o), int64(l), true
	}
	if f, err := elf.NewFile(r); err == nil {
		for _, name := range []string{".gopclntab", ".data.rel.ro.gopclntab"} {
			if s := f.Section(name); s != nil && s.Type != elf.SHT_NOBITS {
				return inFile(s.Offset, s.Size)
			}
		}
		return 0, 0, false
	}
	if f, err := macho.NewFile(r); err == nil {
		if s := f.Section("__gopclntab"); s != nil {
			return inFile(uint64(s.Offset), s.Size)
		}
	}
	return 0, 0, false
}

// searchChunk is how much of the file searchHeader reads at a time.
const searchChunk = 1 << 20

// searchHeader finds the first valid pcHeader in the file, reading it a
// chunk at a time. Candidates are found by their 6 fixed bytes (magic,
// two zero pads) and kept only when every offset is consistent.
func searchHeader(r io.ReaderAt, size int64) ([]byte, error) {
	pats := [][]byte{
		{0xf1, 0xff, 0xff, 0xff, 0, 0}, {0xff, 0xff, 0xff, 0xf1, 0, 0},
		{0xf0, 0xff, 0xff, 0xff, 0, 0}, {0xff, 0xff, 0xff, 0xf0, 0, 0},
		{0xfa, 0xff, 0xff, 0xff, 0, 0}, {0xff, 0xff, 0xff, 0xfa, 0, 0},
	}
	old := [][]byte{{0xfb, 0xff, 0xff, 0xff, 0, 0}, {0xff, 0xff, 0xff, 0xfb, 0, 0}}
	const overlap = 5 // a pattern may straddle two chunks
	buf := make([]byte, min(size, searchChunk+overlap))
	tries := make([]int, len(pats))
	sawOld := false
	for base := int64(0); base < size; base += searchChunk {
		n, _ := r.ReadAt(buf[:min(int64(len(buf)), size-base)], base)
		b := buf[:n]
		for pi, pat := range pats {
			for off := 0; off < len(b) && tries[pi] < maxCandidates; {
				i := bytes.Index(b[off:], pat)
				if i < 0 || off+i >= searchChunk { // in the overlap: the next chunk starts there
					break
				}
				tries[pi]++
				at := base + int64(off+i)
				if names, err := headerAt(r, at, size-at); err == nil {
					return names, nil
				}
				off += i + 1
			}
		}
		sawOld = sawOld || bytes.Contains(b, old[0]) || bytes.Contains(b, old[1])
	}
	// Go 1.2–1.15 tables (magic 0xfffffffb) keep names elsewhere; say so
	// rather than "not a Go binary".
	if sawOld {
		return nil, errOldFormat
	}
	return nil, errNoPclntab
}

// parseHeader validates the pcHeader at the start of tab and returns its
// funcnametab (tab held in memory; tests and fuzzing use it).
func parseHeader(tab []byte) ([]byte, error) {
	return headerAt(bytes.NewReader(tab), 0, int64(len(tab)))
}

// headerAt validates the pcHeader at off, the table spanning limit bytes
// from there, and reads its funcnametab.
func headerAt(r io.ReaderAt, off, limit int64) ([]byte, error) {
	hdr := make([]byte, min(limit, 8+8*8)) // fixed bytes + up to 8 words
	k, _ := r.ReadAt(hdr, off)
	nameOff, cuOff, err := headerFields(hdr[:k], uint64(limit))
	if err != nil {
		return nil, err
	}
	if cuOff-nameOff > maxNamesBytes { // see set.go: more is no real binary's
		return nil, errNoPclntab
	}
	names := make([]byte, cuOff-nameOff)
	if _, err := r.ReadAt(names, off+int64(nameOff)); err != nil {
		return nil, errNoPclntab
	}
	if names[len(names)-1] != 0 {
		return nil, errNoPclntab
	}
	return names, nil
}

// headerFields checks the header bytes of a table n bytes long and
// returns the bounds of its funcnametab.
func headerFields(tab []byte, n uint64) (nameOff, cuOff uint64, err error) {
	if len(tab) < 8 {
		return 0, 0, errNoPclntab
	}
	var bo binary.ByteOrder = binary.LittleEndian
	m := bo.Uint32(tab)
	if m != magic116 && m != magic118 && m != magic120 {
		bo = binary.BigEndian
		m = bo.Uint32(tab)
	}
	switch m {
	case magic116, magic118, magic120:
	case 0xfffffffb:
		return 0, 0, errOldFormat
	default:
		return 0, 0, errNoPclntab
	}
	minLC, ptr := tab[6], int(tab[7])
	if tab[4] != 0 || tab[5] != 0 || (minLC != 1 && minLC != 2 && minLC != 4) || (ptr != 4 && ptr != 8) {
		return 0, 0, errNoPclntab
	}
	word := func(i int) (uint64, bool) {
		at := 8 + i*ptr
		if at+ptr > len(tab) {
			return 0, false
		}
		if ptr == 4 {
			return uint64(bo.Uint32(tab[at:])), true
		}
		return bo.Uint64(tab[at:]), true
	}
	first := 2 // funcnameOffset follows nfunc, nfiles
	if m != magic116 {
		first = 3 // and textStart
	}
	nfunc, ok1 := word(0)
	nameOff, ok2 := word(first)
	cuOff, ok3 := word(first + 1)
	pclnOff, ok4 := word(first + 4)
	if !ok1 || !ok2 || !ok3 || !ok4 || nfunc == 0 || nfunc > n ||
		nameOff >= cuOff || cuOff > n || pclnOff > n || pclnOff < cuOff {
		return 0, 0, errNoPclntab
	}
	return nameOff, cuOff, nil
}
