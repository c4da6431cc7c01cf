package report

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sightline-sec/sightline/internal/risk"
)

// SARIF for `sightline paths` (docs/paths.md "SARIF"): one result per
// attack path, in rank order. A path is not a line in a file, so a result
// has no physical location: its logical locations are the entry workload
// (by ID) and the data store (by ARN), and its hops are one codeFlow
// whose threadFlow steps are the hops (SARIF 2.1.0 §3.36, §3.37), each
// step's message the hop's one-line detail and its proof lines in the
// step's properties. The level is the path's verdict: a proven path is an
// error, a conditional one a warning, one with a hop that lacks data a
// note (its missing data is named in the step's properties).

// Path rule IDs, one per path kind.
const (
	PathRuleWorkloadData = "SL-PATH-WORKLOAD-DATA"
	PathRulePublicStore  = "SL-PATH-PUBLIC-STORE"
)

// pathRule is a path kind's rule.
type pathRule struct {
	kind string
	rule sarifRule
}

// pathRules are the rules of the paths log, always both and in this
// order, so that ruleIndex does not depend on which kinds a run found
// (built per log: the rules hold maps).
func pathRules() []pathRule {
	return []pathRule{
		{risk.PathWorkload, sarifRule{
			ID: PathRuleWorkloadData, Name: "AttackPathWorkloadToData",
			ShortDescription: sarifMessage{Text: "Internet-exposed vulnerable workload can reach a data store"},
			FullDescription: &sarifMessage{Text: "A workload with known vulnerabilities is reachable from the internet, and its " +
				"cloud identity may use a data store or its network interface reaches the store's port: exploiting the workload " +
				"reaches the data."},
			Help: &sarifMessage{
				Text: "Break any hop of the path: fix the vulnerabilities (upgrade the packages listed), close the internet exposure " +
					"(security group, load balancer, service type), narrow the workload role's data actions or the store's resource " +
					"policy, or close the store's security group to the workload. Each step of the code flow names the hop and its proof.",
				Markdown: "Break **any** hop of the path:\n\n" +
					"1. fix the vulnerabilities (upgrade the packages listed in the result);\n" +
					"2. close the internet exposure (security group, load balancer, service type);\n" +
					"3. narrow the workload role's data actions, or the store's resource policy (identity hop);\n" +
					"4. close the store's security group to the workload (network hop).\n\n" +
					"Each step of the code flow names the hop; its proof lines are in the step's properties.",
			},
			HelpURI:              InformationURI + "/blob/main/docs/paths.md",
			DefaultConfiguration: &sarifConfig{Level: "error"},
			Properties:           map[string]any{"tags": []string{"security", "attack-path", "data-exposure"}},
		}},
		{risk.PathStore, sarifRule{
			ID: PathRulePublicStore, Name: "PublicDataStore",
			ShortDescription: sarifMessage{Text: "Data store admits anyone from the internet"},
			FullDescription: &sarifMessage{Text: "The data store's resource policy, ACL or network settings admit anyone: " +
				"its data can be read without exploiting anything."},
			Help: &sarifMessage{
				Text: "Make the store private: remove the public statement of its resource policy or ACL (or enable the account's " +
					"public access block), or turn off public accessibility and close its security group to 0.0.0.0/0. The code " +
					"flow step's properties list the proof.",
				Markdown: "Make the store private:\n\n" +
					"- remove the public statement of its resource policy or ACL, or enable the public access block;\n" +
					"- or turn off public accessibility and close its security group to `0.0.0.0/0`.\n\n" +
					"The code flow step's properties list the proof.",
			},
			HelpURI:              InformationURI + "/blob/main/docs/paths.md",
			DefaultConfiguration: &sarifConfig{Level: "error"},
			Properties:           map[string]any{"tags": []string{"security", "attack-path", "public-data"}},
		}},
	}
}

// sarifPathLogical is a logical location with a property bag (the
// store's kind and internet verdict, the workload's container).
type sarifPathLogical struct {
	Name               string         `json:"name"`
	FullyQualifiedName string         `json:"fullyQualifiedName,omitempty"`
	Kind               string         `json:"kind"`
	Properties         map[string]any `json:"properties,omitempty"`
}

type sarifPathLocation struct {
	LogicalLocations []sarifPathLogical `json:"logicalLocations,omitempty"`
	Message          *sarifMessage      `json:"message,omitempty"`
}

type sarifPathFlowLocation struct {
	Location   sarifPathLocation `json:"location"`
	Kinds      []string          `json:"kinds,omitempty"`
	Importance string            `json:"importance,omitempty"`
	Properties map[string]any    `json:"properties,omitempty"`
}

