// Package estate generates synthetic AWS estates for the exposure
// benchmark: the target shape is 100k network interfaces, 20k
// security groups with 300k rules, 5k subnets and 2k load balancers.
// Sizes scale with the interface count; the rest stays at the target
// shape so that runs at 10k/50k/100k interfaces show how analysis time
// grows with interfaces. Generation is seeded and deterministic.
package estate

import (
	"fmt"
	"math/rand/v2"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
)

// Shape is the size of a generated estate.
type Shape struct {
	ENIs, SGs, RulesPerSG, Subnets, LBs, VPCs int
}

// Target is the benchmark shape.
func Target(enis int) Shape {
	return Shape{ENIs: enis, SGs: 20000, RulesPerSG: 15, Subnets: 5000, LBs: 2000, VPCs: 50}
}

type s = struct {
	CidrIp      string `json:"CidrIp"`
	Description string `json:"Description"`
}

// Generate builds one region holding the whole estate.
func Generate(sh Shape, seed uint64) *snapshot.Region {
	r := rand.New(rand.NewPCG(seed, 1))
	reg := snapshot.NewRegion("111122223333", "eu-west-1")
	subPerVPC, sgPerVPC := sh.Subnets/sh.VPCs, sh.SGs/sh.VPCs
	for pl := 0; pl < 20; pl++ {
		var es []snapshot.PrefixListEntry
		for k := 0; k < 10; k++ {
			es = append(es, snapshot.PrefixListEntry{Cidr: fmt.Sprintf("%d.%d.%d.0/24", 20+r.IntN(180), r.IntN(256), r.IntN(256))})
		}
		id := fmt.Sprintf("pl-%08x", pl)
		reg.PrefixLists = append(reg.PrefixLists, snapshot.ManagedPrefixList{PrefixListId: id, AddressFamily: "IPv4"})
		reg.SetPrefixListEntries(id, es)
	}
	for v := 0; v < sh.VPCs; v++ {
		vid := fmt.Sprintf("vpc-%08x", v)
		reg.VPCs = append(reg.VPCs, snapshot.VPC{VpcId: vid, CidrBlock: fmt.Sprintf("10.%d.0.0/16", v)})
		igw := fmt.Sprintf("igw-%08x", v)
		if v%10 != 9 {
			reg.InternetGateways = append(reg.InternetGateways, snapshot.InternetGateway{InternetGatewayId: igw,
				Attachments: []snapshot.GatewayAttachment{{VpcId: vid, State: "available"}}})
		}
		local := snapshot.Route{DestinationCidrBlock: fmt.Sprintf("10.%d.0.0/16", v), GatewayId: "local", State: "active"}
		mainRT := snapshot.RouteTable{RouteTableId: fmt.Sprintf("rtb-%08x0", v), VpcId: vid, Routes: []snapshot.Route{local,
			{DestinationCidrBlock: "0.0.0.0/0", NatGatewayId: fmt.Sprintf("nat-%08x", v), State: "active"}},
			Associations: []snapshot.RouteTableAssociation{{Main: true}}}
		pub := snapshot.RouteTable{RouteTableId: fmt.Sprintf("rtb-%08x1", v), VpcId: vid, Routes: []snapshot.Route{local,
			{DestinationCidrBlock: "0.0.0.0/0", GatewayId: igw, State: "active"},
			{DestinationIpv6CidrBlock: "::/0", GatewayId: igw, State: "active"},
			{DestinationCidrBlock: "81.2.69.0/24", VpcPeeringConnectionId: "pcx-00000001", State: "active"},
			{DestinationCidrBlock: "192.0.2.0/24", TransitGatewayId: "tgw-00000001", State: "active"}}}
		def := snapshot.NetworkAcl{NetworkAclId: fmt.Sprintf("acl-%08x0", v), VpcId: vid, IsDefault: true, Entries: allowAll()}
		strict := snapshot.NetworkAcl{NetworkAclId: fmt.Sprintf("acl-%08x1", v), VpcId: vid, Entries: strictEntries(r)}
		for k := 0; k < subPerVPC; k++ {
			sid := fmt.Sprintf("subnet-%04x%04x", v, k)
			reg.Subnets = append(reg.Subnets, snapshot.Subnet{SubnetId: sid, VpcId: vid, CidrBlock: fmt.Sprintf("10.%d.%d.0/24", v, k)})
			if k%2 == 0 {
				pub.Associations = append(pub.Associations, snapshot.RouteTableAssociation{SubnetId: sid})
			}
			as := struct {
				SubnetId     string `json:"SubnetId"`
				NetworkAclId string `json:"NetworkAclId"`
			}{SubnetId: sid}
			if k%3 == 0 {
				strict.Associations = append(strict.Associations, as)
			} else {
				def.Associations = append(def.Associations, as)
			}
		}
		reg.RouteTables = append(reg.RouteTables, mainRT, pub)
		reg.NetworkAcls = append(reg.NetworkAcls, def, strict)
		for k := 0; k < sgPerVPC; k++ {
			reg.SecurityGroups = append(reg.SecurityGroups, genSG(r, fmt.Sprintf("sg-%04x%04x", v, k), vid, v, sgPerVPC, sh.RulesPerSG))
		}
	}
	// Interfaces: most share a "role" (a fixed SG combination), as
	// auto-scaled fleets do; 5% get a unique combination.
	roles := make([][]string, sh.VPCs*40)
	for i := range roles {
		v := i % sh.VPCs
		for n := 1 + r.IntN(3); n > 0; n-- {
			roles[i] = append(roles[i], fmt.Sprintf("sg-%04x%04x", v, r.IntN(sgPerVPC)))
		}
	}
	for i := 0; i < sh.ENIs; i++ {
		role := r.IntN(len(roles))
		v := role % sh.VPCs
		k := r.IntN(subPerVPC)
		sub := fmt.Sprintf("subnet-%04x%04x", v, k)
		ip := fmt.Sprintf("10.%d.%d.%d", v, k, 4+i%250)
		e := snapshot.NetworkInterface{NetworkInterfaceId: fmt.Sprintf("eni-%08x", i), SubnetId: sub, VpcId: fmt.Sprintf("vpc-%08x", v),
			PrivateIpAddress: ip, InterfaceType: "interface", Status: "in-use"}
		groups := roles[role]
		if r.IntN(20) == 0 {
			groups = []string{fmt.Sprintf("sg-%04x%04x", v, r.IntN(sgPerVPC))}
		}
		for _, g := range groups {
			e.Groups = append(e.Groups, snapshot.GroupRef{GroupId: g})
		}
		if k%2 == 0 && r.IntN(3) == 0 {
			e.Association = &snapshot.IPAssociation{PublicIp: fmt.Sprintf("52.%d.%d.%d", i>>16&255, i>>8&255, i&255)}
		}
		if r.IntN(10) == 0 {
			e.Ipv6Addresses = append(e.Ipv6Addresses, struct {
				Ipv6Address string `json:"Ipv6Address"`
			}{fmt.Sprintf("2a05:d018:%x:%x::%x:%x", v, k, i>>16, i&0xffff)})
		}
		if r.IntN(5) > 0 {
			e.Attachment = &struct {
				InstanceId  string `json:"InstanceId"`
				DeviceIndex int    `json:"DeviceIndex"`
				Status      string `json:"Status"`
			}{InstanceId: fmt.Sprintf("i-%08x", i), Status: "attached"}
			reg.Instances = append(reg.Instances, snapshot.Instance{InstanceId: e.Attachment.InstanceId, SubnetId: sub, VpcId: e.VpcId,
				PrivateIpAddress: ip, State: struct{ Name string }{"running"}, SecurityGroups: e.Groups,
				NetworkInterfaces: []snapshot.NetworkInterface{e}})
		}
		reg.NetworkInterfaces = append(reg.NetworkInterfaces, e)
	}
	genLBs(r, reg, sh, subPerVPC, sgPerVPC)
	return reg
}

