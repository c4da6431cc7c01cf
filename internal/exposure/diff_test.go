package exposure

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"testing"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
)

// The differential test builds random VPCs and compares every engine
// verdict with naiveReach, a deliberately simple per-packet evaluator
// written independently of the engine (no set algebra, no shared code):
// it takes one source address, protocol and port and walks internet
// gateway → route table → NACL in → NACL out (return) → security groups,
// and for load balancers the listener side and the LB → target hop.

var (
	diffIters   = flag.Int("diff.iters", 1000, "random VPC configurations in TestDifferential")
	diffSamples = flag.Int("diff.samples", 10, "source addresses (and 6 ports) sampled per configuration")
)

var (
	cidrPool = []string{"0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/1", "52.0.0.0/8", "52.16.0.0/12", "81.2.69.0/24",
		"81.2.69.128/25", "81.2.69.7/32", "8.8.0.0/16", "10.0.0.0/16", "10.0.1.0/24", "10.0.2.0/24", "172.16.0.0/12",
		"34.192.0.0/10", "200.0.0.0/5"}
	cidr6Pool = []string{"::/0", "2000::/3", "2600::/12", "2a05:d018::/32", "2600:1f00::/24", "2a05:d018:1:100::/56", "fd00::/8"}
	portPool  = []int{0, 1, 21, 22, 23, 53, 79, 80, 81, 443, 1023, 1024, 1025, 8080, 32767, 32768, 49151, 49152, 65534, 65535}
)

type gen struct{ r *rand.Rand }

func (g gen) pick(s []string) string { return s[g.r.IntN(len(s))] }
func (g gen) port() int              { return portPool[g.r.IntN(len(portPool))] }
func (g gen) portRange() (int, int) {
	a, b := g.port(), g.port()
	if a > b {
		a, b = b, a
	}
	return a, b
}

func (g gen) protoSG() string  { return []string{"tcp", "udp", "-1", "icmp", "6", "17"}[g.r.IntN(6)] }
func (g gen) protoACL() string { return []string{"6", "17", "-1", "1"}[g.r.IntN(4)] }

func (g gen) aclEntries(egress bool) []snapshot.NetworkAclEntry {
	var out []snapshot.NetworkAclEntry
	used := map[int]bool{}
	for n := g.r.IntN(6); n > 0; n-- {
		num := 1 + g.r.IntN(200)
		if used[num] {
			continue
		}
		used[num] = true
		e := snapshot.NetworkAclEntry{RuleNumber: num, Protocol: g.protoACL(), Egress: egress,
			RuleAction: []string{"allow", "deny"}[g.r.IntN(2)]}
		if g.r.IntN(4) == 0 {
			e.Ipv6CidrBlock = g.pick(cidr6Pool)
		} else {
			e.CidrBlock = g.pick(cidrPool)
		}
		if e.Protocol == "6" || e.Protocol == "17" {
			lo, hi := g.portRange()
			e.PortRange = &snapshot.PortRange{From: &lo, To: &hi}
		}
		out = append(out, e)
	}
	// Usually end with broad allows so that some traffic passes.
	if g.r.IntN(3) > 0 {
		out = append(out, snapshot.NetworkAclEntry{RuleNumber: 500, Protocol: "-1", Egress: egress, RuleAction: "allow", CidrBlock: "0.0.0.0/0"},
			snapshot.NetworkAclEntry{RuleNumber: 501, Protocol: "-1", Egress: egress, RuleAction: "allow", Ipv6CidrBlock: "::/0"})
	}
	return append(out, snapshot.NetworkAclEntry{RuleNumber: 32767, Protocol: "-1", Egress: egress, RuleAction: "deny", CidrBlock: "0.0.0.0/0"},
		snapshot.NetworkAclEntry{RuleNumber: 32768, Protocol: "-1", Egress: egress, RuleAction: "deny", Ipv6CidrBlock: "::/0"})
}

