package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sightline-sec/sightline/internal/image/imagetest"
	"github.com/sightline-sec/sightline/internal/risk"
)

// ecsMixed (inventory_test.go) is the ECS estate of the workload tests: a
// bridge-mode task (nginx:1.27 "web" on a dynamic host port behind an
// internet-facing ALB, its metrics port 9113 closed by the host's security
// group) and an awsvpc task behind a second target group.

// assessCLI is a cache dir with a database imported from the repo's real
// Debian OSV, KEV and EPSS data, and a docker archive of an image built
// from the real Debian 12 package set with openssl at 3.0.11-1~deb12u1
// (Debian 12.2), which DSA-5532-1 and DSA-5764-1 fix.
func assessCLI(t *testing.T) (*cli, string) {
	t.Helper()
	c := assessDB(t)
	img := imagetest.Image(t, v1.Config{ExposedPorts: map[string]struct{}{"80/tcp": {}}},
		imagetest.Step{Layer: imagetest.Layer(t, vulnerableDebian(t)), CreatedBy: "debian 12.2"})
	return c, writeDockerArchive(t, img, "")
}

// assessDB is a cache dir with the database of assessCLI.
func assessDB(t *testing.T) *cli {
	t.Helper()
	c := newCLI(t)
	td := filepath.Join("..", "..", "testdata", "vulndb")
	c.ok("db", "import", filepath.Join(td, "osv", "debian"),
		filepath.Join(td, "kev", "known_exploited_vulnerabilities-subset.json"),
		filepath.Join(td, "epss", "epss-2021-08-31-subset.csv.gz"))
	return c
}

// vulnerableDebian is the real Debian 12 package set with openssl and
// libssl3 at 3.0.11-1~deb12u1 (Debian 12.2).
func vulnerableDebian(t *testing.T) []imagetest.File {
	const v = "3.0.11-1~deb12u1"
	return imagetest.DebianBaseVersions(t, map[string]string{"openssl": v, "libssl3": v})
}

// withDigest copies the ecs-mixed snapshot with the web container's
// running digest replaced by digest (the image the test scanned).
func withDigest(t *testing.T, digest string) string {
	t.Helper()
	return copyReplacing(t, ecsMixed, map[string]string{
		"sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0": digest})
}

