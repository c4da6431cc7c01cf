package iam

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/iam/policy"
)

// Outcome of evaluating one request.
type Outcome string

// Outcomes. Conditional means a statement whose Condition (or policy
// variable) we do not evaluate would decide the answer; Unknown means a
// policy the answer depends on is not in the snapshot.
const (
	Allowed      Outcome = "allowed"
	ExplicitDeny Outcome = "denied (explicit)"
	ImplicitDeny Outcome = "denied (implicit)"
	Conditional  Outcome = "conditional"
	Unknown      Outcome = "unknown"
)

// Source kinds of a statement.
const (
	SrcInline       = "inline"
	SrcManaged      = "managed"
	SrcGroupInline  = "group-inline"
	SrcGroupManaged = "group-managed"
	SrcBoundary     = "permissions-boundary"
	SrcResource     = "resource-policy"
	SrcTrust        = "trust-policy"
)

// StatementRef names one statement: the proof of a decision.
type StatementRef struct {
	Source  string // one of the Src* kinds
	Policy  string // inline policy name, or managed policy / resource ARN
	Version string // managed policy version, e.g. "v3"
	Group   string // group name for group policies
	Index   int    // statement position in the document, from 0
	Sid     string
	Effect  policy.Effect
	// ConditionKeys are the keys (or policy variables) left unevaluated;
	// empty when the statement applies unconditionally.
	ConditionKeys []string `json:",omitempty"`
}

func (r StatementRef) String() string {
	s := fmt.Sprintf("%s %s", r.Source, r.Policy)
	if r.Version != "" {
		s += " " + r.Version
	}
	if r.Group != "" {
		s += " (group " + r.Group + ")"
	}
	s += fmt.Sprintf(" statement %d", r.Index)
	if r.Sid != "" {
		s += " (" + r.Sid + ")"
	}
	return s + " " + string(r.Effect)
}

// Decision is the answer to one request, with the statements that decided it.
type Decision struct {
	Principal, Action, Resource string
	Outcome                     Outcome
	Proof                       []StatementRef
	ConditionKeys               []string `json:",omitempty"`
	Missing                     []string `json:",omitempty"`
	Reason                      string
}

// Allows reports whether the request is allowed or may be (conditional or
// unknown): what an attacker-path search must consider.
func (d Decision) Allows() bool {
	return d.Outcome == Allowed || d.Outcome == Conditional || d.Outcome == Unknown
}

type tri int

const (
	no tri = iota
	maybe
	yes
)

type entry struct {
	st  *policy.Statement
	ref StatementRef
}

// compiled is a principal's statements, flattened once.
type compiled struct {
	identity []entry
	boundary []entry
	hasBound bool
	missing  []string
	// byAction caches, per action, the statements whose Action/NotAction
	// matches it: most requests repeat an action over many resources.
	byAction map[string]*actionEntries
}

type actionEntries struct {
	identity, boundary []entry
	// anyResource: every statement applies to all resources (Resource "*"
	// or none), so without a resource policy the answer is the same for
	// every resource and is kept in decided.
	anyResource bool
	decided     *Decision
	byTrust     map[*policy.Document]Decision // sts:AssumeRole answers by trust document
}

func everyResource(st *policy.Statement) bool {
	if st.NotResourceSet {
		return false
	}
	for _, r := range st.Resource {
		if r != "*" {
			return false
		}
	}
	return true
}

func (c *compiled) forAction(action string) *actionEntries {
	if a, ok := c.byAction[action]; ok {
		return a
	}
	a := &actionEntries{anyResource: true}
	for _, en := range c.identity {
		if actionOnly(en.st, action) {
			a.identity = append(a.identity, en)
			a.anyResource = a.anyResource && everyResource(en.st)
		}
	}
	for _, en := range c.boundary {
		if actionOnly(en.st, action) {
			a.boundary = append(a.boundary, en)
			a.anyResource = a.anyResource && everyResource(en.st)
		}
	}
	if c.byAction == nil {
		c.byAction = map[string]*actionEntries{}
	}
	c.byAction[action] = a
	return a
}

