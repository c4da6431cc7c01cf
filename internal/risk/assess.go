package risk

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/workload"
)

// Options tune an assessment.
type Options struct {
	// Now is the time fix ages are measured at (the zero value means
	// time.Now()); tests fix it so that scores are reproducible.
	Now time.Time
	// Runtime is the runtime evidence of the Docker containers
	// (CollectRuntime); nil when none was collected, RuntimeNote then
	// saying why ("--no-runtime"): every row's runtime state is unknown.
	Runtime     *RuntimeInput
	RuntimeNote string
	// Identities are what the workloads' cloud roles may do (by role
	// ARN); nil when no IAM was read, IdentityNote then saying why.
	Identities   Identities
	IdentityNote string
	// IdentityIncomplete: some workload role was not evaluated (no IAM
	// in the snapshot, the role not in it, a damaged file).
	IdentityIncomplete bool
	// DataBehind are the data stores behind each workload (by workload
	// ID), DataNote what was read and checked to find them.
	DataBehind DataBehind
	DataNote   string
	// DataMissing, DataIncomplete and RolesNotObtained fill the coverage
	// fields of the same names.
	DataMissing      []string
	DataIncomplete   bool
	RolesNotObtained []string
	// Assumed are, per workload ID, the roles it can obtain and how
	// (internal/identity): a role the workload names but cannot obtain
	// weighs nothing; an instance role it reaches through IMDS weighs as
	// its own. Nil when not resolved: the named role (Workload.Role) is
	// taken as obtained.
	Assumed map[string][]AssumedRole
}

// occurrence is one workload container running a scanned image.
type occurrence struct {
	w    *workload.Workload
	c    *workload.Container
	join string
}

// Assess joins the scan results to the workloads of inv (whose container
// exposure must already be computed, internal/exposure.Containers) and
// ranks every finding. inv may be empty: every row is then not_running.
func Assess(inv *workload.Inventory, results []*scan.Result, opts Options) *Report {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if inv == nil {
		inv = &workload.Inventory{}
	}
	rep := &Report{Schema: Schema, Risks: []Risk{}, Fixes: []FixGroup{},
		Coverage: Coverage{ScanResults: len(results), Workloads: len(inv.Workloads), ImagesNotScanned: []ImageGap{},
			UnknownImages: []ContainerRef{}, ScanGaps: []ScanGap{}, DuplicateScans: []string{}, SeverityNotes: []string{}, InventoryGaps: inv.Gaps}}
	if rep.Coverage.InventoryGaps == nil {
		rep.Coverage.InventoryGaps = []workload.Gap{}
	}
	rep.Coverage.Runtime = runtimeCoverage(opts)
	rep.Coverage.Identity = opts.IdentityNote
	rep.Coverage.DataStores = opts.DataNote
	rep.Coverage.DataStoresMissing, rep.Coverage.DataStoresIncomplete = opts.DataMissing, opts.DataIncomplete
	rep.Coverage.RolesNotObtained = opts.RolesNotObtained
	rep.Coverage.IdentityIncomplete = opts.IdentityIncomplete
	results = dedupe(results, &rep.Coverage)
	occ := joinImages(inv, results, &rep.Coverage)
	for i, r := range results {
		normaliseLevels(r, &rep.Coverage)
		if gap, ok := scanGap(r, occ[i]); ok {
			rep.Coverage.ScanGaps = append(rep.Coverage.ScanGaps, gap)
		}
		rep.Risks = append(rep.Risks, rowsOf(r, occ[i], opts)...)
	}
	rank(rep.Risks)
	rep.Fixes = fixGroups(rep.Risks)
	return rep
}

// dedupe keeps the first result of each image digest (the same image given
// twice, by --scan-results and --images, would make every row twice) and
// records the others.
func dedupe(results []*scan.Result, cov *Coverage) []*scan.Result {
	seen := map[string]bool{}
	out := make([]*scan.Result, 0, len(results))
	for _, r := range results {
		if d := r.Target.Digest; d != "" {
			if seen[d] {
				cov.DuplicateScans = append(cov.DuplicateScans, r.Target.Name)
				continue
			}
			seen[d] = true
		}
		out = append(out, r)
	}
	return out
}

