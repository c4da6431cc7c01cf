package vulndb

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"testing"
)

// Parsing throughput of the distribution feeds on the real samples, with
// the floor: encoding/xml tokenising the same bytes and doing nothing
// else. Oracle's full export is ~1 GiB of XML, so MB/s here tells how long
// `db update` spends parsing it.
//
//	go test ./internal/vulndb -run XXX -bench 'Feed' -cpu 1

func benchFeed(b *testing.B, pattern string, parse feedParser) {
	var all [][]byte
	n := 0
	for _, s := range feedSeeds(nil, pattern) {
		all = append(all, s)
		n += len(s)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range all {
			if _, err := parse(context.Background(), "bench", bytes.NewReader(s)); err != nil && !bytes.Contains(s, []byte("ALAS2-2018-939")) {
				b.Fatal(err)
			}
		}
	}
}

func tokenizeOnly(_ context.Context, _ string, r io.Reader) ([]*Parsed, error) {
	d := xml.NewDecoder(r)
	for {
		if _, err := d.Token(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, nil
			}
			return nil, err
		}
	}
}

func BenchmarkFeedOVAL(b *testing.B)         { benchFeed(b, "oval/*/*", ParseOVAL) }
func BenchmarkFeedOVALTokenize(b *testing.B) { benchFeed(b, "oval/*/*", tokenizeOnly) }
func BenchmarkFeedALAS(b *testing.B)         { benchFeed(b, "alas/*/updateinfo_*.gz", ParseUpdateinfo) }
func BenchmarkFeedALASTokenize(b *testing.B) { benchFeed(b, "alas/*/updateinfo_*.gz", tokenizeOnly) }
