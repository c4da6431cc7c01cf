package exposure

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/exposure/netset"
)

// vpcInfo is what the engine needs of one VPC.
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

// regionModel is the compiled network model of one account/region.
type regionModel struct {
	reg       *snapshot.Region
	vpcs      map[string]*vpcInfo
	igwMiss   []string
	subnets   map[string]*subnetInfo
	sgs       map[string]*sg
	sgMiss    []string
	sgSets    map[string]*sgSet // guarded by mu
	enis      map[string]*snapshot.NetworkInterface
	eniOrder  []string
	eniByIP   map[string]*snapshot.NetworkInterface // "vpc|ip"
	eipByENI  map[string][]string
	instances map[string]*snapshot.Instance
	vpcCIDRs  map[string]netset.Set                   // VPC → its IPv4 and IPv6 CIDRs
	primary   map[string]string                       // instance → device-index-0 interface
	lbENIs    map[string][]*snapshot.NetworkInterface // by description ("ELB app/…")

	// mu guards the caches below, filled while interfaces are analysed
	// in parallel. Values are computed outside the lock; when two workers
	// compute the same key, both results are equal and the first is kept.
	mu       sync.Mutex
	direct   map[directKey][]template
	rendered map[string]renderedSources // VPC + source set → Sources text and width

	targetGroups map[string]*snapshot.TargetGroup
	listeners    map[string][]*snapshot.Listener // by load balancer ARN
}

// directKey identifies interfaces whose direct results are identical:
// same VPC, route table, network ACL, security groups and address
// families (fleets share all of these, so most interfaces hit the cache).
type directKey struct {
	vpc, rt, acl, sgs string
	v4, v6            bool
}