// joinImages matches every workload container to a scan result: by
// digest first, then by normalised reference (tag, lower confidence).
// It returns the occurrences per result index and records the images no
// result matched.
func joinImages(inv *workload.Inventory, results []*scan.Result, cov *Coverage) [][]occurrence {
	byDigest, byRef := map[string]int{}, map[string]int{}
	for i, r := range results {
		if d := r.Target.Digest; d != "" {
			if _, dup := byDigest[d]; !dup {
				byDigest[d] = i
			}
		}
		if ref := normRef(targetRef(r.Target)); ref != "" {
			if _, dup := byRef[ref]; !dup {
				byRef[ref] = i
			}
		}
	}
	occ := make([][]occurrence, len(results))
	missing := map[string]*ImageGap{}
	images := map[string]bool{}
	for i := range inv.Workloads {
		w := &inv.Workloads[i]
		for j := range w.Containers {
			c := &w.Containers[j]
			im := c.Image
			if im.Ref == "" && im.Digest == "" {
				cov.UnknownImages = append(cov.UnknownImages, ContainerRef{Workload: w.ID, Container: c.Name})
				continue
			}
			key := im.Digest
			if key == "" {
				key = normRef(im.Ref)
			}
			images[key] = true
			if k, ok := byDigest[im.Digest]; ok && im.Digest != "" {
				occ[k] = append(occ[k], occurrence{w, c, "digest"})
				continue
			}
			// A tag joins only when one side's digest is unknown: a known,
			// different digest is another build under the same tag.
			if k, ok := byRef[normRef(im.Ref)]; ok && im.Ref != "" && (im.Digest == "" || results[k].Target.Digest == "") {
				occ[k] = append(occ[k], occurrence{w, c, "tag"})
				cov.TagJoins++
				continue
			}
			g := missing[key]
			if g == nil {
				g = &ImageGap{Ref: im.Ref, Digest: im.Digest}
				missing[key] = g
			}
			if !slices.Contains(g.Workloads, w.ID) {
				g.Workloads = append(g.Workloads, w.ID)
			}
			g.Exposed = g.Exposed || internetExposed(c)
		}
	}
	cov.Images = len(images)
	for _, g := range missing {
		sort.Strings(g.Workloads)
		cov.ImagesNotScanned = append(cov.ImagesNotScanned, *g)
	}
	sort.Slice(cov.ImagesNotScanned, func(a, b int) bool {
		x, y := cov.ImagesNotScanned[a], cov.ImagesNotScanned[b]
		if x.Ref != y.Ref {
			return x.Ref < y.Ref
		}
		return x.Digest < y.Digest
	})
	return occ
}

// targetRef is the image reference a scan target was given as, without
// Sightline's transport prefix; "" for archives, layouts and non-images
// (a path names no reference a workload could run).
func targetRef(t scan.Target) string {
	if t.Kind != "image" {
		return ""
	}
	switch t.Transport {
	case "", "registry", "docker":
	default:
		return ""
	}
	ref := t.Name
	for _, p := range []string{"registry:", "docker:"} {
		ref = strings.TrimPrefix(ref, p)
	}
	return ref
}

// normRef canonicalises an image reference the way the Docker engine
// does (docker.io/library/ defaults, :latest), without its digest, so that
// "nginx:1.27" and "docker.io/library/nginx:1.27" join. "" when it does
// not parse.
func normRef(ref string) string {
	if ref == "" {
		return ""
	}
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	r, err := name.NewTag(ref, name.WeakValidation)
	if err != nil {
		return ""
	}
	return r.Name()
}

// scanGap is the coverage gap of an incomplete scan r, with the
// workloads that run its image (occ) and whether one is internet exposed.
func scanGap(r *scan.Result, occ []occurrence) (ScanGap, bool) {
	c := r.Coverage
	if c.Complete() {
		return ScanGap{}, false
	}
	g := ScanGap{Target: r.Target.Name, DB: scan.CoverageDBNone, Workloads: []string{}}
	if c != nil {
		g.DB, g.Unchecked, g.SkippedFiles = c.DB, c.Unchecked, c.SkippedCount()
	}
	for _, o := range occ {
		if !slices.Contains(g.Workloads, o.w.ID) {
			g.Workloads = append(g.Workloads, o.w.ID)
		}
		g.Exposed = g.Exposed || internetExposed(o.c)
	}
	sort.Strings(g.Workloads)
	return g, true
}

