package iam

import (
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/iam/policy"
)

// Escalation is one privilege-escalation path open to a principal.
type Escalation struct {
	Pattern string // pattern id, see Patterns
	Outcome Outcome
	// Targets are what the path works on (roles passed or assumed, users,
	// groups, policies), at most MaxTargets; TargetCount counts them all.
	Targets      []string
	TargetCount  int
	AdminTargets []string `json:",omitempty"` // targets that are admin-equivalent roles/users
	Detail       string   `json:",omitempty"`
	Proof        []StatementRef
}

type refKey struct {
	source, policy, version, group string
	index                          int
}

func keyOf(r StatementRef) refKey { return refKey{r.Source, r.Policy, r.Version, r.Group, r.Index} }

// MaxTargets bounds Escalation.Targets.
const MaxTargets = 50

// Pattern is a known privilege-escalation method. Source names where it is
// described (docs/iam.md lists them).
type Pattern struct {
	ID      string
	Actions []string // all needed (alternatives written a|b)
	Service string   // service principal the passed role must trust, for PassRole patterns
	Source  string
}

const rhino = "Rhino Security Labs, AWS IAM privilege escalation methods (2018)"

// Patterns are the escalation methods checked. PassRole patterns need a
// role that trusts the service; the others name their targets in code.
var Patterns = []Pattern{
	{ID: "CreatePolicyVersion", Actions: []string{"iam:CreatePolicyVersion"}, Source: rhino + " #1"},
	{ID: "SetDefaultPolicyVersion", Actions: []string{"iam:SetDefaultPolicyVersion"}, Source: rhino + " #2"},
	{ID: "PassRole+EC2", Actions: []string{"iam:PassRole", "ec2:RunInstances"}, Service: "ec2.amazonaws.com", Source: rhino + " #3"},
	{ID: "CreateAccessKey", Actions: []string{"iam:CreateAccessKey"}, Source: rhino + " #4"},
	{ID: "CreateLoginProfile", Actions: []string{"iam:CreateLoginProfile"}, Source: rhino + " #5"},
	{ID: "UpdateLoginProfile", Actions: []string{"iam:UpdateLoginProfile"}, Source: rhino + " #6"},
	{ID: "AttachUserPolicy", Actions: []string{"iam:AttachUserPolicy"}, Source: rhino + " #7"},
	{ID: "AttachGroupPolicy", Actions: []string{"iam:AttachGroupPolicy"}, Source: rhino + " #8"},
	{ID: "AttachRolePolicy", Actions: []string{"iam:AttachRolePolicy"}, Source: rhino + " #9"},
	{ID: "PutUserPolicy", Actions: []string{"iam:PutUserPolicy"}, Source: rhino + " #10"},
	{ID: "PutGroupPolicy", Actions: []string{"iam:PutGroupPolicy"}, Source: rhino + " #11"},
	{ID: "PutRolePolicy", Actions: []string{"iam:PutRolePolicy"}, Source: rhino + " #12"},
	{ID: "AddUserToGroup", Actions: []string{"iam:AddUserToGroup"}, Source: rhino + " #13"},
	{ID: "UpdateAssumeRolePolicy", Actions: []string{"iam:UpdateAssumeRolePolicy"}, Source: rhino + " #14 (a trust policy naming the principal itself then grants sts:AssumeRole in the same account)"},
	{ID: "PassRole+Lambda", Actions: []string{"iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction|lambda:CreateEventSourceMapping"}, Service: "lambda.amazonaws.com", Source: rhino + " #15-#17"},
	{ID: "PassRole+Glue", Actions: []string{"iam:PassRole", "glue:CreateDevEndpoint"}, Service: "glue.amazonaws.com", Source: rhino + " #18"},
	{ID: "PassRole+CloudFormation", Actions: []string{"iam:PassRole", "cloudformation:CreateStack"}, Service: "cloudformation.amazonaws.com", Source: rhino + " #20"},
	{ID: "PassRole+DataPipeline", Actions: []string{"iam:PassRole", "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition"}, Service: "datapipeline.amazonaws.com", Source: rhino + " #21"},
	{ID: "PassRole+ECS", Actions: []string{"iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask|ecs:StartTask|ecs:CreateService"}, Service: "ecs-tasks.amazonaws.com", Source: "ECS analogue of " + rhino + " #3; CloudGoat ecs_privesc_evade_protection"},
	{ID: "ModifyInstanceUserData", Actions: []string{"ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"}, Service: "ec2.amazonaws.com", Source: "CloudGoat iam_privesc_by_ec2 (user data of an instance running with a role)"},
	{ID: "AssumeRole", Actions: []string{"sts:AssumeRole"}, Source: "AWS: a role the principal may assume (identity policy and trust policy, reference_policies_evaluation-logic)"},
}

