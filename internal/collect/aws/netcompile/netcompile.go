// Package netcompile compiles an AWS snapshot (internal/collect/aws/snapshot)
// into the provider-neutral network model (internal/netmodel) that the
// exposure engine evaluates. Everything AWS-specific about reading the
// network lives here: which route table and network ACL a subnet uses,
// prefix lists, Elastic IPs, ECS task networking, load balancer
// listeners, rules, target groups and client IP preservation, and the
// reasons (file, manifest gap) for whatever could not be read.
package netcompile

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/netmodel"
)

// Compile compiles every account/region of a snapshot except the global
// pseudo-region.
func Compile(snap *snapshot.Snapshot) (*netmodel.Model, error) {
	m := &netmodel.Model{}
	for _, reg := range snap.Regions {
		if reg.Name == "global" {
			continue
		}
		r, err := Region(reg)
		if err != nil {
			return nil, fmt.Errorf("compiling %s/%s: %w", reg.Account, reg.Name, err)
		}
		m.Regions = append(m.Regions, r)
	}
	return m, nil
}

// Region compiles one account/region.
func Region(reg *snapshot.Region) (*netmodel.Region, error) {
	c := &compiler{reg: reg, out: &netmodel.Region{Account: reg.Account, Name: reg.Name, Source: reg.Dir}}
	c.out.Origin = netmodel.Origin{Subnets: "ec2/describe-subnets.json", Groups: filepath.Join(reg.Dir, "ec2/describe-security-groups.json"),
		Hosts: "ec2/describe-instances.json", Endpoints: "ec2/describe-network-interfaces.json"}
	c.required()
	for _, step := range []func() error{c.networks, c.routeTables, c.acls, c.subnets, c.groups} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	if err := c.interfaces(); err != nil {
		return nil, err
	}
	c.ecs()
	if err := c.loadBalancers(); err != nil {
		return nil, err
	}
	return c.out, nil
}

type compiler struct {
	reg *snapshot.Region
	out *netmodel.Region
	// subnet → route table / ACL chosen by association
	rtOf, aclOf map[string]string
	rtMiss      map[string][]string // route table → its missing data
	enis        map[string]int      // endpoint id → index in out.Endpoints
}

// file is the path of an operation's output in the snapshot, for errors.
func (c *compiler) file(op string) string { return filepath.Join(c.reg.Dir, op+".json") }

// has reports whether a required operation was read and holds data: an
// absent file, an empty file (a failed `aws … > file`) or a manifest gap
// all make the data unknown (docs/aws-snapshot.md, "Operations read").
func (c *compiler) has(op string) bool { return c.reg.Has(op) }

// required records the required operations that could not be read.
func (c *compiler) required() {
	miss := &c.out.Missing
	for _, x := range []struct {
		op   string
		dest *[]string
	}{
		{"ec2/describe-vpcs", &miss.Networks},
		{"ec2/describe-internet-gateways", &miss.Gateways},
		{"ec2/describe-subnets", &miss.Subnets},
		{"ec2/describe-route-tables", &miss.RouteTables},
		{"ec2/describe-network-acls", &miss.ACLs},
		{"ec2/describe-security-groups", &miss.Groups},
		{"ec2/describe-instances", &miss.Hosts},
	} {
		if !c.has(x.op) {
			*x.dest = []string{c.reg.Missing(x.op, "")}
		}
	}
	// Resources that can be exposed: when their listing is absent they may
	// be missing from the results altogether.
	for _, x := range []struct{ op, what string }{
		{"ec2/describe-network-interfaces", "network interfaces not listed in ec2/describe-instances"},
		{"elbv2/describe-load-balancers", "application and network load balancers"},
		{"elb/describe-load-balancers", "classic load balancers"},
	} {
		if !c.has(x.op) {
			miss.Inventory = append(miss.Inventory, c.reg.Missing(x.op, "")+" ("+x.what+" are not analysed)")
		}
	}
}

// prefix parses a CIDR or bare address; errors name the file and resource.
func (c *compiler) prefix(s, op, what string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%s: %s: bad CIDR %q: %w", c.file(op), what, s, err)
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%s: %s: bad CIDR %q: %w", c.file(op), what, s, err)
	}
	return p, nil
}

