package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/atomicfile"
	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/report"
	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/suppress"
)

// outputOptions are the flags every `scan` subcommand shares: rendering,
// suppression (ignore file, VEX) and CI gates. The scan commands build a
// scan.Result and hand it to finish.
type outputOptions struct {
	failOn         string
	failOnFixable  bool
	unknownAs      string
	allowUnchecked bool
	ignoreUnfixed  bool
	ignoreFile     string
	vexFiles       []string
	showSuppressed bool
	output         string

	// Test seams: the working directory for the default ignore file and
	// the clock for expiry and document timestamps.
	dir string
	now func() time.Time

	// Set by prepare.
	ready bool
	gate  suppress.Gate
	sopts suppress.Options
}

// outputHelp is appended to the Long text of every scan subcommand.
const outputHelp = `
Output formats (--format): table (default), json (docs/json.md), sarif
(SARIF 2.1.0), cyclonedx (CycloneDX 1.6 SBOM), cyclonedx-vex (CycloneDX 1.6
with vulnerabilities), spdx (SPDX 2.3 JSON).

Suppression: findings listed in the ignore file (.sightline.yaml in the
working directory, or --ignore-file) or stated not_affected/fixed by an
OpenVEX document (--vex) are not counted; expired ignore entries are
reported and stop suppressing. --show-suppressed lists them.

Gates: --fail-on LEVEL fails on findings at or above LEVEL; a finding of
unknown severity counts as --unknown-as (default critical: it trips every
level). A gate never passes over what the scan could not check: packages
not checked (no advisory database, no records for their ecosystem or
release, no or an invalid version) and files the inventory could not read
fail it too, unless --allow-unchecked. The report's coverage section and one
stderr line say what was not checked.

Exit codes: 0 no gate hit, 1 a --fail-on/--fail-on-fixable gate was hit
(including over unchecked packages), 2 usage or input error (bad flag,
unreadable ignore/VEX file), 3 internal.`

// addOutputFlags registers the shared output, suppression and gate flags on cmd.
func addOutputFlags(cmd *cobra.Command) *outputOptions {
	o := &outputOptions{}
	f := cmd.Flags()
	f.StringVar(&o.failOn, "fail-on", "",
		"exit 1 when an unsuppressed finding is at or above this severity: critical|high|medium|low|any (any includes unknown)")
	f.BoolVar(&o.failOnFixable, "fail-on-fixable", false,
		"count only findings with a released fix toward --fail-on; alone, exit 1 on any fixable finding")
	f.StringVar(&o.unknownAs, "unknown-as", suppress.DefaultUnknownAs,
		"severity a finding of unknown severity counts as for --fail-on: critical|high|medium|low|none")
	f.BoolVar(&o.allowUnchecked, "allow-unchecked", false,
		"let a gate pass although packages were not checked or files not read (still reported)")
	f.BoolVar(&o.ignoreUnfixed, "ignore-unfixed", false, "suppress findings that have no fixed version yet")
	f.StringVar(&o.ignoreFile, "ignore-file", "",
		"ignore file (YAML, see docs/report.md); default "+suppress.DefaultIgnoreFile+" in the working directory if present")
	f.StringArrayVar(&o.vexFiles, "vex", nil, "OpenVEX document whose not_affected/fixed statements suppress findings (repeatable)")
	f.BoolVar(&o.showSuppressed, "show-suppressed", false, "include suppressed findings (and why) in the output")
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of stdout (written atomically)")
	if !strings.Contains(cmd.Long, "Exit codes:") {
		cmd.Long = strings.TrimRight(cmd.Long, "\n") + "\n" + outputHelp
	}
	return o
}

// prepare validates the format, gate and suppression flags and loads the
// ignore and VEX files. The scan commands call it before scanning, so a
// typo in a flag fails at once instead of after a registry pull.
func (o *outputOptions) prepare(g *cliutil.Globals) error {
	if o.ready {
		return nil
	}
	if err := g.CheckFormat(report.Formats...); err != nil {
		return err
	}
	o.gate = suppress.Gate{FailOn: strings.ToLower(o.failOn), FailOnFixable: o.failOnFixable,
		UnknownAs: strings.ToLower(o.unknownAs), AllowUnchecked: o.allowUnchecked}
	if err := o.gate.Validate(); err != nil {
		return cliutil.Usage(err)
	}
	if o.output != "" {
		if err := checkFlagFile("--output", o.output); err != nil {
			return err
		}
	}
	o.sopts = suppress.Options{IgnoreUnfixed: o.ignoreUnfixed, Now: o.clock()}
	ig, err := o.loadIgnore()
	if err != nil {
		return cliutil.Usage(err)
	}
	o.sopts.Ignore = ig
	for _, p := range o.vexFiles {
		v, err := suppress.LoadVEX(p)
		if err != nil {
			return cliutil.Usage(err)
		}
		o.sopts.VEX = append(o.sopts.VEX, v)
	}
	o.ready = true
	return nil
}

