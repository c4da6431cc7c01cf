package report

import (
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/sightline-sec/sightline/internal/check/rules"
)

// SARIF for `sightline check` (docs/check.md "SARIF"), shaped for GitHub
// code scanning (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning):
//   - tool.driver.rules: one per rule with a result, with id, name,
//     shortDescription (title), fullDescription (rationale), help
//     (remediation, standard, references), defaultConfiguration.level and
//     properties.security-severity (the number GitHub maps back to
//     critical/high/medium/low) and tags;
//   - results: ruleId, ruleIndex, level, message, one location with a
//     repository-relative artifactLocation.uri and region.startLine >= 1,
//     and partialFingerprints that stay put when lines move;
//   - suppressed findings carry suppressions (inSource for an inline
//     comment, external for the ignore file) with the reason;
//   - an exposure rule's proof is a codeFlow, one threadFlow step per hop;
//   - unknown results are kind "review" (a person must decide; SARIF
//     2.1.0 §3.27.9) with level "none";
//   - gaps are toolExecutionNotifications of the invocation, which is
//     executionSuccessful only when nothing was left unchecked.

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifCheckArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifCheckPhysical struct {
	ArtifactLocation sarifCheckArtifact `json:"artifactLocation"`
	Region           *sarifRegion       `json:"region,omitempty"`
}

type sarifCheckLocation struct {
	PhysicalLocation *sarifCheckPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical      `json:"logicalLocations,omitempty"`
	Message          *sarifMessage       `json:"message,omitempty"`
}

type sarifCheckResult struct {
	RuleID              string               `json:"ruleId"`
	RuleIndex           int                  `json:"ruleIndex"`
	Kind                string               `json:"kind,omitempty"`
	Level               string               `json:"level"`
	Message             sarifMessage         `json:"message"`
	Locations           []sarifCheckLocation `json:"locations"`
	PartialFingerprints map[string]string    `json:"partialFingerprints,omitempty"`
	Suppressions        []sarifSuppression   `json:"suppressions,omitempty"`
	CodeFlows           []sarifCodeFlow      `json:"codeFlows,omitempty"`
	Properties          map[string]any       `json:"properties,omitempty"`
}

