package snapshot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
)

func TestLoadRealPlacebo(t *testing.T) {
	snap, err := Load(context.Background(), filepath.Join("..", "..", "..", "..", "testdata", "aws", "real", "placebo"))
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Regions) != 1 {
		t.Fatalf("regions: %d", len(snap.Regions))
	}
	r := snap.Regions[0]
	if r.Account != "644160558196" || r.Name != "us-east-1" {
		t.Fatalf("account/region %s/%s", r.Account, r.Name)
	}
	if len(r.NetworkInterfaces) == 0 || len(r.RouteTables) == 0 || len(r.NetworkAcls) == 0 ||
		len(r.SecurityGroups) == 0 || len(r.Instances) == 0 || len(r.LoadBalancers) != 1 || len(r.Listeners) == 0 {
		t.Fatalf("counts: enis %d rts %d acls %d sgs %d inst %d lbs %d listeners %d", len(r.NetworkInterfaces), len(r.RouteTables),
			len(r.NetworkAcls), len(r.SecurityGroups), len(r.Instances), len(r.LoadBalancers), len(r.Listeners))
	}
	li := r.Listeners[0]
	if !r.HasKey("elbv2/describe-listeners", r.LoadBalancers[0].LoadBalancerArn) {
		t.Fatal("keyed-object listeners not attributed to their load balancer")
	}
	if rules, ok := r.Rules(li.ListenerArn); !ok || len(rules) == 0 {
		t.Fatalf("per-resource rules not found for %s", li.ListenerArn)
	}
	if r.Has("ec2/describe-vpcs") {
		t.Fatal("absent file reported present")
	}
	if !strings.Contains(r.Missing("ec2/describe-vpcs", ""), "describe-vpcs.json missing") {
		t.Fatalf("missing text: %s", r.Missing("ec2/describe-vpcs", ""))
	}
}

