package netcompile

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/netmodel"
)

// TestBadCIDRNamesFileAndResource: a malformed CIDR is an error naming
// the snapshot file and the resource.
func TestBadCIDRNamesFileAndResource(t *testing.T) {
	reg := snapshot.NewRegion("111122223333", "eu-west-1")
	reg.SecurityGroups = []snapshot.SecurityGroup{{GroupId: "sg-bad", IpPermissions: []snapshot.IpPermission{{IpProtocol: "tcp",
		IpRanges: []struct {
			CidrIp      string `json:"CidrIp"`
			Description string `json:"Description"`
		}{{CidrIp: "10.0.0.0/33"}}}}}}
	_, err := Region(reg)
	if err == nil || !strings.Contains(err.Error(), "ec2/describe-security-groups.json") || !strings.Contains(err.Error(), "sg-bad") {
		t.Fatalf("error %v: want the file and the group named", err)
	}
}

func compileScenario(t *testing.T, name string) *netmodel.Region {
	t.Helper()
	snap, err := snapshot.Load(context.Background(), filepath.Join("..", "..", "..", "..", "testdata", "aws", "scenarios", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile(snap)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Regions) != 1 {
		t.Fatalf("%d regions", len(m.Regions))
	}
	return m.Regions[0]
}

// TestClassicAliases: a classic load balancer is found by name and by ARN.
func TestClassicAliases(t *testing.T) {
	r := compileScenario(t, "classic-elb")
	for _, id := range []string{"legacy-web", "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/legacy-web"} {
		if c, typ, _, ok := r.Lookup(id); !ok || c != "legacy-web" || typ != "elb_classic" {
			t.Errorf("Lookup(%s) = %q %q %v", id, c, typ, ok)
		}
	}
}

// TestNLBListenersPassThrough: NLB TCP listeners are pass-through.
func TestNLBListenersPassThrough(t *testing.T) {
	r := compileScenario(t, "nlb-sg")
	n := 0
	for _, f := range r.Fronts {
		for _, l := range f.Listeners {
			if f.Kind == "network" {
				n++
				if !l.PassThrough && !strings.HasPrefix(l.Detail, "TLS") {
					t.Errorf("%s: %s not pass-through", f.ID, l.Detail)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no NLB listener in nlb-sg")
	}
}

// TestIdleTaskAndEndpointReasons: an ECS task that publishes no port and
// a VPC endpoint's interface are in the model with the reason they have
// no path, so --why can answer not_exposed.
func TestIdleTaskAndEndpointReasons(t *testing.T) {
	reg := snapshot.NewRegion("111122223333", "eu-west-1")
	reg.ECSTasks = []snapshot.ECSTask{{TaskArn: "arn:aws:ecs:eu-west-1:111122223333:task/prod/0a1b2c3d", LastStatus: "RUNNING"}}
	reg.NetworkInterfaces = []snapshot.NetworkInterface{{NetworkInterfaceId: "eni-0vpce", InterfaceType: "vpc_endpoint", PrivateIpAddress: "10.0.1.9"}}
	m, err := Region(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, typ, why, ok := m.Lookup("arn:aws:ecs:eu-west-1:111122223333:task/prod/0a1b2c3d"); !ok || typ != "ecs_task" || !strings.Contains(why, "publishes no port") {
		t.Errorf("task: %q %q %v", typ, why, ok)
	}
	if _, _, why, ok := m.Lookup("eni-0vpce"); !ok || !strings.Contains(why, "VPC endpoint") {
		t.Errorf("endpoint interface: %q %v", why, ok)
	}
}
