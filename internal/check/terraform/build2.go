package terraform

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
)

// groups maps security groups and their rules: inline ingress/egress
// blocks, aws_security_group_rule and aws_vpc_security_group_*_rule.
func (b *builder) groups() {
	idx := map[string]int{}
	for _, o := range b.typs("aws_security_group", "aws_default_security_group") {
		vpc, _ := b.ref(o, "vpc_id")
		g := snapshot.SecurityGroup{GroupId: o.Name, GroupName: str(o, "name"), VpcId: vpc}
		for _, dir := range []string{"ingress", "egress"} {
			if w := b.listUnknown(o, dir); w != "" {
				b.miss(o.Name, w)
				continue
			}
			for j := 0; j < blocks(o, dir); j++ {
				p, ok := b.perm(o, fmt.Sprintf("%s[%d].", dir, j), o.Name, legacyKeys)
				if !ok {
					continue
				}
				if dir == "ingress" {
					g.IpPermissions = append(g.IpPermissions, p)
				} else {
					g.IpPermissionsEgress = append(g.IpPermissionsEgress, p)
				}
			}
		}
		idx[o.Name] = len(b.snap.SecurityGroups)
		b.snap.SecurityGroups = append(b.snap.SecurityGroups, g)
	}
	add := func(o *check.Object, ingress bool, keys permKeys) {
		sg, why := b.ref(o, "security_group_id")
		i, ok := idx[sg]
		if !ok {
			for j := range b.snap.SecurityGroups {
				b.miss(b.snap.SecurityGroups[j].GroupId, fmt.Sprintf("%s may add a rule to this group (%s)", o.Name, or(why, "group "+sg+" not in the configuration")))
			}
			return
		}
		p, ok := b.perm(o, "", sg, keys)
		if !ok {
			return
		}
		g := &b.snap.SecurityGroups[i]
		if ingress {
			g.IpPermissions = append(g.IpPermissions, p)
		} else {
			g.IpPermissionsEgress = append(g.IpPermissionsEgress, p)
		}
	}
	for _, o := range b.typs("aws_security_group_rule") {
		if w := unknownAt(o, "type"); w != "" {
			b.miss(str(o, "security_group_id"), w)
			continue
		}
		add(o, str(o, "type") == "ingress", legacyKeys)
	}
	for _, o := range b.typs("aws_vpc_security_group_ingress_rule") {
		add(o, true, vpcRuleKeys)
	}
	for _, o := range b.typs("aws_vpc_security_group_egress_rule") {
		add(o, false, vpcRuleKeys)
	}
}

// permKeys names the attributes of one rule shape.
type permKeys struct {
	proto, v4, v6, pl, groups string
	list                      bool // v4/v6/pl are lists
}

var (
	// aws_security_group blocks and aws_security_group_rule.
	legacyKeys = permKeys{proto: "protocol", v4: "cidr_blocks", v6: "ipv6_cidr_blocks", pl: "prefix_list_ids", groups: "security_groups", list: true}
	// aws_vpc_security_group_ingress_rule / _egress_rule.
	vpcRuleKeys = permKeys{proto: "ip_protocol", v4: "cidr_ipv4", v6: "cidr_ipv6", pl: "prefix_list_id", groups: "referenced_security_group_id"}
)