// networks compiles VPCs and their internet gateways. VPC User Guide,
// "Internet gateways": a VPC has at most one attached internet gateway;
// attachment state "available" means attached.
func (c *compiler) networks() error {
	reg := c.reg
	idx := map[string]int{}
	for i := range reg.VPCs {
		v := &reg.VPCs[i]
		n := netmodel.Network{ID: v.VpcId}
		cidrs := []string{v.CidrBlock}
		for _, x := range v.CidrBlockAssociationSet {
			cidrs = append(cidrs, x.CidrBlock)
		}
		for _, x := range v.Ipv6CidrBlockAssociationSet {
			cidrs = append(cidrs, x.Ipv6CidrBlock)
		}
		for _, s := range cidrs {
			if s == "" {
				continue
			}
			p, err := c.prefix(s, "ec2/describe-vpcs", "VPC "+v.VpcId)
			if err != nil {
				return err
			}
			n.Prefixes = append(n.Prefixes, p)
		}
		idx[v.VpcId] = len(c.out.Networks)
		c.out.Networks = append(c.out.Networks, n)
	}
	for _, g := range reg.InternetGateways {
		for _, a := range g.Attachments {
			if a.State == "available" || a.State == "attached" {
				c.network(idx, a.VpcId).Gateway = g.InternetGatewayId
			}
		}
	}
	// Ingress routing (VPC User Guide, "Gateway route tables"): a table
	// edge-associated with the internet gateway may send inbound traffic
	// through a middlebox the snapshot does not describe.
	for i := range reg.RouteTables {
		t := &reg.RouteTables[i]
		for _, a := range t.Associations {
			if !associated(a) || a.Main || a.SubnetId != "" || a.GatewayId == "" {
				continue
			}
			for _, r := range t.Routes {
				if routeTarget(&r) != "local" {
					n := c.network(idx, t.VpcId)
					n.EdgeTables = append(n.EdgeTables, t.RouteTableId)
					break
				}
			}
		}
	}
	return nil
}

func (c *compiler) network(idx map[string]int, id string) *netmodel.Network {
	i, ok := idx[id]
	if !ok {
		i = len(c.out.Networks)
		idx[id] = i
		c.out.Networks = append(c.out.Networks, netmodel.Network{ID: id})
	}
	return &c.out.Networks[i]
}

func associated(a snapshot.RouteTableAssociation) bool {
	return a.AssociationState == nil || a.AssociationState.State == "" || a.AssociationState.State == "associated"
}

func routeTarget(r *snapshot.Route) string {
	for _, t := range []string{r.GatewayId, r.EgressOnlyInternetGatewayId, r.NatGatewayId, r.TransitGatewayId,
		r.VpcPeeringConnectionId, r.NetworkInterfaceId, r.InstanceId, r.LocalGatewayId, r.CarrierGatewayId, r.CoreNetworkArn} {
		if t != "" {
			return t
		}
	}
	return "unknown-target"
}

// routeTables compiles route tables (prefix-list routes expanded) and
// resolves subnet associations. VPC User Guide, "Route tables": a subnet
// without an explicit association uses the VPC's main route table.
func (c *compiler) routeTables() error {
	reg := c.reg
	c.rtOf, c.rtMiss = map[string]string{}, map[string][]string{}
	mainRT := map[string]string{}
	for i := range reg.RouteTables {
		t := &reg.RouteTables[i]
		rt := netmodel.RouteTable{ID: t.RouteTableId}
		for j := range t.Routes {
			r := &t.Routes[j]
			target := routeTarget(r)
			add := func(dest, shown string, pl bool) error {
				p, err := c.prefix(dest, "ec2/describe-route-tables", "route table "+t.RouteTableId)
				if err != nil {
					return err
				}
				rt.Routes = append(rt.Routes, netmodel.Route{Dest: shown, Prefix: p, Target: target, Blackhole: r.State == "blackhole", FromList: pl})
				return nil
			}
			switch {
			case r.DestinationCidrBlock != "":
				if err := add(r.DestinationCidrBlock, r.DestinationCidrBlock, false); err != nil {
					return err
				}
			case r.DestinationIpv6CidrBlock != "":
				if err := add(r.DestinationIpv6CidrBlock, r.DestinationIpv6CidrBlock, false); err != nil {
					return err
				}
			case r.DestinationPrefixListId != "":
				entries, ok := reg.PrefixListEntries(r.DestinationPrefixListId)
				if !ok {
					rt.Missing = append(rt.Missing, reg.Missing("ec2/get-managed-prefix-list-entries", r.DestinationPrefixListId))
					continue
				}
				for _, e := range entries {
					if err := add(e.Cidr, e.Cidr+" ("+r.DestinationPrefixListId+")", true); err != nil {
						return err
					}
				}
			}
		}
		c.rtMiss[t.RouteTableId] = rt.Missing
		c.out.RouteTables = append(c.out.RouteTables, rt)
		for _, a := range t.Associations {
			if !associated(a) {
				continue
			}
			switch {
			case a.Main:
				mainRT[t.VpcId] = t.RouteTableId
			case a.SubnetId != "":
				c.rtOf[a.SubnetId] = t.RouteTableId
			}
		}
	}
	for i := range reg.Subnets {
		s := &reg.Subnets[i]
		if c.rtOf[s.SubnetId] == "" {
			c.rtOf[s.SubnetId] = mainRT[s.VpcId]
		}
	}
	return nil
}

