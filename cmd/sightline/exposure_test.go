package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func scenarioDir(name string) string {
	return filepath.Join("..", "..", "testdata", "aws", "scenarios", name)
}

func TestExposureJSON(t *testing.T) {
	out, stderr, code := runCLI(t, "exposure", "--aws", scenarioDir("alb-private"), "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Schema  string `json:"schema"`
		Results []struct {
			Resource, ResourceType, Protocol, Verdict, Width string
			FromPort                                         int `json:"from_port"`
			ToPort                                           int `json:"to_port"`
			Sources                                          []string
			Path                                             []struct{ Kind, ID, Detail string }
			BlockedBy                                        *struct{ Kind, ID, Detail string } `json:"blocked_by"`
			Missing                                          []string
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	if doc.Schema != "sightline.exposure/v1" || len(doc.Results) == 0 {
		t.Fatalf("schema %q, %d results", doc.Schema, len(doc.Results))
	}
	var albExposed bool
	for _, r := range doc.Results {
		if r.Sources == nil || r.Path == nil || r.Missing == nil {
			t.Fatalf("arrays must be present (possibly empty): %+v", r)
		}
		if strings.Contains(r.Resource, "loadbalancer/app/web-alb") && r.FromPort == 443 && r.Verdict == "exposed" &&
			r.Width == "wide" && len(r.Sources) == 1 && r.Sources[0] == "0.0.0.0/0" {
			albExposed = true
		}
	}
	if !albExposed {
		t.Fatal("ALB tcp/443 not reported exposed to 0.0.0.0/0")
	}
}

func TestExposureWhy(t *testing.T) {
	out, _, code := runCLI(t, "exposure", "--aws", scenarioDir("nacl-deny"), "--why", "i-0web000000000001:tcp/22")
	if code != 0 || !strings.Contains(out, "NOT_EXPOSED") || !strings.Contains(out, "acl-0web00001 inbound rule 90 denies tcp 22") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	// an interface id selects its instance's results
	out, _, code = runCLI(t, "exposure", "--aws", scenarioDir("public-web"), "--why", "eni-0web0001:tcp/443", "--format", "json")
	if code != 0 || !strings.Contains(out, `"verdict": "exposed"`) || !strings.Contains(out, `"from_port": 443`) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	out, _, code = runCLI(t, "exposure", "--aws", scenarioDir("alb-private"), "--why",
		"arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/web-alb/50dc6c495c0c9188:tcp/443")
	if code != 0 || !strings.Contains(out, "EXPOSED (wide)") || !strings.Contains(out, "sg-0alb allows tcp 443") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestExposureTable(t *testing.T) {
	out, _, code := runCLI(t, "exposure", "--aws", scenarioDir("missing-nacls"))
	if code != 0 || !strings.Contains(out, "unknown") || !strings.Contains(out, "describe-network-acls.json missing") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestExposureUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"exposure"},
		{"exposure", "--aws", t.TempDir()},
		{"exposure", "--aws", filepath.Join(t.TempDir(), "nope")},
		{"exposure", "--aws", scenarioDir("public-web"), "--why", "i-1"},
		{"exposure", "--aws", scenarioDir("public-web"), "--why", "i-1:icmp/3"},
		{"exposure", "--aws", scenarioDir("public-web"), "--why", "i-doesnotexist:tcp/22"},
		{"exposure", "--aws", scenarioDir("public-web"), "--format", "sarif"},
	} {
		_, stderr, code := runCLI(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, stderr)
		}
	}
}
