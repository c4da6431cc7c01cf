package identity

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/iam/policy"
)

// request is one role-assumption request as a trust policy sees it: the
// action (sts:AssumeRole, sts:AssumeRoleWithWebIdentity), who asks, and
// the request context keys whose values are known.
//
// A trust policy is a resource-based policy on the role
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#term_trust-policy):
// the request is admitted when an Allow statement matches action,
// principal and every condition, and no Deny does
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
type request struct {
	action string
	// principal decides whether a statement's Principal value of a type
	// ("Service", "Federated", "AWS", "*") names the caller. It returns the
	// request context that follows from that principal (for a web
	// identity, the keys prefixed with that provider) and a note for the
	// proof ("" when none).
	principal func(typ, value string) (ok bool, ctx map[string][]string, note string)
	// who names the caller in proofs ("ecs-tasks.amazonaws.com").
	who string
	// ctx holds the context keys known whatever the principal (lower-case
	// key → the values the key may have; see condition).
	ctx map[string][]string
}

// trustResult is the answer of a trust policy to one request.
type trustResult struct {
	verdict string   // yes, no, unknown
	proof   []string // statements that decide, or why none does
	keys    []string // condition keys that could not be decided (verdict unknown)
	notes   []string // principal notes of the deciding statements
	// matchedBy lists, for a yes, the condition keys that every deciding
	// statement tested (e.g. "…:sub"), lower-case.
	matchedBy map[string]bool
}

type tri int

const (
	triNo tri = iota
	triMaybe
	triYes
)

// stmtResult is one statement's answer.
type stmtResult struct {
	t      tri
	why    string   // why it applies, or why not
	keys   []string // undecided condition keys (t == triMaybe)
	note   string
	tested map[string]bool // condition keys decided true
}

// evalTrust answers req against a role's trust policy. Statement indexes
// in the proof are the document's (0-based), as in docs/iam.md.
func evalTrust(role string, doc *policy.Document, req request) trustResult {
	var allowYes, allowMaybe, denyYes, denyMaybe, other []stmtResult
	for i := range doc.Statements {
		st := &doc.Statements[i]
		r := evalStatement(role, st, req)
		switch {
		case r.t == triNo:
			other = append(other, r)
		case st.Effect == policy.Deny && r.t == triYes:
			denyYes = append(denyYes, r)
		case st.Effect == policy.Deny:
			denyMaybe = append(denyMaybe, r)
		case r.t == triYes:
			allowYes = append(allowYes, r)
		default:
			allowMaybe = append(allowMaybe, r)
		}
	}
	res := trustResult{}
	whys := func(l []stmtResult) {
		for _, r := range l {
			res.proof = append(res.proof, r.why)
			if r.note != "" {
				res.notes = append(res.notes, r.note)
			}
			res.keys = append(res.keys, r.keys...)
		}
	}
	switch {
	case len(denyYes) > 0:
		res.verdict = "no"
		whys(denyYes)
		res.keys = nil
	case len(allowYes) > 0 && len(denyMaybe) == 0:
		res.verdict = "yes"
		whys(allowYes)
		res.matchedBy = map[string]bool{}
		for k := range allowYes[0].tested {
			all := true
			for _, r := range allowYes[1:] {
				all = all && r.tested[k]
			}
			if all {
				res.matchedBy[k] = true
			}
		}
	case len(allowYes) > 0 || len(allowMaybe) > 0:
		res.verdict = "unknown"
		whys(allowYes)
		whys(allowMaybe)
		whys(denyMaybe)
	default:
		res.verdict = "no"
		if len(doc.Statements) == 0 {
			res.proof = append(res.proof, fmt.Sprintf("trust policy of role %s has no statements", role))
		}
		whys(other)
	}
	res.keys = uniqSorted(res.keys)
	return res
}

