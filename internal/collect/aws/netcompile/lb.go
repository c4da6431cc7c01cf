package netcompile

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/netmodel"
)

// loadBalancers compiles ELBv2 and classic load balancers into fronts and
// their target groups into pools.
func (c *compiler) loadBalancers() error {
	reg := c.reg
	nodes := map[string][]netmodel.Node{} // by ENI description
	for i := range reg.NetworkInterfaces {
		e := &reg.NetworkInterfaces[i]
		if !strings.HasPrefix(e.Description, "ELB ") {
			continue
		}
		for _, ip := range privateIPs(e) {
			if a, err := netip.ParseAddr(ip); err == nil {
				nodes[e.Description] = append(nodes[e.Description], netmodel.Node{Subnet: e.SubnetId, Addr: a})
			}
		}
	}
	listeners := map[string][]*snapshot.Listener{}
	for i := range reg.Listeners {
		li := &reg.Listeners[i]
		listeners[li.LoadBalancerArn] = append(listeners[li.LoadBalancerArn], li)
	}
	tgs := map[string]*snapshot.TargetGroup{}
	for i := range reg.TargetGroups {
		tgs[reg.TargetGroups[i].TargetGroupArn] = &reg.TargetGroups[i]
	}
	pools := map[string]bool{}
	for i := range reg.LoadBalancers {
		lb := &reg.LoadBalancers[i]
		f, err := c.elbv2(lb, listeners[lb.LoadBalancerArn])
		if err != nil {
			return err
		}
		suffix := lb.LoadBalancerArn
		if i := strings.Index(suffix, ":loadbalancer/"); i >= 0 {
			suffix = suffix[i+len(":loadbalancer/"):]
		}
		f.Nodes = nodes["ELB "+suffix]
		for _, l := range f.Listeners {
			for _, fw := range l.Forwards {
				if !pools[fw.Pool] {
					pools[fw.Pool] = true
					c.out.Pools = append(c.out.Pools, c.pool(fw.Pool, tgs[fw.Pool], lb.Type))
				}
			}
		}
		c.out.Fronts = append(c.out.Fronts, f)
	}
	for i := range reg.ClassicLoadBalancers {
		lb := &reg.ClassicLoadBalancers[i]
		f := c.classic(lb)
		f.Nodes = nodes["ELB "+lb.LoadBalancerName]
		c.out.Fronts = append(c.out.Fronts, f)
	}
	return nil
}

func (c *compiler) elbv2(lb *snapshot.LoadBalancer, ls []*snapshot.Listener) (netmodel.Front, error) {
	f := netmodel.Front{ID: lb.LoadBalancerArn, Aliases: []string{lb.LoadBalancerName}, Type: "elbv2_" + lb.Type, Kind: lb.Type,
		Network: lb.VpcId, Public: lb.Scheme == "internet-facing", Groups: lb.SecurityGroups}
	switch lb.IpAddressType {
	case "dualstack":
		f.V4, f.V6 = true, true
	case "dualstack-without-public-ipv4":
		f.V6 = true
	default:
		f.V4 = true
	}
	if len(f.Groups) == 0 {
		f.Groups = nil
	}
	for _, az := range lb.AvailabilityZones {
		f.Subnets = append(f.Subnets, az.SubnetId)
	}
	if lb.Type == "gateway" {
		return f, nil
	}
	if !c.reg.HasKey("elbv2/describe-listeners", lb.LoadBalancerArn) {
		f.ListenersMissing = c.reg.Missing("elbv2/describe-listeners", lb.LoadBalancerArn)
		return f, nil
	}
	for _, li := range ls {
		l := netmodel.Listener{ID: li.ListenerArn, Port: li.Port, Protocols: listenerProtos(li.Protocol),
			Detail: fmt.Sprintf("%s listener on port %d", li.Protocol, li.Port)}
		// ELB guide, "Listeners for your Network Load Balancers": TCP, UDP
		// and TCP_UDP listeners forward the client's connection to the
		// target without terminating it (the target completes the
		// handshake), while a TLS listener terminates the connection at the
		// load balancer. Application load balancers always terminate.
		if lb.Type == "network" {
			switch strings.ToUpper(li.Protocol) {
			case "TCP", "UDP", "TCP_UDP":
				l.PassThrough = true
			}
		}
		var err error
		if l.Forwards, l.ForwardsMissing, err = c.forwards(li, lb.Type); err != nil {
			return f, err
		}
		f.Listeners = append(f.Listeners, l)
	}
	return f, nil
}

