package exposure

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
)

// copyDir copies a scenario region directory.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRequiredFiles: every file docs/aws-snapshot.md calls required for
// exposure, absent or empty (a failed `aws … > file`), turns every
// verdict that was exposed into unknown naming that file (never a
// confident verdict with nothing in missing). Exposed results may stay
// exposed only when their missing names the file.
func TestRequiredFiles(t *testing.T) {
	const scen = "public-web"
	src := filepath.Join("..", "..", "testdata", "aws", "scenarios", scen, "111122223333", "eu-west-1")
	base := analyzeScenario(t, scen)
	wasExposed := map[string]bool{}
	for _, r := range base {
		if r.Verdict == Exposed {
			wasExposed[r.Resource+"|"+r.Protocol] = true
		}
	}
	if len(wasExposed) == 0 {
		t.Fatal("scenario has no exposure")
	}
	for _, op := range []string{"ec2/describe-vpcs", "ec2/describe-subnets", "ec2/describe-route-tables", "ec2/describe-internet-gateways",
		"ec2/describe-network-acls", "ec2/describe-security-groups", "ec2/describe-instances"} {
		for _, how := range []string{"empty", "absent"} {
			t.Run(op+"/"+how, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "111122223333", "eu-west-1")
				copyDir(t, src, dir)
				f := filepath.Join(dir, filepath.FromSlash(op)+".json")
				if how == "empty" {
					if err := os.WriteFile(f, nil, 0o644); err != nil {
						t.Fatal(err)
					}
				} else if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
				reg, err := snapshot.LoadRegionDir(context.Background(), "111122223333", "eu-west-1", dir)
				if err != nil {
					t.Fatal(err)
				}
				res, err := analyzeSnapRegion(context.Background(), reg)
				if err != nil {
					t.Fatal(err)
				}
				checkInvariants(t, res)
				name := filepath.Base(op)
				named := 0
				for _, r := range res {
					mentions := strings.Contains(strings.Join(r.Missing, " "), name)
					if mentions {
						named++
					}
					if r.Verdict == Exposed && wasExposed[r.Resource+"|"+r.Protocol] && !mentions {
						t.Errorf("%s %s %s/%d-%d exposed with %s %s and nothing naming it in missing %v", r.ResourceType, r.Resource, r.Protocol, r.FromPort, r.ToPort, op, how, r.Missing)
					}
				}
				if named == 0 {
					t.Fatalf("no result names %s", op)
				}
			})
		}
	}
}
