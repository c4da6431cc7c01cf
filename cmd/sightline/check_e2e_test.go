package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestCheckEndToEndRealInputs is issue 10's "done when" through the CLI
// with every input built in: the privileged pods and host-socket mounts of
// a real insecure manifest set (kubernetes-goat), the open administrative
// port of a real Terraform plan (checkov's runner plan), the Dockerfile
// issues of the official nginx images; the SARIF validates against the
// OASIS schema and the gate fails on the critical findings.
func TestCheckEndToEndRealInputs(t *testing.T) {
	td := func(parts ...string) string {
		return filepath.Join(append([]string{"..", "..", "internal", "check"}, parts...)...)
	}
	out, stderr, code := runCLI(t, "check", "--format", "sarif", "--fail-on", "critical",
		td("kubernetes", "testdata", "kubernetes-goat"),
		td("terraform", "testdata", "plans", "checkov-runner-plan.json"),
		td("dockerfile", "testdata", "real", "docker-nginx"))
	if code != 1 || !strings.Contains(stderr, "at or above critical") {
		t.Fatalf("exit %d, want 1 (critical findings): %s", code, stderr)
	}
	f, err := os.Open(filepath.Join("..", "..", "testdata", "report", "schemas", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sch, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	id, _ := sch.(map[string]any)["$id"].(string)
	if id == "" {
		id = sch.(map[string]any)["id"].(string) // the SARIF schema is draft-04
	}
	if err := c.AddResource(id, sch); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(doc); err != nil {
		t.Fatalf("SARIF does not validate: %v", err)
	}
	var log struct {
		Runs []struct {
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
	have := map[string]bool{}
	for _, r := range log.Runs[0].Results {
		l := r.Locations[0].PhysicalLocation
		have[r.RuleID+" "+filepath.Base(filepath.Dir(l.ArtifactLocation.URI))+"/"+filepath.Base(l.ArtifactLocation.URI)+":"+itoa(l.Region.StartLine)] = true
	}
	for _, want := range []string{
		"SL-K8S-PSS-003 docker-bench-security/deployment.yaml:45", // privileged: true
		"SL-K8S-001 docker-bench-security/deployment.yaml:91",     // /var/run/docker.sock hostPath
		"SL-K8S-PSS-003 health-check/deployment.yaml:25",
		"SL-K8S-001 health-check/deployment.yaml:32",
		"SL-AWS-001 plans/checkov-runner-plan.json:1", // tcp 22 from 0.0.0.0/0, reachable
		"SL-DF-001 debian/Dockerfile:6",               // no USER in the final stage
	} {
		if !have[want] {
			t.Errorf("no result %s", want)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestCheckHelmValuesAndNamespace: --set reaches the chart's rendering
// (the load generator switched off is not there to check) and
// --namespace names the objects, through the real Kubernetes input on the
// microservices-demo chart.
func TestCheckHelmValuesAndNamespace(t *testing.T) {
	chart := filepath.Join("..", "..", "internal", "check", "kubernetes", "testdata", "microservices-demo", "helm-chart")
	objects := func(args ...string) (int, []string) {
		t.Helper()
		out, stderr, code := runCLI(t, append([]string{"check", "--k8s", chart, "--format", "json"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var doc struct {
			Summary  struct{ Objects map[string]int }
			Findings []struct{ Object string }
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range doc.Findings {
			names = append(names, f.Object)
		}
		return doc.Summary.Objects["kubernetes"], names
	}
	all, _ := objects()
	fewer, names := objects("--set", "loadGenerator.create=false", "--namespace", "shop")
	if fewer >= all || fewer == 0 || len(names) == 0 {
		t.Fatalf("objects %d with loadGenerator.create=false, %d without", fewer, all)
	}
	for _, n := range names {
		if !strings.HasPrefix(n, "shop/") || strings.Contains(n, "loadgenerator") {
			t.Fatalf("finding on %s: want namespace shop and no load generator", n)
		}
	}
}
