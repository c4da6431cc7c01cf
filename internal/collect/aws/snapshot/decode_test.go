package snapshot

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// v1SecurityGroups is how the reader decoded a list output before the
// streamed decoder: encoding/json into a pointer field, plus a check that
// the member is present (exactly named, at the top level) unless the
// object is empty.
func v1SecurityGroups(b []byte) ([]SecurityGroup, error) {
	var v struct{ SecurityGroups *[]SecurityGroup }
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if _, ok := m["SecurityGroups"]; !ok && (m == nil || len(m) > 0) {
		return nil, errMissing // {} is an empty output; null is not an output
	}
	return deref(v.SecurityGroups), nil
}

func deref[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}

var errMissing = &json.UnsupportedValueError{Str: "missing"}

// FuzzDecodeListMatchesEncodingJSON checks the streamed v2 decoder
// against encoding/json on arbitrary security-group outputs: both fail, or
// both succeed with deeply equal values.
func FuzzDecodeListMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}]}`,
		`{"SecurityGroups": []}`,
		`{"SecurityGroups": null}`,
		`{"NextToken": "x", "SecurityGroups": [{"groupid": "sg-2", "GroupId": "sg-3", "GroupId": "sg-4"}]}`,
		`{"securitygroups": [{"GroupId": "a"}], "SecurityGroups": [{"GroupId": "b"}]}`,
		`{"SecurityGroups": [{"GroupName": "caf\xe9 \ud800"}]}`,
		`{"SecurityGroups": [{"IpPermissions": [{"FromPort": 1e2}]}]}`,
		`{"SecurityGroups": [{"IpPermissions": [{"FromPort": -0, "ToPort": null}]}]}`,
		`{"SecurityGroups": [{"Group_Id": "x", "group-id": "y"}]}`,
		`{"SecurityGroups": [{}]} x`,
		`{"SecurityGroups": {}}`,
		`{}`,
		` { } `,
		`null`,
		`[]`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want, werr := v1SecurityGroups(b)
		got, gerr := decodeList[SecurityGroup](bytes.NewReader(b), "SecurityGroups")
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("encoding/json error %v, decodeList error %v on %q", werr, gerr, b)
		}
		if werr == nil && !equalLists(want, got) {
			t.Fatalf("values differ on %q:\nencoding/json %#v\ndecodeList    %#v", b, want, got)
		}
	})
}

// equalLists compares decoded lists, treating nil and empty slices alike
// (no caller distinguishes them).
func equalLists(a, b []SecurityGroup) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return bytes.Equal(ja, jb) || reflect.DeepEqual(a, b)
}
