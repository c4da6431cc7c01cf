package live

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
	"github.com/sightline-sec/sightline/internal/collect/aws/live/awsfake"
)

func testOptions(t *testing.T, f *awsfake.Server) Options {
	return Options{
		Out:         filepath.Join(t.TempDir(), "snap"),
		Regions:     []string{"us-east-1"},
		EndpointURL: f.URL(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		MaxBackoff:  time.Millisecond,
		ToolVersion: "test",
		Now:         func() time.Time { return time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC) },
	}
}

func readJSON(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// snapshotFiles lists the files under the account directories, relative.
func snapshotFiles(t *testing.T, root string) []string {
	var out []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != layout.ManifestFile {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func TestCollectEstate(t *testing.T) {
	t.Parallel()
	f := awsfake.New(t, wireDir, awsfake.EstateRoutes()...)
	opts := testOptions(t, f)
	var mu sync.Mutex
	var warnings []string
	opts.Warn = func(s string) { mu.Lock(); warnings = append(warnings, s); mu.Unlock() }
	m, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	acct := filepath.Join(opts.Out, awsfake.Account)

	// Pagination: both pages merged, token dropped.
	sg := readJSON(t, filepath.Join(acct, "us-east-1/ec2/describe-security-groups.json")).(map[string]any)
	if _, ok := sg["NextToken"]; ok {
		t.Error("NextToken kept after merging pages")
	}
	p1 := countItems(t, "estate/ec2/DescribeSecurityGroups.1.xml", "<item>\n<groupId>")
	p2 := countItems(t, "estate/ec2/DescribeSecurityGroups.2.xml", "<item>\n<groupId>")
	if got := len(sg["SecurityGroups"].([]any)); got != p1+p2 || p1 == 0 || p2 == 0 {
		t.Errorf("merged %d security groups, pages hold %d + %d", got, p1, p2)
	}
	if n := f.Count("ec2:DescribeSecurityGroups"); n != 2 {
		t.Errorf("DescribeSecurityGroups called %d times, want 2", n)
	}

	// Throttling: retried and then written.
	if n := f.Count("ec2:DescribeVpcs"); n != 2 {
		t.Errorf("DescribeVpcs called %d times, want 2 (throttled once, then retried)", n)
	}
	if n := f.Count("ecs:ListClusters"); n != 2 {
		t.Errorf("ECS ListClusters called %d times, want 2", n)
	}
	vpcs := readJSON(t, filepath.Join(acct, "us-east-1/ec2/describe-vpcs.json")).(map[string]any)
	if len(vpcs["Vpcs"].([]any)) == 0 {
		t.Error("describe-vpcs empty after retry")
	}

	// Gaps: AccessDenied and UnauthorizedOperation recorded, no file written.
	wantGaps := map[string]string{
		"us-east-1 rds describe-db-instances":                "AccessDenied",
		"us-east-1 ec2 describe-transit-gateway-attachments": "UnauthorizedOperation",
		"global s3api get-public-access-block bucket-3":      "AccessDenied",
		"global s3api get-bucket-policy bucket-3":            "AccessDenied",
	}
	got := map[string]string{}
	for _, g := range m.Gaps {
		k := strings.TrimSpace(g.Region + " " + g.Service + " " + g.Operation + " " + g.ResourceID)
		got[k] = g.ErrorCode
		if g.Account != awsfake.Account || g.Message == "" {
			t.Errorf("gap %+v lacks account or message", g)
		}
	}
	if !reflect.DeepEqual(got, wantGaps) {
		t.Errorf("gaps = %v, want %v", got, wantGaps)
	}
	if len(warnings) != len(wantGaps) {
		t.Errorf("warnings = %q", warnings)
	}
	for _, missing := range []string{"us-east-1/rds/describe-db-instances.json", "us-east-1/ec2/describe-transit-gateway-attachments.json"} {
		if _, err := os.Stat(filepath.Join(acct, missing)); err == nil {
			t.Errorf("%s written despite the gap", missing)
		}
	}
	// Not found: data ("no such configuration"), not gaps, and no file.
	wantNotFound := map[string]string{
		"global s3api get-public-access-block bucket-2":  "NoSuchPublicAccessBlockConfiguration",
		"global s3api get-bucket-policy-status bucket-1": "NoSuchBucketPolicy",
		"global s3api get-bucket-policy bucket-1":        "NoSuchBucketPolicy",
	}
	gotNotFound := map[string]string{}
	for _, n := range m.NotFound {
		gotNotFound[n.Region+" "+n.Service+" "+n.Operation+" "+n.ResourceID] = n.ErrorCode
	}
	if !reflect.DeepEqual(gotNotFound, wantNotFound) {
		t.Errorf("not_found = %v, want %v", gotNotFound, wantNotFound)
	}
	for _, missing := range []string{"global/s3api/get-bucket-policy/bucket-1.json", "global/s3api/get-bucket-policy/bucket-3.json"} {
		if _, err := os.Stat(filepath.Join(acct, missing)); err == nil {
			t.Errorf("%s written for a bucket without a readable policy", missing)
		}
	}

	// Manifest on disk equals the returned one.
	onDisk, err := os.ReadFile(filepath.Join(opts.Out, layout.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := layout.ParseManifest("manifest.json", onDisk)
	if err != nil {
		t.Fatal(err)
	}
	files := snapshotFiles(t, opts.Out)
	if parsed.Files != len(files) || len(parsed.Accounts) != 1 || parsed.Accounts[0].AccountID != awsfake.Account ||
		!reflect.DeepEqual(parsed.Regions, []string{"us-east-1"}) {
		t.Errorf("manifest = %+v (files on disk %d)", parsed, len(files))
	}

	// Golden: every file equals what the AWS CLI printed for the same
	// recorded responses (testdata/aws-wire/golden, see PROVENANCE.md).
	compareGolden(t, opts.Out, files, f.URL())
}

// countItems counts occurrences of marker in a wire fixture (security
// group items start with their groupId; nested group references do not).
func countItems(t *testing.T, rel, marker string) int {
	data, err := os.ReadFile(filepath.Join(wireDir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(data, []byte(marker))
}

// A data-service call that AWS denies is a gap naming the service, the
// operation and the resource, and leaves no file; the other resources of
// the same list are still collected.
func TestCollectDataServiceDeniedIsGap(t *testing.T) {
	t.Parallel()
	const denied = "arn:aws:secretsmanager:us-east-1:644160558196:secret:test-secret-1-000000"
	deny := &awsfake.Route{Svc: "secretsmanager", Op: "GetResourcePolicy", Status: 400,
		File: "errors/secretsmanager-AccessDeniedException.json", Match: map[string]string{"SecretId": denied}}
	f := awsfake.New(t, wireDir, append([]*awsfake.Route{deny}, awsfake.EstateRoutes()...)...)
	opts := testOptions(t, f)
	var mu sync.Mutex
	var warnings []string
	opts.Warn = func(s string) { mu.Lock(); warnings = append(warnings, s); mu.Unlock() }
	m, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var gap *layout.Gap
	for i, g := range m.Gaps {
		if g.Service == "secretsmanager" {
			if gap != nil {
				t.Errorf("second secretsmanager gap %+v", g)
			}
			gap = &m.Gaps[i]
		}
	}
	if gap == nil || gap.Operation != "get-resource-policy" || gap.ResourceID != denied || gap.Region != "us-east-1" ||
		gap.ErrorCode != "AccessDeniedException" || !strings.Contains(gap.Message, "secretsmanager:GetResourcePolicy") {
		t.Fatalf("secretsmanager gap = %+v, want get-resource-policy of %s denied", gap, denied)
	}
	warned := false
	for _, w := range warnings {
		warned = warned || strings.Contains(w, "secretsmanager get-resource-policy "+denied+": AccessDeniedException")
	}
	if !warned {
		t.Errorf("no warning names the denied call: %q", warnings)
	}
	dir := filepath.Join(opts.Out, awsfake.Account, "us-east-1", "secretsmanager", "get-resource-policy")
	if _, err := os.Stat(filepath.Join(dir, layout.EncodeID(denied)+".json")); err == nil {
		t.Error("file written for the denied call")
	}
	other := readJSON(t, filepath.Join(dir, layout.EncodeID(strings.Replace(denied, "secret-1", "secret-2", 1))+".json")).(map[string]any)
	if other["Name"] != "test-secret-2" {
		t.Errorf("the other secret's get-resource-policy = %v", other)
	}
}