// listenerProtos maps a listener protocol to tcp/udp (GENEVE: none).
func listenerProtos(proto string) []netmodel.Protocols {
	switch strings.ToUpper(proto) {
	case "UDP":
		return []netmodel.Protocols{netmodel.UDP}
	case "TCP_UDP":
		return []netmodel.Protocols{netmodel.TCP, netmodel.UDP}
	case "GENEVE":
		return nil
	}
	return []netmodel.Protocols{netmodel.TCP}
}

func forwardTargets(actions []snapshot.Action) []string {
	var out []string
	for _, ac := range actions {
		if !strings.EqualFold(ac.Type, "forward") {
			continue
		}
		if ac.ForwardConfig != nil && len(ac.ForwardConfig.TargetGroups) > 0 {
			for _, t := range ac.ForwardConfig.TargetGroups {
				if t.Weight == nil || *t.Weight > 0 {
					out = append(out, t.TargetGroupArn)
				}
			}
		} else if ac.TargetGroupArn != "" {
			out = append(out, ac.TargetGroupArn)
		}
	}
	return out
}

// forwards lists the target groups a listener reaches. Rule conditions on
// host, path, headers, method or query string are chosen by the client,
// so any rule can be matched; only source-ip restricts who.
func (c *compiler) forwards(li *snapshot.Listener, lbType string) ([]netmodel.Forward, []string, error) {
	var out []netmodel.Forward
	for _, tg := range forwardTargets(li.DefaultActions) {
		out = append(out, netmodel.Forward{ID: li.ListenerArn, Detail: "default action forwards to " + tg, Pool: tg})
	}
	if lbType != "application" {
		return out, nil, nil
	}
	rules, ok := c.reg.Rules(li.ListenerArn)
	if !ok {
		return out, []string{c.reg.Missing("elbv2/describe-rules", li.ListenerArn)}, nil
	}
	for _, ru := range rules {
		if ru.IsDefault {
			continue
		}
		fw := netmodel.Forward{ID: ru.RuleArn}
		var desc []string
		for _, cond := range ru.Conditions {
			if cond.Field != "source-ip" {
				continue
			}
			vals := cond.Values
			if cond.SourceIpConfig != nil {
				vals = cond.SourceIpConfig.Values
			}
			var set []netip.Prefix
			for _, v := range vals {
				p, err := c.prefix(v, "elbv2/describe-rules", "rule "+ru.RuleArn)
				if err != nil {
					return nil, nil, err
				}
				set = append(set, p)
			}
			// Several source-ip conditions all apply: intersect them.
			if fw.Restricted {
				set = intersectPrefixes(fw.Sources, set)
			}
			fw.Restricted, fw.Sources = true, set
			desc = append(desc, "source-ip "+strings.Join(vals, ","))
		}
		for _, tg := range forwardTargets(ru.Actions) {
			x := fw
			x.Pool = tg
			x.Detail = fmt.Sprintf("rule priority %s forwards to %s", ru.Priority, tg)
			if len(desc) > 0 {
				x.Detail += " when " + strings.Join(desc, " and ")
			}
			out = append(out, x)
		}
	}
	return out, nil, nil
}

