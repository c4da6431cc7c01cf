package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/workload"
)

// TestVIATellsRoutesApart: the VIA column names each route's outermost
// front by kind and listen port, so a Service's ClusterIP, NodePort and
// LoadBalancer routes, an Ingress's two ports and a Docker port's IPv4
// and IPv6 bindings read differently (the demo estate, real output).
func TestVIATellsRoutesApart(t *testing.T) {
	out, stderr, code := runCLI(t, "inventory", "--all", "--aws", "../../internal/demo/estate/aws", "--k8s", "../../internal/demo/estate/k8s/cluster.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range [][]string{
		// at 80 columns the pod keeps its name's tail
		{"web-7d9f8b6c5-q8m3z/web", "tcp/8080", "svc/web:80", "not exposed: in-cluster"},
		{"web-7d9f8b6c5-q8m3z/web", "tcp/8080", "nodeport/web:30480"},
		{"web-7d9f8b6c5-q8m3z/web", "tcp/8080", "lb/web:80", "exposed"},
		{"task/shop/1a2b3c4d/api", "tcp/8080", "tg/shop-api:8080", "exposed"},
		{"task/shop/1b3c4d5e/api", "tcp/8080", "host:32769"},
	} {
		if !hasRow(out, want...) {
			t.Errorf("no row with %q:\n%s", want, out)
		}
	}
	checkWidth(t, out, 80)

	// A wide terminal gets every name whole, as --why takes it.
	g := &cliutil.Globals{Stdout: io.Discard, Stderr: io.Discard}
	src, err := loadSources(context.Background(), g, &sourceFlags{aws: "../../internal/demo/estate/aws", k8s: []string{"../../internal/demo/estate/k8s/cluster.yaml"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := writeInventoryTable(&b, src, true, 200); err != nil {
		t.Fatal(err)
	}
	if !hasRow(b.String(), "shop/web-7d9f8b6c5-q8m3z/web  ", "tcp/8080", "lb/web:80", "exposed: from the internet (IPv4)") ||
		!hasRow(b.String(), "task/shop/1a2b3c4d/api  ", "tg/shop-api:8080") || strings.Contains(b.String(), "…") {
		t.Errorf("at 200 columns:\n%s", b.String())
	}
}

// TestFrontText covers every front kind, including fronts that share an
// ID (a Service's three kinds) and a Docker port bound on both families.
func TestFrontText(t *testing.T) {
	const svc = "k8s:/shop/Service/web"
	ct := &workload.Container{Name: "web", Ports: []workload.Port{
		{ContainerPort: 8080, Protocol: "tcp", Routes: []workload.Route{
			{Fronts: []workload.Front{{Kind: "service", ID: svc, ListenPort: 80}}},
			{Fronts: []workload.Front{{Kind: "node_port", ID: svc, ListenPort: 30080}, {Kind: "service", ID: svc, ListenPort: 80}}},
			{Fronts: []workload.Front{{Kind: "load_balancer", ID: svc, ListenPort: 80}, {Kind: "node_port", ID: svc, ListenPort: 30080}}},
			{Fronts: []workload.Front{{Kind: "ingress", ID: "k8s:/shop/Ingress/shop", ListenPort: 443}}},
			{Fronts: []workload.Front{{Kind: "ingress", ID: "k8s:/shop/Ingress/shop", ListenPort: 80}}},
			{Fronts: []workload.Front{{Kind: "host_port", ID: "k8s:/shop/Pod/web/hostPort/tcp/8080", ListenPort: 8080}}},
		}},
		{ContainerPort: 80, Protocol: "tcp", Routes: []workload.Route{{Fronts: []workload.Front{{Kind: "docker_publish", ID: "docker:abc:0.0.0.0:32768/tcp", ListenPort: 32768}}}}},
		{ContainerPort: 80, Protocol: "tcp", Routes: []workload.Route{{Fronts: []workload.Front{{Kind: "docker_publish", ID: "docker:abc:[::]:32768/tcp", ListenPort: 32768}}}}},
		{ContainerPort: 80, Protocol: "tcp", Routes: []workload.Route{{Fronts: []workload.Front{{Kind: "target_group",
			ID: "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/web-tg/6d0e", ListenPort: 32768}}}}},
	}}
	for _, p := range ct.Ports {
		ct.Exposure = append(ct.Exposure, workload.Verdict{ContainerPort: p.ContainerPort, Protocol: p.Protocol})
		for _, r := range p.Routes {
			ct.Exposure = append(ct.Exposure, workload.Verdict{ContainerPort: p.ContainerPort, Protocol: p.Protocol, Via: r.Fronts[0].ID})
		}
	}
	want := []string{"direct", "svc/web:80", "nodeport/web:30080", "lb/web:80", "ing/shop:443", "ing/shop:80", "hostPort:8080",
		"direct", "0.0.0.0:32768", "direct", "[::]:32768", "direct", "tg/web-tg:32768"}
	vias := viaFronts(ct)
	if len(ct.Exposure) != len(want) {
		t.Fatalf("%d verdicts", len(ct.Exposure))
	}
	for i := range ct.Exposure {
		if got := viaText(&ct.Exposure[i], vias[&ct.Exposure[i]]); got != want[i] {
			t.Errorf("verdict %d: VIA %q, want %q", i, got, want[i])
		}
	}
}

// TestExposedWithMissingSaysSo: an exposed verdict some of whose hops are
// unknown says its sources may be narrower, in the inventory table and
// the exposure table.
func TestExposedWithMissingSaysSo(t *testing.T) {
	v := &workload.Verdict{Verdict: exposure.Exposed, Sources: []string{"0.0.0.0/0"}, Missing: []string{"the network policies of shop", "x"}}
	got := verdictText(v, nil)
	if !strings.HasPrefix(got, "exposed (possibly narrower): from ") || !strings.Contains(got, "missing: the network policies of shop (+1 more") {
		t.Errorf("inventory: %q", got)
	}
	v.Missing = nil
	if got := verdictText(v, nil); strings.Contains(got, "narrower") || strings.Contains(got, "missing") {
		t.Errorf("inventory without missing: %q", got)
	}
	var b strings.Builder
	rs := []exposure.Result{{Resource: "eni-1", Protocol: "tcp", FromPort: 80, ToPort: 80, Verdict: exposure.Exposed, Sources: []string{"0.0.0.0/0"}, Missing: []string{"NACL of subnet-1"}}}
	if err := exposure.WriteTable(&b, rs, false, 120); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "possibly narrower, missing: NACL of subnet-1") {
		t.Errorf("exposure table:\n%s", b.String())
	}
}

// TestCutKeepsWhatTellsApart: image references lose their registry
// first, then the digest, then the head of the path; names lose their
// leading segments; never the tag or the object name.
func TestCutKeepsWhatTellsApart(t *testing.T) {
	const ad = "us-central1-docker.pkg.dev/google-samples/microservices-demo/adservice:v0.10.6"
	for _, c := range []struct {
		got, want string
	}{
		{cutImage(ad, 80), ad},
		{cutImage(ad, 50), "…/adservice:v0.10.6"},
		{cutImage(ad, 19), "…/adservice:v0.10.6"},
		{cutImage(ad, 15), "…/adservice:v0…"},
		{cutImage("sightline-test/docker-source:3804137ecf8b@sha256:0123456789ab", 17), "…/docker-source:…"},
		{cutImage("111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/web@sha256:0123456789ab", 40), "…/shop/web@sha256:0123456789ab"},
		{cutImage("111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/web@sha256:0123456789ab", 12), "…/shop/web"},
		{cutImage("nginx:1.27@sha256:0123456789ab", 12), "nginx:1.27"},
		{cutPath("kube-system/kube-proxy-node (ds)", 24), "…em/kube-proxy-node (ds)"},
		{cutPath("default/checkoutservice/server", 22), "…heckoutservice/server"},
		{cutPath("default/adservice/server", 20), "…/adservice/server"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestRiskFlags: the RISK column's words for each risky setting.
func TestRiskFlags(t *testing.T) {
	yes, no := true, false
	for _, c := range []struct {
		w    workload.Workload
		c    workload.Container
		want string
	}{
		{workload.Workload{}, workload.Container{User: "0"}, "root"},
		{workload.Workload{}, workload.Container{User: "root"}, "root"},
		{workload.Workload{}, workload.Container{}, "root?"},
		{workload.Workload{}, workload.Container{RunAsNonRoot: &yes}, ""},
		{workload.Workload{}, workload.Container{RunAsNonRoot: &no}, "root?"},
		{workload.Workload{}, workload.Container{User: "1000"}, ""},
		{workload.Workload{HostPID: true, HostNetwork: true, HostIPC: true}, workload.Container{User: "1000"}, "hostPID, hostNetwork, hostIPC"},
		{workload.Workload{}, workload.Container{User: "1000", CapAdd: []string{"NET_BIND_SERVICE", "CAP_SYS_ADMIN", "net_admin", "ALL", "SYS_PTRACE"}}, "SYS_ADMIN, NET_ADMIN, ALL, SYS_PTRACE"},
		{workload.Workload{}, workload.Container{User: "1000", Mounts: []workload.Mount{{HostPath: true, Source: "/"}}}, "host /"},
		{workload.Workload{}, workload.Container{User: "1000", Mounts: []workload.Mount{{HostPath: true, Source: "/data/app"}}}, ""},
		{workload.Workload{}, workload.Container{User: "1000", Mounts: []workload.Mount{{HostPath: true, Source: "/etc/kubernetes"}}}, "host /etc/kubernetes"},
		{workload.Workload{}, workload.Container{User: "1000", Mounts: []workload.Mount{{HostPath: true, Source: "/var/run/docker.sock", RuntimeSocket: true}}}, "runtime socket"},
		{workload.Workload{}, workload.Container{User: "1000", AllowPrivilegeEscalation: &yes}, "privesc"},
		{workload.Workload{}, workload.Container{User: "1000", AllowPrivilegeEscalation: &no}, ""},
		{workload.Workload{}, workload.Container{Privileged: true, User: "0"}, "privileged, root"},
	} {
		if got := containerFlags(&c.w, &c.c); got != c.want {
			t.Errorf("%+v %+v: %q, want %q", c.w, c.c, got, c.want)
		}
	}
}

// TestWhyDirectOnce: a Docker port published on 0.0.0.0 and [::] is two
// Ports with the same direct verdict: --why prints it once, worded for a
// published port, before the routes.
func TestWhyDirectOnce(t *testing.T) {
	direct := workload.Verdict{ContainerPort: 8080, Protocol: "tcp", Verdict: exposure.NotExposed,
		BlockedBy: &workload.Hop{Kind: "workload", ID: "docker:abc", Detail: "the port is not published, …"}}
	route := func(id string) workload.Verdict {
		return workload.Verdict{ContainerPort: 8080, Protocol: "tcp", Verdict: exposure.Unknown, Via: id, Missing: []string{"host"}}
	}
	w := &workload.Workload{ID: "docker:abc", Name: "web", Source: workload.SourceDocker}
	ct := &workload.Container{Name: "web", Exposure: []workload.Verdict{direct, route("docker:abc:0.0.0.0:32768/tcp"), direct, route("docker:abc:[::]:32768/tcp")}}
	hits := portHits(w, ct, &whyQuery{resource: "web", proto: "tcp", port: 8080})
	if len(hits) != 3 || hits[0].Via != "" || hits[1].Via == "" || hits[2].Via == "" {
		t.Fatalf("want the direct path once, then 2 routes: %+v", hits)
	}
	if d := hits[0].BlockedBy.Detail; !strings.Contains(d, "reached only through its published ports") || strings.Contains(d, "not published") {
		t.Errorf("direct path of a published port: %q", d)
	}
	// An unpublished port keeps the engine's wording.
	ct.Exposure = []workload.Verdict{direct}
	if hits := portHits(w, ct, &whyQuery{resource: "web", proto: "tcp", port: 8080}); len(hits) != 1 || hits[0].BlockedBy.Detail != direct.BlockedBy.Detail {
		t.Errorf("unpublished: %+v", hits)
	}
}
