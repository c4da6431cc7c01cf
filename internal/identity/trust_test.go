package identity

import (
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/iam/policy"
)

func ecsReq() request {
	return request{action: assumeRole, who: "Service " + ecsTasksService, principal: servicePrincipal(ecsTasksService),
		ctx: map[string][]string{
			"aws:sourceaccount": {"111122223333"},
			"aws:sourcearn":     {"arn:aws:ecs:eu-west-1:111122223333:task/prod/abc", "arn:aws:ecs:eu-west-1:111122223333:cluster/prod"},
		}}
}

// TestTrustSemantics: the evaluation rules of the IAM policy evaluation
// logic and condition-operator reference on small trust policies.
func TestTrustSemantics(t *testing.T) {
	const allowECS = `{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"`
	for _, c := range []struct {
		name, doc, verdict, inProof, key string
	}{
		{"plain allow", `[` + allowECS + `}]`, Yes, "statement 0 admits sts:AssumeRole from Service ecs-tasks.amazonaws.com", ""},
		{"action wildcard", `[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":"sts:*"}]`, Yes, "admits", ""},
		{"action is another", `[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:TagSession"}]`, No, "is for sts:TagSession, not sts:AssumeRole", ""},
		{"NotAction excludes", `[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"NotAction":"sts:AssumeRole"}]`, No, "excludes sts:AssumeRole by NotAction", ""},
		{"explicit deny wins", `[` + allowECS + `},{"Sid":"NoECS","Effect":"Deny","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]`, No, `statement 1 (Sid "NoECS") denies`, ""},
		{"conditional deny", `[` + allowECS + `},{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]`, Unknown, "deny only if condition aws:SecureTransport", "aws:SecureTransport"},
		{"source account matches", `[` + allowECS + `,"Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}]`, Yes, `(matches "111122223333")`, ""},
		{"source account other", `[` + allowECS + `,"Condition":{"StringEquals":{"aws:SourceAccount":"444455556666"}}}]`, No, `does not match "111122223333"`, ""},
		{"key case-insensitive", `[` + allowECS + `,"Condition":{"StringEquals":{"AWS:SOURCEACCOUNT":"111122223333"}}}]`, Yes, "admits", ""},
		{"source arn both candidates", `[` + allowECS + `,"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:eu-west-1:111122223333:*"}}}]`, Yes, "admits", ""},
		{"source arn other region", `[` + allowECS + `,"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:us-east-1:111122223333:*"}}}]`, No, "does not match", ""},
		{"source arn one candidate", `[` + allowECS + `,"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:eu-west-1:111122223333:cluster/*"}}}]`, Unknown, "matches some of", "aws:SourceArn"},
		{"ArnLike wildcard does not span colons", `[` + allowECS + `,"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:*:cluster/prod"}}}]`, No, "does not match", ""},
		{"IfExists on a present key", `[` + allowECS + `,"Condition":{"StringEqualsIfExists":{"aws:SourceAccount":"111122223333"}}}]`, Yes, "admits", ""},
		{"ForAnyValue on a single value", `[` + allowECS + `,"Condition":{"ForAnyValue:StringLike":{"aws:SourceAccount":"1111*"}}}]`, Yes, "admits", ""},
		{"Null false on a present key", `[` + allowECS + `,"Condition":{"Null":{"aws:SourceAccount":"false"}}}]`, Yes, "admits", ""},
		{"Null true on a present key", `[` + allowECS + `,"Condition":{"Null":{"aws:SourceAccount":"true"}}}]`, No, "does not match", ""},
		{"StringNotEquals", `[` + allowECS + `,"Condition":{"StringNotEquals":{"aws:SourceAccount":"111122223333"}}}]`, No, "does not match", ""},
		{"policy variable", `[` + allowECS + `,"Condition":{"StringEquals":{"aws:SourceAccount":"${aws:PrincipalAccount}"}}}]`, Unknown, "policy variable", "aws:SourceAccount"},
		{"unknown operator", `[` + allowECS + `,"Condition":{"NumericLessThan":{"aws:SourceAccount":"5"}}}]`, Unknown, "operator not evaluated", "aws:SourceAccount"},
		{"unknown key", `[` + allowECS + `,"Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]`, Unknown, "key not known", "sts:ExternalId"},
		{"principal star", `[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]`, Yes, `from AWS *`, ""},
		{"account principal only", `[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]`, No, "names AWS arn:aws:iam::111122223333:root, not Service ecs-tasks.amazonaws.com", ""},
		{"NotPrincipal excludes", `[{"Effect":"Allow","NotPrincipal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]`, No, "excludes Service ecs-tasks.amazonaws.com by NotPrincipal", ""},
		{"no statements", `[]`, No, "has no statements", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc, err := policy.DecodeString(`{"Version":"2012-10-17","Statement":` + c.doc + `}`)
			if err != nil {
				t.Fatal(err)
			}
			r := evalTrust("arn:aws:iam::111122223333:role/r", doc, ecsReq())
			if r.verdict != c.verdict {
				t.Fatalf("verdict %s, want %s; proof %q", r.verdict, c.verdict, r.proof)
			}
			if !has(r.proof, c.inProof) {
				t.Errorf("proof %q lacks %q", r.proof, c.inProof)
			}
			if c.key != "" && (len(r.keys) != 1 || r.keys[0] != c.key) {
				t.Errorf("keys %q, want [%s]", r.keys, c.key)
			}
			if c.key == "" && len(r.keys) != 0 {
				t.Errorf("keys %q, want none", r.keys)
			}
		})
	}
}

