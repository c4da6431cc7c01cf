package ecs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/collect/aws/netcompile"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/workload"
)

const (
	webTask = "arn:aws:ecs:eu-west-1:111122223333:task/prod/1b2c3d4e5f6a4b7c8d9e0f1a2b3c4d5e"
	apiTask = "arn:aws:ecs:eu-west-1:111122223333:task/prod/0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d"
	webTG   = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web-tg/6d0ecf831eec9f09"
	albARN  = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/web-alb/50dc6c495c0c9188"
)

// joined loads testdata/ecs-mixed, builds the ECS inventory and computes
// every container port's exposure through the snapshot's cloud results
// (the one place these tests call the cloud engine).
func joined(t *testing.T) *workload.Inventory {
	t.Helper()
	ctx := context.Background()
	snap, err := snapshot.Load(ctx, "testdata/ecs-mixed")
	if err != nil {
		t.Fatal(err)
	}
	inv := FromSnapshot(snap)
	model, err := netcompile.Compile(snap)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := exposure.Analyze(ctx, model)
	if err != nil {
		t.Fatal(err)
	}
	exposure.Containers(inv, exposure.NewCloudIndex(rep, Aliases(snap)))
	return inv
}

func find(t *testing.T, inv *workload.Inventory, id, container string) (*workload.Workload, *workload.Container) {
	t.Helper()
	for i := range inv.Workloads {
		w := &inv.Workloads[i]
		if w.ID != id {
			continue
		}
		for j := range w.Containers {
			if w.Containers[j].Name == container {
				return w, &w.Containers[j]
			}
		}
	}
	t.Fatalf("no workload %s container %s", id, container)
	return nil, nil
}

func TestFromSnapshot(t *testing.T) {
	inv := joined(t)
	if len(inv.Workloads) != 2 {
		t.Fatalf("want 2 running tasks (the stopped one skipped), got %d", len(inv.Workloads))
	}
	if len(inv.Gaps) != 0 {
		t.Errorf("unexpected gaps: %+v", inv.Gaps)
	}
	w, web := find(t, inv, "ecs:"+webTask, "web")
	if w.Owner != "ecs:arn:aws:ecs:eu-west-1:111122223333:service/prod/web" || w.NetworkMode != "bridge" ||
		w.Host == nil || w.Host.InstanceID != "i-0ecs000000000001" || w.Host.InstanceFrom != "container instance" ||
		w.Role != "arn:aws:iam::111122223333:role/web-task" || w.Namespace != "prod" {
		t.Errorf("web task: %+v host %+v", w, w.Host)
	}
	if web.Image.Digest == "" || web.Image.Confidence != "digest" || web.User != "101" || !web.ReadOnlyRootFS ||
		len(web.CapDrop) != 1 || web.CapDrop[0] != "ALL" || web.Privileged {
		t.Errorf("web container: %+v", web)
	}
	_, agent := find(t, inv, "ecs:"+webTask, "agent")
	if !agent.Privileged || agent.Image.Confidence != "tag" || len(agent.CapAdd) != 2 || len(agent.Mounts) != 1 ||
		!agent.Mounts[0].HostPath || !agent.Mounts[0].RuntimeSocket || agent.Mounts[0].Source != "/var/run/docker.sock" {
		t.Errorf("agent container: %+v", agent)
	}
	var p80 *workload.Port
	for i := range web.Ports {
		if web.Ports[i].ContainerPort == 80 {
			p80 = &web.Ports[i]
		}
	}
	if p80 == nil || p80.HostPort != 32768 || p80.Declared != "networkBinding" || len(p80.Routes) != 2 {
		t.Fatalf("port 80: %+v", p80)
	}
	a, api := find(t, inv, "ecs:"+apiTask, "api")
	if a.Interface != "eni-0task0001" || a.NetworkMode != "awsvpc" || a.Host != nil || len(a.Addresses) != 1 || a.Addresses[0] != "10.0.11.100" {
		t.Errorf("api task: %+v", a)
	}
	if len(api.Ports) != 1 || api.Ports[0].Name != "http" || len(api.Ports[0].Routes) != 1 ||
		api.Ports[0].Routes[0].Fronts[0].LoadBalancer != albARN {
		t.Errorf("api ports: %+v", api.Ports)
	}
}

type want struct {
	port           int
	proto, via     string
	verdict, width string
	blockedKind    string
	pathKind       string // a hop kind the proof must contain
}

