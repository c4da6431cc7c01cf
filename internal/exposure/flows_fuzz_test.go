package exposure

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"testing"

	"github.com/sightline-sec/sightline/internal/netmodel"
)

// zpfx and zaddr parse, giving the zero value for "" (malformed model
// data the engine must survive).
func zpfx(s string) netip.Prefix {
	p, _ := netip.ParsePrefix(s)
	return p
}

func zaddr(s string) netip.Addr {
	a, _ := netip.ParseAddr(s)
	return a
}

// byteSource draws numbers from fuzz input (zero once exhausted), so
// every input decodes to some model.
type byteSource struct {
	b []byte
	i int
}

func (s *byteSource) n(k int) int {
	if k <= 1 {
		return 0
	}
	if s.i >= len(s.b) {
		return 0
	}
	v := int(s.b[s.i])
	s.i++
	if k > 256 && s.i < len(s.b) {
		v = v<<8 | int(s.b[s.i])
		s.i++
	}
	return v % k
}

// randModel decodes an arbitrary region: two networks, a few subnets
// (some naming absent route tables or ACLs), route tables whose targets
// are local, peering, transit, the gateway or blackholes, ACLs and
// security groups with arbitrary rules (references to absent groups
// included), endpoints with IPv4, IPv6 or no addresses, hosts up, down
// or unread, and policies. Addresses come from a small pool so that rules
// and routes hit them.
func randModel(s *byteSource) (*netmodel.Region, []FlowQuery) {
	reg := &netmodel.Region{Account: "111122223333", Name: "eu-west-1",
		Origin: netmodel.Origin{Subnets: "subnets", Groups: "groups", Endpoints: "endpoints", Hosts: "hosts"}}
	pick := func(xs []string) string { return xs[s.n(len(xs))] }
	prefixes := []string{"10.0.0.0/16", "10.1.0.0/16", "10.0.1.0/24", "10.0.2.0/24", "10.1.1.0/24", "10.0.1.8/29", "0.0.0.0/0",
		"10.0.0.0/8", "::/0", "2001:db8:1::/64", "10.1.1.16/28", "192.168.0.0/16", "", "10.0.1.10/16", "::ffff:10.0.0.0/104"}
	addrs := []string{"10.0.1.10", "10.0.1.12", "10.0.2.10", "10.1.1.20", "10.1.1.17", "10.0.3.5", "2001:db8:1::5", "192.168.1.1",
		"", "::ffff:10.0.1.12", "fe80::1%eth0"}
	targets := []string{"local", "pcx-1", "pcx-2", "tgw-1", "igw-a", "igw-b", "nat-1", "eni-fw"}
	vpcs := []string{"vpc-a", "vpc-b"}
	reg.Networks = []netmodel.Network{{ID: "vpc-a", Prefixes: []netip.Prefix{fpfx("10.0.0.0/16")}, Gateway: "igw-a"},
		{ID: "vpc-b", Prefixes: []netip.Prefix{fpfx("10.1.0.0/16")}, Gateway: pick([]string{"igw-b", ""})}}
	nRT := 1 + s.n(3)
	for i := 0; i < nRT; i++ {
		rt := netmodel.RouteTable{ID: fmt.Sprintf("rtb-%d", i)}
		// usually a VPC's table: its local route and a peering route
		if s.n(4) != 0 {
			own, peer := "10.0.0.0/16", "10.1.0.0/16"
			if i%2 == 1 {
				own, peer = peer, own
			}
			rt.Routes = append(rt.Routes, netmodel.Route{Dest: own, Prefix: fpfx(own), Target: "local"},
				netmodel.Route{Dest: peer, Prefix: fpfx(peer), Target: pick([]string{"pcx-1", "pcx-1", "pcx-2", "tgw-1"})})
		}
		for k := 0; k < s.n(4); k++ {
			p := pick(prefixes)
			rt.Routes = append(rt.Routes, netmodel.Route{Dest: p, Prefix: zpfx(p), Target: pick(targets), Blackhole: s.n(6) == 0, FromList: s.n(5) == 0})
		}
		if s.n(16) == 0 {
			rt.Missing = []string{"prefix list pl-1 entries missing"}
		}
		reg.RouteTables = append(reg.RouteTables, rt)
	}
	protos := []netmodel.Protocols{netmodel.TCP, netmodel.UDP, netmodel.AllProtocols, 0}
	ports := []netmodel.Ports{netmodel.AllPorts, {Lo: 5432, Hi: 5432}, {Lo: 1024, Hi: 65535}, {Lo: 0, Hi: 1023}, {Lo: 5000, Hi: 6000}, {Lo: 2000, Hi: 1000}, {Lo: 65535, Hi: 65535}}
	aclRules := func() []netmodel.ACLRule {
		var out []netmodel.ACLRule
		if s.n(3) != 0 { // usually the default list's allow-all at 100
			out = append(out, netmodel.ACLRule{Number: 100, Allow: true, Protocols: netmodel.AllProtocols, ProtoText: "-1", Ports: netmodel.AllPorts, Prefix: fpfx("0.0.0.0/0"), CIDR: "0.0.0.0/0"})
		}
		for k := 0; k < s.n(4); k++ {
			p := pick(prefixes)
			out = append(out, netmodel.ACLRule{Number: 1 + s.n(300), Allow: s.n(3) != 0, Protocols: protos[s.n(len(protos))], ProtoText: "-1",
				Ports: ports[s.n(len(ports))], Prefix: zpfx(p), CIDR: p})
		}
		return out
	}
	nACL := 1 + s.n(3)
	for i := 0; i < nACL; i++ {
		reg.ACLs = append(reg.ACLs, netmodel.ACL{ID: fmt.Sprintf("acl-%d", i), Inbound: aclRules(), Outbound: aclRules()})
	}
	groupIDs := []string{"sg-0", "sg-1", "sg-2", "sg-3", "sg-gone"}
	nGroups := 1 + s.n(4)
	for i := 0; i < nGroups; i++ {
		g := netmodel.Group{ID: groupIDs[i]}
		rules := func() []netmodel.GroupRule {
			var out []netmodel.GroupRule
			for k := 0; k < s.n(4); k++ {
				r := netmodel.GroupRule{Protocols: protos[s.n(len(protos))], Ports: ports[s.n(len(ports))]}
				if s.n(2) == 0 {
					r.Ref = pick(groupIDs)
					r.Source = r.Ref
				} else {
					p := pick(prefixes)
					r.Prefixes, r.Source = []netip.Prefix{zpfx(p)}, p
				}
				out = append(out, r)
			}
			return out
		}
		g.Inbound, g.Outbound = rules(), rules()
		if s.n(2) == 0 { // often a database rule: the port from a group or the VPCs
			r := netmodel.GroupRule{Protocols: netmodel.TCP, Ports: netmodel.Ports{Lo: 5432, Hi: 5432}, Prefixes: []netip.Prefix{fpfx("10.0.0.0/8")}, Source: "10.0.0.0/8"}
			if s.n(2) == 0 {
				r.Prefixes, r.Ref = nil, groupIDs[s.n(nGroups)]
				r.Source = r.Ref
			}
			g.Inbound = append(g.Inbound, r)
		}
		if s.n(3) != 0 { // usually the default egress rule
			g.Outbound = append(g.Outbound, netmodel.GroupRule{Protocols: netmodel.AllProtocols, Ports: netmodel.AllPorts, Prefixes: []netip.Prefix{fpfx("0.0.0.0/0")}, Source: "0.0.0.0/0"})
		}
		if s.n(16) == 0 {
			g.Missing = []string{"prefix list pl-2 entries missing"}
		}
		reg.Groups = append(reg.Groups, g)
	}
	if s.n(30) == 0 {
		reg.Missing.Groups = []string{"groups file missing"}
	}
	reg.Policies = []netmodel.Policy{{ID: "pol-1", Rules: []netmodel.PolicyRule{{Name: "r1", Priority: s.n(3), Allow: s.n(2) == 0,
		Protocols: netmodel.TCP, Ports: ports[s.n(len(ports))], Prefixes: []netip.Prefix{zpfx(pick(prefixes))}}}}}
	subnetIDs := []string{"subnet-0", "subnet-1", "subnet-2", "subnet-3", "subnet-gone"}
	nSub := 1 + s.n(4)
	for i := 0; i < nSub; i++ {
		vpc := s.n(2)
		rt := vpc + 2*s.n(2)
		if rt >= nRT || s.n(10) == 0 {
			rt = s.n(5)
		}
		acl := s.n(nACL)
		if s.n(10) == 0 {
			acl = s.n(5)
		}
		sub := netmodel.Subnet{ID: subnetIDs[i], Network: vpcs[vpc], RouteTable: fmt.Sprintf("rtb-%d", rt), ACL: fmt.Sprintf("acl-%d", acl)}
		if s.n(16) == 0 {
			sub.RouteTable = ""
		}
		if s.n(16) == 0 {
			sub.ACL, sub.ACLMissing = "", []string{"acls file missing"}
		}
		reg.Subnets = append(reg.Subnets, sub)
	}
	hostIDs := []string{"i-0", "i-1", "i-2", ""}
	for i := 0; i < 2; i++ {
		down := s.n(6) == 0
		reg.Hosts = append(reg.Hosts, netmodel.Host{ID: hostIDs[i], State: map[bool]string{true: "stopped", false: "running"}[down], Down: down})
	}
	if s.n(30) == 0 {
		reg.Missing.Hosts = []string{"hosts file missing"}
	}
	var ids []string
	for i := 0; i < 2+s.n(5); i++ {
		sub := s.n(nSub)
		if s.n(12) == 0 {
			sub = s.n(len(subnetIDs))
		}
		e := netmodel.Endpoint{ID: fmt.Sprintf("eni-%d", i), Subnet: subnetIDs[sub], Host: pick(hostIDs)}
		for k := 0; k < s.n(3)+1; k++ {
			if s.n(16) != 0 || k > 0 {
				e.Private = append(e.Private, zaddr(pick(addrs)))
			}
		}
		for k := 0; k < 1+s.n(2); k++ {
			g := s.n(nGroups)
			if s.n(12) == 0 {
				g = s.n(len(groupIDs))
			}
			e.Groups = append(e.Groups, groupIDs[g])
		}
		if s.n(8) == 0 {
			e.Policies = []string{pick([]string{"pol-1", "pol-gone"})}
		}
		reg.Endpoints = append(reg.Endpoints, e)
		ids = append(ids, e.ID)
	}
	end := func() string {
		if s.n(16) == 0 {
			return "eni-nope"
		}
		return pick(ids)
	}
	var qs []FlowQuery
	qports := []int{5432, 5432, 5432, 22, 1024, 5500, 0, 65535}
	for k := 0; k < 1+s.n(12); k++ {
		qs = append(qs, FlowQuery{From: end(), To: end(), Protocol: []netmodel.Protocols{netmodel.TCP, netmodel.TCP, netmodel.UDP}[s.n(3)], Port: qports[s.n(len(qports))]})
	}
	return reg, qs
}

