package exposure

import (
	"github.com/sightline-sec/sightline/internal/exposure/netset"
	"github.com/sightline-sec/sightline/internal/workload"
)

// Schema names the JSON document produced by `sightline exposure`.
const Schema = "sightline.exposure/v1"

// Verdicts.
const (
	Exposed    = "exposed"
	NotExposed = "not_exposed"
	Unknown    = "unknown"
)

// Widths of an exposed result: "wide" when every public address of a
// family (netset.InternetV4 or netset.InternetV6) may connect, else "narrow".
const (
	Wide   = "wide"
	Narrow = "narrow"
)

// Hop is one step of a proof: the control or resource and what it does.
type Hop struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Detail string `json:"detail"`
}

// Result is the verdict for one (resource, protocol, port range).
type Result struct {
	Resource     string   `json:"resource"`
	ResourceType string   `json:"resource_type"`
	Account      string   `json:"account,omitempty"`
	Region       string   `json:"region,omitempty"`
	Protocol     string   `json:"protocol"`
	FromPort     int      `json:"from_port"`
	ToPort       int      `json:"to_port"`
	Verdict      string   `json:"verdict"`
	Sources      []string `json:"sources"`
	Width        string   `json:"width,omitempty"`
	Via          string   `json:"via,omitempty"`
	Path         []Hop    `json:"path"`
	BlockedBy    *Hop     `json:"blocked_by"`
	// BlockedByAll lists, when the address families are stopped by
	// different controls, the control stopping each (IPv4 first, then
	// IPv6); BlockedBy stays the first of them. Omitted when one control
	// stops every family.
	BlockedByAll []Hop    `json:"blocked_by_all,omitempty"`
	Missing      []string `json:"missing"`

	// Interfaces lists the network interfaces the result is about (for
	// lookups such as --why eni-…); not part of the JSON schema.
	Interfaces []string `json:"-"`
	// SourceSet is Sources as a set, for tests and later stages.
	SourceSet netset.Set `json:"-"`
}

// Report is the whole analysis.
type Report struct {
	Schema  string   `json:"schema"`
	Results []Result `json:"results"`
	// Gaps are what the workload sources (Docker, Kubernetes, ECS) could
	// not read, as in the inventory document: results may be missing for
	// them. Always present in the JSON ([] when none), after results.
	Gaps []workload.Gap `json:"gaps"`
}

// width classifies an exposed source set. Addresses of the resource's own
// VPC never arrive from the internet (traffic to them is routed locally),
// so they do not count against "wide".
func width(s, own netset.Set) string {
	s = s.Union(own)
	if s.Superset(netset.InternetV4) || s.Superset(netset.InternetV6) {
		return Wide
	}
	return Narrow
}

// decide sets the verdict of a row that went through a load balancer to a
// target: exposed to the sources that got through, else not exposed when a
// control blocked every source, else unknown for the missing data.
func (r *Result) decide(got, own netset.Set, blocked *Hop, missing []string) {
	r.Missing = dedup(missing)
	switch {
	case !got.IsEmpty():
		r.setSources(got, own)
	case blocked != nil:
		r.Verdict, r.BlockedBy = NotExposed, blocked
	default:
		r.Verdict = Unknown
	}
}

// setSources fills the exposed fields of a result. Sources are rendered
// compactly: addresses that cannot be internet sources (netset.NonPublic
// and the VPC's own CIDRs) may be folded into the listed CIDRs.
func (r *Result) setSources(s, own netset.Set) {
	r.Verdict, r.SourceSet = Exposed, s
	r.Sources = s.Compact(netset.NonPublic.Union(own))
	r.Width = width(s, own)
}
