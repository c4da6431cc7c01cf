package iam

import (
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/iam/policy"
)

// DataActions are the data-store actions Capabilities reports by default:
// reading and writing the managed data services of issue 11.
var DataActions = []string{
	"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket",
	"dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PutItem",
	"rds-db:connect", "rds-data:ExecuteStatement", "redshift:GetClusterCredentials",
	"secretsmanager:GetSecretValue", "ssm:GetParameter", "kms:Decrypt",
	"es:ESHttpGet", "elasticache:Connect",
}

// Grant says that a principal may perform Action on resources matching
// Resource (a pattern copied from the allowing statement; "NOT " prefix for
// a NotResource statement). Decision is the evaluation with the pattern as
// the resource: Deny statements with narrower patterns are listed in
// NarrowedBy, as they take away part of the grant.
type Grant struct {
	Action     string
	Resource   string
	Decision   Decision
	NarrowedBy []StatementRef `json:",omitempty"`
}

// Verdict is a yes/no/conditional answer with its proof.
type Verdict struct {
	Outcome Outcome
	Via     string `json:",omitempty"`
	Proof   []StatementRef
}

// Summary is what one principal may do.
type Summary struct {
	Principal   string
	Admin       Verdict
	Data        []Grant
	Escalations []Escalation
	// Missing lists policies the answers depend on that are not in the
	// snapshot: answers touching them are "unknown".
	Missing []string `json:",omitempty"`
}

// Capabilities summarises a principal: admin equivalence, access to
// DataActions and privilege-escalation paths.
func (e *Estate) Capabilities(principalARN string) Summary {
	return e.CapabilitiesFor(principalARN, DataActions)
}

// CapabilitiesFor is Capabilities with a caller-chosen action list.
func (e *Estate) CapabilitiesFor(principalARN string, actions []string) Summary {
	s := Summary{Principal: principalARN}
	p, ok := e.Principals[principalARN]
	if !ok {
		s.Admin = Verdict{Outcome: Unknown, Via: "principal not in the IAM snapshot"}
		return s
	}
	c := e.compile(p)
	s.Missing = c.missing
	s.Admin = e.admin(p)
	for _, a := range actions {
		s.Data = append(s.Data, e.grants(p, c, a)...)
	}
	s.Escalations = e.escalations(p)
	return s
}

func (e *Estate) grants(p *Principal, c *compiled, action string) []Grant {
	var out []Grant
	seen := map[string]bool{}
	for _, en := range c.identity {
		st := en.st
		if st.Effect != policy.Allow {
			continue
		}
		if !actionOnly(st, action) {
			continue
		}
		pats, prefix := st.Resource, ""
		if st.NotResourceSet {
			pats, prefix = st.NotResource, "NOT "
		}
		for _, pat := range pats {
			key := prefix + pat
			if seen[key] {
				continue
			}
			seen[key] = true
			g := Grant{Action: action, Resource: key}
			if prefix == "" {
				g.Decision = e.evalP(p, action, pat)
			} else {
				// NotResource: evaluated on "*", which the statement covers.
				g.Decision = e.evalP(p, action, "*")
				if g.Decision.Outcome == Allowed {
					g.Decision.Reason = "allowed on every resource except " + pat
				}
			}
			if !g.Decision.Allows() {
				continue
			}
			g.NarrowedBy = narrowing(c, action, pat)
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Resource < out[j].Resource })
	return out
}

// actionOnly says whether the statement's action part matches, whatever its
// resources.
func actionOnly(st *policy.Statement, action string) bool {
	if st.NotActionSet {
		return !policy.AnyAction(st.NotAction, action)
	}
	return policy.AnyAction(st.Action, action)
}

// narrowing lists Deny statements for the action whose resources are not
// disjoint from pat: they remove part of a grant on pat.
func narrowing(c *compiled, action, pat string) []StatementRef {
	var out []StatementRef
	for _, list := range [][]entry{c.identity, c.boundary} {
		for _, en := range list {
			if en.st.Effect != policy.Deny || !actionOnly(en.st, action) {
				continue
			}
			for _, dp := range en.st.Resource {
				if overlaps(dp, pat) && !policy.Glob(dp, pat) {
					out = append(out, en.ref)
					break
				}
			}
		}
	}
	return out
}

// overlaps is a cheap test of whether two resource patterns can match a
// common ARN: their literal prefixes (up to the first wildcard) agree.
func overlaps(a, b string) bool {
	pa, pb := literalPrefix(a), literalPrefix(b)
	n := min(len(pa), len(pb))
	return pa[:n] == pb[:n]
}