type sarifNotification struct {
	Level     string               `json:"level"`
	Message   sarifMessage         `json:"message"`
	Locations []sarifCheckLocation `json:"locations,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifCheckRun struct {
	Tool        sarifTool          `json:"tool"`
	Invocations []sarifInvocation  `json:"invocations"`
	Results     []sarifCheckResult `json:"results"`
	Properties  map[string]any     `json:"properties,omitempty"`
}

type sarifCheckLog struct {
	Schema  string          `json:"$schema"`
	Version string          `json:"version"`
	Runs    []sarifCheckRun `json:"runs"`
}

// CheckSecuritySeverity is the properties.security-severity GitHub reads
// for a rule severity: GitHub shows > 9.0 as critical, 7.0–8.9 high,
// 4.0–6.9 medium, 0.1–3.9 low. Info has none (not a security alert level).
var CheckSecuritySeverity = map[rules.Severity]string{
	"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0",
}

// checkLevel maps a rule severity to a SARIF level.
func checkLevel(s rules.Severity) string {
	switch s {
	case "critical", "high":
		return "error"
	case "medium":
		return "warning"
	}
	return "note"
}

// WriteCheckSARIF writes the check report as a SARIF 2.1.0 log. baseDir
// makes absolute file paths relative (the repository root; "" leaves
// them), as GitHub wants URIs relative to the checkout.
func WriteCheckSARIF(w io.Writer, r *CheckReport, baseDir string) error {
	run := sarifCheckRun{
		Tool: sarifTool{Driver: sarifDriver{Name: "sightline", Version: r.Tool.Version, InformationURI: InformationURI,
			Rules: []sarifRule{}}},
		Results:    []sarifCheckResult{},
		Properties: map[string]any{"schema": CheckSchema, "summary": r.Summary},
	}
	byID := map[string]*rules.Rule{}
	for _, rule := range r.Rules {
		byID[rule.ID] = rule
	}
	index := map[string]int{}
	ruleIndex := func(id, title string, sev rules.Severity) int {
		if i, ok := index[id]; ok {
			return i
		}
		rule := byID[id]
		if rule == nil {
			rule = &rules.Rule{ID: id, Title: title, Severity: sev}
		}
		index[id] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, checkRule(rule))
		return index[id]
	}
	for _, f := range r.Findings {
		run.Results = append(run.Results, checkResult(f, ruleIndex(f.RuleID, f.Title, f.Severity), baseDir))
	}
	for _, f := range r.Suppressed {
		res := checkResult(f, ruleIndex(f.RuleID, f.Title, f.Severity), baseDir)
		kind := "external"
		if strings.HasPrefix(f.Suppressed.By, "inline") {
			kind = "inSource"
		}
		res.Suppressions = []sarifSuppression{{Kind: kind, Status: "accepted", Justification: f.Suppressed.Reason}}
		run.Results = append(run.Results, res)
	}
	for _, u := range r.Unknown {
		f := rules.Finding{RuleID: u.RuleID, Title: u.Title, Severity: u.Severity, Input: u.Input, Type: u.Type,
			Object: u.Object, Location: u.Location,
			Message: fmt.Sprintf("unknown: %s on %s depends on values that could not be worked out: %s", u.RuleID, u.Object, strings.Join(u.Paths, ", "))}
		if len(u.Reasons) > 0 {
			f.Message += " (" + strings.Join(u.Reasons, "; ") + ")"
		}
		res := checkResult(f, ruleIndex(u.RuleID, u.Title, u.Severity), baseDir)
		res.Kind, res.Level = "review", "none"
		res.PartialFingerprints = map[string]string{"sightlineCheckUnknown/v1": fingerprint(u.RuleID, u.Location.File, u.Object, strings.Join(u.Paths, ","))}
		run.Results = append(run.Results, res)
	}
	inv := sarifInvocation{ExecutionSuccessful: len(r.Gaps) == 0}
	for _, g := range r.Gaps {
		n := sarifNotification{Level: "warning", Message: sarifMessage{Text: "not checked: " + g.Reason}}
		if g.Location.File != "" || g.Location.Resource != "" {
			n.Locations = []sarifCheckLocation{checkLocation(g.Location.File, g.Location.Line, g.Location.Resource, "", baseDir)}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	run.Invocations = []sarifInvocation{inv}
	return writeIndented(w, sarifCheckLog{Schema: sarifSchemaURI, Version: "2.1.0", Runs: []sarifCheckRun{run}})
}

func checkRule(r *rules.Rule) sarifRule {
	full := r.Rationale
	if full == "" {
		full = r.Title
	}
	var help strings.Builder
	if r.Remediation != "" {
		help.WriteString(r.Remediation)
	} else {
		help.WriteString(r.Title)
	}
	if r.Standard != "" {
		fmt.Fprintf(&help, "\n\nStandard: %s", r.Standard)
	}
	for _, ref := range r.References {
		fmt.Fprintf(&help, "\n%s", ref)
	}
	rule := sarifRule{ID: r.ID, Name: ruleName(r.ID), ShortDescription: sarifMessage{Text: r.Title},
		FullDescription: &sarifMessage{Text: full}, Help: &sarifMessage{Text: help.String()},
		DefaultConfiguration: &sarifConfig{Level: checkLevel(r.Severity)}}
	if len(r.References) > 0 {
		rule.HelpURI = r.References[0]
	}
	tags := []string{"security", string(r.Severity)}
	for _, in := range r.Inputs {
		tags = append(tags, string(in))
	}
	props := map[string]any{"tags": tags, "severity": r.Severity}
	if s, ok := CheckSecuritySeverity[r.Severity]; ok {
		props["security-severity"] = s
	}
	if r.Standard != "" {
		props["standard"] = r.Standard
	}
	rule.Properties = props
	return rule
}

// ruleName is a PascalCase-free identifier GitHub shows next to the ID.
func ruleName(id string) string {
	return strings.NewReplacer("/", "_", "-", "_", ".", "_", ":", "_").Replace(id)
}

func checkResult(f rules.Finding, idx int, baseDir string) sarifCheckResult {
	msg := f.Message
	if f.Remediation != "" {
		msg = strings.TrimSuffix(msg, ".") + ". " + f.Remediation
	}
	loc := checkLocation(f.Location.File, f.Location.Line, f.Location.Resource, f.Object, baseDir)
	res := sarifCheckResult{RuleID: f.RuleID, RuleIndex: idx, Level: checkLevel(f.Severity),
		Message: sarifMessage{Text: msg}, Locations: []sarifCheckLocation{loc},
		PartialFingerprints: map[string]string{"sightlineCheck/v1": fingerprint(f.RuleID, f.Location.File, f.Object, f.Path, f.Message)},
		Properties:          map[string]any{"severity": f.Severity, "input": f.Input, "type": f.Type, "object": f.Object},
	}
	if f.Path != "" {
		res.Properties["path"] = f.Path
	}
	if len(f.Proof) > 0 {
		res.Properties["proof"] = f.Proof
		res.CodeFlows = []sarifCodeFlow{{Message: &sarifMessage{Text: "proof: " + f.Message}, ThreadFlows: []sarifThreadFlow{{Locations: proofSteps(f.Proof)}}}}
	}
	return res
}

// proofSteps are an exposure rule's proof hops as a thread flow (as the
// assess SARIF writes a network path), the last one essential.
func proofSteps(proof []string) []sarifThreadFlowLocation {
	out := make([]sarifThreadFlowLocation, len(proof))
	for i, hop := range proof {
		out[i] = sarifThreadFlowLocation{Location: sarifLocation{Message: &sarifMessage{Text: hop}}, Importance: "important"}
	}
	out[len(out)-1].Importance = "essential"
	return out
}

// checkLocation is the file and line; an object without a file (an AWS
// resource of a snapshot) gets its resource ID as the URI, escaped into
// one relative path segment, at line 1, and a logical location naming it.
func checkLocation(file string, line int, resource, object, baseDir string) sarifCheckLocation {
	loc := sarifCheckLocation{}
	uri, base := "", "%SRCROOT%"
	if file != "" {
		uri = relURI(file, baseDir)
		if strings.HasPrefix(uri, "file:") {
			base = ""
		}
	} else {
		id := resource
		if id == "" {
			id = object
		}
		uri = uriSegment(id)
	}
	loc.PhysicalLocation = &sarifCheckPhysical{ArtifactLocation: sarifCheckArtifact{URI: uri, URIBaseID: base},
		Region: &sarifRegion{StartLine: max(line, 1)}}
	if resource != "" || object != "" {
		name := object
		if name == "" {
			name = resource
		}
		loc.LogicalLocations = []sarifLogical{{Name: name, FullyQualifiedName: resource, Kind: "resource"}}
	}
	return loc
}

// relURI makes file relative to baseDir when it is below it, with
// forward slashes, each segment escaped as a URI path; a path outside
// baseDir stays absolute as a file: URI.
func relURI(file, baseDir string) string {
	p := file
	if baseDir != "" && filepath.IsAbs(p) {
		if rel, err := filepath.Rel(baseDir, p); err == nil && !strings.HasPrefix(rel, "..") {
			p = rel
		}
	}
	p = filepath.ToSlash(filepath.Clean(p))
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = uriSegment(s)
	}
	u := strings.Join(segs, "/")
	if strings.HasPrefix(u, "/") {
		return "file://" + u
	}
	return u
}

// uriSegment escapes s as one path segment, ':' included, so that a
// relative reference is never read as a scheme ("arn:aws:…").
func uriSegment(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
}