// escalations checks every pattern for p.
func (e *Estate) escalations(p *Principal) []Escalation {
	var out []Escalation
	for _, pat := range Patterns {
		if x, ok := e.checkPattern(p, pat); ok {
			out = append(out, x)
		}
	}
	return out
}

func (e *Estate) checkPattern(p *Principal, pat Pattern) (Escalation, bool) {
	if !e.mayHaveAll(p, pat.Actions) {
		return Escalation{}, false
	}
	switch pat.ID {
	case "CreatePolicyVersion", "SetDefaultPolicyVersion":
		return e.policyVersionPath(p, pat)
	case "CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile":
		return e.onTargets(p, pat, e.otherUsers(p))
	case "AttachUserPolicy", "PutUserPolicy":
		if p.Kind != KindUser {
			return Escalation{}, false
		}
		return e.onTargets(p, pat, []string{p.ARN})
	case "AttachGroupPolicy", "PutGroupPolicy":
		return e.onTargets(p, pat, e.ownGroups(p))
	case "AddUserToGroup":
		if p.Kind != KindUser {
			return Escalation{}, false
		}
		return e.onTargets(p, pat, e.allGroups())
	case "AttachRolePolicy", "PutRolePolicy":
		return e.onTargets(p, pat, e.selfAndAssumable(p))
	case "UpdateAssumeRolePolicy":
		return e.onTargets(p, pat, e.roles(p))
	case "AssumeRole":
		return e.onTargets(p, pat, e.assumeCandidates(p))
	case "ModifyInstanceUserData":
		return e.instanceUserData(p, pat)
	}
	return e.onTargets(p, pat, e.rolesTrusting(pat.Service, p))
}

// onTargets: the pattern holds for each target on which every action is
// allowed (or may be). iam:PassRole and sts:AssumeRole and the iam:*
// actions are evaluated on the target ARN; the other actions (creating
// compute) on "*", as the resource they create does not exist yet.
func (e *Estate) onTargets(p *Principal, pat Pattern, targets []string) (Escalation, bool) {
	x := Escalation{Pattern: pat.ID, Outcome: Allowed}
	seen := map[refKey]bool{}
	addProof := func(rs []StatementRef) {
		for _, r := range rs {
			if k := keyOf(r); !seen[k] {
				seen[k] = true
				x.Proof = append(x.Proof, r)
			}
		}
	}
	// Untargeted actions (creating compute) are evaluated once, on "*".
	var targeted, untargeted [][]string
	for _, alt := range pat.Actions {
		alts := strings.Split(alt, "|")
		if targetedAction(alts[0]) {
			targeted = append(targeted, alts)
		} else {
			untargeted = append(untargeted, alts)
		}
	}
	baseProof, baseOut, ok := e.allActions(p, untargeted, "*", nil)
	if !ok {
		return Escalation{}, false
	}
	var buf, prev []StatementRef
	for _, t := range targets {
		var out Outcome
		buf, out, ok = e.allActions(p, targeted, t, buf[:0])
		if !ok {
			continue
		}
		if baseOut != Allowed {
			out = baseOut
		}
		x.TargetCount++
		if len(x.Targets) < MaxTargets {
			x.Targets = append(x.Targets, t)
		}
		if tp, ok := e.Principals[t]; ok && len(x.AdminTargets) < MaxTargets && e.admin(tp).Outcome == Allowed {
			x.AdminTargets = append(x.AdminTargets, t)
		}
		if x.TargetCount == 1 || out == Allowed {
			x.Outcome = out
		}
		if !sameRefs(buf, prev) {
			addProof(buf)
			buf, prev = prev[:0], buf
		}
	}
	if x.TargetCount == 0 {
		return Escalation{}, false
	}
	addProof(baseProof)
	return x, true
}

// sameRefs: the same statements in the same order (the common case when
// every target is allowed by the same statements).
func sameRefs(a, b []StatementRef) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if keyOf(a[i]) != keyOf(b[i]) {
			return false
		}
	}
	return true
}