func (g gen) perms(sgIDs []string) []snapshot.IpPermission {
	var out []snapshot.IpPermission
	for n := 1 + g.r.IntN(4); n > 0; n-- {
		p := snapshot.IpPermission{IpProtocol: g.protoSG()}
		if p.IpProtocol != "-1" {
			lo, hi := g.portRange()
			p.FromPort, p.ToPort = &lo, &hi
		}
		switch g.r.IntN(7) {
		case 5, 6:
			p.IpProtocol, p.FromPort, p.ToPort = []string{"-1", "tcp"}[g.r.IntN(2)], nil, nil
			if p.IpProtocol == "tcp" {
				lo, hi := g.portRange()
				if g.r.IntN(2) == 0 {
					lo, hi = 0, 65535
				}
				p.FromPort, p.ToPort = &lo, &hi
			}
			p.IpRanges = append(p.IpRanges, struct {
				CidrIp      string `json:"CidrIp"`
				Description string `json:"Description"`
			}{CidrIp: "0.0.0.0/0"})
			if g.r.IntN(2) == 0 {
				p.UserIdGroupPairs = append(p.UserIdGroupPairs, struct {
					GroupId                string `json:"GroupId"`
					UserId                 string `json:"UserId"`
					VpcId                  string `json:"VpcId"`
					VpcPeeringConnectionId string `json:"VpcPeeringConnectionId"`
				}{GroupId: sgIDs[len(sgIDs)-1]})
			}
		case 0:
			p.Ipv6Ranges = append(p.Ipv6Ranges, struct {
				CidrIpv6    string `json:"CidrIpv6"`
				Description string `json:"Description"`
			}{CidrIpv6: g.pick(cidr6Pool)})
		case 1:
			p.PrefixListIds = append(p.PrefixListIds, struct {
				PrefixListId string `json:"PrefixListId"`
			}{"pl-0diff"})
		case 2:
			p.UserIdGroupPairs = append(p.UserIdGroupPairs, struct {
				GroupId                string `json:"GroupId"`
				UserId                 string `json:"UserId"`
				VpcId                  string `json:"VpcId"`
				VpcPeeringConnectionId string `json:"VpcPeeringConnectionId"`
			}{GroupId: sgIDs[g.r.IntN(len(sgIDs))]})
		default:
			p.IpRanges = append(p.IpRanges, struct {
				CidrIp      string `json:"CidrIp"`
				Description string `json:"Description"`
			}{CidrIp: g.pick(cidrPool)})
		}
		out = append(out, p)
	}
	return out
}

func (g gen) routes(igw bool) []snapshot.Route {
	rs := []snapshot.Route{{DestinationCidrBlock: "10.0.0.0/16", GatewayId: "local", State: "active"},
		{DestinationIpv6CidrBlock: "2a05:d018:1:100::/56", GatewayId: "local", State: "active"}}
	seen := map[string]bool{"10.0.0.0/16": true, "2a05:d018:1:100::/56": true}
	if g.r.IntN(3) > 0 {
		rs = append(rs, snapshot.Route{DestinationCidrBlock: "0.0.0.0/0", GatewayId: "igw-0diff", State: "active"},
			snapshot.Route{DestinationIpv6CidrBlock: "::/0", GatewayId: "igw-0diff", State: "active"})
		seen["0.0.0.0/0"], seen["::/0"] = true, true
	}
	for n := g.r.IntN(5); n > 0; n-- {
		var r snapshot.Route
		r.State = "active"
		var dest string
		switch g.r.IntN(4) {
		case 0:
			r.DestinationIpv6CidrBlock = g.pick(cidr6Pool)
			dest = r.DestinationIpv6CidrBlock
		case 1:
			r.DestinationPrefixListId = "pl-0route"
			dest = "pl"
		default:
			r.DestinationCidrBlock = g.pick(cidrPool)
			dest = r.DestinationCidrBlock
		}
		if seen[dest] {
			continue
		}
		seen[dest] = true
		switch g.r.IntN(6) {
		case 0, 1:
			r.GatewayId = "igw-0diff"
		case 2:
			r.NatGatewayId = "nat-0diff"
		case 3:
			r.VpcPeeringConnectionId = "pcx-0diff"
		case 4:
			r.EgressOnlyInternetGatewayId = "eigw-0diff"
		case 5:
			r.TransitGatewayId = "tgw-0diff"
		}
		if g.r.IntN(8) == 0 {
			r.State = "blackhole"
		}
		rs = append(rs, r)
	}
	return rs
}

