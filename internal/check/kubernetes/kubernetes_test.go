package kubernetes

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/workload/kube"
)

const (
	goat = "testdata/kubernetes-goat"
	demo = "testdata/microservices-demo"
)

func read(t *testing.T, opts kube.LoadOptions, paths ...string) check.Set {
	t.Helper()
	set, err := Read(context.Background(), paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func byName(t *testing.T, set check.Set, name string) check.Object {
	t.Helper()
	for _, o := range set.Objects {
		if o.Name == name {
			return o
		}
	}
	var names []string
	for _, o := range set.Objects {
		names = append(names, o.Name)
	}
	t.Fatalf("no object %s in %v", name, names)
	return check.Object{}
}

// TestReadGoatHealthCheck: the real insecure manifest is read with the
// line of each field, so a finding on privileged points at line 25.
func TestReadGoatHealthCheck(t *testing.T) {
	path := filepath.Join(goat, "health-check", "deployment.yaml")
	set := read(t, kube.LoadOptions{}, path)
	if len(set.Gaps) != 0 || len(set.Objects) != 2 {
		t.Fatalf("objects %d gaps %v", len(set.Objects), set.Gaps)
	}
	d := byName(t, set, "default/Deployment/health-check-deployment")
	if d.Input != check.InputKubernetes || d.Type != "Deployment" || d.Location != (check.Location{File: path, Line: 1}) {
		t.Errorf("object %+v %v", d.Location, d.Type)
	}
	for p, want := range map[string]int{
		"spec.template.spec.containers[0].securityContext.privileged": 25,
		"spec.template.spec.containers[0]":                            15,
		"spec.template.spec.containers[0].ports[0].containerPort":     22,
		"spec.template.spec.volumes[0].hostPath.path":                 32,
		"metadata.name": 4,
	} {
		if got := d.Lines[p]; got != want {
			t.Errorf("Lines[%s] = %d, want %d", p, got, want)
		}
	}
	if d.Vars["podSpecPath"] != "spec.template.spec" || d.Vars["podMetaPath"] != "spec.template.metadata" {
		t.Errorf("vars %v", d.Vars)
	}
	cs := d.Vars["containers"].([]any)
	if len(cs) != 1 {
		t.Fatalf("containers %v", cs)
	}
	c := cs[0].(map[string]any)
	if c["path"] != "spec.template.spec.containers[0]" || c["kind"] != "containers" {
		t.Errorf("container %v", c)
	}
	port := c["container"].(map[string]any)["ports"].([]any)[0].(map[string]any)["containerPort"]
	if port != int64(80) {
		t.Errorf("containerPort %#v, want int64 80", port)
	}
	s := byName(t, set, "default/Service/health-check-service")
	if s.Location.Line != 35 || s.Vars["podSpec"] != nil || s.Vars["podSpecPath"] != "" || len(s.Vars["containers"].([]any)) != 0 {
		t.Errorf("service %v %v", s.Location, s.Vars)
	}
}

// TestLinesMatchText: over every real manifest file, each path's line
// holds that path's last key (or, for a list item, the item's "- ").
func TestLinesMatchText(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(demo, "kubernetes-manifests", "*service.yaml"))
	more, _ := filepath.Glob(filepath.Join(goat, "*", "*.yaml"))
	files = append(append(files, more...), filepath.Join(demo, "release", "kubernetes-manifests.yaml"))
	checked := 0
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(text), "\n")
		set := read(t, kube.LoadOptions{}, f)
		for _, o := range set.Objects {
			if len(o.Lines) == 0 {
				t.Errorf("%s: no lines", o.Name)
			}
			for p, n := range o.Lines {
				l := lines[n-1]
				if strings.HasSuffix(p, "]") && !strings.HasSuffix(p, "\"]") {
					if !strings.Contains(l, "- ") && !strings.Contains(l, "[") {
						t.Errorf("%s %s: line %d %q is not a list item", f, p, n, l)
					}
				} else if key := lastKey(p); !strings.Contains(l, key+":") && !strings.Contains(l, key+`":`) {
					t.Errorf("%s %s: line %d %q does not hold key %q", f, p, n, l, key)
				}
				checked++
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d paths checked", checked)
	}
}

func lastKey(p string) string {
	if strings.HasSuffix(p, "\"]") {
		i := strings.LastIndex(p, "[\"")
		k, _ := strconv.Unquote(p[i+1 : len(p)-1])
		return k
	}
	return p[strings.LastIndexAny(p, ".]")+1:]
}

// TestReadKustomize: a kustomization is built; its output has no lines
// of its own, so objects carry none (never a wrong line) and are located
// at the kustomization file, and files under it given too are not read
// twice.
func TestReadKustomize(t *testing.T) {
	dir := filepath.Join(demo, "kubernetes-manifests")
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	set := read(t, kube.LoadOptions{}, files...) // kustomization.yaml is among them
	if len(set.Gaps) != 0 {
		t.Fatalf("gaps %v", set.Gaps)
	}
	n := 0
	for _, o := range set.Objects {
		if o.Type == "Deployment" {
			n++
		}
		if o.Lines != nil || o.Location.Line != 0 || o.Location.File != filepath.Join(dir, "kustomization.yaml") ||
			o.Location.Resource != "kustomization "+dir {
			t.Errorf("%s: location %v, %d lines", o.Name, o.Location, len(o.Lines))
		}
	}
	if n != 11 {
		t.Errorf("%d Deployments, want 11 (each once)", n)
	}
}

// TestReadHelm: a template file stands for its chart, which is rendered
// with the values given; a rendered object is located at its template
// file, without lines (the rendered text's lines are not the
// template's), the rendered line being named in the resource.
func TestReadHelm(t *testing.T) {
	tmpl := filepath.Join(demo, "helm-chart", "templates", "frontend.yaml")
	set := read(t, kube.LoadOptions{Values: []string{"seccompProfile.enable=true"}}, tmpl, filepath.Join(demo, "helm-chart", "Chart.yaml"))
	d := byName(t, set, "default/Deployment/frontend")
	if d.Location.File != tmpl || d.Location.Line != 0 || d.Lines != nil ||
		d.Location.Resource != "chart "+filepath.Join(demo, "helm-chart")+" (Helm) onlineboutique/templates/frontend.yaml, line 20 of the rendered output" {
		t.Errorf("location %+v, %d lines", d.Location, len(d.Lines))
	}
	spec := d.Vars["podSpec"].(map[string]any)
	if spec["securityContext"].(map[string]any)["seccompProfile"].(map[string]any)["type"] != "RuntimeDefault" {
		t.Errorf("values not applied: %v", spec["securityContext"])
	}
	deployments := 0
	for _, o := range set.Objects {
		if o.Type == "Deployment" {
			deployments++
		}
	}
	if deployments < 11 {
		t.Errorf("%d deployments", deployments)
	}
}

// TestVarsKinds: podSpec is found for every kind that makes Pods
// (hand-written minimal objects, one per kind).
func TestVarsKinds(t *testing.T) {
	spec := map[string]any{"containers": []any{map[string]any{"name": "a"}}, "initContainers": []any{map[string]any{"name": "i"}}}
	tmpl := map[string]any{"metadata": map[string]any{"annotations": map[string]any{"x": "y"}}, "spec": spec}
	cases := map[string]map[string]any{
		"Pod":                   {"metadata": map[string]any{"name": "p"}, "spec": spec},
		"PodTemplate":           {"metadata": map[string]any{"name": "p"}, "template": tmpl},
		"Deployment":            {"metadata": map[string]any{"name": "p"}, "spec": map[string]any{"template": tmpl}},
		"ReplicationController": {"metadata": map[string]any{"name": "p"}, "spec": map[string]any{"template": tmpl}},
		"CronJob":               {"metadata": map[string]any{"name": "p"}, "spec": map[string]any{"jobTemplate": map[string]any{"spec": map[string]any{"template": tmpl}}}},
	}
	for kind, data := range cases {
		data["apiVersion"], data["kind"] = "v1", kind
		o, err := newObject(source{}, data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(o.Vars["podSpec"], spec) {
			t.Errorf("%s: podSpec %v", kind, o.Vars["podSpec"])
		}
		cs := o.Vars["containers"].([]any)
		if len(cs) != 2 || cs[0].(map[string]any)["kind"] != "initContainers" {
			t.Errorf("%s: containers %v", kind, cs)
		}
		want := podSpecPaths[kind][0] + ".containers[0]"
		if cs[1].(map[string]any)["path"] != want {
			t.Errorf("%s: path %v, want %s", kind, cs[1].(map[string]any)["path"], want)
		}
	}
	o, _ := newObject(source{}, map[string]any{"apiVersion": "v1", "kind": "ClusterRole", "metadata": map[string]any{"name": "r"}})
	if o.Name != "ClusterRole/r" || o.Vars["podSpec"] != nil {
		t.Errorf("cluster-scoped %v %v", o.Name, o.Vars)
	}
}

// TestListsAndIgnores (hand-written input): List items are objects with
// lines of their own; ignore comments belong to the item they are in, and
// text that only looks like one (inside a string) is not one.
func TestListsAndIgnores(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "list.yaml")
	text := `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: a # sightline:ignore SL-K8S-001 token needed by the agent
    namespace: ops
  spec:
    containers:
    - name: c
      image: x
      args: ["# sightline:ignore SL-K8S-002 not a comment"]
# sightline:ignore SL-K8S-PSS-001 debugging only
- apiVersion: v1
  kind: Pod
  metadata:
    name: b
  spec:
    containers:
    - name: c
      image: "y # sightline:ignore SL-K8S-003 also not a comment"
`
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	set := read(t, kube.LoadOptions{}, p)
	if len(set.Objects) != 2 || len(set.Gaps) != 0 {
		t.Fatalf("objects %d gaps %v", len(set.Objects), set.Gaps)
	}
	a, b := byName(t, set, "ops/Pod/a"), byName(t, set, "default/Pod/b")
	if a.Location.Line != 4 || b.Location.Line != 15 {
		t.Errorf("lines %d %d", a.Location.Line, b.Location.Line)
	}
	if a.Lines["spec.containers[0].image"] != 12 || b.Lines["spec.containers[0].image"] != 22 {
		t.Errorf("image lines %d %d", a.Lines["spec.containers[0].image"], b.Lines["spec.containers[0].image"])
	}
	wantA := []check.Ignore{{RuleID: "SL-K8S-001", Reason: "token needed by the agent", Line: 7}}
	wantB := []check.Ignore{{RuleID: "SL-K8S-PSS-001", Reason: "debugging only", Line: 14}}
	if !reflect.DeepEqual(a.Ignores, wantA) || !reflect.DeepEqual(b.Ignores, wantB) {
		t.Errorf("ignores a %+v b %+v", a.Ignores, b.Ignores)
	}
}

// TestAnnotationPath: keys holding dots are written ["…"], the syntax the
// rule engine reads.
func TestAnnotationPath(t *testing.T) {
	set := read(t, kube.LoadOptions{}, filepath.Join(demo, "kubernetes-manifests", "frontend.yaml"))
	d := byName(t, set, "default/Deployment/frontend")
	if n := d.Lines[`spec.template.metadata.annotations["sidecar.istio.io/rewriteAppHTTPProbers"]`]; n != 30 {
		t.Errorf("annotation line %d, want 30", n)
	}
}

// TestGaps: what cannot be read is a Gap naming file and line; other
// paths are still read.
func TestGaps(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: Pod\nmetadata: [\n"), 0o600)
	noName := filepath.Join(dir, "noname.yaml")
	os.WriteFile(noName, []byte("apiVersion: v1\nkind: Pod\nmetadata: {}\n"), 0o600)
	health := filepath.Join(goat, "health-check", "deployment.yaml")
	set, err := Read(context.Background(), []string{bad, filepath.Join(dir, "missing.yaml"), noName, health}, kube.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{bad + ":6": false, filepath.Join(dir, "missing.yaml") + ":0": false, noName + ":1": false}
	for _, g := range set.Gaps {
		k := g.Location.File + ":" + strconv.Itoa(g.Location.Line)
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected gap %+v", g)
		}
		want[k] = true
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("no gap at %s; gaps %+v", k, set.Gaps)
		}
	}
	byName(t, set, "default/Pod/ok")
	byName(t, set, "default/Deployment/health-check-deployment")
}

func TestDetect(t *testing.T) {
	health, _ := os.ReadFile(filepath.Join(goat, "health-check", "deployment.yaml"))
	tmpl, _ := os.ReadFile(filepath.Join(demo, "helm-chart", "templates", "frontend.yaml"))
	values, _ := os.ReadFile(filepath.Join(demo, "helm-chart", "values.yaml"))
	for _, c := range []struct {
		path string
		head string
		want bool
	}{
		{"deploy.yaml", string(health), true},
		{"templates/frontend.yaml", string(tmpl), true},
		{"values.yaml", string(values), false},
		{"Chart.yaml", "apiVersion: v2\nname: x\n", true},
		{"kustomization.yaml", "resources: []\n", true},
		{"pod.json", `{"apiVersion": "v1", "kind": "Pod"}`, true},
		{"bom.yaml", "\xef\xbb\xbfapiVersion: v1\nkind: Pod\n", true},
		{"package.json", `{"name": "x", "kind": "y"}`, false},
		{"compose.yaml", "services:\n  web:\n    image: x\n", false},
		{"Dockerfile", "FROM x\n", false},
	} {
		if got := Detect(c.path, []byte(c.head)); got != c.want {
			t.Errorf("Detect(%s) = %v", c.path, got)
		}
	}
}

// TestFromAdmission: the object of an admission request becomes the same
// Object the manifest reader makes (bar lines and location).
func TestFromAdmission(t *testing.T) {
	path := filepath.Join(goat, "system-monitor", "deployment.yaml")
	set := read(t, kube.LoadOptions{}, path)
	want := byName(t, set, "default/Deployment/system-monitor-deployment")
	docs := 0
	_, err := kube.ReadDocuments(context.Background(), []string{path}, kube.LoadOptions{}, func(d kube.RawDocument) error {
		docs++
		if docs != 2 {
			return nil
		}
		got, err := FromAdmission(d.JSON, AdmissionRequest{UID: "u1", Namespace: "default"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != want.Name || !reflect.DeepEqual(got.Data, want.Data) || !reflect.DeepEqual(got.Vars, want.Vars) {
			t.Errorf("admission object differs: %v", got.Name)
		}
		if got.Location.Resource != "admission request u1: default/Deployment/system-monitor-deployment" {
			t.Errorf("resource %q", got.Location.Resource)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "null", "[1]", `{"kind":"Pod"}`, `{"apiVersion":"v1","kind":"Pod","metadata":{}}`, `{"apiVersion":"v1"`} {
		if _, err := FromAdmission([]byte(bad), AdmissionRequest{UID: "u2"}); err == nil || !strings.Contains(err.Error(), "u2") {
			t.Errorf("FromAdmission(%q) error %v", bad, err)
		}
	}
	o, err := FromAdmission([]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"web-"}}`), AdmissionRequest{Namespace: "shop"})
	if err != nil || o.Name != "shop/Pod/web-" {
		t.Errorf("generateName: %v %v", o.Name, err)
	}
}

// TestFromLive: typed objects (as the live collector lists them, here
// decoded from the real release manifests) become Objects whose Data
// holds what the manifest says.
func TestFromLive(t *testing.T) {
	path := filepath.Join(demo, "release", "kubernetes-manifests.yaml")
	objs, err := kube.LoadManifests(context.Background(), []string{path}, kube.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	objs.Cluster = "kind-test"
	live := FromLive(objs)
	fromFile := read(t, kube.LoadOptions{}, path)
	d := byName(t, live, "default/Deployment/frontend")
	f := byName(t, fromFile, "default/Deployment/frontend")
	if d.Location.Resource != "kind-test: default/Deployment/frontend" || d.Data["apiVersion"] != "apps/v1" {
		t.Errorf("live object %v %v", d.Location, d.Data["apiVersion"])
	}
	lc := d.Vars["containers"].([]any)[0].(map[string]any)["container"].(map[string]any)
	fc := f.Vars["containers"].([]any)[0].(map[string]any)["container"].(map[string]any)
	if !reflect.DeepEqual(lc["securityContext"], fc["securityContext"]) || lc["image"] != fc["image"] {
		t.Errorf("live container %v, file %v", lc["securityContext"], fc["securityContext"])
	}
	if len(live.Objects) != len(objs.Deployments)+len(objs.Services)+len(objs.ServiceAccounts) {
		t.Errorf("%d objects", len(live.Objects))
	}
}

// TestKustomizeDropsComments (hand-written input): kustomize build does
// not keep comments, so an ignore comment in a kustomization's resource
// does not reach the built object (docs/check-kubernetes.md says to use
// the ignore file); the object has no lines either.
func TestKustomizeDropsComments(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("resources:\n- pod.yaml\nnamePrefix: k-\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "pod.yaml"), []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  # sightline:ignore SL-K8S-PSS-002 needs the node's network\n  hostNetwork: true\n  containers:\n  - name: c\n    image: x\n"), 0o600)
	set := read(t, kube.LoadOptions{}, dir)
	o := byName(t, set, "default/Pod/k-p")
	if len(o.Ignores) != 0 || o.Lines != nil || o.Location.Line != 0 {
		t.Errorf("ignores %+v, %d lines, line %d", o.Ignores, len(o.Lines), o.Location.Line)
	}
	if o.Data["spec"].(map[string]any)["hostNetwork"] != true {
		t.Errorf("spec %v", o.Data["spec"])
	}
}

// TestHelmKeepsIgnores (hand-written chart): comments in a template are in
// the rendered output, so an inline ignore works for charts (without a
// line: rendered lines are not the template's).
func TestHelmKeepsIgnores(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "templates"), 0o700)
	os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: c\nversion: 0.1.0\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "templates", "pod.yaml"), []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-p\nspec:\n  # sightline:ignore SL-K8S-PSS-002 needs the node's network\n  hostNetwork: true\n  containers:\n  - name: c\n    image: x\n"), 0o600)
	set := read(t, kube.LoadOptions{}, dir)
	o := byName(t, set, "default/Pod/release-name-p")
	want := []check.Ignore{{RuleID: "SL-K8S-PSS-002", Reason: "needs the node's network"}}
	if !reflect.DeepEqual(o.Ignores, want) || o.Location.File != filepath.Join(dir, "templates", "pod.yaml") {
		t.Errorf("ignores %+v, location %+v", o.Ignores, o.Location)
	}
}

// TestInputRoots: what the CLI's file walk hands over is mapped to what is
// read — a chart once (its Chart.yaml, templates and subchart files all
// stand for it), a kustomization once (its resources dropped), plain files
// as they are.
func TestInputRoots(t *testing.T) {
	chart := filepath.Join(demo, "helm-chart")
	kust := filepath.Join(demo, "kubernetes-manifests")
	templates, _ := filepath.Glob(filepath.Join(chart, "templates", "*.yaml"))
	resources, _ := filepath.Glob(filepath.Join(kust, "*.yaml"))
	paths := append(append([]string{filepath.Join(chart, "Chart.yaml")}, templates...), resources...)
	paths = append(paths, filepath.Join(goat, "health-check", "deployment.yaml"))
	got := inputRoots(paths)
	want := []string{chart, kust, filepath.Join(goat, "health-check", "deployment.yaml")}
	if !slices.Equal(got, want) {
		t.Errorf("roots %v, want %v", got, want)
	}
}

// `sightline check .` in a kustomization directory reads each resource
// once, through the kustomization: with the directory "." the files under
// it were also read directly, and every finding came twice.
func TestKustomizationInWorkingDirectoryReadOnce(t *testing.T) {
	dir := t.TempDir()
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x:1\n"
	for name, src := range map[string]string{"pod.yaml": pod, "kustomization.yaml": "resources:\n- pod.yaml\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	set, err := Reader{}.Read(context.Background(), []string{"kustomization.yaml", "pod.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Objects) != 1 || len(set.Gaps) != 0 {
		t.Errorf("objects %d (want 1), gaps %v", len(set.Objects), set.Gaps)
	}
	for _, c := range []struct {
		p, d string
		want bool
	}{{"pod.yaml", ".", true}, {"a/b.yaml", "a", true}, {"ab/c.yaml", "a", false}, {".", ".", false}, {"../x.yaml", ".", false}} {
		if got := under(c.p, c.d); got != c.want {
			t.Errorf("under(%q, %q) = %v", c.p, c.d, got)
		}
	}
}

// TestNestedKustomizations: a kustomization under another one is read on
// its own (an overlay the parent does not list was dropped with the
// parent's resources, so its objects went unchecked without a trace),
// unless the parent lists it as a resource — then it is built through the
// parent only — or it is a Component, which cannot be built alone and is
// checked through the kustomizations that list it. (Hand-written tree, the
// shape of microservices-demo's kustomize/ directory.)
func TestNestedKustomizations(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"kustomization.yaml":         "resources:\n- base\n",
		"base/kustomization.yaml":    "resources:\n- pod.yaml\n",
		"base/pod.yaml":              "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x:1\n",
		"overlay/kustomization.yaml": "resources:\n- ../base\ncomponents:\n- ../comp\n",
		"comp/kustomization.yaml":    "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches: []\n",
	}
	var paths []string
	for name, src := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	slices.Sort(paths)
	got := inputRoots(paths)
	want := []string{root, filepath.Join(root, "overlay")}
	if !slices.Equal(got, want) {
		t.Errorf("roots %v, want %v", got, want)
	}
}

// TestWrongFieldTypesAreGaps: a Pod whose containers are written as a map,
// or whose privileged flag is the string "true", is rejected by the API
// server; rules would read it wrongly (the string is not true), so it is a
// gap naming the field, never a clean object. (Hand-written: the mistakes
// a tester typed.)
func TestWrongFieldTypesAreGaps(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pods.yaml")
	src := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: w3\nspec:\n  containers:\n    name: c\n    image: x:1\n" +
		"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x:1\n    securityContext:\n      privileged: \"true\"\n" +
		"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\nspec:\n  containers:\n  - name: c\n    image: x:1\n"
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := Reader{}.Read(context.Background(), []string{p})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Objects) != 1 || set.Objects[0].Name != "default/Pod/ok" || len(set.Gaps) != 2 {
		t.Fatalf("objects %d, gaps %+v", len(set.Objects), set.Gaps)
	}
	if g := set.Gaps[1]; g.Location.Line != 10 || !strings.Contains(g.Reason, "the API server rejects it") || !strings.Contains(g.Reason, "privileged") {
		t.Errorf("gap %+v", g)
	}
}
