package terraform

import (
	"fmt"
	"strings"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
)

// build fills b.snap from the resources. AWS defaults a configuration
// does not spell out are added as AWS creates them: every VPC gets a main
// route table with its local route and a default network ACL allowing all
// traffic (VPC User Guide, "Route tables" and "Default network ACL"),
// replaced by aws_default_route_table / aws_default_network_acl when
// configured.
func (b *builder) build() {
	b.snap = snapshot.NewRegion("terraform", "plan")
	b.vpcs()
	b.subnets()
	b.gateways()
	b.routeTables()
	b.acls()
	b.groups()
	b.instances()
	b.loadBalancers()
	b.classicLoadBalancers()
	b.databases()
}

func (b *builder) vpcs() {
	for _, o := range b.typs("aws_vpc") {
		v := snapshot.VPC{VpcId: o.Name, CidrBlock: str(o, "cidr_block")}
		if w := unknownAt(o, "cidr_block"); w != "" {
			v.CidrBlock = ""
			b.miss(o.Name+"#main", w)
		}
		b.snap.VPCs = append(b.snap.VPCs, v)
		rt := snapshot.RouteTable{RouteTableId: o.Name + "#main", VpcId: o.Name,
			Associations: []snapshot.RouteTableAssociation{{Main: true, RouteTableId: o.Name + "#main"}}}
		if v.CidrBlock != "" {
			rt.Routes = append(rt.Routes, snapshot.Route{DestinationCidrBlock: v.CidrBlock, GatewayId: "local", State: "active"})
		}
		b.snap.RouteTables = append(b.snap.RouteTables, rt)
		b.snap.NetworkAcls = append(b.snap.NetworkAcls, snapshot.NetworkAcl{NetworkAclId: o.Name + "#default-acl", VpcId: o.Name, IsDefault: true,
			Entries: []snapshot.NetworkAclEntry{
				{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"},
				{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", Egress: true, CidrBlock: "0.0.0.0/0"},
				{RuleNumber: 101, Protocol: "-1", RuleAction: "allow", Ipv6CidrBlock: "::/0"},
				{RuleNumber: 101, Protocol: "-1", RuleAction: "allow", Egress: true, Ipv6CidrBlock: "::/0"},
			}})
	}
}

func (b *builder) subnets() {
	for _, o := range b.typs("aws_subnet") {
		s := snapshot.Subnet{SubnetId: o.Name, CidrBlock: str(o, "cidr_block")}
		vpc, why := b.ref(o, "vpc_id")
		s.VpcId = vpc
		b.miss(o.Name, why)
		if w := unknownAt(o, "cidr_block"); w != "" {
			b.miss(o.Name, w)
			s.CidrBlock = ""
		}
		s.MapPublicIpOnLaunch, _ = boolAt(o, "map_public_ip_on_launch")
		if ip6 := str(o, "ipv6_cidr_block"); ip6 != "" {
			s.Ipv6CidrBlockAssociationSet = append(s.Ipv6CidrBlockAssociationSet, struct{ Ipv6CidrBlock string }{ip6})
		}
		b.snap.Subnets = append(b.snap.Subnets, s)
	}
}

func (b *builder) gateways() {
	for _, o := range b.typs("aws_internet_gateway") {
		g := snapshot.InternetGateway{InternetGatewayId: o.Name}
		if vpc, _ := b.ref(o, "vpc_id"); vpc != "" {
			g.Attachments = append(g.Attachments, snapshot.GatewayAttachment{VpcId: vpc, State: "available"})
		}
		b.snap.InternetGateways = append(b.snap.InternetGateways, g)
	}
	for _, o := range b.typs("aws_internet_gateway_attachment") {
		igw, _ := b.ref(o, "internet_gateway_id")
		vpc, _ := b.ref(o, "vpc_id")
		for i := range b.snap.InternetGateways {
			if b.snap.InternetGateways[i].InternetGatewayId == igw && vpc != "" {
				b.snap.InternetGateways[i].Attachments = append(b.snap.InternetGateways[i].Attachments, snapshot.GatewayAttachment{VpcId: vpc, State: "available"})
			}
		}
	}
	for _, o := range b.typs("aws_nat_gateway") {
		sub, _ := b.ref(o, "subnet_id")
		b.snap.NatGateways = append(b.snap.NatGateways, snapshot.NatGateway{NatGatewayId: o.Name, SubnetId: sub, State: "available"})
	}
}

// route reads one route (a route block of aws_route_table, or aws_route).
func (b *builder) route(o *check.Object, p, table string) (snapshot.Route, bool) {
	r := snapshot.Route{State: "active"}
	dest := map[string]*string{"cidr_block": &r.DestinationCidrBlock, "destination_cidr_block": &r.DestinationCidrBlock,
		"ipv6_cidr_block": &r.DestinationIpv6CidrBlock, "destination_ipv6_cidr_block": &r.DestinationIpv6CidrBlock,
		"destination_prefix_list_id": &r.DestinationPrefixListId}
	for k, dst := range dest {
		if w := unknownAt(o, p+k); w != "" {
			b.miss(table, w)
			return r, false
		}
		if s := str(o, p+k); s != "" {
			*dst = s
		}
	}
	tgt := map[string]*string{"gateway_id": &r.GatewayId, "nat_gateway_id": &r.NatGatewayId, "egress_only_gateway_id": &r.EgressOnlyInternetGatewayId,
		"transit_gateway_id": &r.TransitGatewayId, "vpc_peering_connection_id": &r.VpcPeeringConnectionId,
		"network_interface_id": &r.NetworkInterfaceId, "local_gateway_id": &r.LocalGatewayId, "carrier_gateway_id": &r.CarrierGatewayId,
		"core_network_arn": &r.CoreNetworkArn, "vpc_endpoint_id": &r.GatewayId}
	for k, dst := range tgt {
		id, why := b.ref(o, p+k)
		if why != "" {
			b.miss(table, why)
			return r, false
		}
		if id != "" {
			*dst = id
		}
	}
	return r, r.DestinationCidrBlock != "" || r.DestinationIpv6CidrBlock != "" || r.DestinationPrefixListId != ""
}

func (b *builder) routeTables() {
	idx := map[string]int{}
	for i := range b.snap.RouteTables {
		idx[b.snap.RouteTables[i].RouteTableId] = i
	}
	for _, o := range b.typs("aws_route_table", "aws_default_route_table") {
		id := o.Name
		vpc, why := b.ref(o, "vpc_id")
		if o.Type == "aws_default_route_table" {
			// The VPC's main table, configured: its routes replace the defaults.
			r, _ := b.ref(o, "default_route_table_id")
			if addr, attr := splitRef(b.refs[o.Name]["default_route_table_id"]); attr == "default_route_table_id" {
				r = addr
			}
			i, ok := idx[r+"#main"]
			if !ok {
				continue
			}
			b.owned[o.Name] = nil
			b.snap.RouteTables[i].Routes = b.snap.RouteTables[i].Routes[:min(1, len(b.snap.RouteTables[i].Routes))]
			b.addRoutes(o, i)
			continue
		}
		b.miss(id, why)
		t := snapshot.RouteTable{RouteTableId: id, VpcId: vpc}
		for i := range b.snap.VPCs {
			if b.snap.VPCs[i].VpcId == vpc && b.snap.VPCs[i].CidrBlock != "" {
				t.Routes = append(t.Routes, snapshot.Route{DestinationCidrBlock: b.snap.VPCs[i].CidrBlock, GatewayId: "local", State: "active"})
			}
		}
		idx[id] = len(b.snap.RouteTables)
		b.snap.RouteTables = append(b.snap.RouteTables, t)
		b.addRoutes(o, idx[id])
	}
	for _, o := range b.typs("aws_route") {
		rt, why := b.ref(o, "route_table_id")
		i, ok := idx[rt]
		if !ok {
			if why == "" {
				why = fmt.Sprintf("%s: route table %q is not in the configuration", o.Name, rt)
			}
			for j := range b.snap.RouteTables {
				b.miss(b.snap.RouteTables[j].RouteTableId, "a route of "+o.Name+" may belong to this table: "+why)
			}
			continue
		}
		if r, ok := b.route(o, "", rt); ok {
			b.snap.RouteTables[i].Routes = append(b.snap.RouteTables[i].Routes, r)
		}
	}
	for _, o := range b.typs("aws_route_table_association", "aws_main_route_table_association") {
		rt, why := b.ref(o, "route_table_id")
		i, ok := idx[rt]
		sub, swhy := b.ref(o, "subnet_id")
		if !ok {
			if why == "" {
				why = fmt.Sprintf("route table %q of %s is not in the configuration", rt, o.Name)
			}
			if sub != "" {
				b.miss(sub, why)
			}
			continue
		}
		a := snapshot.RouteTableAssociation{RouteTableId: rt}
		switch {
		case o.Type == "aws_main_route_table_association":
			vpc, _ := b.ref(o, "vpc_id")
			if m, ok := idx[vpc+"#main"]; ok {
				b.snap.RouteTables[m].Associations = nil
			}
			a.Main = true
		case swhy != "":
			// Any subnet without an explicit association may be the one.
			b.floatingRT = append(b.floatingRT, fmt.Sprintf("%s associates %s with a subnet that is unknown (%s)", o.Name, rt, swhy))
			continue
		case sub != "":
			a.SubnetId = sub
		default:
			a.GatewayId, _ = b.ref(o, "gateway_id")
		}
		b.snap.RouteTables[i].Associations = append(b.snap.RouteTables[i].Associations, a)
	}
}

func (b *builder) addRoutes(o *check.Object, i int) {
	t := &b.snap.RouteTables[i]
	if w := b.listUnknown(o, "route"); w != "" {
		b.miss(t.RouteTableId, w)
		return
	}
	for j := 0; j < blocks(o, "route"); j++ {
		if r, ok := b.route(o, fmt.Sprintf("route[%d].", j), t.RouteTableId); ok {
			t.Routes = append(t.Routes, r)
		}
	}
}

func (b *builder) acls() {
	idx := map[string]int{}
	for i := range b.snap.NetworkAcls {
		idx[b.snap.NetworkAcls[i].NetworkAclId] = i
	}
	for _, o := range b.typs("aws_network_acl", "aws_default_network_acl") {
		var i int
		if o.Type == "aws_default_network_acl" {
			addr, _ := splitRef(b.refs[o.Name]["default_network_acl_id"])
			j, ok := idx[addr+"#default-acl"]
			if !ok {
				continue
			}
			i = j
			b.snap.NetworkAcls[i].Entries = nil
		} else {
			vpc, _ := b.ref(o, "vpc_id")
			i = len(b.snap.NetworkAcls)
			idx[o.Name] = i
			b.snap.NetworkAcls = append(b.snap.NetworkAcls, snapshot.NetworkAcl{NetworkAclId: o.Name, VpcId: vpc})
		}
		id := b.snap.NetworkAcls[i].NetworkAclId
		subs, whys := b.refList(o, "subnet_ids")
		for _, w := range whys {
			b.floatingACL = append(b.floatingACL, fmt.Sprintf("%s is associated with a subnet that is unknown (%s)", id, w))
		}
		for _, s := range subs {
			b.snap.NetworkAcls[i].Associations = append(b.snap.NetworkAcls[i].Associations, struct {
				SubnetId     string `json:"SubnetId"`
				NetworkAclId string `json:"NetworkAclId"`
			}{s, id})
		}
		for _, dir := range []string{"ingress", "egress"} {
			if w := b.listUnknown(o, dir); w != "" {
				b.miss(id, w)
				continue
			}
			for j := 0; j < blocks(o, dir); j++ {
				if e, ok := b.aclEntry(o, fmt.Sprintf("%s[%d].", dir, j), "rule_no", "action", id); ok {
					e.Egress = dir == "egress"
					b.snap.NetworkAcls[i].Entries = append(b.snap.NetworkAcls[i].Entries, e)
				}
			}
		}
	}
	for _, o := range b.typs("aws_network_acl_rule") {
		acl, why := b.ref(o, "network_acl_id")
		i, ok := idx[acl]
		if !ok {
			for j := range b.snap.NetworkAcls {
				b.miss(b.snap.NetworkAcls[j].NetworkAclId, fmt.Sprintf("a rule of %s may belong to this network ACL (%s)", o.Name, or(why, "ACL "+acl+" not in the configuration")))
			}
			continue
		}
		if e, ok := b.aclEntry(o, "", "rule_number", "rule_action", acl); ok {
			e.Egress, _ = boolAt(o, "egress")
			b.snap.NetworkAcls[i].Entries = append(b.snap.NetworkAcls[i].Entries, e)
		}
	}
	for _, o := range b.typs("aws_network_acl_association") {
		acl, _ := b.ref(o, "network_acl_id")
		sub, why := b.ref(o, "subnet_id")
		if why != "" {
			b.floatingACL = append(b.floatingACL, fmt.Sprintf("%s associates %s with a subnet that is unknown (%s)", o.Name, acl, why))
			continue
		}
		if i, ok := idx[acl]; ok {
			b.snap.NetworkAcls[i].Associations = append(b.snap.NetworkAcls[i].Associations, struct {
				SubnetId     string `json:"SubnetId"`
				NetworkAclId string `json:"NetworkAclId"`
			}{sub, acl})
		}
	}
}

func (b *builder) aclEntry(o *check.Object, p, numKey, actKey, acl string) (snapshot.NetworkAclEntry, bool) {
	for _, k := range []string{numKey, actKey, "protocol", "cidr_block", "ipv6_cidr_block", "from_port", "to_port"} {
		if w := unknownAt(o, p+k); w != "" {
			b.miss(acl, w)
			return snapshot.NetworkAclEntry{}, false
		}
	}
	n, _ := intAt(o, p+numKey)
	e := snapshot.NetworkAclEntry{RuleNumber: n, Protocol: protoNumber(str(o, p+"protocol")), RuleAction: str(o, p+actKey),
		CidrBlock: str(o, p+"cidr_block"), Ipv6CidrBlock: str(o, p+"ipv6_cidr_block")}
	if p == "" && e.Protocol == "" {
		if n, ok := intAt(o, "protocol"); ok {
			e.Protocol = fmt.Sprint(n)
		}
	}
	from, ok1 := intAt(o, p+"from_port")
	to, ok2 := intAt(o, p+"to_port")
	if ok1 && ok2 {
		e.PortRange = &snapshot.PortRange{From: &from, To: &to}
	}
	if e.CidrBlock == "" && e.Ipv6CidrBlock == "" {
		return e, false
	}
	return e, true
}

// protoNumber maps Terraform's protocol names to the numbers the API uses
// for network ACLs (6 tcp, 17 udp, -1 all).
func protoNumber(p string) string {
	switch strings.ToLower(p) {
	case "tcp":
		return "6"
	case "udp":
		return "17"
	case "all", "-1":
		return "-1"
	}
	return p
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
