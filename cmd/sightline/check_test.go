package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/cliutil"
)

// realManifests are real Kubernetes manifests the rules package keeps
// (internal/check/rules/testdata/PROVENANCE.md).
var realManifests = filepath.Join("..", "..", "internal", "check", "rules", "testdata", "real")

const checkTestRules = `rules:
  - id: TEST-K8S-003
    title: Deployment runs more than 4 replicas
    severity: high
    inputs: [kubernetes]
    types: [Deployment]
    violations: object.spec.?replicas.orValue(1) > 4
  - id: TEST-K8S-004
    title: Service of type LoadBalancer
    severity: low
    inputs: [kubernetes]
    types: [Service]
    violations: object.spec.?type.orValue("ClusterIP") == "LoadBalancer"
`

// yamlReader is a stand-in Kubernetes Reader for the CLI tests (the real
// one lives in internal/check/kubernetes): one Object per YAML document
// with apiVersion and kind, and a Gap for a file that does not parse.
type yamlReader struct{}

func (yamlReader) Input() check.Input { return check.InputKubernetes }

func (yamlReader) Detect(path string, head []byte) bool {
	ext := filepath.Ext(path)
	return (ext == ".yaml" || ext == ".yml") && bytes.Contains(head, []byte("apiVersion:")) && bytes.Contains(head, []byte("kind:"))
}

func (yamlReader) Read(_ context.Context, paths []string) (check.Set, error) {
	var set check.Set
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			set.Gaps = append(set.Gaps, check.Gap{Input: check.InputKubernetes, Location: check.Location{File: p}, Reason: err.Error()})
			continue
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				set.Gaps = append(set.Gaps, check.Gap{Input: check.InputKubernetes, Location: check.Location{File: p}, Reason: err.Error()})
				break
			}
			var m map[string]any
			if n.Decode(&m) != nil || m == nil {
				continue
			}
			kind, _ := m["kind"].(string)
			meta, _ := m["metadata"].(map[string]any)
			name, _ := meta["name"].(string)
			set.Objects = append(set.Objects, check.Object{Input: check.InputKubernetes, Type: kind, Name: kind + "/" + name,
				Location: check.Location{File: p, Line: n.Content[0].Line}, Data: m})
		}
	}
	return set, nil
}

func testInputs(t *testing.T) *checkInputs {
	in := &checkInputs{files: &check.Registry{}}
	if err := in.files.Register(yamlReader{}); err != nil {
		t.Fatal(err)
	}
	in.k8s = yamlReader{}.Read
	in.k8sWith = func(namespace string, _ []string) func(context.Context, []string) (check.Set, error) {
		return func(ctx context.Context, paths []string) (check.Set, error) {
			set, err := yamlReader{}.Read(ctx, paths)
			for i := range set.Objects {
				set.Objects[i].Name = namespace + "/" + set.Objects[i].Name
			}
			return set, err
		}
	}
	return in
}

// runCheckWith runs `sightline check` with the given inputs in-process.
func runCheckWith(t *testing.T, in *checkInputs, format string, f checkFlags, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &cliutil.Globals{Stdout: &out, Stderr: &errb, Format: format}
	err := runCheck(context.Background(), g, &f, args, in)
	if err != nil {
		fmt.Fprintf(&errb, "sightline: %s\n", err)
	}
	return out.String(), errb.String(), cliutil.ExitCode(err)
}

