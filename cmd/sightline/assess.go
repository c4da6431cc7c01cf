package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/reach"
	"github.com/sightline-sec/sightline/internal/report"
	"github.com/sightline-sec/sightline/internal/risk"
	"github.com/sightline-sec/sightline/internal/runevidence"
	"github.com/sightline-sec/sightline/internal/scan"
)

const assessLong = `Rank every vulnerable package by what an attacker can actually reach.

Findings come from scanning images (--images, as 'sightline scan image' takes
them) or from earlier 'sightline scan … --format json' results (--scan-results).
Workloads and the exposure of every container port come from the sources
'sightline inventory' reads (--docker, --k8s, --kubeconfig, --aws). Each image
a workload runs is joined to a scan by digest, else by reference (lower
confidence: a tag can move).

With --docker (unless --no-runtime) the running containers are read from this
host's /proc: a vulnerable OS package is 'loaded' (a process maps its files),
'dormant' (installed, mapped by no process) or 'unknown' (with what is
missing: not root, Docker Desktop, no file list, a language package). Loaded
ranks higher; dormant lower, never below an unknown path; docs/risk.md.

One row per vulnerability and image lists every workload running it and the
most exposed path among them: internet wide > internet narrow > unknown (data
missing: never ranked as safe) > internal only > not reachable. The score
adds exploitability (CVSS, attack vector, KEV, EPSS, fix available),
reachability, whether the vulnerable component serves the reachable port,
privilege, the data behind the workload and the fix's age; docs/risk.md lists
every weight.

With --aws, the roles each workload can obtain (task role, IRSA, the host's
instance role) are evaluated from the snapshot's IAM as AWS evaluates them,
and the managed data stores (RDS, Redshift, DynamoDB, S3, ElastiCache,
OpenSearch, Secrets Manager, Lambda URLs, EKS endpoints) behind each workload
are listed: those its role may read or write, and those its network interface
reaches (security groups, NACLs, routes). 'sightline paths' shows the same as
attack paths from the internet to each data store. Each row says
why: the path, or the control that blocks it, or the missing data; and the
fastest fix, grouped ("upgrade openssl to … fixes N findings in M workloads").

What could not be assessed (images no scan covers, containers with unknown
images, incomplete scans, unread sources) is listed in the footer and in the
JSON "coverage". --format json prints the sightline.assess/v1 document,
sarif a SARIF 2.1.0 log (one result per row, the path as a code flow),
openvex an OpenVEX document with a not_affected statement for each row that
cannot be exploited here (runtime-dormant package, or no internet path for a
network-vector advisory; never for unknown), html a self-contained HTML
report (summary, ranked rows, attack-path diagrams, filters; docs/risk.md).

The gate never passes over what it could not check (scan's rule): with
--fail-on-exposed, a scan without an advisory database, or an internet-exposed
workload running an image not scanned or incompletely scanned, fails it too,
unless --allow-unchecked.

Exit codes: 0 done (no gate hit), 1 --fail-on-exposed hit: a finding exposed
to the internet at or above SEVERITY (unknown severity always counts), or
what could not be checked (above), 2 usage or input error, 3 internal error.`

const assessExample = `  sightline scan image --format json app:1.4 > app.json
  sightline assess --aws ./snap --scan-results app.json
  sightline assess --k8s ./manifests --aws ./snap --images ghcr.io/org/api:2.0 --images nginx:1.27
  sightline assess --docker --host-id i-0abc1234def567890 --aws ./snap --images docker:web --fail-on-exposed high
  sightline assess --kubeconfig ~/.kube/config --context prod --scan-results api.json --scan-results web.json --format json`

