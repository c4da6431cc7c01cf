package vulndb

import (
	"encoding/binary"
	"errors"
	"time"
)

// Record is the stored, matching-relevant part of one OSV record.
type Record struct {
	ID         string    `json:"id"`
	Aliases    []string  `json:"aliases,omitempty"`
	Related    []string  `json:"related,omitempty"`
	Summary    string    `json:"summary,omitempty"`
	Published  time.Time `json:"published,omitzero"`
	Modified   time.Time `json:"modified,omitzero"`
	Severity   Severity  `json:"severity"`
	References []string  `json:"references,omitempty"`
}

// RangeType is an OSV range type that matching understands. GIT ranges
// are dropped at import: they name commits, not package versions.
type RangeType uint8

// Range types.
const (
	RangeEcosystem RangeType = iota
	RangeSemver
)

// EventKind is an OSV range event kind.
type EventKind uint8

// Event kinds.
const (
	Introduced EventKind = iota
	Fixed
	LastAffected
	Limit
)

// Event is one OSV range event.
type Event struct {
	Kind    EventKind
	Version string
}

// Range is one OSV range; Sorted says its events are in ascending version
// order (the importer could parse every version), so evaluation may stop
// at the first event above the queried version.
type Range struct {
	Type   RangeType
	Sorted bool
	Events []Event
}

// Affected is one record's affected entry for one package.
type Affected struct {
	RecordID string
	Source   uint16
	Ranges   []Range
	Versions []string // the OSV `versions` list, as published (set when writing)
	// Imports is the Go ecosystem_specific.imports list (set when
	// writing; read it with GoImports).
	Imports []GoImport

	// rawVersions is the encoded versions list of an entry read from the
	// database: Debian lists run to hundreds of versions, and scanning
	// them in place beats allocating a string for each.
	rawVersions []byte
	nVersions   int
	rawImports  []byte // encoded Imports, decoded by GoImports on demand
}

// ListsVersion reports whether v is in the entry's `versions` list.
func (a *Affected) ListsVersion(v string) bool {
	if a.Versions != nil {
		for _, x := range a.Versions {
			if x == v {
				return true
			}
		}
		return false
	}
	d := decoder{b: a.rawVersions}
	for range a.nVersions {
		n := d.uvarint()
		if d.err != nil || n > uint64(len(d.b)) {
			return false
		}
		if int(n) == len(v) && string(d.b[:n]) == v {
			return true
		}
		d.b = d.b[n:]
	}
	return false
}

// VersionCount is the length of the `versions` list.
func (a *Affected) VersionCount() int {
	if a.Versions != nil {
		return len(a.Versions)
	}
	return a.nVersions
}

// The index value of a package is a sequence of encoded Affected entries:
//
//	uvarint source, string record id, uvarint #ranges,
//	  per range: byte type, byte sorted, uvarint #events, per event: byte kind, string version
//	uvarint #versions, strings
//	Go imports (appendGoImports)
//
// where string = uvarint length + bytes. Compact, and decoding needs no
// reflection.

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func encodeAffected(b []byte, a Affected) []byte {
	b = binary.AppendUvarint(b, uint64(a.Source))
	b = appendString(b, a.RecordID)
	b = binary.AppendUvarint(b, uint64(len(a.Ranges)))
	for _, r := range a.Ranges {
		sorted := byte(0)
		if r.Sorted {
			sorted = 1
		}
		b = append(b, byte(r.Type), sorted)
		b = binary.AppendUvarint(b, uint64(len(r.Events)))
		for _, e := range r.Events {
			b = append(b, byte(e.Kind))
			b = appendString(b, e.Version)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(a.Versions)))
	for _, v := range a.Versions {
		b = appendString(b, v)
	}
	return appendGoImports(b, a.Imports)
}

var errCorrupt = errors.New("corrupt index entry")

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte1() byte {
	if d.err != nil || len(d.b) == 0 {
		d.err = errCorrupt
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// count reads a length and rejects ones the remaining bytes cannot hold.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return 0
	}
	return int(n)
}

func decodeOne(d *decoder) Affected {
	var a Affected
	a.Source = uint16(d.uvarint())
	a.RecordID = d.str()
	a.Ranges = make([]Range, d.count())
	for i := range a.Ranges {
		r := &a.Ranges[i]
		r.Type = RangeType(d.byte1())
		r.Sorted = d.byte1() == 1
		r.Events = make([]Event, d.count())
		for j := range r.Events {
			r.Events[j].Kind = EventKind(d.byte1())
			r.Events[j].Version = d.str()
		}
	}
	a.nVersions = d.count()
	start := d.b
	for range a.nVersions {
		n := d.uvarint()
		if d.err != nil || n > uint64(len(d.b)) {
			d.err = errCorrupt
			return a
		}
		d.b = d.b[n:]
	}
	a.rawVersions = start[:len(start)-len(d.b)]
	a.rawImports = skipGoImports(d)
	return a
}

func decodeAffected(b []byte) ([]Affected, error) {
	d := &decoder{b: b}
	var out []Affected
	for len(d.b) > 0 && d.err == nil {
		out = append(out, decodeOne(d))
	}
	if d.err != nil {
		return nil, d.err
	}
	return out, nil
}

// filterSources re-encodes an index value without the entries of the
// given sources; it returns nil when nothing is left.
func filterSources(b []byte, drop map[uint16]bool) ([]byte, error) {
	d := &decoder{b: b}
	var out []byte
	for len(d.b) > 0 {
		start := d.b
		a := decodeOne(d)
		if d.err != nil {
			return nil, d.err
		}
		if !drop[a.Source] {
			out = append(out, start[:len(start)-len(d.b)]...)
		}
	}
	return out, nil
}
