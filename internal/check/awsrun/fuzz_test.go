package awsrun

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: any describe-instances / describe-db-instances / list-buckets
// output either loads or fails with an error naming the file; never a
// panic.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"Reservations":[{"Instances":[{"InstanceId":"i-1","MetadataOptions":{"HttpTokens":"optional"},"NetworkInterfaces":[{"NetworkInterfaceId":"eni-1"}]}]}]}`))
	f.Add([]byte(`{"DBInstances":[{"DBInstanceIdentifier":"d","Endpoint":{"Port":5432},"DBSubnetGroup":{"Subnets":[{"SubnetIdentifier":"s"}]},"VpcSecurityGroups":[{"VpcSecurityGroupId":"sg"}]}]}`))
	f.Add([]byte(`{"Buckets":[{"Name":"b"}]}`))
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		for _, op := range []string{"ec2/describe-instances", "rds/describe-db-instances", "s3api/list-buckets", "ecr/describe-repositories"} {
			p := filepath.Join(dir, "111122223333", "eu-west-1", op+".json")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, src, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, _ = Load(context.Background(), dir)
	})
}