func allowAll() []snapshot.NetworkAclEntry {
	var out []snapshot.NetworkAclEntry
	for _, eg := range []bool{false, true} {
		out = append(out, snapshot.NetworkAclEntry{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", Egress: eg, CidrBlock: "0.0.0.0/0"},
			snapshot.NetworkAclEntry{RuleNumber: 101, Protocol: "-1", RuleAction: "allow", Egress: eg, Ipv6CidrBlock: "::/0"},
			snapshot.NetworkAclEntry{RuleNumber: 32767, Protocol: "-1", RuleAction: "deny", Egress: eg, CidrBlock: "0.0.0.0/0"},
			snapshot.NetworkAclEntry{RuleNumber: 32768, Protocol: "-1", RuleAction: "deny", Egress: eg, Ipv6CidrBlock: "::/0"})
	}
	return out
}

func strictEntries(r *rand.Rand) []snapshot.NetworkAclEntry {
	p := func(a, b int) *snapshot.PortRange { return &snapshot.PortRange{From: &a, To: &b} }
	out := []snapshot.NetworkAclEntry{
		{RuleNumber: 50, Protocol: "6", RuleAction: "deny", CidrBlock: fmt.Sprintf("%d.0.0.0/8", 30+r.IntN(100)), PortRange: p(0, 65535)},
		{RuleNumber: 90, Protocol: "6", RuleAction: "deny", CidrBlock: "0.0.0.0/0", PortRange: p(22, 22)},
		{RuleNumber: 100, Protocol: "6", RuleAction: "allow", CidrBlock: "0.0.0.0/0", PortRange: p(80, 80)},
		{RuleNumber: 110, Protocol: "6", RuleAction: "allow", CidrBlock: "0.0.0.0/0", PortRange: p(443, 443)},
		{RuleNumber: 120, Protocol: "6", RuleAction: "allow", CidrBlock: "0.0.0.0/0", PortRange: p(1024, 65535)},
		{RuleNumber: 130, Protocol: "17", RuleAction: "allow", CidrBlock: "0.0.0.0/0", PortRange: p(1024, 65535)},
		{RuleNumber: 100, Protocol: "6", RuleAction: "allow", Egress: true, CidrBlock: "0.0.0.0/0", PortRange: p(1024, 65535)},
		{RuleNumber: 110, Protocol: "-1", RuleAction: "allow", Egress: true, CidrBlock: "10.0.0.0/8"},
	}
	for _, eg := range []bool{false, true} {
		out = append(out, snapshot.NetworkAclEntry{RuleNumber: 32767, Protocol: "-1", RuleAction: "deny", Egress: eg, CidrBlock: "0.0.0.0/0"})
	}
	return out
}

var commonPorts = []int{22, 80, 443, 3306, 5432, 6379, 8080, 8443, 9000, 9200, 27017}

func genSG(r *rand.Rand, id, vid string, v, perVPC, rules int) snapshot.SecurityGroup {
	g := snapshot.SecurityGroup{GroupId: id, VpcId: vid}
	for n := 0; n < rules; n++ {
		port := commonPorts[r.IntN(len(commonPorts))]
		lo, hi := port, port
		if r.IntN(10) == 0 {
			hi = lo + r.IntN(1000)
		}
		p := snapshot.IpPermission{IpProtocol: "tcp", FromPort: &lo, ToPort: &hi}
		if r.IntN(15) == 0 {
			p.IpProtocol = "udp"
		}
		switch x := r.IntN(20); {
		case x < 2:
			p.IpRanges = []s{{CidrIp: "0.0.0.0/0"}}
		case x < 10:
			p.IpRanges = []s{{CidrIp: fmt.Sprintf("%d.%d.%d.0/%d", 20+r.IntN(180), r.IntN(256), r.IntN(256), 16+r.IntN(17))}}
			if pfx := p.IpRanges[0].CidrIp; pfx != "" {
				p.IpRanges[0].CidrIp = canonical(pfx)
			}
		case x < 13:
			p.IpRanges = []s{{CidrIp: fmt.Sprintf("10.%d.0.0/16", v)}}
		case x < 14:
			p.PrefixListIds = []struct {
				PrefixListId string `json:"PrefixListId"`
			}{{fmt.Sprintf("pl-%08x", r.IntN(20))}}
		case x < 15:
			p.Ipv6Ranges = []struct {
				CidrIpv6    string `json:"CidrIpv6"`
				Description string `json:"Description"`
			}{{CidrIpv6: "::/0"}}
		default:
			p.UserIdGroupPairs = []struct {
				GroupId                string `json:"GroupId"`
				UserId                 string `json:"UserId"`
				VpcId                  string `json:"VpcId"`
				VpcPeeringConnectionId string `json:"VpcPeeringConnectionId"`
			}{{GroupId: fmt.Sprintf("sg-%04x%04x", v, r.IntN(perVPC))}}
		}
		g.IpPermissions = append(g.IpPermissions, p)
	}
	g.IpPermissionsEgress = []snapshot.IpPermission{{IpProtocol: "-1", IpRanges: []s{{CidrIp: "0.0.0.0/0"}}}}
	return g
}

// canonical masks the host bits of a CIDR (AWS stores masked CIDRs).
func canonical(c string) string {
	var a, b, cc, d, bits int
	fmt.Sscanf(c, "%d.%d.%d.%d/%d", &a, &b, &cc, &d, &bits)
	v := uint32(a)<<24 | uint32(b)<<16 | uint32(cc)<<8 | uint32(d)
	v &^= (1<<(32-bits) - 1)
	return fmt.Sprintf("%d.%d.%d.%d/%d", v>>24, v>>16&255, v>>8&255, v&255, bits)
}

func genLBs(r *rand.Rand, reg *snapshot.Region, sh Shape, subPerVPC, sgPerVPC int) {
	for i := 0; i < sh.LBs; i++ {
		v := i % sh.VPCs
		vid := fmt.Sprintf("vpc-%08x", v)
		kind, short := "application", "app"
		if i%3 == 0 {
			kind, short = "network", "net"
		}
		arn := fmt.Sprintf("arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/%s/lb%d/%016x", short, i, i)
		lb := snapshot.LoadBalancer{LoadBalancerArn: arn, Type: kind, VpcId: vid, Scheme: "internet-facing", IpAddressType: "ipv4"}
		if i%4 == 3 {
			lb.Scheme = "internal"
		}
		for k := 0; k < 2; k++ {
			sub := fmt.Sprintf("subnet-%04x%04x", v, 2*r.IntN(subPerVPC/2))
			lb.AvailabilityZones = append(lb.AvailabilityZones, snapshot.AvailabilityZone{SubnetId: sub})
		}
		if kind == "application" || i%2 == 0 {
			lb.SecurityGroups = []string{fmt.Sprintf("sg-%04x%04x", v, r.IntN(sgPerVPC))}
		}
		reg.LoadBalancers = append(reg.LoadBalancers, lb)
		tgArn := fmt.Sprintf("arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/tg%d/%016x", i, i)
		port := commonPorts[r.IntN(len(commonPorts))]
		reg.TargetGroups = append(reg.TargetGroups, snapshot.TargetGroup{TargetGroupArn: tgArn, Protocol: "TCP", Port: port, VpcId: vid,
			TargetType: "instance", LoadBalancerArns: []string{arn}})
		var th []snapshot.TargetHealthDescription
		for n := 5 + r.IntN(15); n > 0; n-- {
			var d snapshot.TargetHealthDescription
			d.Target.Id = reg.Instances[r.IntN(len(reg.Instances))].InstanceId
			d.Target.Port = port
			d.TargetHealth.State = "healthy"
			th = append(th, d)
		}
		reg.SetTargetHealth(tgArn, th)
		var ls []snapshot.Listener
		for k, lp := range []int{443, 80, 8443}[:1+r.IntN(3)] {
			ls = append(ls, snapshot.Listener{ListenerArn: fmt.Sprintf("%s/l%d", arn, k), LoadBalancerArn: arn, Port: lp, Protocol: "TCP",
				DefaultActions: []snapshot.Action{{Type: "forward", TargetGroupArn: tgArn}}})
			if kind == "application" {
				reg.SetRules(ls[len(ls)-1].ListenerArn, nil)
			}
		}
		reg.SetListeners(arn, ls)
	}
}
