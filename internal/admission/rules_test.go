package admission

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
)

// privilegedMessage is what a denial of privilegedPod names: the built-in
// Pod Security Standards rule "Privileged containers".
const privilegedMessage = `SL-K8S-PSS-003: container "shell" is privileged (securityContext.privileged=true) (spec.containers[0].securityContext.privileged)`

var builtin struct {
	once sync.Once
	ev   *RulesEvaluator
	err  error
}

// liveRules is the real rule engine with the built-in packs, loaded once.
func liveRules(t testing.TB) Evaluator {
	t.Helper()
	builtin.once.Do(func() { builtin.ev, builtin.err = LoadRules(context.Background(), nil) })
	if builtin.err != nil {
		t.Fatal(builtin.err)
	}
	return builtin.ev
}

func ruleIDs(vs []Violation) []string {
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.RuleID)
	}
	slices.Sort(ids)
	return ids
}

// TestBuiltinRulesOnAdmittedObjects: the built-in packs, through the
// Kubernetes input's admission reader, on the objects the handler tests
// send.
func TestBuiltinRulesOnAdmittedObjects(t *testing.T) {
	ev := liveRules(t)
	ctx := context.Background()
	vs, err := ev.Evaluate(ctx, Object{Kind: "Pod", Name: "priv", Namespace: "shop", UID: "u1", Raw: privilegedPod("priv", fixtureRepo+"@"+cleanDigest)})
	if err != nil || !slices.ContainsFunc(vs, func(v Violation) bool { return v.String() == privilegedMessage && v.Severity == "critical" }) {
		t.Errorf("privileged pod: %v %v", vs, err)
	}
	vs, err = ev.Evaluate(ctx, Object{Kind: "Pod", Name: "web", Namespace: "shop", Raw: compliantPod("web", fixtureRepo+"@"+cleanDigest)})
	if err != nil || len(vs) != 0 {
		t.Errorf("compliant pod: %v %v", vs, err)
	}
	// The microservices-demo frontend is hardened but names its image by
	// tag, mounts the service-account token and sets no seccomp profile.
	vs, err = ev.Evaluate(ctx, Object{Kind: "Deployment", Group: "apps", Name: "frontend", Namespace: "shop", Raw: manifest(t, "Deployment", "frontend")})
	if want := []string{"SL-K8S-002", "SL-K8S-004", "SL-K8S-PSS-105"}; err != nil || !slices.Equal(ruleIDs(vs), want) {
		t.Errorf("frontend: %v (%v), want %v", vs, err, want)
	}
	// A controller's pod named by generateName: no name in the review.
	gen := strings.Replace(string(compliantPod("", fixtureRepo+"@"+cleanDigest)), `"name":""`, `"generateName":"web-"`, 1)
	vs, err = ev.Evaluate(ctx, Object{Kind: "Pod", Namespace: "shop", UID: "u3", Raw: []byte(gen)})
	if err != nil || len(vs) != 0 {
		t.Errorf("generateName pod: %v %v", vs, err)
	}
	// An object the input cannot read is an error, not "no violations".
	vs, err = ev.Evaluate(ctx, Object{Kind: "Pod", Name: "x", UID: "u2", Raw: []byte(`[1,2]`)})
	if err == nil || len(vs) != 0 || !strings.Contains(err.Error(), "reading the Pod") {
		t.Errorf("unreadable object: %v %v", vs, err)
	}
}

// TestUserRulesReplaceBuiltins: --rules files go through the same loader
// as `sightline check --rules`; a disabled built-in no longer denies.
func TestUserRulesReplaceBuiltins(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/off.yaml", "rules:\n  - id: SL-K8S-PSS-003\n    disabled: true\n")
	ev, err := LoadRules(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	vs, err := ev.Evaluate(context.Background(), Object{Kind: "Pod", Name: "priv", Raw: privilegedPod("priv", "nginx@"+cleanDigest)})
	if err != nil || slices.Contains(ruleIDs(vs), "SL-K8S-PSS-003") || len(vs) == 0 {
		t.Errorf("with SL-K8S-PSS-003 disabled: %v %v", ruleIDs(vs), err)
	}
	writeFile(t, dir+"/bad.yaml", "rules:\n  - id: X-1\n    severity: hgih\n")
	if _, err := LoadRules(context.Background(), []string{dir}); err == nil || !strings.Contains(err.Error(), "bad.yaml:") {
		t.Errorf("bad rule file: %v, want an error naming the file and line", err)
	}
}

// TestValidatingAdmissionPolicyAsRule: a Kubernetes ValidatingAdmissionPolicy
// (the documentation's example: Deployments with at most 5 replicas) given
// with --rules decides at admission like the built-in rules.
func TestValidatingAdmissionPolicyAsRule(t *testing.T) {
	ev, err := LoadRules(context.Background(), []string{"testdata/vap-basic-example-policy.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	raw := manifest(t, "Deployment", "loadgenerator") // replicas: 1
	obj := Object{Kind: "Deployment", Group: "apps", Name: "loadgenerator", Namespace: "shop", Raw: raw}
	vs, err := ev.Evaluate(context.Background(), obj)
	if err != nil || slices.ContainsFunc(vs, func(v Violation) bool { return strings.HasPrefix(v.RuleID, "VAP/") }) {
		t.Errorf("replicas 1: %v %v", ruleIDs(vs), err)
	}
	// Derived: the same Deployment scaled to 10.
	obj.Raw = []byte(strings.Replace(string(raw), `"replicas":1`, `"replicas":10`, 1))
	vs, err = ev.Evaluate(context.Background(), obj)
	if err != nil || !slices.Contains(ruleIDs(vs), "VAP/demo-policy.example.com/1") {
		t.Errorf("replicas 10: %v %v", vs, err)
	}
}
