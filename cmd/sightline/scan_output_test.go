package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/report/reporttest"
	"github.com/sightline-sec/sightline/internal/sbom"
	"github.com/sightline-sec/sightline/internal/scan"
)

// runFinish parses args as the flags of a scan subcommand and runs finish
// on the shared fixture, in dir (for the default ignore file).
func runFinish(t *testing.T, dir, format string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	res, err := reporttest.Fixture()
	if err != nil {
		t.Fatal(err)
	}
	return runFinishOn(t, res, dir, format, args...)
}

// runFinishOn is runFinish on a given result.
func runFinishOn(t *testing.T, res *scan.Result, dir, format string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := &cobra.Command{Use: "image"}
	o := addOutputFlags(cmd)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	o.dir = dir
	o.now = func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }
	var out, errb bytes.Buffer
	g := &cliutil.Globals{Format: format, Stdout: &out, Stderr: &errb}
	err := o.finish(g, res)
	if err != nil {
		errb.WriteString("error: " + err.Error() + "\n")
	}
	return out.String(), errb.String(), cliutil.ExitCode(err)
}

func vexFile(name string) string { return filepath.Join(reporttest.Dir(), "vex", name) }

func TestFinishGates(t *testing.T) {
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 0, ""},
		// The fixture's two Go findings have no severity: by default they
		// count as critical (--unknown-as), so every level counts them.
		{[]string{"--fail-on", "critical"}, 1, "4 finding(s) at or above critical (2 of unknown severity, counted as critical"},
		{[]string{"--fail-on", "critical", "--unknown-as", "none"}, 1, "2 finding(s) at or above critical:"},
		{[]string{"--fail-on", "CRITICAL", "--fail-on-fixable", "--unknown-as", "NONE"}, 1, "1 fixable finding(s) at or above critical: GHSA-xvch-5gv4-984h (minimist)"},
		{[]string{"--fail-on", "critical", "--ignore-unfixed", "--unknown-as", "none"}, 1, "1 finding(s) at or above critical"},
		{[]string{"--fail-on", "low"}, 1, "11 finding(s) at or above low (2 of unknown severity"}, // issue 7: no longer passes over Go findings
		{[]string{"--fail-on", "high", "--unknown-as", "medium"}, 1, "5 finding(s) at or above high:"},
		{[]string{"--fail-on-fixable"}, 1, "6 fixable finding(s)"},
		{[]string{"--fail-on", "critical", "--vex", vexFile("fixture.openvex.json"), "--ignore-unfixed"}, 1, "GHSA-xvch-5gv4-984h"},
		{[]string{"--fail-on", "high", "--fail-on-fixable", "--vex", vexFile("fixture.openvex.json"), "--vex", vexFile("legacy-v0.0.1.openvex.json")}, 1, "3 fixable finding(s) at or above high (1 of unknown severity"},
		{[]string{"--fail-on", "severe"}, 2, `--fail-on "severe"`},
		{[]string{"--fail-on", "high", "--unknown-as", "mild"}, 2, `--unknown-as "mild"`},
		{[]string{"--vex", vexFile("invalid-status.openvex.json")}, 2, "invalid-status.openvex.json"},
		{[]string{"--ignore-file", "/nonexistent/.sightline.yaml"}, 2, "/nonexistent/.sightline.yaml"},
	}
	for _, c := range cases {
		_, stderr, code := runFinish(t, t.TempDir(), "json", c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", c.args, code, c.code, stderr, c.msg)
		}
	}
}

func TestFinishDefaultIgnoreFile(t *testing.T) {
	dir := t.TempDir()
	content := "ignore:\n" +
		"  - id: CVE-2021-44906\n    reason: argv is ours\n" +
		"  - id: CVE-2019-1010022\n    package: glibc\n    reason: unimportant per Debian\n    expires: 2026-01-31\n"
	if err := os.WriteFile(filepath.Join(dir, ".sightline.yaml"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runFinish(t, dir, "json", "--fail-on", "critical", "--unknown-as", "none", "--show-suppressed")
	// minimist's critical is ignored; glibc's entry expired, so its
	// critical finding counts again and is reported.
	if code != 1 || !strings.Contains(stderr, "1 finding(s) at or above critical: CVE-2019-1010022 (libc6)") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stderr, "warning: "+filepath.Join(dir, ".sightline.yaml")+":4: ignore entry CVE-2019-1010022 expired on 2026-01-31") {
		t.Errorf("expired entry not reported: %q", stderr)
	}
	var res scan.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Suppressed) != 1 || res.Suppressed[0].ID != "GHSA-xvch-5gv4-984h" || res.Suppressed[0].Suppression.Kind != "ignore" {
		t.Errorf("suppressed %+v", res.Suppressed)
	}
	if len(res.Warnings) != 1 {
		t.Errorf("JSON warnings %q", res.Warnings)
	}
	// Without --show-suppressed the JSON has no suppressed list but the
	// table still counts them.
	stdout, _, _ = runFinish(t, dir, "json")
	if strings.Contains(stdout, `"suppressed"`) {
		t.Error("suppressed findings shown without --show-suppressed")
	}
	stdout, _, _ = runFinish(t, dir, "table")
	if !strings.Contains(stdout, "; 1 suppressed") || strings.Contains(stdout, "\x1b[") {
		t.Errorf("table summary: %q", stdout[strings.LastIndex(stdout, "\n\n"):])
	}
}

