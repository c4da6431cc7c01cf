package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sightline-sec/sightline/internal/risk"
)

// oneLine joins the wrapped lines of a table or paragraph into one line
// with single spaces, so that a wrapped reason can be matched whole.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestDemoMissionCase: `sightline demo` ranks the same vulnerability in
// the public fleet (shop/api:1.4.2 behind the internet-facing ALB) above
// the backoffice fleet (shop/api:1.4.1, whose security group admits the
// host ports from the VPC only), and the table says why for both; the
// temporary estate is removed and no temporary path is printed.
func TestDemoMissionCase(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	c := newCLI(t)
	t0 := time.Now()
	out, stderr, code := c.run("demo", "--top", "0")
	t.Logf("sightline demo: %v", time.Since(t0))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the temporary estate was not removed: %v", left)
	}
	if strings.Contains(out, tmp) || strings.Contains(out, "sightline-demo-") {
		t.Errorf("the output names the temporary directory:\n%s", out)
	}
	flat := oneLine(out)
	rowRe := func(reach, why string) *regexp.Regexp {
		return regexp.MustCompile(`(?:^| )(\d+) [\d.]+ \S+ minimist ` + reach + ` ` + regexp.QuoteMeta(why))
	}
	pub := rowRe("internet", "tcp/8080 via alb/shop-api; 2 workload(s)").FindStringSubmatch(flat)
	priv := rowRe("internal", "tcp/8080 blocked by sg-0backoffice; 2 workload(s)").FindStringSubmatch(flat)
	if pub == nil || priv == nil {
		t.Fatalf("the table lacks the public row (%v) or the blocked row (%v):\n%s", pub != nil, priv != nil, out)
	}
	for _, want := range []string{
		"The same GHSA-xvch-5gv4-984h (minimist 1.2.0) ranks #1 in shop/api:1.4.2 (exposed to the internet: tcp/8080 via alb/shop-api;",
		"and #6 in shop/api:1.4.1 (not exposed to the internet: tcp/8080 blocked by sg-0backoffice;",
		"sightline assess --aws snap/ --k8s manifests/ --scan-results image.json",
		"The estate was written to a temporary directory and removed",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if again, _, _ := c.run("demo", "--top", "0"); again != out {
		t.Errorf("two runs differ:\n%s\n---\n%s", out, again)
	}

	// The JSON says the same with the whole proof.
	js, stderr, code := c.run("demo", "--format", "json")
	if code != 0 {
		t.Fatalf("--format json: exit %d: %s", code, stderr)
	}
	var rep risk.Report
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatalf("--format json: stdout is not the assess document alone: %v\n%s", err, js)
	}
	if !strings.Contains(stderr, "What this did, offline") {
		t.Errorf("--format json: the closing lines are not on stderr: %q", stderr)
	}
	var public, internal *risk.Risk
	for i := range rep.Risks {
		r := &rep.Risks[i]
		if r.ID != "GHSA-xvch-5gv4-984h" {
			continue
		}
		switch {
		case strings.HasSuffix(r.Image.Ref, "/shop/api:1.4.2"):
			public = r
		case strings.HasSuffix(r.Image.Ref, "/shop/api:1.4.1"):
			internal = r
		}
	}
	if public == nil || internal == nil {
		t.Fatalf("GHSA-xvch-5gv4-984h: rows public %v, internal %v", public != nil, internal != nil)
	}
	// CVE-2010-0928 has no CVSS and Debian rates it unimportant (a fault
	// attack needing physical access to the processor): exposed or not, it
	// ranks below every finding the advisories rate, the blocked ones too.
	lastRated := 0
	for _, r := range rep.Risks {
		if r.ID != "CVE-2010-0928" {
			lastRated = max(lastRated, r.Rank)
		}
	}
	for _, r := range rep.Risks {
		if r.ID == "CVE-2010-0928" && (r.Rank < lastRated || r.Severity.Rating != "unimportant") {
			t.Errorf("CVE-2010-0928 (%s, %s) ranks #%d, above a rated finding at #%d", r.Severity.Rating, r.Reachability.Class, r.Rank, lastRated)
		}
	}
	if public.Rank != 1 || internal.Rank <= public.Rank || internal.Score >= public.Score {
		t.Errorf("ranks: public #%d (%.1f), internal #%d (%.1f); want the public one first",
			public.Rank, public.Score, internal.Rank, internal.Score)
	}
	if public.Reachability.Class != risk.ReachWide || !strings.Contains(public.Reasons[0], "exposed (wide) from the internet (IPv4) to tcp/8080 via alb/shop-api") {
		t.Errorf("public row: class %s, reason %q", public.Reachability.Class, public.Reasons[0])
	}
	b := internal.Reachability.BlockedBy
	if internal.Reachability.Class != risk.ReachInternal || b == nil || b.Kind != "security_group" || b.ID != "sg-0backoffice" ||
		!strings.Contains(b.Detail, "tcp 32768-60999 from 10.0.0.0/16 only") ||
		// The proof is about the host port the path crosses (the
		// container's dynamic host port), not the host's whole range.
		!regexp.MustCompile(`no rule admits tcp/3277[0-9]|no rule admits tcp/3276[89]`).MatchString(b.Detail) ||
		!strings.HasPrefix(internal.Reasons[0], "not exposed to the internet on tcp/8080: blocked by security_group sg-0backoffice") {
		t.Errorf("internal row: class %s, blocked_by %+v, reason %q", internal.Reachability.Class, b, internal.Reasons[0])
	}
	if !strings.Contains(flat, "#"+strconv.Itoa(internal.Rank)+" in shop/api:1.4.1") || pub[1] != "1" || priv[1] != strconv.Itoa(internal.Rank) {
		t.Errorf("table ranks public #%s, internal #%s; JSON #1, #%d", pub[1], priv[1], internal.Rank)
	}
}

