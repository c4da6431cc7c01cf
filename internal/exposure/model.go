package exposure

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"github.com/sightline-sec/sightline/internal/exposure/netset"
	"github.com/sightline-sec/sightline/internal/netmodel"
)

// vpcInfo is what the engine needs of one network.
type vpcInfo struct {
	id         string
	igw        string   // attached internet gateway ("" if none)
	edgeTables []string // gateway route tables with non-local routes (ingress routing)
}

// subnetInfo is one subnet with its controls resolved.
type subnetInfo struct {
	id      string
	vpc     string
	cidrs   netset.Set
	rt      *rtable
	rtMiss  []string
	acl     *nacl
	aclMiss []string
}

// ipKey finds an endpoint by a private address in its network.
type ipKey struct {
	vpc string
	ip  netip.Addr
}

// regionModel is the compiled network model of one account/region.
type regionModel struct {
	reg       *netmodel.Region
	vpcs      map[string]*vpcInfo
	igwMiss   []string
	subnets   map[string]*subnetInfo
	sgs       map[string]*sg
	sgMiss    []string
	sgSets    map[string]*sgSet // guarded by mu
	policies  map[string]*policy
	enis      map[string]*netmodel.Endpoint
	eniOrder  []string
	eniByIP   map[ipKey]*netmodel.Endpoint
	instances map[string]*netmodel.Host
	vpcCIDRs  map[string]netset.Set // VPC → its IPv4 and IPv6 CIDRs
	primary   map[string]string     // instance → device-index-0 interface
	pools     map[string]*netmodel.Pool

	// mu guards the caches below, filled while interfaces are analysed
	// in parallel. Values are computed outside the lock; when two workers
	// compute the same key, both results are equal and the first is kept.
	mu       sync.Mutex
	direct   map[directKey][]template
	rendered map[string]renderedSources // VPC + source set → Sources text and width
}

// directKey identifies interfaces whose direct results are identical:
// same VPC, route table, network ACL, security groups, policies and
// address families (fleets share all of these, so most interfaces hit the
// cache).
type directKey struct {
	vpc, rt, acl, sgs, pols string
	v4, v6                  bool
}

func prefixSet(ps []netip.Prefix) netset.Set {
	var s netset.Set
	for _, p := range ps {
		s = s.Union(netset.FromPrefix(p))
	}
	return s
}

func newRegionModel(reg *netmodel.Region) (*regionModel, error) {
	m := &regionModel{reg: reg, vpcs: map[string]*vpcInfo{}, subnets: map[string]*subnetInfo{},
		sgs: map[string]*sg{}, sgSets: map[string]*sgSet{}, policies: map[string]*policy{}, enis: map[string]*netmodel.Endpoint{},
		eniByIP: map[ipKey]*netmodel.Endpoint{}, instances: map[string]*netmodel.Host{}, primary: map[string]string{},
		pools: map[string]*netmodel.Pool{}, direct: map[directKey][]template{}, rendered: map[string]renderedSources{}}
	m.vpcCIDRs = map[string]netset.Set{}
	for i := range reg.Networks {
		n := &reg.Networks[i]
		m.vpcs[n.ID] = &vpcInfo{id: n.ID, igw: n.Gateway, edgeTables: n.EdgeTables}
		m.vpcCIDRs[n.ID] = prefixSet(n.Prefixes)
	}
	// Without the networks (their address ranges, which decide the local
	// route) or the gateways, no path from the internet can be told.
	m.igwMiss = append(append([]string{}, reg.Missing.Networks...), reg.Missing.Gateways...)
	m.compileSubnets()
	m.sgMiss = reg.Missing.Groups
	// Groups compile independently (20k groups with 300k rules on the
	// benchmark estate): in parallel, then indexed in model order so that
	// a duplicate id keeps the first.
	compiled := make([]*sg, len(reg.Groups))
	_ = parallel(context.Background(), len(compiled), func(i int) {
		compiled[i] = compileSG(&reg.Groups[i])
	})
	for _, g := range compiled {
		m.sgs[g.id] = g
	}
	for i := range reg.Policies {
		p := compilePolicy(&reg.Policies[i])
		m.policies[p.id] = p
	}
	for i := range reg.Pools {
		m.pools[reg.Pools[i].ID] = &reg.Pools[i]
	}
	m.indexInterfaces()
	return m, nil
}

