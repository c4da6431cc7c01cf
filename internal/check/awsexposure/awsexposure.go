// Package awsexposure runs the exposure engine for the Terraform and AWS
// inputs of `sightline check` and renders its results as the
// Vars.exposure list rules read: the same engine and proofs as
// `sightline exposure` (internal/exposure, docs/exposure.md), never a
// pattern match on a CIDR.
package awsexposure

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/collect/aws/netcompile"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/netmodel"
)

// Results indexes an exposure report by resource.
type Results struct {
	byRes map[string][]int
	rows  []exposure.Result
}

// Analyze compiles one in-memory region, lets patch add what the
// compiler cannot know (missing data of a source that is not a snapshot),
// and runs the engine.
func Analyze(ctx context.Context, reg *snapshot.Region, patch func(*netmodel.Model)) (*Results, error) {
	r, err := netcompile.Region(reg)
	if err != nil {
		return nil, err
	}
	m := &netmodel.Model{Regions: []*netmodel.Region{r}}
	if patch != nil {
		patch(m)
	}
	rep, err := exposure.Analyze(ctx, m)
	if err != nil {
		return nil, err
	}
	return Index(rep), nil
}

// Index indexes a report's results by resource ID.
func Index(rep *exposure.Report) *Results {
	x := &Results{byRes: map[string][]int{}, rows: rep.Results}
	for i := range rep.Results {
		x.byRes[rep.Results[i].Resource] = append(x.byRes[rep.Results[i].Resource], i)
	}
	return x
}

// Rows returns copies of the results about any of ids, plus the
// region-wide unknown results (an incomplete inventory concerns every
// resource).
func (x *Results) Rows(ids ...string) []exposure.Result {
	var out []exposure.Result
	for _, id := range ids {
		for _, i := range x.byRes[id] {
			out = append(out, x.rows[i])
		}
	}
	for i := range x.rows {
		if x.rows[i].ResourceType == "region" {
			out = append(out, x.rows[i])
		}
	}
	return out
}

// Unsure turns exposed verdicts into unknown ones: the resource may have
// no public address (why says what decides it). Verdicts blocked by a
// network control stay not_exposed; they do not depend on the address.
func Unsure(rows []exposure.Result, why string) {
	for i := range rows {
		if rows[i].Verdict == exposure.Exposed {
			rows[i].Verdict = exposure.Unknown
			rows[i].Missing = append(append([]string{}, rows[i].Missing...), why)
		}
	}
}

// Compare makes unknown the load-balancer rows (Via set) whose verdict
// differs in alt, a run of the same network with other private addresses
// for the resource: the verdict depends on an address only known later.
func Compare(rows, alt []exposure.Result, why string) {
	type key struct {
		via, proto string
		from, to   int
	}
	other := map[key]string{}
	for _, r := range alt {
		if r.Via != "" {
			other[key{r.Via, r.Protocol, r.FromPort, r.ToPort}] = r.Verdict
		}
	}
	for i := range rows {
		r := &rows[i]
		if r.Via == "" {
			continue
		}
		if v, ok := other[key{r.Via, r.Protocol, r.FromPort, r.ToPort}]; ok && v == r.Verdict {
			continue
		}
		r.Verdict, r.BlockedBy, r.Sources, r.Width = exposure.Unknown, nil, []string{}, ""
		r.Missing = append(append([]string{}, r.Missing...), why)
	}
}

// Explain adds the reasons of unknown inputs to the unknown verdicts.
func Explain(rows []exposure.Result, whys []string) {
	if len(whys) == 0 {
		return
	}
	for i := range rows {
		if rows[i].Verdict == exposure.Unknown {
			rows[i].Missing = append(append([]string{}, rows[i].Missing...), whys...)
		}
	}
}

// Rename replaces placeholder strings (addresses standing for ones
// assigned at apply) in the proofs with what they stand for.
func Rename(rows []exposure.Result, names map[string]string) {
	if len(names) == 0 {
		return
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	fix := func(s string) string {
		for _, k := range keys {
			if strings.Contains(s, k) {
				s = strings.ReplaceAll(s, k, names[k])
			}
		}
		return s
	}
	for i := range rows {
		path := make([]exposure.Hop, len(rows[i].Path))
		for j, h := range rows[i].Path {
			h.Detail = fix(h.Detail)
			path[j] = h
		}
		rows[i].Path = path
		if b := rows[i].BlockedBy; b != nil {
			c := *b
			c.Detail = fix(c.Detail)
			rows[i].BlockedBy = &c
		}
	}
}

// ToVars renders rows as the Vars.exposure list:
//
//	{protocol: "tcp", from_port: 22, to_port: 22, verdict: "exposed"|"not_exposed"|"unknown",
//	 width: "wide"|"narrow"|"", sources: ["0.0.0.0/0"], via: "aws_lb.web",
//	 proof: ["security_group aws_security_group.ssh: allows tcp 22 from 0.0.0.0/0", …],
//	 blocked_by: "…" ("" unless not_exposed), missing: ["…"]}
func ToVars(rows []exposure.Result) []any {
	out := make([]any, 0, len(rows))
	for _, r := range rows {
		proof := make([]any, 0, len(r.Path))
		for _, h := range r.Path {
			proof = append(proof, hopText(h))
		}
		blocked := ""
		if r.BlockedBy != nil {
			blocked = hopText(*r.BlockedBy)
		}
		out = append(out, map[string]any{
			"resource": r.Resource, "resource_type": r.ResourceType,
			"protocol": r.Protocol, "from_port": int64(r.FromPort), "to_port": int64(r.ToPort),
			"verdict": r.Verdict, "width": r.Width, "sources": anyList(r.Sources), "via": r.Via,
			"proof": proof, "blocked_by": blocked, "missing": anyList(r.Missing),
		})
	}
	return out
}

func hopText(h exposure.Hop) string {
	return h.Kind + " " + h.ID + ": " + h.Detail
}

func anyList(s []string) []any {
	out := make([]any, 0, len(s))
	for _, x := range s {
		out = append(out, x)
	}
	return out
}

// Set puts rows into o.Vars.exposure. When a verdict is unknown,
// Vars.exposure_unknown lists the reasons and is bound as an unknown
// value (Object.Unknown "vars.exposure_unknown"): a rule that finds no
// exposed row for its ports but an unknown one returns it, so its result
// is unknown, never a pass. (Marking the rows themselves unknown would
// make every read of vars.exposure unknown, hiding the verdicts that are
// sure.)
func Set(o *check.Object, rows []exposure.Result) {
	if o.Vars == nil {
		o.Vars = map[string]any{}
	}
	o.Vars["exposure"] = ToVars(rows)
	var why []any
	for i := range rows {
		if rows[i].Verdict == exposure.Unknown {
			why = append(why, fmt.Sprintf("%s %d-%d: %s", rows[i].Protocol, rows[i].FromPort, rows[i].ToPort, strings.Join(rows[i].Missing, "; ")))
		}
	}
	if len(why) > 0 {
		o.Vars["exposure_unknown"] = why
		// The reason names each missing piece once (rows of several
		// port ranges usually miss the same one).
		var text []string
		for i := range rows {
			for _, m := range rows[i].Missing {
				if rows[i].Verdict == exposure.Unknown && !slices.Contains(text, m) {
					text = append(text, m)
				}
			}
		}
		o.SetUnknown("vars.exposure_unknown", "exposure unknown: "+strings.Join(text, "; "))
	}
}