// internetExposed says whether some port of c is exposed to the internet
// (wide or narrow).
func internetExposed(c *workload.Container) bool {
	for _, v := range c.Exposure {
		if v.Verdict == exposure.Exposed {
			return true
		}
	}
	return false
}

// runtimeCoverage summarises the runtime evidence for Coverage.
func runtimeCoverage(opts Options) RuntimeCoverage {
	rt := opts.Runtime
	if rt == nil {
		note := opts.RuntimeNote
		if note == "" {
			note = "no runtime evidence collected"
		}
		return RuntimeCoverage{Note: note, Gaps: []RuntimeGap{}}
	}
	gaps := rt.Gaps
	if gaps == nil {
		gaps = []RuntimeGap{}
	}
	return RuntimeCoverage{Collected: true, Containers: rt.Inspected, Read: len(rt.Containers), Gaps: gaps}
}

// rowsOf makes one row per vulnerability ID of one scanned image.
func rowsOf(r *scan.Result, occ []occurrence, opts Options) []Risk {
	byID := map[string][]*scan.Finding{}
	var ids []string
	for i := range r.Findings {
		f := &r.Findings[i]
		if _, ok := byID[f.ID]; !ok {
			ids = append(ids, f.ID)
		}
		byID[f.ID] = append(byID[f.ID], f)
	}
	sort.Strings(ids)
	// The path and the workload list depend on the image and the package
	// only: computed once per package of the image, shared by its rows.
	paths := map[string]*pathOf{}
	sources := map[string]string{} // name@version → source package
	for _, ip := range r.Packages {
		if k := ip.Name + "@" + ip.Version; ip.SourceName != "" && sources[k] == "" {
			sources[k] = ip.SourceName
		}
	}
	var out []Risk
	for _, id := range ids {
		fs := byID[id]
		sort.SliceStable(fs, func(a, b int) bool { return fs[a].Package.Name < fs[b].Package.Name })
		pk := pkgKey{names: packageNames(fs), purl: fs[0].Package.PURL, rt: opts.Runtime}
		key := strings.Join(pk.names, "\x00")
		p := paths[key]
		if p == nil {
			p = &pathOf{best: pickPath(r, pk, occ), refs: workloadRefs(r, pk, occ, opts.Identities, opts.Assumed)}
			p.priv, p.privNames, p.privWhy = privilege(occ, opts.Identities, opts.Assumed)
			p.data, p.dataAcc = dataBehind(occ, opts.DataBehind)
			p.runtime = runtimeOf(opts.Runtime, opts.RuntimeNote, pk.purl, fs[0].Package.Ecosystem, pk.names, occ)
			paths[key] = p
		}
		out = append(out, row(r, fs, occ, p, sources, opts.Now))
	}
	return out
}

// pathOf is the most exposed path to one package of an image and the
// workloads running it.
type pathOf struct {
	best      candidate
	refs      []WorkloadRef
	priv      float64
	privNames []string
	privWhy   []string // what the role of the most privileged container may do
	data      float64
	dataAcc   []DataAccess
	runtime   Runtime
}

// pkgKey names the vulnerable packages of a row (sorted, first is the
// row's package) for the path and runtime evidence.
type pkgKey struct {
	names []string
	purl  string
	rt    *RuntimeInput
}

func packageNames(fs []*scan.Finding) []string {
	var out []string
	for _, f := range fs {
		if !slices.Contains(out, f.Package.Name) {
			out = append(out, f.Package.Name)
		}
	}
	return out
}

