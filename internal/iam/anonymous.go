package iam

import (
	"github.com/sightline-sec/sightline/internal/iam/policy"
)

// Anonymous answers whether a resource-based policy (an S3 bucket policy,
// an OpenSearch domain access policy, a Secrets Manager resource policy)
// lets anyone — an unauthenticated caller, or any AWS account — perform
// action on resource. A statement counts when its Principal is "*" or
// {"AWS": "*"} (IAM User Guide, "AWS JSON policy elements: Principal",
// "Anonymous (public) principals"), or when NotPrincipal is set (it applies
// to everyone not named). An explicit Deny of the same kind wins; a
// statement with a Condition (aws:SourceIp, aws:SourceVpce,
// aws:PrincipalOrgID …) makes the answer "conditional", naming the keys,
// never allowed or denied. name labels the proof (the resource ARN).
//
// Block Public Access settings and the service's own verdict (S3
// get-bucket-policy-status) are the caller's to apply: they override the
// policy as the service documents.
func Anonymous(doc *policy.Document, name, action, resource string) Decision {
	d := Decision{Principal: "*", Action: action, Resource: resource, Outcome: ImplicitDeny,
		Reason: "no statement of " + name + " allows anyone (Principal \"*\")"}
	if doc == nil {
		d.Reason = "no resource policy"
		return d
	}
	var allow, deny layer
	for i := range doc.Statements {
		st := &doc.Statements[i]
		if !everyone(st) {
			continue
		}
		t, keys := matchStatement(st, action, resource)
		ref := StatementRef{Source: SrcResource, Policy: name, Index: st.Index, Sid: st.Sid, Effect: st.Effect}
		if st.Effect == policy.Deny {
			deny.add(t, ref, keys)
		} else {
			allow.add(t, ref, keys)
		}
	}
	switch {
	case deny.t == yes:
		d.Outcome, d.Proof, d.Reason = ExplicitDeny, deny.only(yes), ""
	case allow.t == yes && deny.t == no:
		d.Outcome, d.Proof, d.Reason = Allowed, allow.only(yes), ""
	case allow.t != no:
		d.Outcome, d.Reason = Conditional, ""
		d.Proof = append(allow.proof, deny.proof...)
		for _, r := range d.Proof {
			d.ConditionKeys = append(d.ConditionKeys, r.ConditionKeys...)
		}
		d.ConditionKeys = uniq(d.ConditionKeys)
	}
	return d
}

// everyone reports whether a statement applies to any caller.
func everyone(st *policy.Statement) bool {
	if st.NotPrincipalSet {
		_, all := st.NotPrincipal["*"]
		return !all && !contains(st.NotPrincipal["AWS"], "*")
	}
	if _, ok := st.Principal["*"]; ok {
		return true
	}
	return contains(st.Principal["AWS"], "*")
}
