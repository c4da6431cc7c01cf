package risk

import (
	"fmt"
	"sort"
	"strings"
)

// DataAccess is one data store behind a workload: reachable with the
// workload's cloud identity (Via "identity": the role may call the
// store's data actions) or over the network (Via "network": the
// workload's interface may open a connection to the store's port). The
// CLI fills Options.DataBehind from the AWS snapshot (internal/reach;
// docs/risk.md "Data behind the workload").
type DataAccess struct {
	Store string `json:"store"` // the store's ID (an ARN)
	Name  string `json:"name"`
	Kind  string `json:"kind"` // rds_instance, s3_bucket, … (internal/datastore)
	Via   string `json:"via"`  // "identity" | "network"
	// Verdict: "yes" (proven), "conditional" (a policy condition decides)
	// or "unknown" (data missing; Missing says what). Blocked paths are
	// not listed.
	Verdict string `json:"verdict"`
	// Detail is the one-line statement ("role api-task can s3:GetObject
	// on customer-exports"; "reaches db-prod tcp/5432 through sg-0db").
	Detail string `json:"detail"`
	// Write: the access can change data (s3:PutObject, a database
	// connection).
	Write bool `json:"write,omitempty"`
	// Proof is the hop-by-hop or statement-by-statement evidence.
	Proof   []string `json:"proof,omitempty"`
	Missing []string `json:"missing,omitempty"`
}

// DataAccess verdicts.
const (
	DataYes         = "yes"
	DataConditional = "conditional"
	DataUnknown     = "unknown"
)

// DataBehind lists, per workload ID, the data stores behind it.
type DataBehind map[string][]DataAccess

// dataPoints scores the stores behind one workload: each distinct store
// adds DataStore points when proven, half when conditional or unknown
// (unknown is not safe, but not proven either), capped at DataCap.
// Access anyone has without the workload is not listed at all (reach).
func dataPoints(acc []DataAccess) float64 {
	best := map[string]float64{}
	for _, a := range acc {
		p := Weights.DataStore
		if a.Verdict != DataYes {
			p /= 2
		}
		if p > best[a.Store] {
			best[a.Store] = p
		}
	}
	var sum float64
	for _, p := range best {
		sum += p
	}
	if sum > Weights.DataCap {
		return Weights.DataCap
	}
	return sum
}

// dataBehind picks, among the occurrences of an image, the workload with
// the most data behind it (as privilege picks the most privileged
// container) and returns its points and accesses.
func dataBehind(occ []occurrence, db DataBehind) (float64, []DataAccess) {
	var best float64
	var out []DataAccess
	for _, o := range occ {
		acc := db[o.w.ID]
		if p := dataPoints(acc); p > best || (p == best && len(acc) > len(out)) {
			best, out = p, acc
		}
	}
	return best, out
}

// dataReasons words the data behind a row, one line per store, proven
// first.
func dataReasons(acc []DataAccess) []string {
	s := append([]DataAccess(nil), acc...)
	rank := map[string]int{DataYes: 0, DataConditional: 1, DataUnknown: 2}
	sort.SliceStable(s, func(i, j int) bool {
		if rank[s[i].Verdict] != rank[s[j].Verdict] {
			return rank[s[i].Verdict] < rank[s[j].Verdict]
		}
		return s[i].Name < s[j].Name
	})
	var out []string
	for i, a := range s {
		if i == 4 {
			out = append(out, fmt.Sprintf("data behind: +%d more (see data_behind)", len(s)-4))
			break
		}
		line := "data behind: " + a.Detail
		switch a.Verdict {
		case DataConditional:
			line += " (conditional)"
		case DataUnknown:
			line += " (unknown: " + strings.Join(a.Missing, "; ") + ")"
		}
		out = append(out, line)
	}
	return out
}
