package kube

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/workload"
)

const demo = "testdata/microservices-demo"

// demoDeployments are the Deployments of microservices-demo's
// kubernetes-manifests/*.yaml (one per file, redis-cart in cartservice.yaml).
var demoDeployments = []string{
	"adservice", "cartservice", "checkoutservice", "currencyservice", "emailservice", "frontend",
	"loadgenerator", "paymentservice", "productcatalogservice", "recommendationservice", "redis-cart",
	"shippingservice",
}

// demoClusterIP maps each ClusterIP Service of the manifests to the
// Deployment it selects and the container port its targetPort names.
var demoClusterIP = map[string]string{
	"adservice": "adservice:9555", "cartservice": "cartservice:7070", "checkoutservice": "checkoutservice:5050",
	"currencyservice": "currencyservice:7000", "emailservice": "emailservice:8080", "frontend": "frontend:8080",
	"paymentservice": "paymentservice:50051", "productcatalogservice": "productcatalogservice:3550",
	"recommendationservice": "recommendationservice:8080", "redis-cart": "redis-cart:6379",
	"shippingservice": "shippingservice:50051",
}

func load(t *testing.T, opts LoadOptions, paths ...string) *workload.Inventory {
	t.Helper()
	objs, err := LoadManifests(context.Background(), paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	return Build(objs)
}

// rawManifestFiles are kubernetes-manifests/*.yaml without the
// kustomization file (given as files, they are read as plain YAML).
func rawManifestFiles(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join(demo, "kubernetes-manifests", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if filepath.Base(f) != "kustomization.yaml" {
			out = append(out, f)
		}
	}
	return out
}

func names(inv *workload.Inventory, kind string) []string {
	var out []string
	for _, w := range inv.Workloads {
		if w.Kind == kind {
			out = append(out, w.Name)
		}
	}
	sort.Strings(out)
	return out
}

func find(t *testing.T, inv *workload.Inventory, id string) *workload.Workload {
	t.Helper()
	for i := range inv.Workloads {
		if inv.Workloads[i].ID == id {
			return &inv.Workloads[i]
		}
	}
	t.Fatalf("workload %s not found", id)
	return nil
}

// routesVia lists, per service front ID, "workload:containerPort" pairs.
func routesVia(inv *workload.Inventory) map[string][]string {
	out := map[string][]string{}
	for _, w := range inv.Workloads {
		for _, c := range w.Containers {
			for _, p := range c.Ports {
				for _, r := range p.Routes {
					last := r.Fronts[len(r.Fronts)-1]
					k := fmt.Sprintf("%s:%d", w.Name, p.ContainerPort)
					if !contains(out[last.ID], k) {
						out[last.ID] = append(out[last.ID], k)
					}
				}
			}
		}
	}
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func TestRawManifests(t *testing.T) {
	inv := load(t, LoadOptions{Namespace: "shop"}, rawManifestFiles(t)...)
	if got := names(inv, "Deployment"); !reflect.DeepEqual(got, demoDeployments) {
		t.Fatalf("deployments = %v, want %v", got, demoDeployments)
	}
	if len(inv.Workloads) != len(demoDeployments) {
		t.Errorf("%d workloads, want only the %d Deployments", len(inv.Workloads), len(demoDeployments))
	}
	if len(inv.Gaps) != 0 {
		t.Errorf("gaps: %v", inv.Gaps)
	}
	fe := find(t, inv, "k8s:/shop/Deployment/frontend")
	if fe.Input != filepath.Join(demo, "kubernetes-manifests", "frontend.yaml")+":15" {
		t.Errorf("frontend input = %q", fe.Input)
	}
	if fe.ServiceAccount != "frontend" || fe.Containers[0].User != "1000:1000" || !fe.Containers[0].ReadOnlyRootFS ||
		!reflect.DeepEqual(fe.Containers[0].CapDrop, []string{"ALL"}) || fe.Containers[0].Image.Ref != "frontend" {
		t.Errorf("frontend container = %+v", fe.Containers[0])
	}

	// frontend-external: LoadBalancer port 80 → frontend's container port 8080.
	var lb *workload.Route
	for i, r := range fe.Containers[0].Ports[0].Routes {
		if r.Fronts[0].Kind == "load_balancer" {
			lb = &fe.Containers[0].Ports[0].Routes[i]
		}
	}
	if lb == nil {
		t.Fatalf("frontend has no load_balancer route: %+v", fe.Containers[0].Ports)
	}
	kinds := []string{}
	for _, f := range lb.Fronts {
		kinds = append(kinds, f.Kind+"/"+f.Entry)
	}
	if want := []string{"load_balancer/load_balancer", "node_port/front", "service/front"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("LB chain = %v, want %v", kinds, want)
	}
	f0 := lb.Fronts[0]
	if f0.ID != "k8s:/shop/Service/frontend-external" || f0.ListenPort != 80 || f0.LoadBalancer != "" || f0.SourceRanges != nil || f0.PreservesClient {
		t.Errorf("LB front = %+v", f0)
	}
	if last := lb.Fronts[2]; last.TargetPort != 8080 || !strings.HasPrefix(last.Detail, "Service shop/frontend-external (LoadBalancer) port 80 → targetPort 8080") {
		t.Errorf("last front = %+v", last)
	}

	// Every ClusterIP Service routes to exactly its Deployment's port.
	via := routesVia(inv)
	for svc, want := range demoClusterIP {
		if got := via["k8s:/shop/Service/"+svc]; !reflect.DeepEqual(got, []string{want}) {
			t.Errorf("Service %s routes to %v, want [%s]", svc, got, want)
		}
	}
	if got := via["k8s:/shop/Service/frontend-external"]; !reflect.DeepEqual(got, []string{"frontend:8080"}) {
		t.Errorf("frontend-external routes to %v", got)
	}
	lg := find(t, inv, "k8s:/shop/Deployment/loadgenerator")
	if len(lg.Containers) != 2 || !lg.Containers[0].Init || lg.Containers[0].Name != "frontend-check" {
		t.Errorf("loadgenerator containers = %+v", lg.Containers)
	}
	if d := lg.Containers[0].Image.Digest; !strings.HasPrefix(d, "sha256:") || lg.Containers[0].Image.Confidence != "digest" {
		t.Errorf("busybox digest = %q", d)
	}
	if len(inv.Services) != 12 || len(inv.Clusters) != 1 || inv.Clusters[0].PolicyEnforcement != "unknown" {
		t.Errorf("services %d, clusters %+v", len(inv.Services), inv.Clusters)
	}
}

// TestManifestsDirIsKustomization: kubernetes-manifests/ holds a
// kustomization.yaml that leaves the loadgenerator out; the directory is
// built with Kustomize, so it is absent.
func TestManifestsDirIsKustomization(t *testing.T) {
	inv := load(t, LoadOptions{}, filepath.Join(demo, "kubernetes-manifests"))
	var want []string
	for _, d := range demoDeployments {
		if d != "loadgenerator" {
			want = append(want, d)
		}
	}
	if got := names(inv, "Deployment"); !reflect.DeepEqual(got, want) {
		t.Fatalf("deployments = %v, want %v", got, want)
	}
	if w := find(t, inv, "k8s:/default/Deployment/adservice"); w.Input != "kustomization "+filepath.Join(demo, "kubernetes-manifests") {
		t.Errorf("input = %q", w.Input)
	}
}

// shape is what must agree between the three renderings of the demo:
// workloads, their containers and ports, and which Services reach them.
func shape(inv *workload.Inventory) []string {
	var out []string
	for _, w := range inv.Workloads {
		for _, c := range w.Containers {
			s := fmt.Sprintf("%s %s init=%v", w.ID, c.Name, c.Init)
			for _, p := range c.Ports {
				var fronts []string
				for _, r := range p.Routes {
					var k []string
					for _, f := range r.Fronts {
						k = append(k, f.Kind+"@"+f.ID)
					}
					fronts = append(fronts, strings.Join(k, ">"))
				}
				sort.Strings(fronts)
				s += fmt.Sprintf(" %s/%d%v", p.Protocol, p.ContainerPort, fronts)
			}
			out = append(out, s)
		}
	}
	return out
}

func TestHelmKustomizeAndRawAgree(t *testing.T) {
	raw := load(t, LoadOptions{Namespace: "shop"}, rawManifestFiles(t)...)
	helm := load(t, LoadOptions{Namespace: "shop"}, filepath.Join(demo, "helm-chart"))
	kust := load(t, LoadOptions{Namespace: "shop"}, filepath.Join(demo, "kustomize", "base"))
	if len(helm.Gaps)+len(kust.Gaps) != 0 {
		t.Fatalf("gaps: helm %v kustomize %v", helm.Gaps, kust.Gaps)
	}
	want := shape(raw)
	if len(want) < 13 {
		t.Fatalf("raw shape too small: %v", want)
	}
	for name, inv := range map[string]*workload.Inventory{"helm": helm, "kustomize": kust} {
		if got := shape(inv); !reflect.DeepEqual(got, want) {
			t.Errorf("%s differs from the raw manifests:\n got %v\nwant %v", name, got, want)
		}
	}
	fe := find(t, helm, "k8s:/shop/Deployment/frontend")
	if !strings.HasPrefix(fe.Input, "chart "+filepath.Join(demo, "helm-chart")+" (Helm) onlineboutique/templates/frontend.yaml:") {
		t.Errorf("helm input = %q", fe.Input)
	}
	if ref := fe.Containers[0].Image.Ref; ref != "us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/frontend:v0.10.6" {
		t.Errorf("helm frontend image = %q", ref)
	}
}

func TestHelmValues(t *testing.T) {
	inv := load(t, LoadOptions{Namespace: "shop", Values: []string{"loadGenerator.create=false,images.tag=v9"}}, filepath.Join(demo, "helm-chart"))
	if contains(names(inv, "Deployment"), "loadgenerator") {
		t.Error("loadGenerator.create=false did not remove the loadgenerator")
	}
	fe := find(t, inv, "k8s:/shop/Deployment/frontend")
	if !strings.HasSuffix(fe.Containers[0].Image.Ref, "/frontend:v9") {
		t.Errorf("image = %q", fe.Containers[0].Image.Ref)
	}
	if _, err := LoadManifests(context.Background(), []string{filepath.Join(demo, "helm-chart")}, LoadOptions{Values: []string{"a[=b"}}); err == nil {
		t.Error("a bad --set value read nothing and must be an error")
	}
}

func TestKustomizeNetworkPolicies(t *testing.T) {
	inv := load(t, LoadOptions{}, filepath.Join(demo, "kustomize", "overlays", "network-policies"))
	if len(inv.Gaps) != 0 {
		t.Fatalf("gaps: %v", inv.Gaps)
	}
	var ids []string
	byName := map[string]workload.Policy{}
	for _, p := range inv.Policies {
		ids = append(ids, p.Name)
		byName[p.Name] = p
	}
	// 13 policies; loadgenerator's is Egress-only, so 12 restrict ingress.
	if len(ids) != 12 || contains(ids, "loadgenerator") || !contains(ids, "deny-all") {
		t.Fatalf("policies = %v", ids)
	}
	if d := byName["deny-all"]; len(d.PodSelector) != 0 || len(d.Rules) != 0 {
		t.Errorf("deny-all = %+v", d)
	}
	if f := byName["frontend"]; len(f.Rules) != 1 || len(f.Rules[0].From) != 0 || len(f.Rules[0].Ports) != 0 {
		t.Errorf("frontend policy (ingress: [{}]) = %+v", f)
	}
	c := byName["cartservice"]
	want := []workload.PolicyRule{{
		From:  []workload.Peer{{Selector: "podSelector{app=frontend}"}, {Selector: "podSelector{app=checkoutservice}"}},
		Ports: []workload.PolicyPort{{Protocol: "tcp", Port: 7070}},
	}}
	if !reflect.DeepEqual(c.Rules, want) || c.PodSelector["app"] != "cartservice" {
		t.Errorf("cartservice policy = %+v", c)
	}
}
