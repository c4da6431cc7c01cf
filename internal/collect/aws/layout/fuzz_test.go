package layout

import (
	"errors"
	"strings"
	"testing"
)

// FuzzEncodeIDRoundTrip checks that every id maps to a safe file name that
// decodes back to it (or is a marked digest name), and that DecodeID never
// accepts a name EncodeID would not produce.
func FuzzEncodeIDRoundTrip(f *testing.F) {
	for _, s := range []string{"", ".", "..", "pl-123", "a/b:c", "%41", "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3", strings.Repeat("/", 100), "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		enc := EncodeID(id)
		if enc == "." || enc == ".." || strings.ContainsAny(enc, "/\\\x00") || len(enc) > maxEncodedLen {
			t.Fatalf("EncodeID(%q) = %q is not a safe file name", id, enc)
		}
		dec, err := DecodeID(enc)
		if errors.Is(err, ErrHashedID) {
			return
		}
		if err != nil || dec != id {
			t.Fatalf("DecodeID(EncodeID(%q)) = %q, %v", id, dec, err)
		}
		// Any accepted name must be canonical.
		if back, err := DecodeID(id); err == nil && EncodeID(back) != id {
			t.Fatalf("DecodeID accepted non-canonical %q (-> %q -> %q)", id, back, EncodeID(back))
		}
	})
}

// FuzzParseManifest checks that ParseManifest never panics and that every
// manifest it accepts names only valid account and region directories.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"schema":"sightline.aws-snapshot/v1","accounts":[{"account_id":"123456789012"}],"regions":["us-east-1"],"gaps":[]}`))
	f.Add([]byte(`{"schema":"sightline.aws-snapshot/v1","regions":["../x"]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest("m.json", data)
		if err != nil {
			return
		}
		for _, a := range m.Accounts {
			if CheckAccount(a.AccountID) != nil {
				t.Fatalf("accepted account %q", a.AccountID)
			}
		}
		for _, r := range m.Regions {
			if CheckRegion(r) != nil || strings.ContainsAny(r, "/\\.") {
				t.Fatalf("accepted region %q", r)
			}
		}
	})
}
