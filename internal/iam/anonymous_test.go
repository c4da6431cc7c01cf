package iam

import (
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/iam/policy"
)

// The bucket policies are the S3 User Guide's examples ("Examples of
// Amazon S3 bucket policies": granting read-only permission to anonymous
// users, restricting access by IP address, granting another account).
func TestAnonymous(t *testing.T) {
	const bucket = "arn:aws:s3:::amzn-s3-demo-bucket"
	cases := []struct {
		name, doc string
		want      Outcome
		keys      string
	}{
		{"public read", `{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*",
			"Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":["arn:aws:s3:::amzn-s3-demo-bucket/*"]}]}`, Allowed, ""},
		{"AWS star", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]}`, Allowed, ""},
		{"only from an IP range", `{"Version":"2012-10-17","Id":"S3PolicyId1","Statement":[{"Sid":"IPAllow","Effect":"Allow","Principal":"*",
			"Action":"s3:*","Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"],
			"Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}]}`, Conditional, "aws:SourceIp"},
		{"deny outside an IP range, no allow", `{"Version":"2012-10-17","Statement":[{"Sid":"IPDeny","Effect":"Deny","Principal":"*",
			"Action":"s3:*","Resource":["arn:aws:s3:::amzn-s3-demo-bucket/*"],
			"Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}]}`, ImplicitDeny, ""},
		{"another account", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},
			"Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]}`, ImplicitDeny, ""},
		{"public then denied", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"},
			{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]}`, ExplicitDeny, ""},
		{"other bucket", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`, ImplicitDeny, ""},
		{"other action", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]}`, ImplicitDeny, ""},
		{"NotPrincipal", `{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/x"},"Action":"s3:GetObject","Resource":"*"}]}`, Allowed, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := policy.DecodeString(c.doc)
			if err != nil {
				t.Fatal(err)
			}
			got := Anonymous(d, bucket, "s3:GetObject", bucket+"/photo.jpg")
			if got.Outcome != c.want || strings.Join(got.ConditionKeys, ",") != c.keys {
				t.Errorf("%s %v, want %s %s (%+v)", got.Outcome, got.ConditionKeys, c.want, c.keys, got)
			}
			if got.Outcome == Allowed && (len(got.Proof) == 0 || got.Proof[0].Policy != bucket) {
				t.Errorf("allowed without the deciding statement: %+v", got.Proof)
			}
		})
	}
	if got := Anonymous(nil, bucket, "s3:GetObject", bucket+"/x"); got.Outcome != ImplicitDeny {
		t.Errorf("no policy: %s", got.Outcome)
	}
}