// acls compiles network ACLs. VPC User Guide, "Network ACLs": each subnet
// is associated with exactly one network ACL, the VPC's default one unless
// explicitly associated with another; protocol numbers 6 (tcp), 17 (udp),
// -1 (all).
func (c *compiler) acls() error {
	reg := c.reg
	c.aclOf = map[string]string{}
	defACL := map[string]string{}
	for i := range reg.NetworkAcls {
		a := &reg.NetworkAcls[i]
		n := netmodel.ACL{ID: a.NetworkAclId}
		for _, e := range a.Entries {
			r := netmodel.ACLRule{Number: e.RuleNumber, Allow: strings.EqualFold(e.RuleAction, "allow"),
				Protocols: protocols(e.Protocol), ProtoText: e.Protocol, Ports: netmodel.AllPorts, CIDR: e.CidrBlock}
			if e.PortRange != nil && e.PortRange.From != nil && e.PortRange.To != nil && e.Protocol != "-1" {
				r.Ports = netmodel.Ports{Lo: clampPort(*e.PortRange.From), Hi: clampPort(*e.PortRange.To)}
			}
			if r.CIDR == "" {
				r.CIDR = e.Ipv6CidrBlock
			}
			p, err := c.prefix(r.CIDR, "ec2/describe-network-acls", fmt.Sprintf("%s rule %d", a.NetworkAclId, e.RuleNumber))
			if err != nil {
				return err
			}
			r.Prefix = p
			if e.Egress {
				n.Outbound = append(n.Outbound, r)
			} else {
				n.Inbound = append(n.Inbound, r)
			}
		}
		c.out.ACLs = append(c.out.ACLs, n)
		if a.IsDefault {
			defACL[a.VpcId] = a.NetworkAclId
		}
		for _, as := range a.Associations {
			if as.SubnetId != "" {
				c.aclOf[as.SubnetId] = a.NetworkAclId
			}
		}
	}
	for i := range reg.Subnets {
		s := &reg.Subnets[i]
		if c.aclOf[s.SubnetId] == "" {
			c.aclOf[s.SubnetId] = defACL[s.VpcId]
		}
	}
	return nil
}

func (c *compiler) subnets() error {
	reg, miss := c.reg, &c.out.Missing
	for i := range reg.Subnets {
		s := &reg.Subnets[i]
		sn := netmodel.Subnet{ID: s.SubnetId, Network: s.VpcId}
		cidrs := []string{s.CidrBlock}
		for _, a := range s.Ipv6CidrBlockAssociationSet {
			cidrs = append(cidrs, a.Ipv6CidrBlock)
		}
		for _, x := range cidrs {
			if x == "" {
				continue
			}
			p, err := c.prefix(x, "ec2/describe-subnets", "subnet "+s.SubnetId)
			if err != nil {
				return err
			}
			sn.Prefixes = append(sn.Prefixes, p)
		}
		switch id := c.rtOf[s.SubnetId]; {
		case len(miss.RouteTables) > 0:
			sn.RouteMissing = miss.RouteTables
		case id == "":
			sn.RouteMissing = []string{fmt.Sprintf("no route table (explicit or main) for %s in ec2/describe-route-tables.json", s.SubnetId)}
		default:
			sn.RouteTable, sn.RouteMissing = id, c.rtMiss[id]
		}
		switch id := c.aclOf[s.SubnetId]; {
		case len(miss.ACLs) > 0:
			sn.ACLMissing = miss.ACLs
		case id == "":
			sn.ACLMissing = []string{fmt.Sprintf("no network ACL for %s in ec2/describe-network-acls.json", s.SubnetId)}
		default:
			sn.ACL = id
		}
		c.out.Subnets = append(c.out.Subnets, sn)
	}
	return nil
}

