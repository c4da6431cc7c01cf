// Command inventory times the inventory benchmark end to end in
// one process: read an AWS snapshot of 20k interfaces written by
// bench/exposuregen, analyse its exposure, generate the typed Kubernetes objects
// of 10k pods / 2k Services / 1k NetworkPolicies whose nodes and load
// balancers are that estate's (bench/inventory/kubegen), build the
// inventory from them with kube.Build as for a live cluster, compute every
// container port's exposure through its fronts and the cloud results, and
// encode the inventory JSON. It prints the time of each step and the peak
// resident set size. bench/inventory/run.sh drives it.
//
//	go run ./bench/exposuregen -enis 20000 -out bench/work/inventory/estate-20000
//	go run ./bench/inventory -aws bench/work/inventory/estate-20000
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sightline-sec/sightline/bench/inventory/kubegen"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/reach"
	"github.com/sightline-sec/sightline/internal/workload/ecs"
	"github.com/sightline-sec/sightline/internal/workload/kube"
)

func main() {
	dir := flag.String("aws", "", "AWS snapshot directory (bench/exposuregen output)")
	pods := flag.Int("pods", 10000, "pods")
	services := flag.Int("services", 2000, "Services")
	policies := flag.Int("policies", 1000, "NetworkPolicies")
	nodes := flag.Int("nodes", 500, "nodes (the estate's first instances)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "inventory: -aws DIR is required")
		os.Exit(2)
	}
	if err := run(*dir, kubegen.Shape{Pods: *pods, Services: *services, Policies: *policies, Namespaces: 50, Nodes: *nodes}); err != nil {
		fmt.Fprintln(os.Stderr, "inventory:", err)
		os.Exit(1)
	}
}

// analyze is the one place this command runs the cloud engine.
func analyze(ctx context.Context, snap *snapshot.Snapshot) (*exposure.Report, error) {
	_, rep, err := reach.AnalyzeAWS(ctx, snap)
	return rep, err
}

func run(dir string, sh kubegen.Shape) error {
	ctx := context.Background()
	t0 := time.Now()
	snap, err := snapshot.Load(ctx, dir)
	if err != nil {
		return err
	}
	t1 := time.Now()
	rep, err := analyze(ctx, snap)
	if err != nil {
		return err
	}
	t2 := time.Now()
	objs := kubegen.Objects(snap.Regions[0], sh, 1)
	t3 := time.Now()
	inv := kube.Build(objs)
	tb := time.Now()
	exposure.Containers(inv, exposure.NewCloudIndex(rep, ecs.Aliases(snap)))
	t4 := time.Now()
	w := bufio.NewWriter(io.Discard)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(inv); err != nil {
		return err
	}
	t5 := time.Now()
	verdicts := map[string]int{}
	for _, wl := range inv.Workloads {
		for _, c := range wl.Containers {
			for _, v := range c.Exposure {
				verdicts[v.Verdict]++
			}
		}
	}
	fmt.Printf("interfaces %d, cloud results %d; pods %d, nodes %d, services %d, policies %d → %d workloads; verdicts %v\n",
		len(snap.Regions[0].NetworkInterfaces), len(rep.Results), len(objs.Pods), len(objs.Nodes), len(inv.Services), len(inv.Policies), len(inv.Workloads), verdicts)
	fmt.Printf("load %.2fs  analyse %.2fs  generate objects %.2fs (not part of the target)  kube.Build %.2fs  join %.2fs  json %.2fs  total (without generate) %.2fs  peak RSS %s\n",
		t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds(), t3.Sub(t2).Seconds(), tb.Sub(t3).Seconds(), t4.Sub(tb).Seconds(), t5.Sub(t4).Seconds(),
		(t5.Sub(t0) - t3.Sub(t2)).Seconds(), peakRSS())
	return nil
}

// peakRSS reads VmHWM from /proc/self/status (Linux).
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
