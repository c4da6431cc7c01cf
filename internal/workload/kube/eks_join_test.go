package kube

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/reach"
	"github.com/sightline-sec/sightline/internal/workload"
)

// eksJoin builds the eks-join cluster with the given NetworkPolicy
// enforcement and joins it to the eks AWS scenario.
func eksJoin(t *testing.T, enforcement string) *workload.Inventory {
	t.Helper()
	ctx := context.Background()
	objs, err := LoadManifests(ctx, []string{filepath.Join("testdata", "eks-join")}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	objs.Cluster, objs.Live = "eks", true
	objs.Enforcement, objs.Plugin = enforcement, ""
	if enforcement == "enforced" {
		objs.Plugin, objs.EnforcementEvidence = "calico", "DaemonSet kube-system/calico-node"
	}
	inv := Build(objs)
	snap, err := snapshot.Load(ctx, filepath.Join("..", "..", "..", "testdata", "aws", "scenarios", "eks"))
	if err != nil {
		t.Fatal(err)
	}
	_, rep, err := reach.AnalyzeAWS(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	reach.Join(inv, snap, rep)
	return inv
}

// route finds the verdict of workload id's first port through the route
// whose outermost front is of kind ("" = the direct path).
func route(t *testing.T, inv *workload.Inventory, id, kind string) workload.Verdict {
	t.Helper()
	for _, w := range inv.Workloads {
		if w.ID != id {
			continue
		}
		c := w.Containers[0]
		p := c.Ports[0]
		if kind == "" {
			return c.Exposure[0]
		}
		for i, r := range p.Routes {
			if r.Fronts[0].Kind == kind {
				return c.Exposure[1+i]
			}
		}
		t.Fatalf("%s has no %s route: %+v", id, kind, p.Routes)
	}
	t.Fatalf("no workload %s", id)
	return workload.Verdict{}
}

func hopIDs(v workload.Verdict) string {
	var ids []string
	for _, h := range v.Path {
		ids = append(ids, h.Kind+":"+h.ID)
	}
	return strings.Join(ids, " ")
}

// TestEKSJoin joins a cluster's Services, NodePorts, hostPorts and
// NetworkPolicy to the AWS snapshot of its nodes and load balancers
// (testdata/aws/scenarios/eks): node group "open" admits the NodePort range
// and 9100 from anywhere, node group "closed" from the VPC only.
func TestEKSJoin(t *testing.T) {
	inv := eksJoin(t, "enforced")
	const ns = "k8s:eks/shop/Pod/"
	type want struct {
		id, kind, verdict, sources, blocked, hop string
	}
	for _, w := range []want{
		// ip-mode NLB: the pod IP is the registered target; the node group
		// admits 8080 from the load balancer's group.
		{ns + "frontend-a", "load_balancer", "exposed", "0.0.0.0/0", "", "target:10.0.1.21"},
		{ns + "frontend-b", "load_balancer", "exposed", "0.0.0.0/0", "", "target:10.0.2.21"},
		// NodePort with externalTrafficPolicy Cluster: any node forwards to
		// any pod, so frontend-b on the closed node is reached through the
		// open node.
		{ns + "frontend-a", "node_port", "exposed", "0.0.0.0/0", "", "security_group:sg-0ngopen"},
		{ns + "frontend-b", "node_port", "exposed", "0.0.0.0/0", "", "security_group:sg-0ngopen"},
		// externalTrafficPolicy Local: the pod's own node only; the
		// NetworkPolicy (enforced) narrows 0.0.0.0/0 to 81.2.69.0/25.
		{ns + "api-a", "node_port", "exposed", "81.2.69.0/25", "", "network_policy:k8s:eks/shop/NetworkPolicy/api-from-office"},
		{ns + "api-b", "node_port", "not_exposed", "", "sg-0ngclosed", ""},
		// instance-mode NLB with loadBalancerSourceRanges; Local: the
		// NLB sends to the pod's node, whose group decides.
		{ns + "api-a", "load_balancer", "exposed", "81.2.69.0/25", "", "target:i-0node0a00000001"},
		{ns + "api-b", "load_balancer", "not_exposed", "", "sg-0ngclosed", ""},
		{ns + "db", "service", "not_exposed", "", "k8s:eks/shop/Service/db", ""},
		{ns + "db", "", "not_exposed", "", ns + "db", ""},
		// hostPort: the pod's node only.
		{"k8s:eks/monitoring/Pod/node-exporter-a", "host_port", "exposed", "0.0.0.0/0", "", "security_group:sg-0ngopen"},
		{"k8s:eks/monitoring/Pod/node-exporter-b", "host_port", "not_exposed", "", "sg-0ngclosed", ""},
	} {
		v := route(t, inv, w.id, w.kind)
		if v.Verdict != w.verdict || strings.Join(v.Sources, ",") != w.sources {
			t.Errorf("%s %s: %s %v (blocked %v, missing %v), want %s %s", w.id, w.kind, v.Verdict, v.Sources, v.BlockedBy, v.Missing, w.verdict, w.sources)
		}
		if w.blocked != "" && (v.BlockedBy == nil || v.BlockedBy.ID != w.blocked) {
			t.Errorf("%s %s: blocked by %+v, want %s", w.id, w.kind, v.BlockedBy, w.blocked)
		}
		if w.hop != "" && !strings.Contains(hopIDs(v), w.hop) {
			t.Errorf("%s %s: path %s lacks %s", w.id, w.kind, hopIDs(v), w.hop)
		}
	}
	// The only gap: calico-node uses hostNetwork and declares no port, so
	// which node ports it opens is not known.
	if len(inv.Gaps) != 1 || inv.Gaps[0].What != "ports of hostNetwork DaemonSet kube-system/calico-node" ||
		!strings.Contains(inv.Gaps[0].Reason, "the 0 declared port(s) are a lower bound") {
		t.Errorf("gaps: %+v", inv.Gaps)
	}
	// The cluster's nodes map to their instances through spec.providerID.
	if n := inv.Clusters[0].Nodes; len(n) != 2 || n[0].InstanceID != "i-0node0a00000001" || n[1].InstanceID != "i-0node0b00000001" {
		t.Errorf("cluster nodes: %+v", n)
	}
}

// TestEKSJoinEnforcementUnknown: without knowing whether the plugin
// enforces NetworkPolicy, what the policy would stop still may pass: the
// sources are the node group's, the narrowing is named in missing.
func TestEKSJoinEnforcementUnknown(t *testing.T) {
	inv := eksJoin(t, "unknown")
	v := route(t, inv, "k8s:eks/shop/Pod/api-a", "node_port")
	if v.Verdict != "exposed" || strings.Join(v.Sources, ",") != "0.0.0.0/0" || len(v.Missing) == 0 ||
		!strings.Contains(strings.Join(v.Missing, ";"), "enforces NetworkPolicy") {
		t.Errorf("api-a node_port: %s %v missing %v", v.Verdict, v.Sources, v.Missing)
	}
	// A plugin that does not enforce NetworkPolicy: the node group decides.
	inv2 := eksJoin(t, "not_enforced")
	if v := route(t, inv2, "k8s:eks/shop/Pod/api-a", "node_port"); v.Verdict != "exposed" || strings.Join(v.Sources, ",") != "0.0.0.0/0" ||
		len(v.Missing) != 0 || !strings.Contains(hopIDs(v), "network_policy:") {
		t.Errorf("api-a node_port, not enforced: %s %v missing %v path %s", v.Verdict, v.Sources, v.Missing, hopIDs(v))
	}
	// Pods the policy does not select are unaffected.
	if v := route(t, inv, "k8s:eks/shop/Pod/frontend-a", "node_port"); v.Verdict != "exposed" || len(v.Missing) != 0 {
		t.Errorf("frontend-a node_port: %s missing %v", v.Verdict, v.Missing)
	}
}