// FuzzFlows: Flows never panics on an arbitrary model, answers every
// query within the verdict contract, and agrees with the per-packet
// reference evaluator.
func FuzzFlows(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 8; i++ {
		b := make([]byte, 200)
		for k := range b {
			b[k] = byte(r.IntN(256))
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		reg, qs := randModel(&byteSource{b: data})
		compareFlows(t, reg, qs)
	})
}

var flowIters = flag.Int("flows.iters", 6000, "models TestFlowsDifferential compares")

// TestFlowsDifferential runs the reference comparison over seeded models
// (6 000 by default, -flows.iters; the fuzzer explores further).
func TestFlowsDifferential(t *testing.T) {
	n := *flowIters
	if testing.Short() {
		n = 300
	}
	counts := map[string]int{}
	flows := 0
	for seed := 0; seed < n; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 11))
		b := make([]byte, 400)
		for k := 0; k < len(b); k += 8 {
			binary.LittleEndian.PutUint64(b[k:], r.Uint64())
		}
		reg, qs := randModel(&byteSource{b: b})
		for _, v := range compareFlows(t, reg, qs) {
			counts[v]++
			flows++
		}
		if t.Failed() {
			t.Fatalf("seed %d", seed)
		}
	}
	// The comparison means something only if every verdict occurs.
	for _, v := range []string{FlowReachable, FlowBlocked, FlowUnknown} {
		if counts[v] < 100 {
			t.Errorf("only %d %s flows: %v", counts[v], v, counts)
		}
	}
	t.Logf("%d models, %d flows compared, verdicts %v", n, flows, counts)
}

