package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/check/terraform"
)

// goatManifests are real insecure manifests (kubernetes-goat, MIT; see
// their PROVENANCE.md).
var goatManifests = filepath.Join("..", "..", "internal", "check", "kubernetes", "testdata", "kubernetes-goat")

// TestCheckKubernetesGoat is issue 10's done-when for Kubernetes through
// the CLI with the built-in inputs and rules: `sightline check` on a real
// insecure manifest set finds every privileged container and every host
// mount of the container runtime socket, at file and line, and the gate
// fails.
func TestCheckKubernetesGoat(t *testing.T) {
	out, stderr, code := runCheckWith(t, defaultCheckInputs(terraform.Options{}), "json", checkFlags{failOn: "high"}, goatManifests)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (gate): %s", code, stderr)
	}
	var doc struct {
		Findings []struct {
			RuleID   string `json:"rule_id"`
			Object   string
			Location struct {
				File string
				Line int
			}
		}
		Gaps []any
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, f := range doc.Findings {
		if f.RuleID == "SL-K8S-PSS-003" || f.RuleID == "SL-K8S-001" {
			got[f.RuleID] = append(got[f.RuleID], f.Object+" "+filepath.Base(filepath.Dir(f.Location.File))+":"+strconv.Itoa(f.Location.Line))
		}
	}
	for _, v := range got {
		sort.Strings(v)
	}
	want := map[string]string{
		"SL-K8S-PSS-003": "default/DaemonSet/docker-bench-security docker-bench-security:45 default/Deployment/health-check-deployment health-check:25 default/Deployment/system-monitor-deployment system-monitor:39",
		"SL-K8S-001":     "default/DaemonSet/docker-bench-security docker-bench-security:91 default/Deployment/health-check-deployment health-check:32 default/Deployment/system-monitor-deployment system-monitor:29",
	}
	for id, w := range want {
		if g := strings.Join(got[id], " "); g != w {
			t.Errorf("%s: %s\nwant %s", id, g, w)
		}
	}
	if len(doc.Gaps) != 0 {
		t.Errorf("gaps %v", doc.Gaps)
	}
}

// TestCheckKubernetesSetNamespace: --set and --namespace, documented and
// offered by --help, reach the built-in Kubernetes input (they were refused
// as "not supported by this build"): the real chart's seccompProfile.enable
// value turns the restricted Seccomp findings off, and the objects are named
// in the --namespace given.
func TestCheckKubernetesSetNamespace(t *testing.T) {
	chart := filepath.Join("..", "..", "internal", "workload", "kube", "testdata", "microservices-demo", "helm-chart")
	count := func(f checkFlags) (int, []string) {
		t.Helper()
		f.k8s = []string{chart}
		out, stderr, code := runCheckWith(t, defaultCheckInputs(terraform.Options{}), "json", f)
		if code != 0 {
			t.Fatalf("%+v: exit %d: %s", f, code, stderr)
		}
		var doc struct {
			Findings []struct {
				RuleID string `json:"rule_id"`
				Object string
			}
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		n := 0
		var objs []string
		for _, x := range doc.Findings {
			if x.RuleID == "SL-K8S-PSS-105" {
				n++
			}
			objs = append(objs, x.Object)
		}
		return n, objs
	}
	if n, _ := count(checkFlags{}); n == 0 {
		t.Fatal("default values: no SL-K8S-PSS-105 finding")
	}
	if n, _ := count(checkFlags{set: []string{"seccompProfile.enable=true"}}); n != 0 {
		t.Errorf("--set seccompProfile.enable=true: %d SL-K8S-PSS-105 findings, want 0", n)
	}
	_, objs := count(checkFlags{namespace: "shop"})
	for _, o := range objs {
		if !strings.HasPrefix(o, "shop/") {
			t.Errorf("--namespace shop: object %s", o)
		}
	}
}

// TestCheckClusterUnreachableIsEnvironment: an API server that cannot be
// reached exits 3 (README, docs/cli.md: the environment), as inventory
// does; it exited 2. An unknown context stays a usage error (2).
func TestCheckClusterUnreachableIsEnvironment(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
users:
- name: u
  user: {token: t}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCheckWith(t, defaultCheckInputs(terraform.Options{}), "table", checkFlags{kubeconfig: kc}); code != 3 {
		t.Errorf("unreachable API server: exit %d, want 3: %s", code, stderr)
	}
	if _, stderr, code := runCheckWith(t, defaultCheckInputs(terraform.Options{}), "table", checkFlags{kubeconfig: kc, kubeContext: "nope"}); code != 2 {
		t.Errorf("unknown context: exit %d, want 2: %s", code, stderr)
	}
}
