// Package policy parses AWS IAM JSON policy documents (identity, trust,
// bucket and key policies) into small typed values.
//
// The grammar followed is AWS's "IAM JSON policy element reference"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html):
// a document holds Version, optional Id and Statement (one object or a list);
// a statement holds Sid, Effect (Allow|Deny), exactly one of Action/NotAction,
// at most one of Resource/NotResource, at most one of Principal/NotPrincipal
// and an optional Condition block. String fields may be a string or a list of
// strings. No third-party parser is used: none is listed in the module set
// this project builds with (see docs/iam.md).
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// MaxDocumentBytes bounds one policy document (AWS's own limits are far
// smaller: 6,144 characters for a managed policy, 20 KiB for a bucket policy,
// 32 KiB for a key policy).
const MaxDocumentBytes = 1 << 20

// MaxStatements bounds the statements of one document.
const MaxStatements = 10000

// Effect is a statement's Effect.
type Effect string

// Effects.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Document is one parsed policy document.
type Document struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one statement. Exactly one of Action/NotAction is set
// (NotActionSet tells which); Resource and NotResource are both nil when the
// statement has neither (trust policies).
type Statement struct {
	Index  int // position in the document, from 0
	Sid    string
	Effect Effect

	Action       []string
	NotAction    []string
	NotActionSet bool

	Resource       []string
	NotResource    []string
	NotResourceSet bool

	// Principal / NotPrincipal map a principal type ("AWS", "Service",
	// "Federated", "CanonicalUser", or "*" for the bare "*" form) to its
	// values. Nil when absent.
	Principal       map[string][]string
	NotPrincipal    map[string][]string
	NotPrincipalSet bool

	Conditions []Condition
}

// Condition is one operator/key pair of a Condition block, e.g.
// {Operator: "StringEquals", Key: "aws:ResourceTag/Name", Values: ["x"]}.
type Condition struct {
	Operator string
	Key      string
	Values   []string
}

// ConditionKeys returns the statement's distinct condition keys, sorted.
func (s *Statement) ConditionKeys() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range s.Conditions {
		if !seen[c.Key] {
			seen[c.Key] = true
			out = append(out, c.Key)
		}
	}
	sort.Strings(out)
	return out
}

// Decode parses a policy document as found in AWS outputs: a JSON object, or
// a JSON string holding the document either as plain JSON or URL-encoded
// (RFC 3986, as the IAM API returns it). Errors say what is wrong and where
// (statement index); callers add the file and entity.
func Decode(raw []byte) (*Document, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > MaxDocumentBytes {
		return nil, fmt.Errorf("policy document is %d bytes, over the %d-byte limit", len(raw), MaxDocumentBytes)
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errors.New("policy document is empty")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("policy document string: %w", err)
		}
		return DecodeString(s)
	}
	return parse(raw)
}

// DecodeString parses a document given as text: plain JSON, or URL-encoded
// JSON (the form the IAM API and SDKs return).
func DecodeString(s string) (*Document, error) {
	if len(s) > MaxDocumentBytes {
		return nil, fmt.Errorf("policy document is %d bytes, over the %d-byte limit", len(s), MaxDocumentBytes)
	}
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "{") {
		// PathUnescape, not QueryUnescape: a literal '+' is kept, as RFC 3986 encoders write a space as %20.
		u, err := url.PathUnescape(t)
		if err != nil {
			return nil, fmt.Errorf("policy document is neither JSON nor URL-encoded JSON: %w", err)
		}
		t = strings.TrimSpace(u)
	}
	return parse([]byte(t))
}

