package iam

import (
	"context"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/iam/policy"
)

// estateJSON builds a one-account estate from a hand-written
// authorization-details document (labelled: hand-written test input).
func estateJSON(t *testing.T, js string) *Estate {
	t.Helper()
	e := NewEstate()
	if err := e.Load(context.Background(), "test.json", "111122223333", []byte(js)); err != nil {
		t.Fatal(err)
	}
	return e
}

func mustDoc(t *testing.T, s string) *policy.Document {
	t.Helper()
	d, err := policy.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const carlos = "arn:aws:iam::111122223333:user/carlossalazar"

// Hand-written after the example in "Policy evaluation for requests within a
// single account" → "Example identity-based and resource-based policy
// evaluation" (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html):
// the user may list buckets, has s3:* on its own bucket, and an explicit
// Deny on buckets whose name contains "log"; a bucket policy of the logs
// bucket allows the user to write there.
const carlosEstate = `{"UserDetailList":[{"UserName":"carlossalazar","Arn":"` + carlos + `",
 "UserPolicyList":[{"PolicyName":"s3-self","PolicyDocument":{"Version":"2012-10-17","Statement":[
  {"Sid":"AllowS3ListRead","Effect":"Allow","Action":["s3:GetBucketLocation","s3:ListAllMyBuckets"],"Resource":"*"},
  {"Sid":"AllowS3Self","Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar","arn:aws:s3:::carlossalazar/*"]},
  {"Sid":"DenyS3Logs","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*log*"}]}}],
 "GroupList":[],"AttachedManagedPolicies":[]}],"GroupDetailList":[],"RoleDetailList":[],"Policies":[]}`

func TestEvaluateDocExamples(t *testing.T) {
	e := estateJSON(t, carlosEstate)
	e.SetResourcePolicy("arn:aws:s3:::carlossalazar-logs", mustDoc(t, `{"Version":"2012-10-17","Statement":[
	 {"Sid":"AllowCarlosWrite","Effect":"Allow","Principal":{"AWS":"`+carlos+`"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::carlossalazar-logs/*"}]}`))
	e.SetResourcePolicy("arn:aws:s3:::shared-reports", mustDoc(t, `{"Version":"2012-10-17","Statement":[
	 {"Sid":"AllowCarlosRead","Effect":"Allow","Principal":{"AWS":"`+carlos+`"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared-reports/*"},
	 {"Sid":"AccountOnly","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::shared-reports/*"}]}`))
	cases := []struct {
		name, action, resource string
		want                   Outcome
		sid                    string
	}{
		// "Example identity-based and resource-based policy evaluation": the identity policy allows the own bucket.
		{"own bucket allowed", "s3:PutObject", "arn:aws:s3:::carlossalazar/report.csv", Allowed, "AllowS3Self"},
		// Same example: the explicit Deny on *log* overrides the bucket policy's Allow.
		{"explicit deny beats bucket policy", "s3:PutObject", "arn:aws:s3:::carlossalazar-logs/x", ExplicitDeny, "DenyS3Logs"},
		// "Evaluating identity-based policies with resource-based policies": within one account the union applies,
		// so a bucket policy naming the user allows without any identity Allow.
		{"resource policy alone allows", "s3:GetObject", "arn:aws:s3:::shared-reports/q1.csv", Allowed, "AllowCarlosRead"},
		// A resource policy naming only the account delegates to identity policies: no identity Allow → implicit deny.
		{"account principal delegates", "s3:DeleteObject", "arn:aws:s3:::shared-reports/q1.csv", ImplicitDeny, ""},
		// "How AWS enforcement code logic evaluates requests": by default every request is implicitly denied.
		{"nothing allows", "dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:111122223333:table/t", ImplicitDeny, ""},
		// Action names are case-insensitive (reference_policies_elements_action).
		{"action case-insensitive", "S3:listallmybuckets", "*", Allowed, "AllowS3ListRead"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := e.Evaluate(carlos, c.action, c.resource)
			if d.Outcome != c.want {
				t.Fatalf("outcome %q (%s), want %q; proof %v", d.Outcome, d.Reason, c.want, d.Proof)
			}
			if c.sid != "" && (len(d.Proof) == 0 || d.Proof[0].Sid != c.sid) {
				t.Fatalf("proof %v, want first Sid %s", d.Proof, c.sid)
			}
		})
	}
}

const bob = "arn:aws:iam::111122223333:role/app"