// TestFinishCoverageGate: a gate never passes over what was not checked,
// unless --allow-unchecked, and one stderr line always says what it was.
func TestFinishCoverageGate(t *testing.T) {
	unchecked := func() *scan.Result {
		res, err := reporttest.Fixture()
		if err != nil {
			t.Fatal(err)
		}
		res.Findings = nil // nothing found in what was checked
		c := res.Coverage
		c.Checked--
		c.Unchecked++
		for i := range c.Ecosystems {
			if e := &c.Ecosystems[i]; e.Ecosystem == "Go" {
				e.Checked--
				e.Unchecked = map[string]int{scan.UncheckedBadVersion: 1}
			}
		}
		return res
	}
	summary := "1 of 11 packages not checked (Go: 1 invalid version)"
	cases := []struct {
		args   []string
		code   int
		stderr []string
	}{
		{nil, 0, []string{"warning: " + summary}},
		{[]string{"--fail-on", "critical"}, 1, []string{"the gate cannot pass over what it could not check: " + summary, "--allow-unchecked"}},
		{[]string{"--fail-on-fixable"}, 1, []string{"could not check"}},
		{[]string{"--fail-on", "critical", "--allow-unchecked"}, 0, []string{"passed with --allow-unchecked", summary}},
	}
	for _, c := range cases {
		_, stderr, code := runFinishOn(t, unchecked(), t.TempDir(), "json", c.args...)
		if code != c.code {
			t.Errorf("%v: exit %d, want %d (stderr %q)", c.args, code, c.code, stderr)
		}
		for _, want := range c.stderr {
			if !strings.Contains(stderr, want) {
				t.Errorf("%v: stderr %q, want %q", c.args, stderr, want)
			}
		}
	}
	// Everything checked: no coverage line at all.
	if _, stderr, code := runFinish(t, t.TempDir(), "json", "--fail-on", "critical", "--unknown-as", "none",
		"--vex", vexFile("fixture.openvex.json"), "--ignore-unfixed"); code != 1 || strings.Contains(stderr, "not checked") {
		t.Errorf("complete scan: exit %d, stderr %q", code, stderr)
	}
}

func TestFinishInvalidDefaultIgnoreFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".sightline.yaml")
	if err := os.WriteFile(p, []byte("ignore:\n  - id: CVE-2021-44906\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runFinish(t, dir, "table")
	if code != 2 || !strings.Contains(stderr, p) || !strings.Contains(stderr, "has no reason") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestFinishFormats(t *testing.T) {
	for _, f := range []string{"table", "json", "sarif", "cyclonedx", "cyclonedx-vex", "spdx"} {
		stdout, stderr, code := runFinish(t, t.TempDir(), f)
		if code != 0 || stdout == "" {
			t.Errorf("%s: exit %d, stderr %q", f, code, stderr)
		}
	}
	_, stderr, code := runFinish(t, t.TempDir(), "xml")
	if code != 2 || !strings.Contains(stderr, `"xml"`) {
		t.Errorf("xml: exit %d, stderr %q", code, stderr)
	}
}

func TestFinishOutputFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "sbom.cdx.json")
	stdout, stderr, code := runFinish(t, dir, "cyclonedx", "--output", out)
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// The file is a complete SBOM that our own reader accepts.
	doc, err := sbom.Read(t.Context(), out)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Packages) != 11 {
		t.Errorf("%d packages read back", len(doc.Packages))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	_, stderr, code = runFinish(t, dir, "json", "--output", filepath.Join(dir, "missing", "r.json"))
	if code != 2 || !strings.Contains(stderr, "missing") {
		t.Errorf("missing dir: exit %d, stderr %q", code, stderr)
	}
}

func TestColorAllowed(t *testing.T) {
	// A buffer or a regular file is never a terminal.
	if colorAllowed(&bytes.Buffer{}) {
		t.Error("colour for a buffer")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if colorAllowed(f) {
		t.Error("colour for a regular file")
	}
	// /dev/null is a character device, like a terminal: colour unless
	// NO_COLOR or TERM=dumb.
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm")
	if !colorAllowed(null) {
		t.Error("no colour for a character device")
	}
	t.Setenv("NO_COLOR", "1")
	if colorAllowed(null) {
		t.Error("NO_COLOR ignored")
	}
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "dumb")
	if colorAllowed(null) {
		t.Error("TERM=dumb ignored")
	}
}

func TestPrintWarningsCapsWithoutVerbose(t *testing.T) {
	var ws []string
	for i := range maxWarnings + 2 {
		ws = append(ws, fmt.Sprintf("skipped path /x/%d", i))
	}
	for _, verbose := range []bool{false, true} {
		var errb bytes.Buffer
		printWarnings(&cliutil.Globals{Stderr: &errb, Verbose: verbose}, ws)
		lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
		want := len(ws)
		if !verbose {
			want = maxWarnings + 1
			if !strings.Contains(lines[len(lines)-1], "2 more warnings") {
				t.Errorf("last line %q does not count the hidden warnings", lines[len(lines)-1])
			}
		}
		if len(lines) != want {
			t.Errorf("verbose=%v: %d lines, want %d", verbose, len(lines), want)
		}
	}
}
