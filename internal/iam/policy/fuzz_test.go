package policy

import "testing"

// FuzzDecode: any input gives a document or an error, never a panic, and a
// decoded document's statements are well-formed.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"x","Effect":"Allow","Action":["s3:Get*"],"Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}]}`))
	f.Add([]byte(`"%7B%22Statement%22%3A%7B%22Effect%22%3A%22Deny%22%2C%22NotAction%22%3A%22iam%3A%2A%22%7D%7D"`))
	f.Add([]byte(`{"Statement":{"Effect":"Allow","Principal":{"AWS":["1"]},"Action":"sts:AssumeRole"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Decode(b)
		if err != nil {
			return
		}
		for i, s := range d.Statements {
			if s.Index != i || (s.Effect != Allow && s.Effect != Deny) {
				t.Fatalf("bad statement %d: %+v", i, s)
			}
			if s.NotActionSet == (s.Action != nil) {
				t.Fatalf("statement %d: Action/NotAction both or neither", i)
			}
			for _, a := range append(s.Action, s.NotAction...) {
				_ = ActionMatches(a, "s3:GetObject")
			}
		}
	})
}

// FuzzGlob: Glob never panics and agrees with itself on a literal pattern.
func FuzzGlob(f *testing.F) {
	f.Add("arn:aws:s3:::*log*", "arn:aws:s3:::logs")
	f.Fuzz(func(t *testing.T, p, s string) {
		_ = Glob(p, s)
		if !Glob(s, s) && !containsWild(s) {
			t.Fatalf("literal %q does not match itself", s)
		}
	})
}

func containsWild(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '*' || s[i] == '?' {
			return true
		}
	}
	return false
}