func literalPrefix(s string) string {
	if i := strings.IndexAny(s, "*?$"); i >= 0 {
		return s[:i]
	}
	return s
}

// adminProbes are actions across services; a principal allowed all of them
// on "*" holds an unrestricted grant (Action "*" or equivalent).
var adminProbes = []string{
	"iam:CreateUser", "iam:AttachRolePolicy", "iam:PutRolePolicy", "sts:AssumeRole",
	"ec2:RunInstances", "s3:GetObject", "s3:PutBucketPolicy", "kms:Decrypt", "lambda:CreateFunction",
	"dynamodb:Scan", "secretsmanager:GetSecretValue", "organizations:ListAccounts", "cloudtrail:StopLogging",
}

// admin decides admin equivalence: every probe allowed on "*" ("direct"), or
// the principal can give itself any policy (attach/put a policy on itself or
// its group: "via iam", one step from AdministratorAccess).
func (e *Estate) admin(p *Principal) Verdict {
	if p.adminV != nil {
		return *p.adminV
	}
	v := e.directAdmin(p)
	if v.Outcome != Allowed {
		if w := e.selfAttach(p); w.Outcome == Allowed || (w.Outcome == Conditional && v.Outcome != Conditional) {
			v = w
		}
	}
	p.adminV = &v
	return v
}

func (e *Estate) directAdmin(p *Principal) Verdict {
	v := Verdict{Outcome: Allowed, Via: `allowed "*" on "*"`}
	seen := map[refKey]bool{}
	for _, a := range adminProbes {
		d := e.evalP(p, a, "*")
		if !d.Allows() {
			return Verdict{Outcome: d.Outcome, Via: a + ` on "*": ` + d.Reason, Proof: d.Proof}
		}
		if d.Outcome != Allowed {
			v.Outcome = d.Outcome
		}
		for _, r := range d.Proof {
			k := keyOf(r)
			if !seen[k] {
				seen[k] = true
				v.Proof = append(v.Proof, r)
			}
		}
	}
	return v
}

// selfAttach: can the principal attach or put a policy on itself (or a
// group it is in)? That is one call away from AdministratorAccess.
func (e *Estate) selfAttach(p *Principal) Verdict {
	type req struct{ action, res string }
	var reqs []req
	if p.Kind == KindUser {
		reqs = append(reqs, req{"iam:AttachUserPolicy", p.ARN}, req{"iam:PutUserPolicy", p.ARN})
		for _, g := range p.Groups {
			if gr, ok := e.Groups[g]; ok {
				reqs = append(reqs, req{"iam:AttachGroupPolicy", gr.ARN}, req{"iam:PutGroupPolicy", gr.ARN})
			}
		}
	} else {
		reqs = append(reqs, req{"iam:AttachRolePolicy", p.ARN}, req{"iam:PutRolePolicy", p.ARN})
	}
	best := Verdict{Outcome: ImplicitDeny}
	for _, r := range reqs {
		d := e.evalP(p, r.action, r.res)
		if d.Outcome == Allowed || (d.Allows() && best.Outcome == ImplicitDeny) {
			best = Verdict{Outcome: d.Outcome, Via: r.action + " on itself (" + r.res + "): can attach AdministratorAccess", Proof: d.Proof}
			if d.Outcome == Allowed {
				return best
			}
		}
	}
	return best
}

// AllowPatterns returns the resource patterns of the principal's identity
// Allow statements whose Action matches action ("*" for a NotResource
// statement, which may cover any resource), and whether some policy the
// principal uses is not in the snapshot (then any resource may be
// allowed: answers are unknown). Without a matching pattern and without a
// resource policy, Evaluate is an implicit deny for every resource: a
// caller asking about many resources can skip those (no Allow in an
// identity-based policy, IAM User Guide "Policy evaluation logic").
func (e *Estate) AllowPatterns(principalARN, action string) (patterns []string, incomplete bool) {
	p, ok := e.Principals[principalARN]
	if !ok {
		return nil, true
	}
	c := e.compile(p)
	for _, en := range c.forAction(action).identity {
		if en.st.Effect != policy.Allow {
			continue
		}
		if en.st.NotResourceSet || len(en.st.Resource) == 0 {
			patterns = append(patterns, "*")
			continue
		}
		patterns = append(patterns, en.st.Resource...)
	}
	return patterns, len(c.missing) > 0
}

// LiteralPrefix is the part of a resource pattern before its first
// wildcard or policy variable: every ARN the pattern matches starts
// with it.
func LiteralPrefix(pattern string) string { return literalPrefix(pattern) }
