// Package rules loads the CEL rules of `sightline check` (built-in packs
// embedded from builtin/, user files and directories, Kubernetes
// ValidatingAdmissionPolicy objects) and evaluates them on the Objects the
// check inputs produce.
//
// The rule format is documented for users in docs/check.md. Rules are
// written in CEL (https://github.com/google/cel-go, language definition
// https://github.com/google/cel-spec); the engine binds the variables
// object, vars, type and name for every Object a rule applies to.
package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/google/cel-go/cel"

	"github.com/sightline-sec/sightline/internal/check"
)

// Severity of a rule, lowest to highest in Severities.
type Severity string

// Severities from lowest to highest; --fail-on takes one of them.
var Severities = []Severity{"info", "low", "medium", "high", "critical"}

// Rank orders severities: info 0 … critical 4; -1 for an unknown one.
func (s Severity) Rank() int { return slices.Index(Severities, s) }

// ParseSeverity accepts a severity name in any case.
func ParseSeverity(s string) (Severity, error) {
	v := Severity(strings.ToLower(strings.TrimSpace(s)))
	if v.Rank() < 0 {
		return "", fmt.Errorf("severity %q: want one of %s", s, severityNames())
	}
	return v, nil
}

func severityNames() string {
	names := make([]string, len(Severities))
	for i, s := range Severities {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// knownInputs are the values a rule's inputs may list.
var knownInputs = []check.Input{check.InputDockerfile, check.InputKubernetes, check.InputTerraform, check.InputAWS}

// idPattern is what a rule ID may look like: no spaces (it is written in
// `# sightline:ignore RULE-ID reason` comments and ignore files), starting
// with a letter. Built-in IDs are SL-<PACK>-NNN.
var idPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._:/-]{0,127}$`)

// Rule is one loaded, compiled rule.
type Rule struct {
	ID          string        `json:"id"`
	Title       string        `json:"title"`
	Severity    Severity      `json:"severity"`
	Standard    string        `json:"standard,omitempty"`
	References  []string      `json:"references,omitempty"`
	Rationale   string        `json:"rationale,omitempty"`
	Remediation string        `json:"remediation,omitempty"`
	Inputs      []check.Input `json:"inputs"`
	Types       []string      `json:"types,omitempty"`
	Disabled    bool          `json:"disabled,omitempty"`
	// Violations is the CEL source.
	Violations string `json:"violations"`
	// Source is where the rule was defined: "builtin/dockerfile.yaml:12"
	// or a user path and line.
	Source string `json:"source"`
	// Builtin is true for rules shipped in the binary.
	Builtin bool `json:"builtin"`

	prog *program
	// exprLine is the file line the violations expression starts on.
	exprLine int
}

// AppliesTo reports whether the rule is evaluated on o.
func (r *Rule) AppliesTo(o *check.Object) bool {
	if r.Disabled || !slices.Contains(r.Inputs, o.Input) {
		return false
	}
	return len(r.Types) == 0 || slices.Contains(r.Types, o.Type)
}

// program is a compiled rule: the CEL program, plus for VAP-derived rules
// the variables and match conditions evaluated before it.
type program struct {
	main cel.Program
	// partial is main compiled with partial evaluation, used only for
	// Objects with Unknown paths (partial evaluation costs time).
	partial cel.Program
	// vap: the expression is a VAP validation (true = allowed) and
	// message is evaluated for the violation text.
	vap *vapProgram
}
