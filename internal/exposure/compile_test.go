package exposure

import (
	"context"
	"testing"

	"github.com/sightline-sec/sightline/internal/collect/aws/netcompile"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
)

// analyzeSnapshot compiles an AWS snapshot into the neutral model and
// analyses it, as `sightline exposure --aws` does.
func analyzeSnapshot(ctx context.Context, snap *snapshot.Snapshot) (*Report, error) {
	m, err := netcompile.Compile(snap)
	if err != nil {
		return nil, err
	}
	return Analyze(ctx, m)
}

// analyzeSnapRegion compiles and analyses one AWS region.
func analyzeSnapRegion(ctx context.Context, reg *snapshot.Region) ([]Result, error) {
	m, err := netcompile.Region(reg)
	if err != nil {
		return nil, err
	}
	return AnalyzeRegion(ctx, m)
}

// checkInvariants fails on any result that breaks the verdict contract:
// an unknown must name its missing data, a not_exposed result its blocking
// control.
func checkInvariants(t testing.TB, res []Result) {
	t.Helper()
	for _, r := range res {
		switch {
		case r.Verdict == Unknown && len(r.Missing) == 0:
			t.Fatalf("unknown with nothing in missing: %s %s %s/%d-%d path %+v", r.ResourceType, r.Resource, r.Protocol, r.FromPort, r.ToPort, r.Path)
		case r.Verdict == NotExposed && r.BlockedBy == nil:
			t.Fatalf("not_exposed without blocked_by: %s %s %s/%d-%d", r.ResourceType, r.Resource, r.Protocol, r.FromPort, r.ToPort)
		}
	}
}
