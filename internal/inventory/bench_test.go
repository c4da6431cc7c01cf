package inventory

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
)

// cpuTime is the process's user+sys CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkParsers measures every parser kind on generated files of
// growing size (1 MB and 10 MB; 50 MB for npm v3, the target):
// a linear parser shows the same MB/s at every size, ns/op (and
// cpu-ms/op) growing 10× from 1 MB to 10 MB. SIGHTLINE_BENCH_KINDS=npm-v3,dpkg limits the kinds;
// SIGHTLINE_BENCH_SIZES=1,10,50 sets the sizes in MB.
//
//	go test ./internal/inventory -run '^$' -bench Parsers -benchtime 3x
func BenchmarkParsers(b *testing.B) {
	x, err := NewExtractor()
	if err != nil {
		b.Fatal(err)
	}
	kinds := os.Getenv("SIGHTLINE_BENCH_KINDS")
	sizes := []int{1, 10}
	if s := os.Getenv("SIGHTLINE_BENCH_SIZES"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			var n int
			fmt.Sscan(f, &n)
			sizes = append(sizes, n)
		}
	}
	for _, g := range lockGens {
		if kinds != "" && !strings.Contains(","+kinds+",", ","+g.kind+",") {
			continue
		}
		sz := sizes
		if g.kind == "npm-v3" && os.Getenv("SIGHTLINE_BENCH_SIZES") == "" {
			sz = append(sz, 50)
		}
		for _, mb := range sz {
			data := genSize(g, mb<<20)
			b.Run(fmt.Sprintf("%s/%dMB", g.kind, mb), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				buf := NewSpool("", 0).Buffer()
				n := 0
				cpu0 := cpuTime()
				for b.Loop() {
					recs, skips, err := x.ExtractFile(context.Background(),
						File{Path: g.path, Mode: 0o644, Size: int64(len(data)), Body: bytes.NewReader(data)}, buf)
					if err != nil || len(skips) > 0 {
						b.Fatalf("%v %v", skips, err)
					}
					n = len(recs)
				}
				b.ReportMetric(float64(n), "pkgs")
				// CPU time (user+sys of the process, GC included) is the
				// fair figure on a shared, loaded machine; wall time is not.
				b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
			})
		}
	}
}
