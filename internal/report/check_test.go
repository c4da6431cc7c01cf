package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/check/rules"
)

// checkFixture is a hand-written report: a rule from a rules file, two
// findings (one with a file, one with only a resource ID), a suppressed
// one, an unknown and a gap.
func checkFixture(t *testing.T) (*CheckReport, string) {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "r.yaml")
	if err := os.WriteFile(f, []byte(`rules:
  - id: ORG-K8S-001
    title: Privileged container
    severity: high
    standard: "Kubernetes Pod Security Standards (baseline): Privileged Containers"
    references: ["https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline"]
    rationale: Privileged Pods disable most security mechanisms.
    remediation: Remove securityContext.privileged or set it to false.
    inputs: [kubernetes]
    violations: "true"
  - id: ORG-AWS-001
    title: Open port
    severity: critical
    inputs: [aws]
    violations: '[{"message": "tcp 22 reachable from the internet", "proof": vars.proof}]'

`), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Load(context.Background(), rules.Options{Paths: []string{f}, NoBuiltin: true})
	if err != nil {
		t.Fatal(err)
	}
	set := check.Set{Objects: []check.Object{
		{Input: check.InputKubernetes, Type: "Pod", Name: "default/Pod/web", Location: check.Location{File: "deploy/web.yaml", Line: 3}},
		{Input: check.InputKubernetes, Type: "Pod", Name: "default/Pod/db", Location: check.Location{File: filepath.Join(dir, "k8s", "db.yaml"), Line: 1},
			Ignores: []check.Ignore{{RuleID: "ORG-K8S-001", Reason: "vendor image needs it", Line: 1}}},
		{Input: check.InputAWS, Type: "AWS::EC2::SecurityGroup", Name: "sg-0abc", Location: check.Location{Resource: "arn:aws:ec2:eu-west-1:1:security-group/sg-0abc"},
			Vars: map[string]any{"proof": []any{"internet_gateway igw-1 routes 0.0.0.0/0", "security_group sg-0abc allows tcp 22 from 0.0.0.0/0"}}},
	}, Gaps: []check.Gap{{Input: check.InputKubernetes, Location: check.Location{File: "broken.yaml", Line: 7}, Reason: "YAML does not parse"}}}
	res := rs.Evaluate(context.Background(), set)
	return NewCheckReport(res, rs, []CheckInputRead{{Input: check.InputKubernetes, Sources: []string{"deploy/web.yaml"}, Objects: 3}}, 2, "1.2.3"), dir
}

