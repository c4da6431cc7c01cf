package exposure

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/graph"
)

func analyzeScenario(t *testing.T, name string) []Result {
	t.Helper()
	snap, err := snapshot.Load(context.Background(), filepath.Join("..", "..", "testdata", "aws", "scenarios", name))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := analyzeSnapshot(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, rep.Results)
	return rep.Results
}

// expect describes the verdict wanted for one resource/protocol/port.
type expect struct {
	resource, proto string
	port            int
	via             string // "" direct; else a substring of Via
	verdict         string
	width           string   // for exposed
	in, out         []string // addresses that must / must not be sources
	blockedKind     string   // for not_exposed
	detail          string   // substring of blocked_by.detail or missing
}

func find(rs []Result, e expect) *Result {
	for i := range rs {
		r := &rs[i]
		if r.Resource != e.resource || r.Protocol != e.proto || e.port < r.FromPort || e.port > r.ToPort {
			continue
		}
		if (e.via == "" && r.Via == "") || (e.via != "" && strings.Contains(r.Via, e.via)) {
			return r
		}
	}
	return nil
}

func check(t *testing.T, rs []Result, es []expect) {
	t.Helper()
	for _, e := range es {
		r := find(rs, e)
		if r == nil {
			t.Errorf("%s %s/%d via %q: no result", e.resource, e.proto, e.port, e.via)
			continue
		}
		if r.Verdict != e.verdict {
			t.Errorf("%s %s/%d via %q: verdict %s, want %s (blocked %+v missing %v)", e.resource, e.proto, e.port, e.via, r.Verdict, e.verdict, r.BlockedBy, r.Missing)
			continue
		}
		if e.width != "" && r.Width != e.width {
			t.Errorf("%s %s/%d: width %s, want %s (sources %v)", e.resource, e.proto, e.port, r.Width, e.width, r.Sources)
		}
		for _, a := range e.in {
			if !r.SourceSet.ContainsAddr(netip.MustParseAddr(a)) {
				t.Errorf("%s %s/%d: %s should be a source (%v)", e.resource, e.proto, e.port, a, r.Sources)
			}
		}
		for _, a := range e.out {
			if r.SourceSet.ContainsAddr(netip.MustParseAddr(a)) {
				t.Errorf("%s %s/%d: %s should not be a source (%v)", e.resource, e.proto, e.port, a, r.Sources)
			}
		}
		if e.blockedKind != "" && (r.BlockedBy == nil || r.BlockedBy.Kind != e.blockedKind) {
			t.Errorf("%s %s/%d: blocked by %+v, want kind %s", e.resource, e.proto, e.port, r.BlockedBy, e.blockedKind)
		}
		if e.detail != "" {
			text := strings.Join(r.Missing, " ")
			if r.BlockedBy != nil {
				text += r.BlockedBy.Detail
			}
			if !strings.Contains(text, e.detail) {
				t.Errorf("%s %s/%d: %q does not mention %q", e.resource, e.proto, e.port, text, e.detail)
			}
		}
		if r.Verdict == Exposed && len(r.Path) == 0 {
			t.Errorf("%s %s/%d: exposed without a proof path", e.resource, e.proto, e.port)
		}
	}
}

const (
	albARN = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/web-alb/50dc6c495c0c9188"
	nlbARN = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/net/edge-nlb/3dcb8f47d6e4b2a1"
)