// perm reads one rule as an IpPermission; a rule with an unknown part is
// left out and the group marked incomplete (its verdicts unknown).
func (b *builder) perm(o *check.Object, p, group string, k permKeys) (snapshot.IpPermission, bool) {
	for _, f := range []string{"from_port", "to_port", k.proto, k.v4, k.v6, k.pl, "self"} {
		if w := unknownAt(o, p+f); w != "" {
			b.miss(group, w)
			return snapshot.IpPermission{}, false
		}
	}
	proto := str(o, p+k.proto)
	if n, ok := intAt(o, p+k.proto); ok && proto == "" {
		proto = fmt.Sprint(n)
	}
	if proto == "all" {
		proto = "-1"
	}
	raw := map[string]any{"IpProtocol": proto}
	if from, ok := intAt(o, p+"from_port"); ok {
		raw["FromPort"] = from
	}
	if to, ok := intAt(o, p+"to_port"); ok {
		raw["ToPort"] = to
	}
	list := func(key string) []string {
		if k.list {
			return strs(o, p+key)
		}
		if s := str(o, p+key); s != "" {
			return []string{s}
		}
		return nil
	}
	var v4, v6, pls, pairs []map[string]string
	for _, c := range list(k.v4) {
		v4 = append(v4, map[string]string{"CidrIp": c})
	}
	for _, c := range list(k.v6) {
		v6 = append(v6, map[string]string{"CidrIpv6": c})
	}
	for _, c := range list(k.pl) {
		pls = append(pls, map[string]string{"PrefixListId": c})
	}
	// Referenced groups: followed through references; one that cannot be
	// followed leaves the rule out and the group incomplete.
	var refs, whys []string
	if k.list {
		ids, w := b.refList(o, p+k.groups)
		refs, whys = append(refs, ids...), append(whys, w...)
	} else if id, w := b.ref(o, p+k.groups); id != "" || w != "" {
		refs, whys = append(refs, id), append(whys, w)
	}
	if id, w := b.ref(o, p+"source_security_group_id"); id != "" || w != "" {
		refs, whys = append(refs, id), append(whys, w)
	}
	for _, w := range whys {
		if w != "" {
			b.miss(group, w)
			return snapshot.IpPermission{}, false
		}
	}
	if self, _ := boolAt(o, p+"self"); self {
		refs = append(refs, group)
	}
	for _, r := range refs {
		pairs = append(pairs, map[string]string{"GroupId": r})
	}
	raw["IpRanges"], raw["Ipv6Ranges"], raw["PrefixListIds"], raw["UserIdGroupPairs"] = v4, v6, pls, pairs
	var out snapshot.IpPermission
	js, _ := json.Marshal(raw)
	if err := json.Unmarshal(js, &out); err != nil {
		b.miss(group, fmt.Sprintf("%s: rule %s not read: %v", o.Name, strings.TrimSuffix(p, "."), err))
		return out, false
	}
	return out, true
}

// subnetObj finds a subnet resource by address.
func (b *builder) subnetObj(addr string) *check.Object {
	for _, o := range b.byTyp["aws_subnet"] {
		if o.Name == addr {
			return o
		}
	}
	return nil
}

func (b *builder) vpcOf(subnet string) string {
	for i := range b.snap.Subnets {
		if b.snap.Subnets[i].SubnetId == subnet {
			return b.snap.Subnets[i].VpcId
		}
	}
	return ""
}

// sgList resolves an object's security group list; unknown elements
// become placeholder group IDs that are not in the model (so verdicts
// through them are unknown) and their reasons are recorded.
func (b *builder) sgList(o *check.Object, paths ...string) []string {
	var out []string
	for _, p := range paths {
		ids, whys := b.refList(o, p)
		out = append(out, ids...)
		for i, w := range whys {
			out = append(out, fmt.Sprintf("?%s.%s#%d", o.Name, p, i))
			b.explain[o.Name] = append(b.explain[o.Name], w)
		}
	}
	return out
}

