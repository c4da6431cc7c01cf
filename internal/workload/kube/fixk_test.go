package kube

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

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
