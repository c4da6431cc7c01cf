package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/sightline-sec/sightline/internal/collect/aws/live"
	"github.com/sightline-sec/sightline/internal/collect/aws/live/awsfake"
	"github.com/sightline-sec/sightline/internal/exposure"
)

// collectThenExpose runs the live collector (the AWS SDK for Go v2) against
// the fake AWS endpoint, which answers with recorded wire-format responses
// (testdata/aws-wire), into a temp dir, then `sightline exposure` on that
// snapshot, and returns its results.
func collectThenExpose(t *testing.T, routes []*awsfake.Route) []exposure.Result {
	t.Helper()
	f := awsfake.New(t, "../../testdata/aws-wire", routes...)
	out := filepath.Join(t.TempDir(), "snap")
	_, err := live.Run(context.Background(), live.Options{
		Out: out, Regions: []string{"us-east-1"}, EndpointURL: f.URL(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		MaxBackoff:  time.Millisecond, // the estate throttles some calls once
		ToolVersion: "test",
	})
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	stdout, stderr, code := runCLI(t, "exposure", "--aws", out, "--format", "json")
	if code != 0 {
		t.Fatalf("exposure: exit %d, stderr %s", code, stderr)
	}
	var rep exposure.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("exposure JSON: %v", err)
	}
	return rep.Results
}

func findResult(rs []exposure.Result, resource, proto string, port int) *exposure.Result {
	for i := range rs {
		r := &rs[i]
		if r.Resource == resource && r.Protocol == proto && r.FromPort <= port && port <= r.ToPort && r.Via == "" {
			return r
		}
	}
	return nil
}

// The recorded estate (cloud-custodian placebo recordings) holds instance
// i-05799f38ad9df4c34 with public IPv4 3.83.45.205 in VPC
// vpc-06a22444b7946ea01, to which no recorded internet gateway is
// attached: not exposed, and the proof names the interface and the VPC.
const (
	e2eInstance = "i-05799f38ad9df4c34"
	e2eVPC      = "vpc-06a22444b7946ea01"
)

func TestCollectThenExposure(t *testing.T) {
	t.Parallel()
	rs := collectThenExpose(t, awsfake.EstateRoutes())
	r := findResult(rs, e2eInstance, "tcp", 22)
	if r == nil {
		t.Fatalf("no result for %s tcp/22 in %d results", e2eInstance, len(rs))
	}
	if r.Verdict != exposure.NotExposed || r.BlockedBy == nil || r.BlockedBy.Kind != "internet_gateway" || r.BlockedBy.ID != e2eVPC ||
		!strings.Contains(r.BlockedBy.Detail, "has no internet gateway attached") {
		t.Fatalf("verdict %s blocked by %+v, want not_exposed by the missing internet gateway of %s", r.Verdict, r.BlockedBy, e2eVPC)
	}
	if len(r.Path) == 0 || r.Path[0].Kind != "network_interface" || !strings.Contains(r.Path[0].Detail, "public IPv4 3.83.45.205") {
		t.Fatalf("proof path %+v does not start at the interface with its public address", r.Path)
	}
	// Per-resource files written by the collector (percent-encoded ARNs)
	// are found: the ALB's listener was read, so its result is about the
	// listener port, not "describe-listeners missing".
	alb := findResult(rs, "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/test-alb/1234567890abcdef", "tcp", 80)
	if alb == nil || strings.Contains(strings.Join(alb.Missing, " "), "describe-listeners") {
		t.Fatalf("ALB listener not read from the collector's per-resource file: %+v", alb)
	}
}

// A call the collector is denied becomes a gap in manifest.json, and the
// verdicts that need its data become unknown naming the gap.
func TestCollectGapThenExposureUnknown(t *testing.T) {
	t.Parallel()
	deny := &awsfake.Route{Svc: "ec2", Op: "DescribeInternetGateways", Status: 403, File: "errors/ec2-UnauthorizedOperation.xml"}
	rs := collectThenExpose(t, append([]*awsfake.Route{deny}, awsfake.EstateRoutes()...))
	r := findResult(rs, e2eInstance, "tcp", 22)
	if r == nil {
		t.Fatalf("no result for %s tcp/22", e2eInstance)
	}
	missing := strings.Join(r.Missing, " ")
	if r.Verdict != exposure.Unknown || !strings.Contains(missing, "ec2 describe-internet-gateways") ||
		!strings.Contains(missing, "gap in manifest.json") || !strings.Contains(missing, "UnauthorizedOperation") {
		t.Fatalf("verdict %s missing %q, want unknown naming the describe-internet-gateways gap", r.Verdict, missing)
	}
}