// instances maps aws_instance (one primary interface each; Elastic IPs by
// aws_eip / aws_eip_association). EC2 User Guide, "Public IPv4
// addresses": associate_public_ip_address, else the subnet's
// map_public_ip_on_launch, decides whether the instance gets one.
func (b *builder) instances() {
	eip := map[string]bool{}
	for _, o := range b.typs("aws_eip", "aws_eip_association") {
		if id, _ := b.ref(o, "instance"); id != "" {
			eip[id] = true
		}
		if id, _ := b.ref(o, "instance_id"); id != "" {
			eip[id] = true
		}
	}
	for _, o := range b.typs("aws_instance") {
		sub, why := b.ref(o, "subnet_id")
		if sub == "" && why == "" {
			why = o.Name + " has no subnet_id: it is launched in a default subnet of the default VPC, which is not in the configuration"
		}
		if why != "" {
			b.explain[o.Name] = append(b.explain[o.Name], why)
		}
		sgs := b.sgList(o, "vpc_security_group_ids", "security_groups")
		if len(sgs) == 0 {
			sgs = []string{"?default security group"}
			b.explain[o.Name] = append(b.explain[o.Name], o.Name+" sets no security group: the VPC's default security group applies, which is not in the configuration")
		}
		public, known := b.instancePublic(o, sub)
		if eip[o.Name] {
			public, known = true, true
		}
		eni := snapshot.NetworkInterface{NetworkInterfaceId: o.Name + "#eni0", SubnetId: sub, VpcId: b.vpcOf(sub),
			PrivateIpAddress: str(o, "private_ip"), InterfaceType: "interface", Status: "in-use"}
		if eni.PrivateIpAddress == "" {
			eni.PrivateIpAddress = b.privatePlaceholder(o.Name, sub)
		}
		eni.Attachment = &struct {
			InstanceId  string `json:"InstanceId"`
			DeviceIndex int    `json:"DeviceIndex"`
			Status      string `json:"Status"`
		}{InstanceId: o.Name, Status: "attached"}
		for _, g := range sgs {
			eni.Groups = append(eni.Groups, snapshot.GroupRef{GroupId: g})
		}
		if public || !known {
			eni.Association = &snapshot.IPAssociation{PublicIp: b.publicPlaceholder("(public IPv4 of " + o.Name + ", assigned at launch)")}
		}
		inst := snapshot.Instance{InstanceId: o.Name, SubnetId: sub, VpcId: eni.VpcId, State: struct{ Name string }{"running"},
			NetworkInterfaces: []snapshot.NetworkInterface{eni}}
		b.snap.Instances = append(b.snap.Instances, inst)
		b.owned[o.Name] = []string{o.Name, eni.NetworkInterfaceId}
	}
}

// instancePublic says whether an instance gets a public IPv4 address, and
// whether that is known; when not, pubUnknown records why.
func (b *builder) instancePublic(o *check.Object, sub string) (public, known bool) {
	if w := unknownAt(o, "associate_public_ip_address"); w != "" {
		b.pubUnknown[o.Name] = w
		return false, false
	}
	if v, set := boolAt(o, "associate_public_ip_address"); set {
		return v, true
	}
	so := b.subnetObj(sub)
	if so == nil {
		b.pubUnknown[o.Name] = "whether " + o.Name + " gets a public IPv4 address depends on its subnet's map_public_ip_on_launch, and the subnet is not in the configuration"
		return false, false
	}
	if w := unknownAt(so, "map_public_ip_on_launch"); w != "" {
		b.pubUnknown[o.Name] = w
		return false, false
	}
	v, _ := boolAt(so, "map_public_ip_on_launch")
	return v, true
}

// privatePlaceholder stands for the private address EC2 assigns at
// launch: the first address of the subnet AWS does not reserve (VPC User
// Guide, "Subnet CIDR blocks": the first four are reserved), so that
// paths from a load balancer to the instance are evaluated against the
// subnet's range. Verdicts that a rule about that one address decides are
// made unknown (a second run with addresses from the end of the subnet,
// awsexposure.Compare). "" when the subnet's range is not known.
func (b *builder) privatePlaceholder(inst, subnet string) string {
	for i := range b.snap.Subnets {
		s := &b.snap.Subnets[i]
		if s.SubnetId != subnet || s.CidrBlock == "" {
			continue
		}
		p, err := netip.ParsePrefix(s.CidrBlock)
		if err != nil || !p.Addr().Is4() || p.Bits() > 28 {
			return ""
		}
		a := p.Masked().Addr()
		b.privateNext[subnet]++
		if b.lastAddr {
			// The last address is reserved too: count down from it.
			a = lastAddr(p)
			for range b.privateNext[subnet] {
				a = a.Prev()
			}
		} else {
			for range 3 + b.privateNext[subnet] {
				a = a.Next()
			}
		}
		if !p.Contains(a) {
			return ""
		}
		b.placeholders[a.String()] = "(private IPv4 of " + inst + ", assigned at launch)"
		b.privateUnknown[inst] = a.String()
		return a.String()
	}
	return ""
}

// lastAddr is the highest address of an IPv4 prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