// evalStatement decides whether one statement matches req.
func evalStatement(role string, st *policy.Statement, req request) stmtResult {
	head := fmt.Sprintf("trust policy of role %s statement %d", role, st.Index)
	if st.Sid != "" {
		head += fmt.Sprintf(" (Sid %q)", st.Sid)
	}
	eff := strings.ToLower(string(st.Effect))
	// Action / NotAction.
	if st.NotActionSet {
		if policy.AnyAction(st.NotAction, req.action) {
			return stmtResult{why: fmt.Sprintf("%s (%s) excludes %s by NotAction", head, st.Effect, req.action)}
		}
	} else if !policy.AnyAction(st.Action, req.action) {
		return stmtResult{why: fmt.Sprintf("%s (%s) is for %s, not %s", head, st.Effect, strings.Join(st.Action, ", "), req.action)}
	}
	// Principal / NotPrincipal.
	ok, pctx, note, pwhy := matchPrincipal(st, req)
	if !ok {
		return stmtResult{why: fmt.Sprintf("%s (%s) %s", head, st.Effect, pwhy)}
	}
	ctx := map[string][]string{}
	for k, v := range req.ctx {
		ctx[k] = v
	}
	for k, v := range pctx {
		ctx[k] = v
	}
	// Conditions: all must hold.
	var undecided, failed, held []string
	tested := map[string]bool{}
	for _, c := range st.Conditions {
		t, why := condition(c, ctx)
		switch t {
		case triNo:
			failed = append(failed, why)
		case triMaybe:
			undecided = append(undecided, c.Key)
			held = append(held, why)
		default:
			held = append(held, why)
			tested[strings.ToLower(c.Key)] = true
		}
	}
	verb := "admits"
	if st.Effect == policy.Deny {
		verb = "denies"
	}
	what := fmt.Sprintf("%s %s %s %s", head, verb, req.action, pwhy)
	if len(failed) > 0 {
		return stmtResult{why: fmt.Sprintf("%s (%s) would match %s but %s", head, st.Effect, pwhy, strings.Join(failed, "; "))}
	}
	if len(held) > 0 {
		what += " with " + strings.Join(held, "; ")
	}
	if len(undecided) > 0 {
		return stmtResult{t: triMaybe, keys: undecided, note: note,
			why: fmt.Sprintf("%s: %s only if condition %s holds, which the data cannot tell", what, eff, strings.Join(uniqSorted(undecided), ", "))}
	}
	return stmtResult{t: triYes, why: what, note: note, tested: tested}
}

// matchPrincipal checks Principal (or NotPrincipal) against the caller.
func matchPrincipal(st *policy.Statement, req request) (bool, map[string][]string, string, string) {
	if st.NotPrincipalSet {
		for typ, vals := range st.NotPrincipal {
			for _, v := range vals {
				if ok, _, _ := req.principal(typ, v); ok {
					return false, nil, "", fmt.Sprintf("excludes %s by NotPrincipal", req.who)
				}
			}
		}
		return true, nil, "", fmt.Sprintf("to %s (not excluded by NotPrincipal)", req.who)
	}
	if st.Principal == nil {
		// A trust policy statement without Principal is invalid in AWS;
		// it admits no one.
		return false, nil, "", "has no Principal"
	}
	types := make([]string, 0, len(st.Principal))
	for typ := range st.Principal {
		types = append(types, typ)
	}
	sort.Strings(types)
	var named []string
	for _, typ := range types {
		for _, v := range st.Principal[typ] {
			if ok, ctx, note := req.principal(typ, v); ok {
				return true, ctx, note, fmt.Sprintf("from %s %s", typ, v)
			}
			named = append(named, typ+" "+v)
		}
	}
	return false, nil, "", fmt.Sprintf("names %s, not %s", strings.Join(named, ", "), req.who)
}

