package terraform

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzLoadHCL: any main.tf either loads or fails with an error; never a
// panic or a hang.
func FuzzLoadHCL(f *testing.F) {
	for _, p := range []string{"testdata/handwritten/features/main.tf", "testdata/cloudgoat/cloud_breach_s3/vpc.tf"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("resource \"aws_instance\" \"x\" {\n count = 3\n dynamic \"ebs\" {\n for_each = [1,2]\n content { size = ebs.value }\n }\n}\n"))
	f.Add([]byte("locals {\n a = local.b\n b = local.a\n}\nmodule \"m\" {\n source = \"./\"\n}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = LoadDir(ctx, dir, Options{})
	})
}

// FuzzParsePlan: any bytes either parse as a plan or fail with an error.
func FuzzParsePlan(f *testing.F) {
	if b, err := os.ReadFile("testdata/plans/trivy-plan.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"format_version":"1.2","planned_values":{"root_module":{"resources":[{"address":"aws_instance.a","mode":"managed","type":"aws_instance","name":"a","values":{"subnet_id":null}}]}},"resource_changes":[{"address":"aws_instance.a","change":{"after_unknown":{"subnet_id":true}}}]}`))
	f.Fuzz(func(t *testing.T, src []byte) {
		_, _ = ParsePlan(context.Background(), "fuzz.json", src, Options{})
	})
}