// randomRegion builds one random VPC with interfaces and maybe a load balancer.
func randomRegion(r *rand.Rand) *snapshot.Region {
	g := gen{r}
	reg := snapshot.NewRegion("111122223333", "eu-west-1")
	V := "vpc-0diff"
	reg.VPCs = []snapshot.VPC{{VpcId: V, CidrBlock: "10.0.0.0/16"}}
	if r.IntN(10) > 0 {
		reg.InternetGateways = []snapshot.InternetGateway{{InternetGatewayId: "igw-0diff",
			Attachments: []snapshot.GatewayAttachment{{VpcId: V, State: "available"}}}}
	}
	subs := []string{"subnet-0a", "subnet-0b", "subnet-0c"}
	for i, s := range subs {
		reg.Subnets = append(reg.Subnets, snapshot.Subnet{SubnetId: s, VpcId: V, CidrBlock: fmt.Sprintf("10.0.%d.0/24", i+1)})
	}
	reg.RouteTables = []snapshot.RouteTable{{RouteTableId: "rtb-0main", VpcId: V, Routes: g.routes(true),
		Associations: []snapshot.RouteTableAssociation{{Main: true, RouteTableId: "rtb-0main"}}}}
	rt2 := snapshot.RouteTable{RouteTableId: "rtb-0two", VpcId: V, Routes: g.routes(true)}
	for _, s := range subs {
		if r.IntN(2) == 0 {
			rt2.Associations = append(rt2.Associations, snapshot.RouteTableAssociation{SubnetId: s, RouteTableId: "rtb-0two"})
		}
	}
	reg.RouteTables = append(reg.RouteTables, rt2)
	def := snapshot.NetworkAcl{NetworkAclId: "acl-0def", VpcId: V, IsDefault: true, Entries: append(g.aclEntries(false), g.aclEntries(true)...)}
	two := snapshot.NetworkAcl{NetworkAclId: "acl-0two", VpcId: V, Entries: append(g.aclEntries(false), g.aclEntries(true)...)}
	for _, s := range subs {
		as := struct {
			SubnetId     string `json:"SubnetId"`
			NetworkAclId string `json:"NetworkAclId"`
		}{SubnetId: s}
		if r.IntN(2) == 0 {
			as.NetworkAclId = "acl-0two"
			two.Associations = append(two.Associations, as)
		} else {
			as.NetworkAclId = "acl-0def"
			def.Associations = append(def.Associations, as)
		}
	}
	reg.NetworkAcls = []snapshot.NetworkAcl{def, two}
	reg.SetPrefixListEntries("pl-0diff", []snapshot.PrefixListEntry{{Cidr: g.pick(cidrPool)}, {Cidr: g.pick(cidr6Pool)}})
	reg.SetPrefixListEntries("pl-0route", []snapshot.PrefixListEntry{{Cidr: g.pick(cidrPool)}, {Cidr: g.pick(cidrPool)}})
	sgIDs := []string{"sg-0a", "sg-0b", "sg-0c", "sg-0lb"}
	for _, id := range sgIDs {
		s := snapshot.SecurityGroup{GroupId: id, VpcId: V, IpPermissions: g.perms(sgIDs)}
		if r.IntN(3) == 0 {
			s.IpPermissionsEgress = g.perms(sgIDs)
		} else {
			s.IpPermissionsEgress = []snapshot.IpPermission{{IpProtocol: "-1", IpRanges: []struct {
				CidrIp      string `json:"CidrIp"`
				Description string `json:"Description"`
			}{{CidrIp: "0.0.0.0/0"}}}}
		}
		reg.SecurityGroups = append(reg.SecurityGroups, s)
	}
	for i := 0; i < 4; i++ {
		sub := r.IntN(3)
		e := snapshot.NetworkInterface{NetworkInterfaceId: fmt.Sprintf("eni-0d%d", i), SubnetId: subs[sub], VpcId: V,
			PrivateIpAddress: fmt.Sprintf("10.0.%d.%d", sub+1, 10+i), InterfaceType: "interface"}
		e.Attachment = &struct {
			InstanceId  string `json:"InstanceId"`
			DeviceIndex int    `json:"DeviceIndex"`
			Status      string `json:"Status"`
		}{InstanceId: fmt.Sprintf("i-0d%d", i)}
		if r.IntN(2) == 0 {
			e.Association = &snapshot.IPAssociation{PublicIp: fmt.Sprintf("52.16.0.%d", i+1)}
		}
		if r.IntN(3) == 0 {
			e.Ipv6Addresses = append(e.Ipv6Addresses, struct {
				Ipv6Address string `json:"Ipv6Address"`
			}{fmt.Sprintf("2a05:d018:1:1%02d::%d", sub, i+1)})
		}
		for _, k := range r.Perm(3)[:1+r.IntN(2)] {
			e.Groups = append(e.Groups, snapshot.GroupRef{GroupId: sgIDs[k]})
		}
		reg.NetworkInterfaces = append(reg.NetworkInterfaces, e)
	}
	if r.IntN(2) == 0 {
		addLB(g, reg, V, subs)
	}
	return reg
}

