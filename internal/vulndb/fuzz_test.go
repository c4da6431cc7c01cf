package vulndb

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParseOSV: any bytes give a record or an error, never a panic, and a
// parsed record survives the index encoding unchanged.
func FuzzParseOSV(f *testing.F) {
	for _, dir := range []string{"../../testdata/quickstart", "../../testdata/vulndb/osv/debian", "../../testdata/vulndb/osv/pypi", "../../testdata/vulndb/osv/npm", "../../testdata/gobin/records"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil && isOSVName(p) {
				f.Add(filepath.Base(p), data)
			}
		}
	}
	f.Add("x.yaml", []byte("id: X\naffected:\n- package: {ecosystem: Go, name: a}\n  ranges: [{type: SEMVER, events: [{introduced: '0'}]}]\n"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		p, err := ParseOSV(name, data)
		if err != nil {
			return
		}
		for _, e := range p.Packages {
			enc := encodeAffected(nil, e.Affected)
			dec, err := decodeAffected(enc)
			if err != nil || len(dec) != 1 || dec[0].RecordID != e.Affected.RecordID || len(dec[0].Ranges) != len(e.Affected.Ranges) ||
				dec[0].VersionCount() != len(e.Affected.Versions) {
				t.Fatalf("index round trip of %+v: %+v %v", e.Affected, dec, err)
			}
			for _, v := range e.Affected.Versions {
				if !dec[0].ListsVersion(v) {
					t.Fatalf("version %q lost in the index round trip", v)
				}
			}
			if im, err := dec[0].GoImports(); err != nil || !reflect.DeepEqual(im, e.Affected.Imports) {
				t.Fatalf("Go imports %+v became %+v in the index round trip (%v)", e.Affected.Imports, im, err)
			}
		}
	})
}

// FuzzDecodeAffected: corrupt index bytes are an error, never a panic or
// a huge allocation.
func FuzzDecodeAffected(f *testing.F) {
	f.Add(encodeAffected(nil, Affected{RecordID: "GO-2021-0113", Source: 1,
		Ranges: []Range{{Type: RangeSemver, Sorted: true, Events: []Event{{Introduced, "0"}, {Fixed, "0.3.7"}}}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		as, _ := decodeAffected(b)
		for i := range as {
			_, _ = as[i].GoImports()
		}
		_, _ = filterSources(b, map[uint16]bool{1: true})
	})
}