func parse(raw []byte) (*Document, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("policy document is not a JSON object: %w", err)
	}
	d := &Document{}
	for k, v := range top {
		var err error
		switch k {
		case "Version":
			err = json.Unmarshal(v, &d.Version)
		case "Id":
			err = json.Unmarshal(v, &d.ID)
		case "Statement":
			d.Statements, err = parseStatements(v)
		default:
			err = errors.New("unknown element")
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	if _, ok := top["Statement"]; !ok {
		return nil, errors.New("policy document has no Statement")
	}
	return d, nil
}

func parseStatements(v json.RawMessage) ([]Statement, error) {
	v = bytes.TrimSpace(v)
	var raws []json.RawMessage
	if len(v) > 0 && v[0] == '[' {
		if err := json.Unmarshal(v, &raws); err != nil {
			return nil, err
		}
	} else {
		raws = []json.RawMessage{v}
	}
	if len(raws) > MaxStatements {
		return nil, fmt.Errorf("%d statements, over the limit of %d", len(raws), MaxStatements)
	}
	out := make([]Statement, 0, len(raws))
	for i, r := range raws {
		s, err := parseStatement(r)
		if err != nil {
			return nil, fmt.Errorf("statement %d: %w", i, err)
		}
		s.Index = i
		out = append(out, s)
	}
	return out, nil
}

func parseStatement(r json.RawMessage) (Statement, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r, &m); err != nil {
		return Statement{}, fmt.Errorf("not a JSON object: %w", err)
	}
	var s Statement
	for k, v := range m {
		if err := s.setField(k, v); err != nil {
			return Statement{}, fmt.Errorf("%s: %w", k, err)
		}
	}
	if s.Effect != Allow && s.Effect != Deny {
		return Statement{}, fmt.Errorf("Effect is %q, want Allow or Deny", s.Effect)
	}
	if has(m, "Action") == has(m, "NotAction") {
		return Statement{}, errors.New("needs exactly one of Action and NotAction")
	}
	if has(m, "Resource") && has(m, "NotResource") {
		return Statement{}, errors.New("has both Resource and NotResource")
	}
	if has(m, "Principal") && has(m, "NotPrincipal") {
		return Statement{}, errors.New("has both Principal and NotPrincipal")
	}
	return s, nil
}

func has(m map[string]json.RawMessage, k string) bool { _, ok := m[k]; return ok }

func (s *Statement) setField(k string, v json.RawMessage) error {
	var err error
	switch k {
	case "Sid":
		err = json.Unmarshal(v, &s.Sid)
	case "Effect":
		err = json.Unmarshal(v, &s.Effect)
	case "Action":
		s.Action, err = stringOrList(v)
	case "NotAction":
		s.NotAction, err = stringOrList(v)
		s.NotActionSet = true
	case "Resource":
		s.Resource, err = stringOrList(v)
	case "NotResource":
		s.NotResource, err = stringOrList(v)
		s.NotResourceSet = true
	case "Principal":
		s.Principal, err = principals(v)
	case "NotPrincipal":
		s.NotPrincipal, err = principals(v)
		s.NotPrincipalSet = true
	case "Condition":
		s.Conditions, err = conditions(v)
	default:
		err = errors.New("unknown element")
	}
	return err
}

// stringOrList reads "x" or ["x","y"].
func stringOrList(v json.RawMessage) ([]string, error) {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	var l []string
	if err := json.Unmarshal(v, &l); err != nil {
		return nil, errors.New("want a string or a list of strings")
	}
	if l == nil {
		l = []string{}
	}
	return l, nil
}

// principals reads "*" or {"AWS": "arn" | [...], "Service": ...}.
func principals(v json.RawMessage) (map[string][]string, error) {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, err
		}
		if s != "*" {
			return nil, fmt.Errorf("string form must be \"*\", got %q", s)
		}
		return map[string][]string{"*": {"*"}}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, errors.New(`want "*" or an object of principal types`)
	}
	out := make(map[string][]string, len(m))
	for typ, vals := range m {
		l, err := stringOrList(vals)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", typ, err)
		}
		out[typ] = l
	}
	return out, nil
}

// conditions reads {"Operator": {"key": value | [values]}}; values may be
// strings, numbers or booleans and are kept as their JSON text.
func conditions(v json.RawMessage) ([]Condition, error) {
	var ops map[string]map[string]json.RawMessage
	if err := json.Unmarshal(v, &ops); err != nil {
		return nil, errors.New("want {operator: {key: value}}")
	}
	var out []Condition
	for op, keys := range ops {
		for key, val := range keys {
			vals, err := scalarOrList(val)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", op, key, err)
			}
			out = append(out, Condition{Operator: op, Key: key, Values: vals})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Operator != out[j].Operator {
			return out[i].Operator < out[j].Operator
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

func scalarOrList(v json.RawMessage) ([]string, error) {
	v = bytes.TrimSpace(v)
	var items []json.RawMessage
	if len(v) > 0 && v[0] == '[' {
		if err := json.Unmarshal(v, &items); err != nil {
			return nil, err
		}
	} else {
		items = []json.RawMessage{v}
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		var x any
		if err := json.Unmarshal(it, &x); err != nil {
			return nil, err
		}
		switch t := x.(type) {
		case string:
			out = append(out, t)
		case bool, float64:
			out = append(out, string(bytes.TrimSpace(it)))
		default:
			return nil, errors.New("condition value must be a string, number or boolean")
		}
	}
	return out, nil
}