func (e *Estate) compile(p *Principal) *compiled {
	if p.comp != nil {
		return p.comp
	}
	c := &compiled{}
	addDoc := func(dst *[]entry, doc *policy.Document, ref StatementRef) {
		for i := range doc.Statements {
			r := ref
			r.Index, r.Sid, r.Effect = i, doc.Statements[i].Sid, doc.Statements[i].Effect
			*dst = append(*dst, entry{st: &doc.Statements[i], ref: r})
		}
	}
	addManaged := func(dst *[]entry, arn, src, group string) {
		mp, ok := e.Policies[arn]
		if !ok || mp.Default == nil {
			c.missing = append(c.missing, arn)
			return
		}
		addDoc(dst, mp.Default, StatementRef{Source: src, Policy: arn, Version: mp.DefaultVersion, Group: group})
	}
	for _, in := range p.Inline {
		addDoc(&c.identity, in.Doc, StatementRef{Source: SrcInline, Policy: in.Name})
	}
	for _, a := range p.Attached {
		addManaged(&c.identity, a, SrcManaged, "")
	}
	for _, gn := range p.Groups {
		g, ok := e.Groups[gn]
		if !ok {
			c.missing = append(c.missing, "group "+gn)
			continue
		}
		for _, in := range g.Inline {
			addDoc(&c.identity, in.Doc, StatementRef{Source: SrcGroupInline, Policy: in.Name, Group: gn})
		}
		for _, a := range g.Attached {
			addManaged(&c.identity, a, SrcGroupManaged, gn)
		}
	}
	if p.Boundary != "" {
		c.hasBound = true
		addManaged(&c.boundary, p.Boundary, SrcBoundary, "")
	}
	p.comp = c
	return c
}

// matchStatement says whether a statement applies to (action, resource),
// ignoring Principal: yes, no, or maybe (a Condition or policy variable
// decides), with the undecided keys.
func matchStatement(s *policy.Statement, action, resource string) (tri, []string) {
	if s.NotActionSet {
		if policy.AnyAction(s.NotAction, action) {
			return no, nil
		}
	} else if !policy.AnyAction(s.Action, action) {
		return no, nil
	}
	t, keys := matchResource(s, resource)
	if t == no {
		return no, nil
	}
	if len(s.Conditions) > 0 {
		t = maybe
		keys = append(keys, s.ConditionKeys()...)
	}
	return t, keys
}

func matchResource(s *policy.Statement, resource string) (tri, []string) {
	if s.Resource == nil && !s.NotResourceSet {
		return yes, nil // no Resource element: trust policies
	}
	pats := s.Resource
	if s.NotResourceSet {
		pats = s.NotResource
	}
	best, keys := no, []string(nil)
	for _, p := range pats {
		t, k := matchPattern(p, resource)
		if t > best {
			best, keys = t, k
		}
	}
	if !s.NotResourceSet {
		return best, keys
	}
	switch best {
	case yes:
		return no, nil
	case maybe:
		return maybe, keys
	}
	return yes, nil
}

// matchPattern matches a Resource pattern against an ARN (case-sensitive,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
// A policy variable ${…} is not resolved: the pattern matches "maybe",
// naming the variable, when it could match with the variable as a wildcard.
func matchPattern(pat, resource string) (tri, []string) {
	if !strings.Contains(pat, "${") {
		if policy.Glob(pat, resource) {
			return yes, nil
		}
		return no, nil
	}
	var vars []string
	var b strings.Builder
	for rest := pat; ; {
		i := strings.Index(rest, "${")
		j := strings.IndexByte(rest[max(i, 0):], '}')
		if i < 0 || j < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		b.WriteByte('*')
		vars = append(vars, rest[i:i+j+1])
		rest = rest[i+j+1:]
	}
	if policy.Glob(b.String(), resource) {
		return maybe, vars
	}
	return no, nil
}

// layer accumulates the best match of one kind of statement.
type layer struct {
	t     tri
	proof []StatementRef
}

func (l *layer) add(t tri, ref StatementRef, keys []string) {
	if t == no {
		return
	}
	if t == maybe {
		ref.ConditionKeys = uniq(keys)
	}
	if t > l.t {
		l.t = t
	}
	l.proof = append(l.proof, ref)
}

func (l *layer) only(t tri) []StatementRef {
	var out []StatementRef
	for _, r := range l.proof {
		if (t == yes) == (len(r.ConditionKeys) == 0) {
			out = append(out, r)
		}
	}
	return out
}

// Evaluate answers whether principalARN may perform action on resource,
// following AWS's policy evaluation logic for requests within one account
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
// an explicit Deny in any policy wins; otherwise the request is allowed when
// an identity-based policy allows it and the permissions boundary (if any)
// allows it too, or when a resource-based policy allows the principal itself
// (for a user, not limited by its boundary; for a role ARN, limited by it).
// A resource-based policy naming only the account delegates to identity
// policies and grants nothing by itself. Not modelled: SCPs/RCPs, session
// policies, cross-account requests (docs/iam.md).
func (e *Estate) Evaluate(principalARN, action, resource string) Decision {
	p, ok := e.Principals[principalARN]
	if !ok {
		return Decision{Principal: principalARN, Action: action, Resource: resource,
			Outcome: Unknown, Reason: "principal not in the IAM snapshot"}
	}
	return e.evalP(p, action, resource)
}

