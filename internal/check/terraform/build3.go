package terraform

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
)

// loadBalancers maps aws_lb/aws_alb with their listeners, listener rules,
// target groups and target group attachments.
func (b *builder) loadBalancers() {
	lbs := b.typs("aws_lb", "aws_alb")
	for _, o := range lbs {
		lb := snapshot.LoadBalancer{LoadBalancerArn: o.Name, LoadBalancerName: str(o, "name"), Type: or(str(o, "load_balancer_type"), "application"),
			Scheme: "internet-facing", IpAddressType: or(str(o, "ip_address_type"), "ipv4")}
		if w := unknownAt(o, "internal"); w != "" {
			b.explain[o.Name] = append(b.explain[o.Name], w)
			b.pubUnknown[o.Name] = w
		} else if in, _ := boolAt(o, "internal"); in {
			lb.Scheme = "internal"
		}
		subs, whys := b.refList(o, "subnets")
		b.explain[o.Name] = append(b.explain[o.Name], whys...)
		for j := 0; j < blocks(o, "subnet_mapping"); j++ {
			if id, why := b.ref(o, fmt.Sprintf("subnet_mapping[%d].subnet_id", j)); id != "" {
				subs = append(subs, id)
			} else if why != "" {
				b.explain[o.Name] = append(b.explain[o.Name], why)
			}
		}
		for _, s := range subs {
			lb.AvailabilityZones = append(lb.AvailabilityZones, snapshot.AvailabilityZone{SubnetId: s})
			if lb.VpcId == "" {
				lb.VpcId = b.vpcOf(s)
			}
		}
		if lb.Type != "network" || len(strs(o, "security_groups")) > 0 || b.listUnknown(o, "security_groups") != "" {
			lb.SecurityGroups = b.sgList(o, "security_groups")
		}
		b.snap.LoadBalancers = append(b.snap.LoadBalancers, lb)
		b.owned[o.Name] = []string{o.Name}
	}
	listeners := map[string][]snapshot.Listener{}
	for _, o := range b.typs("aws_lb_listener", "aws_alb_listener") {
		lb, why := b.ref(o, "load_balancer_arn")
		if why != "" {
			b.gapNote(o, why)
			continue
		}
		port, _ := intAt(o, "port")
		li := snapshot.Listener{ListenerArn: o.Name, LoadBalancerArn: lb, Port: port, Protocol: or(str(o, "protocol"), "HTTP"),
			DefaultActions: b.actions(o, "default_action")}
		listeners[lb] = append(listeners[lb], li)
		b.snap.SetRules(o.Name, b.rulesOf(o.Name))
	}
	for _, o := range lbs {
		b.snap.SetListeners(o.Name, listeners[o.Name])
	}
	targets := map[string][]snapshot.TargetHealthDescription{}
	for _, o := range b.typs("aws_lb_target_group_attachment", "aws_alb_target_group_attachment") {
		tg, _ := b.ref(o, "target_group_arn")
		id, _ := b.ref(o, "target_id")
		var th snapshot.TargetHealthDescription
		th.Target.Id = id
		th.Target.Port, _ = intAt(o, "port")
		th.TargetHealth.State = "healthy"
		targets[tg] = append(targets[tg], th)
	}
	// Target groups also filled by autoscaling groups or ECS services
	// have targets only known at run time.
	dynamic := map[string]bool{}
	for _, o := range b.typs("aws_autoscaling_group", "aws_autoscaling_attachment", "aws_ecs_service") {
		for k, r := range b.refs[o.Name] {
			if strings.Contains(k, "target_group_arn") {
				addr, _ := splitRef(r)
				dynamic[addr] = true
			}
		}
	}
	for _, o := range b.typs("aws_lb_target_group", "aws_alb_target_group") {
		vpc, _ := b.ref(o, "vpc_id")
		port, _ := intAt(o, "port")
		tg := snapshot.TargetGroup{TargetGroupArn: o.Name, TargetGroupName: str(o, "name"), Protocol: or(str(o, "protocol"), "HTTP"),
			Port: port, VpcId: vpc, TargetType: or(str(o, "target_type"), "instance")}
		b.snap.TargetGroups = append(b.snap.TargetGroups, tg)
		if !dynamic[o.Name] {
			for i := range targets[o.Name] {
				if targets[o.Name][i].Target.Port == 0 {
					targets[o.Name][i].Target.Port = port
				}
			}
			b.snap.SetTargetHealth(o.Name, targets[o.Name])
		}
		if v, set := boolAt(o, "preserve_client_ip"); set {
			b.snap.SetTargetGroupAttributes(o.Name, map[string]string{"preserve_client_ip.enabled": fmt.Sprint(v)})
		}
	}
}