func addLB(g gen, reg *snapshot.Region, V string, subs []string) {
	r := g.r
	kind := []string{"application", "network"}[r.IntN(2)]
	arn := "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/" + kind[:3] + "/diff/1"
	if kind == "application" {
		arn = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/diff/1"
	}
	lb := snapshot.LoadBalancer{LoadBalancerArn: arn, Type: kind, VpcId: V, Scheme: "internet-facing", IpAddressType: "ipv4"}
	if r.IntN(5) == 0 {
		lb.Scheme = "internal"
	}
	if r.IntN(3) == 0 {
		lb.IpAddressType = "dualstack"
	}
	lbSubs := r.Perm(3)[:1+r.IntN(2)]
	for _, k := range lbSubs {
		lb.AvailabilityZones = append(lb.AvailabilityZones, snapshot.AvailabilityZone{SubnetId: subs[k]})
		desc := "ELB app/diff/1"
		if kind == "network" {
			desc = "ELB net/diff/1"
		}
		reg.NetworkInterfaces = append(reg.NetworkInterfaces, snapshot.NetworkInterface{NetworkInterfaceId: fmt.Sprintf("eni-0lb%d", k),
			SubnetId: subs[k], VpcId: V, PrivateIpAddress: fmt.Sprintf("10.0.%d.200", k+1), Description: desc, InterfaceType: "interface"})
	}
	if kind == "application" || r.IntN(2) == 0 {
		lb.SecurityGroups = []string{"sg-0lb"}
	}
	reg.LoadBalancers = append(reg.LoadBalancers, lb)
	ttype := []string{"instance", "ip"}[r.IntN(2)]
	tgArn := "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/diff/1"
	tport := g.port()
	proto := "TCP"
	if kind == "application" {
		proto = "HTTP"
	}
	reg.TargetGroups = append(reg.TargetGroups, snapshot.TargetGroup{TargetGroupArn: tgArn, Protocol: proto, Port: tport, VpcId: V,
		TargetType: ttype, LoadBalancerArns: []string{arn}})
	var th []snapshot.TargetHealthDescription
	for i := 0; i < 4; i++ {
		if r.IntN(2) == 0 {
			continue
		}
		var d snapshot.TargetHealthDescription
		if ttype == "instance" {
			d.Target.Id = fmt.Sprintf("i-0d%d", i)
		} else {
			d.Target.Id = reg.NetworkInterfaces[i].PrivateIpAddress
		}
		d.Target.Port = tport
		d.TargetHealth.State = "healthy"
		th = append(th, d)
	}
	reg.SetTargetHealth(tgArn, th)
	if kind == "network" && r.IntN(2) == 0 {
		reg.SetTargetGroupAttributes(tgArn, map[string]string{"preserve_client_ip.enabled": []string{"true", "false"}[r.IntN(2)]})
	}
	lport := g.port()
	li := snapshot.Listener{ListenerArn: arn + "/l1", LoadBalancerArn: arn, Port: lport, Protocol: proto,
		DefaultActions: []snapshot.Action{{Type: "forward", TargetGroupArn: tgArn}}}
	reg.SetListeners(arn, []snapshot.Listener{li})
	if kind == "application" {
		reg.SetRules(li.ListenerArn, nil)
	}
}