func (m *regionModel) vpc(id string) *vpcInfo {
	v := m.vpcs[id]
	if v == nil {
		v = &vpcInfo{id: id}
		m.vpcs[id] = v
	}
	return v
}

// compileSubnets compiles route tables and ordered stateless lists and
// attaches them to their subnets (the compiler resolved which applies).
func (m *regionModel) compileSubnets() {
	reg := m.reg
	rts := map[string]*rtable{}
	for i := range reg.RouteTables {
		rt := compileRouteTable(&reg.RouteTables[i])
		rts[rt.id] = rt
	}
	acls := map[string]*nacl{}
	for i := range reg.ACLs {
		n := compileNACL(&reg.ACLs[i])
		acls[n.id] = n
	}
	for i := range reg.Subnets {
		s := &reg.Subnets[i]
		si := &subnetInfo{id: s.ID, vpc: s.Network, cidrs: prefixSet(s.Prefixes), rtMiss: s.RouteMissing, aclMiss: s.ACLMissing}
		if s.RouteTable != "" {
			si.rt = rts[s.RouteTable]
			if si.rt == nil {
				si.rtMiss = append(si.rtMiss, fmt.Sprintf("route table %s of %s not in the model", s.RouteTable, s.ID))
			}
		}
		if s.ACL != "" {
			si.acl = acls[s.ACL]
			if si.acl == nil {
				si.aclMiss = append(si.aclMiss, fmt.Sprintf("network ACL %s of %s not in the model", s.ACL, s.ID))
			}
		}
		if si.rt == nil && len(si.rtMiss) == 0 {
			si.rtMiss = []string{"no route table for " + s.ID}
		}
		if si.acl == nil && len(si.aclMiss) == 0 {
			si.aclMiss = []string{"no network ACL for " + s.ID}
		}
		m.subnets[s.ID] = si
		m.vpc(s.Network) // so that analysis (in parallel) only reads m.vpcs
	}
}

// indexInterfaces indexes endpoints, their hosts' primary endpoints and
// private addresses.
func (m *regionModel) indexInterfaces() {
	reg := m.reg
	for i := range reg.Hosts {
		m.instances[reg.Hosts[i].ID] = &reg.Hosts[i]
	}
	primIdx := map[string]int{}
	for i := range reg.Endpoints {
		e := &reg.Endpoints[i]
		if _, dup := m.enis[e.ID]; dup {
			continue
		}
		m.enis[e.ID] = e
		m.eniOrder = append(m.eniOrder, e.ID)
		if e.Host != "" {
			if cur, ok := primIdx[e.Host]; !ok || e.DeviceIndex < cur {
				primIdx[e.Host], m.primary[e.Host] = e.DeviceIndex, e.ID
			}
		}
		for _, ip := range e.Private {
			m.eniByIP[ipKey{e.Network, ip}] = e
		}
	}
}

// addrList renders addresses for proofs ("none" when empty) without an
// intermediate string per address (it runs once per interface).
func addrList(ips []netip.Addr) string {
	if len(ips) == 0 {
		return "none"
	}
	b := make([]byte, 0, 24*len(ips))
	for i, a := range ips {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = a.AppendTo(b)
	}
	return string(b)
}