func TestScenarios(t *testing.T) {
	cases := map[string][]expect{
		"public-web": {
			{resource: "i-0web000000000001", proto: "tcp", port: 80, verdict: Exposed, width: Wide, in: []string{"8.8.8.8"}, out: []string{"2600::1", "10.1.2.3"}},
			{resource: "i-0web000000000001", proto: "tcp", port: 22, verdict: Exposed, width: Narrow, in: []string{"81.2.69.7"}, out: []string{"8.8.8.8"}},
			{resource: "i-0web000000000001", proto: "tcp", port: 443, verdict: Exposed, out: []string{"2600::1"}},
			{resource: "i-0web000000000001", proto: "tcp", port: 8080, verdict: NotExposed, blockedKind: "security_group", detail: "no rule admits tcp/444-65535"},
			{resource: "i-0stopped00000001", proto: "tcp", port: 80, verdict: NotExposed, blockedKind: "instance", detail: "stopped"},
		},
		"alb-private": {
			{resource: albARN, proto: "tcp", port: 443, verdict: Exposed, width: Wide},
			{resource: "i-0app000000000001", proto: "tcp", port: 8080, verdict: NotExposed, blockedKind: "network_interface"},
			{resource: "i-0app000000000001", proto: "tcp", port: 8080, via: "web-alb", verdict: Exposed, width: Wide},
			{resource: "i-0adm000000000001", proto: "tcp", port: 9000, via: "web-alb", verdict: Exposed, width: Narrow, in: []string{"81.2.69.1"}, out: []string{"8.8.8.8"}},
		},
		"nacl-deny": {
			{resource: "i-0web000000000001", proto: "tcp", port: 22, verdict: NotExposed, blockedKind: "network_acl", detail: "rule 90 denies tcp 22"},
			{resource: "i-0web000000000001", proto: "tcp", port: 443, verdict: Exposed, width: Narrow, in: []string{"8.8.8.8"}, out: []string{"81.2.69.9"}},
			{resource: "i-0web000000000001", proto: "udp", port: 500, verdict: NotExposed, blockedKind: "network_acl", detail: "return traffic"},
		},
		"sg-reference": {
			{resource: "i-0db0000000000001", proto: "tcp", port: 5432, verdict: NotExposed, blockedKind: "security_group"},
			{resource: "i-0bas000000000001", proto: "tcp", port: 22, verdict: Exposed, width: Narrow},
		},
		"prefix-list": {
			{resource: "i-0api000000000001", proto: "tcp", port: 443, verdict: Exposed, width: Narrow, in: []string{"81.2.69.1", "89.160.20.200"}, out: []string{"89.160.20.1"}},
			{resource: "i-0api000000000001", proto: "tcp", port: 8443, verdict: Unknown, detail: "pl-0partner01"},
		},
		"ipv6-only": {
			{resource: "i-0v6000000000001", proto: "tcp", port: 443, verdict: Exposed, width: Wide, in: []string{"2600:1f00::1"}, out: []string{"8.8.8.8"}},
			{resource: "i-0v6000000000001", proto: "tcp", port: 80, verdict: NotExposed, blockedKind: "security_group"},
			{resource: "i-0v6eg0000000001", proto: "tcp", port: 443, verdict: NotExposed, blockedKind: "route_table", detail: "eigw-"},
		},
		"nlb-no-sg": {
			{resource: nlbARN, proto: "tcp", port: 443, verdict: Exposed, width: Wide},
			{resource: "i-0nlb000000000001", proto: "tcp", port: 443, via: "edge-nlb", verdict: Exposed, width: Wide},
			{resource: "eni-0nlbip001", proto: "tcp", port: 8443, via: "edge-nlb", verdict: Exposed, width: Wide},
			{resource: "eni-0nlbip002", proto: "tcp", port: 9443, via: "edge-nlb", verdict: NotExposed, blockedKind: "security_group"},
		},
		"nlb-sg": {
			{resource: "i-0nsg000000000001", proto: "tcp", port: 443, via: "sg-nlb", verdict: Exposed, width: Narrow, in: []string{"81.2.69.3"}, out: []string{"8.8.8.8"}},
		},
		"ecs-awsvpc": {
			{resource: "arn:aws:ecs:eu-west-1:111122223333:task/prod/0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d", proto: "tcp", port: 8080, verdict: Exposed, width: Wide},
		},
		"ecs-bridge": {
			{resource: "arn:aws:ecs:eu-west-1:111122223333:task/prod/1b2c3d4e5f6a4b7c8d9e0f1a2b3c4d5e", proto: "tcp", port: 32768, verdict: Exposed, width: Wide},
			{resource: "arn:aws:ecs:eu-west-1:111122223333:task/prod/1b2c3d4e5f6a4b7c8d9e0f1a2b3c4d5e", proto: "tcp", port: 9113, verdict: NotExposed, blockedKind: "security_group"},
		},
		"peered-vpc": {
			{resource: "i-0pa0000000000001", proto: "tcp", port: 443, verdict: Exposed, width: Narrow, in: []string{"8.8.8.8"}, out: []string{"81.2.69.1"}},
			{resource: "i-0pb0000000000001", proto: "tcp", port: 443, verdict: NotExposed, blockedKind: "network_interface"},
		},
		"classic-elb": {
			{resource: "legacy-web", proto: "tcp", port: 80, verdict: Exposed, width: Wide},
			{resource: "i-0leg000000000001", proto: "tcp", port: 8000, via: "legacy-web", verdict: Exposed},
		},
		"missing-nacls": {
			{resource: "i-0web000000000001", proto: "tcp", port: 443, verdict: Unknown, detail: "describe-network-acls.json missing"},
			{resource: "i-0prv000000000001", proto: "tcp", port: 443, verdict: NotExposed, blockedKind: "network_interface"},
		},
		"gaps": {
			{resource: "i-0web000000000001", proto: "tcp", port: 443, verdict: Unknown,
				detail: "ec2 describe-network-acls in 111122223333/eu-west-1 not collected (gap in manifest.json): UnauthorizedOperation: You are not authorized"},
			{resource: "111122223333/eu-west-1", proto: "udp", port: 53, verdict: Unknown,
				detail: "ec2 describe-network-interfaces in 111122223333/eu-west-1 not collected (gap in manifest.json): UnauthorizedOperation"},
		},
	}
	for name, es := range cases {
		t.Run(name, func(t *testing.T) {
			check(t, analyzeScenario(t, name), es)
		})
	}
}