// ---- the naive evaluator ------------------------------------------------------

type naive struct{ reg *snapshot.Region }

func contains(cidr string, a netip.Addr) bool {
	p, err := netip.ParsePrefix(cidr)
	return err == nil && p.Addr().Is4() == a.Is4() && p.Contains(a)
}

var publicOK = func() func(netip.Addr) bool {
	bad4 := []string{"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
		"192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4"}
	return func(a netip.Addr) bool {
		if a.Is4() {
			for _, c := range bad4 {
				if contains(c, a) {
					return false
				}
			}
			return true
		}
		return contains("2000::/3", a) && !contains("2001:db8::/32", a)
	}
}()

func protoNum(p string) string {
	switch p {
	case "tcp", "6":
		return "6"
	case "udp", "17":
		return "17"
	case "-1", "all":
		return "-1"
	}
	return "other"
}

func (n naive) subnet(id string) *snapshot.Subnet {
	for i := range n.reg.Subnets {
		if n.reg.Subnets[i].SubnetId == id {
			return &n.reg.Subnets[i]
		}
	}
	return nil
}

func (n naive) routeTable(subnet, vpc string) *snapshot.RouteTable {
	var main *snapshot.RouteTable
	for i := range n.reg.RouteTables {
		t := &n.reg.RouteTables[i]
		for _, as := range t.Associations {
			if as.SubnetId == subnet {
				return t
			}
			if as.Main && t.VpcId == vpc {
				main = t
			}
		}
	}
	return main
}

func (n naive) igw(vpc string) string {
	for _, g := range n.reg.InternetGateways {
		for _, a := range g.Attachments {
			if a.VpcId == vpc && (a.State == "available" || a.State == "attached") {
				return g.InternetGatewayId
			}
		}
	}
	return ""
}

// returnsViaIGW: the longest matching route for dst must be an active
// route to the internet gateway (CIDR routes win ties over prefix lists).
func (n naive) returnsViaIGW(t *snapshot.RouteTable, dst netip.Addr, igw string) bool {
	best, bestPL, ok := -1, true, false
	for _, r := range t.Routes {
		var dests []string
		pl := false
		switch {
		case r.DestinationCidrBlock != "":
			dests = []string{r.DestinationCidrBlock}
		case r.DestinationIpv6CidrBlock != "":
			dests = []string{r.DestinationIpv6CidrBlock}
		case r.DestinationPrefixListId != "":
			pl = true
			es, _ := n.reg.PrefixListEntries(r.DestinationPrefixListId)
			for _, e := range es {
				dests = append(dests, e.Cidr)
			}
		}
		for _, d := range dests {
			if !contains(d, dst) {
				continue
			}
			bits := netip.MustParsePrefix(d).Bits()
			if bits > best || (bits == best && bestPL && !pl) {
				best, bestPL = bits, pl
				ok = r.GatewayId == igw && r.State != "blackhole"
			}
		}
	}
	return ok
}

func (n naive) acl(subnet string) *snapshot.NetworkAcl {
	for i := range n.reg.NetworkAcls {
		for _, as := range n.reg.NetworkAcls[i].Associations {
			if as.SubnetId == subnet {
				return &n.reg.NetworkAcls[i]
			}
		}
	}
	return nil
}

