package datastores

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/datastore"
)

const scenario = "../../../../testdata/aws/scenarios/datastores"

func load(t *testing.T, dir string) Inventory {
	t.Helper()
	snap, err := snapshot.Load(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return Compile(snap)
}

func byName(inv Inventory) map[string]datastore.Store {
	m := map[string]datastore.Store{}
	for _, s := range inv.Stores {
		m[s.Name] = s
	}
	return m
}

func TestScenarioVerdicts(t *testing.T) {
	inv := load(t, scenario)
	m := byName(inv)
	cases := []struct {
		name, kind, verdict, proof string
		ifaces                     []string
	}{
		{"db-prod", datastore.RDSInstance, datastore.NotPublic, "is not PubliclyAccessible", []string{"eni-0rdsprod"}},
		{"legacy-mysql", datastore.RDSInstance, datastore.Public, "is PubliclyAccessible", []string{"eni-0rdslegacy"}},
		{"public-assets", datastore.S3Bucket, datastore.Public, `resource-policy arn:aws:s3:::public-assets statement 0 (PublicRead) Allow`, nil},
		{"customer-exports", datastore.S3Bucket, datastore.NotPublic, "RestrictPublicBuckets", nil},
		{"thumbnailer", datastore.FunctionURL, datastore.Public, "AuthType NONE", nil},
	}
	for _, c := range cases {
		s, ok := m[c.name]
		if !ok {
			t.Errorf("%s: not compiled (have %v)", c.name, inv.Stores)
			continue
		}
		if s.Kind != c.kind || s.Service.Verdict != c.verdict || !strings.Contains(strings.Join(s.Service.Proof, "\n"), c.proof) {
			t.Errorf("%s: kind %s verdict %s proof %q", c.name, s.Kind, s.Service.Verdict, s.Service.Proof)
		}
		if strings.Join(s.Interfaces, ",") != strings.Join(c.ifaces, ",") {
			t.Errorf("%s: interfaces %v, want %v", c.name, s.Interfaces, c.ifaces)
		}
	}
	if p := m["db-prod"].Ports; len(p) != 1 || p[0] != 5432 {
		t.Errorf("db-prod ports %v", p)
	}
	if len(inv.Missing) != 0 {
		t.Errorf("every listing is collected, yet missing: %v", inv.Missing)
	}
}

// Listings that were not collected are named, each as "<kind> unknown",
// relative to the snapshot root; collected ones are not.
func TestMissingListings(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(scenario)); err != nil {
		t.Fatal(err)
	}
	reg := filepath.Join(dir, "111122223333", "eu-west-1")
	for _, svc := range []string{"dynamodb", "elasticache", "opensearch", "secretsmanager", "redshift", "eks"} {
		if err := os.RemoveAll(filepath.Join(reg, svc)); err != nil {
			t.Fatal(err)
		}
	}
	miss := strings.Join(load(t, dir).Missing, "\n")
	for _, k := range []string{"DynamoDB tables", "ElastiCache clusters", "OpenSearch domains", "Secrets Manager secrets", "Redshift clusters", "EKS API endpoints"} {
		if !strings.Contains(miss, k+" unknown") {
			t.Errorf("missing listing of %s not said:\n%s", k, miss)
		}
	}
	if strings.Contains(miss, "S3 buckets") || strings.Contains(miss, "RDS DB instances") || strings.Contains(miss, dir) {
		t.Errorf("collected listings reported missing, or an absolute path:\n%s", miss)
	}
}

// An RDS interface whose groups differ, or whose public address does not
// match PubliclyAccessible, is not the instance's.
func TestRDSAttributionNeedsEveryMatch(t *testing.T) {
	snap, err := snapshot.Load(context.Background(), scenario)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range snap.Regions {
		for i := range r.NetworkInterfaces {
			if r.NetworkInterfaces[i].NetworkInterfaceId == "eni-0rdsprod" {
				r.NetworkInterfaces[i].Groups[0].GroupId = "sg-0other"
			}
		}
	}
	m := byName(Compile(snap))
	s := m["db-prod"]
	if len(s.Interfaces) != 0 || !strings.Contains(strings.Join(s.Missing, "\n"), "no network interface in ec2/describe-network-interfaces.json matches") {
		t.Errorf("db-prod: interfaces %v missing %v", s.Interfaces, s.Missing)
	}
}

// A data-service file that does not parse makes its stores unknown,
// naming the file and the fault; the rest of the snapshot is read (a
// damaged bucket policy must not stop the exposure analysis).
func TestDamagedDataFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(scenario)); err != nil {
		t.Fatal(err)
	}
	acct := filepath.Join(dir, "111122223333")
	for rel, data := range map[string]string{
		"global/s3api/get-bucket-policy/public-assets.json": "garbage",
		"eu-west-1/rds/describe-db-instances.json":          `{"DBInstances": [{"DBInstanceIdentifier": "db-prod"`,
	} {
		if err := os.WriteFile(filepath.Join(acct, filepath.FromSlash(rel)), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inv := load(t, dir)
	m := byName(inv)
	pa := m["public-assets"]
	if pa.Service.Verdict != datastore.Public || !strings.Contains(strings.Join(pa.Service.Proof, "\n"), "IsPublic true") ||
		!strings.Contains(strings.Join(pa.Service.Missing, "\n"), "get-bucket-policy not read: parsing 111122223333/global/s3api/get-bucket-policy") {
		t.Errorf("public-assets: %+v", pa.Service)
	}
	if _, ok := m["db-prod"]; ok {
		t.Error("db-prod compiled from a truncated file")
	}
	miss := strings.Join(inv.Missing, "\n")
	if !strings.Contains(miss, "rds describe-db-instances not read: parsing 111122223333/eu-west-1/rds/describe-db-instances.json") ||
		!strings.Contains(miss, "RDS DB instances unknown") || strings.Contains(miss, dir) ||
		!strings.Contains(miss, "s3api get-bucket-policy not read: parsing 111122223333/global/s3api/get-bucket-policy/public-assets.json") ||
		!strings.Contains(miss, "S3 bucket policies unknown") {
		t.Errorf("missing:\n%s", miss)
	}
}