// Hand-written after "Evaluating identity-based policies with permissions
// boundaries" (reference_policies_evaluation-logic.html and
// access_policies_boundaries.html): effective permissions are the
// intersection of identity policy and boundary; a Deny in either wins.
const boundaryEstate = `{"RoleDetailList":[{"RoleName":"app","Arn":"` + bob + `",
 "AssumeRolePolicyDocument":"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ecs-tasks.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D",
 "RolePolicyList":[{"PolicyName":"wide","PolicyDocument":{"Version":"2012-10-17","Statement":[
   {"Effect":"Allow","Action":["s3:*","dynamodb:*","iam:*"],"Resource":"*"},
   {"Sid":"OnlyFromVpc","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}},
   {"Sid":"NoProdTables","Effect":"Deny","Action":"dynamodb:DeleteTable","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/env":"prod"}}}]}}],
 "AttachedManagedPolicies":[],"PermissionsBoundary":{"PermissionsBoundaryType":"Policy","PermissionsBoundaryArn":"arn:aws:iam::111122223333:policy/boundary"}}],
 "Policies":[{"PolicyName":"boundary","Arn":"arn:aws:iam::111122223333:policy/boundary","DefaultVersionId":"v1","PolicyVersionList":[
   {"VersionId":"v1","IsDefaultVersion":true,"Document":{"Version":"2012-10-17","Statement":[
     {"Sid":"Ceiling","Effect":"Allow","NotAction":"iam:*","Resource":"*"},
     {"Sid":"NoSecretBucket","Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::app-*","arn:aws:s3:::app-*/*"]}]}}]}]}`

func TestEvaluateBoundaryAndConditions(t *testing.T) {
	e := estateJSON(t, boundaryEstate)
	cases := []struct {
		name, action, resource string
		want                   Outcome
		keys                   string
	}{
		// Boundary section: both the identity policy and the boundary allow → allowed.
		{"identity and boundary allow", "s3:GetObject", "arn:aws:s3:::app-data/k", Allowed, ""},
		// Boundary section: allowed by the identity policy only → implicitly denied (NotAction iam:* excludes IAM).
		{"boundary NotAction excludes iam", "iam:CreateUser", "*", ImplicitDeny, ""},
		// Deny with NotResource in the boundary: every bucket except app-* is denied.
		{"boundary NotResource deny", "s3:GetObject", "arn:aws:s3:::payroll/k", ExplicitDeny, ""},
		// A Condition decides the Allow: kept as conditional with its key, never true or false.
		{"conditional allow", "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db", Conditional, "aws:SourceVpc"},
		// A conditional Deny over an Allow: conditional too.
		{"conditional deny", "dynamodb:DeleteTable", "arn:aws:dynamodb:eu-west-1:111122223333:table/orders", Conditional, "aws:ResourceTag/env"},
		// Wildcard '?' and '*' in actions.
		{"service wildcard", "dynamodb:Scan", "arn:aws:dynamodb:eu-west-1:111122223333:table/orders", Allowed, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := e.Evaluate(bob, c.action, c.resource)
			if d.Outcome != c.want {
				t.Fatalf("outcome %q (%s), want %q; proof %v", d.Outcome, d.Reason, c.want, d.Proof)
			}
			if got := strings.Join(d.ConditionKeys, ","); got != c.keys {
				t.Fatalf("condition keys %q, want %q", got, c.keys)
			}
			if c.want != ImplicitDeny && len(d.Proof) == 0 {
				t.Fatal("no proof")
			}
		})
	}
	if d := e.Evaluate(bob, "iam:CreateUser", "*"); d.Reason != "the permissions boundary does not allow it" {
		t.Fatalf("reason %q", d.Reason)
	}
}

func TestEvaluateMissingPolicyIsUnknown(t *testing.T) {
	e := estateJSON(t, `{"UserDetailList":[{"UserName":"u","Arn":"arn:aws:iam::111122223333:user/u",
	 "AttachedManagedPolicies":[{"PolicyName":"ReadOnlyAccess","PolicyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}]}]}`)
	d := e.Evaluate("arn:aws:iam::111122223333:user/u", "s3:GetObject", "arn:aws:s3:::b/k")
	if d.Outcome != Unknown || len(d.Missing) != 1 {
		t.Fatalf("%+v", d)
	}
	if d := e.Evaluate("arn:aws:iam::111122223333:user/nobody", "s3:GetObject", "*"); d.Outcome != Unknown {
		t.Fatalf("unknown principal: %+v", d)
	}
}

func TestPolicyVariableIsConditional(t *testing.T) {
	e := estateJSON(t, `{"UserDetailList":[{"UserName":"u","Arn":"arn:aws:iam::111122223333:user/u",
	 "UserPolicyList":[{"PolicyName":"home","PolicyDocument":{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}}}]}]}`)
	d := e.Evaluate("arn:aws:iam::111122223333:user/u", "s3:GetObject", "arn:aws:s3:::home/u/f")
	if d.Outcome != Conditional || strings.Join(d.ConditionKeys, ",") != "${aws:username}" {
		t.Fatalf("%+v", d)
	}
	if d := e.Evaluate("arn:aws:iam::111122223333:user/u", "s3:GetObject", "arn:aws:s3:::other/u/f"); d.Outcome != ImplicitDeny {
		t.Fatalf("%+v", d)
	}
}

