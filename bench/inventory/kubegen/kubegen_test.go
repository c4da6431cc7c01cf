package kubegen

import (
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/sightline-sec/sightline/bench/exposuregen/estate"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/reach"
	"github.com/sightline-sec/sightline/internal/workload"
	"github.com/sightline-sec/sightline/internal/workload/ecs"
	"github.com/sightline-sec/sightline/internal/workload/kube"
)

// analyze is the one place this package runs the cloud engine.
func analyze(reg *snapshot.Region) (*exposure.Report, error) {
	_, rep, err := reach.AnalyzeAWS(context.Background(), &snapshot.Snapshot{Regions: []*snapshot.Region{reg}})
	return rep, err
}

// BenchmarkInventory measures the inventory benchmark in memory:
// the cloud analysis of a 20k-interface estate, then 10k pods / 2k
// Services / 1k NetworkPolicies joined through it, and the JSON document.
func BenchmarkInventory(b *testing.B) {
	reg := estate.Generate(estate.Target(20000), 1)
	for i := 0; i < b.N; i++ {
		rep, err := analyze(reg)
		if err != nil {
			b.Fatal(err)
		}
		inv := kube.Build(Objects(reg, Target(), 1))
		exposure.Containers(inv, exposure.NewCloudIndex(rep, ecs.Aliases(&snapshot.Snapshot{Regions: []*snapshot.Region{reg}})))
		if err := json.NewEncoder(io.Discard).Encode(inv); err != nil {
			b.Fatal(err)
		}
	}
}

func TestGenerateSmall(t *testing.T) {
	reg := estate.Generate(estate.Shape{ENIs: 300, SGs: 100, RulesPerSG: 5, Subnets: 50, LBs: 60, VPCs: 5}, 1)
	rep, err := analyze(reg)
	if err != nil {
		t.Fatal(err)
	}
	inv := kube.Build(Objects(reg, Shape{Pods: 500, Services: 100, Policies: 50, Namespaces: 5, Nodes: 300}, 1))
	exposure.Containers(inv, exposure.NewCloudIndex(rep, ecs.Aliases(&snapshot.Snapshot{Regions: []*snapshot.Region{reg}})))
	counts := map[string]int{}
	for _, w := range inv.Workloads {
		for _, c := range w.Containers {
			for _, v := range c.Exposure {
				counts[v.Verdict]++
				if v.Verdict == exposure.Unknown && len(v.Missing) == 0 {
					t.Fatalf("unknown without missing: %+v", v)
				}
			}
		}
	}
	// The shape must exercise every verdict, or the benchmark measures
	// a degenerate case.
	for _, v := range []string{exposure.Exposed, exposure.NotExposed, exposure.Unknown} {
		if counts[v] == 0 {
			t.Errorf("no %s verdict in the generated inventory: %v", v, counts)
		}
	}
	// 100 Deployments (their ReplicaSets collapse into them) and 500 Pods.
	if len(inv.Workloads) != 600 || len(inv.Policies) != 50 || len(inv.Services) != 100 || len(inv.Clusters[0].Nodes) == 0 {
		t.Errorf("shape: %d workloads %d policies %d services", len(inv.Workloads), len(inv.Policies), len(inv.Services))
	}
	if len(inv.Gaps) != 0 {
		t.Errorf("gaps: %v", inv.Gaps)
	}
	var _ workload.Inventory = *inv
}
