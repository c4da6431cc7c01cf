package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
	"github.com/sightline-sec/sightline/internal/collect/aws/live/awsfake"
)

// awsEnv points the default AWS credential chain at static test keys and
// away from any real configuration on the machine.
func awsEnv(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, nil, 0o644)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_RETRY_MODE", "")
	t.Setenv("AWS_MAX_ATTEMPTS", "")
}

func TestCollectAWSCLI(t *testing.T) {
	awsEnv(t)
	f := awsfake.New(t, "../../testdata/aws-wire", awsfake.EstateRoutes()...)
	out := filepath.Join(t.TempDir(), "snap")
	stdout, stderr, code := runCLI(t, "collect", "aws", "--out", out, "--endpoint-url", f.URL(),
		"--format", "json", "--role-arn", "arn:aws:iam::111122223333:role/Audit",
		"--role-arn", "arn:aws:iam::444455556666:role/denied")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var m layout.Manifest
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("summary %q: %v", stdout, err)
	}
	if len(m.Accounts) != 1 || m.Accounts[0].AccountID != "111122223333" || m.Accounts[0].RoleARN == "" {
		t.Errorf("accounts = %+v", m.Accounts)
	}
	if _, err := os.Stat(filepath.Join(out, "111122223333", "us-east-1", "ec2", "describe-security-groups.json")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(out, "111122223333", "global", "iam", "get-account-authorization-details.json")); err != nil {
		t.Error(err)
	}
	var denied bool
	for _, g := range m.Gaps {
		if g.Service == "sts" && g.Operation == "assume-role" && g.ErrorCode == "AccessDenied" && g.Account == "444455556666" {
			denied = true
		}
	}
	if !denied {
		t.Errorf("no assume-role gap in %+v", m.Gaps)
	}
	for _, want := range []string{"gap: 444455556666 global sts assume-role", "gap: 111122223333 us-east-1 rds describe-db-instances: AccessDenied"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if f.Count("sts:AssumeRole") != 2 {
		t.Errorf("AssumeRole calls = %d", f.Count("sts:AssumeRole"))
	}
	// A second run into the same directory is refused (exit 2).
	_, stderr, code = runCLI(t, "collect", "aws", "--out", out, "--endpoint-url", f.URL())
	if code != 2 || !strings.Contains(stderr, "not empty") {
		t.Errorf("rerun: exit %d, stderr %q", code, stderr)
	}
}

func TestCollectAWSUsage(t *testing.T) {
	awsEnv(t)
	for _, args := range [][]string{
		{"collect", "aws"},
		{"collect", "aws", "--out", t.TempDir() + "/x", "--regions", "../etc"},
		{"collect", "aws", "--out", t.TempDir() + "/x", "--regions", "all,us-east-1"},
		{"collect", "aws", "--out", t.TempDir() + "/x", "--role-arn", "not-an-arn", "--endpoint-url", "http://127.0.0.1:1"},
	} {
		_, stderr, code := runCLI(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, stderr)
		}
	}
}

// TestCollectAWSCredentials: without credentials, or with credentials STS
// refuses, `collect aws` exits 2 before creating anything and says what to
// set, not the SDK's provider chain (issue 7: it exited 3 with the chain).
func TestCollectAWSCredentials(t *testing.T) {
	awsEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "")
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "")
	out := filepath.Join(t.TempDir(), "snap")
	_, stderr, code := runCLI(t, "collect", "aws", "--out", out)
	if code != 2 || !strings.Contains(stderr, "no usable AWS credentials") || !strings.Contains(stderr, "AWS_ACCESS_KEY_ID") ||
		!strings.Contains(stderr, "aws sso login") || strings.Contains(stderr, "IMDS") {
		t.Fatalf("no credentials: exit %d %q", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("snapshot directory created without credentials")
	}
	_, stderr, code = runCLI(t, "collect", "aws", "--out", out, "--profile", "nope")
	if code != 2 || !strings.Contains(stderr, `AWS profile "nope" is not in`) {
		t.Fatalf("missing profile: exit %d %q", code, stderr)
	}
	f := awsfake.New(t, "../../testdata/aws-wire", awsfake.EstateRoutes()...)
	t.Setenv("AWS_ACCESS_KEY_ID", awsfake.ExpiredKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	_, stderr, code = runCLI(t, "collect", "aws", "--out", out, "--endpoint-url", f.URL())
	if code != 2 || !strings.Contains(stderr, "AWS rejected the credentials") || !strings.Contains(stderr, "ExpiredToken") {
		t.Fatalf("expired credentials: exit %d %q", code, stderr)
	}
}
