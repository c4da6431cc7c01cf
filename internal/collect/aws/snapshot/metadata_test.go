package snapshot

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestInstanceMetadataOptions reads MetadataOptions as describe-instances
// prints them (values of the AWS CLI documentation example,
// awscli/examples/ec2/describe-instances.rst, Apache-2.0), and an instance
// without them (older outputs) as nil, not as zero values that would read
// as "IMDS enabled, no hop limit".
func TestInstanceMetadataOptions(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "ec2"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := `{"Reservations": [{"Instances": [
	  {"InstanceId": "i-1234567890abcdef0",
	   "IamInstanceProfile": {"Arn": "arn:aws:iam::111111111111:instance-profile/AmazonSSMRoleForInstancesQuickSetup", "Id": "111111111111111111111"},
	   "MetadataOptions": {"State": "applied", "HttpTokens": "optional", "HttpPutResponseHopLimit": 1,
	                       "HttpEndpoint": "enabled", "HttpProtocolIpv6": "disabled", "InstanceMetadataTags": "enabled"}},
	  {"InstanceId": "i-0598c7d356eba48d7"}]}]}`
	if err := os.WriteFile(filepath.Join(dir, "ec2", "describe-instances.json"), []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := LoadRegionDir(context.Background(), "123456789012", "us-east-1", dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Instances) != 2 {
		t.Fatalf("%d instances", len(r.Instances))
	}
	mo := r.Instances[0].MetadataOptions
	if mo == nil || mo.State != "applied" || mo.HttpTokens != "optional" || mo.HttpEndpoint != "enabled" ||
		mo.HttpPutResponseHopLimit == nil || *mo.HttpPutResponseHopLimit != 1 {
		t.Errorf("MetadataOptions: %+v", mo)
	}
	if r.Instances[0].IamInstanceProfile == nil || r.Instances[0].IamInstanceProfile.Arn != "arn:aws:iam::111111111111:instance-profile/AmazonSSMRoleForInstancesQuickSetup" {
		t.Errorf("IamInstanceProfile: %+v", r.Instances[0].IamInstanceProfile)
	}
	if r.Instances[1].MetadataOptions != nil {
		t.Errorf("absent MetadataOptions read as %+v", r.Instances[1].MetadataOptions)
	}
}
