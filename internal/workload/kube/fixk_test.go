package kube

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/workload"
)

func invGaps(inv *workload.Inventory) string {
	var b strings.Builder
	for _, g := range inv.Gaps {
		b.WriteString(g.Input + " | " + g.What + " | " + g.Reason + "\n")
	}
	return b.String()
}

const istioOnly = `apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata: {name: gw, namespace: shop}
spec: {selector: {istio: ingressgateway}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: a, namespace: shop}
spec: {hosts: ["*"], gateways: [gw], http: [{route: [{destination: {host: web}}]}]}
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: b, namespace: shop}
spec: {hosts: ["*"]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: shop}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: c, namespace: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
---
apiVersion: apps/v1
kind: Deploymnet
metadata: {name: typo}
`

// TestIgnoredKindsAreGaps: kinds read but not modelled are one Gap per
// apiVersion/Kind with a count and the first file:line; ways in that are
// not analysed (Istio, Gateway API) and unanalysed filters say so; a kind
// a built-in group does not have is an unknown-kind Gap.
func TestIgnoredKindsAreGaps(t *testing.T) {
	p := writeFile(t, t.TempDir(), "istio.yaml", istioOnly)
	objs, err := LoadManifests(context.Background(), []string{p}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inv := Build(objs)
	if len(inv.Workloads) != 0 {
		t.Fatalf("workloads: %+v", inv.Workloads)
	}
	g := invGaps(inv)
	for _, want := range []string{
		p + ":1 | model networking.istio.io/v1beta1 Gateway (1 object) | a way traffic gets into the cluster that is not analysed",
		p + ":6 | model networking.istio.io/v1beta1 VirtualService (2 objects) | a way traffic gets into the cluster that is not analysed",
		p + ":16 | model gateway.networking.k8s.io/v1 HTTPRoute (1 object) | a way traffic gets into the cluster",
		p + ":20 | model cilium.io/v2 CiliumNetworkPolicy (1 object) | a traffic filter that is not analysed",
		p + ":24 | model v1 ConfigMap (1 object) | read but not modelled",
		p + `:28 | read apps/v1 Deploymnet | unknown kind "Deploymnet" in apps/v1: the API server would reject it (no matches for kind); the object is not read (did you mean Deployment?)`,
	} {
		if !strings.Contains(g, want) {
			t.Errorf("missing gap %q in:\n%s", want, g)
		}
	}
	if strings.Contains(g, "Deploymnet (") {
		t.Errorf("the typo is counted as an unmodelled kind:\n%s", g)
	}
}

// TestKustomizeMissingResource: a local entry that is not there is
// "missing", not "remote"; a URL or host path is still refused as remote.
func TestKustomizeMissingResource(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "k/kustomization.yaml", "resources:\n- missing.yaml\n")
	writeFile(t, dir, "r/kustomization.yaml", "resources:\n- github.com/example/repo/deploy\n")
	writeFile(t, dir, "plain.yaml", goodDeployment)
	objs, err := LoadManifests(context.Background(), []string{dir}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g := gapsText(objs)
	want := `resource "missing.yaml" is missing (local path ` + filepath.Join(dir, "k", "missing.yaml") + ` not found)`
	if !strings.Contains(g, want) || strings.Count(g, "remote resources are not fetched") != 1 {
		t.Errorf("gaps:\n%s", g)
	}
	for r, remote := range map[string]bool{"missing.yaml": false, "../base": false, "sub.d/x.yaml": false, "https://x/y": true,
		"git@github.com:o/r.git": true, "github.com/o/r/d?ref=v1": true, "example.com/o/r": true} {
		if looksRemote(r) != remote {
			t.Errorf("looksRemote(%q) = %v", r, !remote)
		}
	}
}

const waysIn = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: web:1
        ports:
        - {name: http, containerPort: 8080}
        - {containerPort: 9000, hostPort: 9000, hostIP: 127.0.0.1}
        - {containerPort: 9001, hostPort: 9001, hostIP: "::1"}
        - {containerPort: 9002, hostPort: 9002, hostIP: 10.0.0.7}
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: shop}
spec:
  selector: {app: web}
  externalIPs: [198.51.100.7]
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: lb-nonp, namespace: shop}
spec:
  type: LoadBalancer
  allocateLoadBalancerNodePorts: false
  selector: {app: web}
  ports: [{port: 81, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata:
  name: lb-int
  namespace: shop
  annotations: {service.beta.kubernetes.io/aws-load-balancer-scheme: internal}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 82, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata:
  name: lb-legacy
  namespace: shop
  annotations: {service.beta.kubernetes.io/aws-load-balancer-internal: "true"}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 83, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: cname, namespace: shop}
spec:
  type: ExternalName
  externalName: db.example.com
  selector: {app: web}
  ports: [{port: 84, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: alb
  namespace: shop
  annotations: {alb.ingress.kubernetes.io/scheme: internal}
spec:
  defaultBackend: {service: {name: ext, port: {number: 80}}}
`

// verdictVia finds the verdict of a port of container "app" through the
// route whose fronts are kinds (joined by ">") and whose first front is id.
// Exposure lists, per port in order, the direct verdict then one per route.
func verdictVia(t *testing.T, w *workload.Workload, port int, chainKinds, id string) workload.Verdict {
	t.Helper()
	c := &w.Containers[0]
	i := 0
	for _, p := range c.Ports {
		i++ // the direct verdict
		for _, r := range p.Routes {
			if p.ContainerPort == port && chain(r) == chainKinds && r.Fronts[0].ID == id {
				return c.Exposure[i]
			}
			i++
		}
	}
	t.Fatalf("no verdict for %d via %s %s", port, chainKinds, id)
	return workload.Verdict{}
}

// TestWaysIn: externalIPs are a route through the nodes (never
// not_exposed because of ClusterIP); a LoadBalancer without node ports has
// no node_port route; an internal-scheme annotation makes the load
// balancer not_exposed; ExternalName forwards nothing; a loopback hostIP is
// not_exposed; a node-address hostIP says so.
func TestWaysIn(t *testing.T) {
	p := writeFile(t, t.TempDir(), "in.yaml", waysIn)
	objs, err := LoadManifests(context.Background(), []string{p}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inv := Build(objs)
	exposure.Containers(inv, nil)
	w := find(t, inv, "k8s:/shop/Deployment/web")
	http := portOf(t, w, "app", 8080)
	var chains []string
	for _, r := range http.Routes {
		chains = append(chains, chain(r)+" "+r.Fronts[0].ID)
	}
	sort.Strings(chains)
	want := []string{
		"external_ip>service k8s:/shop/Service/ext",
		"ingress>service k8s:/shop/Ingress/alb",
		"load_balancer>node_port>service k8s:/shop/Service/lb-int",
		"load_balancer>node_port>service k8s:/shop/Service/lb-legacy",
		"load_balancer>service k8s:/shop/Service/lb-nonp",
		"node_port>service k8s:/shop/Service/lb-int",
		"node_port>service k8s:/shop/Service/lb-legacy",
		"service k8s:/shop/Service/ext",
		"service k8s:/shop/Service/lb-int",
		"service k8s:/shop/Service/lb-legacy",
		"service k8s:/shop/Service/lb-nonp",
	}
	if strings.Join(chains, "\n") != strings.Join(want, "\n") {
		t.Errorf("routes:\n%s\nwant\n%s", strings.Join(chains, "\n"), strings.Join(want, "\n"))
	}
	ext := verdictVia(t, w, 8080, "external_ip>service", "k8s:/shop/Service/ext")
	if ext.Verdict != exposure.Unknown || len(ext.Missing) == 0 || !strings.Contains(ext.Missing[0], "nodes") ||
		!strings.Contains(ext.Path[0].Detail, "externalIPs 198.51.100.7: kube-proxy on every node accepts") {
		t.Errorf("externalIPs: %+v", ext)
	}
	for _, id := range []string{"k8s:/shop/Service/lb-int", "k8s:/shop/Service/lb-legacy"} {
		v := verdictVia(t, w, 8080, "load_balancer>node_port>service", id)
		if v.Verdict != exposure.NotExposed || v.BlockedBy == nil || !strings.Contains(v.BlockedBy.Detail, "internal load balancer (annotation service.beta.kubernetes.io/aws-load-balancer-") {
			t.Errorf("%s: %+v", id, v)
		}
	}
	if v := verdictVia(t, w, 8080, "ingress>service", "k8s:/shop/Ingress/alb"); v.Verdict != exposure.NotExposed ||
		!strings.Contains(v.BlockedBy.Detail, "alb.ingress.kubernetes.io/scheme") {
		t.Errorf("internal ALB ingress: %+v", v)
	}
	if v := verdictVia(t, w, 8080, "load_balancer>service", "k8s:/shop/Service/lb-nonp"); v.Verdict != exposure.Unknown {
		t.Errorf("internet-facing LB without node ports: %+v", v)
	}
	for _, port := range []int{9000, 9001} {
		hp := portOf(t, w, "app", port)
		if f := hp.Routes[0].Fronts[0]; f.Entry != "loopback" {
			t.Errorf("hostIP loopback %d: %+v", port, f)
		}
		v := verdictVia(t, w, port, "host_port", hp.Routes[0].Fronts[0].ID)
		if v.Verdict != exposure.NotExposed || !strings.Contains(v.BlockedBy.Detail, "loopback") {
			t.Errorf("hostIP loopback %d: %+v", port, v)
		}
	}
	if f := portOf(t, w, "app", 9002).Routes[0].Fronts[0]; f.Entry != "host" || !strings.Contains(f.Detail, "on 10.0.0.7 (that node address only") {
		t.Errorf("hostIP of a node address: %+v", f)
	}
}

const hostNet = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ops}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      hostNetwork: true
      containers:
      - {name: a, image: agent:1}
      - {name: b, image: agent:1, ports: [{containerPort: 9100}]}
`

// TestHostNetworkLowerBound: a hostNetwork pod says its declared ports are
// a lower bound (even with none), and keeps a host_network route for the
// declared ones.
func TestHostNetworkLowerBound(t *testing.T) {
	p := writeFile(t, t.TempDir(), "hn.yaml", hostNet)
	objs, err := LoadManifests(context.Background(), []string{p}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inv := Build(objs)
	g := invGaps(inv)
	if !strings.Contains(g, p+":1 | ports of hostNetwork DaemonSet ops/agent | the pod uses the node's network (hostNetwork): any port it opens is a port of the node; the 1 declared port(s) are a lower bound") {
		t.Errorf("gaps:\n%s", g)
	}
	w := find(t, inv, "k8s:/ops/DaemonSet/agent")
	if r := w.Containers[1].Ports[0].Routes; len(r) != 1 || r[0].Fronts[0].Kind != "host_network" {
		t.Errorf("routes: %+v", r)
	}
}

const invalid = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: web:1
        ports:
        - {containerPort: 0}
        - {containerPort: -1}
        - {containerPort: 70000}
        - {containerPort: 80, hostPort: 99999}
        - {containerPort: 81, name: "bad/name"}
        - {containerPort: 8080, name: http}
      - {name: "side:car", image: x:1, ports: [{containerPort: 90}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - {name: a, port: 80, targetPort: -4}
  - {name: b, port: 81, targetPort: http, nodePort: 99999}
  - {name: c, port: 82, targetPort: http}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: "", namespace: shop}
spec: {template: {spec: {containers: [{name: a, image: a}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: "a/b", namespace: shop}
spec: {template: {spec: {containers: [{name: a, image: a}]}}}
---
apiVersion: v1
kind: Pod
metadata: {name: "a:b", namespace: shop}
spec: {containers: [{name: a, image: a}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bogus, namespace: shop}
spec:
  podSelector:
    matchExpressions: [{key: app, operator: Bogus, values: [web]}]
  ingress: []
`

// TestInvalidFieldsAreGaps: what the API server would reject is a gap
// naming file:line, and yields no ports, routes, workloads or policies.
func TestInvalidFieldsAreGaps(t *testing.T) {
	p := writeFile(t, t.TempDir(), "bad.yaml", invalid)
	objs, err := LoadManifests(context.Background(), []string{p}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inv := Build(objs)
	exposure.Containers(inv, nil)
	if len(inv.Workloads) != 1 || len(inv.Policies) != 0 {
		t.Fatalf("workloads %d, policies %+v", len(inv.Workloads), inv.Policies)
	}
	w := &inv.Workloads[0]
	if len(w.Containers) != 1 || len(w.Containers[0].Ports) != 1 || w.Containers[0].Ports[0].ContainerPort != 8080 {
		t.Fatalf("containers: %+v", w.Containers)
	}
	var chains []string
	for _, r := range w.Containers[0].Ports[0].Routes {
		chains = append(chains, chain(r)+" "+r.Fronts[0].ID)
	}
	if strings.Join(chains, ",") != "service k8s:/shop/Service/web,node_port>service k8s:/shop/Service/web" {
		t.Errorf("routes: %v", chains)
	}
	for _, v := range w.Containers[0].Exposure {
		if v.ContainerPort != 8080 {
			t.Errorf("verdict on an invalid port: %+v", v)
		}
	}
	g := invGaps(inv)
	for _, want := range []string{
		p + ":1 | read Deployment shop/web container app port 0 | the API server rejects it (ports: containerPort 0: must be between 1 and 65535, inclusive); not modelled",
		p + ":1 | read Deployment shop/web container app port -1 |",
		p + ":1 | read Deployment shop/web container app port 70000 |",
		p + ":1 | read Deployment shop/web container app port 80 | the API server rejects it (ports: hostPort 99999: must be between 1 and 65535, inclusive)",
		p + `:1 | read Deployment shop/web container app port 81 | the API server rejects it (ports: name "bad/name":`,
		p + `:1 | read Deployment shop/web container "side:car" | the API server rejects it (name:`,
		p + ":21 | read Service shop/web port 80 | the API server rejects it (spec.ports: targetPort -4: must be between 1 and 65535, inclusive)",
		p + ":21 | read Service shop/web port 81 | the API server rejects it (spec.ports: nodePort 99999:",
		p + `:32 | read Deployment shop/ | the API server rejects it (metadata: metadata.name: required)`,
		p + `:37 | read Deployment shop/a/b | the API server rejects it (metadata: metadata.name "a/b":`,
		p + `:42 | read Pod shop/a:b | the API server rejects it (metadata: metadata.name "a:b":`,
		p + `:47 | read NetworkPolicy shop/bogus | the API server rejects it (spec: spec.podSelector: "Bogus" is not a valid label selector operator)`,
	} {
		if !strings.Contains(g, want) {
			t.Errorf("missing gap %q in:\n%s", want, g)
		}
	}
}