func newAssessCmd(g *cliutil.Globals) *cobra.Command {
	var src sourceFlags
	var sf scanFlags
	var results, images []string
	var failOn string
	var top int
	var noRuntime, allowUnchecked, vexNetwork bool
	c := &cobra.Command{
		Use:     "assess [--aws DIR] [--k8s PATH…|--kubeconfig FILE [--context C]] [--docker [--host-id I]] [--scan-results FILE…] [--images REF…]",
		Short:   "Rank vulnerabilities by what an attacker can reach, with the path or the blocking control",
		Long:    assessLong,
		Example: assessExample,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				// Usually a shell glob after --scan-results: the flag takes
				// one file, the other files arrive as arguments.
				return cliutil.Usagef("unexpected argument %q: assess takes no arguments; give each scan result with its own --scan-results (a glob such as --scan-results *.json passes only the first file to the flag)", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := src.check(); err != nil {
				return err
			}
			failOn = strings.ToLower(failOn)
			if failOn != "" && !slices.Contains(risk.Levels, failOn) {
				return cliutil.Usagef("--fail-on-exposed %q: want one of %s", failOn, strings.Join(risk.Levels, ", "))
			}
			if len(results) == 0 && len(images) == 0 {
				return cliutil.Usagef("give findings: --scan-results FILE (from 'sightline scan … --format json') or --images REF")
			}
			if top < 0 {
				return cliutil.Usagef("--top %d: want 0 (all) or more", top)
			}
			return runAssess(cmd.Context(), g, &src, &sf, results, images, gateFlags{failOn, allowUnchecked, vexNetwork}, top, noRuntime)
		},
	}
	src.register(c.Flags(), true)
	sf.add(c, true)
	c.Flags().StringArrayVar(&results, "scan-results", nil, "a 'sightline scan … --format json' result (repeatable)")
	c.Flags().StringArrayVar(&images, "images", nil, "scan this image, as 'sightline scan image' takes it (repeatable)")
	c.Flags().StringVar(&failOn, "fail-on-exposed", "", "exit 1 when a finding exposed to the internet is at or above this severity: low|medium|high|critical")
	c.Flags().BoolVar(&allowUnchecked, "allow-unchecked", false,
		"let --fail-on-exposed pass although scans were not checked (no advisory database) or exposed workloads run unscanned or incompletely scanned images (still reported)")
	c.Flags().IntVar(&top, "top", 20, "table: print the top N rows (0 = all)")
	c.Flags().BoolVar(&vexNetwork, "vex-network-blocked", false, vexNetworkUsage)
	c.Flags().BoolVar(&noRuntime, "no-runtime", false, "--docker: do not read the containers' processes, sockets and mapped files (runtime states stay unknown)")
	return c
}

// gateFlags are the --fail-on-exposed gate and --allow-unchecked.
type gateFlags struct {
	failOn         string
	allowUnchecked bool
	vexNetwork     bool // --vex-network-blocked
}

// vexNetworkUsage is the help of --vex-network-blocked (assess and demo).
const vexNetworkUsage = "--format openvex: also state not_affected where every internet path is blocked by a named control " +
	"(off by default: peers inside the network may still reach the port, and consumers suppress the finding)"

func runAssess(ctx context.Context, g *cliutil.Globals, src *sourceFlags, sf *scanFlags, files, images []string, gate gateFlags, top int, noRuntime bool) error {
	results, err := assessResults(ctx, g, sf, files, images)
	if err != nil {
		return err
	}
	rep, _, err := assessRuntime(ctx, g, src, results, noRuntime)
	if err != nil {
		return err
	}
	return printAssess(g, rep, gate, top)
}

// assessResults reads the --scan-results files (warning about stale
// ones) and scans the --images: the findings assess and paths rank.
func assessResults(ctx context.Context, g *cliutil.Globals, sf *scanFlags, files, images []string) ([]*scan.Result, error) {
	var results []*scan.Result
	for _, p := range files {
		r, err := readScanResult(p)
		if err != nil {
			return nil, err
		}
		if r.DB != nil && r.DB.Stale {
			// The scan said so when it ran; the ranking of its findings
			// inherits the gap, so say it again where the ranking is read.
			g.Warnf("assess: %s was scanned with a stale advisory database (%s): advisories published since are missing from its findings; rescan after 'sightline db update'",
				p, r.DB.StaleDetail)
		}
		results = append(results, r)
	}
	if len(images) > 0 {
		rs, err := scanImages(ctx, g, sf, images)
		if err != nil {
			return nil, err
		}
		results = append(results, rs...)
	}
	return results, nil
}

