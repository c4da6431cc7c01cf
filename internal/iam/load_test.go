package iam

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadErrorsNameFileAndEntity(t *testing.T) {
	cases := map[string]string{
		`{"RoleDetailList":[{"RoleName":"r","Arn":"arn:aws:iam::1:role/r","AssumeRolePolicyDocument":"%7Bnope"}]}`:                                           "x.json: role arn:aws:iam::1:role/r trust policy",
		`{"UserDetailList":[{"UserName":"u","Arn":"arn:aws:iam::1:user/u","UserPolicyList":[{"PolicyName":"p","PolicyDocument":{}}]}]}`:                      "user arn:aws:iam::1:user/u inline policy p",
		`{"Policies":[{"Arn":"arn:aws:iam::1:policy/p","PolicyVersionList":[{"VersionId":"v2","Document":{"Statement":{"Effect":"Maybe","Action":"*"}}}]}]}`: "policy arn:aws:iam::1:policy/p version v2: Statement: statement 0: Effect",
		"{\n\"RoleDetailList\": 5}": "x.json: line 2",
		"{\n\n  \"Policies\": [,]}": "x.json: line 3",
	}
	for in, want := range cases {
		err := NewEstate().Load(context.Background(), "x.json", "111122223333", []byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\n got %v\nwant %q", in, err, want)
		}
	}
}

func TestLoadSnapshotMissingAndEmpty(t *testing.T) {
	root := t.TempDir()
	// Account with the file under us-east-1 (accepted like "global").
	d1 := filepath.Join(root, "111111111111", "us-east-1", "iam")
	// Account with an empty file: a failed CLI call, not collected.
	d2 := filepath.Join(root, "222222222222", "global", "iam")
	// Account without the file.
	d3 := filepath.Join(root, "333333333333", "eu-west-1")
	for _, d := range []string{d1, d2, d3} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	js := `{"UserDetailList":[{"UserName":"u","Arn":"arn:aws:iam::111111111111:user/u"}],"GroupDetailList":[],"RoleDetailList":[],"Policies":[]}`
	if err := os.WriteFile(filepath.Join(d1, FileName), []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d2, FileName), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := LoadSnapshot(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Principals) != 1 || e.Principals["arn:aws:iam::111111111111:user/u"].Account != "111111111111" {
		t.Fatalf("principals %v", e.Principals)
	}
	if len(e.Missing) != 2 || !strings.Contains(e.Missing[0], "empty file") || !strings.Contains(e.Missing[1], "333333333333") {
		t.Fatalf("missing %v", e.Missing)
	}
}

// FuzzLoad: any bytes load or fail with an error; a loaded estate answers
// Capabilities for each principal without panicking.
func FuzzLoad(f *testing.F) {
	// Small hand-written seeds: large seeds make the fuzzer's minimisation slow.
	f.Add([]byte(`{"UserDetailList":[{"UserName":"u","Arn":"arn:aws:iam::1:user/u","GroupList":["g"],"UserPolicyList":[{"PolicyName":"p","PolicyDocument":{"Statement":{"Effect":"Allow","Action":["iam:PassRole","ec2:Run*"],"Resource":"*"}}}]}],` +
		`"GroupDetailList":[{"GroupName":"g","Arn":"arn:aws:iam::1:group/g","AttachedManagedPolicies":[{"PolicyArn":"arn:aws:iam::1:policy/m"}]}],` +
		`"RoleDetailList":[{"RoleName":"r","Arn":"arn:aws:iam::1:role/r","AssumeRolePolicyDocument":"%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22sts%3AAssumeRole%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%7D%7D"}],` +
		`"Policies":[{"Arn":"arn:aws:iam::1:policy/m","DefaultVersionId":"v1","PolicyVersionList":[{"VersionId":"v1","IsDefaultVersion":true,"Document":{"Statement":[{"Effect":"Deny","NotAction":"s3:*","NotResource":"arn:aws:s3:::${aws:username}"}]}}]}]}`))
	f.Add([]byte(`{"RoleDetailList":[{"RoleName":"a","Arn":"a","AssumeRolePolicyDocument":{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"*"}}},"PermissionsBoundary":{"PermissionsBoundaryArn":"b"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e := NewEstate()
		if err := e.Load(context.Background(), "f.json", "123456789012", b); err != nil {
			return
		}
		for _, a := range e.SortedPrincipals() {
			_ = e.Capabilities(a)
		}
	})
}
