package exposure

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/collect/aws/netcompile"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/netmodel"
)

// Shapes follow the AWS VPC User Guide examples ("Example: VPC with
// servers in private subnets", "VPC peering"): an application VPC
// 10.0.0.0/16 with app and database subnets, a peer VPC 10.1.0.0/16.

func fpfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func faddr(s string) netip.Addr  { return netip.MustParseAddr(s) }

func aclAll(id string) netmodel.ACL {
	rule := func(n int, allow bool, cidr string) netmodel.ACLRule {
		return netmodel.ACLRule{Number: n, Allow: allow, Protocols: netmodel.AllProtocols, ProtoText: "-1", Ports: netmodel.AllPorts, Prefix: fpfx(cidr), CIDR: cidr}
	}
	rules := []netmodel.ACLRule{rule(100, true, "0.0.0.0/0"), rule(32767, false, "0.0.0.0/0")}
	return netmodel.ACL{ID: id, Inbound: rules, Outbound: append([]netmodel.ACLRule{}, rules...)}
}

func aclRule(n int, allow bool, proto netmodel.Protocols, lo, hi uint16, cidr string) netmodel.ACLRule {
	text := "6"
	if proto == netmodel.UDP {
		text = "17"
	}
	return netmodel.ACLRule{Number: n, Allow: allow, Protocols: proto, ProtoText: text, Ports: netmodel.Ports{Lo: lo, Hi: hi}, Prefix: fpfx(cidr), CIDR: cidr}
}

func sgRuleCIDR(proto netmodel.Protocols, lo, hi uint16, cidr string) netmodel.GroupRule {
	return netmodel.GroupRule{Protocols: proto, Ports: netmodel.Ports{Lo: lo, Hi: hi}, Prefixes: []netip.Prefix{fpfx(cidr)}, Source: cidr}
}

func sgRuleRef(proto netmodel.Protocols, lo, hi uint16, ref string) netmodel.GroupRule {
	return netmodel.GroupRule{Protocols: proto, Ports: netmodel.Ports{Lo: lo, Hi: hi}, Ref: ref, Source: ref}
}

var egressAll = []netmodel.GroupRule{sgRuleCIDR(netmodel.AllProtocols, 0, 65535, "0.0.0.0/0")}

func froute(dest, target string) netmodel.Route {
	return netmodel.Route{Dest: dest, Prefix: fpfx(dest), Target: target}
}

