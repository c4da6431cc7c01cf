// Package reach wires an AWS snapshot to the exposure engine and to the
// container join: the one sequence `sightline inventory`, `exposure`,
// `assess` and `demo` run, kept here so that the CLI, the demo and the
// tests do not each repeat it (snapshot → netcompile.Compile →
// exposure.Analyze; workloads → exposure.Containers with the snapshot's
// load-balancer aliases).
package reach

import (
	"context"

	"github.com/sightline-sec/sightline/internal/collect/aws/netcompile"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/netmodel"
	"github.com/sightline-sec/sightline/internal/workload"
	"github.com/sightline-sec/sightline/internal/workload/ecs"
)

// AnalyzeAWS compiles the snapshot into the neutral network model and
// runs the exposure engine over it. Errors name the snapshot file or
// resource at fault (netcompile) or the region being analysed.
func AnalyzeAWS(ctx context.Context, snap *snapshot.Snapshot) (*netmodel.Model, *exposure.Report, error) {
	model, err := netcompile.Compile(snap)
	if err != nil {
		return nil, nil, err
	}
	rep, err := exposure.Analyze(ctx, model)
	if err != nil {
		return nil, nil, err
	}
	return model, rep, nil
}

// Join fills every container's exposure in inv through its fronts onto
// the cloud results rep (nil without cloud data: host and load-balancer
// hops are then unknown, naming what is missing). snap, when given, lets
// Service and Ingress status hostnames name their load balancers.
func Join(inv *workload.Inventory, snap *snapshot.Snapshot, rep *exposure.Report) {
	var aliases map[string]string
	if snap != nil {
		aliases = ecs.Aliases(snap)
	}
	exposure.Containers(inv, exposure.NewCloudIndex(rep, aliases))
}
