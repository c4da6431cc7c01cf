package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/htmltest"
)

// digestRe matches image digests: the demo's images are assembled in
// process and their digests depend on the toolchain's gzip, so the golden
// file names them sha256:DIGEST.
var digestRe = regexp.MustCompile(`sha256:[0-9a-f]{64}`)

// ageRe matches the advisory ages in the reasons, which grow daily.
var ageRe = regexp.MustCompile(`advisory \d+ days old`)

// TestDemoHTMLGolden: `sightline demo --html FILE` writes the same report
// on every run (no date, no temporary path), equal to the golden file
// after digests and advisory ages are normalised; `--format html` prints the same bytes.
func TestDemoHTMLGolden(t *testing.T) {
	c := newCLI(t)
	p := filepath.Join(t.TempDir(), "report.html")
	out, stderr, code := c.run("demo", "--html", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "What this did, offline") {
		t.Errorf("--html changed the table output:\n%s", out)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	printed, stderr, code := c.run("demo", "--format", "html")
	if code != 0 || printed != string(got) {
		t.Fatalf("--format html (exit %d, %s) differs from the --html file", code, stderr)
	}
	if strings.Contains(string(got), os.TempDir()) || strings.Contains(string(got), "sightline-demo-") {
		t.Error("the report names a temporary path")
	}
	norm := ageRe.ReplaceAll(digestRe.ReplaceAll(got, []byte("sha256:DIGEST")), []byte("advisory N days old"))
	golden := filepath.Join("..", "..", "testdata", "demo", "report.golden.html")
	if *updateGolden {
		if err := os.WriteFile(golden, norm, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(norm, want) {
		t.Errorf("the demo HTML report differs from %s (run with -update and review the diff)", golden)
	}
	for _, want := range []string{"sg-0backoffice", "alb/shop-api", "GHSA-xvch-5gv4-984h", "<svg", "Fastest fixes", "Coverage and gaps"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(strings.ToLower(string(got)), "<script") || strings.Contains(string(got), "http://") {
		t.Error("the report has a script or a plain-http reference: it must be self-contained")
	}
}

// TestDemoHTMLChromium renders the demo's HTML report in headless
// Chromium (Debian's chromium package; .ci/run installs it) and checks the
// screenshot: a PNG of the window size that is not blank. Look at it with
// SIGHTLINE_KEEP_SCREENSHOT=FILE.
func TestDemoHTMLChromium(t *testing.T) {
	htmltest.Chromium(t)
	report := filepath.Join(t.TempDir(), "report.html")
	if _, stderr, code := newCLI(t).run("demo", "--html", report); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, stderr)
	}
	img := htmltest.Screenshot(t, report, 1280, 2000)
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2000 {
		t.Errorf("screenshot is %dx%d, want 1280x2000", b.Dx(), b.Dy())
	}
	// The "internet" pills and the exposed captions are red (#c62828).
	colours, red := htmltest.PixelStats(img, 0xc62828)
	// The page has a dark header, white cards, coloured pills and the SVG
	// boxes of the attack paths: hundreds of colours. A blank or error
	// page has a handful.
	if colours < 50 {
		t.Errorf("the screenshot looks blank: %d distinct colours", colours)
	}
	if red == 0 {
		t.Error("the screenshot shows no red: the exposed rows did not render")
	}
}

// TestDemoOtherFormats: --format sarif and openvex print the document
// alone on stdout (the closing lines go to stderr), and an unwritable
// --html is a usage error naming the flag.
func TestDemoOtherFormats(t *testing.T) {
	c := newCLI(t)
	for _, f := range []string{"sarif", "openvex"} {
		out, stderr, code := c.run("demo", "--format", f)
		if code != 0 {
			t.Fatalf("--format %s: exit %d: %s", f, code, stderr)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Errorf("--format %s: stdout is not one JSON document: %v", f, err)
		}
		if !strings.Contains(stderr, "What this did, offline") {
			t.Errorf("--format %s: the closing lines are not on stderr", f)
		}
		// The backoffice fleet is blocked from the internet only: by
		// default that states nothing (peers may still reach the port).
		if f == "openvex" && strings.Contains(out, `"not_affected"`) {
			t.Errorf("openvex: a not_affected statement without --vex-network-blocked:\n%s", out)
		}
	}
	out, stderr, code := c.run("demo", "--format", "openvex", "--vex-network-blocked")
	if code != 0 || !strings.Contains(out, `"not_affected"`) || !strings.Contains(out, "sg-0backoffice") {
		t.Errorf("openvex --vex-network-blocked: exit %d, no not_affected statement naming sg-0backoffice:\n%s%s", code, out, stderr)
	}
	_, stderr, code = c.run("demo", "--html", filepath.Join(t.TempDir(), "no", "such", "dir", "r.html"))
	if code != 2 || !strings.Contains(stderr, "--html") {
		t.Errorf("unwritable --html: exit %d: %s", code, stderr)
	}
}

// TestAssessOtherFormats: `sightline assess` on the demo estate's files
// prints the same SARIF, OpenVEX and HTML documents as the demo
// (SOURCE_DATE_EPOCH fixes the OpenVEX timestamp).
func TestAssessOtherFormats(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600")
	c := newCLI(t)
	dir := t.TempDir()
	if _, stderr, code := c.run("demo", "--out", dir); code != 0 {
		t.Fatalf("demo --out: exit %d: %s", code, stderr)
	}
	results, _ := filepath.Glob(filepath.Join(dir, "scan", "*.json"))
	if len(results) == 0 {
		t.Fatalf("no scan results in the demo estate %s", dir)
	}
	args := []string{"assess", "--aws", filepath.Join(dir, "aws"), "--k8s", filepath.Join(dir, "k8s")}
	for _, r := range results {
		args = append(args, "--scan-results", r)
	}
	for _, f := range []string{"sarif", "openvex", "html"} {
		got, stderr, code := c.run(append(args, "--format", f)...)
		if code != 0 {
			t.Fatalf("assess --format %s: exit %d: %s", f, code, stderr)
		}
		want, _, _ := c.run("demo", "--format", f)
		if got != want {
			t.Errorf("assess --format %s differs from demo --format %s", f, f)
		}
		if f == "openvex" && !strings.Contains(got, `"timestamp": "2026-01-01T00:00:00Z"`) {
			t.Errorf("openvex ignores SOURCE_DATE_EPOCH")
		}
	}
}

// TestOutputFilesCheckedFirst: a --html or --output that cannot be
// written (a directory, a missing parent) is refused before any work, so
// nothing is printed and no pipeline runs only to fail at the end.
func TestOutputFilesCheckedFirst(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"demo", "--html", dir},
		{"demo", "--html", filepath.Join(dir, "missing", "r.html")},
		{"scan", "sbom", filepath.Join("..", "..", "testdata", "sbom", "syft-alpine-3.10.spdx.json"), "--output", dir},
	} {
		out, stderr, code := c.run(args...)
		if code != 2 || out != "" || !strings.Contains(stderr, dir) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 naming the path, nothing on stdout", args, code, out, stderr)
		}
	}
}