func writeRegion(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "111122223333", "eu-west-1")
	for rel, body := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestMalformedNamesFile(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"bad json":     {"ec2/describe-security-groups.json": `{"SecurityGroups": [`},
		"wrong shape":  {"ec2/describe-security-groups.json": `{"Vpcs": []}`},
		"wrong type":   {"ec2/describe-subnets.json": `{"Subnets": {"a": 1}}`},
		"unkeyed th":   {"elbv2/describe-target-health.json": `{"TargetHealthDescriptions": []}`},
		"bad keyed":    {"elbv2/describe-target-health.json": `{"arn:x": 5}`},
		"bad perdir":   {"ec2/get-managed-prefix-list-entries/pl-1.json": `nope`},
		"bad manifest": {"../../manifest.json": `{"schema": 3}`, "ec2/describe-vpcs.json": `{"Vpcs": []}`},
		"other schema": {"../../manifest.json": `{"schema": "something/v9"}`, "ec2/describe-vpcs.json": `{"Vpcs": []}`},
	} {
		dir := writeRegion(t, files)
		_, err := Load(context.Background(), filepath.Dir(filepath.Dir(dir)))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		var named bool
		for rel := range files {
			named = named || strings.Contains(err.Error(), filepath.Base(strings.TrimSuffix(rel, ".json")))
		}
		if !named {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
}

func TestLayouts(t *testing.T) {
	files := map[string]string{
		"ec2/describe-vpcs.json":                             `{"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16"}]}`,
		"elbv2/describe-target-health/arn_aws_x_tg_a.json":   `{"TargetHealthDescriptions": [{"Target": {"Id": "i-1", "Port": 80}}]}`,
		"elbv2/describe-target-health/arn_aws_x_tg_a.1.json": `{"TargetHealthDescriptions": [{"Target": {"Id": "i-2", "Port": 80}}]}`,
		"ec2/get-managed-prefix-list-entries.json":           `{"pl-1": {"Entries": [{"Cidr": "1.2.3.0/24"}]}}`,
	}
	dir := writeRegion(t, files)
	for _, root := range []string{filepath.Dir(filepath.Dir(dir)), filepath.Dir(dir), dir} {
		snap, err := Load(context.Background(), root)
		if err != nil {
			t.Fatalf("%s: %v", root, err)
		}
		r := snap.Regions[0]
		if r.Account != "111122223333" || r.Name != "eu-west-1" || len(r.VPCs) != 1 {
			t.Fatalf("%s: %s/%s vpcs %d", root, r.Account, r.Name, len(r.VPCs))
		}
		if th, ok := r.TargetHealth("arn:aws:x:tg/a"); !ok || len(th) != 2 {
			t.Fatalf("%s: merged per-resource parts: %v %v", root, th, ok)
		}
		if e, ok := r.PrefixListEntries("pl-1"); !ok || len(e) != 1 {
			t.Fatalf("%s: keyed entries %v", root, e)
		}
		if _, ok := r.PrefixListEntries("pl-2"); ok {
			t.Fatal("absent key reported present")
		}
	}
	if _, err := Load(context.Background(), t.TempDir()); err == nil || !strings.Contains(err.Error(), "no <account>/<region>") {
		t.Fatalf("empty dir: %v", err)
	}
}

// An empty per-resource output ({"Rules": []}) means "collected, none",
// never "missing": a listener without non-default rules is not unknown.
func TestEmptyPerResourceOutput(t *testing.T) {
	const li = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/web/1/2"
	dir := writeRegion(t, map[string]string{
		"elbv2/describe-rules.json":         `{"` + li + `": {"Rules": []}}`,
		"elbv2/describe-target-health.json": `{"arn:tg": {"TargetHealthDescriptions": []}}`,
	})
	r, err := LoadRegionDir(context.Background(), "111122223333", "eu-west-1", dir)
	if err != nil {
		t.Fatal(err)
	}
	if rules, ok := r.Rules(li); !ok || len(rules) != 0 {
		t.Fatalf("empty rules output: %v %v", rules, ok)
	}
	if th, ok := r.TargetHealth("arn:tg"); !ok || len(th) != 0 {
		t.Fatalf("empty target health output: %v %v", th, ok)
	}
}

// TestPerResourceNames reads per-resource files named every accepted way
// and finds each by the argument the engine asks for.
func TestPerResourceNames(t *testing.T) {
	tgs := map[string]string{ // argument → file name (without .json)
		"arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/enc/6d0ecf831eec9f09": "", // layout.EncodeID
		"arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/low/1":                "arn%3aaws%3aelasticloadbalancing%3aeu-west-1%3a111122223333%3atargetgroup%2flow%2f1",
		"arn:aws:x:tg/tilde~1":    "arn%3Aaws%3Ax%3Atg%2Ftilde~1", // jq @uri leaves '~'
		"name~only":               "name~only",                    // nothing else to escape
		"arn:aws:x:tg/legacy":     "arn_aws_x_tg_legacy",
		".hidden:tg":              "", // leading '.' encoded
		strings.Repeat("a/", 150): "", // shortened with a digest
	}
	files := map[string]string{}
	for arg, name := range tgs {
		if name == "" {
			name = layout.EncodeID(arg)
		}
		files["elbv2/describe-target-health/"+name+".json"] = `{"TargetHealthDescriptions": [{"Target": {"Id": "i-1", "Port": 80}}]}`
	}
	// two parts of one resource, merged
	files["elbv2/describe-target-health/"+layout.EncodeID("arn:aws:x:tg/parts")+".0.json"] = `{"TargetHealthDescriptions": [{"Target": {"Id": "i-1", "Port": 80}}]}`
	files["elbv2/describe-target-health/"+layout.EncodeID("arn:aws:x:tg/parts")+".1.json"] = `{"TargetHealthDescriptions": [{"Target": {"Id": "i-2", "Port": 80}}]}`
	r, err := LoadRegionDir(context.Background(), "111122223333", "eu-west-1", writeRegion(t, files))
	if err != nil {
		t.Fatal(err)
	}
	for arg := range tgs {
		if th, ok := r.TargetHealth(arg); !ok || len(th) != 1 || th[0].Target.Id != "i-1" {
			t.Errorf("%q: %v %v", arg, th, ok)
		}
	}
	if th, ok := r.TargetHealth("arn:aws:x:tg/parts"); !ok || len(th) != 2 || th[1].Target.Id != "i-2" {
		t.Errorf("parts: %v %v", th, ok)
	}
	if _, ok := r.TargetHealth("arn:aws:x:tg/absent"); ok || r.HasKey("elbv2/describe-target-health", "arn:aws:x:tg/absent") {
		t.Error("absent target group reported present")
	}
}

// TestManifestGaps reads the collector's manifest: a gap for a whole
// operation hides its data (unknown, never "nothing there"), a gap for one
// resource is named when that resource's data is asked for.
func TestManifestGaps(t *testing.T) {
	const tg = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/1"
	dir := writeRegion(t, map[string]string{
		"ec2/describe-network-acls.json":                                           `{"NetworkAcls": []}`,
		"elbv2/describe-target-health/" + layout.EncodeID("arn:x:other") + ".json": `{"TargetHealthDescriptions": []}`,
		"../../manifest.json": `{"schema": "sightline.aws-snapshot/v1", "collected_at": "2026-11-27T10:00:00Z",
			"accounts": [{"account_id": "111122223333"}], "regions": ["eu-west-1"], "gaps": [
			{"account": "111122223333", "region": "eu-west-1", "service": "ec2", "operation": "describe-network-acls",
			 "error_code": "UnauthorizedOperation", "message": "not authorized"},
			{"account": "111122223333", "region": "eu-west-1", "service": "elbv2", "operation": "describe-target-health",
			 "resource_id": "` + tg + `", "error_code": "AccessDenied", "message": "denied"},
			{"account": "444455556666", "region": "eu-west-1", "service": "ec2", "operation": "describe-vpcs",
			 "error_code": "AccessDenied", "message": "other account"}]}`,
	})
	snap, err := Load(context.Background(), filepath.Dir(filepath.Dir(dir)))
	if err != nil {
		t.Fatal(err)
	}
	r := snap.Regions[0]
	if len(r.Gaps) != 2 || !r.CollectedAt.Equal(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("gaps %+v collected %v", r.Gaps, r.CollectedAt)
	}
	if r.Has("ec2/describe-network-acls") {
		t.Error("operation with a gap reported collected")
	}
	if m := r.Missing("ec2/describe-network-acls", ""); !strings.Contains(m, "UnauthorizedOperation: not authorized") {
		t.Errorf("missing text %q", m)
	}
	if r.HasKey("elbv2/describe-target-health", tg) {
		t.Error("resource with a gap reported collected")
	}
	if m := r.Missing("elbv2/describe-target-health", tg); !strings.Contains(m, "for "+tg) || !strings.Contains(m, "AccessDenied: denied") {
		t.Errorf("missing text %q", m)
	}
	if !r.HasKey("elbv2/describe-target-health", "arn:x:other") {
		t.Error("other target group lost")
	}
}

// An empty file is what `aws … > file` leaves when the call fails: not
// collected (unknown), never an empty list and never a fatal error.
func TestEmptyFileNotCollected(t *testing.T) {
	dir := writeRegion(t, map[string]string{
		"ec2/describe-network-acls.json":                                      "",
		"ec2/describe-vpcs.json":                                              "\n",
		"elbv2/describe-target-health/" + layout.EncodeID("arn:tg") + ".json": "",
		"elbv2/describe-target-health/" + layout.EncodeID("arn:ok") + ".json": `{"TargetHealthDescriptions": []}`,
	})
	r, err := LoadRegionDir(context.Background(), "111122223333", "eu-west-1", dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Has("ec2/describe-network-acls") || r.Has("ec2/describe-vpcs") {
		t.Fatal("empty file counted as collected")
	}
	if m := r.Missing("ec2/describe-network-acls", ""); !strings.Contains(m, "describe-network-acls.json is empty: not collected") {
		t.Errorf("missing text %q", m)
	}
	if r.HasKey("elbv2/describe-target-health", "arn:tg") || !r.HasKey("elbv2/describe-target-health", "arn:ok") {
		t.Error("empty per-resource file counted as collected, or its sibling lost")
	}
	if m := r.Missing("elbv2/describe-target-health", "arn:tg"); !strings.Contains(m, "is empty") {
		t.Errorf("missing text %q", m)
	}
}
