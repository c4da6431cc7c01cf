package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/kubetest"
	"github.com/sightline-sec/sightline/internal/workload"
	"github.com/sightline-sec/sightline/internal/workload/kube"
)

var (
	eksCluster  = filepath.Join("..", "..", "internal", "workload", "kube", "testdata", "eks-join")
	eksSnapshot = filepath.Join("..", "..", "testdata", "aws", "scenarios", "eks")
)

// TestInventoryLiveEKS runs `sightline inventory --kubeconfig … --aws …`
// against a real kube-apiserver holding the eks-join cluster (nodes with
// providerID, pods with status, NodePort/LoadBalancer Services with their
// NLB hostnames, a NetworkPolicy and calico-node) joined to the AWS
// snapshot of its nodes and load balancers.
func TestInventoryLiveEKS(t *testing.T) {
	srv := kubetest.StartT(t, kubetest.Options{})
	seedEKS(t, srv)
	kc := eksKubeconfig(t, srv)

	out, stderr, code := runCLI(t, "inventory", "--kubeconfig", kc, "--aws", eksSnapshot, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var inv workload.Inventory
	if err := json.Unmarshal([]byte(out), &inv); err != nil {
		t.Fatal(err)
	}
	const pre = "k8s:eks@kubetest/"
	var ids []string
	for _, w := range inv.Workloads {
		if w.Source == workload.SourceKubernetes {
			ids = append(ids, w.ID)
		}
	}
	sort.Strings(ids)
	want := []string{pre + "kube-system/DaemonSet/calico-node", pre + "monitoring/Pod/node-exporter-a", pre + "monitoring/Pod/node-exporter-b",
		pre + "shop/Pod/api-a", pre + "shop/Pod/api-b", pre + "shop/Pod/db", pre + "shop/Pod/frontend-a", pre + "shop/Pod/frontend-b"}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Fatalf("workloads:\n got %v\nwant %v", ids, want)
	}
	// The only gap: calico-node uses hostNetwork, so any port it opens is
	// a node port and its declared ports are a lower bound.
	if len(inv.Gaps) != 1 || inv.Gaps[0].What != "ports of hostNetwork DaemonSet kube-system/calico-node" {
		t.Errorf("gaps: %+v", inv.Gaps)
	}
	if len(inv.Clusters) != 1 || inv.Clusters[0].PolicyEnforcement != "enforced" || inv.Clusters[0].Plugin != "calico" {
		t.Fatalf("cluster: %+v", inv.Clusters)
	}
	// Every Service's routes, as [outermost front kind → verdict (sources | blocking control)].
	for id, routes := range map[string][]string{
		"shop/Pod/frontend-a": {"direct not_exposed", "service not_exposed k8s:eks@kubetest/shop/Service/frontend",
			"node_port exposed 0.0.0.0/0", "load_balancer exposed 0.0.0.0/0"},
		// On the closed node group, but the NodePort (externalTrafficPolicy
		// Cluster) is open on the other node, which forwards to it.
		"shop/Pod/frontend-b": {"direct not_exposed", "service not_exposed k8s:eks@kubetest/shop/Service/frontend",
			"node_port exposed 0.0.0.0/0", "load_balancer exposed 0.0.0.0/0"},
		// Local + the NetworkPolicy enforced by calico: the office /25 only.
		"shop/Pod/api-a": {"direct not_exposed", "service not_exposed k8s:eks@kubetest/shop/Service/api",
			"node_port exposed 81.2.69.0/25", "load_balancer exposed 81.2.69.0/25"},
		"shop/Pod/api-b": {"direct not_exposed", "service not_exposed k8s:eks@kubetest/shop/Service/api",
			"node_port not_exposed sg-0ngclosed", "load_balancer not_exposed sg-0ngclosed"},
		"shop/Pod/db":                    {"direct not_exposed", "service not_exposed k8s:eks@kubetest/shop/Service/db"},
		"monitoring/Pod/node-exporter-a": {"direct not_exposed", "host_port exposed 0.0.0.0/0"},
		"monitoring/Pod/node-exporter-b": {"direct not_exposed", "host_port not_exposed sg-0ngclosed"},
	} {
		w := findWorkload(t, &inv, pre+id)
		if w.Host == nil || !strings.HasPrefix(w.Host.InstanceID, "i-0node0") || w.Host.InstanceFrom != "providerID" {
			t.Errorf("%s host: %+v", id, w.Host)
		}
		if c := w.Containers[0]; c.Image.Confidence != "digest" && !strings.HasPrefix(id, "monitoring/") {
			t.Errorf("%s image: %+v", id, c.Image)
		}
		if got := routeSummary(w); strings.Join(got, "; ") != strings.Join(routes, "; ") {
			t.Errorf("%s routes:\n got %v\nwant %v", id, got, routes)
		}
	}
	api := findWorkload(t, &inv, pre+"shop/Pod/api-a").Containers[0].Exposure
	if !pathHas(api[2], "network_policy", "enforced by the network plugin calico") {
		t.Errorf("api-a node_port path does not name the enforced NetworkPolicy: %+v", api[2].Path)
	}

	// The table lists the 8 workloads.
	out, stderr, code = runCLI(t, "inventory", "--kubeconfig", kc, "--aws", eksSnapshot)
	if code != 0 {
		t.Fatalf("table: exit %d: %s", code, stderr)
	}
	for _, name := range []string{"8 workloads", "i-0nod", "exposed", "not exposed"} {
		if !strings.Contains(out, name) {
			t.Errorf("table lacks %q:\n%s", name, out)
		}
	}

	// --why on a container answers with the whole path.
	out, stderr, code = runCLI(t, "exposure", "--kubeconfig", kc, "--aws", eksSnapshot, "--format", "json", "--why", "shop/api-a/api:tcp/8080")
	if code != 0 {
		t.Fatalf("--why: exit %d: %s", code, stderr)
	}
	var rep exposure.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var lb *exposure.Result
	for i := range rep.Results {
		if rep.Results[i].Via == pre+"shop/Service/api" && hasKind(rep.Results[i].Path, "load_balancer") {
			lb = &rep.Results[i]
		}
	}
	if len(rep.Results) != 4 || lb == nil || lb.Verdict != exposure.Exposed || strings.Join(lb.Sources, ",") != "81.2.69.0/25" ||
		!hasKind(lb.Path, "target") || !hasKind(lb.Path, "network_policy") || !hasKind(lb.Path, "security_group") {
		t.Fatalf("--why shop/api-a/api:tcp/8080: %s", out)
	}
}

