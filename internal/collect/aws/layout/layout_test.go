package layout

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestEncodeIDExamples(t *testing.T) {
	cases := map[string]string{
		"pl-0a1b2c":   "pl-0a1b2c",
		"my.bucket_1": "my.bucket_1",
		"..":          "%2E.",
		".hidden":     "%2Ehidden",
		"a/b":         "a%2Fb",
		"100%":        "100%25",
		"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/my-targets/73e2d6bc24d8a067": "arn%3Aaws%3Aelasticloadbalancing%3Aus-east-1%3A123456789012%3Atargetgroup%2Fmy-targets%2F73e2d6bc24d8a067",
		"é": "%C3%A9",
	}
	for in, want := range cases {
		if got := EncodeID(in); got != want {
			t.Errorf("EncodeID(%q) = %q, want %q", in, got, want)
		}
		back, err := DecodeID(want)
		if err != nil || back != in {
			t.Errorf("DecodeID(%q) = %q, %v; want %q", want, back, err, in)
		}
	}
}

func TestEncodeIDLongIsHashed(t *testing.T) {
	long := "arn:aws:ecs:us-east-1:123456789012:task-definition/" + strings.Repeat("f", 255) + ":1"
	enc := EncodeID(long)
	if len(enc) > maxEncodedLen || !strings.Contains(enc, hashMark) {
		t.Fatalf("EncodeID(long) = %q (%d bytes)", enc, len(enc))
	}
	if EncodeID(long+"x") == enc {
		t.Fatal("different long ids share a name")
	}
	if _, err := DecodeID(enc); !errors.Is(err, ErrHashedID) {
		t.Fatalf("DecodeID(hashed) err = %v", err)
	}
}

func TestDecodeIDRejects(t *testing.T) {
	for _, bad := range []string{"a b", "%2", "%zz", "%41", "%2f", ".x", "a/b", "%"} {
		if got, err := DecodeID(bad); err == nil {
			t.Errorf("DecodeID(%q) = %q, want error", bad, got)
		}
	}
}

func TestPathsStayInsideRoot(t *testing.T) {
	root := filepath.Join("snap")
	p, err := ResourcePath(root, "123456789012", "us-east-1", "elbv2", "describe-target-health", "../../../etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p, filepath.Join(root, "123456789012", "us-east-1", "elbv2", "describe-target-health")+string(filepath.Separator)) {
		t.Fatalf("path escaped: %s", p)
	}
	bad := [][4]string{
		{"12345", "us-east-1", "ec2", "describe-vpcs"},
		{"123456789012", "../x", "ec2", "describe-vpcs"},
		{"123456789012", "us-east-1", "EC2", "describe-vpcs"},
		{"123456789012", "us-east-1", "ec2", "../describe-vpcs"},
	}
	for _, b := range bad {
		if _, err := OperationPath(root, b[0], b[1], b[2], b[3]); err == nil {
			t.Errorf("OperationPath(%v) accepted", b)
		}
	}
	if _, err := ResourcePath(root, "123456789012", "global", "s3api", "get-public-access-block", ""); err == nil {
		t.Error("empty id accepted")
	}
	got, err := OperationPath(root, "123456789012", "global", "iam", "get-account-authorization-details")
	if err != nil || got != filepath.Join("snap", "123456789012", "global", "iam", "get-account-authorization-details.json") {
		t.Errorf("OperationPath = %q, %v", got, err)
	}
}

func TestParseManifest(t *testing.T) {
	good := `{"schema":"sightline.aws-snapshot/v1","collected_at":"2024-05-01T00:00:00Z","accounts":[{"account_id":"123456789012"}],"regions":["us-east-1"],"files":3,"gaps":[]}`
	m, err := ParseManifest("manifest.json", []byte(good))
	if err != nil || m.Files != 3 || m.Accounts[0].AccountID != "123456789012" {
		t.Fatalf("ParseManifest = %+v, %v", m, err)
	}
	for _, bad := range []string{`{`, `{"schema":"other"}`,
		`{"schema":"sightline.aws-snapshot/v1","accounts":[{"account_id":"../x"}]}`,
		`{"schema":"sightline.aws-snapshot/v1","regions":["../../x"]}`} {
		if _, err := ParseManifest("m.json", []byte(bad)); err == nil || !strings.Contains(err.Error(), "m.json") {
			t.Errorf("ParseManifest(%s) err = %v", bad, err)
		}
	}
}
