package main

import (
	"context"
	"encoding/json"
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
	norm := func(rs []exposure.Result) []string {
		var out []string
		for _, r := range rs {
			r.Account, r.Region = "", "" // the golden tree has no account directory
			for i := range r.Missing {
				if j := strings.Index(r.Missing[i], " missing from "); j >= 0 {
					r.Missing[i] = r.Missing[i][:j] // names the snapshot directory
				}
			}
			b, _ := json.Marshal(r)
			out = append(out, string(b))
		}
		return out
	}
	a, b := norm(collected), norm(cli.Results)
	if len(a) == 0 || strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("verdicts differ:\ncollector:\n%s\nAWS CLI:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
}