// evalP is Evaluate for a principal already looked up.
func (e *Estate) evalP(p *Principal, action, resource string) Decision {
	d := Decision{Principal: p.ARN, Action: action, Resource: resource}
	c := e.compile(p)
	ae := c.forAction(action)
	_, rdoc := e.resourcePolicy(resource)
	if rdoc == nil && !policy.ActionMatches("sts:AssumeRole*", action) && ae.anyResource {
		if ae.decided == nil {
			x := e.evaluate(d, p, c, ae)
			ae.decided = &x
		}
		x := *ae.decided
		x.Resource = resource
		return x
	}
	// Assuming a role: with resource-independent identity statements the
	// answer depends only on the trust document, which many roles share
	// (documents are interned at load).
	if rdoc == nil && ae.anyResource && policy.ActionMatches("sts:AssumeRole*", action) {
		if r, ok := e.Principals[resource]; ok && r.Kind == KindRole && r.Trust != nil && !hasResourceElement(r.Trust) {
			if ae.byTrust == nil {
				ae.byTrust = map[*policy.Document]Decision{}
			}
			x, ok := ae.byTrust[r.Trust]
			if !ok {
				x = e.evaluate(d, p, c, ae)
				ae.byTrust[r.Trust] = x
			}
			return retarget(x, resource)
		}
	}
	return e.evaluate(d, p, c, ae)
}

func hasResourceElement(d *policy.Document) bool {
	for _, s := range d.Statements {
		if s.Resource != nil || s.NotResourceSet {
			return true
		}
	}
	return false
}

// retarget copies a decision made for another role sharing the same trust
// document: the resource and the trust statements' policy name change.
func retarget(x Decision, role string) Decision {
	if x.Resource == role {
		return x
	}
	x.Resource = role
	proof := make([]StatementRef, len(x.Proof))
	for i, r := range x.Proof {
		if r.Source == SrcTrust {
			r.Policy = role
		}
		proof[i] = r
	}
	x.Proof = proof
	return x
}

func (e *Estate) evaluate(d Decision, p *Principal, c *compiled, ae *actionEntries) Decision {
	action, resource := d.Action, d.Resource
	var deny, ident, bound, res layer
	for _, en := range ae.identity {
		t, keys := matchStatement(en.st, action, resource)
		pick(&deny, &ident, en, t, keys)
	}
	var boundDeny layer
	for _, en := range ae.boundary {
		t, keys := matchStatement(en.st, action, resource)
		pick(&boundDeny, &bound, en, t, keys)
	}
	// A Deny in a boundary is an explicit deny too.
	deny.t = max(deny.t, boundDeny.t)
	deny.proof = append(deny.proof, boundDeny.proof...)
	if !c.hasBound {
		bound.t = yes
	}
	resARN, rdoc := e.resourcePolicy(resource)
	// A role's trust policy and a KMS key policy are required: identity
	// policies count only when they allow the account (delegation) or the
	// principal (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage-assume.html,
	// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
	required := rdoc != nil && strings.HasPrefix(resource, "arn:aws:kms:")
	if rdoc == nil && policy.ActionMatches("sts:AssumeRole*", action) {
		if r, ok := e.Principals[resource]; ok && r.Kind == KindRole {
			if r.Trust == nil {
				d.Outcome, d.Reason = Unknown, "the role's trust policy is not in the snapshot"
				return d
			}
			resARN, rdoc, required = resource, r.Trust, true
		}
	}
	var acct layer
	if rdoc != nil {
		e.resourceLayer(p, rdoc, resARN, action, resource, &deny, &res, &acct)
	}
	identBefore := ident.t
	if required {
		// Identity allows need the resource policy's consent.
		ident.t = min(ident.t, max(acct.t, res.t))
		ident.proof = append(ident.proof, acct.proof...)
	}
	d.Missing = c.missing
	d = decide(d, p, c.hasBound, deny, ident, bound, res)
	if required && d.Outcome == ImplicitDeny && identBefore != no {
		d.Reason = "identity policies allow it, but the resource's policy (trust or key policy) allows neither the principal nor its account"
	}
	return d
}

func pick(deny, allow *layer, en entry, t tri, keys []string) {
	if en.st.Effect == policy.Deny {
		deny.add(t, en.ref, keys)
	} else {
		allow.add(t, en.ref, keys)
	}
}

