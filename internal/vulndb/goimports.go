package vulndb

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// GoImport is one entry of a Go vulnerability database record's
// affected[].ecosystem_specific.imports (https://go.dev/security/vuln/database#schema):
// a vulnerable package, the platforms it is vulnerable on, and its
// vulnerable functions. Empty GOOS/GOARCH lists mean every OS/architecture;
// empty Symbols mean every function of the package.
type GoImport struct {
	Path    string   `json:"path"`
	GOOS    []string `json:"goos,omitempty"`
	GOARCH  []string `json:"goarch,omitempty"`
	Symbols []string `json:"symbols,omitempty"`
}

// Bounds on what one affected entry may store; real records stay far
// below (the largest Go record lists ~60 imports and ~600 symbols).
const (
	maxGoImports = 1024
	maxGoNames   = 16384
)

// parseGoImports reads ecosystem_specific.imports of a Go affected entry.
// Absent or null is no imports; anything else that does not have the
// documented shape is an error naming the field.
func parseGoImports(raw json.RawMessage) ([]GoImport, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var es struct {
		Imports []GoImport `json:"imports"`
	}
	if err := json.Unmarshal(raw, &es); err != nil {
		return nil, fmt.Errorf("ecosystem_specific.imports: %w", err)
	}
	if len(es.Imports) > maxGoImports {
		return nil, fmt.Errorf("ecosystem_specific.imports: %d entries, over the %d limit", len(es.Imports), maxGoImports)
	}
	if len(es.Imports) == 0 {
		return nil, nil
	}
	names := 0
	for i := range es.Imports {
		im := &es.Imports[i]
		if im.Path == "" {
			return nil, fmt.Errorf("ecosystem_specific.imports[%d]: no path", i)
		}
		names += len(im.GOOS) + len(im.GOARCH) + len(im.Symbols)
		// Empty lists mean "no restriction", as absent ones do; store one form.
		for _, l := range []*[]string{&im.GOOS, &im.GOARCH, &im.Symbols} {
			if len(*l) == 0 {
				*l = nil
			}
		}
	}
	if names > maxGoNames {
		return nil, fmt.Errorf("ecosystem_specific.imports: %d names, over the %d limit", names, maxGoNames)
	}
	return es.Imports, nil
}

// GoImports returns the entry's Go imports: as parsed when the entry is
// being written, decoded from the index when it was read. Decoding is
// deferred to this call because matching needs the imports only of the
// entries that affect the queried version.
func (a *Affected) GoImports() ([]GoImport, error) {
	if a.Imports != nil || a.rawImports == nil {
		return a.Imports, nil
	}
	d := &decoder{b: a.rawImports}
	out := make([]GoImport, d.count())
	for i := range out {
		out[i].Path = d.str()
		out[i].GOOS = d.strs()
		out[i].GOARCH = d.strs()
		out[i].Symbols = d.strs()
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, fmt.Errorf("record %s: %w", a.RecordID, errCorrupt)
	}
	return out, nil
}

// appendGoImports encodes imports as
//
//	uvarint #imports, per import: string path, strings goos, strings goarch, strings symbols
//
// where strings = uvarint count + that many strings.
func appendGoImports(b []byte, imports []GoImport) []byte {
	b = binary.AppendUvarint(b, uint64(len(imports)))
	for _, im := range imports {
		b = appendString(b, im.Path)
		for _, l := range [][]string{im.GOOS, im.GOARCH, im.Symbols} {
			b = binary.AppendUvarint(b, uint64(len(l)))
			for _, s := range l {
				b = appendString(b, s)
			}
		}
	}
	return b
}

// skipGoImports advances d past an encoded imports list and returns its
// bytes (empty list: nil).
func skipGoImports(d *decoder) []byte {
	start := d.b
	n := d.count()
	for range n {
		d.str()
		for range 3 {
			for range d.count() {
				d.str()
			}
		}
	}
	if d.err != nil || n == 0 {
		return nil
	}
	return start[:len(start)-len(d.b)]
}

func (d *decoder) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}
