package gobin

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"encoding/binary"
	"errors"
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

// funcNames returns the funcnametab of the Go binary in data. It looks in
// the section the linker names (ELF .gopclntab, also under
// .data.rel.ro for PIE; Mach-O __gopclntab) and otherwise searches the
// file for a valid header (PE files, externally linked binaries whose
// system linker merged the section away).
func funcNames(data []byte) ([]byte, error) {
	if sec := pclnSection(data); sec != nil {
		if names, err := parseHeader(sec); err == nil {
			return names, nil
		}
	}
	return searchHeader(data)
}

// pclnSection returns the bytes of the named pclntab section, or nil.
func pclnSection(data []byte) []byte {
	r := bytes.NewReader(data)
	if f, err := elf.NewFile(r); err == nil {
		for _, name := range []string{".gopclntab", ".data.rel.ro.gopclntab"} {
			if s := f.Section(name); s != nil && s.Type != elf.SHT_NOBITS {
				return sectionBytes(data, s.Offset, s.Size)
			}
		}
		return nil
	}
	if f, err := macho.NewFile(r); err == nil {
		if s := f.Section("__gopclntab"); s != nil {
			return sectionBytes(data, uint64(s.Offset), s.Size)
		}
	}
	return nil
}

// sectionBytes slices a section out of the file without copying; an
// out-of-range header (a truncated or hostile file) gives nil.
func sectionBytes(data []byte, off, size uint64) []byte {
	if off > uint64(len(data)) || size > uint64(len(data))-off {
		return nil
	}
	return data[off : off+size]
}

// searchHeader finds the first offset in data where a valid pcHeader
// starts. Candidates are found by their 6 fixed bytes (magic, two zero
// pads) and kept only when every offset is consistent.
func searchHeader(data []byte) ([]byte, error) {
	pats := [][]byte{
		{0xf1, 0xff, 0xff, 0xff, 0, 0}, {0xff, 0xff, 0xff, 0xf1, 0, 0},
		{0xf0, 0xff, 0xff, 0xff, 0, 0}, {0xff, 0xff, 0xff, 0xf0, 0, 0},
		{0xfa, 0xff, 0xff, 0xff, 0, 0}, {0xff, 0xff, 0xff, 0xfa, 0, 0},
	}
	for _, pat := range pats {
		for off, tries := 0, 0; off < len(data) && tries < maxCandidates; tries++ {
			i := bytes.Index(data[off:], pat)
			if i < 0 {
				break
			}
			names, err := parseHeader(data[off+i:])
			if err == nil {
				return names, nil
			}
			off += i + 1
		}
	}
	// Go 1.2–1.15 tables (magic 0xfffffffb) keep names elsewhere; say so
	// rather than "not a Go binary".
	if bytes.Contains(data, []byte{0xfb, 0xff, 0xff, 0xff, 0, 0}) || bytes.Contains(data, []byte{0xff, 0xff, 0xff, 0xfb, 0, 0}) {
		return nil, errOldFormat
	}
	return nil, errNoPclntab
}

// parseHeader validates the pcHeader at the start of tab and returns its
// funcnametab.
func parseHeader(tab []byte) ([]byte, error) {
	if len(tab) < 8 {
		return nil, errNoPclntab
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
		return nil, errOldFormat
	default:
		return nil, errNoPclntab
	}
	minLC, ptr := tab[6], int(tab[7])
	if tab[4] != 0 || tab[5] != 0 || (minLC != 1 && minLC != 2 && minLC != 4) || (ptr != 4 && ptr != 8) {
		return nil, errNoPclntab
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
	n := uint64(len(tab))
	if !ok1 || !ok2 || !ok3 || !ok4 || nfunc == 0 || nfunc > n ||
		nameOff >= cuOff || cuOff > n || pclnOff > n || pclnOff < cuOff {
		return nil, errNoPclntab
	}
	names := tab[nameOff:cuOff]
	if names[len(names)-1] != 0 {
		return nil, errNoPclntab
	}
	return names, nil
}