func TestCheckSARIFValidatesAndFollowsGitHub(t *testing.T) {
	r, dir := checkFixture(t)
	r.Unknown = append(r.Unknown, rules.Unknown{RuleID: "ORG-K8S-001", Title: "Privileged container", Severity: "high",
		Input: check.InputKubernetes, Type: "Pod", Object: "default/Pod/x", Location: check.Location{File: "x.yaml", Line: 1}, Paths: []string{"spec"}})
	var buf bytes.Buffer
	if err := WriteCheckSARIF(&buf, r, dir); err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema(t, "sarif-schema-2.1.0.json").Validate(doc); err != nil {
		t.Fatalf("check SARIF does not validate: %v\n%s", err, buf.String())
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID               string
						ShortDescription struct{ Text string }
						FullDescription  struct{ Text string }
						Help             struct{ Text string }
						Properties       map[string]any
					}
				}
			}
			Invocations []struct {
				ExecutionSuccessful        bool
				ToolExecutionNotifications []struct{ Message struct{ Text string } }
			}
			Results []struct {
				RuleID    string
				Kind      string
				Level     string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
				PartialFingerprints map[string]string
				Suppressions        []struct{ Kind, Justification string }
				CodeFlows           []struct {
					ThreadFlows []struct {
						Locations []struct {
							Location struct{ Message struct{ Text string } }
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != 2 {
		t.Fatalf("rules = %d, want 2", len(run.Tool.Driver.Rules))
	}
	for _, rule := range run.Tool.Driver.Rules {
		if rule.ShortDescription.Text == "" || rule.FullDescription.Text == "" || rule.Help.Text == "" ||
			rule.Properties["security-severity"] == nil || rule.Properties["tags"] == nil {
			t.Errorf("rule %s lacks what GitHub reads: %+v", rule.ID, rule)
		}
	}
	if got := run.Tool.Driver.Rules[0]; got.ID != "ORG-AWS-001" || got.Properties["security-severity"] != "9.5" {
		t.Errorf("first rule %+v, want ORG-AWS-001 (critical first) at 9.5", got)
	}
	// 2 findings + 1 suppressed + 1 unknown.
	if len(run.Results) != 4 {
		t.Fatalf("results = %d, want 4", len(run.Results))
	}
	uris := map[string]bool{}
	for _, res := range run.Results {
		l := res.Locations[0].PhysicalLocation
		if l.Region.StartLine < 1 || l.ArtifactLocation.URI == "" || strings.HasPrefix(l.ArtifactLocation.URI, "/") || len(res.PartialFingerprints) == 0 {
			t.Errorf("result %+v: want a relative URI, startLine >= 1 and a fingerprint", res)
		}
		uris[l.ArtifactLocation.URI] = true
	}
	for _, want := range []string{"deploy/web.yaml", "k8s/db.yaml", "arn%3Aaws%3Aec2%3Aeu-west-1%3A1%3Asecurity-group%2Fsg-0abc", "x.yaml"} {
		if !uris[want] {
			t.Errorf("no result at %s (have %v)", want, uris)
		}
	}
	flows := 0
	for _, res := range run.Results {
		if len(res.CodeFlows) == 1 {
			steps := res.CodeFlows[0].ThreadFlows[0].Locations
			if res.RuleID != "ORG-AWS-001" || len(steps) != 2 || steps[1].Location.Message.Text != "security_group sg-0abc allows tcp 22 from 0.0.0.0/0" {
				t.Errorf("proof code flow %+v", res.CodeFlows)
			}
			flows++
		}
	}
	if flows != 1 {
		t.Errorf("%d results with a proof code flow, want 1", flows)
	}
	sup, unk := 0, 0
	for _, res := range run.Results {
		if len(res.Suppressions) == 1 && res.Suppressions[0].Kind == "inSource" && res.Suppressions[0].Justification == "vendor image needs it" {
			sup++
		}
		if res.Kind == "review" && res.Level == "none" {
			unk++
		}
	}
	if sup != 1 || unk != 1 {
		t.Errorf("suppressed results %d, unknown (review) results %d; want 1 and 1", sup, unk)
	}
	inv := run.Invocations[0]
	if inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) != 1 || !strings.Contains(inv.ToolExecutionNotifications[0].Message.Text, "YAML does not parse") {
		t.Errorf("invocation %+v: want the gap as a notification and executionSuccessful false", inv)
	}
}

func TestCheckJSONAndTableCountEverything(t *testing.T) {
	r, _ := checkFixture(t)
	r.Gate = &CheckGate{FailOn: "high", Passed: false, Reason: "2 finding(s) at or above high"}
	var buf bytes.Buffer
	if err := WriteCheckJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	sum := doc["summary"].(map[string]any)
	if doc["schema"] != CheckSchema || sum["findings"].(float64) != 2 || sum["suppressed"].(float64) != 1 ||
		sum["gaps"].(float64) != 1 || sum["files_skipped"].(float64) != 2 || sum["rules"].(float64) != 2 ||
		sum["objects"].(map[string]any)["kubernetes"].(float64) != 2 || sum["objects"].(map[string]any)["aws"].(float64) != 1 {
		t.Fatalf("summary %v", sum)
	}
	f := doc["findings"].([]any)[0].(map[string]any)
	for _, k := range []string{"rule_id", "title", "severity", "input", "type", "object", "location", "message"} {
		if _, ok := f[k]; !ok {
			t.Errorf("finding lacks %q: %v", k, f)
		}
	}
	buf.Reset()
	if err := WriteCheckTable(&buf, r, 100); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"CRITICAL", "ORG-AWS-001", "deploy/web.yaml\n  default/Pod/web\n    3 ", "Resources\n  sg-0abc\n    -  CRITICAL  ORG-AWS-001  tcp 22 reachable from the internet", "Not checked (1):", "broken.yaml:7: YAML does not parse",
		"Checked objects: 1 aws, 2 kubernetes. Rules: 2 enabled (2 applied", "2 finding(s) (1 critical, 1 high), 1 suppressed, 0 unknown, 1 not checked (gaps), 2 file(s) skipped",
		"Gate --fail-on high: FAILED: 2 finding(s) at or above high"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if len([]rune(l)) > 100 {
			t.Errorf("line longer than 100: %q", l)
		}
	}
}

func TestCheckRowPlace(t *testing.T) {
	for _, c := range []struct {
		loc  check.Location
		want string
	}{
		{check.Location{File: "main.tf", Line: 62, Resource: "aws_instance.web"}, "62"},
		{check.Location{File: "plan.json", Resource: "aws_instance.db_app"}, "-"}, // a plan has no lines
		{check.Location{File: "x.yaml"}, "-"},
	} {
		if got := rowPlace(c.loc); got != c.want {
			t.Errorf("rowPlace(%+v) = %q, want %q", c.loc, got, c.want)
		}
	}
}

func TestCheckTableCapsNotes(t *testing.T) {
	r, _ := checkFixture(t)
	for i := range 40 {
		r.Gaps = append(r.Gaps, check.Gap{Input: check.InputKubernetes, Reason: fmt.Sprintf("rule X could not be evaluated on object %d", i)})
	}
	var buf bytes.Buffer
	if err := WriteCheckTable(&buf, r, 80); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "Not checked (41):") || !strings.Contains(out, "… and 16 more (all are in --format json and sarif)") ||
		strings.Contains(out, "object 24\n") || !strings.Contains(out, "object 23\n") {
		t.Fatalf("table:\n%s", out)
	}
}

// A Dockerfile's object is named by its path: the table does not print
// the path twice (file heading, then the same path as the object).
func TestCheckTableDockerfileNamedOnce(t *testing.T) {
	f := rules.Finding{RuleID: "SL-DF-001", Severity: "medium", Input: check.InputDockerfile, Type: "Dockerfile",
		Object: "src/web/Dockerfile", Location: check.Location{File: "src/web/Dockerfile", Line: 3}, Message: "no USER"}
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	writeFindingGroups(w, []rules.Finding{f}, 100)
	w.Flush()
	out := buf.String()
	if n := strings.Count(out, "src/web/Dockerfile"); n != 1 || !strings.Contains(out, "3  MEDIUM  SL-DF-001") {
		t.Errorf("path %d times:\n%s", n, out)
	}
}