func TestContainerExposure(t *testing.T) {
	inv := joined(t)
	cases := []struct {
		task, container string
		want            []want
	}{
		{webTask, "web", []want{
			{port: 80, proto: "tcp", verdict: exposure.NotExposed, blockedKind: "workload"},
			// The known gap: container port 80 on dynamic host port 32768
			// is followed to the host's security group (32768-60999 open).
			{port: 80, proto: "tcp", via: "i-0ecs000000000001:tcp/32768", verdict: exposure.Exposed, width: exposure.Wide, pathKind: "security_group"},
			{port: 80, proto: "tcp", via: webTG, verdict: exposure.Exposed, width: exposure.Wide, pathKind: "listener"},
			{port: 9113, proto: "tcp", verdict: exposure.NotExposed, blockedKind: "workload"},
			{port: 9113, proto: "tcp", via: "i-0ecs000000000001:tcp/9113", verdict: exposure.NotExposed, blockedKind: "security_group"},
		}},
		{webTask, "agent", []want{
			{port: 8125, proto: "udp", verdict: exposure.NotExposed, blockedKind: "workload"},
			{port: 8125, proto: "udp", via: "i-0ecs000000000001:udp/8125", verdict: exposure.NotExposed, blockedKind: "ecs_port_mapping"},
		}},
		{apiTask, "api", []want{
			{port: 8080, proto: "tcp", verdict: exposure.NotExposed, blockedKind: "network_interface"},
			{port: 8080, proto: "tcp", via: "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/api-tg/7e1fdf942ffd0a1a",
				verdict: exposure.Exposed, width: exposure.Wide, pathKind: "target_group"},
		}},
	}
	for _, c := range cases {
		_, ct := find(t, inv, "ecs:"+c.task, c.container)
		if len(ct.Exposure) != len(c.want) {
			t.Errorf("%s/%s: %d verdicts, want %d: %+v", c.task, c.container, len(ct.Exposure), len(c.want), ct.Exposure)
			continue
		}
		for i, w := range c.want {
			v := ct.Exposure[i]
			if v.ContainerPort != w.port || v.Protocol != w.proto || v.Via != w.via || v.Verdict != w.verdict || v.Width != w.width {
				t.Errorf("%s/%s #%d: got %d/%s via %q %s %s, want %+v", c.container, c.task, i, v.ContainerPort, v.Protocol, v.Via, v.Verdict, v.Width, w)
			}
			if w.blockedKind != "" && (v.BlockedBy == nil || v.BlockedBy.Kind != w.blockedKind) {
				t.Errorf("%s #%d: blocked by %+v, want kind %s", c.container, i, v.BlockedBy, w.blockedKind)
			}
			if w.pathKind != "" && !pathHas(v.Path, w.pathKind) {
				t.Errorf("%s #%d: path %+v lacks a %s hop", c.container, i, v.Path, w.pathKind)
			}
			if v.Verdict == exposure.Unknown && len(v.Missing) == 0 {
				t.Errorf("%s #%d: unknown without missing", c.container, i)
			}
		}
	}
}

func pathHas(path []workload.Hop, kind string) bool {
	for _, h := range path {
		if h.Kind == kind {
			return true
		}
	}
	return false
}

func TestNoECSData(t *testing.T) {
	// public-web without its ecs/ directory: ECS was not collected.
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../../testdata/aws/scenarios/public-web")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "111122223333", "eu-west-1", "ecs")); err != nil {
		t.Fatal(err)
	}
	snap, err := snapshot.Load(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	inv := FromSnapshot(snap)
	if len(inv.Workloads) != 0 || len(inv.Gaps) == 0 || !strings.Contains(inv.Gaps[0].Reason, "describe-tasks") {
		t.Errorf("a snapshot without ECS calls must say so: %+v", inv.Gaps)
	}
}

// A region whose describe-clusters lists no cluster has no tasks to
// describe: no workloads and no gap (looked, found none).
func TestNoECSClusters(t *testing.T) {
	snap, err := snapshot.Load(context.Background(), "../../../testdata/aws/scenarios/public-web")
	if err != nil {
		t.Fatal(err)
	}
	if inv := FromSnapshot(snap); len(inv.Workloads) != 0 || len(inv.Gaps) != 0 {
		t.Errorf("no clusters: %d workloads, gaps %+v", len(inv.Workloads), inv.Gaps)
	}
}

