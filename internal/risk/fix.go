package risk

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/version"
)

// fixName is the package an upgrade names: the source package when the
// distribution has one (upgrading openssl fixes libssl3 and openssl).
func fixName(p Package) string {
	if p.Source != "" {
		return p.Source
	}
	return p.Name
}

// fixOf is the row's fix: the highest fixed version of its findings;
// when every vulnerable package came with the image's base layers from
// the distribution (inventory.LayerRef.Base), the fastest fix is to
// rebuild on a current base, which picks up the distribution's security
// update with the other base packages' fixes — grouped per distribution
// release, not per package.
func fixOf(fs []*scan.Finding, p Package, r *scan.Result) Fix {
	fx := Fix{State: vulndb.FixStateNotFixed, FixedVersions: []string{}}
	for _, f := range fs {
		for _, v := range f.FixedVersions {
			if !contains(fx.FixedVersions, v) {
				fx.FixedVersions = append(fx.FixedVersions, v)
			}
		}
	}
	to := maxVersion(p.Ecosystem, fx.FixedVersions)
	if to == "" {
		fx.Action = "no fixed version yet: close the path or remove " + fixName(p)
		return fx
	}
	fx.State = vulndb.FixStateFixed
	if base := baseRelease(fs, r); base != "" {
		fx.Kind = FixRebuild
		fx.Base = base
		fx.Action = fmt.Sprintf("rebuild on a current %s base (its security updates carry %s %s; now %s)", base, fixName(p), to, p.Version)
		fx.Group = "rebuild/" + r.OS.Ecosystem
		return fx
	}
	fx.Kind = FixUpgrade
	fx.Action = fmt.Sprintf("upgrade %s %s → %s", fixName(p), p.Version, to)
	fx.Group = p.Ecosystem + "/" + fixName(p)
	return fx
}