func newRegionModel(reg *snapshot.Region) (*regionModel, error) {
	m := &regionModel{reg: reg, vpcs: map[string]*vpcInfo{}, subnets: map[string]*subnetInfo{},
		sgs: map[string]*sg{}, sgSets: map[string]*sgSet{}, enis: map[string]*snapshot.NetworkInterface{},
		eniByIP: map[string]*snapshot.NetworkInterface{}, eipByENI: map[string][]string{},
		instances: map[string]*snapshot.Instance{}, primary: map[string]string{},
		lbENIs: map[string][]*snapshot.NetworkInterface{}, direct: map[directKey][]template{},
		rendered: map[string]renderedSources{}}
	m.vpcCIDRs = map[string]netset.Set{}
	for i := range reg.VPCs {
		v := &reg.VPCs[i]
		m.vpcs[v.VpcId] = &vpcInfo{id: v.VpcId}
		cidrs := []string{v.CidrBlock}
		for _, c := range v.CidrBlockAssociationSet {
			cidrs = append(cidrs, c.CidrBlock)
		}
		for _, c := range v.Ipv6CidrBlockAssociationSet {
			cidrs = append(cidrs, c.Ipv6CidrBlock)
		}
		var set netset.Set
		for _, c := range cidrs {
			if c == "" {
				continue
			}
			x, err := parseCIDR(c, "VPC "+v.VpcId)
			if err != nil {
				return nil, err
			}
			set = set.Union(x)
		}
		m.vpcCIDRs[v.VpcId] = set
	}
	if !reg.Has("ec2/describe-internet-gateways") {
		m.igwMiss = []string{reg.Missing("ec2/describe-internet-gateways", "")}
	}
	// VPC User Guide, "Internet gateways": a VPC has at most one attached
	// internet gateway; attachment state "available" means attached.
	for _, g := range reg.InternetGateways {
		for _, a := range g.Attachments {
			if a.State == "available" || a.State == "attached" {
				m.vpc(a.VpcId).igw = g.InternetGatewayId
			}
		}
	}
	if err := m.compileSubnets(); err != nil {
		return nil, err
	}
	if !reg.Has("ec2/describe-security-groups") {
		m.sgMiss = []string{reg.Missing("ec2/describe-security-groups", "")}
	}
	// Groups compile independently (20k groups with 300k rules on the
	// benchmark estate): in parallel, then indexed in snapshot order so
	// that a duplicate id and the first error are what a sequential pass
	// would give.
	compiled := make([]*sg, len(reg.SecurityGroups))
	errs := make([]error, len(reg.SecurityGroups))
	_ = parallel(context.Background(), len(compiled), func(i int) {
		compiled[i], errs[i] = compileSG(&reg.SecurityGroups[i], reg)
	})
	for i, g := range compiled {
		if errs[i] != nil {
			return nil, errs[i]
		}
		m.sgs[g.id] = g
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

// compileSubnets resolves each subnet's route table and network ACL.
// VPC User Guide, "Route tables": a subnet without an explicit association
// uses the VPC's main route table; "Network ACLs": each subnet is
// associated with exactly one network ACL, the VPC's default one unless
// explicitly associated with another.
func (m *regionModel) compileSubnets() error {
	reg := m.reg
	rts := map[string]*rtable{}
	explicit, mainRT := map[string]string{}, map[string]string{}
	for i := range reg.RouteTables {
		t := &reg.RouteTables[i]
		rt, err := compileRouteTable(t, reg)
		if err != nil {
			return err
		}
		rts[t.RouteTableId] = rt
		for _, a := range t.Associations {
			if a.AssociationState != nil && a.AssociationState.State != "" && a.AssociationState.State != "associated" {
				continue
			}
			switch {
			case a.Main:
				mainRT[t.VpcId] = t.RouteTableId
			case a.SubnetId != "":
				explicit[a.SubnetId] = t.RouteTableId
			case a.GatewayId != "":
				// Ingress routing (VPC User Guide, "Gateway route tables"):
				// a table edge-associated with the internet gateway may
				// send inbound traffic through a middlebox we cannot see.
				for _, r := range rt.routes {
					if r.target != "local" {
						v := m.vpc(t.VpcId)
						v.edgeTables = append(v.edgeTables, t.RouteTableId)
						break
					}
				}
			}
		}
	}
	acls, explicitACL, defACL := map[string]*nacl{}, map[string]string{}, map[string]string{}
	for i := range reg.NetworkAcls {
		a := &reg.NetworkAcls[i]
		n, err := compileNACL(a)
		if err != nil {
			return err
		}
		acls[a.NetworkAclId] = n
		if a.IsDefault {
			defACL[a.VpcId] = a.NetworkAclId
		}
		for _, as := range a.Associations {
			if as.SubnetId != "" {
				explicitACL[as.SubnetId] = a.NetworkAclId
			}
		}
	}
	for i := range reg.Subnets {
		s := &reg.Subnets[i]
		si := &subnetInfo{id: s.SubnetId, vpc: s.VpcId}
		for _, c := range append([]string{s.CidrBlock}, v6cidrs(s)...) {
			if c == "" {
				continue
			}
			set, err := parseCIDR(c, "subnet "+s.SubnetId)
			if err != nil {
				return err
			}
			si.cidrs = si.cidrs.Union(set)
		}
		switch id := firstNonEmpty(explicit[s.SubnetId], mainRT[s.VpcId]); {
		case !reg.Has("ec2/describe-route-tables"):
			si.rtMiss = []string{reg.Missing("ec2/describe-route-tables", "")}
		case id == "":
			si.rtMiss = []string{fmt.Sprintf("no route table (explicit or main) for %s in ec2/describe-route-tables.json", s.SubnetId)}
		default:
			si.rt = rts[id]
			si.rtMiss = si.rt.missing
		}
		switch id := firstNonEmpty(explicitACL[s.SubnetId], defACL[s.VpcId]); {
		case !reg.Has("ec2/describe-network-acls"):
			si.aclMiss = []string{reg.Missing("ec2/describe-network-acls", "")}
		case id == "":
			si.aclMiss = []string{fmt.Sprintf("no network ACL for %s in ec2/describe-network-acls.json", s.SubnetId)}
		default:
			si.acl = acls[id]
		}
		m.subnets[s.SubnetId] = si
		m.vpc(s.VpcId) // so that analysis (in parallel) only reads m.vpcs
	}
	return nil
}

func v6cidrs(s *snapshot.Subnet) []string {
	var out []string
	for _, a := range s.Ipv6CidrBlockAssociationSet {
		out = append(out, a.Ipv6CidrBlock)
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// indexInterfaces merges describe-network-interfaces with the interfaces
// nested in describe-instances (used alone when the former is absent).
func (m *regionModel) indexInterfaces() {
	reg := m.reg
	for i := range reg.NetworkInterfaces {
		e := &reg.NetworkInterfaces[i]
		m.enis[e.NetworkInterfaceId] = e
		m.eniOrder = append(m.eniOrder, e.NetworkInterfaceId)
	}
	for i := range reg.Instances {
		in := &reg.Instances[i]
		m.instances[in.InstanceId] = in
		for j := range in.NetworkInterfaces {
			e := &in.NetworkInterfaces[j]
			if _, ok := m.enis[e.NetworkInterfaceId]; ok || e.NetworkInterfaceId == "" {
				continue
			}
			if e.Attachment == nil {
				e.Attachment = &struct {
					InstanceId  string `json:"InstanceId"`
					DeviceIndex int    `json:"DeviceIndex"`
					Status      string `json:"Status"`
				}{}
			}
			e.Attachment.InstanceId = in.InstanceId
			if e.VpcId == "" {
				e.VpcId = in.VpcId
			}
			m.enis[e.NetworkInterfaceId] = e
			m.eniOrder = append(m.eniOrder, e.NetworkInterfaceId)
		}
	}
	primIdx := map[string]int{}
	for _, id := range m.eniOrder {
		e := m.enis[id]
		if e.Attachment != nil && e.Attachment.InstanceId != "" {
			inst := e.Attachment.InstanceId
			if cur, ok := primIdx[inst]; !ok || e.Attachment.DeviceIndex < cur {
				primIdx[inst], m.primary[inst] = e.Attachment.DeviceIndex, id
			}
		}
		if strings.HasPrefix(e.Description, "ELB ") {
			m.lbENIs[e.Description] = append(m.lbENIs[e.Description], e)
		}
		for _, ip := range privateIPs(e) {
			m.eniByIP[e.VpcId+"|"+ip] = e
		}
	}
	for _, a := range reg.Addresses {
		if a.NetworkInterfaceId != "" && a.PublicIp != "" {
			m.eipByENI[a.NetworkInterfaceId] = append(m.eipByENI[a.NetworkInterfaceId], a.PublicIp)
		}
	}
}

func privateIPs(e *snapshot.NetworkInterface) []string {
	out := []string{}
	if e.PrivateIpAddress != "" {
		out = append(out, e.PrivateIpAddress)
	}
	for _, p := range e.PrivateIpAddresses {
		if p.PrivateIpAddress != "" && p.PrivateIpAddress != e.PrivateIpAddress {
			out = append(out, p.PrivateIpAddress)
		}
	}
	return out
}

// publicAddrs returns the interface's public IPv4 addresses (public IP or
// Elastic IP on any private address) and IPv6 addresses. VPC User Guide,
// "IP addressing": an instance reachable from the internet over IPv4 needs
// a public IPv4 or Elastic IP address mapped to a private one; IPv6
// addresses are globally unique and reachable through an internet gateway.
func (m *regionModel) publicAddrs(e *snapshot.NetworkInterface) (v4, v6 []string) {
	add := func(ip string) {
		if ip != "" && !slices.Contains(v4, ip) { // a handful of addresses at most
			v4 = append(v4, ip)
		}
	}
	if e.Association != nil {
		add(e.Association.PublicIp)
	}
	for _, p := range e.PrivateIpAddresses {
		if p.Association != nil {
			add(p.Association.PublicIp)
		}
	}
	for _, ip := range m.eipByENI[e.NetworkInterfaceId] {
		add(ip)
	}
	for _, a := range e.Ipv6Addresses {
		if a.Ipv6Address != "" {
			v6 = append(v6, a.Ipv6Address)
		}
	}
	return v4, v6
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
				s.missing = append(s.missing, fmt.Sprintf("security group %s not in %s/ec2/describe-security-groups.json", id, m.reg.Dir))
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

func eniGroupIDs(e *snapshot.NetworkInterface) []string {
	out := make([]string, 0, len(e.Groups))
	for _, g := range e.Groups {
		out = append(out, g.GroupId)
	}
	return out
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

func ipList(ips []string) string {
	if len(ips) == 0 {
		return "none"
	}
	return strings.Join(ips, ", ")
}

func mustAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	return a, err == nil
}
