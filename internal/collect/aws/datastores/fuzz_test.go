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
//
// With coverage instrumentation (`go test -fuzz`) the Go fuzz engine's
// workers stall after a dozen inputs on this target (2026-11-30, Go 1.26);
// without it they run at about 650 inputs/s:
//
//	go test -c -o /tmp/dsfuzz ./internal/collect/aws/datastores
//	(cd internal/collect/aws/datastores && /tmp/dsfuzz -test.run '^$' -test.fuzz FuzzDataFiles -test.fuzztime 30s)
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
	base, err := os.MkdirTemp("", "sightline-fuzz-datastores-")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(base) })
	if err := os.CopyFS(base, os.DirFS(scenario)); err != nil {
		f.Fatal(err)
	}
	// A worker runs one input at a time: the fuzzed file is written over
	// the copy and put back afterwards (copying the tree per input made
	// the fuzzer crawl).
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		dir := base
		rel := files[int(which)%len(files)]
		p := filepath.Join(dir, rel)
		orig, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := os.WriteFile(p, orig, 0o644); err != nil {
				t.Fatal(err)
			}
		}()
		if err := os.WriteFile(p, data, 0o644); err != nil {
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
