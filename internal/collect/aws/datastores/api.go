package datastores

import (
	"fmt"
	"strings"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/datastore"
	"github.com/sightline-sec/sightline/internal/iam"
	"github.com/sightline-sec/sightline/internal/iam/policy"
)

// dynamodb compiles DynamoDB tables. DynamoDB answers only signed requests
// and blocks resource-based policies that grant public access (DynamoDB
// Developer Guide, "Blocking public access with resource-based policies").
func (c *compiler) dynamodb() {
	for _, name := range c.r.Data.DynamoDBTables {
		s := datastore.Store{ID: c.arn("dynamodb", "table/"+name), Kind: datastore.DynamoDBTable, Name: name, Engine: "dynamodb"}
		if t, ok := c.r.Table(name); ok && t.TableArn != "" {
			s.ID = t.TableArn
		}
		s.Service = datastore.Access{Verdict: datastore.NotPublic, Proof: []string{
			"DynamoDB answers only signed AWS requests and rejects resource policies that grant public access"}}
		s.Actions = []datastore.Action{
			{Action: "dynamodb:GetItem", Resource: s.ID}, {Action: "dynamodb:Query", Resource: s.ID},
			{Action: "dynamodb:Scan", Resource: s.ID}, {Action: "dynamodb:PutItem", Resource: s.ID, Write: true},
		}
		c.add(s)
	}
}

// secrets compiles Secrets Manager secrets with their resource policies.
func (c *compiler) secrets() {
	for _, sec := range c.r.Data.Secrets {
		s := datastore.Store{ID: sec.ARN, Kind: datastore.Secret, Name: sec.Name,
			Actions: []datastore.Action{{Action: "secretsmanager:GetSecretValue", Resource: sec.ARN}}}
		pol, ok := c.r.SecretPolicy(sec.ARN)
		switch {
		case !ok:
			s.Missing = append(s.Missing, c.miss(snapshot.OpSecretPolicy, sec.ARN))
			s.Service = datastore.Access{Verdict: datastore.Unknown, Missing: s.Missing}
		case pol == "":
			s.Service = datastore.Access{Verdict: datastore.NotPublic, Proof: []string{
				"no resource policy: only principals of the account whose IAM policies allow it may read the secret"}}
		default:
			s.Policy = pol
			s.Service = policyAccess("resource policy of secret "+sec.Name, sec.ARN, pol,
				"secretsmanager:GetSecretValue", sec.ARN, "")
		}
		c.add(s)
	}
}

// functionURLs compiles Lambda function URLs (Lambda Developer Guide,
// "Control access to Lambda function URLs": AuthType NONE lets anyone
// invoke the function through its URL; AWS_IAM needs signed requests).
func (c *compiler) functionURLs() {
	for _, fn := range c.r.Data.Functions {
		urls, ok := c.r.FunctionURLs(fn.FunctionName)
		if !ok {
			// One reason for all functions whose URL configuration is unknown.
			c.missing = append(c.missing, fmt.Sprintf("%s: whether function %s has a public URL is unknown",
				c.miss(snapshot.OpFunctionURLConfigs, fn.FunctionName), fn.FunctionName))
			continue
		}
		for _, u := range urls {
			s := datastore.Store{ID: fn.FunctionArn, Kind: datastore.FunctionURL, Name: fn.FunctionName, Engine: "lambda",
				Actions: []datastore.Action{{Action: "lambda:InvokeFunctionUrl", Resource: fn.FunctionArn, Write: true}}}
			if u.AuthType == "NONE" {
				s.Service = datastore.Access{Verdict: datastore.Public, Proof: []string{
					"function URL " + u.FunctionUrl + " has AuthType NONE: anyone can invoke the function"}}
			} else {
				s.Service = datastore.Access{Verdict: datastore.NotPublic, Proof: []string{
					"function URL " + u.FunctionUrl + " has AuthType " + u.AuthType + ": callers must sign requests"}}
			}
			c.add(s)
		}
	}
}

// buckets compiles S3 buckets. S3 User Guide, "Blocking public access to
// your Amazon S3 storage": RestrictPublicBuckets limits a bucket with a
// public policy to AWS service principals and users of the owner account;
// IgnorePublicAcls makes S3 ignore public ACLs. Account-level settings
// (s3control get-public-access-block) are not collected and are named as
// missing where they could change the answer.
func (c *compiler) buckets() {
	for _, b := range c.r.Data.Buckets {
		arn := "arn:aws:s3:::" + b.Name
		s := datastore.Store{ID: arn, Kind: datastore.S3Bucket, Name: b.Name, Region: b.BucketRegion, Engine: "s3",
			Actions: []datastore.Action{
				{Action: "s3:GetObject", Resource: arn + "/*"}, {Action: "s3:ListBucket", Resource: arn},
				{Action: "s3:PutObject", Resource: arn + "/*", Write: true},
				{Action: "s3:DeleteObject", Resource: arn + "/*", Write: true},
			}}
		if s.Region == "" {
			s.Region = "unknown"
		}
		s.Service = c.bucketAccess(b.Name, arn, &s)
		c.add(s)
	}
}

