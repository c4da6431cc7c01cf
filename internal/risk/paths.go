package risk

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// PathsSchema names the JSON document of `sightline paths`.
const PathsSchema = "sightline.paths/v1"

// Path kinds.
const (
	// PathWorkload: internet → vulnerable workload → (identity or
	// network) → data store.
	PathWorkload = "workload"
	// PathStore: internet → data store, with no workload in between (a
	// public bucket, a publicly accessible database).
	PathStore = "data_store"
)

// PathReport is the attack-path view: every path from the internet to a
// data store, through a vulnerable workload or directly, each hop with its
// proof, most severe first (docs/paths.md).
type PathReport struct {
	Schema   string        `json:"schema"`
	Paths    []AttackPath  `json:"paths"`
	Coverage PathsCoverage `json:"coverage"`
}

// PathsCoverage says what the paths were searched over and what could not
// be checked.
type PathsCoverage struct {
	// Assess is the coverage of the ranking the workload paths start from.
	Assess Coverage `json:"assess"`
	// DataStores says which stores were read and what is missing.
	DataStores string `json:"data_stores"`
	// StoresUnknown lists stores whose internet exposure is unknown, with why.
	StoresUnknown []StoreRef `json:"stores_unknown"`
	// ExposedWorkloads counts the exposed (or unknown) vulnerable
	// workloads; WithData how many have data behind them.
	ExposedWorkloads int `json:"exposed_workloads"`
	WithData         int `json:"with_data"`
}

// StoreRef is a data store as the paths view shows it: its internet
// verdict with proof (reach.StoreExposure, flattened).
type StoreRef struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Account  string   `json:"account,omitempty"`
	Region   string   `json:"region,omitempty"`
	Internet string   `json:"internet"` // exposed, not_exposed, conditional, unknown
	Proof    []string `json:"proof,omitempty"`
	Missing  []string `json:"missing,omitempty"`
}

// PathHop is one step of an attack path.
type PathHop struct {
	// Kind: "exposure" (internet → workload, the exposure engine's
	// proof), "identity" (the workload's role may use the store),
	// "network" (the workload's interface reaches the store's port),
	// "public" (the store itself admits anyone).
	Kind   string   `json:"kind"`
	From   string   `json:"from"`
	To     string   `json:"to"`
	Detail string   `json:"detail"`
	Proof  []string `json:"proof,omitempty"`
	// Verdict of the hop: yes, conditional, unknown.
	Verdict string   `json:"verdict"`
	Missing []string `json:"missing,omitempty"`
}

// PathVuln is a vulnerability at the entry of a workload path.
type PathVuln struct {
	ID       string  `json:"id"`
	Severity string  `json:"severity"`
	CVSS     float64 `json:"cvss,omitempty"`
	KEV      bool    `json:"kev,omitempty"`
	Package  string  `json:"package"`
	Rank     int     `json:"assess_rank"`
}

// AttackPath is one path.
type AttackPath struct {
	Rank  int     `json:"rank"`
	Score float64 `json:"score"`
	Kind  string  `json:"kind"`
	// Verdict: "proven" when every hop is yes, "conditional" when a hop
	// depends on a policy condition, "unknown" when a hop lacks data.
	Verdict string `json:"verdict"`
	// Workload is the entry workload (PathWorkload only), Image what it
	// runs, Vulnerabilities its findings (most severe first, at most 5;
	// VulnerabilityCount all of them).
	Workload *WorkloadRef `json:"workload,omitempty"`
	// WorkloadName is the entry as people read it ("service shop/api (2
	// tasks)"), WorkloadIDs every replica it stands for.
	WorkloadName       string     `json:"workload_name,omitempty"`
	WorkloadIDs        []string   `json:"workload_ids,omitempty"`
	Image              string     `json:"image,omitempty"`
	Vulnerabilities    []PathVuln `json:"vulnerabilities,omitempty"`
	VulnerabilityCount int        `json:"vulnerability_count,omitempty"`
	Store              StoreRef   `json:"store"`
	Hops               []PathHop  `json:"hops"`
}

// entry is one exposed workload, or the replicas of one controller (the
// tasks of an ECS service, the pods of a Deployment) running the same
// image, with its findings.
type entry struct {
	ref     WorkloadRef
	members []string // workload IDs
	image   string
	reach   Reachability // the row's path when it is a member's
	own     bool         // reach is a member's own path
	vulns   []PathVuln
	seen    map[string]bool // vulnerability IDs listed
	score   float64         // best assess score of its rows
	// Shared by the entry's paths (prepare).
	name string
	top  []PathVuln
	in   PathHop
}