// assessSources reads the workload sources given and ranks the scan
// results against them: the pipeline of `sightline assess` (and `demo`)
// after the findings are in hand.
func assessSources(ctx context.Context, g *cliutil.Globals, src *sourceFlags, results []*scan.Result) (*risk.Report, error) {
	rep, _, err := assessRuntime(ctx, g, src, results, false)
	return rep, err
}

// assessRuntime is assessSources that, with --docker and without
// --no-runtime, reads the runtime evidence of the running containers
// (internal/runevidence through risk.CollectRuntime).
//
// behind is what stands behind the workloads (nil without --aws).
func assessRuntime(ctx context.Context, g *cliutil.Globals, src *sourceFlags, results []*scan.Result, noRuntime bool) (rep *risk.Report, behind *reach.Behind, err error) {
	s := &sources{}
	if src.any() {
		if s, err = loadSources(ctx, g, src, true); err != nil {
			return nil, nil, err
		}
		if len(s.inv.Gaps) > 0 {
			g.Warnf("assess: %s", gapSummary(s.inv.Gaps))
		}
	} else {
		g.Warnf("assess: no workload source given (--docker, --k8s, --kubeconfig, --aws): every finding is ranked as not running")
	}
	opts := risk.Options{RuntimeNote: "no runtime evidence: it is read from running Docker containers (--docker) only"}
	switch {
	case src.docker && noRuntime:
		opts.RuntimeNote = "--no-runtime: runtime evidence not collected"
	case src.docker:
		t := time.Now()
		opts.Runtime = risk.CollectRuntime(ctx, s.inv, runevidence.Options{})
		g.Logf("assess: runtime evidence of %d of %d containers in %v", len(opts.Runtime.Containers), opts.Runtime.Inspected, time.Since(t).Round(time.Millisecond))
		if n := len(opts.Runtime.Gaps); n > 0 {
			g.Warnf("assess: runtime evidence incomplete (%d gaps, first: %s); see coverage.runtime", n, opts.Runtime.Gaps[0].Reason)
		}
	}
	if src.aws != "" {
		// What the workloads' cloud roles may do and the data stores
		// behind them (issue 11), from the snapshot's IAM and data
		// services. A damaged IAM file does not stop the ranking: the
		// roles keep the generic weight and the coverage says why.
		b, err := reach.AssessBehind(ctx, src.aws, s.snap, s.model, s.cloud, s.inv)
		if err != nil {
			return nil, nil, err
		}
		behind = b
		if b.IdentityIncomplete {
			// Said where the image gaps are said: on stderr and in the footer.
			g.Warnf("assess: %s", b.IdentityNote)
		}
		// Notes carrying a decoder's error say it in the input's terms,
		// in the report as on stderr (Warnf humanizes).
		b.IdentityNote, b.Data.Note = cliutil.Humanize(b.IdentityNote), cliutil.Humanize(b.Data.Note)
		opts.Identities, opts.IdentityNote, opts.IdentityIncomplete = b.Identities, b.IdentityNote, b.IdentityIncomplete
		opts.DataBehind, opts.DataNote, opts.Assumed = b.Data.Behind, b.Data.Note, b.Assumed
		opts.DataMissing, opts.DataIncomplete, opts.RolesNotObtained = b.Data.Missing, b.Data.Incomplete, b.Data.RolesNotObtained
		if b.Data.Incomplete {
			g.Warnf("assess: data behind the workloads not fully checked: %s", b.Data.Note)
		}
		g.Logf("assess: %s; %s", b.IdentityNote, b.Data.Note)
	}
	t0 := time.Now()
	rep = risk.Assess(s.inv, results, opts)
	g.Logf("assess: %d risks from %d scan results in %v", len(rep.Risks), len(results), time.Since(t0).Round(time.Millisecond))
	return rep, behind, nil
}

