package exposure

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/netmodel"
)

func pfx(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, x := range s {
		out = append(out, netip.MustParsePrefix(x))
	}
	return out
}

// lbRegion is a small neutral model: one network with an internet
// gateway, a public subnet (route 0.0.0.0/0 and ::/0 to the gateway,
// ACL allowing everything), a front with one listener forwarding to one
// pool whose only target is instance i-t (security group sg-t).
func lbRegion(kind string, lbGroups []string, listener netmodel.Listener, pool netmodel.Pool, targetRules []netmodel.GroupRule) *netmodel.Region {
	allowAll := []netmodel.ACLRule{{Number: 100, Allow: true, Protocols: netmodel.AllProtocols, ProtoText: "-1", Ports: netmodel.AllPorts, Prefix: netip.MustParsePrefix("0.0.0.0/0"), CIDR: "0.0.0.0/0"},
		{Number: 101, Allow: true, Protocols: netmodel.AllProtocols, ProtoText: "-1", Ports: netmodel.AllPorts, Prefix: netip.MustParsePrefix("::/0"), CIDR: "::/0"}}
	r := &netmodel.Region{Account: "111122223333", Name: "eu-west-1",
		Networks:    []netmodel.Network{{ID: "vpc-1", Prefixes: pfx("10.0.0.0/16"), Gateway: "igw-1"}},
		Subnets:     []netmodel.Subnet{{ID: "subnet-1", Network: "vpc-1", Prefixes: pfx("10.0.1.0/24"), RouteTable: "rtb-1", ACL: "acl-1"}},
		RouteTables: []netmodel.RouteTable{{ID: "rtb-1", Routes: []netmodel.Route{{Dest: "10.0.0.0/16", Prefix: netip.MustParsePrefix("10.0.0.0/16"), Target: "local"}, {Dest: "0.0.0.0/0", Prefix: netip.MustParsePrefix("0.0.0.0/0"), Target: "igw-1"}, {Dest: "::/0", Prefix: netip.MustParsePrefix("::/0"), Target: "igw-1"}}}},
		ACLs:        []netmodel.ACL{{ID: "acl-1", Inbound: allowAll, Outbound: allowAll}},
		Groups: []netmodel.Group{
			{ID: "sg-lb", Inbound: []netmodel.GroupRule{{Protocols: netmodel.TCP, Ports: netmodel.Ports{Lo: 443, Hi: 443}, Prefixes: pfx("0.0.0.0/0"), Source: "0.0.0.0/0"}},
				Outbound: []netmodel.GroupRule{{Protocols: netmodel.AllProtocols, Ports: netmodel.AllPorts, Prefixes: pfx("0.0.0.0/0"), Source: "0.0.0.0/0"}}},
			{ID: "sg-t", Inbound: targetRules},
		},
		Endpoints: []netmodel.Endpoint{{ID: "eni-t", Network: "vpc-1", Subnet: "subnet-1", Private: []netip.Addr{netip.MustParseAddr("10.0.1.10")}, Groups: []string{"sg-t"}, Host: "i-t"}},
		Hosts:     []netmodel.Host{{ID: "i-t", State: "running"}},
		Fronts: []netmodel.Front{{ID: "arn:lb", Type: "elbv2_" + kind, Kind: kind, Network: "vpc-1", Public: true, V4: true, Subnets: []string{"subnet-1"},
			Groups: lbGroups, Nodes: []netmodel.Node{{Subnet: "subnet-1", Addr: netip.MustParseAddr("10.0.1.5")}}, Listeners: []netmodel.Listener{listener}}},
	}
	pool.Targets = []netmodel.Target{{Kind: netmodel.TargetHost, ID: "i-t"}}
	pool.Network = "vpc-1"
	r.Pools = []netmodel.Pool{pool}
	return r
}

func analyzeModel(t *testing.T, r *netmodel.Region) []Result {
	t.Helper()
	res, err := AnalyzeRegion(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, res)
	return res
}

// rowOf finds the tcp row of resource at port reached through a front
// (via set) or directly (via "").
func rowOf(res []Result, resource, via string, port int) *Result {
	for i := range res {
		if res[i].Resource == resource && res[i].Via == via && res[i].Protocol == "tcp" && res[i].FromPort <= port && port <= res[i].ToPort {
			return &res[i]
		}
	}
	return nil
}

