package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

// TestUnknownCommandsExitTwo: a mistyped subcommand or help topic is a
// usage error (exit 2) with a suggestion, never help text and exit 0
// (groups) or exit 3 (root), as issue 7 found.
func TestUnknownCommandsExitTwo(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"scan", "imag"}, "did you mean image?"},
		{[]string{"db", "qurey"}, "did you mean query?"},
		{[]string{"collect", "awz"}, "did you mean aws?"},
		{[]string{"colect"}, "did you mean collect?"},
		{[]string{"nonsense"}, "(commands: admission, assess, check, collect, completion, db, demo, exposure, inventory, paths, scan, version)"},
		{[]string{"help", "scan", "imag"}, "did you mean image?"},
		{[]string{"--format", "json", "db", "qurey"}, "did you mean query?"},
	}
	for _, c := range cases {
		out, stderr, code := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr %q; want exit 2 and %q", c.args, code, len(out), stderr, c.want)
		}
	}
	// A group alone still prints its help, successfully.
	if out, _, code := runCLI(t, "scan"); code != 0 || !strings.Contains(out, "Available Commands") {
		t.Errorf("scan alone: exit %d\n%s", code, out)
	}
}

// walk calls fn for c and every command below it.
func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, s := range c.Commands() {
		walk(s, fn)
	}
}

// TestEveryCommandHasExamplesAndFormats: docs/cli.md promises examples in
// every --help; every runnable command lists its --format values, and an
// unsupported one is exit 2 naming the allowed values.
func TestEveryCommandHasExamplesAndFormats(t *testing.T) {
	root := newRootCmd(&cliutil.Globals{})
	n := 0
	walk(root, func(c *cobra.Command) {
		if !c.Runnable() || c.Name() == "help" {
			return
		}
		n++
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s: no Example in --help", c.CommandPath())
		}
		if c.HasSubCommands() || c.Parent() != nil && c.Parent().Name() == "completion" {
			return
		}
		if _, ok := commandFormats[c.CommandPath()]; !ok {
			t.Errorf("%s: not in commandFormats", c.CommandPath())
		}
		if !strings.Contains(c.Long, "Output formats") {
			t.Errorf("%s: --help does not list its formats", c.CommandPath())
		}
		args := append(strings.Fields(strings.TrimPrefix(c.CommandPath(), "sightline ")), "--format", "bogus")
		_, stderr, code := runCLI(t, args...)
		want := strings.Join(formatsOf(c), ", ")
		if code != 2 || !strings.Contains(stderr, want) {
			t.Errorf("%v: exit %d %q; want 2 naming %q", args, code, stderr, want)
		}
	})
	if n < 12 {
		t.Errorf("walked only %d runnable commands", n)
	}
	_, stderr, code := runCLI(t, "exposure", "--aws", "x", "--format", "sarif")
	if code != 2 || !strings.Contains(stderr, `--format "sarif" is not supported by exposure (supported: table, json)`) {
		t.Errorf("exposure --format sarif: exit %d %q", code, stderr)
	}
}

// TestDBUpdateWithoutNetwork: with an old database and no reachable
// source, `db update` prints one line on stderr, nothing on stdout, exits
// 3, and keeps the database; when some sources work, it exits 0 with one
// warning naming the failed ones.
func TestDBUpdateWithoutNetwork(t *testing.T) {
	c := newCLI(t)
	c.ok("db", "import", filepath.Join("..", "..", "testdata", "quickstart"))
	dead := "http://127.0.0.1:1" // nothing listens on port 1: connection refused, no DNS, no network
	out, stderr, code := c.run("db", "update", "--mirror", dead, "--kev", dead+"/kev.json", "--epss", dead+"/epss.csv.gz")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	// Every default source fails: "Amazon Linux" is three (releases 1, 2,
	// 2023), plus KEV and EPSS.
	if code != 3 || out != "" || len(lines) != 1 ||
		!strings.Contains(stderr, fmt.Sprintf("no source could be fetched (%d failed", len(vulndb.DefaultEcosystems)-1+3+2)) || !strings.Contains(stderr, "previous database is unchanged") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if !slices.Contains(c.query("pkg:golang/golang.org/x/text@v0.3.5").ids(), "GO-2021-0113") {
		t.Fatal("old database lost")
	}
	// Partial: the Go mirror works (a directory), KEV does not.
	mirror := t.TempDir()
	c.ok("db", "export", filepath.Join(t.TempDir(), "unused.tar.gz")) // the DB is still readable
	writeGoMirror(t, mirror)
	out, stderr, code = c.run("db", "update", "--mirror", mirror, "--ecosystems", "Go", "--kev", dead+"/kev.json", "--epss", "none", "--format", "json")
	if code != 0 || !strings.Contains(stderr, "1 of 2 sources failed and keep their previous data: kev") {
		t.Fatalf("partial: exit %d stderr %q", code, stderr)
	}
	var doc updateJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Sources) != 2 || doc.Sources[0].Action != "updated" || doc.Sources[1].Action != "failed" {
		t.Fatalf("partial JSON %v: %s", err, out)
	}
}