// TestDemoOutKeepsEstate: with --out the estate stays, and the assess
// command the demo prints for it gives the same ranking.
func TestDemoOutKeepsEstate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "estate")
	c := newCLI(t)
	out, stderr, code := c.run("demo", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, p := range []string{"aws/manifest.json", "aws/111122223333/eu-west-1/ec2/describe-vpcs.json", "k8s/cluster.yaml", "db/sightline.db", "scan/shop-api-1.4.2.json", "images/shop-api-1.4.1.tar"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("--out: %v", err)
		}
	}
	table, epilogue, ok := strings.Cut(out, "\nWhat this did")
	if !ok {
		t.Fatalf("no closing lines:\n%s", out)
	}
	// The command is printed on one line, never wrapped, so it pastes.
	m := regexp.MustCompile(`from its files \(one line\):\n  sightline (assess --aws [^\n]*)\n`).FindStringSubmatch(epilogue)
	if m == nil {
		t.Fatalf("--out: no assess command for the kept estate:\n%s", epilogue)
	}
	got, stderr, code := c.run(strings.Fields(m[1])...)
	if code != 0 {
		t.Fatalf("%s: exit %d: %s", m[1], code, stderr)
	}
	if got != table {
		t.Errorf("%s prints another ranking than the demo:\n%s\n--- demo ---\n%s", m[1], got, table)
	}
	// …and the paths command after it lists the api tasks' two data
	// stores and the public bucket.
	pm := regexp.MustCompile(`attack paths to data:\n  sightline (paths --aws [^\n]*)\n`).FindStringSubmatch(epilogue)
	if pm == nil {
		t.Fatalf("--out: no paths command for the kept estate:\n%s", epilogue)
	}
	paths, stderr, code := c.run(strings.Fields(pm[1])...)
	if code != 0 {
		t.Fatalf("%s: exit %d: %s", pm[1], code, stderr)
	}
	for _, want := range []string{"→ shop-order-exports (s3_bucket)", "→ shop-orders (rds_instance)", "internet → shop-static-assets (s3_bucket)",
		"3 path(s): 2 through vulnerable workloads, 1 to public data stores"} {
		if !strings.Contains(oneLine(paths), want) {
			t.Errorf("%s lacks %q:\n%s", pm[1], want, paths)
		}
	}
	// A second demo into the estate it wrote replaces it (exit 0).
	if _, stderr, code := c.run("demo", "--out", dir); code != 0 {
		t.Errorf("demo --out over its own estate: exit %d: %s", code, stderr)
	}
}

// TestDemoBadOut: an --out that is a file or a directory Sightline cannot
// write into is a usage error naming it (exit 2), before anything is written.
func TestDemoBadOut(t *testing.T) {
	file := filepath.Join(t.TempDir(), "afile")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct{ dir, want string }{
		"file":       {file, "--out " + file + ": not a directory"},
		"under file": {filepath.Join(file, "sub"), "--out " + filepath.Join(file, "sub") + ": cannot create the directory"},
		"unwritable": {unwritableDir(t), ": not a writable directory: "},
		"not empty":  {nonEmptyDir(t), ": not empty and not a demo estate (it holds aws); give a new or empty directory"},
		"bad --top":  {"", "--top -1"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			args := []string{"demo", "--out", tc.dir}
			if tc.dir == "" {
				args = []string{"demo", "--top", "-1"}
			}
			out, stderr, code := newCLI(t).run(args...)
			if code != 2 || !strings.Contains(stderr, tc.want) || out != "" {
				t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit 2 and %q", args, code, stderr, out, tc.want)
			}
		})
	}
}

// nonEmptyDir is a directory holding a user's file and an "aws"
// directory (as a snapshot of their own would be): no demo estate.
func nonEmptyDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	if err := os.Mkdir(filepath.Join(d, "aws"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

// unwritableDir is a directory this process cannot create files in: a
// mode 0555 directory, or for root (which ignores modes) a sysfs or procfs
// directory (those refuse new files whatever the caller's privileges).
func unwritableDir(t *testing.T) string {
	t.Helper()
	if os.Geteuid() == 0 {
		for _, d := range []string{"/sys/kernel", "/proc"} {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				return d
			}
		}
		t.Fatal("running as root without /sys/kernel or /proc: no directory root cannot write into")
	}
	d := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(d, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(d, 0o755) })
	return d
}

// TestShellWord: printed paths paste into a POSIX shell as one word.
func TestShellWord(t *testing.T) {
	for in, want := range map[string]string{
		"/tmp/est/aws": "/tmp/est/aws", "my dir/aws": "'my dir/aws'", "it's": `'it'\''s'`, "": "''", "a$(x)": "'a$(x)'",
	} {
		if got := shellWord(in); got != want {
			t.Errorf("shellWord(%q) = %s, want %s", in, got, want)
		}
	}
}
