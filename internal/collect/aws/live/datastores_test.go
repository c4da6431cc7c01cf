package live

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/sightline-sec/sightline/internal/collect/aws/datastores"
	"github.com/sightline-sec/sightline/internal/collect/aws/live/awsfake"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/datastore"
)

// TestCollectedDataStores reads what the live collector writes from the
// recorded wire-format responses (testdata/aws-wire, PROVENANCE.md):
// the reader and the collector agree on every data-service file.
func TestCollectedDataStores(t *testing.T) {
	f := awsfake.New(t, "../../../../testdata/aws-wire", awsfake.EstateRoutes()...)
	out := filepath.Join(t.TempDir(), "snap")
	_, err := Run(context.Background(), Options{Out: out, Regions: []string{"us-east-1"}, EndpointURL: f.URL(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""), MaxBackoff: time.Millisecond,
		ToolVersion: "test", Now: func() time.Time { return time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := snapshot.Load(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]datastore.Store{}
	for _, s := range datastores.Compile(snap).Stores {
		m[s.Name] = s
	}
	cases := []struct{ name, kind, verdict, text string }{
		{"bucket-2", datastore.S3Bucket, datastore.Public, "bucket policy of bucket-2 allows s3:GetObject on arn:aws:s3:::bucket-2/* to anyone"},
		{"bucket-1", datastore.S3Bucket, datastore.NotPublic, "RestrictPublicBuckets"},
		// get-bucket-policy denied: S3's own verdict, the statements named missing
		{"bucket-3", datastore.S3Bucket, datastore.NotPublic, "IsPublic false"},
		{"example", datastore.KubernetesAPI, datastore.Public, "answers 0.0.0.0/0"},
		{"sbx-ditto", datastore.KubernetesAPI, datastore.Unknown, ""},
		{"example-table", datastore.DynamoDBTable, datastore.NotPublic, "signed AWS requests"},
		{"test-secret-1", datastore.Secret, datastore.NotPublic, "no statement allows secretsmanager:GetSecretValue to anyone"},
		{"test-secret-2", datastore.Secret, datastore.NotPublic, "no resource policy"},
		{"test-es-domain-1", datastore.OpenSearchDomain, datastore.NotPublic, "VPC domain"},
		{"my-cluster", datastore.RedshiftCluster, datastore.NotPublic, "not PubliclyAccessible"},
		{"test-group", datastore.ElastiCache, datastore.NotPublic, "no AUTH token"},
		// describe-db-instances denied: the Aurora cluster's members unknown
		{"pg2-cluster", datastore.RDSCluster, datastore.Unknown, ""},
	}
	for _, c := range cases {
		s, ok := m[c.name]
		if !ok {
			t.Errorf("%s: not compiled", c.name)
			continue
		}
		if s.Kind != c.kind || s.Service.Verdict != c.verdict || !strings.Contains(strings.Join(s.Service.Proof, "\n"), c.text) {
			t.Errorf("%s: %s %s %q", c.name, s.Kind, s.Service.Verdict, s.Service.Proof)
		}
	}
	if got := strings.Join(m["bucket-3"].Service.Missing, "\n"); !strings.Contains(got, "s3api get-bucket-policy for bucket-3 in 644160558196/global not collected (gap in manifest.json): AccessDenied") {
		t.Errorf("bucket-3 missing %q", got)
	}
	if got := strings.Join(m["pg2-cluster"].Service.Missing, "\n"); !strings.Contains(got, "rds describe-db-instances in 644160558196/us-east-1 not collected (gap in manifest.json): AccessDenied") {
		t.Errorf("pg2-cluster missing %q", got)
	}
	// The interfaces of the Redshift, ElastiCache and OpenSearch stores
	// are not in the recorded describe-network-interfaces: named, not
	// taken as "no network path".
	for _, n := range []string{"my-cluster", "test-group", "test-es-domain-1"} {
		if s := m[n]; len(s.Interfaces) != 0 || !strings.Contains(strings.Join(s.Missing, "\n"), "no network interface in ec2/describe-network-interfaces.json matches") {
			t.Errorf("%s: interfaces %v missing %q", n, s.Interfaces, s.Missing)
		}
	}
}