// aclAllows: sort by rule number, first matching entry decides.
func aclAllows(a *snapshot.NetworkAcl, egress bool, proto string, addr netip.Addr, port int) bool {
	var es []snapshot.NetworkAclEntry
	for _, e := range a.Entries {
		if e.Egress == egress {
			es = append(es, e)
		}
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].RuleNumber < es[j].RuleNumber })
	for _, e := range es {
		if e.Protocol != "-1" && e.Protocol != proto {
			continue
		}
		c := e.CidrBlock
		if c == "" {
			c = e.Ipv6CidrBlock
		}
		if !contains(c, addr) {
			continue
		}
		if e.Protocol != "-1" && e.PortRange != nil && (port < *e.PortRange.From || port > *e.PortRange.To) {
			continue
		}
		return e.RuleAction == "allow"
	}
	return false
}

// returnAllowed: some client port in 1024-65535 is allowed back out.
func returnAllowed(a *snapshot.NetworkAcl, egress bool, proto string, addr netip.Addr) bool {
	cands := []int{1024, 65535}
	for _, e := range a.Entries {
		if e.PortRange != nil {
			for _, v := range []int{*e.PortRange.From - 1, *e.PortRange.From, *e.PortRange.To, *e.PortRange.To + 1} {
				if v >= 1024 && v <= 65535 {
					cands = append(cands, v)
				}
			}
		}
	}
	for _, c := range cands {
		if aclAllows(a, egress, proto, addr, c) {
			return true
		}
	}
	return false
}

func (n naive) sg(id string) *snapshot.SecurityGroup {
	for i := range n.reg.SecurityGroups {
		if n.reg.SecurityGroups[i].GroupId == id {
			return &n.reg.SecurityGroups[i]
		}
	}
	return nil
}

// sgAdmits: any rule of any group matches protocol, port and a source
// address (CIDR or prefix-list entry) or, if fromGroups, a referenced group.
func (n naive) sgAdmits(groups []string, egress bool, proto string, addr netip.Addr, hasAddr bool, port int, fromGroups []string) bool {
	for _, id := range groups {
		g := n.sg(id)
		if g == nil {
			continue
		}
		perms := g.IpPermissions
		if egress {
			perms = g.IpPermissionsEgress
		}
		for _, p := range perms {
			pn := protoNum(p.IpProtocol)
			if pn != "-1" && pn != proto {
				continue
			}
			if pn != "-1" && (port < *p.FromPort || port > *p.ToPort) {
				continue
			}
			if hasAddr {
				for _, x := range p.IpRanges {
					if contains(x.CidrIp, addr) {
						return true
					}
				}
				for _, x := range p.Ipv6Ranges {
					if contains(x.CidrIpv6, addr) {
						return true
					}
				}
				for _, x := range p.PrefixListIds {
					es, _ := n.reg.PrefixListEntries(x.PrefixListId)
					for _, e := range es {
						if contains(e.Cidr, addr) {
							return true
						}
					}
				}
			}
			for _, x := range p.UserIdGroupPairs {
				for _, f := range fromGroups {
					if x.GroupId == f {
						return true
					}
				}
			}
		}
	}
	return false
}

func groupsOf(e *snapshot.NetworkInterface) []string {
	var out []string
	for _, g := range e.Groups {
		out = append(out, g.GroupId)
	}
	return out
}

// edge: internet source src reaches a node in subnet with the given
// public families, through igw, return route and NACL, for proto/port.
func (n naive) edge(subnet string, hasV4, hasV6 bool, src netip.Addr, proto string, port int) bool {
	if (src.Is4() && !hasV4) || (src.Is6() && !hasV6) || !publicOK(src) {
		return false
	}
	s := n.subnet(subnet)
	igw := n.igw(s.VpcId)
	if igw == "" {
		return false
	}
	if !n.returnsViaIGW(n.routeTable(subnet, s.VpcId), src, igw) {
		return false
	}
	a := n.acl(subnet)
	return aclAllows(a, false, proto, src, port) && returnAllowed(a, true, proto, src)
}