// A cluster that describe-clusters lists but whose per-cluster output is
// absent or empty was not read: a gap naming the file, never "0 tasks".
func TestClusterInputsMissing(t *testing.T) {
	const cluster = "arn%3Aaws%3Aecs%3Aeu-west-1%3A111122223333%3Acluster%2Fprod.json"
	const td = "arn%3Aaws%3Aecs%3Aeu-west-1%3A111122223333%3Atask-definition%2Fweb%3A3.json"
	cases := []struct {
		name, file string
		empty      bool
		wantWhat   string // the gap's What must contain it
		wantReason string // and its Reason
		workloads  int
	}{
		{"tasks absent", "ecs/describe-tasks/" + cluster, false, "ecs/describe-tasks of ECS cluster arn:aws:ecs:eu-west-1:111122223333:cluster/prod", "describe-tasks for arn:aws:ecs:eu-west-1:111122223333:cluster/prod missing from", 0},
		{"tasks empty", "ecs/describe-tasks/" + cluster, true, "ecs/describe-tasks of ECS cluster", "describe-tasks/" + cluster + " is empty", 0},
		{"services absent", "ecs/describe-services/" + cluster, false, "ecs/describe-services of ECS cluster", "describe-services for arn:aws:ecs:eu-west-1:111122223333:cluster/prod missing", 2},
		{"services empty", "ecs/describe-services/" + cluster, true, "ecs/describe-services of ECS cluster", "describe-services/" + cluster + " is empty", 2},
		{"instances absent", "ecs/describe-container-instances/" + cluster, false, "ecs/describe-container-instances of ECS cluster", "describe-container-instances for arn:aws:ecs:eu-west-1:111122223333:cluster/prod missing", 2},
		{"task definition empty", "ecs/describe-task-definition/" + td, true, "task definition arn:aws:ecs:eu-west-1:111122223333:task-definition/web:3", "describe-task-definition/" + td + " is empty", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS("testdata/ecs-mixed")); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "111122223333", "eu-west-1", filepath.FromSlash(c.file))
			var err error
			if c.empty {
				err = os.WriteFile(p, nil, 0o644)
			} else {
				err = os.Remove(p)
			}
			if err != nil {
				t.Fatal(err)
			}
			snap, err := snapshot.Load(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			inv := FromSnapshot(snap)
			if len(inv.Workloads) != c.workloads {
				t.Errorf("%d workloads, want %d", len(inv.Workloads), c.workloads)
			}
			found := false
			for _, g := range inv.Gaps {
				if strings.Contains(g.What, c.wantWhat) && strings.Contains(g.Reason, c.wantReason) {
					found = true
				}
			}
			if !found {
				t.Errorf("no gap with what %q and reason %q: %+v", c.wantWhat, c.wantReason, inv.Gaps)
			}
		})
	}
}

// The recipe in docs/aws-snapshot.md writes no describe-tasks file for a
// cluster whose list-tasks lists no task: that cluster has none (no gap);
// a list-tasks that lists tasks with no describe-tasks is a gap.
func TestClusterListedNone(t *testing.T) {
	const cluster = "arn%3Aaws%3Aecs%3Aeu-west-1%3A111122223333%3Acluster%2Fprod.json"
	for _, c := range []struct {
		list string
		gap  bool
	}{{`{"taskArns": []}`, false}, {`{"taskArns": ["arn:aws:ecs:eu-west-1:111122223333:task/prod/abc"]}`, true}} {
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS("testdata/ecs-mixed")); err != nil {
			t.Fatal(err)
		}
		ecsDir := filepath.Join(dir, "111122223333", "eu-west-1", "ecs")
		if err := os.Remove(filepath.Join(ecsDir, "describe-tasks", cluster)); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(ecsDir, "list-tasks"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ecsDir, "list-tasks", cluster), []byte(c.list), 0o644); err != nil {
			t.Fatal(err)
		}
		snap, err := snapshot.Load(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		inv := FromSnapshot(snap)
		gap := false
		for _, g := range inv.Gaps {
			gap = gap || strings.Contains(g.What, "describe-tasks")
		}
		if gap != c.gap || len(inv.Workloads) != 0 {
			t.Errorf("list-tasks %s: describe-tasks gap %v (want %v), %d workloads: %+v", c.list, gap, c.gap, len(inv.Workloads), inv.Gaps)
		}
	}
}