// finish applies suppressions, writes res in g.Format to g.Stdout (or
// --output) and returns a cliutil.Threshold error when a gate is hit.
// Warnings (skipped paths, stale data, expired ignore entries) go to
// stderr; see printWarnings.
func (o *outputOptions) finish(g *cliutil.Globals, res *scan.Result) error {
	if err := o.prepare(g); err != nil {
		return err
	}
	res.Warnings = append(res.Warnings, suppress.Apply(res, o.sopts)...)
	printWarnings(g, res.Warnings)
	if s := res.Coverage.Summary(); s != "" {
		g.Warnf("%s", s) // one line, always: never a silent zero
	}
	suppressed := len(res.Suppressed)
	if !o.showSuppressed {
		res.Suppressed = nil
	}
	ver, _, _ := buildInfo()
	ropts := report.Options{
		Format: g.Format, Now: o.sopts.Now, ToolName: "sightline", ToolVersion: ver,
		Color: g.Format == "table" && o.output == "" && colorAllowed(g.Stdout), SuppressedCount: suppressed,
	}
	if o.output == "" {
		ropts.Width = g.Width() // the terminal's; a file gets the default 80
	}
	if err := o.write(g, res, ropts); err != nil {
		return err
	}
	g.Logf("%d finding(s) reported, %d suppressed", len(res.Findings), suppressed)
	var fails []string
	if hit, msg := o.gate.Check(res.Findings); len(hit) > 0 {
		fails = append(fails, msg)
	}
	if fail, msg := o.gate.CheckCoverage(res.Coverage); fail {
		fails = append(fails, msg)
	} else if msg != "" {
		g.Warnf("%s", msg)
	}
	if len(fails) > 0 {
		return cliutil.Threshold(errors.New(strings.Join(fails, "; ")))
	}
	return nil
}

// clock is the injected clock, else SOURCE_DATE_EPOCH (reproducible
// SBOMs), else the wall clock.
func (o *outputOptions) clock() time.Time {
	if o.now != nil {
		return o.now()
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Now().UTC().Truncate(time.Second)
}

// loadIgnore reads --ignore-file (which must exist) or the default file
// when present. nil, nil: no ignore file.
func (o *outputOptions) loadIgnore() (*suppress.IgnoreFile, error) {
	if o.ignoreFile != "" {
		return suppress.LoadIgnoreFile(o.ignoreFile)
	}
	p := suppress.DefaultIgnoreFile
	if o.dir != "" {
		p = filepath.Join(o.dir, p)
	}
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return suppress.LoadIgnoreFile(p)
}

func (o *outputOptions) write(g *cliutil.Globals, res *scan.Result, ropts report.Options) error {
	if o.output == "" {
		return report.Render(g.Stdout, res, ropts)
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, res, ropts); err != nil {
		return err
	}
	return writeFileAtomic(o.output, buf.Bytes())
}

// writeFileAtomic writes the report so that a reader (or a CI artifact
// upload) never sees half of it. A path that cannot be written (missing
// directory, no permission, a directory) is a usage error; a failing disk
// is an internal one.
func writeFileAtomic(path string, data []byte) error {
	return writeFlagFile("--output", path, data)
}

// writeFlagFile is writeFileAtomic for the file named by flag.
// checkFlagFile checks, before any work, that the file a flag names can
// be written where it says: not a directory, in a directory that exists.
// (The write itself still reports what this cannot foresee.)
func checkFlagFile(flag, path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return cliutil.Usagef("%s: writing %s: is a directory (want a file name)", flag, path)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return cliutil.Usagef("%s: writing %s: no such file or directory (directory %s does not exist)", flag, path, dir)
	}
	return nil
}

func writeFlagFile(flag, path string, data []byte) error {
	err := atomicfile.Write(path, data, 0o644)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) ||
		errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTDIR) {
		return cliutil.Usagef("%s: %w", flag, err)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	return nil
}

// colorAllowed: ANSI colours only on a terminal, and never with NO_COLOR
// set to a non-empty value (https://no-color.org) or TERM=dumb.
func colorAllowed(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// maxWarnings is how many warnings are printed without -v: a hostile image
// can produce thousands of skipped paths, which would bury the report.
const maxWarnings = 10

// printWarnings prints each warning on stderr, at most maxWarnings of them
// unless --verbose, then says how many more the JSON "warnings" field holds.
func printWarnings(g *cliutil.Globals, warnings []string) {
	for i, w := range warnings {
		if i == maxWarnings && !g.Verbose {
			g.Warnf("%d more warnings (all listed with -v and in the JSON \"warnings\" field)", len(warnings)-i)
			return
		}
		g.Warnf("%s", w)
	}
}