func (n naive) direct(e *snapshot.NetworkInterface, src netip.Addr, proto string, port int) bool {
	return n.edge(e.SubnetId, e.Association != nil, len(e.Ipv6Addresses) > 0, src, proto, port) &&
		n.sgAdmits(groupsOf(e), false, proto, src, true, port, nil)
}

// viaLB: listener reachable in some LB subnet, then the LB → target hop.
func (n naive) viaLB(lb *snapshot.LoadBalancer, tg *snapshot.TargetGroup, e *snapshot.NetworkInterface, src netip.Addr, port, lport int) bool {
	if lb.Scheme != "internet-facing" {
		return false
	}
	v4, v6 := lb.IpAddressType != "dualstack-without-public-ipv4", lb.IpAddressType != "ipv4"
	front := false
	for _, az := range lb.AvailabilityZones {
		if n.edge(az.SubnetId, v4, v6, src, "6", lport) && (len(lb.SecurityGroups) == 0 || n.sgAdmits(lb.SecurityGroups, false, "6", src, true, lport, nil)) {
			front = true
		}
	}
	if !front {
		return false
	}
	tip := netip.MustParseAddr(e.PrivateIpAddress)
	if len(lb.SecurityGroups) > 0 && !n.sgAdmits(lb.SecurityGroups, true, "6", tip, true, port, groupsOf(e)) {
		return false
	}
	preserve := false
	if lb.Type == "network" {
		preserve = tg.TargetType == "instance"
		if attrs, ok := n.reg.TargetGroupAttributes(tg.TargetGroupArn); ok {
			preserve = attrs["preserve_client_ip.enabled"] == "true"
		}
	}
	ta := n.acl(e.SubnetId)
	if preserve {
		return aclAllows(ta, false, "6", src, port) && returnAllowed(ta, true, "6", src) &&
			n.sgAdmits(groupsOf(e), false, "6", src, true, port, lb.SecurityGroups)
	}
	for _, ni := range n.reg.NetworkInterfaces {
		if ni.Description == "" || ni.Description[:4] != "ELB " {
			continue
		}
		node := netip.MustParseAddr(ni.PrivateIpAddress)
		if ni.SubnetId != e.SubnetId {
			na := n.acl(ni.SubnetId)
			if !aclAllows(na, true, "6", tip, port) || !returnAllowed(na, false, "6", tip) {
				continue
			}
			if !aclAllows(ta, false, "6", node, port) || !returnAllowed(ta, true, "6", node) {
				continue
			}
		}
		if n.sgAdmits(groupsOf(e), false, "6", node, true, port, lb.SecurityGroups) {
			return true
		}
	}
	return false
}

// ---- comparison ----------------------------------------------------------------