func (c *compiler) bucketAccess(name, arn string, s *datastore.Store) datastore.Access {
	pab, pabFound, pabOK := c.r.BucketPublicAccessBlock(name)
	st, stFound, stOK := c.r.BucketPolicyStatus(name)
	pol, polFound, polOK := c.r.BucketPolicy(name)
	if pabOK && pabFound && pab.RestrictPublicBuckets {
		return datastore.Access{Verdict: datastore.NotPublic, Proof: []string{
			"Block Public Access RestrictPublicBuckets on " + name + ": a public policy grants only AWS services and the owner account"}}
	}
	var a datastore.Access
	var aclNote []string
	switch {
	case !pabOK:
		aclNote = []string{c.miss(snapshot.OpBucketPAB, name) + ": whether public ACL grants are ignored is unknown, and bucket ACLs are not collected (s3api get-bucket-acl)"}
	case !(pabFound && pab.IgnorePublicAcls):
		aclNote = []string{"bucket ACL not collected (s3api get-bucket-acl) and IgnorePublicAcls not set: public ACL grants not checked"}
	}
	switch {
	case polOK && polFound:
		s.Policy = pol
		a = policyAccess("bucket policy of "+name, arn, pol, "s3:GetObject", arn+"/*", "")
		if a.Verdict != datastore.Public {
			if l := policyAccess("bucket policy of "+name, arn, pol, "s3:ListBucket", arn, ""); l.Verdict == datastore.Public {
				a = l
			}
		}
	case polOK:
		a = datastore.Access{Verdict: datastore.NotPublic, Proof: []string{"no bucket policy (S3 answered NoSuchBucketPolicy)"}}
	case stOK && !stFound:
		a = datastore.Access{Verdict: datastore.NotPublic, Proof: []string{"no bucket policy (get-bucket-policy-status: NoSuchBucketPolicy)"}}
	case stOK:
		// Policy text not collected: S3's own verdict, without the statements.
		v := datastore.NotPublic
		if st.IsPublic {
			v = datastore.Public
		}
		a = datastore.Access{Verdict: v, Proof: []string{fmt.Sprintf("S3 get-bucket-policy-status: IsPublic %t", st.IsPublic)},
			Missing: []string{c.miss(snapshot.OpBucketPolicy, name) + ": the statements are not shown"}}
	default:
		return datastore.Access{Verdict: datastore.Unknown, Missing: []string{
			c.miss(snapshot.OpBucketPolicy, name), c.miss(snapshot.OpBucketPolicyStatus, name)}}
	}
	if stOK && stFound && polOK && polFound {
		a.Proof = append(a.Proof, fmt.Sprintf("S3 get-bucket-policy-status: IsPublic %t", st.IsPublic))
		if st.IsPublic && a.Verdict == datastore.Unknown {
			// The text does not parse, S3 read it: its verdict stands.
			a.Verdict = datastore.Public
		}
		if st.IsPublic && a.Verdict == datastore.NotPublic {
			// S3 sees a public grant our evaluation of the actions above
			// does not: trust the service, keep our statements as context.
			a.Verdict = datastore.Public
		}
	}
	if a.Verdict == datastore.Public && !pabOK {
		a.Missing = append(a.Missing, c.miss(snapshot.OpBucketPAB, name)+": Block Public Access could restrict the policy")
	}
	if a.Verdict == datastore.Public {
		a.Missing = append(a.Missing, "account-level Block Public Access not collected (s3control get-public-access-block): it could restrict the policy")
	}
	if a.Verdict == datastore.NotPublic {
		a.Missing = append(a.Missing, aclNote...)
	}
	return a
}

// policyAccess evaluates a resource policy for anonymous callers
// (iam.Anonymous) and words the verdict; via prefixes the proof.
func policyAccess(what, arn, doc, action, resource, via string) datastore.Access {
	if strings.TrimSpace(doc) == "" {
		p := "no " + what
		if via != "" {
			p = via + "; " + p + ": anyone reaching it may call it"
			return datastore.Access{Verdict: datastore.Public, Proof: []string{p}}
		}
		return datastore.Access{Verdict: datastore.NotPublic, Proof: []string{p}}
	}
	d, err := policy.DecodeString(doc)
	if err != nil {
		return datastore.Access{Verdict: datastore.Unknown, Missing: []string{what + " does not parse: " + err.Error()}}
	}
	dec := iam.Anonymous(d, arn, action, resource)
	var proof []string
	if via != "" {
		proof = append(proof, via)
	}
	for _, r := range dec.Proof {
		proof = append(proof, r.String())
	}
	switch dec.Outcome {
	case iam.Allowed:
		return datastore.Access{Verdict: datastore.Public, Proof: append(proof, fmt.Sprintf("%s allows %s on %s to anyone (Principal \"*\")", what, action, resource))}
	case iam.Conditional:
		return datastore.Access{Verdict: datastore.Conditional, Proof: append(proof, fmt.Sprintf("%s allows %s to anyone under conditions on %s", what, action, strings.Join(dec.ConditionKeys, ", ")))}
	case iam.ExplicitDeny:
		return datastore.Access{Verdict: datastore.NotPublic, Proof: append(proof, what+" denies "+action+" to anyone")}
	}
	return datastore.Access{Verdict: datastore.NotPublic, Proof: append(proof, what+": no statement allows "+action+" to anyone")}
}
