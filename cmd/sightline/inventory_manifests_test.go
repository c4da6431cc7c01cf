package main

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/sightline-sec/sightline/internal/workload"
)

var demoDir = filepath.Join("..", "..", "internal", "workload", "kube", "testdata", "microservices-demo")

// demoFile is what one raw manifest file of microservices-demo declares,
// read here independently of the kube package: Deployments with their pod
// labels and containerPorts, Services with selector and ports.
type demoObj struct {
	Kind     string
	Metadata struct{ Name string }
	Spec     struct {
		Type     string
		Selector map[string]any
		Ports    []struct {
			Port       int
			TargetPort intstr.IntOrString `json:"targetPort"`
		}
		Template struct {
			Metadata struct{ Labels map[string]string }
			Spec     struct {
				Containers []struct {
					Name  string
					Ports []struct {
						ContainerPort int `json:"containerPort"`
					}
				}
			}
		}
	}
}

func readDemo(t *testing.T, files []string) (deps map[string]demoObj, svcs []demoObj) {
	t.Helper()
	deps = map[string]demoObj{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := k8syaml.NewYAMLOrJSONDecoder(fh, 4096)
		for {
			var o demoObj
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			switch o.Kind {
			case "Deployment":
				deps[o.Metadata.Name] = o
			case "Service":
				svcs = append(svcs, o)
			}
		}
		fh.Close()
	}
	return deps, svcs
}

// TestInventoryManifestsDemo runs `sightline inventory --k8s` on
// microservices-demo as raw files, as its kustomization (kubernetes-manifests,
// which leaves out loadgenerator), as the Helm chart, and as the Kustomize
// base and network-policies overlay, and checks every Deployment and every
// Service route against the raw files.
func TestInventoryManifestsDemo(t *testing.T) {
	raw, err := filepath.Glob(filepath.Join(demoDir, "kubernetes-manifests", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var files, kustomized []string
	for _, f := range raw {
		if filepath.Base(f) != "kustomization.yaml" {
			files = append(files, f)
		}
		if b := filepath.Base(f); b != "kustomization.yaml" && b != "loadgenerator.yaml" {
			kustomized = append(kustomized, f)
		}
	}
	for _, tc := range []struct {
		name     string
		args     []string
		from     []string // the raw files that declare what this input holds
		policies int
	}{
		{"raw files", files, files, 0},
		{"kustomization", []string{filepath.Join(demoDir, "kubernetes-manifests")}, kustomized, 0},
		{"helm chart", []string{filepath.Join(demoDir, "helm-chart")}, files, 0},
		{"kustomize base", []string{filepath.Join(demoDir, "kustomize", "base")}, files, 0},
		{"kustomize overlay", []string{filepath.Join(demoDir, "kustomize", "overlays", "network-policies")}, files, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"inventory", "--format", "json"}
			for _, a := range tc.args {
				args = append(args, "--k8s", a)
			}
			out, stderr, code := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var inv workload.Inventory
			if err := json.Unmarshal([]byte(out), &inv); err != nil {
				t.Fatal(err)
			}
			checkDemo(t, &inv, tc.from, tc.policies)
		})
	}
}

func checkDemo(t *testing.T, inv *workload.Inventory, files []string, policies int) {
	deps, svcs := readDemo(t, files)
	var want, got []string
	for n := range deps {
		want = append(want, "Deployment/"+n)
	}
	for _, w := range inv.Workloads {
		got = append(got, w.Kind+"/"+w.Name)
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("workloads:\n got %v\nwant %v", got, want)
	}
	if len(inv.Services) != len(svcs) || len(inv.Policies) != policies || len(inv.Gaps) != 0 {
		t.Errorf("%d services (want %d), %d policies (want %d), gaps %v", len(inv.Services), len(svcs), len(inv.Policies), policies, inv.Gaps)
	}
	// Every Service port reaches the containerPort of the Deployment its
	// selector names, with the verdict its type gives without --aws.
	for _, s := range svcs {
		app, _ := s.Spec.Selector["app"].(string)
		d, ok := deps[app]
		if !ok {
			t.Errorf("Service %s selects app=%s, not a Deployment of the files", s.Metadata.Name, app)
			continue
		}
		w := workloadNamed(inv, d.Metadata.Name)
		if w == nil {
			t.Errorf("Service %s: Deployment %s not listed", s.Metadata.Name, d.Metadata.Name)
			continue
		}
		for _, sp := range s.Spec.Ports {
			target := sp.TargetPort.IntValue()
			if target == 0 {
				target = sp.Port
			}
			kinds := routeKinds(w, s.Metadata.Name, target)
			want := "service:not_exposed"
			if s.Spec.Type == "LoadBalancer" {
				// The manifests say neither which nodes nor which load balancer.
				want = "service:not_exposed node_port:unknown load_balancer:unknown"
			}
			if kinds != want {
				t.Errorf("Service %s port %d → %s:%d: routes %q, want %q", s.Metadata.Name, sp.Port, w.Name, target, kinds, want)
			}
		}
	}
}

func workloadNamed(inv *workload.Inventory, name string) *workload.Workload {
	for i := range inv.Workloads {
		if inv.Workloads[i].Name == name {
			return &inv.Workloads[i]
		}
	}
	return nil
}

// routeKinds lists "outermost front kind:verdict" of the routes through
// Service svc to container port port.
func routeKinds(w *workload.Workload, svc string, port int) string {
	var out []string
	for _, c := range w.Containers {
		n := 0
		for _, p := range c.Ports {
			n++ // the direct verdict
			for _, r := range p.Routes {
				v := c.Exposure[n]
				n++
				if p.ContainerPort == port && strings.HasSuffix(r.Fronts[len(r.Fronts)-1].ID, "/Service/"+svc) {
					out = append(out, r.Fronts[0].Kind+":"+v.Verdict)
				}
			}
		}
	}
	return strings.Join(out, " ")
}