func findWorkload(t *testing.T, inv *workload.Inventory, id string) *workload.Workload {
	t.Helper()
	for i := range inv.Workloads {
		if inv.Workloads[i].ID == id {
			return &inv.Workloads[i]
		}
	}
	t.Fatalf("no workload %s", id)
	return nil
}

// routeSummary is "kind verdict sources|blocked_by" per verdict of the
// first port, in order (the direct path first, then each route).
func routeSummary(w *workload.Workload) []string {
	c := w.Containers[0]
	var out []string
	for i, v := range c.Exposure {
		kind := "direct"
		if i > 0 {
			kind = c.Ports[0].Routes[i-1].Fronts[0].Kind
		}
		s := kind + " " + v.Verdict
		switch {
		case v.Verdict == "exposed":
			s += " " + strings.Join(v.Sources, ",")
		case v.BlockedBy != nil && i > 0:
			s += " " + v.BlockedBy.ID
		}
		out = append(out, s)
	}
	return out
}

func pathHas(v workload.Verdict, kind, detail string) bool {
	for _, h := range v.Path {
		if h.Kind == kind && strings.Contains(h.Detail, detail) {
			return true
		}
	}
	return false
}

// seedEKS creates the eks-join objects through the API, setting status
// with UpdateStatus as the kubelet and the load balancer controller would.
func seedEKS(t *testing.T, srv *kubetest.Server) {
	t.Helper()
	seedCluster(t, srv, eksCluster)
}

// seedCluster creates the objects of the manifests under dir through the
// API, as seedEKS does.
func seedCluster(t *testing.T, srv *kubetest.Server, dir string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	objs, err := kube.LoadManifests(ctx, []string{dir}, kube.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	c, u := metav1.CreateOptions{}, metav1.UpdateOptions{}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	for _, ns := range objs.Namespaces {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns.Name}}, c)
		must("namespace "+ns.Name, err)
	}
	for _, n := range objs.Nodes {
		got, err := cs.CoreV1().Nodes().Create(ctx, &n, c)
		must("node "+n.Name, err)
		got.Status = n.Status
		_, err = cs.CoreV1().Nodes().UpdateStatus(ctx, got, u)
		must("node status "+n.Name, err)
	}
	for _, p := range objs.Pods {
		got, err := cs.CoreV1().Pods(p.Namespace).Create(ctx, &p, c)
		must("pod "+p.Name, err)
		got.Status = p.Status
		_, err = cs.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, got, u)
		must("pod status "+p.Name, err)
	}
	for _, s := range objs.Services {
		got, err := cs.CoreV1().Services(s.Namespace).Create(ctx, &s, c)
		must("service "+s.Name, err)
		if len(s.Status.LoadBalancer.Ingress) > 0 {
			got.Status = s.Status
			_, err = cs.CoreV1().Services(s.Namespace).UpdateStatus(ctx, got, u)
			must("service status "+s.Name, err)
		}
	}
	for _, np := range objs.NetworkPolicies {
		_, err := cs.NetworkingV1().NetworkPolicies(np.Namespace).Create(ctx, &np, c)
		must("networkpolicy "+np.Name, err)
	}
	for _, ds := range objs.DaemonSets {
		_, err := cs.AppsV1().DaemonSets(ds.Namespace).Create(ctx, &ds, c)
		must("daemonset "+ds.Name, err)
	}
}

// eksKubeconfig writes a kubeconfig whose current context is eks@kubetest.
func eksKubeconfig(t *testing.T, srv *kubetest.Server) string {
	t.Helper()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(ca, srv.CAData, 0o600); err != nil {
		t.Fatal(err)
	}
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kubetest
  cluster: {server: %q, certificate-authority: %q}
users:
- name: admin
  user: {token: %q}
contexts:
- name: eks@kubetest
  context: {cluster: kubetest, user: admin}
current-context: eks@kubetest
`, srv.Host, ca, srv.Token(kubetest.AdminUser))
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
