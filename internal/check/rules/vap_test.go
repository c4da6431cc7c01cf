package rules

import (
	"context"
	"os"
	"strings"
	"testing"
)

func TestVAPBasicExample(t *testing.T) {
	s := loadTest(t, "testdata/vap/basic-example-policy.yaml")
	rs := s.Rules()
	if len(rs) != 1 {
		t.Fatalf("rules = %d, want 1", len(rs))
	}
	r := rs[0]
	if r.ID != "VAP/demo-policy.example.com/1" || strings.Join(r.Types, ",") != "Deployment" ||
		r.Title != "failed expression: object.spec.replicas <= 5" || r.Severity != "medium" {
		t.Fatalf("rule %+v", r)
	}
	if !strings.HasSuffix(r.Source, "basic-example-policy.yaml:28") {
		t.Errorf("source %s, want the expression's line 28", r.Source)
	}
	res := s.Evaluate(context.Background(), realSet(t))
	// inflate has 5 replicas (allowed), loadgenerator 1; frontend sets
	// none, which the API server would default: here a Gap, never a pass.
	if len(res.Findings) != 0 {
		t.Fatalf("findings %+v", res.Findings)
	}
	if len(res.Gaps) != 1 || !strings.Contains(res.Gaps[0].Reason, "Deployment/frontend") {
		t.Fatalf("gaps %+v, want one for frontend (no spec.replicas)", res.Gaps)
	}
	if res.Stats.Evaluations != 3 {
		t.Errorf("evaluations = %d, want 3 (Deployments only)", res.Stats.Evaluations)
	}
}

func TestVAPVariablesAndMessageExpression(t *testing.T) {
	s := loadTest(t, "testdata/vap/hand-replicated.yaml")
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "ValidatingAdmissionPolicyBinding replicated-binding.example.com ignored") {
		t.Errorf("warnings %v", s.Warnings)
	}
	r := s.Rules()[0]
	if r.Severity != "low" || strings.Join(r.Types, ",") != "Deployment,ReplicaSet" {
		t.Fatalf("rule %+v", r)
	}
	res := s.Evaluate(context.Background(), realSet(t))
	// frontend (no replicas: 1 by the variable's default) and
	// loadgenerator (1) violate; inflate (5) does not.
	if len(res.Findings) != 2 || len(res.Gaps) != 0 {
		t.Fatalf("findings %+v gaps %+v", res.Findings, res.Gaps)
	}
	for _, f := range res.Findings {
		if f.Message != "must be replicated, has 1 replica(s)" || f.Object == "Deployment/inflate" {
			t.Errorf("finding %+v", f)
		}
	}
	set := realSet(t)
	for i := range set.Objects {
		set.Objects[i].Unknown = []string{"spec.replicas"}
	}
	res = s.Evaluate(context.Background(), set)
	if len(res.Findings) != 0 || len(res.Unknown) != 3 {
		t.Fatalf("with unknown replicas: findings %d unknown %+v, want 3 unknown", len(res.Findings), res.Unknown)
	}
}

func TestVAPRefusesParams(t *testing.T) {
	_, err := Load(context.Background(), Options{Paths: []string{"testdata/vap/policy-with-param.yaml"}, NoBuiltin: true})
	if err == nil || !strings.Contains(err.Error(), "policy-with-param.yaml:17:") ||
		!strings.Contains(err.Error(), "uses params (a parameter resource (spec.paramKind)), which sightline check cannot supply") {
		t.Fatalf("error = %v", err)
	}
}

func TestVAPErrors(t *testing.T) {
	cases := []struct{ name, content, want string }{
		{"selector", `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: p}
spec:
  matchConstraints:
    resourceRules: [{resources: [pods]}]
    namespaceSelector:
      matchLabels: {env: prod}
  validations: [{expression: "true"}]
`, ":8: ValidatingAdmissionPolicy p: matchConstraints.namespaceSelector cannot be honoured"},
		{"resource", `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: p}
spec:
  matchConstraints:
    resourceRules: [{resources: [widgets]}]
  validations: [{expression: "true"}]
`, `:6: ValidatingAdmissionPolicy p: matchConstraints.resourceRules: resource "widgets": sightline does not know its kind`},
		{"request", `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: p}
spec:
  matchConstraints:
    resourceRules: [{resources: [pods]}]
  validations:
  - expression: |
      request.userInfo.username != "x" &&
        authorizer.group("").resource("pods").check("get").allowed()
`, ":8: ValidatingAdmissionPolicy p: spec.validations[0].expression uses authorizer (the authorizer), request (the admission request)"},
		{"syntax", `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: p}
spec:
  validations:
  - expression: |
      object.spec !=
      !=
`, ":8: ValidatingAdmissionPolicy p: spec.validations[0].expression: CEL 2:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := t.TempDir() + "/vap.yaml"
			writeFile(t, f, c.content)
			_, err := Load(context.Background(), Options{Paths: []string{f}, NoBuiltin: true})
			if err == nil || !strings.Contains(err.Error(), f+c.want) {
				t.Fatalf("error = %v, want %q", err, c.want)
			}
		})
	}
}

func TestVAPMatchConditions(t *testing.T) {
	// Hand-written: every Deployment must have more than 4 replicas,
	// except those the match condition leaves out (name "inflate").
	f := t.TempDir() + "/vap.yaml"
	writeFile(t, f, `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: many-replicas}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}]
  matchConditions:
  - name: not-inflate
    expression: object.metadata.name != "inflate"
  validations:
  - expression: object.spec.?replicas.orValue(1) > 4
    message: too few replicas
`)
	s := loadTest(t, f)
	res := s.Evaluate(context.Background(), realSet(t))
	var objs []string
	for _, fd := range res.Findings {
		objs = append(objs, fd.Object)
	}
	// frontend (1 by default) and loadgenerator (1) violate; inflate (5)
	// would pass anyway, and is left out by the condition.
	if strings.Join(objs, ",") != "Deployment/frontend,Deployment/loadgenerator" || res.Stats.Evaluations != 3 {
		t.Fatalf("findings on %v, evaluations %d", objs, res.Stats.Evaluations)
	}
	// A condition that leaves out a violating object: frontend.
	writeFile(t, f, strings.Replace(mustRead(t, f), `!= "inflate"`, `!= "frontend"`, 1))
	s = loadTest(t, f)
	res = s.Evaluate(context.Background(), realSet(t))
	if len(res.Findings) != 1 || res.Findings[0].Object != "Deployment/loadgenerator" || res.Findings[0].Message != "too few replicas" {
		t.Fatalf("findings %+v", res.Findings)
	}
}

func mustRead(t *testing.T, f string) string {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