// The AWS CLI's own output for the same recorded responses
// (testdata/aws-wire/golden, made by the real AWS CLI against the fake
// endpoint) must give exactly the verdicts of the collector's snapshot:
// a snapshot made with the AWS CLI alone is as good as a collected one.
func TestAWSCLISnapshotMatchesCollector(t *testing.T) {
	t.Parallel()
	collected := collectThenExpose(t, awsfake.EstateRoutes())
	stdout, stderr, code := runCLI(t, "exposure", "--aws", "../../testdata/aws-wire/golden", "--format", "json")
	if code != 0 {
		t.Fatalf("exposure on the AWS CLI snapshot: exit %d, stderr %s", code, stderr)
	}
	var cli exposure.Report
	if err := json.Unmarshal([]byte(stdout), &cli); err != nil {
		t.Fatal(err)
	}
	a, b := normVerdicts(collected), normVerdicts(cli.Results)
	if len(a) == 0 || strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("verdicts differ:\ncollector:\n%s\nAWS CLI:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
}

// normVerdicts renders results for comparison across snapshots of the same
// estate: without account/region (a tree may lack the account directory)
// and without the snapshot directory named in missing-file texts.
func normVerdicts(rs []exposure.Result) []string {
	var out []string
	for _, r := range rs {
		r.Account, r.Region = "", ""
		r.Missing = append([]string(nil), r.Missing...)
		for i := range r.Missing {
			if j := strings.Index(r.Missing[i], " missing from "); j >= 0 {
				r.Missing[i] = r.Missing[i][:j]
			}
		}
		b, _ := json.Marshal(r)
		out = append(out, string(b))
	}
	return out
}

// TestRecipeSnapshotMatchesCollector runs the shell recipe of
// docs/aws-snapshot.md with the real AWS CLI against the fake endpoint
// (through a wrapper adding --endpoint-url, which every CLI version
// accepts), then checks that `sightline exposure` gives exactly the
// verdicts of the collector's snapshot of the same recorded estate. It
// needs the AWS CLI (Debian package awscli) and takes ~30 s: one CLI
// process per call.
func TestRecipeSnapshotMatchesCollector(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the AWS CLI about 40 times (~40 s); skipped with -short only")
	}
	t.Parallel()
	realAWS, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the AWS CLI (aws) is not installed")
		}
		t.Skip("the AWS CLI (aws) is not installed")
	}
	doc, err := os.ReadFile("../../docs/aws-snapshot.md")
	if err != nil {
		t.Fatal(err)
	}
	recipe := string(doc)
	if k := strings.Index(recipe, "## Recipe"); k >= 0 {
		recipe = recipe[k:]
	}
	a := strings.Index(recipe, "```bash\n")
	if a < 0 {
		t.Fatal("docs/aws-snapshot.md: no recipe")
	}
	recipe = recipe[a+len("```bash\n"):]
	recipe = recipe[:strings.Index(recipe, "```")]

	f := awsfake.New(t, "../../testdata/aws-wire", awsfake.EstateRoutes()...)
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	wrapper := "#!/bin/sh\nexec " + realAWS + " --endpoint-url " + f.URL() + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(tmp, "snapshot.sh")
	if err := os.WriteFile(script, []byte(recipe), 0o755); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(tmp, "empty")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "snap")
	cmd := exec.Command("bash", script, out, "us-east-1")
	var env []string // the machine's environment without any AWS setting
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_CONFIG_FILE="+empty, "AWS_SHARED_CREDENTIALS_FILE="+empty, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_RETRY_MODE=standard", "AWS_MAX_ATTEMPTS=3", "AWS_PAGER=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("recipe: %v\n%s", err, b)
	}
	stdout, stderr, code := runCLI(t, "exposure", "--aws", out, "--format", "json")
	if code != 0 {
		t.Fatalf("exposure on the recipe's snapshot: exit %d, stderr %s", code, stderr)
	}
	var got exposure.Report
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	want := normVerdicts(collectThenExpose(t, awsfake.EstateRoutes()))
	if g := normVerdicts(got.Results); len(want) == 0 || strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Fatalf("verdicts differ:\ncollector:\n%s\nrecipe:\n%s", strings.Join(want, "\n"), strings.Join(g, "\n"))
	}

	// The data-service files (not read by exposure yet) are the same set
	// as the collector writes: the recipe lists the same operations.
	collected := filepath.Join(t.TempDir(), "snap")
	if _, err := live.Run(context.Background(), live.Options{
		Out: collected, Regions: []string{"us-east-1"}, EndpointURL: f.URL(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		MaxBackoff:  time.Millisecond, ToolVersion: "test",
	}); err != nil {
		t.Fatalf("collect: %v", err)
	}
	wantFiles, gotFiles := dataServiceFiles(t, collected), dataServiceFiles(t, out)
	if len(wantFiles) == 0 || strings.Join(gotFiles, "\n") != strings.Join(wantFiles, "\n") {
		t.Fatalf("data-service files differ:\ncollector:\n%s\nrecipe:\n%s", strings.Join(wantFiles, "\n"), strings.Join(gotFiles, "\n"))
	}
}

// dataServiceFiles lists the snapshot files of the managed data services
// (and S3 bucket and EKS cluster calls), relative to root.
func dataServiceFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		parts := strings.Split(filepath.ToSlash(rel), "/") // account/region/service/…
		if len(parts) < 4 {
			return nil
		}
		switch svc := parts[2]; {
		case svc == "rds", svc == "redshift", svc == "dynamodb", svc == "elasticache", svc == "opensearch",
			svc == "secretsmanager", svc == "s3api", svc == "eks" && parts[3] != "list-nodegroups" && parts[3] != "describe-nodegroup":
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