// printAssess prints the report in the --format asked for and applies
// the --fail-on-exposed gate.
func printAssess(g *cliutil.Globals, rep *risk.Report, gate gateFlags, top int) error {
	if err := writeAssess(g.Stdout, g.Format, rep, top, g.Width(), gate.vexNetwork); err != nil {
		return err
	}
	if risk.NoDB(rep) {
		g.Warnf("assess: no advisory database: run sightline db update; findings of the images scanned without one are unknown, not absent")
	}
	// As inventory and exposure do for their gaps: what could not be
	// checked is said on stderr too, not only in the footer.
	if n := len(rep.Coverage.ImagesNotScanned); n > 0 {
		g.Warnf("assess: %d image(s) run by workloads have no scan result: their vulnerabilities are unknown, not absent (see the footer or coverage.images_not_scanned; scan them with --images or --scan-results)", n)
	}
	if gaps := risk.UncheckedForGate(rep); len(gaps) > 0 && gate.failOn == "" {
		g.Warnf("assess: not checked, on paths exposed to the internet: %s", strings.Join(gaps, "; "))
	}
	failOn := gate.failOn
	if failOn == "" {
		return nil
	}
	if hit := risk.ExposedAtOrAbove(rep, failOn); len(hit) > 0 {
		return cliutil.Threshold(fmt.Errorf("%d finding(s) exposed to the internet at or above %s (first: #%d %s in %s)",
			len(hit), failOn, hit[0].Rank, hit[0].ID, hit[0].Package.Name))
	}
	// The coverage rule of `sightline scan --fail-on`: a gate never passes
	// over what could not be checked, unless --allow-unchecked.
	if gaps := risk.UncheckedForGate(rep); len(gaps) > 0 {
		if gate.allowUnchecked {
			g.Warnf("assess: the gate passed with --allow-unchecked over what it could not check: %s", strings.Join(gaps, "; "))
			return nil
		}
		return cliutil.Threshold(fmt.Errorf("the gate cannot pass over what it could not check: %s (--allow-unchecked accepts that)",
			strings.Join(gaps, "; ")))
	}
	return nil
}

// assessFormats are the --format values of assess and demo.
var assessFormats = []string{"table", "json", "sarif", "openvex", "html"}

// writeAssess writes the report in format (an assessFormats value).
func writeAssess(w io.Writer, format string, rep *risk.Report, top, width int, vexNetwork bool) error {
	ver, _, _ := buildInfo()
	switch format {
	case "json":
		return risk.WriteJSON(w, rep)
	case "sarif":
		return report.WriteRiskSARIF(w, rep, ver)
	case "openvex":
		return risk.WriteOpenVEX(w, rep, risk.VEXOptions{Now: (&outputOptions{}).clock(), ToolVersion: ver, NetworkBlocked: vexNetwork})
	case "html":
		return risk.WriteHTML(w, rep)
	}
	return risk.WriteTable(w, rep, top, width)
}

// readScanResult reads one --scan-results file; any failure is an input error.
func readScanResult(p string) (*scan.Result, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, cliutil.Usagef("--scan-results: %v", err)
	}
	defer f.Close()
	r, err := risk.ReadScanResult(f, p)
	if err != nil {
		return nil, cliutil.Usagef("--scan-results %w", err)
	}
	return r, nil
}

// scanImages scans each --images reference with the scanner and image
// opener `sightline scan image` uses (newScanner, scanImage).
func scanImages(ctx context.Context, g *cliutil.Globals, sf *scanFlags, refs []string) ([]*scan.Result, error) {
	s, closeDB, err := newScanner(ctx, g, sf)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	var out []*scan.Result
	for _, ref := range refs {
		res, err := scanImage(ctx, g, sf, s, ref)
		endProgress(g)
		if err != nil {
			return nil, classify(err)
		}
		out = append(out, res)
	}
	return out, nil
}
