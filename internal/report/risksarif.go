package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/sightline-sec/sightline/internal/risk"
	"github.com/sightline-sec/sightline/internal/workload"
)

// SARIF for `sightline assess` (docs/risk.md "SARIF"): one result per
// risk row, in rank order, with the same rule objects, levels and
// fingerprints as the scan SARIF above. The attack path is a codeFlow
// whose threadFlow steps are the hops (internet → … → container →
// package → advisory), or the hops up to the blocking control; SARIF
// 2.1.0 §3.36 (codeFlow) and §3.37 (threadFlow) describe a path through
// locations, which a network path is, step for step.

type sarifRiskResult struct {
	sarifResult
	CodeFlows []sarifCodeFlow `json:"codeFlows,omitempty"`
}

type sarifCodeFlow struct {
	Message     *sarifMessage     `json:"message,omitempty"`
	ThreadFlows []sarifThreadFlow `json:"threadFlows"`
}

type sarifThreadFlow struct {
	Locations []sarifThreadFlowLocation `json:"locations"`
}

type sarifThreadFlowLocation struct {
	Location   sarifLocation `json:"location"`
	Kinds      []string      `json:"kinds,omitempty"`
	Importance string        `json:"importance,omitempty"`
}

type sarifRiskRun struct {
	Tool       sarifTool         `json:"tool"`
	Results    []sarifRiskResult `json:"results"`
	Properties map[string]any    `json:"properties,omitempty"`
}

type sarifRiskLog struct {
	Schema  string         `json:"$schema"`
	Version string         `json:"version"`
	Runs    []sarifRiskRun `json:"runs"`
}

// RiskSARIFLevel is a risk row's SARIF level: the severity's level
// (sarifLevel) when the row is exposed to the internet, "warning" when
// its reachability is unknown (never ranked as safe), and "note" when no
// internet path reaches it or no workload runs it, or when the runtime
// evidence shows the package is never loaded.
func RiskSARIFLevel(r *risk.Risk) string {
	switch r.Reachability.Class {
	case risk.ReachWide, risk.ReachNarrow:
		if r.Runtime.State == "dormant" {
			return "note"
		}
		return sarifLevel(r.Severity.Level)
	case risk.ReachUnknown:
		return "warning"
	}
	return "note"
}

// WriteRiskSARIF writes the assess report as a SARIF 2.1.0 log.
func WriteRiskSARIF(w io.Writer, rep *risk.Report, toolVersion string) error {
	if toolVersion == "" {
		toolVersion = "dev"
	}
	run := sarifRiskRun{
		Tool:       sarifTool{Driver: sarifDriver{Name: "sightline", Version: toolVersion, InformationURI: InformationURI, Rules: []sarifRule{}}},
		Results:    []sarifRiskResult{},
		Properties: map[string]any{"schema": risk.Schema, "fixes": rep.Fixes, "coverage": rep.Coverage},
	}
	ruleIndex := map[string]int{}
	for i := range rep.Risks {
		r := &rep.Risks[i]
		idx, ok := ruleIndex[r.ID]
		if !ok {
			idx = len(run.Tool.Driver.Rules)
			ruleIndex[r.ID] = idx
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, riskRule(r))
		}
		run.Results = append(run.Results, riskResult(r, idx))
	}
	return writeIndented(w, sarifRiskLog{Schema: sarifSchemaURI, Version: "2.1.0", Runs: []sarifRiskRun{run}})
}

func riskRule(r *risk.Risk) sarifRule {
	short := r.Summary
	if short == "" {
		short = r.ID
	}
	rule := sarifRule{ID: r.ID, ShortDescription: sarifMessage{Text: short}, HelpURI: advisoryURL(r.ID),
		DefaultConfiguration: &sarifConfig{Level: sarifLevel(r.Severity.Level)}}
	if r.Summary != "" {
		rule.FullDescription = &sarifMessage{Text: r.ID + ": " + r.Summary}
	}
	props := map[string]any{"tags": []string{"security", "vulnerability", levelOr(r.Severity.Level)}}
	if r.Severity.CVSS > 0 {
		props["security-severity"] = fmt.Sprintf("%.1f", r.Severity.CVSS)
	}
	if len(r.Aliases) > 0 {
		props["aliases"] = r.Aliases
	}
	rule.Properties = props
	return rule
}

