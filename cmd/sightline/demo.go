package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/demo"
	"github.com/sightline-sec/sightline/internal/risk"
	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/textfit"
)

const demoLong = `Run the whole pipeline offline on the demo estate shipped inside the binary
(docs/demo.md): an AWS snapshot (VPC, internet-facing ALB → ECS service, EKS
nodes behind an NLB, a bastion, an internal-only ECS fleet), the EKS objects,
three container images assembled in-process from real package sets, and an
advisory database built from real OSV, CISA KEV and EPSS records.

It writes the estate (into --out DIR, kept; else into a temporary directory
removed afterwards), really scans the images with that database, reads the
snapshot and the Kubernetes objects as 'sightline assess --aws … --k8s …'
does, computes the exposure of every container port and prints the ranked
table: the same vulnerabilities in two fleets of shop/api, the public one
behind the ALB first, the one whose security group admits the port from the
VPC only below it, each with its reason. It ends with what it did and how
to run the same on a real estate. No network, AWS account or cluster needed;
your advisory database (--cache-dir) is neither read nor changed.

--format json prints the sightline.assess/v1 document, sarif a SARIF 2.1.0
log, openvex an OpenVEX document, html the self-contained HTML report (the
closing lines go to stderr then). --html FILE writes the HTML report to FILE
as well, whatever --format prints: open it in a browser, no network needed.

Exit codes: 0 done, 2 usage error (such as an --out that is not a writable
directory, or not empty and not an earlier demo estate), 3 internal error.`

const demoExample = `  sightline demo
  sightline demo --top 0                  # every row, not only the top 20
  sightline demo --out ./demo-estate      # keep the estate to explore it
  sightline demo --format json
  sightline demo --html report.html       # the table, and the HTML report in a file`

func newDemoCmd(g *cliutil.Globals) *cobra.Command {
	var out, html string
	var top int
	var vexNetwork bool
	c := &cobra.Command{
		Use:     "demo [--out DIR] [--top N] [--html FILE]",
		Short:   "Rank the findings of a demo estate shipped in the binary, offline",
		Long:    demoLong,
		Example: demoExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if top < 0 {
				return cliutil.Usagef("--top %d: want 0 (all) or more", top)
			}
			return runDemo(cmd.Context(), g, out, html, top, vexNetwork)
		},
	}
	c.Flags().StringVar(&out, "out", "", "write the estate into DIR and keep it (default: a temporary directory, removed afterwards)")
	c.Flags().IntVar(&top, "top", 20, "table: print the top N rows (0 = all)")
	c.Flags().BoolVar(&vexNetwork, "vex-network-blocked", false, vexNetworkUsage)
	c.Flags().StringVar(&html, "html", "", "also write the self-contained HTML report to FILE")
	return c
}

