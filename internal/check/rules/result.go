package rules

import "github.com/sightline-sec/sightline/internal/check"

// Finding is one violation of a rule by an Object. JSON field names are the
// shared contract of RULE-FORMAT.md and the "sightline.check/v1" schema.
type Finding struct {
	RuleID      string         `json:"rule_id"`
	Title       string         `json:"title"`
	Severity    Severity       `json:"severity"`
	Standard    string         `json:"standard,omitempty"`
	Input       check.Input    `json:"input"`
	Type        string         `json:"type"`
	Object      string         `json:"object"`
	Location    check.Location `json:"location"`
	Message     string         `json:"message"`
	Path        string         `json:"path,omitempty"`
	Proof       []string       `json:"proof,omitempty"`
	Remediation string         `json:"remediation,omitempty"`
	Suppressed  *Suppression   `json:"suppressed,omitempty"`
}

// Suppression says what hid a finding: an inline comment ("inline
// file:line") or an ignore-file entry ("ignore-file path:line").
type Suppression struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// Unknown is a rule whose result on an Object depended on a value the
// input could not work out (Object.Unknown): neither a pass nor a finding.
type Unknown struct {
	RuleID   string         `json:"rule_id"`
	Title    string         `json:"title"`
	Severity Severity       `json:"severity"`
	Input    check.Input    `json:"input"`
	Type     string         `json:"type"`
	Object   string         `json:"object"`
	Location check.Location `json:"location"`
	// Paths are the unknown values the result depended on, in the
	// Object.Unknown syntax ("ingress[0].cidr_blocks").
	Paths []string `json:"paths"`
	// Reasons say why those values are unknown, where the input said
	// ("var.cg_whitelist has no value"), one per path that has one.
	Reasons []string `json:"reasons,omitempty"`
}

// Stats say how much was checked, so that an empty result is never
// mistaken for a clean one.
type Stats struct {
	// Objects per input.
	Objects map[check.Input]int `json:"objects"`
	// Rules is the number of enabled rules; Disabled those turned off.
	Rules    int `json:"rules"`
	Disabled int `json:"disabled"`
	// RulesApplied counts rules that applied to at least one Object.
	RulesApplied int `json:"rules_applied"`
	// Evaluations counts rule × object evaluations.
	Evaluations int `json:"evaluations"`
}

// Result is what Evaluate found.
type Result struct {
	Findings   []Finding   `json:"findings"`
	Unknown    []Unknown   `json:"unknown"`
	Gaps       []check.Gap `json:"gaps"`
	Suppressed []Finding   `json:"suppressed"`
	// Warnings are for the user: an inline ignore without a reason, an
	// expired ignore-file entry.
	Warnings []string `json:"warnings"`
	Stats    Stats    `json:"stats"`
}
