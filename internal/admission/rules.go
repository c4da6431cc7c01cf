package admission

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/check/kubernetes"
	"github.com/sightline-sec/sightline/internal/check/rules"
)

// RulesEvaluator evaluates the rules of a loaded set that apply to
// Kubernetes objects on an admitted object: the object is read by the
// Kubernetes input (kubernetes.FromAdmission) into the same check.Object
// a manifest gives, so a rule decides the same at admission as in
// `sightline check`.
type RulesEvaluator struct {
	Set *rules.Set
}

var _ Evaluator = (*RulesEvaluator)(nil)

// LoadRules loads the built-in packs and the user rule paths (files or
// directories, as `sightline check --rules`) and checks that some rule
// applies to Kubernetes objects. Errors name the file and line.
func LoadRules(ctx context.Context, paths []string) (*RulesEvaluator, error) {
	set, err := rules.Load(ctx, rules.Options{Paths: paths})
	if err != nil {
		return nil, err
	}
	n := 0
	for _, r := range set.Enabled() {
		for _, in := range r.Inputs {
			if in == check.InputKubernetes {
				n++
			}
		}
	}
	if n == 0 {
		return nil, errors.New("no enabled rule applies to Kubernetes objects")
	}
	return &RulesEvaluator{Set: set}, nil
}

// Evaluate returns the findings of the rules on obj. A rule that could not
// be evaluated (a Gap) or whose result is unknown makes an error naming
// it, returned with the violations the other rules found: the handler
// reports both, the error under the rule failure choice.
func (e *RulesEvaluator) Evaluate(ctx context.Context, obj Object) ([]Violation, error) {
	co, err := kubernetes.FromAdmission(obj.Raw, kubernetes.AdmissionRequest{UID: obj.UID, Namespace: obj.Namespace, Name: obj.Name})
	if err != nil {
		return nil, fmt.Errorf("reading the %s: %w", obj.Kind, err)
	}
	res := e.Set.Evaluate(ctx, check.Set{Objects: []check.Object{co}})
	var out []Violation
	for _, f := range res.Findings {
		out = append(out, Violation{RuleID: f.RuleID, Title: f.Title, Severity: string(f.Severity), Message: f.Message, Path: f.Path})
	}
	var problems []string
	for _, g := range res.Gaps {
		problems = append(problems, g.Reason)
	}
	for _, u := range res.Unknown {
		problems = append(problems, fmt.Sprintf("rule %s: result unknown (depends on %s)", u.RuleID, strings.Join(u.Paths, ", ")))
	}
	if len(problems) > 0 {
		return out, errors.New(strings.Join(problems, "; "))
	}
	return out, nil
}
