package rules

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/suppress"
)

func loadTest(t *testing.T, paths ...string) *Set {
	t.Helper()
	s, err := Load(context.Background(), Options{Paths: paths, NoBuiltin: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func realSet(t *testing.T) check.Set {
	var set check.Set
	for _, f := range []string{"testdata/real/frontend.yaml", "testdata/real/loadgenerator.yaml", "testdata/real/inflate.yaml"} {
		set.Objects = append(set.Objects, k8sObjects(t, f)...)
	}
	return set
}

func findingsOf(res Result, id string) []Finding {
	var out []Finding
	for _, f := range res.Findings {
		if f.RuleID == id {
			out = append(out, f)
		}
	}
	return out
}

func TestEvaluateRealManifests(t *testing.T) {
	s := loadTest(t, "testdata/rules/test-rules.yaml")
	set := realSet(t)
	res := s.Evaluate(context.Background(), set)
	if len(res.Gaps) != 0 || len(res.Unknown) != 0 {
		t.Fatalf("gaps %v unknown %v", res.Gaps, res.Unknown)
	}
	// frontend sets readOnlyRootFilesystem: true; loadgenerator's
	// frontend-check init container and main container both set it too;
	// inflate sets no securityContext at all.
	ro := findingsOf(res, "TEST-K8S-001")
	if len(ro) != 1 || ro[0].Object != "Deployment/inflate" {
		t.Fatalf("TEST-K8S-001 = %+v, want only Deployment/inflate", ro)
	}
	// The field is missing: the line is its nearest parent's, container 0.
	if ro[0].Location.Line != 17 || ro[0].Path != "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem" {
		t.Errorf("location %+v path %s, want line 17 (the container)", ro[0].Location, ro[0].Path)
	}
	if ro[0].Message != "container inflate has a writable root filesystem" || ro[0].Severity != "medium" {
		t.Errorf("finding %+v", ro[0])
	}
	// Every image in these manifests is by tag.
	tags := findingsOf(res, "TEST-K8S-002")
	if len(tags) < 3 {
		t.Fatalf("TEST-K8S-002: %d findings, want one per container (>= 3)", len(tags))
	}
	lines := map[string]map[string]int{}
	for _, o := range set.Objects {
		lines[o.Name] = o.Lines
	}
	for _, f := range tags {
		if !strings.HasSuffix(f.Path, ".image") || f.Location.Line != lines[f.Object][f.Path] || f.Location.Line == 0 {
			t.Errorf("image finding %+v: want the line of %s", f, f.Path)
		}
	}
	// Bool rules: inflate has 5 replicas, loadgenerator 1, frontend none.
	rep := findingsOf(res, "TEST-K8S-003")
	if len(rep) != 1 || rep[0].Object != "Deployment/inflate" || rep[0].Message != "Deployment runs more than 4 replicas" {
		t.Fatalf("TEST-K8S-003 = %+v", rep)
	}
	if rep[0].Location.Line != 1 {
		t.Errorf("bool rule line = %d, want the object's line 1", rep[0].Location.Line)
	}
	if got := res.Stats.Objects[check.InputKubernetes]; got != len(set.Objects) {
		t.Errorf("stats objects = %d, want %d", got, len(set.Objects))
	}
	if res.Stats.Rules != 3 || res.Stats.RulesApplied != 3 {
		t.Errorf("stats %+v", res.Stats)
	}
}

func TestEvaluateUnknownPath(t *testing.T) {
	s := loadTest(t, "testdata/rules/test-rules.yaml")
	set := realSet(t)
	var inflate *check.Object
	for i := range set.Objects {
		if set.Objects[i].Name == "Deployment/inflate" {
			inflate = &set.Objects[i]
		}
	}
	inflate.Unknown = []string{"spec.replicas"}
	res := s.Evaluate(context.Background(), set)
	if n := len(findingsOf(res, "TEST-K8S-003")); n != 0 {
		t.Fatalf("TEST-K8S-003 found %d with spec.replicas unknown, want an unknown result", n)
	}
	if len(res.Unknown) != 1 || res.Unknown[0].RuleID != "TEST-K8S-003" || res.Unknown[0].Object != "Deployment/inflate" ||
		strings.Join(res.Unknown[0].Paths, ",") != "spec.replicas" {
		t.Fatalf("unknown = %+v", res.Unknown)
	}
	// Rules that do not read the unknown value are decided normally.
	if n := len(findingsOf(res, "TEST-K8S-001")); n != 1 {
		t.Errorf("TEST-K8S-001: %d findings, want 1", n)
	}
}

func TestEvaluateRuntimeErrorIsGap(t *testing.T) {
	s := loadTest(t, "testdata/vap/typechecking-multiple-match.yaml")
	res := s.Evaluate(context.Background(), realSet(t))
	// object.replicas does not exist on any Deployment: each is a Gap
	// naming rule and object, none is a pass or a finding.
	if len(res.Findings) != 0 || len(res.Gaps) != 3 {
		t.Fatalf("findings %v gaps %v, want 3 gaps", res.Findings, res.Gaps)
	}
	for _, g := range res.Gaps {
		if !strings.Contains(g.Reason, "VAP/replica-policy.example.com/1") || !strings.Contains(g.Reason, "Deployment/") {
			t.Errorf("gap %q does not name rule and object", g.Reason)
		}
	}
}

func TestInlineIgnore(t *testing.T) {
	s := loadTest(t, "testdata/rules/test-rules.yaml")
	set := realSet(t)
	for i := range set.Objects {
		switch set.Objects[i].Name {
		case "Deployment/inflate":
			set.Objects[i].Ignores = []check.Ignore{{RuleID: "test-k8s-003", Reason: "load test", Line: 5}}
		case "Deployment/frontend":
			set.Objects[i].Ignores = []check.Ignore{{RuleID: "TEST-K8S-002", Line: 3}, {RuleID: "TEST-NOPE", Reason: "x", Line: 4}}
		}
	}
	res := s.Evaluate(context.Background(), set)
	if n := len(findingsOf(res, "TEST-K8S-003")); n != 0 {
		t.Fatalf("ignored finding still reported")
	}
	if len(res.Suppressed) != 1 || res.Suppressed[0].Suppressed.Reason != "load test" ||
		res.Suppressed[0].Suppressed.By != "inline testdata/real/inflate.yaml:5" {
		t.Fatalf("suppressed = %+v", res.Suppressed)
	}
	// No reason: not honoured, and said.
	frontendTags := 0
	for _, f := range findingsOf(res, "TEST-K8S-002") {
		if f.Object == "Deployment/frontend" {
			frontendTags++
		}
	}
	if frontendTags != 1 {
		t.Errorf("frontend image findings = %d, want 1 (reasonless ignore not honoured)", frontendTags)
	}
	w := strings.Join(res.Warnings, "\n")
	if !strings.Contains(w, "frontend.yaml:3: sightline:ignore TEST-K8S-002 has no reason") ||
		!strings.Contains(w, "TEST-NOPE, which is not a loaded rule") {
		t.Errorf("warnings:\n%s", w)
	}
}

func TestEvaluateCancelled(t *testing.T) {
	s := loadTest(t, "testdata/rules/test-rules.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := s.Evaluate(ctx, realSet(t))
	if len(res.Findings) != 0 || len(res.Gaps) != 1 || !strings.Contains(res.Gaps[0].Reason, "not checked") {
		t.Fatalf("cancelled evaluation: findings %d gaps %v", len(res.Findings), res.Gaps)
	}
}

func TestBuiltinOverrideAndDisable(t *testing.T) {
	fsys := fstest.MapFS{
		"builtin/a.yaml": {Data: []byte(`rules:
  - id: SL-T-001
    title: replicas over 4
    severity: high
    inputs: [kubernetes]
    violations: object.spec.?replicas.orValue(1) > 4
  - id: SL-T-002
    title: always
    severity: info
    inputs: [kubernetes]
    violations: "true"
`)},
	}
	dir := t.TempDir()
	user := dir + "/user.yaml"
	writeFile(t, user, `rules:
  - id: SL-T-001
    title: replicas over 0
    severity: low
    inputs: [kubernetes]
    types: [Deployment]
    violations: object.spec.?replicas.orValue(1) > 0
  - id: SL-T-002
    disabled: true
`)
	s, err := Load(context.Background(), Options{Builtin: fsys, Paths: []string{user}})
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Rule("SL-T-001"); r == nil || r.Severity != "low" || r.Builtin {
		t.Fatalf("SL-T-001 not replaced: %+v", r)
	}
	if r := s.Rule("SL-T-002"); r == nil || !r.Disabled {
		t.Fatalf("SL-T-002 not disabled: %+v", r)
	}
	res := s.Evaluate(context.Background(), realSet(t))
	if n := len(findingsOf(res, "SL-T-002")); n != 0 {
		t.Errorf("disabled rule found %d", n)
	}
	if n := len(findingsOf(res, "SL-T-001")); n != 3 { // every Deployment has >= 1 replica by default
		t.Errorf("SL-T-001 found %d, want 3", n)
	}
	if res.Stats.Rules != 1 || res.Stats.Disabled != 1 {
		t.Errorf("stats %+v", res.Stats)
	}
}

func TestEmbeddedBuiltinsLoad(t *testing.T) {
	s, err := Load(context.Background(), Options{})
	if err != nil {
		t.Fatalf("built-in packs do not load: %v", err)
	}
	for _, r := range s.Rules() {
		if !r.Builtin || !strings.HasPrefix(r.Source, "builtin/") {
			t.Errorf("rule %s from %s", r.ID, r.Source)
		}
	}
}

func TestNumbersCompareAcrossIntAndDouble(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/r.yaml", `rules:
  - id: T-1
    title: port 22
    severity: low
    inputs: [terraform]
    violations: object.port == 22 && object.port >= 22 && object.big > 1
`)
	s := loadTest(t, dir+"/r.yaml")
	set := check.Set{Objects: []check.Object{
		{Input: check.InputTerraform, Type: "x", Name: "int", Data: map[string]any{"port": int64(22), "big": 2.5}},
		{Input: check.InputTerraform, Type: "x", Name: "double", Data: map[string]any{"port": 22.0, "big": int64(2)}},
		{Input: check.InputTerraform, Type: "x", Name: "other", Data: map[string]any{"port": 23.0, "big": int64(2)}},
	}}
	res := s.Evaluate(context.Background(), set)
	if len(res.Findings) != 2 || len(res.Gaps) != 0 || res.Findings[0].Object != "int" || res.Findings[1].Object != "double" {
		t.Fatalf("findings %+v gaps %+v", res.Findings, res.Gaps)
	}
}

func TestCostLimitIsGap(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/r.yaml", `rules:
  - id: T-COST
    title: quadratic
    severity: low
    inputs: [kubernetes]
    violations: vars.containers.map(a, vars.containers.map(b, a.path + b.path)).size() > 100
  - id: T-CHEAP
    title: cheap
    severity: low
    inputs: [kubernetes]
    types: [Deployment]
    violations: "true"
`)
	s, err := Load(context.Background(), Options{Paths: []string{dir + "/r.yaml"}, NoBuiltin: true, CostLimit: 50})
	if err != nil {
		t.Fatal(err)
	}
	res := s.Evaluate(context.Background(), realSet(t))
	// loadgenerator has two containers (4 pairs): over 50 units.
	found := false
	for _, g := range res.Gaps {
		if strings.Contains(g.Reason, "rule T-COST could not be evaluated on Deployment/loadgenerator") && strings.Contains(g.Reason, "cost limit") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no cost-limit gap: %+v", res.Gaps)
	}
	if n := len(findingsOf(res, "T-CHEAP")); n != 3 {
		t.Errorf("other rules still run: T-CHEAP found %d, want 3", n)
	}
	sel, err := s.Select("T-CHEAP")
	if err != nil || len(sel.Rules()) != 1 {
		t.Fatalf("Select: %v", err)
	}
	if _, err := s.Select("T-NONE"); err == nil {
		t.Error("Select of an unknown ID did not fail")
	}
}

func TestApplyIgnoreFileObjectAndExpiry(t *testing.T) {
	s := loadTest(t, "testdata/rules/test-rules.yaml")
	ig, err := suppress.ParseIgnore([]byte(`ignore:
  - id: TEST-K8S-002
    object: "Deployment/load*"
    reason: the load generator is a test tool
  - id: TEST-K8S-003
    reason: expired
    expires: 2020-01-01
  - id: TEST-K8S-001
    package: libc6
    reason: a scan entry
`))
	if err != nil {
		t.Fatal(err)
	}
	ig.Path = ".sightline.yaml"
	res := s.Evaluate(context.Background(), realSet(t))
	before := len(findingsOf(res, "TEST-K8S-002"))
	warnings := res.ApplyIgnoreFile(ig, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
	for _, f := range res.Suppressed {
		if f.Object != "Deployment/loadgenerator" || f.RuleID != "TEST-K8S-002" || f.Suppressed.By != "ignore-file .sightline.yaml:2" {
			t.Errorf("suppressed %+v", f)
		}
	}
	// loadgenerator's init container image is pinned by digest: one
	// finding (the main container's), now suppressed; the others stay.
	if len(res.Suppressed) != 1 || len(findingsOf(res, "TEST-K8S-002")) != before-1 || before < 2 {
		t.Fatalf("suppressed %d of %d", len(res.Suppressed), before)
	}
	if len(findingsOf(res, "TEST-K8S-003")) != 1 || len(findingsOf(res, "TEST-K8S-001")) != 1 {
		t.Error("expired or scan entries suppressed a finding")
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], ".sightline.yaml:5: ignore entry TEST-K8S-003 expired on 2020-01-01") {
		t.Errorf("warnings %v", warnings)
	}
}

// TestEvalTimeoutIsGap: a rule whose extension functions cost little but
// take long (found by a tester: 11 s per object under the cost limit)
// stops at EvalTimeout and is a gap naming it; the run goes on.
func TestEvalTimeoutIsGap(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/r.yaml", `rules:
  - id: T-SLOW
    title: slow
    severity: low
    inputs: [kubernetes]
    types: [Deployment]
    violations: lists.range(5000).all(i, lists.range(5000).all(j, i >= 0))
`)
	s := loadTest(t, dir+"/r.yaml")
	set := realSet(t)
	set.Objects = set.Objects[:1]
	start := time.Now()
	res := s.Evaluate(context.Background(), set)
	if took := time.Since(start); took > 5*EvalTimeout {
		t.Errorf("evaluation took %s, want about EvalTimeout (%s)", took, EvalTimeout)
	}
	if len(res.Gaps) != 1 || !strings.Contains(res.Gaps[0].Reason, "rule T-SLOW could not be evaluated") ||
		!strings.Contains(res.Gaps[0].Reason, "took longer than") {
		t.Errorf("gaps %+v", res.Gaps)
	}
}