// Hand-written: a trust policy naming the account root delegates to identity
// policies (id_roles_manage-assume); a KMS key policy must allow the account
// before IAM policies count (kms key-policy-overview, "default key policy").
func TestEvaluateTrustAndKeyPolicyDelegation(t *testing.T) {
	e := estateJSON(t, `{"UserDetailList":[
	 {"UserName":"ops","Arn":"arn:aws:iam::111122223333:user/ops","UserPolicyList":[{"PolicyName":"p","PolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","kms:Decrypt"],"Resource":"*"}]}}]},
	 {"UserName":"dev","Arn":"arn:aws:iam::111122223333:user/dev"}],
	 "RoleDetailList":[{"RoleName":"deploy","Arn":"arn:aws:iam::111122223333:role/deploy",
	  "AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}},
	 {"RoleName":"deploy2","Arn":"arn:aws:iam::111122223333:role/deploy2",
	  "AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}}]}`)
	ops, dev := "arn:aws:iam::111122223333:user/ops", "arn:aws:iam::111122223333:user/dev"
	role := "arn:aws:iam::111122223333:role/deploy"
	if d := e.Evaluate(ops, "sts:AssumeRole", role); d.Outcome != Allowed || len(d.Proof) != 2 {
		t.Fatalf("ops: %+v", d)
	}
	if d := e.Evaluate(dev, "sts:AssumeRole", role); d.Outcome != ImplicitDeny {
		t.Fatalf("dev: %+v", d)
	}
	// The second role shares the trust text (one parsed document, one cached
	// answer); its proof names the second role.
	d2 := e.Evaluate(ops, "sts:AssumeRole", role+"2")
	if d2.Outcome != Allowed || d2.Resource != role+"2" || d2.Proof[1].Policy != role+"2" || d2.Proof[1].Source != SrcTrust {
		t.Fatalf("deploy2: %+v", d2)
	}
	if d := e.Evaluate(ops, "sts:AssumeRole", role); d.Proof[1].Policy != role {
		t.Fatalf("cached answer leaked the other role: %+v", d)
	}
	key := "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	e.SetResourcePolicy(key, mustDoc(t, `{"Version":"2012-10-17","Statement":[{"Sid":"OnlyAdmins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/deploy"},"Action":"kms:*","Resource":"*"}]}`))
	d := e.Evaluate(ops, "kms:Decrypt", key)
	if d.Outcome != ImplicitDeny || !strings.Contains(d.Reason, "allows neither the principal nor its account") {
		t.Fatalf("kms without account delegation: %+v", d)
	}
	e.SetResourcePolicy(key, mustDoc(t, `{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`))
	if d := e.Evaluate(ops, "kms:Decrypt", key); d.Outcome != Allowed {
		t.Fatalf("kms with delegation: %+v", d)
	}
}

func TestCapabilitiesDataGrants(t *testing.T) {
	e := estateJSON(t, carlosEstate)
	s := e.CapabilitiesFor(carlos, []string{"s3:GetObject", "dynamodb:GetItem"})
	if len(s.Data) != 2 {
		t.Fatalf("grants %+v", s.Data)
	}
	g := s.Data[1]
	if g.Action != "s3:GetObject" || g.Resource != "arn:aws:s3:::carlossalazar/*" || g.Decision.Outcome != Allowed {
		t.Fatalf("grant %+v", g)
	}
	// Keys containing "log" in the own bucket are denied by DenyS3Logs: the grant is narrowed.
	if len(g.NarrowedBy) != 1 || g.NarrowedBy[0].Sid != "DenyS3Logs" {
		t.Fatalf("narrowed %+v", g.NarrowedBy)
	}
	if s.Admin.Outcome == Allowed || len(s.Escalations) != 0 {
		t.Fatalf("carlos %+v", s)
	}
	// NotResource grant: allowed on everything except the named bucket.
	n := estateJSON(t, `{"UserDetailList":[{"UserName":"n","Arn":"arn:aws:iam::111122223333:user/n","UserPolicyList":[{"PolicyName":"p","PolicyDocument":
	 {"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::audit/*"}}}]}]}`)
	ns := n.CapabilitiesFor("arn:aws:iam::111122223333:user/n", []string{"s3:GetObject"})
	if len(ns.Data) != 1 || ns.Data[0].Resource != "NOT arn:aws:s3:::audit/*" || ns.Data[0].Decision.Outcome != Allowed ||
		ns.Data[0].Decision.Reason != "allowed on every resource except arn:aws:s3:::audit/*" {
		t.Fatalf("NotResource grant %+v", ns.Data)
	}
	// Boundary estate: iam:* is cut by the boundary, so no self-attach admin path.
	b := estateJSON(t, boundaryEstate)
	if v := b.Capabilities(bob).Admin; v.Outcome != ImplicitDeny {
		t.Fatalf("bounded role admin %+v", v)
	}
}
