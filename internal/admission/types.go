package admission

import (
	"context"
	"fmt"
)

// Mode is what the webhook does with a violation.
type Mode string

// The modes of `--mode`.
const (
	// ModeEnforce denies a request with a violation (HTTP 403 in the
	// AdmissionResponse status) naming each rule and message.
	ModeEnforce Mode = "enforce"
	// ModeWarn admits it; each violation is an admission warning, which
	// kubectl and client-go show to the user
	// (https://kubernetes.io/blog/2020/09/03/warnings/).
	ModeWarn Mode = "warn"
	// ModeAudit admits it silently for the user; violations are logged
	// and added as audit annotations of the API server's audit event.
	ModeAudit Mode = "audit"
)

// ParseMode reads a --mode value.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeEnforce, ModeWarn, ModeAudit:
		return m, nil
	}
	return "", fmt.Errorf("mode %q: want enforce, warn or audit", s)
}

// Failure is what happens when something could not be checked: an image
// not in the scan cache whose scan did not finish within the budget, a
// scan without an advisory database, a rule evaluation error.
type Failure string

// The failure choices of `--image-policy-failure` and `--rule-failure`.
const (
	// FailOpen admits (with a warning and an audit annotation saying what
	// was not checked).
	FailOpen Failure = "open"
	// FailClosed counts it as a violation: denied in enforce mode.
	FailClosed Failure = "closed"
)

// ParseFailure reads a failure choice.
func ParseFailure(s string) (Failure, error) {
	switch f := Failure(s); f {
	case FailOpen, FailClosed:
		return f, nil
	}
	return "", fmt.Errorf("failure choice %q: want open or closed", s)
}

// Object is the object of one admission request, as the Evaluator sees it.
type Object struct {
	// Kind is the object's kind ("Pod", "Deployment", …), Group its API
	// group ("" for core, "apps", "batch").
	Kind, Group string
	// Namespace and Name come from the request: on CREATE with
	// metadata.generateName the object itself has no name yet.
	Namespace, Name string
	// UID is the request's UID, for messages and logs.
	UID string
	// Operation is CREATE or UPDATE.
	Operation string
	// Raw is the object's JSON exactly as the API server sent it.
	Raw []byte
}

// Violation is one rule a request breaks.
type Violation struct {
	RuleID   string `json:"rule_id"`
	Title    string `json:"title,omitempty"`
	Severity string `json:"severity,omitempty"`
	Message  string `json:"message"`
	// Path is the field path into the object, when the rule names one
	// ("spec.containers[0].securityContext.privileged").
	Path string `json:"path,omitempty"`
}

// String is the form used in denial messages and warnings:
// "SL-K8S-PSS-001: container nginx is privileged (spec.containers[0]…)".
func (v Violation) String() string {
	s := v.RuleID + ": " + v.Message
	if v.Path != "" {
		s += " (" + v.Path + ")"
	}
	return s
}

// Evaluator evaluates the Kubernetes rules on one admitted object. The
// real one wraps the rule engine (internal/check/rules) and the Kubernetes
// input (internal/check/kubernetes); tests may use any other.
//
// An error means the rules could not be evaluated, or not all of them (an
// object the input cannot read, a rule whose result is unknown): the
// webhook reports the violations returned with it and applies the rule
// failure choice to the error, never a pass.
type Evaluator interface {
	Evaluate(ctx context.Context, obj Object) ([]Violation, error)
}

// EvaluatorFunc adapts a function to Evaluator.
type EvaluatorFunc func(ctx context.Context, obj Object) ([]Violation, error)

// Evaluate calls f.
func (f EvaluatorFunc) Evaluate(ctx context.Context, obj Object) ([]Violation, error) {
	return f(ctx, obj)
}