// TestSourceIPRuleAdmitsNoInternetClient: a listener rule whose source-ip
// condition names private ranges only, or a public range the ALB's
// security group does not admit, blocks its targets (was: unknown with
// nothing in missing).
func TestSourceIPRuleAdmitsNoInternetClient(t *testing.T) {
	for _, c := range []struct{ name, cidrs string }{
		{"private ranges", "10.0.0.0/8,192.168.0.0/16"},
		{"outside the ALB security group", "::/0"}, // sg-lb admits IPv4 only
	} {
		t.Run(c.name, func(t *testing.T) {
			l := netmodel.Listener{ID: "arn:listener", Port: 443, Protocols: []netmodel.Protocols{netmodel.TCP}, Detail: "HTTPS listener on port 443",
				Forwards: []netmodel.Forward{{ID: "arn:rule", Restricted: true, Sources: pfx(strings.Split(c.cidrs, ",")...), Detail: "rule priority 1 forwards to arn:tg when source-ip " + c.cidrs, Pool: "arn:tg"}}}
			res := analyzeModel(t, lbRegion("application", []string{"sg-lb"}, l,
				netmodel.Pool{ID: "arn:tg", Port: 8080, Detail: "HTTP target group"},
				[]netmodel.GroupRule{{Protocols: netmodel.TCP, Ports: netmodel.Ports{Lo: 8080, Hi: 8080}, Ref: "sg-lb", Source: "sg-lb"}}))
			r := rowOf(res, "i-t", "arn:lb", 8080)
			if r == nil || r.Verdict != NotExposed || r.BlockedBy == nil || r.BlockedBy.ID != "arn:rule" {
				t.Fatalf("target row: %+v", r)
			}
		})
	}
}

// TestNLBPassThrough: an internet-facing NLB's TCP listener forwards the
// client's connection (client IP preserved for instance targets), so it is
// exposed only to the clients some target admits; a TLS listener
// terminates at the NLB and stays exposed.
func TestNLBPassThrough(t *testing.T) {
	onlyOffice := []netmodel.GroupRule{{Protocols: netmodel.TCP, Ports: netmodel.Ports{Lo: 443, Hi: 443}, Prefixes: pfx("81.2.69.0/24"), Source: "81.2.69.0/24"}}
	pool := netmodel.Pool{ID: "arn:tg", Port: 443, PreserveClientIP: true, Detail: "TCP target group"}
	for _, c := range []struct {
		name        string
		passThrough bool
		rules       []netmodel.GroupRule
		want        string
		wantSources string
	}{
		{"tcp, target drops every client", true, nil, NotExposed, ""},
		{"tcp, target admits an office range", true, onlyOffice, Exposed, "81.2.69.0/24"},
		{"tls terminates at the NLB", false, nil, Exposed, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := netmodel.Listener{ID: "arn:listener", Port: 443, Protocols: []netmodel.Protocols{netmodel.TCP}, Detail: "TCP listener on port 443",
				PassThrough: c.passThrough, Forwards: []netmodel.Forward{{ID: "arn:listener", Detail: "default action forwards to arn:tg", Pool: "arn:tg"}}}
			res := analyzeModel(t, lbRegion("network", nil, l, pool, c.rules))
			if tr := rowOf(res, "i-t", "arn:lb", 443); tr != nil && testing.Verbose() {
				t.Logf("target row %+v", tr)
			}
			r := rowOf(res, "arn:lb", "", 443)
			if r == nil || r.Verdict != c.want {
				t.Fatalf("listener row: %+v", r)
			}
			if c.wantSources != "" && strings.Join(r.Sources, ",") != c.wantSources {
				t.Fatalf("sources %v, want %s", r.Sources, c.wantSources)
			}
			if c.want == NotExposed && (r.BlockedBy == nil || r.BlockedBy.ID != "i-t") {
				t.Fatalf("blocked_by %+v, want the target", r.BlockedBy)
			}
		})
	}
}

// TestBlockedByPerFamily: IPv6 clients stopped by the network ACL and
// IPv4 clients by the security group: blocked_by_all names both,
// blocked_by stays the IPv4 one.
func TestBlockedByPerFamily(t *testing.T) {
	r := lbRegion("application", nil, netmodel.Listener{}, netmodel.Pool{ID: "arn:tg"},
		[]netmodel.GroupRule{{Protocols: netmodel.TCP, Ports: netmodel.Ports{Lo: 22, Hi: 22}, Prefixes: pfx("::/0"), Source: "::/0"}})
	r.Fronts = nil
	r.ACLs[0].Inbound = r.ACLs[0].Inbound[:1] // IPv4 only: IPv6 falls to the implicit deny
	r.Endpoints[0].PublicV4 = []netip.Addr{netip.MustParseAddr("52.1.2.3")}
	r.Endpoints[0].V6 = []netip.Addr{netip.MustParseAddr("2a05:d018::10")}
	res := analyzeModel(t, r)
	row := rowOf(res, "i-t", "", 22)
	if row == nil || row.Verdict != NotExposed {
		t.Fatalf("row %+v", row)
	}
	if row.BlockedBy.Kind != "security_group" || len(row.BlockedByAll) != 2 ||
		row.BlockedByAll[0].Kind != "security_group" || row.BlockedByAll[1].Kind != "network_acl" {
		t.Fatalf("blocked_by %+v, blocked_by_all %+v", row.BlockedBy, row.BlockedByAll)
	}
	// Without an IPv6 address only IPv4 clients count: no blocked_by_all.
	r.Endpoints[0].V6 = nil
	res = analyzeModel(t, r)
	if row := rowOf(res, "i-t", "", 22); row == nil || row.Verdict != NotExposed || row.BlockedByAll != nil {
		t.Fatalf("IPv4 only: %+v", row)
	}
}
