package exposure

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
)

// FuzzAnalyze replaces one file of a real scenario snapshot with fuzzed
// bytes: loading and analysing must return a result or an error, never
// panic, and never leave a verdict outside the three defined ones.
func FuzzAnalyze(f *testing.F) {
	files := []string{"ec2/describe-security-groups.json", "ec2/describe-network-acls.json", "ec2/describe-route-tables.json",
		"ec2/describe-network-interfaces.json", "elbv2/describe-load-balancers.json", "elbv2/describe-target-health.json"}
	src := filepath.Join("..", "..", "testdata", "aws", "scenarios", "alb-private", "111122223333", "eu-west-1")
	for i, rel := range files {
		b, err := os.ReadFile(filepath.Join(src, rel))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	// One copy of the scenario per fuzzing process: each input overwrites one
	// file and the original is put back afterwards. (Copying the scenario
	// for every input made each run create ~30 files, and file creation, not
	// analysis, bounded the fuzzer to a few inputs per second here.)
	dst := filepath.Join(f.TempDir(), "111122223333", "eu-west-1")
	orig := map[string][]byte{}
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		orig[filepath.ToSlash(rel)] = b
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		f.Fatal(err)
	}
	var mu sync.Mutex
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		mu.Lock()
		defer mu.Unlock()
		rel := files[int(which)%len(files)]
		p := filepath.Join(dst, filepath.FromSlash(rel))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := os.WriteFile(p, orig[rel], 0o644); err != nil {
				t.Fatal(err)
			}
		}()
		reg, err := snapshot.LoadRegionDir(context.Background(), "111122223333", "eu-west-1", dst)
		if err != nil {
			return
		}
		res, err := analyzeSnapRegion(context.Background(), reg)
		if err != nil {
			return
		}
		checkInvariants(t, res)
		for _, r := range res {
			if r.Verdict != Exposed && r.Verdict != NotExposed && r.Verdict != Unknown {
				t.Fatalf("bad verdict %q", r.Verdict)
			}
			if r.FromPort > r.ToPort || r.ToPort > 65535 || r.FromPort < 0 {
				t.Fatalf("bad port range %d-%d", r.FromPort, r.ToPort)
			}
		}
	})
}