func runDemo(ctx context.Context, g *cliutil.Globals, out, html string, top int, vexNetwork bool) error {
	t0 := time.Now()
	if html != "" {
		if err := checkFlagFile("--html", html); err != nil {
			return err
		}
	}
	dir := out
	if out != "" {
		if err := checkOutDir(out); err != nil {
			return err
		}
	} else {
		tmp, err := os.MkdirTemp("", "sightline-demo-")
		if err != nil {
			return fmt.Errorf("demo: temporary directory: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	e, err := demo.Write(ctx, dir)
	if err != nil {
		return err
	}
	g.Logf("demo: estate written to %s in %v", dir, time.Since(t0).Round(time.Millisecond))
	var results []*scan.Result
	for _, p := range e.ScanResults {
		r, err := readScanResult(p)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	rep, err := assessSources(ctx, g, &sourceFlags{aws: e.AWS, k8s: e.K8s}, results)
	if err != nil {
		return err
	}
	if err := printAssess(g, rep, gateFlags{vexNetwork: vexNetwork}, top); err != nil {
		return err
	}
	if html != "" {
		if err := writeHTMLFile(html, rep); err != nil {
			return err
		}
		g.Logf("demo: HTML report written to %s", html)
	}
	w := g.Stdout
	if g.Format != "table" {
		w = g.Stderr // stdout is the JSON document alone
	}
	g.Logf("demo: done in %v", time.Since(t0).Round(time.Millisecond))
	return writeDemoEpilogue(w, e, rep, out, g.Width())
}

// writeHTMLFile writes the HTML report to path atomically; a path that
// cannot be written is a usage error naming --html.
func writeHTMLFile(path string, rep *risk.Report) error {
	var buf bytes.Buffer
	if err := risk.WriteHTML(&buf, rep); err != nil {
		return err
	}
	return writeFlagFile("--html", path, buf.Bytes())
}

// checkOutDir makes sure --out is a directory Sightline can write into,
// creating it if needed, so that a wrong --out is a usage error naming it
// rather than a failure halfway through writing the estate.
func checkOutDir(dir string) error {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return cliutil.Usagef("--out %s: not a directory (a file of that name exists)", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = fmt.Errorf("%s: %w", pe.Op, pe.Err)
		}
		return cliutil.Usagef("--out %s: cannot create the directory: %v", dir, err)
	}
	f, err := os.CreateTemp(dir, ".sightline-write-check-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return cliutil.Usagef("--out %s: not a writable directory: %v", dir, err)
	}
	f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return fmt.Errorf("--out %s: %w", dir, err)
	}
	// Never merge the demo into someone's files: a non-empty --out must
	// hold an earlier demo estate (which is then replaced).
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		if ok, _ := demo.HoldsEstate(dir); !ok {
			return cliutil.Usagef("--out %s: not empty and not a demo estate (it holds %s); give a new or empty directory", dir, ents[0].Name())
		}
	}
	return nil
}

// writeDemoEpilogue says what the demo did, points at the mission's case
// in the table (the same vulnerability ranked apart in two fleets) and
// shows how to run the same on a real estate. It names no temporary path,
// so the output is the same on every run.
func writeDemoEpilogue(w io.Writer, e *demo.Estate, rep *risk.Report, out string, width int) error {
	var paras []string
	paras = append(paras, fmt.Sprintf("What this did, offline: wrote the demo estate (an AWS snapshot, EKS objects, "+
		"%d images built from real package sets, an advisory database from real OSV, KEV and EPSS records), "+
		"scanned the images with that database, joined the findings to the workloads running them and "+
		"ranked them by how the internet reaches each container port (docs/demo.md).", len(e.Images)))
	if a, b := missionPair(rep); a != nil {
		paras = append(paras, fmt.Sprintf("The same %s (%s %s) ranks #%d in %s (%s: %s) and #%d in %s (%s: %s).",
			a.ID, a.Package.Name, a.Package.Version,
			a.Rank, shortImage(a.Image.Ref), reachWord(a), risk.ShortWhy(a),
			b.Rank, shortImage(b.Image.Ref), reachWord(b), risk.ShortWhy(b)))
		if d := dataWords(a); d != "" {
			paras = append(paras, fmt.Sprintf("Behind %s: %s (the data part of its score: %.0f points); "+
				"'sightline paths' lists each path from the internet to a data store, hop by hop (docs/paths.md).",
				shortImage(a.Image.Ref), d, a.ScoreParts.Data))
		}
	}
	cmdLine, paras2, pathsLine := "", "", ""
	if out != "" {
		paras = append(paras, fmt.Sprintf("The estate is in %s; the same ranking from its files (one line):", out))
		// A command is never wrapped: it must paste as is, whatever the width.
		args := " --aws " + shellWord(e.AWS)
		for _, k := range e.K8s {
			args += " --k8s " + shellWord(k)
		}
		for _, r := range e.ScanResults {
			args += " --scan-results " + shellWord(r)
		}
		cmdLine = textfit.Visible("  sightline assess"+args) + "\n"
		paras2 = "and its attack paths to data:"
		pathsLine = textfit.Visible("  sightline paths"+args) + "\n"
	} else {
		paras = append(paras, "The estate was written to a temporary directory and removed; keep it with --out DIR.")
	}
	var b strings.Builder
	b.WriteString("\n")
	for _, p := range paras {
		for _, l := range textfit.Hang("", p, 2, width) {
			b.WriteString(l + "\n")
		}
	}
	b.WriteString(cmdLine)
	if paras2 != "" {
		b.WriteString(paras2 + "\n" + pathsLine)
	}
	b.WriteString("\nOn your own estate:\n" +
		"  sightline collect aws --out snap/\n" +
		"  sightline scan image --format json IMAGE > image.json    # per image you run\n" +
		"  sightline assess --aws snap/ --k8s manifests/ --scan-results image.json\n" +
		"  sightline paths --aws snap/ --k8s manifests/ --scan-results image.json\n" +
		"  (--kubeconfig FILE for a live cluster, --docker for this host, --images REF\n" +
		"  to scan while assessing; sightline assess --help)\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// dataWords says what is behind a row's workload: the accesses that
// count (not those anyone has anyway), "" when none.
func dataWords(r *risk.Risk) string {
	var parts []string
	for _, a := range r.DataBehind {
		if a.Verdict == risk.DataYes {
			d := a.Detail
			if i := strings.LastIndex(d, " (from "); i >= 0 && strings.HasSuffix(d, ")") {
				d = d[:i] // the source interface: too much for a sentence
			}
			parts = append(parts, d)
		}
	}
	return strings.Join(parts, "; ")
}

// shellWord quotes s for a POSIX shell when it holds anything but
// characters that are safe unquoted (IEEE Std 1003.1, 2.2 Quoting).
func shellWord(s string) string {
	safe := func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:,=@%", r)
	}
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool { return !safe(r) }) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// missionPair finds the mission's case in the ranking: the best-ranked
// vulnerability that a lower row carries too with a different
// reachability (another image running it in another fleet). It returns
// nil when the ranking holds no such pair.
func missionPair(rep *risk.Report) (*risk.Risk, *risk.Risk) {
	for i := range rep.Risks {
		a := &rep.Risks[i]
		for j := i + 1; j < len(rep.Risks); j++ {
			b := &rep.Risks[j]
			if b.ID == a.ID && b.Reachability.Class != a.Reachability.Class {
				return a, b
			}
		}
	}
	return nil, nil
}

// reachWord says a row's reachability in words.
func reachWord(r *risk.Risk) string {
	switch r.Reachability.Class {
	case risk.ReachWide:
		return "exposed to the internet"
	case risk.ReachNarrow:
		return "exposed to part of the internet"
	case risk.ReachInternal:
		return "not exposed to the internet"
	case risk.ReachUnknown:
		return "reachability unknown"
	}
	return strings.ReplaceAll(r.Reachability.Class, "_", " ")
}

// shortImage drops the registry host from an image reference
// (111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1.4.2 →
// shop/api:1.4.2), as the table does for width.
func shortImage(ref string) string {
	if host, rest, ok := strings.Cut(ref, "/"); ok && strings.ContainsAny(host, ".:") {
		return rest
	}
	return filepath.ToSlash(ref)
}