// copyReplacing copies the tree src to a temporary directory with every
// old string of each file replaced by its new one.
func copyReplacing(t *testing.T, src string, repl map[string]string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := string(b)
		for old, nw := range repl {
			s = strings.ReplaceAll(s, old, nw)
		}
		return os.WriteFile(filepath.Join(dst, rel), []byte(s), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestAssessECS runs the whole pipeline through the CLI: scan the image,
// join it by digest to the ECS web task, rank, gate and print.
func TestAssessECS(t *testing.T) {
	c, archive := assessCLI(t)
	res := c.ok("scan", "image", "--offline", "--format", "json", "docker-archive:"+archive)
	resFile := filepath.Join(t.TempDir(), "web.json")
	if err := os.WriteFile(resFile, []byte(res), 0o644); err != nil {
		t.Fatal(err)
	}
	scanRes := decodeResult(t, res)
	snap := withDigest(t, scanRes.Target.Digest)

	out := c.ok("assess", "--aws", snap, "--scan-results", resFile, "--format", "json")
	var rep risk.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("assess JSON: %v\n%.400s", err, out)
	}
	if rep.Schema != "sightline.assess/v1" || len(rep.Risks) == 0 {
		t.Fatalf("report: %.600s", out)
	}
	top := rep.Risks[0]
	if top.Rank != 1 || top.Reachability.Class != risk.ReachWide || top.Reachability.Port != "tcp/80" || top.Image.Join != "digest" ||
		len(top.Workloads) != 1 || top.Workloads[0].Container != "web" || top.Runtime.State != "unknown" ||
		top.PortEvidence.Source != "image ExposedPorts" || len(top.Reachability.Path) == 0 {
		t.Errorf("top row: %+v", top)
	}
	// The agent image (tag only) and the api image were not scanned: said so.
	if len(rep.Coverage.ImagesNotScanned) != 2 || rep.Coverage.ScanResults != 1 {
		t.Errorf("coverage: %+v", rep.Coverage)
	}

	// --images scans through the scan path of `scan image`: same rows.
	out2 := c.ok("assess", "--aws", snap, "--offline", "--images", "docker-archive:"+archive, "--format", "json")
	var rep2 risk.Report
	if err := json.Unmarshal([]byte(out2), &rep2); err != nil {
		t.Fatal(err)
	}
	if len(rep2.Risks) != len(rep.Risks) || rep2.Risks[0].ID != top.ID || rep2.Risks[0].Score != top.Score {
		t.Errorf("--images differs from --scan-results: %d vs %d rows", len(rep2.Risks), len(rep.Risks))
	}

	// The gate: an exposed high finding exits 1, naming it.
	_, stderr, code := c.run("assess", "--aws", snap, "--scan-results", resFile, "--fail-on-exposed", "high")
	if code != 1 || !strings.Contains(stderr, "exposed to the internet at or above high") {
		t.Errorf("--fail-on-exposed high: exit %d: %s", code, stderr)
	}
	// The test database's newest record is from 2025: the scan said it
	// was stale, and assess repeats it for the results it ranks.
	if !strings.Contains(stderr, "web.json was scanned with a stale advisory database (osv:") {
		t.Errorf("stale scan result not said: %s", stderr)
	}
	// Without the estate nothing runs it: no exposed finding, exit 0.
	if _, stderr, code := c.run("assess", "--scan-results", resFile, "--fail-on-exposed", "low"); code != 0 ||
		!strings.Contains(stderr, "no workload source") {
		t.Errorf("no estate: exit %d: %s", code, stderr)
	}

	// The table: top risks first, 80 columns, the fix and the coverage.
	table := c.ok("assess", "--aws", snap, "--scan-results", resFile)
	for _, l := range strings.Split(table, "\n") {
		if len([]rune(l)) > 80 {
			t.Errorf("line over 80 columns: %q", l)
		}
	}
	for _, want := range []string{"SCORE", top.ID, "internet", "upgrade openssl to 3.0.14-1~deb12u2 fixes", "not scanned"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}

// TestAssessUsage: bad input exits 2 naming it, before any work.
func TestAssessUsage(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"schema":"sightline.inventory/v1"}`), 0o644)
	score := filepath.Join(t.TempDir(), "score.json")
	os.WriteFile(score, []byte(`{"schema":"sightline.scan/v1","findings":[{"id":"CVE-9","severity":{"level":"high","score":99}}],"coverage":{"db":"ok"}}`), 0o644)
	evil := filepath.Join(t.TempDir(), "evil.json")
	os.WriteFile(evil, []byte(`{"schema":"sightline.scan/v1","findings":[{"id":"GHSA-\u001b[2J\u001b[31mEVIL\nX"}],"coverage":{"db":"ok"}}`), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"assess"}, "give findings"},
		{[]string{"assess", "--scan-results", bad}, "bad.json: schema"},
		{[]string{"assess", "--scan-results", bad + ".missing"}, "no such file"},
		{[]string{"assess", "--scan-results", score}, "score.json: finding CVE-9: CVSS score 99 outside 0-10"},
		{[]string{"assess", "--scan-results", evil}, "evil.json: finding 0: advisory ID"},
		{[]string{"assess", "--scan-results", bad, "--fail-on-exposed", "severe"}, "--fail-on-exposed"},
		{[]string{"assess", "--scan-results", bad, "--format", "cyclonedx"}, "not supported"},
		{[]string{"assess", "--scan-results", bad, "--host-id", "i-1"}, "--host-id names the Docker host: it needs --docker"},
	} {
		_, stderr, code := runCLI(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q (want 2, %q)", tc.args, code, stderr, tc.want)
		}
	}
	out, _, code := runCLI(t, "assess", "--help")
	if code != 0 || !strings.Contains(out, "--fail-on-exposed") || !strings.Contains(out, "sightline assess --aws") {
		t.Errorf("--help: exit %d\n%s", code, out)
	}
}

// TestAssessWithoutDB: with no advisory database assess never passes a
// gate nor prints a clean headline; --allow-unchecked lets the gate pass
// (scan's rule for --fail-on), still saying so.
func TestAssessWithoutDB(t *testing.T) {
	c, archive := assessCLI(t)
	snap := withDigest(t, decodeResult(t, c.ok("scan", "image", "--offline", "--format", "json", "docker-archive:"+archive)).Target.Digest)
	bare := newCLI(t)
	res, _, code := bare.run("scan", "image", "--format", "json", "docker-archive:"+archive)
	if code != 0 {
		t.Fatalf("scan without db: exit %d", code)
	}
	resFile := filepath.Join(t.TempDir(), "nodb.json")
	if err := os.WriteFile(resFile, []byte(res), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, in := range [][]string{{"--images", "docker-archive:" + archive}, {"--scan-results", resFile}} {
		args := append([]string{"assess", "--aws", snap, "--fail-on-exposed", "low"}, in...)
		out, stderr, code := bare.run(args...)
		if code != 1 || !strings.Contains(stderr, "no advisory database") || !strings.Contains(stderr, "run sightline db update") ||
			!strings.Contains(stderr, "--allow-unchecked") || !strings.Contains(out, "NOT CHECKED: no advisory database") {
			t.Errorf("%v: exit %d\n%s\n%s", in, code, out, stderr)
		}
		if _, stderr, code := bare.run(append(args, "--allow-unchecked")...); code != 0 || !strings.Contains(stderr, "passed with --allow-unchecked") {
			t.Errorf("%v --allow-unchecked: exit %d: %s", in, code, stderr)
		}
	}
}

// TestAssessWarnsUnscanned: images that workloads run but no scan result
// covers are said on stderr (as inventory says its gaps), not only in the
// table footer, and the exposed ones are named.
func TestAssessWarnsUnscanned(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	if _, stderr, code := c.run("demo", "--out", dir); code != 0 {
		t.Fatalf("demo --out: exit %d: %s", code, stderr)
	}
	_, stderr, code := c.run("assess", "--aws", filepath.Join(dir, "aws"), "--k8s", filepath.Join(dir, "k8s"),
		"--scan-results", filepath.Join(dir, "scan", "shop-web.json"))
	if code != 0 || !strings.Contains(stderr, "2 image(s) run by workloads have no scan result") ||
		!strings.Contains(stderr, "not checked, on paths exposed to the internet: image") || !strings.Contains(stderr, "shop/api:1.4.2 not scanned") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// TestAssessIdentity: with the snapshot's IAM, the web task's role is
// evaluated (internal/iam): the row says what the role may read, with the
// statement, and weighs it (RoleData instead of the bare Role); without
// IAM the coverage says the roles' permissions are unknown.
func TestAssessIdentity(t *testing.T) {
	c, archive := assessCLI(t)
	res := c.ok("scan", "image", "--offline", "--format", "json", "docker-archive:"+archive)
	resFile := filepath.Join(t.TempDir(), "web.json")
	if err := os.WriteFile(resFile, []byte(res), 0o644); err != nil {
		t.Fatal(err)
	}
	snap := withDigest(t, decodeResult(t, res).Target.Digest)
	bare := decodeAssess(t, c.ok("assess", "--aws", snap, "--scan-results", resFile, "--format", "json"))
	if !strings.HasPrefix(bare.Coverage.Identity, "no IAM in the AWS snapshot") || bare.Risks[0].ScoreParts.Privilege != risk.Weights.Role {
		t.Errorf("without IAM: identity %q, privilege %.1f", bare.Coverage.Identity, bare.Risks[0].ScoreParts.Privilege)
	}

	iamDir := filepath.Join(snap, "111122223333", "global", "iam")
	if err := os.MkdirAll(iamDir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("testdata", "iam", "web-task-exports.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(iamDir, "get-account-authorization-details.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	rep := decodeAssess(t, c.ok("assess", "--aws", snap, "--scan-results", resFile, "--format", "json"))
	top := rep.Risks[0]
	reasons := strings.Join(top.Reasons, "\n")
	if top.ScoreParts.Privilege != risk.Weights.RoleData || top.Score <= bare.Risks[0].Score ||
		!strings.Contains(reasons, "role web-task can ") || !strings.Contains(reasons, "s3:GetObject on arn:aws:s3:::customer-exports/*") ||
		!strings.Contains(reasons, "runs role web-task (data access)") {
		t.Errorf("with IAM: privilege %.1f, score %.1f (bare %.1f), reasons:\n%s", top.ScoreParts.Privilege, top.Score, bare.Risks[0].Score, reasons)
	}
	// The api task's role is not in the IAM file: said, not guessed.
	if !strings.Contains(rep.Coverage.Identity, "IAM evaluated for 1 workload role(s)") ||
		!strings.Contains(rep.Coverage.Identity, "not in the IAM snapshot (permissions unknown): arn:aws:iam::111122223333:role/api-task") {
		t.Errorf("coverage.identity %q", rep.Coverage.Identity)
	}
	// …and the table's footer and stderr say it too, as for unscanned images.
	table, stderr, code := c.run("assess", "--aws", snap, "--scan-results", resFile)
	if code != 0 || !strings.Contains(table, "roles: IAM evaluated for 1 workload role(s); not in the IAM snapshot") ||
		!strings.Contains(stderr, "role/api-task") {
		t.Errorf("table footer / stderr lack the unevaluated role: exit %d\n%s\n%s", code, table, stderr)
	}
}

// TestAssessIdentityDamagedIAM: an IAM file that does not parse does not
// stop the ranking; the coverage and stderr say the roles' permissions
// are unknown, naming the file.
func TestAssessIdentityDamagedIAM(t *testing.T) {
	c, archive := assessCLI(t)
	res := c.ok("scan", "image", "--offline", "--format", "json", "docker-archive:"+archive)
	snap := withDigest(t, decodeResult(t, res).Target.Digest)
	iamDir := filepath.Join(snap, "111122223333", "global", "iam")
	if err := os.MkdirAll(iamDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(iamDir, "get-account-authorization-details.json"), []byte(`{"RoleDetailList": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := c.run("assess", "--aws", snap, "--offline", "--images", "docker-archive:"+archive, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rep := decodeAssess(t, out)
	if !strings.Contains(rep.Coverage.Identity, "permissions are unknown") || !strings.Contains(rep.Coverage.Identity, "get-account-authorization-details.json") ||
		!strings.Contains(stderr, "permissions are unknown") || rep.Risks[0].ScoreParts.Privilege != risk.Weights.Role {
		t.Errorf("identity %q, privilege %.1f, stderr %s", rep.Coverage.Identity, rep.Risks[0].ScoreParts.Privilege, stderr)
	}
}