func TestSplitKubeID(t *testing.T) {
	for _, c := range []struct{ id, cluster, ns, kind string }{
		{"k8s:/shop/Deployment/api", "", "shop", "Deployment"},
		{"k8s:prod/shop/Pod/api-0", "prod", "shop", "Pod"},
		{"k8s:arn:aws:eks:us-east-1:644160558196:cluster/x/shop/Pod/api-0", "arn:aws:eks:us-east-1:644160558196:cluster/x", "shop", "Pod"},
	} {
		cl, ns, kind, ok := splitKubeID(c.id)
		if !ok || cl != c.cluster || ns != c.ns || kind != c.kind {
			t.Errorf("%s: %q %q %q %v", c.id, cl, ns, kind, ok)
		}
	}
	for _, bad := range []string{"ecs:arn", "k8s:a/b", ""} {
		if _, _, _, ok := splitKubeID(bad); ok {
			t.Errorf("%q: want not ok", bad)
		}
	}
}

// FuzzTrust: any policy document the parser accepts is evaluated without
// panic, to one of the three verdicts, with a proof.
func FuzzTrust(f *testing.F) {
	for _, s := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:eu-west-1:111122223333:*"}}}]}`,
		`{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"*"},"NotAction":"sts:*","Condition":{"Null":{"x":["true","false"]}}}}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/oidc.eks.r.amazonaws.com/id/A"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"oidc.eks.r.amazonaws.com/id/A:sub":"system:serviceaccount:*:*"}}}]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		doc, err := policy.DecodeString(s)
		if err != nil {
			return
		}
		for _, req := range []request{ecsReq(), {action: assumeWebID, who: "x", principal: func(typ, v string) (bool, map[string][]string, string) {
			if typ != "Federated" {
				return false, nil, ""
			}
			i := strings.Index(v, ":oidc-provider/")
			if i < 0 {
				return false, nil, ""
			}
			return true, map[string][]string{strings.ToLower(v[i+15:] + ":sub"): {"system:serviceaccount:a:b"}}, ""
		}}} {
			res := evalTrust("arn:aws:iam::1:role/r", doc, req)
			switch res.verdict {
			case Yes, No, Unknown:
			default:
				t.Fatalf("verdict %q", res.verdict)
			}
			if len(res.proof) == 0 {
				t.Fatalf("no proof for %s", res.verdict)
			}
			if res.verdict == Unknown && len(res.keys) == 0 {
				t.Fatalf("unknown without keys: %q", res.proof)
			}
		}
	})
}