// flowRegion is the base model: every control open except the security
// groups, which say who may talk to the database.
func flowRegion() *netmodel.Region {
	return &netmodel.Region{
		Account: "111122223333", Name: "eu-west-1", Source: "test",
		Origin: netmodel.Origin{Subnets: "ec2/describe-subnets.json", Groups: "ec2/describe-security-groups.json",
			Hosts: "ec2/describe-instances.json", Endpoints: "ec2/describe-network-interfaces.json"},
		Networks: []netmodel.Network{
			{ID: "vpc-app", Prefixes: []netip.Prefix{fpfx("10.0.0.0/16")}, Gateway: "igw-app"},
			{ID: "vpc-peer", Prefixes: []netip.Prefix{fpfx("10.1.0.0/16")}, Gateway: "igw-peer"},
		},
		Subnets: []netmodel.Subnet{
			{ID: "subnet-app", Network: "vpc-app", Prefixes: []netip.Prefix{fpfx("10.0.1.0/24")}, RouteTable: "rtb-app", ACL: "acl-app"},
			{ID: "subnet-app2", Network: "vpc-app", Prefixes: []netip.Prefix{fpfx("10.0.2.0/24")}, RouteTable: "rtb-app", ACL: "acl-app"},
			{ID: "subnet-db", Network: "vpc-app", Prefixes: []netip.Prefix{fpfx("10.0.11.0/24")}, RouteTable: "rtb-app", ACL: "acl-db"},
			{ID: "subnet-peer", Network: "vpc-peer", Prefixes: []netip.Prefix{fpfx("10.1.1.0/24")}, RouteTable: "rtb-peer", ACL: "acl-peer"},
		},
		RouteTables: []netmodel.RouteTable{
			{ID: "rtb-app", Routes: []netmodel.Route{froute("10.0.0.0/16", "local"), froute("10.1.0.0/16", "pcx-ab"), froute("0.0.0.0/0", "igw-app")}},
			{ID: "rtb-peer", Routes: []netmodel.Route{froute("10.1.0.0/16", "local"), froute("10.0.0.0/16", "pcx-ab"), froute("0.0.0.0/0", "igw-peer")}},
		},
		ACLs: []netmodel.ACL{aclAll("acl-app"), aclAll("acl-db"), aclAll("acl-peer")},
		Groups: []netmodel.Group{
			{ID: "sg-app", Outbound: egressAll},
			{ID: "sg-web", Outbound: []netmodel.GroupRule{sgRuleCIDR(netmodel.TCP, 443, 443, "0.0.0.0/0")}},
			{ID: "sg-db", Inbound: []netmodel.GroupRule{sgRuleRef(netmodel.TCP, 5432, 5432, "sg-app")}, Outbound: egressAll},
			{ID: "sg-dbcidr", Inbound: []netmodel.GroupRule{sgRuleCIDR(netmodel.TCP, 5432, 5432, "10.0.1.0/24")}, Outbound: egressAll},
			{ID: "sg-peerdb", Inbound: []netmodel.GroupRule{sgRuleRef(netmodel.TCP, 5432, 5432, "sg-app")}, Outbound: egressAll},
		},
		Hosts: []netmodel.Host{{ID: "i-app1", State: "running"}, {ID: "i-app2", State: "running"}, {ID: "i-stopped", State: "stopped", Down: true}},
		Endpoints: []netmodel.Endpoint{
			{ID: "eni-app1", Network: "vpc-app", Subnet: "subnet-app", Private: []netip.Addr{faddr("10.0.1.10")}, Groups: []string{"sg-app"}, Host: "i-app1"},
			{ID: "eni-app1b", Network: "vpc-app", Subnet: "subnet-app", Private: []netip.Addr{faddr("10.0.1.11")}, Groups: []string{"sg-app"}},
			{ID: "eni-app2", Network: "vpc-app", Subnet: "subnet-app2", Private: []netip.Addr{faddr("10.0.2.10")}, Groups: []string{"sg-app"}, Host: "i-app2"},
			{ID: "eni-web", Network: "vpc-app", Subnet: "subnet-app", Private: []netip.Addr{faddr("10.0.1.20")}, Groups: []string{"sg-web"}},
			{ID: "eni-rds", Network: "vpc-app", Subnet: "subnet-db", Private: []netip.Addr{faddr("10.0.11.20")}, Groups: []string{"sg-db"},
				Managed: false, Owner: "arn:aws:rds:eu-west-1:111122223333:db:orders", OwnerType: "rds"},
			{ID: "eni-rdscidr", Network: "vpc-app", Subnet: "subnet-db", Private: []netip.Addr{faddr("10.0.11.21")}, Groups: []string{"sg-dbcidr"}},
			{ID: "eni-rdsapp", Network: "vpc-app", Subnet: "subnet-app", Private: []netip.Addr{faddr("10.0.1.30")}, Groups: []string{"sg-db"}},
			{ID: "eni-peerdb", Network: "vpc-peer", Subnet: "subnet-peer", Private: []netip.Addr{faddr("10.1.1.20")}, Groups: []string{"sg-peerdb"}},
			{ID: "eni-stopped", Network: "vpc-app", Subnet: "subnet-db", Private: []netip.Addr{faddr("10.0.11.30")}, Groups: []string{"sg-db"}, Host: "i-stopped"},
		},
	}
}

func findACL(reg *netmodel.Region, id string) *netmodel.ACL {
	for i := range reg.ACLs {
		if reg.ACLs[i].ID == id {
			return &reg.ACLs[i]
		}
	}
	panic("no ACL " + id)
}

func findRT(reg *netmodel.Region, id string) *netmodel.RouteTable {
	for i := range reg.RouteTables {
		if reg.RouteTables[i].ID == id {
			return &reg.RouteTables[i]
		}
	}
	panic("no route table " + id)
}

func findEndpoint(reg *netmodel.Region, id string) *netmodel.Endpoint {
	for i := range reg.Endpoints {
		if reg.Endpoints[i].ID == id {
			return &reg.Endpoints[i]
		}
	}
	panic("no endpoint " + id)
}

func kinds(h []Hop) string {
	var out []string
	for _, x := range h {
		out = append(out, x.Kind+":"+x.ID)
	}
	return strings.Join(out, " ")
}