// riskMessage is the row's explanation: what, where, why, and the fix.
func riskMessage(r *risk.Risk) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d (score %.1f): %s %s in %s is affected by %s (%s", r.Rank, r.Score,
		r.Package.Name, r.Package.Version, imageName(r), r.ID, levelOr(r.Severity.Level))
	if r.Severity.CVSS > 0 {
		fmt.Fprintf(&b, " %.1f", r.Severity.CVSS)
	}
	b.WriteString("); ")
	b.WriteString(risk.ShortWhy(r))
	b.WriteString(".")
	for _, s := range r.Reasons {
		b.WriteString(" " + strings.TrimSuffix(s, ".") + ".")
	}
	if r.Fix.Action != "" {
		b.WriteString(" Fix: " + strings.TrimSuffix(r.Fix.Action, ".") + ".")
	}
	return b.String()
}

func imageName(r *risk.Risk) string {
	if r.Image.Ref != "" {
		return r.Image.Ref
	}
	return r.Image.Scanned
}

func riskResult(r *risk.Risk, rule int) sarifRiskResult {
	img := imageName(r)
	res := sarifRiskResult{sarifResult: sarifResult{
		RuleID: r.ID, RuleIndex: rule, Level: RiskSARIFLevel(r),
		Message: sarifMessage{Text: riskMessage(r)},
		Locations: []sarifLocation{{
			PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifFileURI(r.Image.Scanned)}},
			LogicalLocations: []sarifLogical{
				{Name: r.Package.Name, FullyQualifiedName: r.Package.PURL, Kind: "package"},
				{Name: img, FullyQualifiedName: img + digestSuffix(r.Image.Digest), Kind: "image"},
			},
		}},
		PartialFingerprints: map[string]string{"sightlineRisk/v1": fingerprint(r.ID, r.Package.PURL, r.Image.Digest, r.Image.Ref)},
		Properties: map[string]any{
			"rank": r.Rank, "score": r.Score, "purl": r.Package.PURL, "reachability": r.Reachability,
			"portEvidence": r.PortEvidence, "runtime": r.Runtime, "workloads": r.Workloads, "fix": r.Fix,
			"scoreParts": r.ScoreParts, "kev": r.Severity.KEV,
		},
	}}
	if steps := pathSteps(r); len(steps) > 0 {
		res.CodeFlows = []sarifCodeFlow{{Message: &sarifMessage{Text: pathHeadline(r)}, ThreadFlows: []sarifThreadFlow{{Locations: steps}}}}
	}
	return res
}

func digestSuffix(d string) string {
	if d == "" {
		return ""
	}
	return "@" + d
}

func pathHeadline(r *risk.Risk) string {
	switch {
	case r.Reachability.BlockedBy != nil:
		return "blocked: " + hopText(*r.Reachability.BlockedBy)
	case r.Reachability.Verdict == "unknown":
		return "unknown: missing " + strings.Join(r.Reachability.Missing, "; ")
	}
	return r.Reachability.Verdict + " " + r.Reachability.Width
}

func hopText(h workload.Hop) string {
	s := h.Kind + " " + h.ID
	if h.Detail != "" {
		s += ": " + h.Detail
	}
	return s
}

// pathSteps are the hops of the row's path, then the blocking control
// (marked "blocked"), or else the container, the package and the
// advisory the path ends at. A row with no path has none.
func pathSteps(r *risk.Risk) []sarifThreadFlowLocation {
	rc := &r.Reachability
	if len(rc.Path) == 0 && rc.BlockedBy == nil {
		return nil
	}
	step := func(kind, id, text string, kinds []string, imp string) sarifThreadFlowLocation {
		return sarifThreadFlowLocation{Location: sarifLocation{
			LogicalLocations: []sarifLogical{{Name: id, Kind: kind}}, Message: &sarifMessage{Text: text}},
			Kinds: kinds, Importance: imp}
	}
	var out []sarifThreadFlowLocation
	for _, h := range rc.Path {
		out = append(out, step(h.Kind, h.ID, hopText(h), nil, "important"))
	}
	if b := rc.BlockedBy; b != nil {
		return append(out, step(b.Kind, b.ID, "blocked by "+hopText(*b), []string{"exit"}, "essential"))
	}
	if rc.Verdict != "exposed" {
		return out
	}
	out = append(out,
		step("container", rc.Workload+"/"+rc.Container, "container "+rc.Container+" of "+rc.Workload+" ("+rc.Port+")", nil, "important"),
		step("package", r.Package.Name, "package "+r.Package.Name+" "+r.Package.Version, nil, "important"),
		step("vulnerability", r.ID, r.ID, []string{"exit"}, "essential"))
	return out
}