// TestStaleWarningGivesDataAge: importing old data today must not read as
// fresh. testdata/report/records holds real OSV records whose newest
// modified date is 2025-01-15 (GO-2022-1059 carries no date at all and
// must not hide the others).
func TestStaleWarningGivesDataAge(t *testing.T) {
	c := newCLI(t)
	c.ok("db", "import", filepath.Join("..", "..", "testdata", "report", "records"))
	out, stderr, code := c.run("db", "status", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	var st struct {
		Sources []struct {
			Modified string `json:"modified"`
			Stale    bool   `json:"stale"`
		} `json:"sources"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Sources) != 1 {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.HasPrefix(st.Sources[0].Modified, "2025-01-15") || !st.Sources[0].Stale {
		t.Errorf("source %+v: want data date 2025-01-15, stale", st.Sources[0])
	}
	if !strings.Contains(stderr, "newest record 2025-01-15") || strings.Contains(stderr, "built") {
		t.Errorf("stale warning %q", stderr)
	}
}

// writeGoMirror lays out an osv.dev-style mirror directory holding
// Go/all.zip with two real Go vulndb records from testdata/quickstart.
func writeGoMirror(t *testing.T, dir string) {
	t.Helper()
	os.MkdirAll(filepath.Join(dir, "Go"), 0o755)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, id := range []string{"GO-2021-0113", "GO-2022-1059"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "quickstart", id+".json"))
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create(id + ".json")
		w.Write(data)
	}
	zw.Close()
	if err := os.WriteFile(filepath.Join(dir, "Go", "all.zip"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestErrorsDoNotLeakInternals: the cases from issue 7 — a decoder naming
// Go types, an --output error naming the temporary file — now name the
// user's file and field.
func TestErrorsDoNotLeakInternals(t *testing.T) {
	dir := t.TempDir()
	bom := filepath.Join(dir, "bom.cdx.json")
	os.WriteFile(bom, []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":"x"}`), 0o644)
	osv := filepath.Join(dir, "osv.json")
	os.WriteFile(osv, []byte(`{"id": 5, "modified": "2024-01-01T00:00:00Z"}`), 0o644)
	ignore := filepath.Join(dir, "ignore.yaml")
	os.WriteFile(ignore, []byte("ignore:\n  - id: CVE-2021-44906\n    reason: x\n    expire: 2026-12-31\n"), 0o644)
	sbom := filepath.Join("..", "..", "testdata", "sbom", "syft-alpine-3.10.spdx.json")
	db := quickstartDB(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"scan", "sbom", "--db", db, bom}, `field "components": got a string, want a list`},
		{[]string{"db", "import", osv}, `field "id": got a number, want a string`},
		{[]string{"scan", "sbom", "--db", db, "--ignore-file", ignore, sbom}, `line 4: unknown key "expire" in an ignore entry (did you mean "expires"?)`},
		{[]string{"scan", "sbom", "--db", db, "--output", filepath.Join(dir, "missing", "r.json"), sbom},
			"--output: writing " + filepath.Join(dir, "missing", "r.json") + ": no such file or directory"},
		{[]string{"scan", "sbom", "--db", db, "--output", dir, sbom}, "--output: writing " + dir + ": is a directory"},
	}
	for _, c := range cases {
		_, stderr, code := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d %q; want 2 and %q", c.args[:2], code, stderr, c.want)
		}
		for _, leak := range []string{"Go struct", "Go value", ".tmp-", "suppress.", "cyclonedx.", "not found in type"} {
			if strings.Contains(stderr, leak) {
				t.Errorf("%v: message leaks %q: %s", c.args[:2], leak, stderr)
			}
		}
	}
}

// TestEmptyGateAndStrayArguments: a gate flag given an empty value (an
// unset CI variable) is a usage error, not a gate turned off; a glob after
// --scan-results says how to pass several files.
func TestEmptyGateAndStrayArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", "fs", ".", "--fail-on", ""}, "--fail-on was given an empty value"},
		{[]string{"check", ".", "--fail-on", " "}, "--fail-on was given an empty value"},
		{[]string{"assess", "--scan-results", "a.json", "--fail-on-exposed", ""}, "--fail-on-exposed was given an empty value"},
		{[]string{"assess", "--scan-results", "a.json", "b.json"}, "give each scan result with its own --scan-results"},
		{[]string{"check", "--k8s", ".", "--set", "a"}, `--set: value "a": key "a" has no value`},
	} {
		_, stderr, code := runCLI(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q (want 2, %q)", tc.args, code, stderr, tc.want)
		}
	}
}