// allActions evaluates each needed action (alternatives: the best one),
// appending the proof to buf.
func (e *Estate) allActions(p *Principal, actions [][]string, target string, buf []StatementRef) ([]StatementRef, Outcome, bool) {
	out := Allowed
	for _, alts := range actions {
		best := Decision{Outcome: ImplicitDeny}
		for _, a := range alts {
			res := target
			if !targetedAction(a) {
				res = "*"
			}
			d := e.evalP(p, a, res)
			if d.Outcome == Allowed || (d.Allows() && !best.Allows()) {
				best = d
			}
		}
		if !best.Allows() {
			return buf, "", false
		}
		if best.Outcome != Allowed {
			out = best.Outcome
		}
		buf = append(buf, best.Proof...)
	}
	return buf, out, true
}

func targetedAction(a string) bool {
	return strings.HasPrefix(a, "iam:") || a == "sts:AssumeRole"
}

// mayHaveAll is a cheap filter: each needed action is matched by some
// identity Allow statement, or (sts:AssumeRole) may come from a trust policy.
func (e *Estate) mayHaveAll(p *Principal, actions []string) bool {
	for _, alt := range actions {
		found := false
		for _, a := range strings.Split(alt, "|") {
			if a == "sts:AssumeRole" {
				found = true
				break
			}
			if e.identityMentions(p, a) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func (e *Estate) otherUsers(p *Principal) []string {
	var out []string
	for _, a := range e.sorted() {
		if q := e.Principals[a]; q.Kind == KindUser && a != p.ARN {
			out = append(out, a)
		}
	}
	return out
}

func (e *Estate) ownGroups(p *Principal) []string {
	var out []string
	for _, g := range p.Groups {
		if gr, ok := e.Groups[g]; ok {
			out = append(out, gr.ARN)
		}
	}
	return out
}

func (e *Estate) allGroups() []string {
	var out []string
	for _, g := range e.Groups {
		out = append(out, g.ARN)
	}
	sort.Strings(out)
	return out
}

// roles lists the roles of the estate other than p.
func (e *Estate) roles(p *Principal) []string {
	var out []string
	for _, a := range e.sorted() {
		if q := e.Principals[a]; q.Kind == KindRole && a != p.ARN {
			out = append(out, a)
		}
	}
	return out
}

// selfAndAssumable: p itself (a role) and the roles it may assume.
func (e *Estate) selfAndAssumable(p *Principal) []string {
	var out []string
	if p.Kind == KindRole {
		out = append(out, p.ARN)
	}
	for _, r := range e.assumeCandidates(p) {
		if e.evalP(p, "sts:AssumeRole", r).Allows() {
			out = append(out, r)
		}
	}
	return out
}

// assumeCandidates lists roles whose trust policy names p itself, or (when
// an identity statement of p allows sts:AssumeRole) p's account or "*".
// Other roles cannot be assumed by p in the same account.
func (e *Estate) assumeCandidates(p *Principal) []string {
	if e.trustIndex == nil {
		e.trustIndex = map[string][]string{}
		for _, a := range e.sorted() {
			r := e.Principals[a]
			if r.Kind != KindRole || r.Trust == nil {
				continue
			}
			for _, st := range r.Trust.Statements {
				vals := st.Principal["AWS"]
				if _, ok := st.Principal["*"]; ok || st.NotPrincipalSet {
					vals = append(vals, "*")
				}
				for _, v := range vals {
					e.trustIndex[v] = append(e.trustIndex[v], a)
				}
			}
		}
	}
	keys := []string{p.ARN}
	if e.identityMentions(p, "sts:AssumeRole") {
		keys = append(keys, "*", p.Account, "arn:aws:iam::"+p.Account+":root")
	}
	var out []string
	for _, k := range keys {
		out = append(out, e.trustIndex[k]...)
	}
	sort.Strings(out)
	return uniqNot(out, p.ARN)
}

func (e *Estate) identityMentions(p *Principal, action string) bool {
	for _, en := range e.compile(p).identity {
		if en.st.Effect == policy.Allow && actionOnly(en.st, action) {
			return true
		}
	}
	return false
}

func uniqNot(sorted []string, not string) []string {
	var out []string
	for _, s := range sorted {
		if s != not && (len(out) == 0 || out[len(out)-1] != s) {
			out = append(out, s)
		}
	}
	return out
}

// rolesTrusting lists roles whose trust policy lets the service assume them
// (an Allow for sts:AssumeRole to Principal.Service), other than p.
func (e *Estate) rolesTrusting(service string, p *Principal) []string {
	if e.services == nil {
		e.services = map[string][]*Principal{}
		for _, a := range e.sorted() {
			r := e.Principals[a]
			if r.Kind != KindRole || r.Trust == nil {
				continue
			}
			for _, st := range r.Trust.Statements {
				if st.Effect != policy.Allow || !actionOnly(&st, "sts:AssumeRole") {
					continue
				}
				for _, svc := range st.Principal["Service"] {
					e.services[svc] = append(e.services[svc], r)
				}
			}
		}
	}
	var out []string
	for _, r := range e.services[service] {
		if r.ARN != p.ARN && (len(out) == 0 || out[len(out)-1] != r.ARN) {
			out = append(out, r.ARN)
		}
	}
	return out
}

// policyVersionPath: iam:CreatePolicyVersion / iam:SetDefaultPolicyVersion
// on a customer-managed policy attached to p (directly or through a group).
// For SetDefaultPolicyVersion the non-default versions that would grant
// "*" on "*" are named in Detail.
func (e *Estate) policyVersionPath(p *Principal, pat Pattern) (Escalation, bool) {
	var targets []string
	add := func(arns []string) {
		for _, a := range arns {
			if !strings.HasPrefix(a, "arn:aws:iam::aws:") {
				targets = append(targets, a)
			}
		}
	}
	add(p.Attached)
	for _, g := range p.Groups {
		if gr, ok := e.Groups[g]; ok {
			add(gr.Attached)
		}
	}
	if pat.ID == "SetDefaultPolicyVersion" {
		var keep []string
		for _, t := range targets {
			if mp, ok := e.Policies[t]; ok && len(mp.Versions) > 1 {
				keep = append(keep, t)
			}
		}
		targets = keep
	}
	x, ok := e.onTargets(p, pat, targets)
	if ok && pat.ID == "SetDefaultPolicyVersion" {
		x.Detail = adminVersions(e, x.Targets)
	}
	return x, ok
}

func adminVersions(e *Estate, targets []string) string {
	var parts []string
	for _, t := range targets {
		for _, v := range e.Policies[t].Versions {
			if !v.Default && grantsStar(v.Doc) {
				parts = append(parts, t+" "+v.ID+` allows "*" on "*"`)
			}
		}
	}
	return strings.Join(parts, "; ")
}

// grantsStar: an unconditional Allow of Action "*" on Resource "*".
func grantsStar(d *policy.Document) bool {
	for _, s := range d.Statements {
		if s.Effect == policy.Allow && !s.NotActionSet && !s.NotResourceSet && len(s.Conditions) == 0 &&
			contains(s.Action, "*") && contains(s.Resource, "*") {
			return true
		}
	}
	return false
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// instanceUserData: changing the user data of a stopped instance runs code
// as its instance-profile role. Instances are not in the IAM snapshot, so the
// instance actions are evaluated on the instance ARN pattern of the account;
// targets are the roles with an instance profile that trust EC2.
func (e *Estate) instanceUserData(p *Principal, pat Pattern) (Escalation, bool) {
	if !e.mayHaveAll(p, pat.Actions) {
		return Escalation{}, false
	}
	res := "arn:aws:ec2:*:" + p.Account + ":instance/*"
	var proof []StatementRef
	out := Allowed
	for _, a := range pat.Actions {
		d := e.evalP(p, a, res)
		if !d.Allows() {
			return Escalation{}, false
		}
		if d.Outcome != Allowed {
			out = d.Outcome
		}
		proof = append(proof, d.Proof...)
	}
	x := Escalation{Pattern: pat.ID, Outcome: out, Proof: proof}
	for _, r := range e.rolesTrusting(pat.Service, p) {
		if len(e.Principals[r].InstanceProfiles) == 0 {
			continue
		}
		x.TargetCount++
		if len(x.Targets) < MaxTargets {
			x.Targets = append(x.Targets, r)
		}
		if e.admin(e.Principals[r]).Outcome == Allowed {
			x.AdminTargets = append(x.AdminTargets, r)
		}
	}
	return x, x.TargetCount > 0
}
