package snapshot

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
)

// TestRecipeEncodeID runs the shell function encode_id from the AWS CLI
// recipe in docs/aws-snapshot.md and checks it names files exactly as
// layout.EncodeID (and so the collector) does.
func TestRecipeEncodeID(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("bash not found")
		}
		t.Skip("bash not found")
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "docs", "aws-snapshot.md"))
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "# --- encode_id:", "# --- end encode_id ---"
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		t.Fatalf("docs/aws-snapshot.md: encode_id block (%q … %q) not found", begin, end)
	}
	fn := string(doc[i:j])
	// The whole recipe must at least parse.
	if k := strings.Index(string(doc), "## Recipe"); k >= 0 {
		block := string(doc[k:])
		if a := strings.Index(block, "```bash\n"); a >= 0 {
			block = block[a+len("```bash\n"):]
			if b := strings.Index(block, "```"); b >= 0 {
				if out, err := exec.Command(bash, "-n", "-c", block[:b]).CombinedOutput(); err != nil {
					t.Fatalf("recipe does not parse: %v\n%s", err, out)
				}
			}
		}
	} else {
		t.Fatal("docs/aws-snapshot.md: recipe section not found")
	}
	ids := []string{
		"arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/6d0ecf831eec9f09",
		"arn:aws:ecs:us-east-1:123456789012:task-definition/api:7",
		"pl-0123456abcabcabc1", "example/nodegroup_1", "my.bucket.2024", ".hidden", "..", "a~b c+d%41",
		"caf\u00e9 \u2028 ✓", "tab\there", "x\xff\xfe",
		strings.Repeat("a", 200), strings.Repeat("a", 201), strings.Repeat("a/", 80),
		strings.Repeat("b", 148) + ":xyz" + strings.Repeat("c", 60), strings.Repeat("b", 149) + ":xyz" + strings.Repeat("c", 60),
		"arn:aws:ecs:eu-west-1:111122223333:task-definition/" + strings.Repeat("family-", 40) + ":12",
	}
	script := fn + "\nfor id in \"$@\"; do encode_id \"$id\"; printf '\\n'; done\n"
	out, err := exec.Command(bash, append([]string{"-c", script, "encode_id_test"}, ids...)...).Output()
	if err != nil {
		t.Fatalf("running encode_id: %v", err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(got) != len(ids) {
		t.Fatalf("%d lines for %d ids:\n%s", len(got), len(ids), out)
	}
	for k, id := range ids {
		if want := layout.EncodeID(id); got[k] != want {
			t.Errorf("encode_id %q = %q, layout.EncodeID = %q", id, got[k], want)
		}
	}
}