// actions reads default_action / action blocks that forward.
func (b *builder) actions(o *check.Object, name string) []snapshot.Action {
	var out []snapshot.Action
	for j := 0; j < blocks(o, name); j++ {
		p := fmt.Sprintf("%s[%d].", name, j)
		a := snapshot.Action{Type: str(o, p+"type")}
		if tg, _ := b.ref(o, p+"target_group_arn"); tg != "" {
			a.TargetGroupArn = tg
		}
		out = append(out, a)
	}
	return out
}

// rulesOf returns the listener rules (aws_lb_listener_rule) of a listener,
// with their source-ip conditions.
func (b *builder) rulesOf(listener string) []snapshot.Rule {
	var out []snapshot.Rule
	for _, o := range b.typs("aws_lb_listener_rule", "aws_alb_listener_rule") {
		if l, _ := b.ref(o, "listener_arn"); l != listener {
			continue
		}
		ru := snapshot.Rule{RuleArn: o.Name, Priority: fmt.Sprint(get(o, "priority")), Actions: b.actions(o, "action")}
		for j := 0; j < blocks(o, "condition"); j++ {
			vals := strs(o, fmt.Sprintf("condition[%d].source_ip[0].values", j))
			if len(vals) > 0 {
				ru.Conditions = append(ru.Conditions, snapshot.RuleCondition{Field: "source-ip", Values: vals})
			}
		}
		out = append(out, ru)
	}
	return out
}

func (b *builder) gapNote(o *check.Object, why string) {
	b.explain[o.Name] = append(b.explain[o.Name], why)
}

// dbPorts are the default ports of the RDS engines (RDS User Guide,
// "Connecting to a DB instance"), for instances that do not set port.
var dbPorts = map[string]int{"mysql": 3306, "mariadb": 3306, "aurora-mysql": 3306, "aurora": 3306, "postgres": 5432,
	"aurora-postgresql": 5432, "oracle-ee": 1521, "oracle-se2": 1521, "oracle-ee-cdb": 1521, "oracle-se2-cdb": 1521,
	"sqlserver-ee": 1433, "sqlserver-se": 1433, "sqlserver-ex": 1433, "sqlserver-web": 1433, "db2-se": 50000, "db2-ae": 50000}

// databases maps aws_db_instance to the network interfaces RDS creates:
// one in each subnet of its DB subnet group (RDS picks one at apply), in
// its VPC security groups, with a public address when publicly_accessible
// (RDS User Guide, "Working with a DB instance in a VPC").
func (b *builder) databases() {
	for _, o := range b.typs("aws_db_instance") {
		port, ok := intAt(o, "port")
		if !ok {
			port = dbPorts[str(o, "engine")]
		}
		if port > 0 {
			o.Vars["db_port"] = int64(port)
		}
		subs, why := b.dbSubnets(o)
		if why != "" {
			b.explain[o.Name] = append(b.explain[o.Name], why)
		}
		sgs := b.sgList(o, "vpc_security_group_ids")
		if len(sgs) == 0 {
			sgs = []string{"?default security group"}
			b.explain[o.Name] = append(b.explain[o.Name], o.Name+" sets no vpc_security_group_ids: the VPC's default security group applies, which is not in the configuration")
		}
		public, _ := boolAt(o, "publicly_accessible")
		if w := unknownAt(o, "publicly_accessible"); w != "" {
			b.pubUnknown[o.Name] = w
			public = true
		}
		if len(subs) == 0 {
			subs = []string{""}
		}
		for _, s := range subs {
			eni := snapshot.NetworkInterface{NetworkInterfaceId: o.Name + "#eni-" + or(s, "unknown-subnet"), SubnetId: s, VpcId: b.vpcOf(s),
				InterfaceType: "interface", Description: "RDSNetworkInterface", RequesterManaged: true, Status: "in-use"}
			for _, g := range sgs {
				eni.Groups = append(eni.Groups, snapshot.GroupRef{GroupId: g})
			}
			if public {
				eni.Association = &snapshot.IPAssociation{PublicIp: b.publicPlaceholder("(public IPv4 of " + o.Name + ", assigned by RDS)")}
			}
			b.snap.NetworkInterfaces = append(b.snap.NetworkInterfaces, eni)
			b.owned[o.Name] = append(b.owned[o.Name], eni.NetworkInterfaceId)
		}
	}
}

