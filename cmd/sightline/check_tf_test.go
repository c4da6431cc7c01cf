package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/check/terraform"
)

// Done-when of issue 10, Terraform part: `sightline check` on a real plan
// (checkov's TerraGoat plan) and a real CloudGoat configuration (with the
// variables `cloudgoat create` writes, here a hand-written terraform.tfvars
// opening the whitelist) finds the open administrative port, with the
// exposure engine's proof path, file and line.
func TestCheckCLITerraformAdminPort(t *testing.T) {
	plan := "../../internal/check/terraform/testdata/plans/checkov-runner-plan.json"
	out, stderr, code := runCheckWith(t, defaultCheckInputs(terraform.Options{}), "json", checkFlags{failOn: "critical"}, plan)
	if code != 1 {
		t.Fatalf("exit %d (want 1, critical findings): %s", code, stderr)
	}
	type finding struct {
		RuleID   string   `json:"rule_id"`
		Object   string   `json:"object"`
		Message  string   `json:"message"`
		Proof    []string `json:"proof"`
		Location struct {
			File     string `json:"file"`
			Line     int    `json:"line"`
			Resource string `json:"resource"`
		} `json:"location"`
	}
	var doc struct{ Findings []finding }
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	has := func(fs []finding, id, object, msg, proof string) *finding {
		for i, f := range fs {
			if f.RuleID == id && f.Object == object && strings.Contains(f.Message, msg) && strings.Contains(strings.Join(f.Proof, "\n"), proof) {
				return &fs[i]
			}
		}
		return nil
	}
	if has(doc.Findings, "SL-AWS-001", "aws_instance.web_host", "tcp 22 reachable from the internet (0.0.0.0/0, wide)", "aws_security_group.web-node allows tcp 22 from 0.0.0.0/0") == nil {
		t.Errorf("plan: no SSH finding with proof in %s", out)
	}

	// CloudGoat with its variables in terraform.tfvars, as cloudgoat writes them.
	dir := t.TempDir()
	src := "../../internal/check/terraform/testdata/cloudgoat/cloud_breach_s3"
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	vars, err := os.ReadFile("../../internal/check/terraform/testdata/handwritten/vars-open.tfvars")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "terraform.tfvars"), vars, 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code = runCheckWith(t, defaultCheckInputs(terraform.Options{}), "json", checkFlags{failOn: "critical"}, dir)
	if code != 1 {
		t.Fatalf("cloudgoat: exit %d: %s", code, stderr)
	}
	doc.Findings = nil
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	f := has(doc.Findings, "SL-AWS-001", "aws_instance.ec2-vulnerable-proxy-server", "tcp 22", "internet_gateway aws_internet_gateway.cg-internet-gateway")
	if f == nil || f.Location.File != filepath.Join(dir, "ec2.tf") || f.Location.Line != 96 {
		t.Errorf("cloudgoat: finding %+v in %s", f, out)
	}
}

// TestCheckCLITerraformVars: --var-file and --var give a configuration its
// variables as terraform plan -var-file/-var would; without them the
// whitelist is unknown and the gate does not pass quietly.
func TestCheckCLITerraformVars(t *testing.T) {
	src := "../../internal/check/terraform/testdata/cloudgoat/cloud_breach_s3"
	vars := "../../internal/check/terraform/testdata/handwritten/vars-open.tfvars"
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--var-file", vars}, 1, "SL-AWS-001"},
		{[]string{"--var", "cgid=sltest", "--var", `cg_whitelist=["0.0.0.0/0"]`}, 1, "SL-AWS-001"},
		// A one-address whitelist: nothing open to the internet.
		{[]string{"--var", "cgid=sltest", "--var", `cg_whitelist=["203.0.113.7/32"]`}, 0, `"findings"`},
		// No value: the path is unknown, and --fail-on does not pass over it.
		{nil, 1, "cg_whitelist"},
		{[]string{"--var", "novalue"}, 2, `--var "novalue": want NAME=VALUE`},
		{[]string{"--var-file", vars + ".missing"}, 2, "--var-file"},
		// A var file that does not parse, or a directory, is refused before
		// any work, as a missing one is (it was a gap found afterwards).
		{[]string{"--var-file", src}, 2, "not a file"},
		{[]string{"--var-file", "check_tf_test.go"}, 2, "--var-file check_tf_test.go:"},
	} {
		args := append([]string{"check", src, "--format", "json", "--fail-on", "critical"}, tc.args...)
		out, stderr, code := runCLI(t, args...)
		if code != tc.code || !strings.Contains(out+stderr, tc.want) {
			t.Errorf("%v: exit %d (want %d), want %q in:\n%.600s\n%s", tc.args, code, tc.code, tc.want, out, stderr)
		}
		if tc.code == 0 && strings.Contains(out, `"rule_id": "SL-AWS-001"`) {
			t.Errorf("%v: SSH reported open with a one-address whitelist", tc.args)
		}
	}
}