type sarifPathThreadFlow struct {
	Locations []sarifPathFlowLocation `json:"locations"`
}

type sarifPathCodeFlow struct {
	Message     *sarifMessage         `json:"message,omitempty"`
	ThreadFlows []sarifPathThreadFlow `json:"threadFlows"`
}

type sarifPathResult struct {
	RuleID              string              `json:"ruleId"`
	RuleIndex           int                 `json:"ruleIndex"`
	Level               string              `json:"level"`
	Message             sarifMessage        `json:"message"`
	Locations           []sarifPathLocation `json:"locations"`
	PartialFingerprints map[string]string   `json:"partialFingerprints"`
	CodeFlows           []sarifPathCodeFlow `json:"codeFlows,omitempty"`
	Properties          map[string]any      `json:"properties"`
}

type sarifPathRun struct {
	Tool       sarifTool         `json:"tool"`
	Results    []sarifPathResult `json:"results"`
	Properties map[string]any    `json:"properties"`
}

type sarifPathLog struct {
	Schema  string         `json:"$schema"`
	Version string         `json:"version"`
	Runs    []sarifPathRun `json:"runs"`
}

// PathSARIFLevel is an attack path's SARIF level: its verdict decides,
// not its score, because the score ranks paths against each other while
// the verdict says how much of the path is proven. An unrecognised
// verdict is an error, never a silent level.
func PathSARIFLevel(p *risk.AttackPath) (string, error) {
	switch p.Verdict {
	case "proven":
		return "error", nil
	case "conditional":
		return "warning", nil
	case "unknown":
		return "note", nil
	}
	return "", fmt.Errorf("path #%d: verdict %q is not proven, conditional or unknown", p.Rank, p.Verdict)
}

// PathFingerprint identifies a path across runs: its kind, the entry
// workload's ID, the store's ID and the kinds of its hops. Rank, score,
// verdict and proof text change from run to run and are left out, so a
// path that became conditional is the same alert, and a store reached by
// identity and by network gives two.
func PathFingerprint(p *risk.AttackPath) string {
	wl := ""
	if p.Workload != nil {
		wl = p.Workload.ID
	}
	kinds := make([]string, len(p.Hops))
	for i, h := range p.Hops {
		kinds[i] = h.Kind
	}
	return fingerprint(p.Kind, wl, p.Store.ID, strings.Join(kinds, ">"))
}

// WritePathsSARIF writes the paths view as a SARIF 2.1.0 log.
func WritePathsSARIF(w io.Writer, r *risk.PathReport, toolVersion string) error {
	if r == nil {
		return errors.New("paths SARIF: no path report")
	}
	if toolVersion == "" {
		toolVersion = "dev"
	}
	run := sarifPathRun{
		Tool:       sarifTool{Driver: sarifDriver{Name: "sightline", Version: toolVersion, InformationURI: InformationURI}},
		Results:    []sarifPathResult{},
		Properties: map[string]any{"schema": r.Schema, "coverage": r.Coverage},
	}
	rules := pathRules()
	ruleIndex := map[string]int{}
	for i, pr := range rules {
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, pr.rule)
		ruleIndex[pr.kind] = i
	}
	for i := range r.Paths {
		p := &r.Paths[i]
		idx, ok := ruleIndex[p.Kind]
		if !ok {
			return fmt.Errorf("paths SARIF: path #%d has kind %q, not %q or %q", p.Rank, p.Kind, risk.PathWorkload, risk.PathStore)
		}
		res, err := pathResult(p, rules[idx].rule.ID, idx)
		if err != nil {
			return fmt.Errorf("paths SARIF: %w", err)
		}
		run.Results = append(run.Results, res)
	}
	return writeIndented(w, sarifPathLog{Schema: sarifSchemaURI, Version: "2.1.0", Runs: []sarifPathRun{run}})
}

