package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/workload"
)

var ecsMixed = filepath.Join("..", "..", "internal", "workload", "ecs", "testdata", "ecs-mixed")

const bridgeTask = "arn:aws:ecs:eu-west-1:111122223333:task/prod/1b2c3d4e5f6a4b7c8d9e0f1a2b3c4d5e"

func TestInventoryJSON(t *testing.T) {
	out, stderr, code := runCLI(t, "inventory", "--aws", ecsMixed, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var inv workload.Inventory
	if err := json.Unmarshal([]byte(out), &inv); err != nil {
		t.Fatal(err)
	}
	if inv.Schema != "sightline.inventory/v1" || len(inv.Workloads) != 2 || inv.Gaps == nil {
		t.Fatalf("document: schema %q, %d workloads, gaps %v", inv.Schema, len(inv.Workloads), inv.Gaps)
	}
	// The contract fields of issue 8 are present by name.
	var raw map[string]any
	_ = json.Unmarshal([]byte(out), &raw)
	c := raw["workloads"].([]any)[0].(map[string]any)["containers"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "image", "ports", "privileged", "user", "exposure"} {
		if _, ok := c[k]; !ok {
			t.Errorf("container lacks %q", k)
		}
	}
	v := c["exposure"].([]any)[0].(map[string]any)
	for _, k := range []string{"verdict", "sources", "path", "blocked_by", "missing"} {
		if _, ok := v[k]; !ok {
			t.Errorf("verdict lacks %q", k)
		}
	}
}

func TestInventoryTable(t *testing.T) {
	out, stderr, code := runCLI(t, "inventory", "--aws", ecsMixed)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"WORKLOAD", "privileged", "exposed", "2 workloads, 3 containers from an AWS snapshot"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if len([]rune(l)) > 80 {
			t.Errorf("line wider than 80 columns: %q", l)
		}
	}
}

func TestInventoryGapsNeverSilent(t *testing.T) {
	// A snapshot without ECS calls (public-web without its ecs/ directory):
	// no workloads, and a warning that says why.
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(scenarioDir("public-web"))); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "111122223333", "eu-west-1", "ecs")); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runCLI(t, "inventory", "--aws", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "gap") || !strings.Contains(out, "gap(s): what could not be read") || !strings.Contains(out, "0 workloads") {
		t.Errorf("a source read partially must say so:\nstdout %s\nstderr %s", out, stderr)
	}
	// Zero workloads says where workloads come from.
	if !strings.Contains(out, "no workloads in what was read") || !strings.Contains(out, "--docker") {
		t.Errorf("0 workloads without a hint:\n%s", out)
	}
}

func TestInventoryUsage(t *testing.T) {
	for _, args := range [][]string{
		{"inventory"},
		{"inventory", "--context", "c", "--k8s", "x.yaml"},
		{"inventory", "--aws", "x", "--host-id", "i-1"},
		{"inventory", "--aws", "does-not-exist"},
		{"inventory", "--aws", "x", "--format", "sarif"},
	} {
		if _, stderr, code := runCLI(t, args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d %q, want a usage error (2)", args, code, stderr)
		}
	}
}

// The known gap of issue 8: --why on an ECS task's container port answers
// for the container port, followed to its dynamic host port.
func TestExposureWhyContainer(t *testing.T) {
	for _, q := range []string{bridgeTask + ":tcp/80", bridgeTask + "/web:tcp/80", "task/prod/1b2c3d4e/web:tcp/80"} {
		out, stderr, code := runCLI(t, "exposure", "--aws", scenarioDir("ecs-bridge"), "--why", q, "--format", "json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", q, code, stderr)
		}
		var rep exposure.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range rep.Results {
			if r.ResourceType != "container" || r.FromPort != 80 {
				t.Errorf("%s: result %+v is not the container port", q, r)
			}
			if r.Verdict == exposure.Exposed && strings.Contains(r.Via, "32768") {
				found = true
				if !hasKind(r.Path, "security_group") {
					t.Errorf("%s: proof does not go through the host's security group: %+v", q, r.Path)
				}
			}
		}
		if !found {
			t.Errorf("%s: no exposed verdict through host port 32768: %s", q, out)
		}
	}
	// The host port itself is still answered by the cloud results.
	out, _, code := runCLI(t, "exposure", "--aws", scenarioDir("ecs-bridge"), "--why", bridgeTask+":tcp/32768")
	if code != 0 || !strings.Contains(out, "EXPOSED") {
		t.Errorf("host port: exit %d\n%s", code, out)
	}
	if _, stderr, code := runCLI(t, "exposure", "--aws", scenarioDir("ecs-bridge"), "--why", bridgeTask+"/nope:tcp/80"); code != 2 {
		t.Errorf("unknown container: exit %d %s", code, stderr)
	}
	// A container port nothing listens on is not exposed, with the reason.
	out, _, code = runCLI(t, "exposure", "--aws", scenarioDir("ecs-bridge"), "--why", bridgeTask+"/web:tcp/81")
	if code != 0 || !strings.Contains(out, "NOT_EXPOSED") || !strings.Contains(out, "blocked by container") {
		t.Errorf("port without a mapping: exit %d\n%s", code, out)
	}
}

func hasKind(path []exposure.Hop, kind string) bool {
	for _, h := range path {
		if h.Kind == kind {
			return true
		}
	}
	return false
}