// groups resolves (and caches) the aggregate of a list of security groups.
func (m *regionModel) groups(ids []string) *sgSet {
	sorted, key := ids, ""
	if len(ids) == 1 {
		key = ids[0] // the common case: no copy, sort or join
	} else {
		sorted = append([]string{}, ids...)
		sort.Strings(sorted)
		key = strings.Join(sorted, ",")
	}
	m.mu.Lock()
	s, ok := m.sgSets[key]
	m.mu.Unlock()
	if ok {
		return s
	}
	s = &sgSet{ids: sorted, label: strings.Join(sorted, ", ")}
	s.missing = append(s.missing, m.sgMiss...)
	for _, id := range sorted {
		g := m.sgs[id]
		if g == nil {
			if len(m.sgMiss) == 0 {
				s.missing = append(s.missing, fmt.Sprintf("security group %s not in %s", id, m.reg.Origin.Groups))
			}
			continue
		}
		s.groups = append(s.groups, g)
		s.missing = append(s.missing, g.missing...)
		for p := 0; p < nProto; p++ {
			s.inSpace[p] = s.inSpace[p].Union(g.inSpace[p])
			s.outSpace[p] = s.outSpace[p].Union(g.outSpace[p])
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev, ok := m.sgSets[key]; ok {
		return prev
	}
	m.sgSets[key] = s
	return s
}

// renderedSources is a source set as printed: compact CIDRs and width.
type renderedSources struct {
	text  []string
	width string
}

// renderSources renders an exposed source set of an interface in vpc
// (own: the VPC's CIDRs; fold: what Compact may fold in). Interfaces with
// different security groups often admit the same sources, so the
// rendering is cached (a third of the distinct exposed templates on the
// benchmark estate).
func (m *regionModel) renderSources(vpc string, s, own, fold netset.Set) ([]string, string) {
	var b strings.Builder
	b.WriteString(vpc)
	for _, r := range s.Ranges() {
		fmt.Fprintf(&b, "|%x.%x-%x.%x", r.Lo.Hi, r.Lo.Lo, r.Hi.Hi, r.Hi.Lo)
	}
	key := b.String()
	m.mu.Lock()
	r, ok := m.rendered[key]
	m.mu.Unlock()
	if ok {
		return r.text, r.width
	}
	r = renderedSources{s.Compact(fold), width(s, own)}
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev, ok := m.rendered[key]; ok {
		return prev.text, prev.width
	}
	m.rendered[key] = r
	return r.text, r.width
}

func (m *regionModel) cachedDirect(k directKey) ([]template, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.direct[k]
	return t, ok
}

// storeDirect caches t under k unless another worker did first, and
// returns the cached value.
func (m *regionModel) storeDirect(k directKey, t []template) []template {
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev, ok := m.direct[k]; ok {
		return prev
	}
	m.direct[k] = t
	return t
}

// subnetMissing says why a subnet an endpoint or front names is absent.
func (m *regionModel) subnetMissing(subnet, of string) []string {
	if len(m.reg.Missing.Subnets) > 0 {
		return m.reg.Missing.Subnets
	}
	return []string{fmt.Sprintf("subnet %s of %s not in %s", subnet, of, m.reg.Origin.Subnets)}
}

// networkStages is the chain internet → internet gateway → subnet route
// table (return route) → NACL inbound → NACL outbound (return traffic) for
// one subnet and protocol, starting from space start.
func (m *regionModel) networkStages(sub *subnetInfo, p int, start netset.Space) []stage {
	var out []stage
	cur := start
	v := m.vpc(sub.vpc)
	igw := stage{kind: "internet_gateway", id: v.igw, missing: m.igwMiss}
	switch {
	case len(m.igwMiss) > 0:
		cur = netset.Space{}
		igw.id = sub.vpc
	case v.igw == "":
		cur = netset.Space{}
		igw.id = sub.vpc
		igw.why = func(netset.U128, uint16, uint16) string {
			return fmt.Sprintf("%s has no internet gateway attached", sub.vpc)
		}
	case len(v.edgeTables) > 0:
		cur = netset.Space{}
		igw.missing = []string{fmt.Sprintf("ingress routing: %s is edge-associated with %s and sends inbound traffic through an appliance (not modelled)",
			strings.Join(v.edgeTables, ","), v.igw)}
	default:
		igw.why = func(netset.U128, uint16, uint16) string {
			return fmt.Sprintf("%s attached to %s delivers inbound traffic to the subnet", v.igw, sub.vpc)
		}
	}
	igw.space = cur
	out = append(out, igw)

	route := stage{kind: "route_table", id: sub.id, missing: sub.rtMiss}
	if sub.rt == nil || len(sub.rtMiss) > 0 {
		cur = netset.Space{}
	} else {
		route.id = sub.rt.id
		cur = cur.RestrictAddrs(sub.rt.viaIGW(v.igw))
		rt := sub.rt
		route.why = func(a netset.U128, _, _ uint16) string { return rt.explain(a, v.igw) }
	}
	route.space = cur
	out = append(out, route)

	in := stage{kind: "network_acl", id: sub.id, missing: sub.aclMiss}
	out2 := stage{kind: "network_acl", id: sub.id, missing: sub.aclMiss}
	if sub.acl == nil {
		cur = netset.Space{}
		in.space, out2.space = cur, cur
		return append(out, in, out2)
	}
	acl := sub.acl
	in.id, out2.id = acl.id, acl.id
	cur = cur.Intersect(acl.inSpace[p])
	in.space = cur
	in.why = func(a netset.U128, port, _ uint16) string {
		if r := matchRule(acl.in, p, a, port); r != nil {
			return fmt.Sprintf("%s inbound %s: first match for %s %s/%d", acl.id, r, a.Addr(), protoNames[p], port)
		}
		return fmt.Sprintf("%s inbound: no rule matches %s %s/%d (implicit deny)", acl.id, a.Addr(), protoNames[p], port)
	}
	cur = cur.RestrictAddrs(acl.retOut[p])
	out2.space = cur
	out2.why = func(a netset.U128, _, _ uint16) string {
		if acl.retOut[p].Contains(a) {
			for port := uint32(ephemeralLo); port <= ephemeralHi; {
				r := matchRule(acl.out, p, a, uint16(port))
				if r != nil && r.allow {
					return fmt.Sprintf("%s outbound %s: return traffic to %s on ephemeral %s ports allowed", acl.id, r, a.Addr(), protoNames[p])
				}
				if r == nil {
					break
				}
				port = uint32(r.hi) + 1
			}
			return fmt.Sprintf("%s outbound allows return traffic to %s on some ephemeral port", acl.id, a.Addr())
		}
		r := matchRule(acl.out, p, a, ephemeralLo)
		detail := "implicit deny"
		if r != nil {
			detail = "first match " + r.String()
		}
		return fmt.Sprintf("%s outbound: no rule allows return traffic to %s on ephemeral %s ports %d-%d (stateless; %s)",
			acl.id, a.Addr(), protoNames[p], ephemeralLo, ephemeralHi, detail)
	}
	return append(out, in, out2)
}

// sgStage intersects with the aggregate ingress rules of groups.
func sgStage(set *sgSet, p int, cur netset.Space, kind string) stage {
	st := stage{kind: kind, id: set.name(), missing: set.missing}
	st.space = cur.Intersect(set.inSpace[p])
	st.why = func(a netset.U128, lo, hi uint16) string {
		d, _ := set.explainRange(ingress, p, a, lo, hi, "from")
		return d
	}
	return st
}

// universe is the set of internet sources that can address an interface.
func universe(v4, v6 bool) netset.Set {
	var u netset.Set
	if v4 {
		u = u.Union(netset.InternetV4)
	}
	if v6 {
		u = u.Union(netset.InternetV6)
	}
	return u
}

// addrStage keeps the families the resource has a public address in.
func addrStage(kind, id string, u netset.Set, start netset.Space, why string) stage {
	return stage{kind: kind, id: id, space: start.RestrictAddrs(u),
		why: func(netset.U128, uint16, uint16) string { return why }}
}
