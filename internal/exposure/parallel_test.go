package exposure_test

import (
	"bytes"
	"context"
	"runtime"
	"testing"

	"github.com/sightline-sec/sightline/bench/exposuregen/estate"
	"github.com/sightline-sec/sightline/internal/collect/aws/netcompile"
	"github.com/sightline-sec/sightline/internal/exposure"
)

// TestParallelMatchesSequential analyses a generated estate with one
// worker and with several: the JSON must be byte-identical, whatever the
// schedule (run with -race to check the shared caches too).
func TestParallelMatchesSequential(t *testing.T) {
	reg := estate.Generate(estate.Shape{ENIs: 3000, SGs: 300, RulesPerSG: 15, Subnets: 60, LBs: 90, VPCs: 3}, 11)
	compiled, err := netcompile.Region(reg)
	if err != nil {
		t.Fatal(err)
	}
	run := func(procs int) []byte {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		res, err := exposure.AnalyzeRegion(context.Background(), compiled)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := exposure.WriteJSON(&b, &exposure.Report{Schema: exposure.Schema, Results: res}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	seq := run(1)
	for _, procs := range []int{2, 7} {
		if par := run(procs); !bytes.Equal(seq, par) {
			t.Fatalf("GOMAXPROCS=%d output differs from the sequential one (%d vs %d bytes)", procs, len(par), len(seq))
		}
	}
}
