package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/bench/exposuregen/estate"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/workload"
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

// goldenEstate is the seeded synthetic estate behind TestExposureGolden:
// 2,000 interfaces in the benchmark's proportions, small enough for a unit
// test, large enough to share cached templates across interfaces.
var goldenEstate = estate.Shape{ENIs: 2000, SGs: 400, RulesPerSG: 15, Subnets: 100, LBs: 40, VPCs: 5}

// TestExposureGolden pins the JSON output of a generated estate, written
// to disk in the AWS CLI layout, byte for byte: performance work (parallel
// analysis, streamed decoding, the hand-written encoder) must not change a
// single byte. The hash was recorded with the sequential encoding/json
// implementation; to re-record after an intended output change, run with
// SIGHTLINE_UPDATE_GOLDEN=1 and explain the change in the commit.
func TestExposureGolden(t *testing.T) {
	golden := filepath.Join("..", "..", "testdata", "aws", "estate-2k.sha256")
	// Both ways of storing per-resource operations must give the same bytes.
	for _, w := range []struct {
		name  string
		write func(*snapshot.Region, string) error
	}{{"keyed-objects", estate.Write}, {"per-resource-files", estate.WritePerResource}} {
		t.Run(w.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := w.write(estate.Generate(goldenEstate, 7), dir); err != nil {
				t.Fatal(err)
			}
			out, stderr, code := runCLI(t, "exposure", "--aws", dir, "--format", "json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			// Messages about missing data name the snapshot directory.
			out = strings.ReplaceAll(out, dir, "$SNAPSHOT")
			sum := sha256.Sum256([]byte(out))
			got := hex.EncodeToString(sum[:])
			if os.Getenv("SIGHTLINE_UPDATE_GOLDEN") == "1" && w.name == "keyed-objects" {
				if err := os.WriteFile(golden, []byte(got+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != strings.TrimSpace(string(want)) {
				t.Fatalf("exposure JSON of the seeded 2k estate changed: sha256 %s, want %s (%d bytes)", got, strings.TrimSpace(string(want)), len(out))
			}
		})
	}
}

// TestExposureWhyAliasesAndIdle: a classic load balancer answers to its
// ARN as well as its name, and a resource with no path of its own (the
// load balancer's node interface) is not_exposed with the reason, not
// "not in the results".
func TestExposureWhyAliasesAndIdle(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "aws", "scenarios", "classic-elb")
	byName, _, code := runCLI(t, "exposure", "--aws", dir, "--why", "legacy-web:tcp/80", "--format", "json")
	if code != 0 {
		t.Fatalf("by name: exit %d", code)
	}
	byARN, stderr, code := runCLI(t, "exposure", "--aws", dir, "--why", "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/legacy-web:tcp/80", "--format", "json")
	if code != 0 || byARN != byName {
		t.Fatalf("by ARN: exit %d %s\n%s\nwant\n%s", code, stderr, byARN, byName)
	}
	out, stderr, code := runCLI(t, "exposure", "--aws", dir, "--why", "eni-0celba:tcp/80", "--format", "json")
	if code != 0 || !strings.Contains(out, `"verdict": "not_exposed"`) || !strings.Contains(out, "interface of a load balancer node") {
		t.Fatalf("node interface: exit %d %s\n%s", code, stderr, out)
	}
}

// TestExposureListsGaps: what the sources could not read is in the
// exposure JSON ("gaps", as in the inventory) and in the table footer,
// not only announced on stderr.
func TestExposureListsGaps(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "internal", "workload", "ecs", "testdata", "ecs-mixed"))); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "111122223333", "eu-west-1", "ecs", "describe-services", "arn%3Aaws%3Aecs%3Aeu-west-1%3A111122223333%3Acluster%2Fprod.json")); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runCLI(t, "exposure", "--aws", dir, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Schema  string            `json:"schema"`
		Results []json.RawMessage `json:"results"`
		Gaps    []workload.Gap    `json:"gaps"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(doc.Gaps) != 1 || !strings.Contains(doc.Gaps[0].What, "ecs/describe-services of ECS cluster") || len(doc.Results) == 0 {
		t.Fatalf("gaps %+v (%d results)", doc.Gaps, len(doc.Results))
	}
	table, _, code := runCLI(t, "exposure", "--aws", dir)
	if code != 0 || !strings.Contains(table, "1 gap(s): what could not be read") || !strings.Contains(table, "  - ecs/describe-services of ECS cluster") {
		t.Fatalf("table footer lacks the gap (exit %d):\n%s", code, table)
	}
	// Without gaps the array is present and empty.
	out, _, _ = runCLI(t, "exposure", "--aws", filepath.Join("..", "..", "testdata", "aws", "scenarios", "alb-private"), "--format", "json")
	if !strings.Contains(out, "\"gaps\": [\n  ]\n}") {
		t.Errorf("no empty gaps array:\n%s", out[max(0, len(out)-200):])
	}
}