func writeRules(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckCLIUsageErrors(t *testing.T) {
	bad := writeRules(t, "rules:\n  - id: X-1\n    title: t\n    severity: hgih\n    inputs: [kubernetes]\n    violations: 'true'\n")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"check"}, "nothing to check"},
		{[]string{"check", "--rules", bad, realManifests}, bad + `:4: severity "hgih"`},
		{[]string{"check", "--fail-on", "severe", realManifests}, `--fail-on: severity "severe"`},
		{[]string{"check", "/nonexistent/dir"}, "/nonexistent/dir: no such file or directory"},
		{[]string{"check", "--format", "html", realManifests}, `--format "html" is not supported by check (supported: table, json, sarif)`},
		{[]string{"check", "--aws", "/nonexistent"}, "--aws /nonexistent: no such file or directory"},
		{[]string{"check", "--allow-unchecked", realManifests}, "--allow-unchecked applies to the --fail-on gate"},
		{[]string{"check", "--ignore-file", "/nonexistent/.sightline.yaml", realManifests}, "/nonexistent/.sightline.yaml"},
		{[]string{"check", "--set", "a=b", realManifests}, "--namespace and --set apply to --k8s manifests and charts"},
	}
	for _, c := range cases {
		_, stderr, code := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

func TestCheckCLIFindingsAndGate(t *testing.T) {
	in := testInputs(t)
	rf := writeRules(t, checkTestRules)
	f := checkFlags{rules: []string{rf}, noBuiltin: true}
	out, stderr, code := runCheckWith(t, in, "table", f, realManifests)
	if code != 0 {
		t.Fatalf("exit %d without --fail-on: %s", code, stderr)
	}
	out = strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"real/frontend.yaml Service/frontend-external 123 LOW TEST-K8S-004 Service of type LoadBalancer", "real/inflate.yaml Deployment/inflate 1 HIGH TEST-K8S-003 Deployment runs more than 4 replicas",
		"Checked objects: 7 kubernetes. Rules: 2 enabled (2 applied", "2 finding(s) (1 high, 1 low)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	f.failOn = "high"
	_, stderr, code = runCheckWith(t, in, "table", f, realManifests)
	if code != 1 || !strings.Contains(stderr, "1 finding(s) at or above high (first: TEST-K8S-003 Deployment/inflate at") {
		t.Fatalf("--fail-on high: exit %d, %s", code, stderr)
	}
	// The ignore file suppresses by rule ID; the gate then passes.
	ig := filepath.Join(t.TempDir(), "ignore.yaml")
	if err := os.WriteFile(ig, []byte("ignore:\n  - id: TEST-K8S-003\n    reason: load test cluster\n    expires: 2999-01-01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.ignoreFile = ig
	out, stderr, code = runCheckWith(t, in, "json", f, realManifests)
	if code != 0 {
		t.Fatalf("with ignore file: exit %d: %s", code, stderr)
	}
	var doc struct {
		Schema  string
		Summary struct {
			Objects    map[string]int
			Findings   int
			Suppressed int
			Rules      int
		}
		Suppressed []struct {
			RuleID     string `json:"rule_id"`
			Suppressed struct{ By, Reason string }
		}
		Gate struct{ Passed bool }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "sightline.check/v1" || doc.Summary.Objects["kubernetes"] != 7 || doc.Summary.Findings != 1 ||
		doc.Summary.Suppressed != 1 || !doc.Gate.Passed || doc.Suppressed[0].Suppressed.Reason != "load test cluster" ||
		!strings.HasPrefix(doc.Suppressed[0].Suppressed.By, "ignore-file "+ig+":2") {
		t.Fatalf("JSON %+v", doc)
	}
}

func TestCheckCLIGateDoesNotPassOverGaps(t *testing.T) {
	dir := t.TempDir()
	// A manifest that does not parse, and a README the walk skips.
	if err := os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte("apiVersion: v1\nkind: Pod\nmetadata: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := testInputs(t)
	f := checkFlags{rules: []string{writeRules(t, checkTestRules)}, noBuiltin: true, failOn: "low"}
	out, stderr, code := runCheckWith(t, in, "table", f, dir)
	if code != 1 || !strings.Contains(stderr, "the gate cannot pass over what it could not check: 1 gap(s)") ||
		!strings.Contains(stderr, "no rule was evaluated on any object") {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	out = strings.Join(strings.Fields(out), " ")
	if !strings.Contains(out, "Not checked (1):") || !strings.Contains(out, "1 file(s) skipped as no input") {
		t.Errorf("table does not count the gap and the skipped file:\n%s", out)
	}
	f.allowUnchecked = true
	_, stderr, code = runCheckWith(t, in, "table", f, dir)
	if code != 0 || !strings.Contains(stderr, "passed with --allow-unchecked over what it could not check") {
		t.Fatalf("--allow-unchecked: exit %d, %s", code, stderr)
	}
}

func TestCheckCLIInputsNotBuiltAreGaps(t *testing.T) {
	// Without any reader, a Kubernetes manifest named on the command line
	// and a .tf file under a directory are gaps, never skipped.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte("resource \"aws_instance\" \"a\" {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := &checkInputs{files: &check.Registry{}}
	f := checkFlags{rules: []string{writeRules(t, checkTestRules)}, noBuiltin: true}
	out, _, code := runCheckWith(t, empty, "json", f, filepath.Join(realManifests, "frontend.yaml"), dir)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Gaps []struct {
			Input  string
			Reason string
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Gaps) != 2 || doc.Gaps[0].Input != "kubernetes" || doc.Gaps[1].Input != "terraform" {
		t.Fatalf("gaps %+v, want kubernetes and terraform", doc.Gaps)
	}
	_, stderr, code := runCheckWith(t, empty, "table", checkFlags{k8s: []string{realManifests}})
	if code != 2 || !strings.Contains(stderr, "--k8s: the kubernetes input is not part of this build") {
		t.Fatalf("--k8s without the input: exit %d, %s", code, stderr)
	}
	plain := &checkInputs{files: &check.Registry{}, k8s: yamlReader{}.Read}
	_, stderr, code = runCheckWith(t, plain, "table", checkFlags{k8s: []string{realManifests}, set: []string{"a=b"}})
	if code != 2 || !strings.Contains(stderr, "--namespace and --set are not supported by this build's Kubernetes input") {
		t.Fatalf("--set without k8sWith: exit %d, %s", code, stderr)
	}
}

func TestCheckCLISARIF(t *testing.T) {
	in := testInputs(t)
	f := checkFlags{rules: []string{writeRules(t, checkTestRules)}, noBuiltin: true, k8s: []string{filepath.Join(realManifests, "inflate.yaml")}, namespace: "prod"}
	out, stderr, code := runCheckWith(t, in, "sarif", f)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var log struct {
		Version string
		Runs    []struct {
			Results []struct {
				RuleID    string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs[0].Results) != 1 || !strings.Contains(out, `"object": "prod/Deployment/inflate"`) {
		t.Fatalf("SARIF (--namespace prod) %s", out)
	}
	r := log.Runs[0].Results[0]
	if r.RuleID != "TEST-K8S-003" || r.Locations[0].PhysicalLocation.ArtifactLocation.URI != "../../internal/check/rules/testdata/real/inflate.yaml" ||
		r.Locations[0].PhysicalLocation.Region.StartLine != 1 {
		t.Errorf("result %+v", r)
	}
}

func TestCheckCLIListRules(t *testing.T) {
	rf := writeRules(t, checkTestRules+`  - id: TEST-OFF
    disabled: true
    title: off
    severity: low
    inputs: [aws]
    violations: "true"
`)
	out, stderr, code := runCLI(t, "check", "--list-rules", "--no-builtin-rules", "--rules", rf)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "TEST-K8S-003") || !strings.Contains(out, "TEST-K8S-004") || strings.Contains(out, "TEST-OFF") ||
		!strings.Contains(out, "2 rule(s) enabled, 1 disabled.") {
		t.Fatalf("list:\n%s", out)
	}
	out, _, code = runCLI(t, "check", "--list-rules", "--no-builtin-rules", "--rules", rf, "--format", "json")
	var doc struct {
		Rules []struct{ ID, Violations, Source string }
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Rules) != 2 ||
		doc.Rules[0].Violations == "" || doc.Rules[0].Source != rf+":2" {
		t.Fatalf("json list (exit %d): %s", code, out)
	}
}

// TestCheckCLISymlinksInDirectories: under a directory, a symbolic link to
// a file is read as the file (it was dropped without a trace: not read,
// not a gap, not counted); links to directories, looping and dangling
// links are not followed but counted as skipped.
func TestCheckCLISymlinksInDirectories(t *testing.T) {
	src, err := filepath.Abs(filepath.Join(realManifests, "inflate.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, l := range [][2]string{
		{src, "inflate.yaml"},        // a link to a manifest: read
		{dir, "up"},                  // a link to a directory (a loop): not followed
		{"self", "self"},             // a looping link
		{"missing.yaml", "dangling"}, // a dangling link
	} {
		if err := os.Symlink(l[0], filepath.Join(dir, l[1])); err != nil {
			t.Skip("symlinks:", err)
		}
	}
	out, stderr, code := runCheckWith(t, testInputs(t), "json", checkFlags{rules: []string{writeRules(t, checkTestRules)}, noBuiltin: true}, dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Summary struct {
			Objects      map[string]int
			FilesSkipped int `json:"files_skipped"`
		}
		Gaps []any
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.Objects["kubernetes"] == 0 || doc.Summary.FilesSkipped != 3 || len(doc.Gaps) != 0 {
		t.Errorf("objects %v, skipped %d (want 3), gaps %v", doc.Summary.Objects, doc.Summary.FilesSkipped, doc.Gaps)
	}
}

// TestCheckCLISameFileTwice: a file reached by two spellings of its path
// (a directory and the file in it, relative and absolute) is checked once;
// its findings were reported twice.
func TestCheckCLISameFileTwice(t *testing.T) {
	rel := filepath.Join(realManifests, "inflate.yaml")
	abs, err := filepath.Abs(rel)
	if err != nil {
		t.Fatal(err)
	}
	f := checkFlags{rules: []string{writeRules(t, checkTestRules)}, noBuiltin: true}
	count := func(args ...string) int {
		t.Helper()
		out, stderr, code := runCheckWith(t, testInputs(t), "json", f, args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var doc struct{ Summary struct{ Evaluations int } }
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Summary.Evaluations
	}
	once := count(rel)
	if twice := count(rel, abs, "./"+rel, realManifests); once == 0 || twice != count(realManifests) {
		t.Errorf("evaluations: file once %d; file, its absolute path and its directory %d, the directory alone %d", once, twice, count(realManifests))
	}
}
