package awsrun

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/check/rules"
)

func evaluate(t *testing.T, set check.Set) rules.Result {
	t.Helper()
	rs, err := rules.Load(context.Background(), rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rs.Evaluate(context.Background(), set)
}

func count(res rules.Result, id, object string) (findings, unknown int) {
	for _, f := range res.Findings {
		if f.RuleID == id && f.Object == object {
			findings++
		}
	}
	for _, u := range res.Unknown {
		if u.RuleID == id && u.Object == object {
			unknown++
		}
	}
	return findings, unknown
}

// The AWS pack on the recorded estate: IMDSv1 allowed and the EKS cluster
// "example" with its endpoint open to 0.0.0.0/0 (positives), a bucket
// with all four Block Public Access settings (negative), what the
// snapshot lacks UNKNOWN (buckets whose block was not collected, EKS
// clusters whose describe-cluster failed, ECR repositories without their
// scanning settings), instances without a public address not exposed.
func TestPackGolden(t *testing.T) {
	res := evaluate(t, load(t, "../../../testdata/aws-wire/golden"))
	for _, c := range []struct {
		id, object string
		findings   int
		unknown    int
	}{
		{"SL-AWS-010", "i-07b1657fdb879c149", 1, 0},
		{"SL-AWS-013", "bucket-1", 0, 0},
		{"SL-AWS-013", "bucket-2", 0, 1},
		{"SL-AWS-016", "example", 1, 0},   // recorded: endpointPublicAccess, publicAccessCidrs 0.0.0.0/0
		{"SL-AWS-016", "sbx-ditto", 0, 1}, // describe-cluster output empty
		{"SL-AWS-014", "test-repository", 0, 1},
		{"SL-AWS-001", "i-05799f38ad9df4c34", 0, 0},
	} {
		f, u := count(res, c.id, c.object)
		if f != c.findings || u != c.unknown {
			t.Errorf("%s on %s: %d findings, %d unknown; want %d, %d", c.id, c.object, f, u, c.findings, c.unknown)
		}
	}
}

// SSH narrow to one /24 in the scenario is not reported; the same
// snapshot with the rule opened to 0.0.0.0/0 (modified here, in a copy)
// is, with the engine's proof. The database without an identifiable
// interface is UNKNOWN.
func TestPackExposure(t *testing.T) {
	res := evaluate(t, load(t, "../../../testdata/aws/scenarios/public-web"))
	if f, u := count(res, "SL-AWS-001", "i-0web000000000001"); f != 0 || u != 0 {
		t.Errorf("narrow SSH: %d findings %d unknown", f, u)
	}
	dir := copyDir(t, "../../../testdata/aws/scenarios/public-web", func(p string, b []byte) []byte {
		if strings.HasSuffix(p, "describe-security-groups.json") {
			return []byte(strings.ReplaceAll(string(b), "81.2.69.0/24", "0.0.0.0/0"))
		}
		return b
	})
	res = evaluate(t, load(t, dir))
	var got *rules.Finding
	for i, f := range res.Findings {
		if f.RuleID == "SL-AWS-001" && f.Object == "i-0web000000000001" {
			got = &res.Findings[i]
		}
	}
	if got == nil || !strings.Contains(got.Message, "tcp 22 reachable from the internet (0.0.0.0/0, wide)") || len(got.Proof) == 0 || got.Location.Resource != "i-0web000000000001" {
		t.Fatalf("finding = %+v", got)
	}
	res = evaluate(t, load(t, "testdata/rds-docs"))
	if f, u := count(res, "SL-AWS-003", "mydbinstancecf"); f != 0 || u != 1 {
		t.Errorf("db: %d findings %d unknown, want UNKNOWN", f, u)
	}
	if f, u := count(res, "SL-AWS-012", "mydbinstancecf"); f != 0 || u != 1 {
		t.Errorf("db encryption: %d findings %d unknown, want UNKNOWN (StorageEncrypted not in the output)", f, u)
	}
}

// copyDir copies a snapshot into a temporary directory, passing each
// file through edit.
func copyDir(t *testing.T, src string, edit func(path string, b []byte) []byte) string {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), edit(p, b), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// A bucket the collector found without a public access block (manifest
// not_found, as `sightline collect aws` writes it; added here to a copy of
// the recorded estate) is reported, not unknown.
func TestPackBucketWithoutBlock(t *testing.T) {
	dir := copyDir(t, "../../../testdata/aws-wire/golden", func(_ string, b []byte) []byte { return b })
	man := `{"schema": "sightline.aws-snapshot/v1", "accounts": [{"account_id": "644160558196"}], "regions": ["us-east-1"],
  "gaps": [], "not_found": [{"account": "644160558196", "region": "global", "service": "s3api",
  "operation": "get-public-access-block", "resource_id": "bucket-2", "error_code": "NoSuchPublicAccessBlockConfiguration"}]}`
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(man), 0o644); err != nil {
		t.Fatal(err)
	}
	res := evaluate(t, load(t, dir))
	if f, u := count(res, "SL-AWS-013", "bucket-2"); f != 1 || u != 0 {
		t.Errorf("bucket-2: %d findings %d unknown, want 1 finding", f, u)
	}
	if f, u := count(res, "SL-AWS-013", "bucket-3"); f != 0 || u != 1 {
		t.Errorf("bucket-3: %d findings %d unknown, want UNKNOWN", f, u)
	}
}
