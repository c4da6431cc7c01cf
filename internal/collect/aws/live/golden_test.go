package live

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
)

// wireDir holds the recorded responses in AWS wire formats (PROVENANCE.md).
const wireDir = "../../../../testdata/aws-wire"

// goldenDir holds, per snapshot file, what the real AWS CLI printed for the
// same recorded responses. Regenerate with an AWS CLI (v1 with
// cli_timestamp_format=iso8601, or v2) on PATH:
//
//	SIGHTLINE_AWSCLI_GOLDEN=1 go test ./internal/collect/aws/live -run TestCollectEstate
var goldenDir = filepath.Join(wireDir, "golden")

// compareGolden checks every snapshot file against its golden file, or
// (re)writes the golden files with the AWS CLI when asked to.
func compareGolden(t *testing.T, root string, files []string, endpoint string) {
	t.Helper()
	update := os.Getenv("SIGHTLINE_AWSCLI_GOLDEN") == "1"
	for _, rel := range files {
		parts := strings.Split(rel, "/") // account/region/service/op(.json | /id.json)
		golden := filepath.Join(goldenDir, filepath.Join(parts[1:]...))
		if update {
			writeGoldenWithCLI(t, root, parts, golden, endpoint)
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Errorf("%s: no golden file (%v)", rel, err)
			continue
		}
		got, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if len(strings.TrimSpace(string(want))) == 0 {
			want = []byte("{}") // the CLI prints nothing for an empty result
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatalf("%s: %v", golden, err)
		}
		var diffs []string
		jsonDiff("", g, w, &diffs)
		if len(diffs) > 0 {
			t.Errorf("%s differs from the AWS CLI output %s:\n%s", rel, golden, strings.Join(diffs, "\n"))
		}
	}
}

// jsonDiff lists up to 20 paths where got and want differ. Two documented
// differences are accepted: we write an empty list where the response had
// no list element at all (the CLI omits the key; AWS itself sends the empty
// element), and the CLI prints null for members it models but the response
// lacks (we omit them). A third is the SDK limit documented in RenderCLI:
// members with a model default that are 0 or false cannot be told apart
// from absent ones in the SDK's Go structs, so we omit them.
func jsonDiff(path string, got, want any, out *[]string) {
	if len(*out) >= 20 {
		return
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			break
		}
		for k, wv := range w {
			if gv, ok := g[k]; ok {
				jsonDiff(path+"."+k, gv, wv, out)
			} else if wv != nil && wv != false && wv != float64(0) {
				*out = append(*out, fmt.Sprintf("  %s.%s: missing (CLI has %.80v)", path, k, wv))
			}
		}
		for k, gv := range g {
			if l, isList := gv.([]any); isList && len(l) == 0 {
				continue
			}
			if _, ok := w[k]; !ok {
				*out = append(*out, fmt.Sprintf("  %s.%s: extra %.80v", path, k, gv))
			}
		}
		return
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			break
		}
		for i := range w {
			jsonDiff(fmt.Sprintf("%s[%d]", path, i), g[i], w[i], out)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		*out = append(*out, fmt.Sprintf("  %s: got %.80v, CLI %.80v", path, got, want))
	}
}

// cliArgs maps a snapshot file to the AWS CLI command that prints it; it is
// also the recipe documented in docs/aws-collect.md.
func cliArgs(t *testing.T, root string, parts []string) []string {
	acct, svc := parts[0], parts[2]
	op := strings.TrimSuffix(parts[3], ".json")
	args := []string{svc, op}
	if len(parts) == 4 {
		if svc == "ecs" && op == "describe-clusters" {
			return append(args, append([]string{"--clusters"}, listIDs(t, root, acct, parts[1], "ecs/list-clusters.json", "clusterArns")...)...)
		}
		if svc == "elasticache" && op == "describe-cache-clusters" {
			return append(args, "--show-cache-node-info")
		}
		return args
	}
	id, err := layout.DecodeID(strings.TrimSuffix(parts[4], ".json"))
	if err != nil {
		t.Fatal(err)
	}
	flag := map[string]string{
		"ec2 get-managed-prefix-list-entries":    "--prefix-list-id",
		"elbv2 describe-listeners":               "--load-balancer-arn",
		"elbv2 describe-rules":                   "--listener-arn",
		"elbv2 describe-target-health":           "--target-group-arn",
		"elbv2 describe-target-group-attributes": "--target-group-arn",
		"ecs list-services":                      "--cluster",
		"ecs list-tasks":                         "--cluster",
		"ecs list-container-instances":           "--cluster",
		"ecs describe-task-definition":           "--task-definition",
		"eks describe-cluster":                   "--name",
		"eks list-nodegroups":                    "--cluster-name",
		"ecr describe-images":                    "--repository-name",
		"lambda list-function-url-configs":       "--function-name",
		"s3api get-public-access-block":          "--bucket",
		"s3api get-bucket-policy-status":         "--bucket",
		"s3api get-bucket-policy":                "--bucket",
		"dynamodb describe-table":                "--table-name",
		"opensearch describe-domain":             "--domain-name",
		"secretsmanager get-resource-policy":     "--secret-id",
	}[svc+" "+op]
	if flag != "" {
		return append(args, flag, id)
	}
	region := parts[1]
	enc := layout.EncodeID(id)
	switch svc + " " + op {
	case "eks describe-nodegroup":
		c, ng, _ := strings.Cut(id, "/")
		return append(args, "--cluster-name", c, "--nodegroup-name", ng)
	case "ecs describe-services":
		return append(args, append([]string{"--cluster", id, "--services"}, listIDs(t, root, acct, region, "ecs/list-services/"+enc+".json", "serviceArns")...)...)
	case "ecs describe-tasks":
		return append(args, append([]string{"--cluster", id, "--tasks"}, listIDs(t, root, acct, region, "ecs/list-tasks/"+enc+".json", "taskArns")...)...)
	case "ecs describe-container-instances":
		return append(args, append([]string{"--cluster", id, "--container-instances"}, listIDs(t, root, acct, region, "ecs/list-container-instances/"+enc+".json", "containerInstanceArns")...)...)
	}
	t.Fatalf("no AWS CLI recipe for %v", parts)
	return nil
}

func listIDs(t *testing.T, root, acct, region, rel, key string) []string {
	v := readJSON(t, filepath.Join(root, acct, region, rel)).(map[string]any)
	var ids []string
	for _, x := range v[key].([]any) {
		ids = append(ids, x.(string))
	}
	return ids
}

// writeGoldenWithCLI runs the AWS CLI against the same fake endpoint.
func writeGoldenWithCLI(t *testing.T, root string, parts []string, golden, endpoint string) {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "config")
	os.WriteFile(cfg, []byte("[default]\ncli_timestamp_format = iso8601\n"), 0o644)
	args := append([]string{"--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json"}, cliArgs(t, root, parts)...)
	cmd := exec.Command("aws", args...)
	cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE="+cfg, "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret", "TZ=UTC", "AWS_PAGER=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	os.MkdirAll(filepath.Dir(golden), 0o755)
	if err := os.WriteFile(golden, out, 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "golden: aws %s\n", strings.Join(args[6:], " "))
}