// groups compiles security groups. VPC User Guide, "Security group rules":
// stateful, allow-only; a rule's source is a CIDR, a prefix list or another
// security group; protocol -1 means all protocols and ports.
func (c *compiler) groups() error {
	reg := c.reg
	// Groups are independent (20k groups with 300k rules on the benchmark
	// estate): parsed on GOMAXPROCS workers, then kept in snapshot order,
	// the first error in that order reported.
	out := make([]netmodel.Group, len(reg.SecurityGroups))
	errs := make([]error, len(reg.SecurityGroups))
	parallelFor(len(out), func(i int) {
		g := &reg.SecurityGroups[i]
		out[i].ID = g.GroupId
		if out[i].Inbound, errs[i] = c.perms(g.GroupId, g.IpPermissions, &out[i].Missing); errs[i] != nil {
			return
		}
		out[i].Outbound, errs[i] = c.perms(g.GroupId, g.IpPermissionsEgress, &out[i].Missing)
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	c.out.Groups = out
	return nil
}

func (c *compiler) perms(group string, perms []snapshot.IpPermission, missing *[]string) ([]netmodel.GroupRule, error) {
	const op = "ec2/describe-security-groups"
	var out []netmodel.GroupRule
	for _, p := range perms {
		base := netmodel.GroupRule{Protocols: protocols(p.IpProtocol), Ports: netmodel.AllPorts}
		if base.Protocols == 0 {
			continue
		}
		if p.IpProtocol != "-1" && p.FromPort != nil && p.ToPort != nil && *p.FromPort >= 0 {
			base.Ports = netmodel.Ports{Lo: clampPort(*p.FromPort), Hi: clampPort(*p.ToPort)}
		}
		for _, r := range p.IpRanges {
			x := base
			pf, err := c.prefix(r.CidrIp, op, "security group "+group)
			if err != nil {
				return nil, err
			}
			x.Prefixes, x.Source = []netip.Prefix{pf}, r.CidrIp
			out = append(out, x)
		}
		for _, r := range p.Ipv6Ranges {
			x := base
			pf, err := c.prefix(r.CidrIpv6, op, "security group "+group)
			if err != nil {
				return nil, err
			}
			x.Prefixes, x.Source = []netip.Prefix{pf}, r.CidrIpv6
			out = append(out, x)
		}
		for _, pl := range p.PrefixListIds {
			entries, ok := c.reg.PrefixListEntries(pl.PrefixListId)
			if !ok {
				*missing = append(*missing, c.reg.Missing("ec2/get-managed-prefix-list-entries", pl.PrefixListId))
				continue
			}
			x := base
			for _, e := range entries {
				pf, err := c.prefix(e.Cidr, "ec2/get-managed-prefix-list-entries", "prefix list "+pl.PrefixListId)
				if err != nil {
					return nil, err
				}
				x.Prefixes = append(x.Prefixes, pf)
			}
			x.Source = pl.PrefixListId
			out = append(out, x)
		}
		for _, g := range p.UserIdGroupPairs {
			x := base
			x.Ref, x.Source = g.GroupId, g.GroupId
			out = append(out, x)
		}
	}
	return out, nil
}

// protocols maps an API protocol string: security groups use
// "tcp"/"udp"/"-1" or numbers, NACLs numbers ("6", "17", "-1").
func protocols(p string) netmodel.Protocols {
	switch strings.ToLower(strings.TrimSpace(p)) {
	case "-1", "all":
		return netmodel.AllProtocols
	case "tcp", "6":
		return netmodel.TCP
	case "udp", "17":
		return netmodel.UDP
	}
	return 0
}

func clampPort(v int) uint16 {
	switch {
	case v < 0:
		return 0
	case v > 65535:
		return 65535
	}
	return uint16(v)
}

// parallelFor calls fn(i) for every i in [0, n) on GOMAXPROCS workers;
// fn must only write state owned by index i.
func parallelFor(n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		}()
	}
	wg.Wait()
}