// pool compiles one target group.
func (c *compiler) pool(arn string, tg *snapshot.TargetGroup, lbType string) netmodel.Pool {
	if tg == nil {
		return netmodel.Pool{ID: arn, Missing: fmt.Sprintf("target group %s not in elbv2/describe-target-groups.json", arn)}
	}
	p := netmodel.Pool{ID: arn, Port: tg.Port, Protocol: tg.Protocol, TargetType: tg.TargetType, Network: tg.VpcId,
		PreserveClientIP: c.preserveClientIP(tg, lbType),
		Detail:           fmt.Sprintf("%s target group, port %d, %s targets", tg.Protocol, tg.Port, tg.TargetType)}
	targets, ok := c.reg.TargetHealth(arn)
	if !ok {
		p.TargetsMissing = c.reg.Missing("elbv2/describe-target-health", arn) + " (registered targets unknown)"
		return p
	}
	for _, th := range targets {
		t := netmodel.Target{ID: th.Target.Id, Port: th.Target.Port, Health: th.TargetHealth.State}
		switch tg.TargetType {
		case "", "instance":
			t.Kind = netmodel.TargetHost
		case "ip":
			t.Kind = netmodel.TargetAddr
		case "lambda":
			t.Kind = netmodel.TargetFunction
		case "alb":
			t.Kind = netmodel.TargetFront
		default:
			continue
		}
		p.Targets = append(p.Targets, t)
	}
	return p
}

// preserveClientIP decides whether targets see client addresses. ELB
// guide, "Target groups for your Network Load Balancers › Client IP
// preservation": enabled by default for instance targets and for UDP and
// TCP_UDP target groups, disabled by default for ip targets of TCP/TLS
// groups; the preserve_client_ip.enabled attribute overrides it.
// Application and classic load balancers always connect from their own
// node addresses.
func (c *compiler) preserveClientIP(tg *snapshot.TargetGroup, lbType string) bool {
	if lbType != "network" {
		return false
	}
	if attrs, ok := c.reg.TargetGroupAttributes(tg.TargetGroupArn); ok {
		if v, ok := attrs["preserve_client_ip.enabled"]; ok {
			return v == "true"
		}
	}
	up := strings.ToUpper(tg.Protocol)
	return tg.TargetType == "instance" || tg.TargetType == "" || up == "UDP" || up == "TCP_UDP"
}

// classic compiles a classic load balancer: each listener forwards to the
// registered instances on its instance port (no target group).
func (c *compiler) classic(lb *snapshot.ClassicLoadBalancer) netmodel.Front {
	f := netmodel.Front{ID: lb.LoadBalancerName, Type: "elb_classic", Kind: "classic", Network: lb.VPCId,
		Public: lb.Scheme == "internet-facing", V4: true, Subnets: lb.Subnets, Groups: lb.SecurityGroups}
	if len(f.Groups) == 0 {
		f.Groups = nil
	}
	// The classic API has no ARN field; the ARN is
	// arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/NAME (ELB
	// guide, "Elastic Load Balancing resource types" in the Service
	// Authorization Reference).
	f.Aliases = []string{fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/%s", c.reg.Name, c.reg.Account, lb.LoadBalancerName)}
	for _, ld := range lb.ListenerDescriptions {
		l := ld.Listener
		id := fmt.Sprintf("%s:%d", lb.LoadBalancerName, l.LoadBalancerPort)
		pool := netmodel.Pool{ID: id, Port: l.InstancePort, TargetType: "instance", Network: lb.VPCId}
		for _, in := range lb.Instances {
			pool.Targets = append(pool.Targets, netmodel.Target{Kind: netmodel.TargetHost, ID: in.InstanceId, Port: l.InstancePort})
		}
		c.out.Pools = append(c.out.Pools, pool)
		f.Listeners = append(f.Listeners, netmodel.Listener{ID: id, Port: l.LoadBalancerPort, Protocols: []netmodel.Protocols{netmodel.TCP},
			Detail:   fmt.Sprintf("%s listener on port %d → instance port %d", l.Protocol, l.LoadBalancerPort, l.InstancePort),
			Forwards: []netmodel.Forward{{ID: id, Pool: id}}})
	}
	return f
}

// intersectPrefixes intersects two prefix lists: two prefixes overlap only
// when one contains the other, and then the longer one is the overlap.
func intersectPrefixes(a, b []netip.Prefix) []netip.Prefix {
	out := []netip.Prefix{}
	for _, x := range a {
		for _, y := range b {
			if x.Overlaps(y) {
				if x.Bits() >= y.Bits() {
					out = append(out, x)
				} else {
					out = append(out, y)
				}
			}
		}
	}
	return out
}
