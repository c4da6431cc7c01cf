package policy

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// Hand-written documents in the forms AWS uses.
func TestDecodeForms(t *testing.T) {
	plain := `{"Version":"2012-10-17","Statement":{"Sid":"a b+c","Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:aws:s3:::x/*",
	  "Condition":{"Bool":{"aws:MultiFactorAuthPresent":false},"NumericLessThan":{"s3:max-keys":[10,"20"]}}}}`
	enc := url.PathEscape(plain)
	q, _ := json.Marshal(plain)
	quoted := string(q)
	for name, raw := range map[string]string{"object": plain, "url-encoded string": `"` + enc + `"`, "plain string": quoted} {
		d, err := Decode([]byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s := d.Statements[0]
		if d.Version != "2012-10-17" || s.Sid != "a b+c" || s.Effect != Deny || !s.NotActionSet || s.NotAction[0] != "iam:*" ||
			!s.NotResourceSet || s.NotResource[0] != "arn:aws:s3:::x/*" || len(s.Conditions) != 2 {
			t.Fatalf("%s: %+v", name, s)
		}
		if c := s.Conditions[1]; c.Operator != "NumericLessThan" || strings.Join(c.Values, ",") != "10,20" {
			t.Fatalf("%s: %+v", name, c)
		}
		if c := s.Conditions[0]; c.Values[0] != "false" {
			t.Fatalf("%s: %+v", name, c)
		}
	}
}

func TestDecodePrincipals(t *testing.T) {
	d, err := DecodeString(`{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},
	 {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:root","2"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if d.Statements[0].Principal["*"][0] != "*" || len(d.Statements[1].Principal["AWS"]) != 2 ||
		d.Statements[1].Principal["Service"][0] != "ec2.amazonaws.com" || d.Statements[1].Resource != nil || d.Statements[1].Index != 1 {
		t.Fatalf("%+v", d.Statements)
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := map[string]string{
		`{"Version":"2012-10-17"}`:                                                         "no Statement",
		`{"Statement":{"Effect":"Permit","Action":"*"}}`:                                   "Effect",
		`{"Statement":[{"Effect":"Allow"}]}`:                                               "statement 0: needs exactly one of Action and NotAction",
		`{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"*"}]}`:                  "exactly one",
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}]}`: "both Resource",
		`{"Statement":[{"Effect":"Allow","Action":7}]}`:                                    "Action",
		`{"Statement":[{"Effect":"Allow","Action":"*","Principal":"me"}]}`:                 "Principal",
		`{"Statement":[{"Effect":"Allow","Action":"*","Colour":"red"}]}`:                   "Colour: unknown element",
		`{"Statement":[{"Effect":"Allow","Action":"*","Condition":{"Bool":{"k":{}}}}]}`:    "Condition",
		`[1]`:   "not a JSON object",
		`"%zz"`: "neither JSON nor URL-encoded",
		`null`:  "empty",
	}
	for in, want := range cases {
		_, err := Decode([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", in, err, want)
		}
	}
	big := `{"Statement":[` + strings.Repeat(`{"Effect":"Allow","Action":"*"},`, MaxDocumentBytes/30) + `]}`
	if _, err := Decode([]byte(big)); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("oversized document: %v", err)
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"*", "", true},
		{"s3:Get*", "s3:GetObject", true},
		{"s3:Get?bject", "s3:GetObject", true},
		{"s3:Get?bject", "s3:GetOObject", false},
		{"arn:aws:s3:::*log*", "arn:aws:s3:::my-logs/x", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b", false},
		{"a*b*c", "aXbYbZc", true},
		{"*b", "*ab", true}, // a '*' in the subject is matched by the pattern's star, not literally first
		{"arn:aws:s3:::b-*", "arn:aws:s3:::b-*/*", true},
		{"a*b*c", "aXbYbZ", false},
		{strings.Repeat("*a", 40), strings.Repeat("a", 200) + "b", false},
	}
	for _, c := range cases {
		if got := Glob(c.p, c.s); got != c.want {
			t.Errorf("Glob(%q,%q)=%v", c.p, c.s, got)
		}
	}
	if !ActionMatches("S3:get*", "s3:GetObject") {
		t.Error("actions are case-insensitive")
	}
}
