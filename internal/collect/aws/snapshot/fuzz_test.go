package snapshot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRegionFiles writes arbitrary bytes as snapshot files and checks the
// reader never panics and every error names the file it came from.
func FuzzRegionFiles(f *testing.F) {
	f.Add(uint8(0), []byte(`{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}]}`))
	f.Add(uint8(1), []byte(`{"arn:aws:x": {"TargetHealthDescriptions": [{"Target": {"Id": "i-1", "Port": 80}}]}}`))
	f.Add(uint8(2), []byte(`{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}]}]}`))
	f.Add(uint8(3), []byte(`{"tasks": [{"taskArn": "t", "attachments": [{"type": "ElasticNetworkInterface", "details": [{"name": "networkInterfaceId", "value": "eni-1"}]}]}]}`))
	f.Add(uint8(4), []byte(`{"Reservations": [{"Instances": [{"InstanceId": "i-1", "NetworkInterfaces": [{"NetworkInterfaceId": "eni-1"}]}]}]}`))
	f.Add(uint8(5), []byte(`{"RouteTables": [{"RouteTableId": "rtb-1", "Routes": [{"DestinationPrefixListId": "pl-1", "GatewayId": "igw-1"}]}]}`))
	ops := []string{"ec2/describe-security-groups.json", "elbv2/describe-target-health.json", "ec2/describe-network-acls.json",
		"ecs/describe-tasks/c.json", "ec2/describe-instances.json", "ec2/describe-route-tables.json",
		"ec2/get-managed-prefix-list-entries.json", "elbv2/describe-listeners.json", "ecs/describe-task-definition.json"}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		rel := ops[int(which)%len(ops)]
		dir := filepath.Join(t.TempDir(), "111122223333", "eu-west-1")
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadRegionDir(context.Background(), "111122223333", "eu-west-1", dir)
		if err != nil && !strings.Contains(err.Error(), strings.Split(filepath.Base(rel), ".")[0]) &&
			!strings.Contains(err.Error(), filepath.Base(filepath.Dir(rel))) {
			t.Fatalf("error does not name %s: %v", rel, err)
		}
	})
}