func row(r *scan.Result, fs []*scan.Finding, occ []occurrence, p *pathOf, sources map[string]string, now time.Time) Risk {
	f := fs[0]
	rk := Risk{ID: f.ID, Aliases: nonNil(f.Aliases), Summary: f.Summary, Severity: severityOf(&f.Vulnerability),
		Package: packageOf(fs, sources), Runtime: p.runtime}
	rk.Runtime.Lines = nonNil(rk.Runtime.Lines)
	rk.Image = Image{Digest: r.Target.Digest, Scanned: r.Target.Name, Join: "none"}
	best := p.best
	rk.Reachability, rk.PortEvidence = best.reach, best.port
	rk.Workloads = p.refs
	for _, o := range occ {
		if o.join == "digest" || rk.Image.Join == "none" {
			rk.Image.Join = o.join
		}
		if rk.Image.Ref == "" || o.c.Image.Ref < rk.Image.Ref {
			rk.Image.Ref = o.c.Image.Ref
		}
	}
	if rk.Image.Ref == "" {
		rk.Image.Ref = targetRef(r.Target)
	}
	rk.Fix = fixOf(fs, rk.Package, r)
	priv, privNames := p.priv, p.privNames
	rk.ScoreParts = ScoreParts{
		Exploitability: exploitability(rk.Severity, rk.Fix),
		Reachability:   reachPoints(best) * vectorFactor(rk.Severity),
		Port:           Weights.Port[best.port.Match],
		Privilege:      priv,
		Data:           p.data,
		FixAge:         fixAge(&f.Vulnerability, rk.Fix, now),
	}
	rk.ScoreParts.Runtime = runtimePoints(rk.Runtime.State, rk.ScoreParts.Reachability)
	sp := rk.ScoreParts
	rk.Score = round1(sp.Exploitability + sp.Reachability + sp.Port + sp.Privilege + sp.Data + sp.FixAge + sp.Runtime)
	rk.DataBehind = p.dataAcc
	rk.Reasons = reasons(&rk, privNames, append(p.privWhy, dataReasons(p.dataAcc)...), &f.Vulnerability, now)
	return rk
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// severityOf extracts the exploitability data, the attack vector from the
// CVSS v3 vector, else v4, else v2 ("AV:N" …, FIRST CVSS specifications).
func severityOf(v *vulndb.Vulnerability) Severity {
	s := Severity{Level: v.Severity.Level, CVSS: v.Severity.Score, AttackVector: VectorUnknown, KEV: v.KEV != nil,
		Rating: v.Severity.Ecosystem}
	if s.Level == "" {
		s.Level = "unknown"
	}
	if v.EPSS != nil {
		s.EPSS = v.EPSS.Score
	}
	for _, c := range []*vulndb.CVSS{v.Severity.CVSSv3, v.Severity.CVSSv4, v.Severity.CVSSv2} {
		if c == nil || c.Vector == "" {
			continue
		}
		s.Vector = c.Vector
		s.AttackVector = attackVector(c.Vector)
		break
	}
	return s
}

// vectorFactor is what the reachability points are scaled by: the CVSS
// attack vector's factor, or NegligibleFactor when there is no vector and
// the distribution rates the flaw negligible (Weights).
func vectorFactor(s Severity) float64 {
	if s.AttackVector == VectorUnknown && NegligibleRatings[s.Rating] {
		return Weights.NegligibleFactor
	}
	return Weights.VectorFactor[s.AttackVector]
}

func attackVector(vec string) string {
	for _, part := range strings.Split(vec, "/") {
		k, v, ok := strings.Cut(part, ":")
		if !ok || k != "AV" {
			continue
		}
		switch v {
		case "N":
			return VectorNetwork
		case "A":
			return VectorAdjacent
		case "L":
			return VectorLocal
		case "P":
			return VectorPhysical
		}
	}
	return VectorUnknown
}

func packageOf(fs []*scan.Finding, sources map[string]string) Package {
	f := fs[0]
	p := Package{Name: f.Package.Name, Version: f.Package.Version, Ecosystem: f.Package.Ecosystem, PURL: f.Package.PURL,
		Source: sources[f.Package.Name+"@"+f.Package.Version]}
	for _, o := range fs[1:] {
		s := o.Package.Name + "@" + o.Package.Version
		if !slices.Contains(p.Also, s) {
			p.Also = append(p.Also, s)
		}
	}
	return p
}

func exploitability(s Severity, fix Fix) float64 {
	x := Weights.NoCVSS
	if c, ok := Weights.LevelCVSS[s.Level]; ok {
		x = c * Weights.CVSSPerPoint
	}
	if s.CVSS > 0 {
		x = s.CVSS * Weights.CVSSPerPoint
	}
	if s.KEV {
		x += Weights.KEV
	}
	x += s.EPSS * Weights.EPSS
	if fix.State == vulndb.FixStateFixed {
		x += Weights.FixAvailable
	}
	return x
}

func fixAge(v *vulndb.Vulnerability, fix Fix, now time.Time) float64 {
	if fix.State != vulndb.FixStateFixed || v.Published.IsZero() {
		return 0
	}
	days := int(now.Sub(v.Published).Hours() / 24)
	for _, s := range Weights.FixAge {
		if days >= s.Days {
			return s.Points
		}
	}
	return 0
}

// privilege scores the most privileged container running the image.
func privilege(occ []occurrence, ids Identities, assumed map[string][]AssumedRole) (float64, []string, []string) {
	var best float64
	var names, why []string
	for i, o := range occ {
		p, n, w := containerPrivilege(o.w, o.c, ids, assumed[o.w.ID])
		if i == 0 || p > best || (p == best && len(n) > len(names)) {
			best, names, why = p, n, w
		}
	}
	return math.Min(best, Weights.PrivilegeCap), names, why
}

func containerPrivilege(w *workload.Workload, c *workload.Container, ids Identities, assumed []AssumedRole) (float64, []string, []string) {
	var p float64
	var n, why []string
	if c.Privileged {
		p += Weights.Privileged
		n = append(n, "privileged")
	}
	var sock, host bool
	for _, m := range c.Mounts {
		sock = sock || m.RuntimeSocket
		host = host || (m.HostPath && !m.RuntimeSocket)
	}
	if sock {
		p += Weights.RuntimeSocket
		n = append(n, "runtime socket")
	}
	if host {
		p += Weights.HostPath
		n = append(n, "host mount")
	}
	if w.HostNetwork {
		p += Weights.HostNetwork
		n = append(n, "host network")
	}
	if rp, rn, rw := ids.rolesPrivilege(w.Role, assumed); rp > 0 || len(rw) > 0 {
		p += rp
		n = append(n, rn...)
		why = rw
	}
	return p, n, why
}

func shortRole(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// candidate is one path of one occurrence.
type candidate struct {
	reach Reachability
	port  PortEvidence
	score float64
	// depth is how far the proof got (hops in the path, the blocking
	// control counted): among equal paths the one that names the
	// outermost control explains best ("blocked by sg-0ab" rather than
	// "the pod has no interface of its own").
	depth int
	key   string // deterministic tie-break
}

// classOrder ranks classes for tie-breaks, most exposed first.
var classOrder = []string{ReachWide, ReachNarrow, ReachUnknown, ReachInternal, ReachNotReachable, ReachNotRunning}

func better(a, b candidate) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	ai, bi := slices.Index(classOrder, a.reach.Class), slices.Index(classOrder, b.reach.Class)
	if ai != bi {
		return ai < bi
	}
	if a.depth != b.depth {
		return a.depth > b.depth
	}
	return a.key < b.key
}

// pickPath returns the most exposed path among the occurrences, the
// port evidence weighed in (a wide path on a port the vulnerable server
// does not listen on ranks below a narrow path on its port).
func pickPath(r *scan.Result, pkg pkgKey, occ []occurrence) candidate {
	best := candidate{reach: Reachability{Verdict: "not_running", Class: ReachNotRunning, Path: []workload.Hop{}, Missing: []string{}},
		port: PortEvidence{Match: PortNone, Detail: "no workload runs this image"}, score: -1}
	for _, c := range candidates(r, pkg, occ) {
		if best.score < 0 || better(c, best) {
			best = c
		}
	}
	return best
}

func candidates(r *scan.Result, pkg pkgKey, occ []occurrence) []candidate {
	var out []candidate
	for _, o := range occ {
		if len(o.c.Exposure) == 0 {
			out = append(out, candidate{
				reach: Reachability{Verdict: exposure.NotExposed, Class: ReachNotReachable, Workload: o.w.ID, Container: o.c.Name,
					Path: []workload.Hop{}, Missing: []string{}},
				port: PortEvidence{Match: PortNone, Detail: "the container declares no port"},
				key:  o.w.ID + "\x00" + o.c.Name})
			continue
		}
		for i := range o.c.Exposure {
			v := &o.c.Exposure[i]
			port, ok := runtimePort(pkg.rt, o, pkg.names, pkg.purl, v)
			if !ok {
				port = portEvidence(r, pkg.names[0], o.c, v)
			}
			reach := Reachability{Verdict: v.Verdict, Width: v.Width, Class: classOf(v), Workload: o.w.ID, Container: o.c.Name,
				Port: portKey(v.Protocol, v.ContainerPort), Via: v.Via, Sources: v.Sources, Path: v.Path, BlockedBy: v.BlockedBy, Missing: v.Missing}
			if reach.Path == nil {
				reach.Path = []workload.Hop{}
			}
			if reach.Missing == nil {
				reach.Missing = []string{}
			}
			depth := len(v.Path)
			if v.BlockedBy != nil && v.BlockedBy.Kind != "workload" {
				depth++
			}
			out = append(out, candidate{reach: reach, port: port, depth: depth,
				key: fmt.Sprintf("%s\x00%s\x00%s\x00%s", o.w.ID, o.c.Name, reach.Port, v.Via)})
		}
	}
	for i := range out {
		out[i].score = reachPoints(out[i]) + Weights.Port[out[i].port.Match]
	}
	return out
}

// reachPoints are the reachability points of a path, discounted when the
// vulnerable server does not listen on its port.
func reachPoints(c candidate) float64 {
	p := Weights.Reach[c.reach.Class]
	if c.port.Match == PortOtherPort {
		p *= Weights.OtherPortFactor
	}
	return p
}

// classOf maps an exposure verdict to a reachability class.
func classOf(v *workload.Verdict) string {
	switch v.Verdict {
	case exposure.Exposed:
		if v.Width == exposure.Narrow {
			return ReachNarrow
		}
		return ReachWide
	case exposure.NotExposed:
		return ReachInternal
	}
	return ReachUnknown
}

// portEvidence decides whether the vulnerable package serves the port
// of verdict v: a well-known server by its default ports (ports.go),
// anything else by the port being declared for the container.
func portEvidence(r *scan.Result, pkg string, c *workload.Container, v *workload.Verdict) PortEvidence {
	key := portKey(v.Protocol, v.ContainerPort)
	if ports, ok := serverPorts(pkg); ok {
		if slices.Contains(ports, key) {
			return PortEvidence{Match: PortServed, Source: "well_known_ports", Port: key,
				Detail: fmt.Sprintf("%s listens on %s by default", pkg, key)}
		}
		return PortEvidence{Match: PortOtherPort, Source: "well_known_ports", Port: key,
			Detail: fmt.Sprintf("%s listens on %s by default, not on %s", pkg, strings.Join(ports, ", "), key)}
	}
	if cfg := r.Target.Config; cfg != nil && slices.Contains(cfg.ExposedPorts, fmt.Sprintf("%d/%s", v.ContainerPort, v.Protocol)) {
		return PortEvidence{Match: PortDeclared, Source: "image ExposedPorts", Port: key,
			Detail: fmt.Sprintf("the image exposes %s; %s is in the image serving it (not proven on its path)", key, pkg)}
	}
	decl := "declared"
	for _, p := range c.Ports {
		if p.ContainerPort == v.ContainerPort && p.Protocol == v.Protocol && p.Declared != "" {
			decl = p.Declared
			break
		}
	}
	return PortEvidence{Match: PortDeclared, Source: decl, Port: key,
		Detail: fmt.Sprintf("the workload declares %s (%s); %s is in the image serving it (not proven on its path)", key, decl, pkg)}
}

// workloadRefs lists every workload container running the image, sorted
// by ID, each with its own most exposed class.
func workloadRefs(r *scan.Result, pkg pkgKey, occ []occurrence, ids Identities, assumed map[string][]AssumedRole) []WorkloadRef {
	out := []WorkloadRef{}
	for _, o := range occ {
		best := pickPath(r, pkg, []occurrence{o})
		_, priv, _ := containerPrivilege(o.w, o.c, ids, assumed[o.w.ID])
		out = append(out, WorkloadRef{ID: o.w.ID, Name: o.w.Name, Kind: o.w.Kind, Owner: o.w.Owner, Container: o.c.Name, Join: o.join,
			Class: best.reach.Class, Privilege: priv})
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].ID != out[b].ID {
			return out[a].ID < out[b].ID
		}
		return out[a].Container < out[b].Container
	})
	return out
}

// rank sorts rows by score, then ID, image digest and reference, and
// numbers them: equal inputs give equal order.
func rank(rs []Risk) {
	sort.SliceStable(rs, func(a, b int) bool {
		x, y := &rs[a], &rs[b]
		if x.Score != y.Score {
			return x.Score > y.Score
		}
		if x.ID != y.ID {
			return x.ID < y.ID
		}
		if x.Image.Digest != y.Image.Digest {
			return x.Image.Digest < y.Image.Digest
		}
		return x.Image.Scanned < y.Image.Scanned
	})
	for i := range rs {
		rs[i].Rank = i + 1
	}
}
