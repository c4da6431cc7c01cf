package datastores

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
)

// FuzzDataFiles replaces one data-service file of the datastores scenario
// with arbitrary bytes: reading never panics, an error names the file, and
// what reads is compiled without panicking (a policy that does not parse
// makes a verdict unknown, never public or not).
func FuzzDataFiles(f *testing.F) {
	files := []string{
		"111122223333/eu-west-1/rds/describe-db-instances.json",
		"111122223333/global/s3api/get-bucket-policy/public-assets.json",
		"111122223333/global/s3api/list-buckets.json",
		"111122223333/eu-west-1/lambda/list-function-url-configs/thumbnailer.json",
		"111122223333/eu-west-1/ec2/describe-network-interfaces.json",
		"111122223333/global/s3api/get-public-access-block/customer-exports.json",
	}
	for i, rel := range files {
		b, err := os.ReadFile(filepath.Join(scenario, rel))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	f.Add(uint8(1), []byte(`{"Policy": "{\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:*\"}]}"}`))
	f.Add(uint8(1), []byte(`{"Policy": "not a policy"}`))
	f.Add(uint8(0), []byte(`{"DBInstances": [{"DBInstanceIdentifier": "x", "DBSubnetGroup": {"Subnets": [{}]}, "VpcSecurityGroups": [{}]}]}`))
	base := f.TempDir()
	if err := os.CopyFS(base, os.DirFS(scenario)); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(base)); err != nil {
			t.Fatal(err)
		}
		rel := files[int(which)%len(files)]
		if err := os.WriteFile(filepath.Join(dir, rel), data, 0o644); err != nil {
			t.Fatal(err)
		}
		snap, err := snapshot.Load(context.Background(), dir)
		if err != nil {
			name := strings.TrimSuffix(filepath.Base(rel), ".json")
			if !strings.Contains(err.Error(), name) && !strings.Contains(err.Error(), filepath.Base(filepath.Dir(rel))) {
				t.Fatalf("error does not name %s: %v", rel, err)
			}
			return
		}
		inv := Compile(snap)
		for _, s := range inv.Stores {
			if s.Service.Verdict == "" {
				t.Fatalf("%s: no verdict", s.ID)
			}
		}
	})
}