func sampleAddrs(r *rand.Rand) []netip.Addr {
	var out []netip.Addr
	for _, c := range append(append([]string{}, cidrPool...), cidr6Pool...) {
		p := netip.MustParsePrefix(c)
		out = append(out, p.Addr())
		// last address of the prefix and the one after it
		b := p.Addr().AsSlice()
		for i := p.Bits(); i < len(b)*8; i++ {
			b[i/8] |= 0x80 >> (i % 8)
		}
		last, _ := netip.AddrFromSlice(b)
		out = append(out, last, last.Next())
	}
	for i := 0; i < 6; i++ {
		out = append(out, netip.AddrFrom4([4]byte{byte(1 + r.IntN(222)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}))
	}
	out = append(out, netip.MustParseAddr("2600:1f00::5"), netip.MustParseAddr("2a05:d018:1:100::9"))
	var ok []netip.Addr
	for _, a := range out {
		if a.IsValid() && publicOK(a) {
			ok = append(ok, a)
		}
	}
	return ok
}

func TestDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(20261127, 7))
	checked, exposedSeen, lbSeen := 0, 0, 0
	for iter := 0; iter < *diffIters; iter++ {
		reg := randomRegion(r)
		res, err := analyzeSnapRegion(context.Background(), reg)
		if err != nil {
			t.Fatalf("iter %d: %v", iter, err)
		}
		checkInvariants(t, res)
		nv := naive{reg}
		addrs := sampleAddrs(r)
		r.Shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
		addrs = addrs[:min(len(addrs), *diffSamples)]
		ports := make([]int, 6)
		for k := range ports {
			ports[k] = portPool[r.IntN(len(portPool))]
		}
		for i := range reg.NetworkInterfaces {
			e := &reg.NetworkInterfaces[i]
			if e.Attachment == nil {
				continue
			}
			for _, proto := range []string{"tcp", "udp"} {
				for _, port := range ports {
					row := find(res, expect{resource: e.Attachment.InstanceId, proto: proto, port: port})
					if row == nil {
						t.Fatalf("iter %d: no result for %s %s/%d", iter, e.Attachment.InstanceId, proto, port)
					}
					for _, a := range addrs {
						want := nv.direct(e, a, protoNum(proto), port)
						got := row.Verdict == Exposed && row.SourceSet.ContainsAddr(a)
						if row.Verdict == Unknown {
							t.Fatalf("iter %d: unknown verdict with complete data: %+v", iter, row)
						}
						checked++
						if want {
							exposedSeen++
						}
						if got != want {
							t.Fatalf("iter %d: %s %s/%d from %s: engine %v, naive %v\nrow %+v", iter, e.NetworkInterfaceId, proto, port, a, got, want, row)
						}
					}
				}
			}
		}
		for i := range reg.LoadBalancers {
			lb := &reg.LoadBalancers[i]
			tg := &reg.TargetGroups[0]
			th, _ := reg.TargetHealth(tg.TargetGroupArn)
			lport := reg.Listeners[0].Port
			// A pass-through (NLB TCP) listener admits exactly the clients
			// some target admits.
			anyTarget := map[netip.Addr]bool{}
			for _, d := range th {
				var e *snapshot.NetworkInterface
				for k := range reg.NetworkInterfaces {
					x := &reg.NetworkInterfaces[k]
					if x.PrivateIpAddress == d.Target.Id || (x.Attachment != nil && x.Attachment.InstanceId == d.Target.Id) {
						e = x
					}
				}
				var row *Result
				for k := range res {
					if res[k].Via == lb.LoadBalancerArn && res[k].Resource == e.Attachment.InstanceId && res[k].FromPort == d.Target.Port {
						row = &res[k]
					}
				}
				for _, a := range addrs {
					want := nv.viaLB(lb, tg, e, a, d.Target.Port, lport)
					anyTarget[a] = anyTarget[a] || want
					got := row != nil && row.Verdict == Exposed && row.SourceSet.ContainsAddr(a)
					checked++
					if want {
						lbSeen++
					}
					if got != want {
						t.Fatalf("iter %d: LB %s → %s port %d from %s: engine %v, naive %v\nrow %+v\nlb %+v", iter, lb.Type, e.NetworkInterfaceId, d.Target.Port, a, got, want, row, lb)
					}
				}
			}
			if lb.Type != "network" || lb.Scheme != "internet-facing" {
				continue
			}
			var lrow *Result
			for k := range res {
				if res[k].Resource == lb.LoadBalancerArn && res[k].Via == "" && res[k].Protocol == "tcp" && res[k].FromPort == lport {
					lrow = &res[k]
				}
			}
			for _, a := range addrs {
				got := lrow != nil && lrow.Verdict == Exposed && lrow.SourceSet.ContainsAddr(a)
				checked++
				if got != anyTarget[a] {
					t.Fatalf("iter %d: NLB listener %d from %s: engine %v, naive (some target admits) %v\nrow %+v", iter, lport, a, got, anyTarget[a], lrow)
				}
			}
		}
	}
	t.Logf("%d configurations, %d (interface|target, protocol, port, source) checks, %d direct and %d via-LB reachable, 0 disagreements",
		*diffIters, checked, exposedSeen, lbSeen)
	if exposedSeen == 0 || lbSeen == 0 {
		t.Fatal("generator never produced a reachable case; the test would prove nothing")
	}
}