// baseRelease names the distribution release ("Debian 12") when every
// finding's package is a package of the image's distribution that came
// with the base image's layers; "" otherwise (an added layer installed it,
// or which layers are the base's cannot be told).
func baseRelease(fs []*scan.Finding, r *scan.Result) string {
	if r == nil || r.OS == nil || r.OS.Ecosystem == "" {
		return ""
	}
	for _, f := range fs {
		l := f.Package.Layer
		if f.Package.Ecosystem != r.OS.Ecosystem || l == nil || l.Base == nil || !*l.Base {
			return ""
		}
	}
	name := r.OS.ID
	if n, _, ok := strings.Cut(r.OS.Ecosystem, ":"); ok {
		name = n
	}
	return strings.TrimSpace(name + " " + r.OS.VersionID)
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// maxVersion is the highest of vs in the ecosystem's order (the string
// order when the ecosystem's versions cannot be parsed).
func maxVersion(ecosystem string, vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	parse, err := version.ForEcosystem(ecosystem)
	best := vs[0]
	for _, v := range vs[1:] {
		if err == nil {
			a, ea := parse(v)
			b, eb := parse(best)
			if ea == nil && eb == nil {
				if a.Compare(b) > 0 {
					best = v
				}
				continue
			}
		}
		if v > best {
			best = v
		}
	}
	return best
}

// fixGroups groups rows by the upgrade that fixes them: one group per
// package (and ecosystem) with the highest fixed version any row needs,
// sorted by exposed rows fixed, then rows fixed, then best rank.
func fixGroups(rs []Risk) []FixGroup {
	type acc struct {
		g         FixGroup
		versions  map[string]bool
		workloads map[string]bool
		images    map[string]bool
	}
	groups := map[string]*acc{}
	for i := range rs {
		r := &rs[i]
		if r.Fix.Group == "" {
			continue
		}
		a := groups[r.Fix.Group]
		if a == nil {
			a = &acc{g: FixGroup{Key: r.Fix.Group, Kind: r.Fix.Kind, Base: r.Fix.Base, Package: fixName(r.Package),
				Ecosystem: r.Package.Ecosystem, BestRank: r.Rank},
				versions: map[string]bool{}, workloads: map[string]bool{}, images: map[string]bool{}}
			if r.Fix.Kind == FixRebuild {
				a.g.Package = ""
			}
			groups[r.Fix.Group] = a
		}
		if r.Fix.Kind == FixRebuild && !contains(a.g.Packages, fixName(r.Package)) {
			a.g.Packages = append(a.g.Packages, fixName(r.Package))
		}
		a.g.Findings++
		if r.Reachability.Verdict == exposure.Exposed {
			a.g.Exposed++
		}
		for _, v := range r.Fix.FixedVersions {
			a.versions[v] = true
		}
		for _, w := range r.Workloads {
			a.workloads[w.ID] = true
		}
		a.images[r.Image.Digest+"\x00"+r.Image.Scanned] = true
		a.g.BestRank = min(a.g.BestRank, r.Rank)
	}
	out := []FixGroup{}
	for _, a := range groups {
		g := a.g
		vs := make([]string, 0, len(a.versions))
		for v := range a.versions {
			vs = append(vs, v)
		}
		sort.Strings(vs) // maxVersion keeps the first of equal versions
		g.Workloads, g.Images = len(a.workloads), len(a.images)
		if g.Kind == FixRebuild {
			sort.Strings(g.Packages)
			g.Action = fmt.Sprintf("rebuild on a current %s base", g.Base)
		} else {
			g.To = maxVersion(g.Ecosystem, vs)
			g.Action = fmt.Sprintf("upgrade %s to %s", g.Package, g.To)
		}
		g.Summary = fmt.Sprintf("%s fixes %d finding(s), %d exposed, in %d workload(s) and %d image(s)",
			g.Action, g.Findings, g.Exposed, g.Workloads, g.Images)
		out = append(out, g)
	}
	sort.Slice(out, func(a, b int) bool {
		x, y := out[a], out[b]
		if x.Exposed != y.Exposed {
			return x.Exposed > y.Exposed
		}
		if x.Findings != y.Findings {
			return x.Findings > y.Findings
		}
		if x.BestRank != y.BestRank {
			return x.BestRank < y.BestRank
		}
		return x.Key < y.Key
	})
	return out
}

// reasons are the row's short explanations, most telling first: the
// path (or its blocking control, or its missing data), the port
// evidence, exploitability, privilege, the fix and the join's confidence.
func reasons(r *Risk, priv, privWhy []string, v *vulndb.Vulnerability, now time.Time) []string {
	var out []string
	rc := &r.Reachability
	switch rc.Class {
	case ReachWide, ReachNarrow:
		s := fmt.Sprintf("exposed (%s) from %s to %s", rc.Width, exposure.SourcesText(rc.Sources), rc.Port)
		if f := outermostFront(rc); f != "" {
			s += " via " + shortFront(f) // as the table says it
		}
		out = append(out, s)
	case ReachUnknown:
		m := "no reason given"
		if len(rc.Missing) > 0 {
			m = rc.Missing[0]
			if len(rc.Missing) > 1 {
				m += fmt.Sprintf(" (+%d more)", len(rc.Missing)-1)
			}
		}
		out = append(out, fmt.Sprintf("reachability of %s unknown (ranked above internal): missing %s", rc.Port, m))
	case ReachInternal:
		s := "not exposed to the internet on " + rc.Port
		if b := rc.BlockedBy; b != nil {
			s += ": blocked by " + b.Kind + " " + exposure.ShortID(b.ID)
			if d := strings.TrimPrefix(b.Detail, b.ID+": "); d != "" {
				s += " (" + d + ")"
			}
		}
		out = append(out, s)
	case ReachNotReachable:
		out = append(out, "no port declared or published: not reachable over the network")
	case ReachNotRunning:
		out = append(out, "no workload found running this image")
	}
	if r.PortEvidence.Match != PortNone {
		out = append(out, r.PortEvidence.Detail)
	}
	s := r.Severity
	sev := s.Level
	if s.CVSS > 0 {
		sev += fmt.Sprintf(" CVSS %.1f", s.CVSS)
	}
	sev += ", attack vector " + s.AttackVector
	switch {
	case s.AttackVector == VectorLocal || s.AttackVector == VectorPhysical || s.AttackVector == VectorAdjacent:
		sev += fmt.Sprintf(" (network path weighs ×%g)", Weights.VectorFactor[s.AttackVector])
	case vectorFactor(s) != Weights.VectorFactor[s.AttackVector]:
		sev += fmt.Sprintf("; the distribution rates it %s, not a security problem as shipped (network path weighs ×%g)",
			s.Rating, vectorFactor(s))
	}
	out = append(out, sev)
	if s.KEV {
		out = append(out, "in CISA KEV (known exploited, added "+v.KEV.DateAdded+")")
	}
	if s.EPSS > 0 {
		out = append(out, fmt.Sprintf("EPSS %.3f", s.EPSS))
	}
	if len(priv) > 0 {
		out = append(out, "runs "+strings.Join(priv, ", "))
	}
	out = append(out, privWhy...)
	if r.Fix.State == vulndb.FixStateFixed {
		f := "fix: " + r.Fix.Action
		if !v.Published.IsZero() {
			f += fmt.Sprintf(" (advisory %d days old)", int(now.Sub(v.Published).Hours()/24))
		}
		out = append(out, f)
	} else {
		out = append(out, r.Fix.Action)
	}
	if r.Image.Join == "tag" {
		out = append(out, "joined by tag only (lower confidence: a tag can move)")
	}
	out = append(out, runtimeReason(r.Runtime))
	return out
}

// runtimeReason is the reason line of the runtime evidence: its first
// line and how many more, or why none was collected.
func runtimeReason(rt Runtime) string {
	if len(rt.Lines) == 0 {
		return "runtime: " + rt.Evidence
	}
	more := ""
	if len(rt.Lines) > 1 {
		more = fmt.Sprintf(" (+%d more)", len(rt.Lines)-1)
	}
	switch rt.State {
	case RuntimeLoaded:
		return "loaded: " + rt.Lines[0] + more
	case RuntimeDormant:
		return fmt.Sprintf("dormant (score part ×%g of reachability): %s%s", Weights.DormantReachFactor, rt.Lines[0], more)
	}
	return "runtime unknown: " + rt.Lines[0] + more
}