// BuildPaths derives the attack paths from an assessment, the data
// behind each workload (by workload ID) and the data stores with their
// internet verdicts. dataNote is the data stores' coverage line.
func BuildPaths(rep *Report, behind DataBehind, stores []StoreRef, dataNote string) *PathReport {
	out := &PathReport{Schema: PathsSchema, Paths: []AttackPath{},
		Coverage: PathsCoverage{Assess: rep.Coverage, DataStores: dataNote, StoresUnknown: []StoreRef{}}}
	entries := map[string]*entry{}
	var order []string
	for _, r := range rep.Risks {
		for _, w := range r.Workloads {
			if w.Class != ReachWide && w.Class != ReachNarrow && w.Class != ReachUnknown {
				continue
			}
			key := w.ID
			if w.Owner != "" {
				key = w.Owner + "\x00" + r.Image.Digest
			}
			e := entries[key]
			if e == nil {
				e = &entry{ref: w, image: r.Image.Ref, seen: map[string]bool{}}
				entries[key] = e
				order = append(order, key)
			}
			if !slices.Contains(e.members, w.ID) {
				e.members = append(e.members, w.ID)
			}
			if r.Reachability.Workload == w.ID && !e.own {
				e.reach, e.own = r.Reachability, true
			}
			if e.seen[r.ID] {
				continue
			}
			e.seen[r.ID] = true
			e.vulns = append(e.vulns, PathVuln{ID: r.ID, Severity: r.Severity.Level, CVSS: r.Severity.CVSS, KEV: r.Severity.KEV,
				Package: r.Package.Name + "@" + r.Package.Version, Rank: r.Rank})
			if r.Score > e.score {
				e.score = r.Score
			}
		}
	}
	out.Coverage.ExposedWorkloads = len(entries)
	byID := make(map[string]StoreRef, len(stores))
	for _, st := range stores {
		byID[st.ID] = st
	}
	for _, key := range order {
		e := entries[key]
		n := 0
		for _, a := range mergedAccess(e.members, behind) {
			out.Paths = append(out.Paths, workloadPath(e, a, byID[a.Store]))
			n++
		}
		if n > 0 {
			out.Coverage.WithData++
		}
	}
	for _, s := range stores {
		switch s.Internet {
		case "exposed", "conditional":
			out.Paths = append(out.Paths, storePath(s))
		case "unknown":
			out.Coverage.StoresUnknown = append(out.Coverage.StoresUnknown, s)
		}
	}
	sort.SliceStable(out.Paths, func(i, j int) bool {
		a, b := &out.Paths[i], &out.Paths[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.Store.Name != b.Store.Name {
			return a.Store.Name < b.Store.Name
		}
		return a.WorkloadName < b.WorkloadName
	})
	for i := range out.Paths {
		out.Paths[i].Rank = i + 1
	}
	return out
}

// mergedAccess is the data behind a group of replicas: one access per
// store and way, the best verdict (yes, conditional, unknown) first.
func mergedAccess(members []string, behind DataBehind) []DataAccess {
	rank := map[string]int{DataYes: 0, DataConditional: 1, DataUnknown: 2}
	best := map[[2]string]int{}
	var out []DataAccess
	for _, id := range members {
		for _, a := range behind[id] {
			k := [2]string{a.Store, a.Via}
			if i, ok := best[k]; ok {
				if rank[a.Verdict] < rank[out[i].Verdict] {
					out[i] = a
				}
				continue
			}
			best[k] = len(out)
			out = append(out, a)
		}
	}
	return out
}

// DisplayName names a workload for people: an ECS task or a pod by its
// owner ("service prod/api, task 1c4d5e6f"), others by name.
func DisplayName(w *WorkloadRef) string {
	if w.Owner == "" {
		return w.Name
	}
	return fmt.Sprintf("%s (%s %s)", ownerName(w.Owner), strings.TrimPrefix(w.Kind, "ecs_"), prefix(w.Name, 8))
}

// ownerName shortens a controller ID: "service shop/api", "Deployment/shop/api".
func ownerName(o string) string {
	if i := strings.Index(o, ":service/"); i >= 0 {
		return "service " + o[i+len(":service/"):]
	}
	if i := strings.LastIndexByte(o, '/'); i >= 0 {
		return o[strings.LastIndexByte(o[:i], '/')+1:]
	}
	return o
}

// prefix is s cut to its first n bytes (task IDs are ASCII).
func prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// workloadPath is internet → workload → store. Its score is the entry's
// best assess score plus the store's data points: a proven path to a
// store ranks above a conditional one from the same workload.
func workloadPath(e *entry, a DataAccess, st StoreRef) AttackPath {
	if st.ID == "" {
		st.ID = a.Store
	}
	if st.Name == "" {
		st.Name, st.Kind = a.Name, a.Kind
	}
	e.prepare()
	p := AttackPath{Kind: PathWorkload, Workload: &e.ref, Image: e.image, Store: st, VulnerabilityCount: len(e.vulns),
		Vulnerabilities: e.top, WorkloadName: e.name, WorkloadIDs: e.members}
	via := PathHop{Kind: a.Via, From: e.name, To: a.Name, Detail: a.Detail, Proof: a.Proof, Verdict: a.Verdict, Missing: a.Missing}
	p.Hops = []PathHop{e.in, via}
	p.Verdict = pathVerdict(p.Hops)
	pts := Weights.DataStore
	if a.Verdict != DataYes {
		pts /= 2
	}
	p.Score = round1(e.score + pts)
	return p
}

// prepare words what every path of the entry shares, once: its name, its
// five best-ranked findings and the exposure hop (the paths share them,
// read-only: an estate of issue 11's size has a million paths).
func (e *entry) prepare() {
	if e.name != "" {
		return
	}
	v := append([]PathVuln(nil), e.vulns...)
	sort.SliceStable(v, func(i, j int) bool { return v[i].Rank < v[j].Rank })
	e.top = slices.Clip(v[:min(5, len(v))])
	e.name = DisplayName(&e.ref)
	if len(e.members) > 1 {
		e.name = ownerName(e.ref.Owner) + fmt.Sprintf(" (%d %ss)", len(e.members), strings.TrimPrefix(e.ref.Kind, "ecs_"))
	}
	in := PathHop{Kind: "exposure", From: "internet", To: e.name, Verdict: DataYes}
	if e.ref.Class == ReachUnknown {
		in.Verdict = DataUnknown
	}
	switch {
	case e.ref.Class == ReachUnknown && e.own:
		in.Detail = "reachability from the internet unknown on " + e.reach.Port + " (missing data is not taken as safe)"
		in.Missing = e.reach.Missing
	case e.ref.Class == ReachUnknown:
		in.Detail = "reachability from the internet unknown (missing data is not taken as safe)"
		in.Missing = []string{"the exposure of " + e.ref.ID + " is unknown: 'sightline inventory --format json' names what is missing for each of its ports"}
	case e.own:
		in.Detail = fmt.Sprintf("reachable (%s) on %s", strings.ReplaceAll(e.reach.Class, "_", " "), e.reach.Port)
		if len(e.reach.Sources) > 0 {
			in.Detail += " from " + strings.Join(e.reach.Sources, ", ")
		}
		for _, h := range e.reach.Path {
			in.Proof = append(in.Proof, h.Detail)
		}
		in.Missing = e.reach.Missing
	default:
		in.Detail = fmt.Sprintf("reachable (%s)", strings.ReplaceAll(e.ref.Class, "_", " "))
	}
	e.in = in
}

// storePath is internet → store (the store itself admits anyone). Its
// score puts a proven public store level with an exposed critical
// finding's path: a data leak needs no exploit.
func storePath(s StoreRef) AttackPath {
	h := PathHop{Kind: "public", From: "internet", To: s.Name, Detail: publicDetail(s), Proof: s.Proof, Verdict: DataYes}
	score := Weights.Reach[ReachWide] + 3*10 + Weights.DataStore
	if s.Internet == "conditional" {
		h.Verdict = DataConditional
		h.Detail += " (when a policy condition holds)"
		score -= Weights.DataStore
	}
	p := AttackPath{Kind: PathStore, Store: s, Hops: []PathHop{h}}
	p.Verdict = pathVerdict(p.Hops)
	p.Score = round1(score)
	return p
}

// publicDetail is the proof line that says how the store admits anyone:
// the exposure engine's "exposed from" line, else the service's own.
func publicDetail(s StoreRef) string {
	for _, p := range s.Proof {
		if strings.Contains(p, " exposed from ") {
			return p
		}
	}
	for _, p := range s.Proof {
		if strings.Contains(p, "anyone") || strings.Contains(p, "answers") {
			return p
		}
	}
	if len(s.Proof) > 0 {
		return s.Proof[0]
	}
	return s.Name + " admits anyone"
}

func pathVerdict(hops []PathHop) string {
	v := "proven"
	for _, h := range hops {
		switch h.Verdict {
		case DataUnknown:
			return "unknown"
		case DataConditional:
			v = "conditional"
		}
	}
	return v
}

// WritePathsJSON writes the sightline.paths/v1 document.
func WritePathsJSON(w io.Writer, r *PathReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
