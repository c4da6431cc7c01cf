package vulndb

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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

// feedSeeds returns the decompressed real feed samples of a kind.
func feedSeeds(f testing.TB, pattern string) [][]byte {
	files, _ := filepath.Glob(filepath.Join("../../testdata/vulndb", pattern))
	var out [][]byte
	for _, p := range files {
		fh, err := os.Open(p)
		if err != nil {
			continue
		}
		r, err := decompressed(fh)
		if err == nil {
			if b, err := io.ReadAll(io.LimitReader(r, 1<<20)); err == nil {
				out = append(out, b)
			}
		}
		fh.Close()
	}
	if len(out) == 0 && f != nil {
		f.Fatalf("no seeds for %s", pattern)
	}
	return out
}

// FuzzParseUpdateinfo: any bytes give advisories or an error naming the
// input, never a panic; every fix is a sorted introduced/fixed range.
func FuzzParseUpdateinfo(f *testing.F) {
	for _, b := range feedSeeds(f, "alas/*/updateinfo_*") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := ParseUpdateinfo(context.Background(), "fuzz.xml", bytes.NewReader(b))
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.xml") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		checkFeedRecords(t, recs)
	})
}

// FuzzParseOVAL: as FuzzParseUpdateinfo, for ELSA OVAL.
func FuzzParseOVAL(f *testing.F) {
	for _, b := range feedSeeds(f, "oval/*/*") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := ParseOVAL(context.Background(), "fuzz.xml", bytes.NewReader(b))
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.xml") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		checkFeedRecords(t, recs)
	})
}

func checkFeedRecords(t *testing.T, recs []*Parsed) {
	t.Helper()
	for _, p := range recs {
		if p.Record.ID == "" {
			t.Fatal("record without id")
		}
		for _, e := range p.Packages {
			if e.Affected.RecordID != p.Record.ID || len(e.Affected.Ranges) != 1 || len(e.Affected.Ranges[0].Events) != 2 {
				t.Fatalf("entry %+v", e)
			}
			dec, err := decodeAffected(encodeAffected(nil, e.Affected))
			if err != nil || len(dec) != 1 {
				t.Fatalf("index round trip of %+v: %v", e.Affected, err)
			}
		}
	}
}