func TestFlows(t *testing.T) {
	tcp5432 := func(from, to string) FlowQuery {
		return FlowQuery{From: from, To: to, Protocol: netmodel.TCP, Port: 5432}
	}
	cases := []struct {
		name    string
		edit    func(*netmodel.Region)
		q       FlowQuery
		verdict string
		blocked string // kind:id of the blocking hop
		detail  string // substring of the blocking hop's detail, or of a missing reason
		path    string // kind:id of every hop, in order (reachable)
	}{
		{name: "same subnet: network ACL not evaluated", q: tcp5432("eni-app1", "eni-rdsapp"),
			edit: func(r *netmodel.Region) {
				a := findACL(r, "acl-app")
				a.Inbound, a.Outbound = nil, nil // denies everything, but traffic never leaves the subnet
			},
			verdict: FlowReachable, path: "security_group:sg-app security_group:sg-db"},
		{name: "security group reference admits", q: tcp5432("eni-app1", "eni-rds"), verdict: FlowReachable,
			path: "security_group:sg-app network_acl:acl-app route_table:rtb-app network_acl:acl-db security_group:sg-db " +
				"network_acl:acl-db route_table:rtb-app network_acl:acl-app"},
		{name: "reference to a group the source lacks", q: tcp5432("eni-web", "eni-rds"),
			edit:    func(r *netmodel.Region) { r.Groups[1].Outbound = egressAll },
			verdict: FlowBlocked, blocked: "security_group:sg-db", detail: "no ingress rule admits tcp/5432 from the source address"},
		{name: "CIDR admits", q: tcp5432("eni-app1", "eni-rdscidr"), verdict: FlowReachable,
			path: "security_group:sg-app network_acl:acl-app route_table:rtb-app network_acl:acl-db security_group:sg-dbcidr " +
				"network_acl:acl-db route_table:rtb-app network_acl:acl-app"},
		{name: "CIDR does not cover the source subnet", q: tcp5432("eni-app2", "eni-rdscidr"),
			verdict: FlowBlocked, blocked: "security_group:sg-dbcidr", detail: "admits tcp 5432 from 10.0.1.0/24 only"},
		{name: "egress restricted", q: tcp5432("eni-web", "eni-rdscidr"),
			verdict: FlowBlocked, blocked: "security_group:sg-web", detail: "no egress rule admits tcp/5432 to the destination address (it has no rule for tcp/5432)"},
		{name: "egress to another range only", q: tcp5432("eni-web", "eni-rdscidr"),
			edit: func(r *netmodel.Region) {
				r.Groups[1].Outbound = []netmodel.GroupRule{sgRuleCIDR(netmodel.TCP, 5432, 5432, "10.9.0.0/16")}
			},
			verdict: FlowBlocked, blocked: "security_group:sg-web", detail: "(it admits tcp 5432 to 10.9.0.0/16 only)"},
		{name: "wrong port", q: FlowQuery{From: "eni-app1", To: "eni-rds", Protocol: netmodel.TCP, Port: 5433},
			verdict: FlowBlocked, blocked: "security_group:sg-db", detail: "it has no rule for tcp/5433"},
		{name: "udp is not tcp", q: FlowQuery{From: "eni-app1", To: "eni-rds", Protocol: netmodel.UDP, Port: 5432},
			verdict: FlowBlocked, blocked: "security_group:sg-db"},
		{name: "destination ACL denies the port", q: tcp5432("eni-app1", "eni-rds"),
			edit: func(r *netmodel.Region) {
				a := findACL(r, "acl-db")
				a.Inbound = append([]netmodel.ACLRule{aclRule(90, false, netmodel.TCP, 5432, 5432, "10.0.0.0/16")}, a.Inbound...)
			},
			verdict: FlowBlocked, blocked: "network_acl:acl-db", detail: "acl-db inbound rule 90 denies tcp 5432 (10.0.0.0/16)"},
		{name: "cross-subnet: destination ACL denies the return traffic", q: tcp5432("eni-app1", "eni-rds"),
			edit: func(r *netmodel.Region) {
				a := findACL(r, "acl-db")
				a.Outbound = []netmodel.ACLRule{aclRule(100, true, netmodel.TCP, 0, 1023, "0.0.0.0/0")}
			},
			verdict: FlowBlocked, blocked: "network_acl:acl-db", detail: "acl-db outbound: no rule allows return traffic to the source address on ephemeral tcp ports 1024-65535 (stateless; implicit deny)"},
		{name: "cross-subnet: source ACL denies the return traffic", q: tcp5432("eni-app1", "eni-rds"),
			edit: func(r *netmodel.Region) {
				a := findACL(r, "acl-app")
				a.Inbound = append([]netmodel.ACLRule{aclRule(50, false, netmodel.TCP, 1024, 65535, "10.0.11.0/24")}, a.Inbound...)
			},
			verdict: FlowBlocked, blocked: "network_acl:acl-app", detail: "first match at port 1024: rule 50 denies tcp 1024-65535 (10.0.11.0/24)"},
		{name: "return traffic allowed on part of the ephemeral range", q: tcp5432("eni-app1", "eni-rds"),
			edit: func(r *netmodel.Region) {
				a := findACL(r, "acl-app")
				a.Inbound = []netmodel.ACLRule{aclRule(50, false, netmodel.TCP, 1024, 32767, "10.0.11.0/24"), aclRule(60, true, netmodel.TCP, 32768, 65535, "10.0.0.0/16")}
			},
			verdict: FlowReachable},
		{name: "peering with return route", q: tcp5432("eni-app1", "eni-peerdb"), verdict: FlowReachable,
			path: "security_group:sg-app network_acl:acl-app route_table:rtb-app peering:pcx-ab network_acl:acl-peer security_group:sg-peerdb " +
				"network_acl:acl-peer route_table:rtb-peer network_acl:acl-app"},
		{name: "peering without return route", q: tcp5432("eni-app1", "eni-peerdb"),
			edit: func(r *netmodel.Region) {
				rt := findRT(r, "rtb-peer")
				rt.Routes = []netmodel.Route{froute("10.1.0.0/16", "local"), froute("0.0.0.0/0", "igw-peer")}
			},
			verdict: FlowBlocked, blocked: "route_table:rtb-peer", detail: "the internet gateway, not back to vpc-app"},
		{name: "peering: return route through another connection", q: tcp5432("eni-app1", "eni-peerdb"),
			edit: func(r *netmodel.Region) {
				rt := findRT(r, "rtb-peer")
				rt.Routes = []netmodel.Route{froute("10.1.0.0/16", "local"), froute("10.0.0.0/16", "pcx-other")}
			},
			verdict: FlowBlocked, blocked: "route_table:rtb-peer", detail: "not pcx-ab which carried the request"},
		{name: "no route to the peer: default route to the internet gateway", q: tcp5432("eni-app1", "eni-peerdb"),
			edit: func(r *netmodel.Region) {
				rt := findRT(r, "rtb-app")
				rt.Routes = []netmodel.Route{froute("10.0.0.0/16", "local"), froute("0.0.0.0/0", "igw-app")}
			},
			verdict: FlowBlocked, blocked: "route_table:rtb-app", detail: "0.0.0.0/0 → igw-app, the internet gateway"},
		{name: "blackhole", q: tcp5432("eni-app1", "eni-peerdb"),
			edit:    func(r *netmodel.Region) { findRT(r, "rtb-app").Routes[1].Blackhole = true },
			verdict: FlowBlocked, blocked: "route_table:rtb-app", detail: "10.1.0.0/16 → pcx-ab, which is a blackhole"},
		{name: "transit gateway is unknown", q: tcp5432("eni-app1", "eni-peerdb"),
			edit: func(r *netmodel.Region) {
				findRT(r, "rtb-app").Routes[1].Target = "tgw-0123"
				findRT(r, "rtb-peer").Routes[1].Target = "tgw-0123"
			},
			verdict: FlowUnknown, detail: "10.1.0.0/16 → tgw-0123, a target the model does not follow"},
		{name: "transit gateway, but the destination ACL denies: blocked", q: tcp5432("eni-app1", "eni-peerdb"),
			edit: func(r *netmodel.Region) {
				findRT(r, "rtb-app").Routes[1].Target = "tgw-0123"
				a := findACL(r, "acl-peer")
				a.Inbound = []netmodel.ACLRule{aclRule(10, false, netmodel.TCP, 0, 65535, "0.0.0.0/0")}
			},
			verdict: FlowBlocked, blocked: "network_acl:acl-peer", detail: "rule 10 denies"},
		{name: "middlebox route inside the VPC is unknown", q: tcp5432("eni-app1", "eni-rds"),
			edit: func(r *netmodel.Region) {
				rt := findRT(r, "rtb-app")
				rt.Routes = append(rt.Routes, froute("10.0.11.0/24", "eni-0firewall"))
			},
			verdict: FlowUnknown, detail: "10.0.11.0/24 → eni-0firewall, a target the model does not follow"},
		{name: "missing group is unknown", q: tcp5432("eni-app1", "eni-rds"),
			edit:    func(r *netmodel.Region) { findEndpoint(r, "eni-rds").Groups = []string{"sg-gone"} },
			verdict: FlowUnknown, detail: "security group sg-gone not in ec2/describe-security-groups.json"},
		{name: "missing group but another group admits: reachable", q: tcp5432("eni-app1", "eni-rds"),
			edit:    func(r *netmodel.Region) { findEndpoint(r, "eni-rds").Groups = []string{"sg-gone", "sg-db"} },
			verdict: FlowReachable},
		{name: "missing group, ACL denies: blocked", q: tcp5432("eni-app1", "eni-rds"),
			edit: func(r *netmodel.Region) {
				findEndpoint(r, "eni-rds").Groups = []string{"sg-gone"}
				findACL(r, "acl-db").Inbound = nil
			},
			verdict: FlowBlocked, blocked: "network_acl:acl-db", detail: "implicit deny"},
		{name: "security groups not read", q: tcp5432("eni-app1", "eni-rds"),
			edit: func(r *netmodel.Region) {
				r.Groups = nil
				r.Missing.Groups = []string{"ec2/describe-security-groups.json missing from snap"}
			},
			verdict: FlowUnknown, detail: "ec2/describe-security-groups.json missing from snap"},
		{name: "subnet without a route table", q: tcp5432("eni-app1", "eni-rds"),
			edit:    func(r *netmodel.Region) { r.Subnets[2].RouteTable = "" },
			verdict: FlowUnknown, detail: "no route table for subnet-db"},
		{name: "route table not in the model", q: tcp5432("eni-app1", "eni-rds"),
			edit:    func(r *netmodel.Region) { r.Subnets[0].RouteTable = "rtb-gone" },
			verdict: FlowUnknown, detail: "route table rtb-gone of subnet-app not in the model"},
		{name: "network ACL not read", q: tcp5432("eni-app1", "eni-rds"),
			edit: func(r *netmodel.Region) {
				r.Subnets[2].ACL, r.Subnets[2].ACLMissing = "", []string{"ec2/describe-network-acls.json missing"}
			},
			verdict: FlowUnknown, detail: "ec2/describe-network-acls.json missing"},
		{name: "subnet not in the model", q: tcp5432("eni-app1", "eni-rds"),
			edit:    func(r *netmodel.Region) { findEndpoint(r, "eni-rds").Subnet = "subnet-gone" },
			verdict: FlowUnknown, detail: "subnet subnet-gone of eni-rds not in ec2/describe-subnets.json"},
		{name: "endpoint not in the region", q: tcp5432("eni-app1", "eni-nope"),
			verdict: FlowUnknown, detail: "endpoint eni-nope not in ec2/describe-network-interfaces.json"},
		{name: "stopped destination instance", q: tcp5432("eni-app1", "eni-stopped"),
			verdict: FlowBlocked, blocked: "instance:i-stopped", detail: "is stopped"},
		{name: "stopped source instance", q: tcp5432("eni-app1", "eni-rds"),
			edit:    func(r *netmodel.Region) { r.Hosts[0].State, r.Hosts[0].Down = "stopped", true },
			verdict: FlowBlocked, blocked: "instance:i-app1"},
		{name: "instance states not read", q: tcp5432("eni-app1", "eni-rds"),
			edit: func(r *netmodel.Region) {
				r.Hosts = nil
				r.Missing.Hosts = []string{"ec2/describe-instances.json missing"}
			},
			verdict: FlowUnknown, detail: "ec2/describe-instances.json missing"},
		{name: "IPv6 inside the VPC", q: tcp5432("eni-app1", "eni-rds"),
			edit: func(r *netmodel.Region) {
				findRT(r, "rtb-app").Routes = append(findRT(r, "rtb-app").Routes, froute("2a05:d018:1234:5600::/56", "local"))
				for _, a := range []*netmodel.ACL{findACL(r, "acl-app"), findACL(r, "acl-db")} {
					for _, dir := range []*[]netmodel.ACLRule{&a.Inbound, &a.Outbound} {
						*dir = append([]netmodel.ACLRule{{Number: 101, Allow: true, Protocols: netmodel.AllProtocols, ProtoText: "-1", Ports: netmodel.AllPorts, Prefix: fpfx("::/0"), CIDR: "::/0"}}, *dir...)
					}
				}
				r.Groups[0].Outbound = append(r.Groups[0].Outbound, sgRuleCIDR(netmodel.AllProtocols, 0, 65535, "::/0"))
				findEndpoint(r, "eni-app1").Private = append(findEndpoint(r, "eni-app1").Private, faddr("2a05:d018:1234:5601::10"))
				findEndpoint(r, "eni-rds").Private = []netip.Addr{faddr("2a05:d018:1234:5611::20")}
			},
			verdict: FlowReachable,
			path: "security_group:sg-app network_acl:acl-app route_table:rtb-app network_acl:acl-db security_group:sg-db " +
				"network_acl:acl-db route_table:rtb-app network_acl:acl-app"},
		{name: "IPv6 destination, IPv4-only source", q: tcp5432("eni-app1", "eni-rds"),
			edit: func(r *netmodel.Region) {
				findEndpoint(r, "eni-rds").Private = []netip.Addr{faddr("2a05:d018:1234:5611::20")}
			},
			verdict: FlowBlocked, blocked: "network_interface:eni-app1", detail: "has no private IPv6 address"},
		{name: "IPv6: the ACL admits IPv4 only", q: tcp5432("eni-app1", "eni-rds"),
			edit: func(r *netmodel.Region) {
				findRT(r, "rtb-app").Routes = append(findRT(r, "rtb-app").Routes, froute("2a05:d018:1234:5600::/56", "local"))
				r.Groups[0].Outbound = append(r.Groups[0].Outbound, sgRuleCIDR(netmodel.AllProtocols, 0, 65535, "::/0"))
				findEndpoint(r, "eni-app1").Private = []netip.Addr{faddr("2a05:d018:1234:5601::10")}
				findEndpoint(r, "eni-rds").Private = []netip.Addr{faddr("2a05:d018:1234:5611::20")}
			},
			verdict: FlowBlocked, blocked: "network_acl:acl-app", detail: "acl-app outbound: no rule matches tcp/5432 to the destination address (implicit deny)"},
		{name: "destination policy denies", q: tcp5432("eni-app1", "eni-rds"),
			edit: func(r *netmodel.Region) {
				r.Policies = []netmodel.Policy{{ID: "nsg-db", Rules: []netmodel.PolicyRule{
					{Name: "deny-app", Priority: 100, Protocols: netmodel.TCP, Ports: netmodel.AllPorts, Prefixes: []netip.Prefix{fpfx("10.0.1.0/24")}},
					{Name: "allow-vnet", Priority: 200, Allow: true, Protocols: netmodel.TCP, Ports: netmodel.AllPorts, Prefixes: []netip.Prefix{fpfx("10.0.0.0/8")}}}}}
				findEndpoint(r, "eni-rds").Policies = []string{"nsg-db"}
			},
			verdict: FlowBlocked, blocked: "firewall_policy:nsg-db"},
		{name: "destination policy allows", q: tcp5432("eni-app2", "eni-rds"),
			edit: func(r *netmodel.Region) {
				r.Policies = []netmodel.Policy{{ID: "nsg-db", Rules: []netmodel.PolicyRule{
					{Name: "deny-app", Priority: 100, Protocols: netmodel.TCP, Ports: netmodel.AllPorts, Prefixes: []netip.Prefix{fpfx("10.0.1.0/24")}},
					{Name: "allow-vnet", Priority: 200, Allow: true, Protocols: netmodel.TCP, Ports: netmodel.AllPorts, Prefixes: []netip.Prefix{fpfx("10.0.0.0/8")}}}}}
				findEndpoint(r, "eni-rds").Policies = []string{"nsg-db"}
			},
			verdict: FlowReachable,
			path: "security_group:sg-app network_acl:acl-app route_table:rtb-app network_acl:acl-db security_group:sg-db firewall_policy:nsg-db " +
				"network_acl:acl-db route_table:rtb-app network_acl:acl-app"},
		{name: "destination policy not in the model", q: tcp5432("eni-app2", "eni-rds"),
			edit:    func(r *netmodel.Region) { findEndpoint(r, "eni-rds").Policies = []string{"nsg-gone"} },
			verdict: FlowUnknown, detail: "policy nsg-gone not in the model"},
		{name: "overlapping ranges: local route keeps it", q: tcp5432("eni-app1", "eni-peerdb"),
			edit: func(r *netmodel.Region) {
				findEndpoint(r, "eni-peerdb").Private = []netip.Addr{faddr("10.0.3.20")}
			},
			verdict: FlowBlocked, blocked: "route_table:rtb-app", detail: "matches the local route 10.0.0.0/16 of vpc-app"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg := flowRegion()
			if tc.edit != nil {
				tc.edit(reg)
			}
			fs, err := Flows(context.Background(), reg, []FlowQuery{tc.q})
			if err != nil {
				t.Fatal(err)
			}
			f := fs[0]
			checkFlow(t, f)
			if f.Verdict != tc.verdict {
				t.Fatalf("verdict %s, want %s (blocked %+v, missing %q, path %s)", f.Verdict, tc.verdict, f.Blocked, f.Missing, kinds(f.Path))
			}
			if tc.blocked != "" {
				if got := f.Blocked.Kind + ":" + f.Blocked.ID; got != tc.blocked {
					t.Errorf("blocked by %s (%s), want %s", got, f.Blocked.Detail, tc.blocked)
				}
			}
			if tc.detail != "" {
				text := strings.Join(f.Missing, "\n")
				if f.Blocked != nil {
					text = f.Blocked.Detail
				}
				if !strings.Contains(text, tc.detail) {
					t.Errorf("detail %q does not say %q", text, tc.detail)
				}
			}
			if tc.path != "" && kinds(f.Path) != tc.path {
				t.Errorf("path\n  %s\nwant\n  %s", kinds(f.Path), tc.path)
			}
		})
	}
}