// TestSourceExitCodes: an engine or API server that cannot be reached is
// the environment (exit 3, docs/cli.md); a malformed endpoint or an
// unreadable kubeconfig is bad input (2). A credential plugin that is
// missing is named as such. --context without --kubeconfig reads the
// default kubeconfig ($KUBECONFIG).
func TestSourceExitCodes(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close() // nothing listens there now

	t.Setenv("DOCKER_HOST", "tcp://"+closed)
	if _, stderr, code := runCLI(t, "inventory", "--docker"); code != 3 || !strings.Contains(stderr, "cannot reach the Docker engine") {
		t.Errorf("unreachable engine: exit %d %q, want 3", code, stderr)
	}
	t.Setenv("DOCKER_HOST", "tcp://[::1")
	if _, stderr, code := runCLI(t, "inventory", "--docker"); code != 2 {
		t.Errorf("malformed DOCKER_HOST: exit %d %q, want 2", code, stderr)
	}

	dir := t.TempDir()
	write := func(name, user string) string {
		p := filepath.Join(dir, name)
		cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://" + closed + "\", insecure-skip-tls-verify: true}\n" +
			"contexts:\n- name: prod\n  context: {cluster: c, user: u}\ncurrent-context: prod\nusers:\n- name: u\n  user:\n" + user
		if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	token := write("token", "    token: x\n")
	plugin := write("plugin", "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: sightline-no-such-plugin\n      interactiveMode: Never\n")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"inventory", "--kubeconfig", token}, 3, "is not reachable"},
		{[]string{"exposure", "--kubeconfig", token}, 3, "is not reachable"},
		{[]string{"inventory", "--kubeconfig", plugin}, 3, "credential plugin failed"},
		{[]string{"inventory", "--kubeconfig", filepath.Join(dir, "nope")}, 2, "nope"},
	} {
		_, stderr, code := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d %q, want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
	t.Setenv("KUBECONFIG", token)
	if _, stderr, code := runCLI(t, "inventory", "--context", "prod"); code != 3 || !strings.Contains(stderr, closed) {
		t.Errorf("--context without --kubeconfig: exit %d %q, want the $KUBECONFIG server tried", code, stderr)
	}
	if _, stderr, code := runCLI(t, "inventory", "--context", "nosuch"); code != 2 || !strings.Contains(stderr, "nosuch") {
		t.Errorf("unknown context: exit %d %q, want 2", code, stderr)
	}
}

// TestSourcesCancelled: the root command's context (cancelled by SIGINT
// or SIGTERM in main, signal.NotifyContext) reaches the sources: a
// cancelled run stops with an error instead of printing results.
func TestSourcesCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{
		{"inventory", "--aws", ecsMixed},
		{"exposure", "--aws", ecsMixed},
		{"inventory", "--k8s", "../../internal/demo/estate/k8s/cluster.yaml"},
	} {
		var out, errb strings.Builder
		code := run(ctx, append([]string{"--cache-dir", t.TempDir()}, args...), &out, &errb)
		if code != 3 || out.Len() != 0 || !strings.Contains(errb.String(), "context canceled") {
			t.Errorf("%v cancelled: exit %d, stdout %d bytes, stderr %q", args, code, out.Len(), errb.String())
		}
	}
}

// TestHelmSetAndNamespace: --set reaches the chart (frontend.create=false
// removes the frontend Deployment) and --namespace the release namespace;
// both without --k8s are usage errors.
func TestHelmSetAndNamespace(t *testing.T) {
	chart := filepath.Join(demoDir, "helm-chart")
	names := func(args ...string) map[string]string {
		t.Helper()
		inv, _, _ := inventoryJSON(t, append([]string{"--k8s", chart}, args...)...)
		m := map[string]string{}
		for _, w := range inv.Workloads {
			m[w.Name] = w.Namespace
		}
		return m
	}
	def := names()
	if _, ok := def["frontend"]; !ok || def["frontend"] != "default" {
		t.Fatalf("chart defaults: frontend in %q (%v)", def["frontend"], def)
	}
	got := names("--set", "frontend.create=false", "--namespace", "shop")
	if _, ok := got["frontend"]; ok || len(got) != len(def)-1 || got["adservice"] != "shop" {
		t.Errorf("--set frontend.create=false --namespace shop: %v", got)
	}
	for _, args := range [][]string{{"inventory", "--aws", ecsMixed, "--set", "a=b"}, {"exposure", "--aws", ecsMixed, "--namespace", "x"}} {
		if _, _, code := runCLI(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestExposureHelpUsage: --aws is one source among others, not required.
func TestExposureHelpUsage(t *testing.T) {
	out, _, code := runCLI(t, "exposure", "--help")
	if code != 0 || !strings.Contains(out, "exposure [--aws DIR] [--docker") || !strings.Contains(out, "sightline exposure --k8s ./manifests") ||
		!strings.Contains(out, "sightline exposure --docker --host-id") {
		t.Errorf("exposure --help:\n%s", out)
	}
	// A runtime source alone is enough.
	if _, stderr, code := runCLI(t, "exposure", "--k8s", "../../internal/demo/estate/k8s/cluster.yaml"); code != 0 {
		t.Errorf("exposure --k8s alone: exit %d %s", code, stderr)
	}
}