// dbSubnets resolves a DB instance's subnet group to its subnets.
func (b *builder) dbSubnets(o *check.Object) ([]string, string) {
	target := ""
	if r := b.refs[o.Name]["db_subnet_group_name"]; r != "" {
		target, _ = splitRef(r)
	}
	name := str(o, "db_subnet_group_name")
	if target == "" && name == "" {
		if w := unknownAt(o, "db_subnet_group_name"); w != "" {
			return nil, w
		}
		return nil, o.Name + " has no db_subnet_group_name: it is placed in the default VPC, which is not in the configuration"
	}
	for _, g := range b.typs("aws_db_subnet_group") {
		if g.Name == target || (name != "" && str(g, "name") == name) {
			ids, whys := b.refList(g, "subnet_ids")
			return ids, strings.Join(whys, "; ")
		}
	}
	return nil, fmt.Sprintf("DB subnet group %q of %s is not in the configuration", or(name, target), o.Name)
}

// classicLoadBalancers maps aws_elb (with aws_elb_attachment): listeners
// forward to the registered instances on their instance port (ELB Classic
// guide, "Listeners for your Classic Load Balancer").
func (b *builder) classicLoadBalancers() {
	attached := map[string][]string{}
	for _, o := range b.typs("aws_elb_attachment") {
		elb, _ := b.ref(o, "elb")
		if in, _ := b.ref(o, "instance"); elb != "" && in != "" {
			attached[elb] = append(attached[elb], in)
		}
	}
	for _, o := range b.typs("aws_elb") {
		scheme := "internet-facing"
		if w := unknownAt(o, "internal"); w != "" {
			b.explain[o.Name] = append(b.explain[o.Name], w)
			b.pubUnknown[o.Name] = w
		} else if in, _ := boolAt(o, "internal"); in {
			scheme = "internal"
		}
		subs, whys := b.refList(o, "subnets")
		b.explain[o.Name] = append(b.explain[o.Name], whys...)
		sgs := b.sgList(o, "security_groups")
		insts, iw := b.refList(o, "instances")
		b.explain[o.Name] = append(b.explain[o.Name], iw...)
		insts = append(insts, attached[o.Name]...)
		type listener struct {
			Protocol         string `json:"Protocol"`
			LoadBalancerPort int    `json:"LoadBalancerPort"`
			InstanceProtocol string `json:"InstanceProtocol"`
			InstancePort     int    `json:"InstancePort"`
		}
		var lds []map[string]listener
		for j := 0; j < blocks(o, "listener"); j++ {
			p := fmt.Sprintf("listener[%d].", j)
			lp, _ := intAt(o, p+"lb_port")
			ip, _ := intAt(o, p+"instance_port")
			lds = append(lds, map[string]listener{"Listener": {Protocol: strings.ToUpper(str(o, p+"lb_protocol")), LoadBalancerPort: lp,
				InstanceProtocol: strings.ToUpper(str(o, p+"instance_protocol")), InstancePort: ip}})
		}
		var is []map[string]string
		for _, i := range insts {
			is = append(is, map[string]string{"InstanceId": i})
		}
		vpc := ""
		if len(subs) > 0 {
			vpc = b.vpcOf(subs[0])
		}
		raw := map[string]any{"LoadBalancerName": o.Name, "Scheme": scheme, "VPCId": vpc, "Subnets": subs,
			"SecurityGroups": sgs, "ListenerDescriptions": lds, "Instances": is}
		js, _ := json.Marshal(raw)
		var lb snapshot.ClassicLoadBalancer
		if err := json.Unmarshal(js, &lb); err != nil {
			b.explain[o.Name] = append(b.explain[o.Name], fmt.Sprintf("%s not read: %v", o.Name, err))
			continue
		}
		b.snap.ClassicLoadBalancers = append(b.snap.ClassicLoadBalancers, lb)
		b.owned[o.Name] = []string{o.Name}
	}
}
