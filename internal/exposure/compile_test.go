package exposure

import (
	"context"

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