// condition decides one condition against the known context. Keys are
// case-insensitive, values case-sensitive except for the *IgnoreCase
// operators (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
// A key may have several candidate values (e.g. aws:SourceArn of an ECS
// task is its task or its cluster ARN): the condition holds when it holds
// for every candidate, fails when it fails for every one, and is
// undecided otherwise. Operators other than String*, Arn* and Null, keys
// not in the context and values with policy variables are undecided.
func condition(c policy.Condition, ctx map[string][]string) (tri, string) {
	desc := fmt.Sprintf("%s %s %s", c.Operator, c.Key, quoteList(c.Values))
	cands, known := ctx[strings.ToLower(c.Key)]
	if !known || len(cands) == 0 {
		return triMaybe, desc + " (key not known)"
	}
	op := c.Operator
	op = strings.TrimPrefix(strings.TrimPrefix(op, "ForAnyValue:"), "ForAllValues:") // single-valued keys
	op = strings.TrimSuffix(op, "IfExists")                                          // the key is present
	for _, v := range c.Values {
		if strings.Contains(v, "${") {
			return triMaybe, desc + " (policy variable)"
		}
	}
	var test func(v string) (bool, bool) // (result, decidable)
	anyOf := func(f func(pat, v string) bool) func(string) (bool, bool) {
		return func(v string) (bool, bool) {
			for _, p := range c.Values {
				if f(p, v) {
					return true, true
				}
			}
			return false, true
		}
	}
	not := func(g func(string) (bool, bool)) func(string) (bool, bool) {
		return func(v string) (bool, bool) { r, d := g(v); return !r, d }
	}
	eq := func(p, v string) bool { return p == v }
	fold := strings.EqualFold
	// ArnEquals and ArnLike both match each of the six colon-separated
	// parts of the ARN on its own, with wildcards that do not span a colon
	// (condition operators reference, "Amazon Resource Name (ARN)").
	arn := func(p, v string) bool {
		pp, vp := strings.SplitN(p, ":", 6), strings.SplitN(v, ":", 6)
		if len(pp) != 6 || len(vp) != 6 {
			return false
		}
		for i := range pp {
			if !policy.Glob(pp[i], vp[i]) {
				return false
			}
		}
		return true
	}
	switch op {
	case "StringEquals":
		test = anyOf(eq)
	case "StringNotEquals":
		test = not(anyOf(eq))
	case "StringEqualsIgnoreCase":
		test = anyOf(fold)
	case "StringNotEqualsIgnoreCase":
		test = not(anyOf(fold))
	case "StringLike":
		test = anyOf(policy.Glob)
	case "StringNotLike":
		test = not(anyOf(policy.Glob))
	case "ArnEquals", "ArnLike":
		test = anyOf(arn)
	case "ArnNotEquals", "ArnNotLike":
		test = not(anyOf(arn))
	case "Null":
		// The key is present: "Null": "false" holds, "true" fails.
		test = func(string) (bool, bool) {
			if len(c.Values) != 1 || (c.Values[0] != "true" && c.Values[0] != "false") {
				return false, false
			}
			return c.Values[0] == "false", true
		}
	default:
		return triMaybe, desc + " (operator not evaluated)"
	}
	yes, no := 0, 0
	for _, v := range cands {
		r, d := test(v)
		switch {
		case !d:
			return triMaybe, desc + " (not decidable)"
		case r:
			yes++
		default:
			no++
		}
	}
	shown := quoteList(cands)
	if len(cands) == 1 {
		shown = fmt.Sprintf("%q", cands[0])
	}
	switch {
	case no == 0:
		return triYes, fmt.Sprintf("%s (matches %s)", desc, shown)
	case yes == 0:
		return triNo, fmt.Sprintf("condition %s does not match %s", desc, shown)
	}
	return triMaybe, fmt.Sprintf("%s (matches some of %s: which one AWS uses is not known)", desc, shown)
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func uniqSorted(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	m := map[string]bool{}
	var out []string
	for _, s := range l {
		if !m[s] {
			m[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