// checkFlow fails on a flow that breaks the verdict contract.
func checkFlow(t testing.TB, f Flow) {
	t.Helper()
	switch f.Verdict {
	case FlowReachable:
		if f.Blocked != nil || len(f.Missing) > 0 || len(f.Path) == 0 {
			t.Fatalf("reachable flow with blocked %+v / missing %q / path %v", f.Blocked, f.Missing, f.Path)
		}
	case FlowBlocked:
		if f.Blocked == nil || f.Blocked.Kind == "" || f.Blocked.Detail == "" {
			t.Fatalf("blocked flow without its control: %+v", f)
		}
	case FlowUnknown:
		if f.Blocked != nil || len(f.Missing) == 0 {
			t.Fatalf("unknown flow without missing data: %+v", f)
		}
		for _, m := range f.Missing {
			if m == "" {
				t.Fatalf("empty missing reason: %+v", f)
			}
		}
	default:
		t.Fatalf("bad verdict %q", f.Verdict)
	}
	if f.Path == nil || f.Missing == nil {
		t.Fatalf("nil path or missing: %+v", f)
	}
}

// TestFlowsNamesTheAdmittingRule: the proof names the rule, by reference
// or by CIDR, and the addresses evaluated.
func TestFlowsNamesTheAdmittingRule(t *testing.T) {
	fs, err := Flows(context.Background(), flowRegion(), []FlowQuery{
		{From: "eni-app1", To: "eni-rds", Protocol: netmodel.TCP, Port: 5432},
		{From: "eni-app1", To: "eni-rdscidr", Protocol: netmodel.TCP, Port: 5432},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"sg-db allows tcp 5432 from sg-app", "sg-dbcidr allows tcp 5432 from 10.0.1.0/24"}
	for i, f := range fs {
		found := false
		for _, h := range f.Path {
			if h.Kind == "security_group" && h.Detail == want[i] {
				found = true
			}
		}
		if !found {
			t.Errorf("%s → %s: no hop %q in %+v", f.From, f.To, want[i], f.Path)
		}
		if f.FromAddr != faddr("10.0.1.10") {
			t.Errorf("%s → %s: from address %s", f.From, f.To, f.FromAddr)
		}
	}
	if fs[0].ToAddr != faddr("10.0.11.20") {
		t.Errorf("to address %s", fs[0].ToAddr)
	}
}

// TestFlowsSharedPlanDifferentAddresses: endpoints with the same subnet
// and groups share a plan, yet a rule on part of the subnet tells them
// apart (the cache keys on rules, not on the plan alone).
func TestFlowsSharedPlanDifferentAddresses(t *testing.T) {
	reg := flowRegion()
	for i := range reg.Groups {
		if reg.Groups[i].ID == "sg-dbcidr" {
			reg.Groups[i].Inbound = []netmodel.GroupRule{sgRuleCIDR(netmodel.TCP, 5432, 5432, "10.0.1.10/32")}
		}
	}
	fs, err := Flows(context.Background(), reg, []FlowQuery{
		{From: "eni-app1", To: "eni-rdscidr", Protocol: netmodel.TCP, Port: 5432},
		{From: "eni-app1b", To: "eni-rdscidr", Protocol: netmodel.TCP, Port: 5432},
		{From: "eni-app1", To: "eni-rdscidr", Protocol: netmodel.TCP, Port: 5432},
	})
	if err != nil {
		t.Fatal(err)
	}
	if fs[0].Verdict != FlowReachable || fs[1].Verdict != FlowBlocked || fs[2].Verdict != FlowReachable {
		t.Fatalf("verdicts %s %s %s, want reachable blocked reachable", fs[0].Verdict, fs[1].Verdict, fs[2].Verdict)
	}
}

// TestFlowsReturnRouteFollowsTheRequest: two destinations in one peer
// subnet, one reached through a more specific route to another peering
// connection; the return route (the same for both) matches only the
// other's request. Asked in one batch, in both orders: the return-route
// proof is cached per request route, not per subnet pair.
func TestFlowsReturnRouteFollowsTheRequest(t *testing.T) {
	reg := flowRegion()
	rt := findRT(reg, "rtb-app")
	rt.Routes = append(rt.Routes, froute("10.1.1.16/28", "pcx-other"))
	reg.Endpoints = append(reg.Endpoints, netmodel.Endpoint{ID: "eni-peerdb2", Network: "vpc-peer", Subnet: "subnet-peer",
		Private: []netip.Addr{faddr("10.1.1.40")}, Groups: []string{"sg-peerdb"}})
	a := FlowQuery{From: "eni-app1", To: "eni-peerdb2", Protocol: netmodel.TCP, Port: 5432} // 10.1.0.0/16 → pcx-ab
	b := FlowQuery{From: "eni-app1", To: "eni-peerdb", Protocol: netmodel.TCP, Port: 5432}  // 10.1.1.16/28 → pcx-other
	for _, qs := range [][]FlowQuery{{a, b}, {b, a}} {
		fs, err := Flows(context.Background(), reg, qs)
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range fs {
			checkFlow(t, f)
			want := FlowReachable
			if qs[i] == b {
				want = FlowBlocked
				if f.Blocked == nil || f.Blocked.ID != "rtb-peer" || !strings.Contains(f.Blocked.Detail, "not pcx-other which carried the request") {
					t.Errorf("%s: blocked by %+v, want rtb-peer's return route", f.To, f.Blocked)
				}
			}
			if f.Verdict != want {
				t.Errorf("%s: %s, want %s", f.To, f.Verdict, want)
			}
		}
	}
}

func TestFlowsBadQuery(t *testing.T) {
	for _, q := range []FlowQuery{
		{From: "eni-app1", To: "eni-rds", Protocol: netmodel.AllProtocols, Port: 5432},
		{From: "eni-app1", To: "eni-rds", Protocol: 0, Port: 5432},
		{From: "eni-app1", To: "eni-rds", Protocol: netmodel.TCP, Port: 65536},
		{From: "eni-app1", To: "eni-rds", Protocol: netmodel.TCP, Port: -1},
	} {
		_, err := Flows(context.Background(), flowRegion(), []FlowQuery{{From: "a", To: "b", Protocol: netmodel.TCP}, q})
		if err == nil || !strings.Contains(err.Error(), "flow query 1 (eni-app1 → eni-rds)") {
			t.Errorf("%+v: error %v, want one naming query 1", q, err)
		}
	}
}

func TestFlowsTo(t *testing.T) {
	fs, err := FlowsTo(context.Background(), flowRegion(), "eni-rds", netmodel.TCP, 5432)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range fs {
		checkFlow(t, f)
		got[f.From] = f.Verdict
	}
	want := map[string]string{"eni-app1": FlowReachable, "eni-app1b": FlowReachable, "eni-app2": FlowReachable,
		"eni-web": FlowBlocked, "eni-rdscidr": FlowBlocked, "eni-rdsapp": FlowBlocked, "eni-peerdb": FlowBlocked, "eni-stopped": FlowBlocked}
	if len(got) != len(want) {
		t.Errorf("got %d sources, want %d: %v", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s → eni-rds: %s, want %s", k, got[k], v)
		}
	}
}

// TestFlowsScenarios evaluates flows on the AWS CLI JSON scenarios that
// the internet analysis uses (testdata/aws/scenarios, written by
// make_scenarios.py from the AWS CLI documentation's shapes), compiled by
// the real AWS compiler.
func TestFlowsScenarios(t *testing.T) {
	load := func(name string) *netmodel.Region {
		t.Helper()
		reg, err := snapshot.LoadRegionDir(context.Background(), "111122223333", "eu-west-1",
			filepath.Join("..", "..", "testdata", "aws", "scenarios", name, "111122223333", "eu-west-1"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := netcompile.Region(reg)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	cases := []struct {
		scenario string
		q        FlowQuery
		verdict  string
		blocked  string
		detail   string
	}{
		// sg-0db admits tcp/5432 from sg-0bastion; the two are in different public subnets.
		{"sg-reference", FlowQuery{From: "eni-0bas0001", To: "eni-0db00001", Protocol: netmodel.TCP, Port: 5432}, FlowReachable, "", "sg-0db allows tcp 5432 from sg-0bastion"},
		{"sg-reference", FlowQuery{From: "eni-0bas0001", To: "eni-0db00001", Protocol: netmodel.TCP, Port: 5433}, FlowBlocked, "security_group:sg-0db", ""},
		{"sg-reference", FlowQuery{From: "eni-0db00001", To: "eni-0bas0001", Protocol: netmodel.TCP, Port: 22}, FlowBlocked, "security_group:sg-0bastion", "admits tcp 22 from 81.2.69.0/24 only"},
		// The public route table sends 10.1.0.0/16 to the internet gateway: no route to the peer.
		{"peered-vpc", FlowQuery{From: "eni-0pa00001", To: "eni-0pb00001", Protocol: netmodel.TCP, Port: 443}, FlowBlocked, "route_table:rtb-0public01", "the internet gateway"},
		// The peer's main table routes everything over the peering, but the reply takes the default route to the internet gateway.
		{"peered-vpc", FlowQuery{From: "eni-0pb00001", To: "eni-0pa00001", Protocol: netmodel.TCP, Port: 443}, FlowBlocked, "route_table:rtb-0public01", "not back to vpc-0b1b2c3d4e5f60002"},
		// Network ACLs not collected: cross-subnet flows are unknown, naming the file.
		{"missing-nacls", FlowQuery{From: "eni-0web0001", To: "eni-0prv0001", Protocol: netmodel.TCP, Port: 443}, FlowUnknown, "", "describe-network-acls"},
	}
	for _, tc := range cases {
		fs, err := Flows(context.Background(), load(tc.scenario), []FlowQuery{tc.q})
		if err != nil {
			t.Fatal(err)
		}
		f := fs[0]
		checkFlow(t, f)
		if f.Verdict != tc.verdict {
			t.Errorf("%s %s → %s %d: %s, want %s (%+v %q)", tc.scenario, tc.q.From, tc.q.To, tc.q.Port, f.Verdict, tc.verdict, f.Blocked, f.Missing)
			continue
		}
		if tc.blocked != "" && f.Blocked.Kind+":"+f.Blocked.ID != tc.blocked {
			t.Errorf("%s %s → %s: blocked by %+v, want %s", tc.scenario, tc.q.From, tc.q.To, f.Blocked, tc.blocked)
		}
		if tc.detail != "" {
			var all []string
			for _, h := range f.Path {
				all = append(all, h.Detail)
			}
			if f.Blocked != nil {
				all = append(all, f.Blocked.Detail)
			}
			all = append(all, f.Missing...)
			if !strings.Contains(strings.Join(all, "\n"), tc.detail) {
				t.Errorf("%s %s → %s: proof does not say %q: %q", tc.scenario, tc.q.From, tc.q.To, tc.detail, all)
			}
		}
	}
}

// TestFlowsCancelled: a cancelled context is an error, not partial answers.
func TestFlowsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	qs := make([]FlowQuery, 5000)
	for i := range qs {
		qs[i] = FlowQuery{From: "eni-app1", To: "eni-rds", Protocol: netmodel.TCP, Port: 5432}
	}
	if fs, err := Flows(ctx, flowRegion(), qs); err == nil {
		t.Fatalf("no error, %d flows", len(fs))
	}
}
