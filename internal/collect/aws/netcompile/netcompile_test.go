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