// TestPortsPartition checks that the direct results of every interface
// cover each protocol's ports exactly once.
func TestPortsPartition(t *testing.T) {
	for _, name := range []string{"public-web", "nacl-deny", "prefix-list", "ipv6-only"} {
		rs := analyzeScenario(t, name)
		cover := map[string][]int{}
		for _, r := range rs {
			if r.Via != "" || r.ResourceType != "ec2_instance" {
				continue
			}
			k := r.Resource + "/" + r.Protocol
			if cover[k] == nil {
				cover[k] = make([]int, 65536)
			}
			for p := r.FromPort; p <= r.ToPort; p++ {
				cover[k][p]++
			}
		}
		for k, c := range cover {
			for p, n := range c {
				if n != 1 {
					t.Fatalf("%s %s: port %d covered %d times", name, k, p, n)
				}
			}
		}
	}
}

func TestGraph(t *testing.T) {
	snap, err := snapshot.Load(context.Background(), filepath.Join("..", "..", "testdata", "aws", "scenarios", "alb-private"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := analyzeSnapshot(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, rep.Results)
	g := graph.New()
	snap.AddToGraph(g)
	rep.AddToGraph(g)
	n, ok := g.Node("i-0app000000000001")
	if !ok || n.Kind != snapshot.KindInstance || n.Prov == nil || n.Prov.Account != "111122223333" {
		t.Fatalf("instance node %+v", n)
	}
	var viaALB bool
	for _, e := range g.Out("i-0app000000000001", graph.ExposedTo) {
		viaALB = viaALB || (e.Attrs["via"] == albARN && e.Attrs["from_port"] == "8080")
	}
	if !viaALB {
		t.Fatalf("no exposed_to edge via the ALB: %+v", g.Out("i-0app000000000001"))
	}
	if tgs := g.Out(albARN, graph.ForwardsTo); len(tgs) != 2 {
		t.Fatalf("ALB forwards_to edges: %+v", tgs)
	}
}