func compareFlows(t *testing.T, reg *netmodel.Region, qs []FlowQuery) []string {
	t.Helper()
	fs, err := Flows(context.Background(), reg, qs)
	if err != nil {
		t.Fatalf("Flows: %v", err)
	}
	if len(fs) != len(qs) {
		t.Fatalf("%d flows for %d queries", len(fs), len(qs))
	}
	var verdicts []string
	for i, f := range fs {
		checkFlow(t, f)
		v, blk := naiveFlow(reg, qs[i])
		got := ""
		if f.Blocked != nil {
			got = f.Blocked.Kind + ":" + f.Blocked.ID
		}
		if f.Verdict != v || got != blk {
			t.Fatalf("%+v: Flows says %s %s (%+v, missing %q), reference %s %s", qs[i], f.Verdict, got, f.Blocked, f.Missing, v, blk)
		}
		verdicts = append(verdicts, v)
	}
	return verdicts
}

// ---- reference evaluator -------------------------------------------------

// naiveFlow evaluates one flow packet by packet over the raw model: rules
// scanned in order, routes by longest prefix, no sets and no caches. It
// returns the verdict and, for blocked, "kind:id" of the blocking control.
// It follows the semantics of flows.go independently (docs/exposure.md,
// "Internal flows").
func naiveFlow(reg *netmodel.Region, q FlowQuery) (string, string) {
	ep := func(id string) *netmodel.Endpoint {
		for i := range reg.Endpoints {
			if reg.Endpoints[i].ID == id {
				return &reg.Endpoints[i]
			}
		}
		return nil
	}
	subnet := func(id string) *netmodel.Subnet {
		var out *netmodel.Subnet
		for i := range reg.Subnets {
			if reg.Subnets[i].ID == id {
				out = &reg.Subnets[i] // the model keeps the last
			}
		}
		return out
	}
	src, dst := ep(q.From), ep(q.To)
	valid := func(e *netmodel.Endpoint) []netip.Addr {
		var out []netip.Addr
		for _, a := range e.Private {
			if a.IsValid() {
				out = append(out, a.Unmap().WithZone(""))
			}
		}
		return out
	}
	if src == nil || dst == nil || len(valid(src)) == 0 || len(valid(dst)) == 0 || subnet(src.Subnet) == nil || subnet(dst.Subnet) == nil {
		return FlowUnknown, ""
	}
	d := valid(dst)[0]
	var s netip.Addr
	for _, a := range valid(src) {
		if a.Is4() == d.Is4() {
			s = a
			break
		}
	}
	if !s.IsValid() {
		return FlowBlocked, "network_interface:" + src.ID
	}
	host := func(e *netmodel.Endpoint) (down, missing bool) {
		if e.Host == "" {
			return false, false
		}
		for _, h := range reg.Hosts {
			if h.ID == e.Host {
				return h.Down, false
			}
		}
		return false, len(reg.Missing.Hosts) > 0
	}
	if down, _ := host(src); down {
		return FlowBlocked, "instance:" + src.Host
	}
	port := uint16(q.Port)
	ssub, dsub := subnet(src.Subnet), subnet(dst.Subnet)
	unknown := false
	// result of one control: "" passes, "?" unknown, else the blocker
	var blocked string
	step := func(res string) bool {
		switch res {
		case "":
		case "?":
			unknown = true
		default:
			blocked = res
			return false
		}
		return true
	}
	sgAdmits := func(groups []string, out bool, peer netip.Addr, peerGroups []string) string {
		missing := len(reg.Missing.Groups) > 0
		for _, id := range groups {
			var g *netmodel.Group
			for i := range reg.Groups {
				if reg.Groups[i].ID == id {
					g = &reg.Groups[i] // the model keeps the last
				}
			}
			if g == nil {
				missing = true
				continue
			}
			if len(g.Missing) > 0 {
				missing = true
			}
			rules := g.Inbound
			if out {
				rules = g.Outbound
			}
			for _, r := range rules {
				if !r.Protocols.Has(q.Protocol) || port < r.Ports.Lo || port > r.Ports.Hi {
					continue
				}
				if r.Ref != "" {
					for _, pg := range peerGroups {
						if pg == r.Ref {
							return ""
						}
					}
					continue
				}
				for _, p := range r.Prefixes {
					if prefixHas(p, peer) {
						return ""
					}
				}
			}
		}
		if missing {
			return "?"
		}
		set := append([]string{}, groups...)
		sort.Strings(set)
		return "security_group:" + joinIDs(set)
	}
	acl := func(sub *netmodel.Subnet) *netmodel.ACL {
		var out *netmodel.ACL
		for i := range reg.ACLs {
			if reg.ACLs[i].ID == sub.ACL && sub.ACL != "" {
				out = &reg.ACLs[i]
			}
		}
		return out
	}
	firstMatch := func(rules []netmodel.ACLRule, a netip.Addr, lo, hi uint16) *netmodel.ACLRule {
		rs := append([]netmodel.ACLRule{}, rules...)
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].Number < rs[j].Number })
		for i := range rs {
			r := &rs[i]
			if r.Protocols.Has(q.Protocol) && r.Ports.Lo <= hi && lo <= r.Ports.Hi && lo >= r.Ports.Lo && prefixHas(r.Prefix, a) {
				return r
			}
		}
		return nil
	}
	aclPort := func(sub *netmodel.Subnet, out bool, a netip.Addr) string {
		n := acl(sub)
		if n == nil {
			return "?"
		}
		rules := n.Inbound
		if out {
			rules = n.Outbound
		}
		if r := firstMatch(rules, a, port, port); r != nil && r.Allow {
			return ""
		}
		if len(sub.ACLMissing) > 0 {
			return "?"
		}
		return "network_acl:" + n.ID
	}
	// return traffic: some ephemeral port whose first match allows.
	aclRet := func(sub *netmodel.Subnet, out bool, a netip.Addr) string {
		n := acl(sub)
		if n == nil {
			return "?"
		}
		rules := n.Inbound
		if out {
			rules = n.Outbound
		}
		// the first match changes only at rule port bounds: try each
		cands := []uint16{ephemeralLo, ephemeralHi}
		for _, r := range rules {
			for _, p := range []int{int(r.Ports.Lo), int(r.Ports.Hi), int(r.Ports.Hi) + 1} {
				if p >= ephemeralLo && p <= ephemeralHi {
					cands = append(cands, uint16(p))
				}
			}
		}
		for _, p := range cands {
			if r := firstMatch(rules, a, p, p); r != nil && r.Allow {
				return ""
			}
		}
		if len(sub.ACLMissing) > 0 {
			return "?"
		}
		return "network_acl:" + n.ID
	}
	table := func(sub *netmodel.Subnet) *netmodel.RouteTable {
		if sub.RouteTable == "" || len(sub.RouteMissing) > 0 {
			return nil
		}
		var out *netmodel.RouteTable
		for i := range reg.RouteTables {
			if reg.RouteTables[i].ID == sub.RouteTable {
				out = &reg.RouteTables[i]
			}
		}
		if out != nil && len(out.Missing) > 0 {
			return nil
		}
		return out
	}
	best := func(rt *netmodel.RouteTable, a netip.Addr) *netmodel.Route {
		var b *netmodel.Route
		for i := range rt.Routes {
			r := &rt.Routes[i]
			if !prefixHas(r.Prefix, a) {
				continue
			}
			if b == nil || r.Prefix.Bits() > b.Prefix.Bits() || (r.Prefix.Bits() == b.Prefix.Bits() && b.FromList && !r.FromList) {
				b = r
			}
		}
		return b
	}
	gw := func(vpc string) string {
		for _, n := range reg.Networks {
			if n.ID == vpc {
				return n.Gateway
			}
		}
		return ""
	}
	same := ssub.ID == dsub.ID
	sameVN := ssub.Network == dsub.Network
	var fwd *netmodel.Route
	if !step(sgAdmits(src.Groups, true, d, dst.Groups)) {
		return FlowBlocked, blocked
	}
	if !same {
		if !step(aclPort(ssub, true, d)) {
			return FlowBlocked, blocked
		}
		res := "?"
		if rt := table(ssub); rt != nil {
			r := best(rt, d)
			fwd = r
			switch {
			case r == nil, r.Blackhole, r.Target == "local" && !sameVN, r.Target == gw(ssub.Network) && r.Target != "":
				res = "route_table:" + rt.ID
			case r.Target == "local" && sameVN, len(r.Target) > 4 && r.Target[:4] == "pcx-" && !sameVN:
				res = ""
			}
		}
		if !step(res) {
			return FlowBlocked, blocked
		}
		if !step(aclPort(dsub, false, s)) {
			return FlowBlocked, blocked
		}
	}
	if !step(sgAdmits(dst.Groups, false, s, src.Groups)) {
		return FlowBlocked, blocked
	}
	if len(dst.Policies) > 0 {
		res := ""
		for _, id := range dst.Policies {
			var pol *netmodel.Policy
			for i := range reg.Policies {
				if reg.Policies[i].ID == id {
					pol = &reg.Policies[i]
				}
			}
			if pol == nil || len(pol.Missing) > 0 {
				res = "?" // any policy unread: the stage is unknown
				break
			}
			rs := append([]netmodel.PolicyRule{}, pol.Rules...)
			sort.SliceStable(rs, func(i, j int) bool {
				if rs[i].Priority != rs[j].Priority {
					return rs[i].Priority < rs[j].Priority
				}
				return !rs[i].Allow && rs[j].Allow
			})
			allowed := false
			for _, r := range rs {
				hit := false
				for _, p := range r.Prefixes {
					hit = hit || prefixHas(p, s)
				}
				if r.Protocols.Has(q.Protocol) && port >= r.Ports.Lo && port <= r.Ports.Hi && hit {
					allowed = r.Allow
					break
				}
			}
			if !allowed {
				res = "firewall_policy:" + joinIDs(dst.Policies)
			}
		}
		if !step(res) {
			return FlowBlocked, blocked
		}
	}
	if !same {
		if !step(aclRet(dsub, true, s)) {
			return FlowBlocked, blocked
		}
		res := "?"
		if rt := table(dsub); rt != nil {
			r := best(rt, s)
			switch {
			case r == nil, r.Blackhole, r.Target == "local" && !sameVN, r.Target == gw(dsub.Network) && r.Target != "":
				res = "route_table:" + rt.ID
			case r.Target == "local" && sameVN:
				res = ""
			case !sameVN && fwd != nil && !fwd.Blackhole && len(fwd.Target) > 4 && fwd.Target[:4] == "pcx-" && len(r.Target) > 4 && r.Target[:4] == "pcx-":
				if r.Target == fwd.Target {
					res = ""
				} else {
					res = "route_table:" + rt.ID
				}
			}
		}
		if !step(res) {
			return FlowBlocked, blocked
		}
		if !step(aclRet(ssub, false, d)) {
			return FlowBlocked, blocked
		}
	}
	if down, _ := host(dst); down {
		return FlowBlocked, "instance:" + dst.Host
	}
	_, m1 := host(src)
	_, m2 := host(dst)
	if unknown || m1 || m2 {
		return FlowUnknown, ""
	}
	return FlowReachable, ""
}

// prefixHas is netip's Contains with the model's family rules: an IPv6
// prefix never matches IPv4 traffic (netset removes the IPv4-mapped
// block), an IPv4-mapped prefix (::ffff:a.b.c.d/n) is the IPv4 prefix
// it maps, and — netset's reading of malformed data, which the AWS
// compiler never produces (it rejects bad CIDRs) — the zero Prefix is
// every address.
func prefixHas(p netip.Prefix, a netip.Addr) bool {
	if !p.IsValid() {
		return true
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Addr().Is4() == a.Is4() && p.Masked().Contains(a)
}

func joinIDs(ids []string) string {
	out := ""
	for i, id := range ids {
		if i > 0 {
			out += ", "
		}
		out += id
	}
	return out
}