func pathResult(p *risk.AttackPath, ruleID string, rule int) (sarifPathResult, error) {
	level, err := PathSARIFLevel(p)
	if err != nil {
		return sarifPathResult{}, err
	}
	var logical []sarifPathLogical
	if wl := p.Workload; wl != nil {
		logical = append(logical, sarifPathLogical{Name: wl.Name, FullyQualifiedName: wl.ID, Kind: "workload",
			Properties: map[string]any{"workloadKind": wl.Kind, "container": wl.Container, "image": p.Image, "reach": wl.Class}})
	}
	logical = append(logical, storeLogical(p.Store))
	props := map[string]any{"rank": p.Rank, "score": p.Score, "kind": p.Kind, "verdict": p.Verdict, "store": p.Store}
	if p.Workload != nil {
		props["workload"] = p.Workload
		props["image"] = p.Image
		props["vulnerabilities"] = p.Vulnerabilities
		props["vulnerabilityCount"] = p.VulnerabilityCount
	}
	res := sarifPathResult{
		RuleID: ruleID, RuleIndex: rule, Level: level,
		Message:             sarifMessage{Text: pathMessage(p)},
		Locations:           []sarifPathLocation{{LogicalLocations: logical}},
		PartialFingerprints: map[string]string{"sightlinePath/v1": PathFingerprint(p)},
		Properties:          props,
	}
	if len(p.Hops) > 0 {
		steps := make([]sarifPathFlowLocation, len(p.Hops))
		for i, h := range p.Hops {
			steps[i] = hopStep(p, h, i == len(p.Hops)-1)
		}
		res.CodeFlows = []sarifPathCodeFlow{{Message: &sarifMessage{Text: pathChain(p)}, ThreadFlows: []sarifPathThreadFlow{{Locations: steps}}}}
	}
	return res, nil
}

func storeLogical(s risk.StoreRef) sarifPathLogical {
	name := s.Name
	if name == "" {
		name = s.ID
	}
	props := map[string]any{"storeKind": s.Kind, "internet": s.Internet}
	if s.Account != "" {
		props["account"] = s.Account
	}
	if s.Region != "" {
		props["region"] = s.Region
	}
	return sarifPathLogical{Name: name, FullyQualifiedName: s.ID, Kind: "data_store", Properties: props}
}

// hopStep is one hop as a threadFlow step: the location is where the hop
// arrives (the workload, or the store for the last hop), the message its
// detail; the proof and the missing data are the step's properties.
func hopStep(p *risk.AttackPath, h risk.PathHop, last bool) sarifPathFlowLocation {
	var at sarifPathLogical
	switch {
	case last:
		at = storeLogical(p.Store)
	case p.Workload != nil && h.To == p.WorkloadName:
		at = sarifPathLogical{Name: p.WorkloadName, FullyQualifiedName: p.Workload.ID, Kind: "workload"}
	default:
		at = sarifPathLogical{Name: h.To, Kind: "hop"}
	}
	detail := h.Detail
	if detail == "" {
		detail = h.Kind + ": " + h.From + " → " + h.To
	}
	imp := "important"
	if last {
		imp = "essential"
	}
	props := map[string]any{"hop": h.Kind, "from": h.From, "to": h.To, "verdict": h.Verdict, "proof": nonNil(h.Proof)}
	if len(h.Missing) > 0 {
		props["missing"] = h.Missing
	}
	return sarifPathFlowLocation{Location: sarifPathLocation{LogicalLocations: []sarifPathLogical{at}, Message: &sarifMessage{Text: detail}},
		Kinds: []string{h.Kind}, Importance: imp, Properties: props}
}

// pathChain is the path as one line: internet → api (exposure) → bucket
// (identity, conditional).
func pathChain(p *risk.AttackPath) string {
	var b strings.Builder
	start := "internet"
	if len(p.Hops) > 0 && p.Hops[0].From != "" {
		start = p.Hops[0].From
	}
	b.WriteString(start)
	for _, h := range p.Hops {
		fmt.Fprintf(&b, " → %s (%s", h.To, h.Kind)
		if h.Verdict != risk.DataYes {
			b.WriteString(", " + h.Verdict)
		}
		b.WriteString(")")
	}
	return b.String()
}

// pathMessage is the result's text: rank, score and verdict, the chain,
// the entry's vulnerabilities and each hop's detail, then what is missing.
func pathMessage(p *risk.AttackPath) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d (score %.1f, %s): %s.", p.Rank, p.Score, p.Verdict, pathChain(p))
	if p.Workload != nil && len(p.Vulnerabilities) > 0 {
		ids := make([]string, len(p.Vulnerabilities))
		for i, v := range p.Vulnerabilities {
			ids[i] = v.ID + " (" + levelOr(v.Severity) + ")"
		}
		fmt.Fprintf(&b, " %s runs %d known vulnerabilities: %s", p.WorkloadName, p.VulnerabilityCount, strings.Join(ids, ", "))
		if more := p.VulnerabilityCount - len(p.Vulnerabilities); more > 0 {
			fmt.Fprintf(&b, " and %d more", more)
		}
		b.WriteString(".")
	}
	for _, h := range p.Hops {
		if h.Detail != "" {
			b.WriteString(" " + strings.TrimSuffix(h.Detail, ".") + ".")
		}
	}
	for _, h := range p.Hops {
		for _, m := range h.Missing {
			b.WriteString(" Missing: " + strings.TrimSuffix(m, ".") + ".")
		}
	}
	return b.String()
}