// resourceLayer sorts a resource policy's statements: Deny for the
// principal or its account into deny, Allow naming the principal into res,
// Allow naming only the account into acct (delegation).
func (e *Estate) resourceLayer(p *Principal, doc *policy.Document, arn, action, resource string, deny, res, acct *layer) {
	src := SrcResource
	if r, ok := e.Principals[arn]; ok && r.Trust == doc {
		src = SrcTrust
	}
	for i := range doc.Statements {
		s := &doc.Statements[i]
		ref := StatementRef{Source: src, Policy: arn, Index: i, Sid: s.Sid, Effect: s.Effect}
		direct, account := principalMatch(s, p)
		t, keys := matchStatement(s, action, resource)
		if s.Effect == policy.Deny {
			if direct || account {
				deny.add(t, ref, keys)
			}
			continue
		}
		if direct {
			res.add(t, ref, keys)
		} else if account {
			acct.add(t, ref, keys)
		}
	}
}

// principalMatch says whether a resource-policy statement names the
// principal directly (its ARN, a session of the role, or "*") or only its
// account (root ARN or account id).
func principalMatch(s *policy.Statement, p *Principal) (direct, account bool) {
	in := func(m map[string][]string) (bool, bool) {
		if _, ok := m["*"]; ok {
			return true, false
		}
		var d, a bool
		for _, v := range m["AWS"] {
			switch {
			case v == "*" || v == p.ARN:
				d = true
			case p.Kind == KindRole && strings.HasPrefix(v, p.sessionPrefix):
				d = true
			case v == p.Account || v == p.rootARN:
				a = true
			}
		}
		return d, a
	}
	if s.NotPrincipalSet {
		d, a := in(s.NotPrincipal)
		return !d && !a, false
	}
	return in(s.Principal)
}

func decide(d Decision, p *Principal, hasBound bool, deny, ident, bound, res layer) Decision {
	if deny.t == yes {
		d.Outcome, d.Proof = ExplicitDeny, deny.only(yes)
		d.Reason = "an explicit Deny applies"
		d.Missing = nil
		return d
	}
	viaIdent := min(ident.t, bound.t)
	viaRes := res.t
	if p.Kind == KindRole && hasBound {
		viaRes = min(res.t, bound.t)
	}
	allow := max(viaIdent, viaRes)
	switch {
	case allow == no && len(d.Missing) > 0:
		d.Outcome, d.Reason = Unknown, "no statement allows, but policies are missing from the snapshot"
	case allow == no:
		d.Outcome, d.Reason = ImplicitDeny, implicitReason(ident.t, bound.t, hasBound)
		d.Proof = ident.proof
		if ident.t == yes {
			d.Proof = ident.only(yes)
		}
	case allow == yes && deny.t == no && len(d.Missing) > 0:
		d.Outcome, d.Reason = Unknown, "allowed unless a policy missing from the snapshot denies it"
		d.Proof = allowProof(viaIdent, ident, bound, res, hasBound, true)
	case allow == yes && deny.t == no:
		d.Outcome, d.Reason = Allowed, "allowed"
		d.Proof = allowProof(viaIdent, ident, bound, res, hasBound, true)
	default:
		d.Outcome = Conditional
		d.Proof = append(allowProof(viaIdent, ident, bound, res, hasBound, false), deny.proof...)
		for _, r := range d.Proof {
			d.ConditionKeys = append(d.ConditionKeys, r.ConditionKeys...)
		}
		d.ConditionKeys = uniq(d.ConditionKeys)
		d.Reason = "depends on " + strings.Join(d.ConditionKeys, ", ")
	}
	return d
}

func implicitReason(ident, bound tri, hasBound bool) string {
	if ident != no && hasBound && bound == no {
		return "the permissions boundary does not allow it"
	}
	return "no statement allows it"
}

// allowProof lists the allowing statements; when the answer is a plain
// allow (onlyYes) the conditional ones are left out.
func allowProof(viaIdent tri, ident, bound, res layer, hasBound, onlyYes bool) []StatementRef {
	get := func(l layer) []StatementRef {
		if onlyYes {
			return l.only(yes)
		}
		return l.proof
	}
	var out []StatementRef
	if viaIdent != no {
		out = append(out, get(ident)...)
		if hasBound {
			out = append(out, get(bound)...)
		}
	}
	return append(out, get(res)...)
}

func uniq(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	c := append([]string(nil), s...)
	sort.Strings(c)
	out := c[:1]
	for _, x := range c[1:] {
		if x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}
