package estate

import (
	"context"
	"fmt"
	"testing"

	"github.com/sightline-sec/sightline/internal/collect/aws/netcompile"
	"github.com/sightline-sec/sightline/internal/exposure"
)

// BenchmarkAnalyze measures exposure analysis of a generated estate (in
// memory; bench/exposuregen measures the CLI on a written snapshot).
func BenchmarkAnalyze(b *testing.B) {
	for _, n := range []int{10000, 50000, 100000} {
		reg := Generate(Target(n), 1)
		b.Run(fmt.Sprintf("enis=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				compiled, err := netcompile.Region(reg)
				if err != nil {
					b.Fatal(err)
				}
				res, err := exposure.AnalyzeRegion(context.Background(), compiled)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(len(res)), "results")
			}
		})
	}
}

func TestGenerateSmall(t *testing.T) {
	sh := Shape{ENIs: 200, SGs: 100, RulesPerSG: 15, Subnets: 50, LBs: 10, VPCs: 5}
	reg := Generate(sh, 1)
	compiled, err := netcompile.Region(reg)
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.NetworkInterfaces) != 200 || len(reg.SecurityGroups) != 100 || len(reg.Subnets) != 50 || len(reg.LoadBalancers) != 10 {
		t.Fatalf("shape: %d enis %d sgs %d subnets %d lbs", len(reg.NetworkInterfaces), len(reg.SecurityGroups), len(reg.Subnets), len(reg.LoadBalancers))
	}
	res, err := exposure.AnalyzeRegion(context.Background(), compiled)
	if err != nil {
		t.Fatal(err)
	}
	exposed := 0
	for _, r := range res {
		if r.Verdict == exposure.Exposed {
			exposed++
		}
		if r.Verdict == exposure.Unknown {
			t.Fatalf("unknown verdict on a complete estate: %+v", r)
		}
	}
	if exposed == 0 {
		t.Fatal("generated estate has no exposure; benchmark would not exercise the engine")
	}
}
