package risk

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/textfit"
)

// reachShort names a class in the table's REACH column.
var reachShort = map[string]string{
	ReachWide:         "internet",
	ReachNarrow:       "narrow",
	ReachUnknown:      "unknown",
	ReachInternal:     "internal",
	ReachNotReachable: "none",
	ReachNotRunning:   "not run",
}

// WriteTable writes the ranked rows (at most limit; 0 = all), the fix
// groups and the coverage footer, fitted to width columns.
func WriteTable(w io.Writer, rep *Report, limit, width int) error {
	t := textfit.Table{Header: []string{"#", "SCORE", "ID", "PACKAGE", "REACH", "WHY"}, Width: width, MinLast: 26, Squeeze: []int{3}}
	n := len(rep.Risks)
	if limit > 0 && limit < n {
		n = limit
	}
	for _, r := range rep.Risks[:n] {
		t.Add(strconv.Itoa(r.Rank), fmt.Sprintf("%.1f", r.Score), r.ID, r.Package.Name,
			reachShort[r.Reachability.Class], shortWhy(&r))
	}
	if err := t.Write(w); err != nil {
		return err
	}
	var b strings.Builder
	if n < len(rep.Risks) {
		fmt.Fprintf(&b, "(%d more: --top 0 or --format json)\n", len(rep.Risks)-n)
	}
	if len(rep.Fixes) > 0 {
		b.WriteString("\nFastest fixes:\n")
		for _, g := range rep.Fixes {
			for _, l := range textfit.Hang("  - ", g.Summary, 4, width) {
				b.WriteString(l + "\n")
			}
		}
	}
	b.WriteString("\n")
	for _, l := range coverageLines(rep) {
		for _, x := range textfit.Hang("", l, 2, width) {
			b.WriteString(x + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ShortWhy is the table's one-line reason for r (see shortWhy), for
// callers that print a row outside the table (`sightline demo`).
func ShortWhy(r *Risk) string { return shortWhy(r) }

// shortWhy is the table's one-line reason: the path's outermost front or
// its blocking control or its first missing datum, the workload count,
// and the flags that move the score (KEV, loaded or dormant, privilege,
// tag join).
func shortWhy(r *Risk) string {
	rc := &r.Reachability
	var parts []string
	switch rc.Class {
	case ReachWide, ReachNarrow:
		s := rc.Port
		if f := outermostFront(rc); f != "" {
			s += " via " + shortFront(f)
		}
		if rc.Class == ReachNarrow {
			s += " from " + strings.Join(rc.Sources, ",")
		}
		parts = append(parts, s)
	case ReachInternal:
		if rc.BlockedBy != nil {
			parts = append(parts, rc.Port+" blocked by "+shortFront(rc.BlockedBy.ID))
		} else {
			parts = append(parts, rc.Port+" not exposed")
		}
	case ReachUnknown:
		m := "?"
		if len(rc.Missing) > 0 {
			m = textfit.Cut(rc.Missing[0], 48)
		}
		parts = append(parts, rc.Port+" missing: "+m)
	default:
		parts = append(parts, r.Reasons[0])
	}
	if n := len(r.Workloads); n > 0 {
		parts = append(parts, fmt.Sprintf("%d workload(s)", n))
	}
	if r.Severity.KEV {
		parts = append(parts, "KEV")
	}
	if st := r.Runtime.State; st == RuntimeLoaded || st == RuntimeDormant {
		parts = append(parts, st)
	}
	var priv []string
	for _, w := range r.Workloads {
		for _, p := range w.Privilege {
			if !contains(priv, p) {
				priv = append(priv, p)
			}
		}
	}
	if len(priv) > 0 {
		parts = append(parts, strings.Join(priv, ", "))
	}
	if r.Image.Join == "tag" {
		parts = append(parts, "tag join")
	}
	return strings.Join(parts, "; ")
}

// shortFront names a front or control in a column: a Kubernetes object as
// kind/name (svc/frontend), an AWS load balancer or target group by its
// name, anything else by its short ID.
// outermostFront is where the internet enters an exposed path: its first
// load balancer (the internet-facing ALB or NLB, not the target group or
// Service behind it, which `via` names), else `via` itself (a published or
// host port, a Service without a cloud load balancer).
func outermostFront(rc *Reachability) string {
	for _, h := range rc.Path {
		if h.Kind == "load_balancer" && h.ID != "" {
			return h.ID
		}
	}
	return rc.Via
}

func shortFront(id string) string {
	if rest, ok := strings.CutPrefix(id, "k8s:"); ok {
		p := strings.Split(rest, "/")
		if n := len(p); n >= 2 {
			return strings.ToLower(p[n-2]) + "/" + p[n-1]
		}
	}
	s := exposure.ShortID(id)
	for _, k := range []string{"targetgroup/", "loadbalancer/app/", "loadbalancer/net/"} {
		if i := strings.Index(s, k); i >= 0 {
			name, _, _ := strings.Cut(s[i+len(k):], "/")
			return strings.TrimSuffix(k, "/") + "/" + name
		}
	}
	return s
}

// coverageLines says what the ranking could not see; never a silent zero.
func coverageLines(rep *Report) []string {
	c := rep.Coverage
	exposed := 0
	for _, r := range rep.Risks {
		if r.Reachability.Class == ReachWide || r.Reachability.Class == ReachNarrow {
			exposed++
		}
	}
	out := []string{fmt.Sprintf("%d risk(s), %d exposed to the internet; %d workload(s), %d image(s) run, %d scan result(s)",
		len(rep.Risks), exposed, c.Workloads, c.Images, c.ScanResults)}
	if NoDB(rep) {
		// Never a clean headline over findings that were not looked up.
		out[0] = "NOT CHECKED: no advisory database (run sightline db update): findings unknown, not absent; " + out[0]
	}
	for _, g := range c.ImagesNotScanned {
		name := g.Ref
		if name == "" {
			name = g.Digest
		}
		out = append(out, fmt.Sprintf("not scanned (vulnerabilities unknown): %s, run by %d workload(s)%s", name, len(g.Workloads), exposedNote(g.Exposed)))
	}
	if n := len(c.UnknownImages); n > 0 {
		out = append(out, fmt.Sprintf("%d container(s) with no known image", n))
	}
	if c.TagJoins > 0 {
		out = append(out, fmt.Sprintf("%d container(s) joined to a scan by tag only (lower confidence)", c.TagJoins))
	}
	for _, g := range c.ScanGaps {
		out = append(out, fmt.Sprintf("incomplete scan %s: db %s, %d package(s) unchecked, %d file(s) skipped, run by %d workload(s)%s",
			g.Target, g.DB, g.Unchecked, g.SkippedFiles, len(g.Workloads), exposedNote(g.Exposed)))
	}
	out = append(out, c.SeverityNotes...)
	for _, d := range c.DuplicateScans {
		out = append(out, "ignored, same image digest as an earlier scan: "+d)
	}
	for _, g := range c.InventoryGaps {
		out = append(out, "inventory gap: "+g.What+": "+g.Reason)
	}
	if c.IdentityIncomplete {
		out = append(out, "roles: "+c.Identity)
	}
	for _, r := range c.RolesNotObtained {
		out = append(out, "role not obtainable: "+r)
	}
	if c.DataStoresIncomplete {
		out = append(out, "data stores: "+c.DataStores)
	}
	return append(out, runtimeLines(c.Runtime)...)
}

// exposedNote marks a coverage gap of an internet-exposed workload.
func exposedNote(exposed bool) string {
	if exposed {
		return ", EXPOSED to the internet"
	}
	return ""
}

// maxRuntimeGapLines bounds the runtime gaps the footer lists (the JSON
// has them all).
const maxRuntimeGapLines = 5

// runtimeLines are the footer lines of the runtime evidence: what was
// read, and every gap up to maxRuntimeGapLines. Nothing when no Docker
// source was given (no runtime evidence was possible).
func runtimeLines(rc RuntimeCoverage) []string {
	if !rc.Collected {
		if strings.HasPrefix(rc.Note, "--no-runtime") {
			return []string{"runtime: " + rc.Note}
		}
		return nil
	}
	out := []string{fmt.Sprintf("runtime evidence: %d of %d Docker container(s) read", rc.Read, rc.Containers)}
	// Package-list gaps come many per image: one line per image.
	var images []string
	perImage := map[string][]string{}
	n := 0
	for _, g := range rc.Gaps {
		if g.Workload == "" && g.Image != "" {
			if perImage[g.Image] == nil {
				images = append(images, g.Image)
			}
			perImage[g.Image] = append(perImage[g.Image], g.Reason)
			continue
		}
		if n++; n > maxRuntimeGapLines {
			continue
		}
		who := g.Workload
		if who == "" {
			who = "host"
		}
		out = append(out, "runtime gap: "+shortHexID(who)+": "+g.Reason)
	}
	if n > maxRuntimeGapLines {
		out = append(out, fmt.Sprintf("runtime gap: and %d more (JSON coverage.runtime.gaps)", n-maxRuntimeGapLines))
	}
	for _, im := range images {
		rs := perImage[im]
		s := fmt.Sprintf("runtime gap: image %s: %s", shortHexID(im), rs[0])
		if len(rs) > 1 {
			s += fmt.Sprintf(" (+%d more)", len(rs)-1)
		}
		out = append(out, s)
	}
	return out
}

// shortHexID shortens "docker:<64 hex>" and "sha256:<64 hex>" to 12 hex
// digits, as the docker CLI prints IDs.
func shortHexID(id string) string {
	for _, p := range []string{"docker:", "sha256:"} {
		if strings.HasPrefix(id, p) && len(id) > len(p)+12 {
			return id[:len(p)+12]
		}
	}
	return id
}
