package awsrun

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/check"
)

func load(t *testing.T, dir string) check.Set {
	t.Helper()
	set, err := Load(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func find(t *testing.T, set check.Set, typ, name string) *check.Object {
	t.Helper()
	for i := range set.Objects {
		if set.Objects[i].Type == typ && set.Objects[i].Name == name {
			return &set.Objects[i]
		}
	}
	t.Fatalf("no %s %s", typ, name)
	return nil
}

// The recorded estate: the API's own fields, IMDSv1 allowed on every
// instance, a bucket with a public access block and buckets whose block
// was not collected (unknown), EKS clusters whose describe-cluster output
// is empty (a failed call: unknown) and one with its recorded output, ECR repositories whose recorded
// output lacks the scanning settings (unknown).
func TestGoldenSnapshot(t *testing.T) {
	set := load(t, "../../../testdata/aws-wire/golden")
	in := find(t, set, TypeInstance, "i-07b1657fdb879c149")
	if mo, _ := in.Data["MetadataOptions"].(map[string]any); mo["HttpTokens"] != "optional" {
		t.Errorf("MetadataOptions = %v", in.Data["MetadataOptions"])
	}
	rows, _ := in.Vars["exposure"].([]any)
	if len(rows) == 0 {
		t.Fatalf("no exposure rows")
	}
	for _, r := range rows {
		if m := r.(map[string]any); m["verdict"] != "not_exposed" {
			t.Errorf("row %v, want not_exposed (no public address)", m)
		}
	}
	b1 := find(t, set, TypeBucket, "bucket-1")
	if pab, _ := b1.Data["PublicAccessBlockConfiguration"].(map[string]any); pab["BlockPublicAcls"] != true || len(b1.Unknown) != 0 {
		t.Errorf("bucket-1 = %v unknown %v", b1.Data, b1.Unknown)
	}
	b2 := find(t, set, TypeBucket, "bucket-2")
	if !slices.Contains(b2.Unknown, "PublicAccessBlockConfiguration") {
		t.Errorf("bucket-2 unknown = %v", b2.Unknown)
	}
	groups := 0
	for _, o := range set.Objects {
		if o.Type == TypeSecurityGroup {
			groups++
		}
	}
	if groups != 4 { // the recorded output lists each of the 4 groups twice
		t.Errorf("%d security groups, want 4", groups)
	}
	c := find(t, set, TypeCluster, "sbx-ditto")
	if !slices.Contains(c.Unknown, "resourcesVpcConfig") || !strings.Contains(c.Vars["unknown"].(map[string]any)["resourcesVpcConfig"].(string), "eks describe-cluster") {
		t.Errorf("cluster unknown = %v %v", c.Unknown, c.Vars["unknown"])
	}
	// The recorded cluster "example": public endpoint open to 0.0.0.0/0.
	ex := find(t, set, TypeCluster, "example")
	if vpc, _ := ex.Data["resourcesVpcConfig"].(map[string]any); vpc["endpointPublicAccess"] != true || slices.Contains(ex.Unknown, "resourcesVpcConfig") {
		t.Errorf("cluster example = %v unknown %v", ex.Data["resourcesVpcConfig"], ex.Unknown)
	}
	repo := find(t, set, TypeRepository, "test-repository")
	if !slices.Contains(repo.Unknown, "imageScanningConfiguration") {
		t.Errorf("repository unknown = %v", repo.Unknown)
	}
}

// The exposure engine's verdicts and proofs reach the instance Objects.
func TestScenarioExposure(t *testing.T) {
	set := load(t, "../../../testdata/aws/scenarios/public-web")
	in := find(t, set, TypeInstance, "i-0web000000000001")
	var ssh map[string]any
	for _, r := range in.Vars["exposure"].([]any) {
		m := r.(map[string]any)
		if m["protocol"] == "tcp" && m["from_port"] == int64(22) {
			ssh = m
		}
	}
	if ssh == nil || ssh["verdict"] != "exposed" || ssh["width"] != "narrow" || len(ssh["proof"].([]any)) == 0 {
		t.Fatalf("ssh row = %v", ssh)
	}
}

// A DB instance whose network interface the snapshot cannot show has an
// unknown exposure naming why, and its unlisted fields are unknown.
func TestDBInstanceUnknown(t *testing.T) {
	set := load(t, "testdata/rds-docs")
	db := find(t, set, TypeDBInstance, "mydbinstancecf")
	if db.Vars["db_port"] != int64(3306) {
		t.Errorf("db_port = %v", db.Vars["db_port"])
	}
	for _, p := range []string{"StorageEncrypted", "vars.exposure_unknown"} {
		if !slices.Contains(db.Unknown, p) {
			t.Errorf("unknown %v lacks %s", db.Unknown, p)
		}
	}
	row := db.Vars["exposure"].([]any)[0].(map[string]any)
	if row["verdict"] != "unknown" || !strings.Contains(row["missing"].([]any)[0].(string), "not identifiable") {
		t.Errorf("row = %v", row)
	}
}
