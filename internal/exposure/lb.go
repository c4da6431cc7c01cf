package exposure

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/exposure/netset"
)

// lbNode is one load-balancer node: the address(es) it uses towards its
// targets, in one subnet. When the node's interface is not in the
// snapshot, addrs is the whole subnet (approx) and the proof says so.
type lbNode struct {
	subnet string
	addrs  netset.Set
	approx bool
}

// front is the internet side of a load balancer.
type front struct {
	id, typ, kind string // kind: application|network|classic
	vpc           string
	internet      bool
	u             netset.Set
	subnets       []string
	sgs           *sgSet // nil: no security groups (NLB without SGs)
	nodes         []lbNode
}

// Elastic Load Balancing guides: an internet-facing load balancer has
// public addresses and routes requests from clients over the internet;
// an internal one has only private addresses. Its nodes live in its
// subnets, so each subnet's route table (return route to the internet
// gateway) and network ACL apply, and so do its security groups (ALB,
// classic, NLB created with security groups). Clients reach any node
// through DNS, so the listener's sources are the union over subnets.
func (a *analysis) frontStages(f *front, sub *subnetInfo, p int) (netset.Set, []stage) {
	start := netset.Box(netset.Internet, 0, netset.MaxPort)
	st := []stage{addrStage("load_balancer", f.id, f.u, start, fmt.Sprintf("internet-facing %s load balancer node in %s", f.kind, sub.id))}
	st = append(st, a.m.networkStages(sub, p, st[0].space)...)
	if f.sgs != nil {
		st = append(st, sgStage(f.sgs, p, st[len(st)-1].space, "lb_security_group"))
	}
	return netset.Internet, st
}

// listenerSources evaluates one listener port over all of the LB's subnets.
func (a *analysis) listenerSources(f *front, p int, port uint16) (netset.Set, []Hop, *Hop, []string) {
	if !f.internet {
		return netset.Set{}, nil, &Hop{Kind: "load_balancer", ID: f.id, Detail: "scheme is internal: the load balancer has only private addresses"}, nil
	}
	var (
		all     netset.Set
		path    []Hop
		blocked *Hop
		missing []string
	)
	for _, sid := range f.subnets {
		sub := a.m.subnets[sid]
		if sub == nil {
			missing = append(missing, fmt.Sprintf("subnet %s of %s not in ec2/describe-subnets.json", sid, f.id))
			continue
		}
		start, st := a.frontStages(f, sub, p)
		srcs, pth, blk, miss := evalPort(start, st, port)
		missing = append(missing, miss...)
		if !srcs.IsEmpty() && path == nil {
			path = pth
		}
		if blk != nil && blocked == nil {
			blocked = blk
		}
		all = all.Union(srcs)
	}
	if !all.IsEmpty() {
		blocked = nil
	} else if len(missing) > 0 {
		blocked = nil
	}
	return all, path, blocked, missing
}

// nodesOf finds the load balancer's interfaces ("ELB app/name/id",
// "ELB net/name/id" or "ELB name" for classic).
func (a *analysis) nodesOf(desc string, subnets []string) []lbNode {
	var out []lbNode
	found := map[string]bool{}
	for _, e := range a.m.lbENIs[desc] {
		for _, ip := range privateIPs(e) {
			if ad, ok := mustAddr(ip); ok {
				out = append(out, lbNode{subnet: e.SubnetId, addrs: netset.Single(ad)})
				found[e.SubnetId] = true
			}
		}
	}
	for _, s := range subnets {
		if sub := a.m.subnets[s]; sub != nil && !found[s] {
			out = append(out, lbNode{subnet: s, addrs: sub.cidrs, approx: true})
		}
	}
	return out
}

func (a *analysis) loadBalancers(ctx context.Context) error {
	reg := a.m.reg
	a.m.targetGroups = map[string]*snapshot.TargetGroup{}
	for i := range reg.TargetGroups {
		a.m.targetGroups[reg.TargetGroups[i].TargetGroupArn] = &reg.TargetGroups[i]
	}
	a.m.listeners = map[string][]*snapshot.Listener{}
	for i := range reg.Listeners {
		li := &reg.Listeners[i]
		a.m.listeners[li.LoadBalancerArn] = append(a.m.listeners[li.LoadBalancerArn], li)
	}
	// Load balancers are independent: each is analysed by its own
	// analysis value (its own out, lastUnknown, lastPath) in parallel, and
	// the rows are appended in snapshot order.
	nv2 := len(reg.LoadBalancers)
	outs := make([][]Result, nv2+len(reg.ClassicLoadBalancers))
	err := parallel(ctx, len(outs), func(i int) {
		sub := &analysis{m: a.m, eniRows: a.eniRows, eniTask: a.eniTask, hostTask: a.hostTask}
		if i < nv2 {
			sub.elbv2(&reg.LoadBalancers[i])
		} else {
			sub.classic(&reg.ClassicLoadBalancers[i-nv2])
		}
		outs[i] = sub.out
	})
	if err != nil {
		return err
	}
	for _, o := range outs {
		a.out = append(a.out, o...)
	}
	return nil
}

// lbProtos maps a listener protocol to tcp/udp.
func lbProtos(proto string) []int {
	switch strings.ToUpper(proto) {
	case "UDP":
		return []int{udp}
	case "TCP_UDP":
		return []int{tcp, udp}
	case "GENEVE":
		return nil
	}
	return []int{tcp}
}

// fwd is one way a listener forwards: a target group, restricted to some
// client sources (ALB "source-ip" rule conditions).
type fwd struct {
	tg       string
	restrict netset.Set
	hop      Hop
}

func forwards(actions []snapshot.Action) []string {
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

// listenerForwards lists the target groups a listener reaches. Rule
// conditions on host, path, headers, method or query string are chosen by
// the client, so any rule can be matched; only source-ip restricts who.
func (a *analysis) listenerForwards(li *snapshot.Listener, lbType string) ([]fwd, []string) {
	var out []fwd
	for _, tg := range forwards(li.DefaultActions) {
		out = append(out, fwd{tg: tg, restrict: allAddrs, hop: Hop{Kind: "listener_rule", ID: li.ListenerArn, Detail: "default action forwards to " + tg}})
	}
	if lbType != "application" {
		return out, nil
	}
	rules, ok := a.m.reg.Rules(li.ListenerArn)
	if !ok {
		return out, []string{a.m.reg.Missing("elbv2/describe-rules", li.ListenerArn)}
	}
	for _, ru := range rules {
		if ru.IsDefault {
			continue
		}
		restrict := allAddrs
		desc := []string{}
		for _, c := range ru.Conditions {
			if c.Field != "source-ip" {
				continue
			}
			vals := c.Values
			if c.SourceIpConfig != nil {
				vals = c.SourceIpConfig.Values
			}
			var s netset.Set
			for _, v := range vals {
				if x, err := netset.Parse(v); err == nil {
					s = s.Union(x)
				}
			}
			restrict = restrict.Intersect(s)
			desc = append(desc, "source-ip "+strings.Join(vals, ","))
		}
		for _, tg := range forwards(ru.Actions) {
			d := fmt.Sprintf("rule priority %s forwards to %s", ru.Priority, tg)
			if len(desc) > 0 {
				d += " when " + strings.Join(desc, " and ")
			}
			out = append(out, fwd{tg: tg, restrict: restrict, hop: Hop{Kind: "listener_rule", ID: ru.RuleArn, Detail: d}})
		}
	}
	return out, nil
}

func (a *analysis) elbv2(lb *snapshot.LoadBalancer) {
	reg := a.m.reg
	kind := lb.Type
	typ := "elbv2_" + kind
	f := &front{id: lb.LoadBalancerArn, typ: typ, kind: kind, vpc: lb.VpcId, internet: lb.Scheme == "internet-facing"}
	switch lb.IpAddressType {
	case "dualstack":
		f.u = netset.Internet
	case "dualstack-without-public-ipv4":
		f.u = netset.InternetV6
	default:
		f.u = netset.InternetV4
	}
	for _, az := range lb.AvailabilityZones {
		f.subnets = append(f.subnets, az.SubnetId)
	}
	if len(lb.SecurityGroups) > 0 {
		f.sgs = a.m.groups(lb.SecurityGroups)
	}
	suffix := lb.LoadBalancerArn
	if i := strings.Index(suffix, ":loadbalancer/"); i >= 0 {
		suffix = suffix[i+len(":loadbalancer/"):]
	}
	f.nodes = a.nodesOf("ELB "+suffix, f.subnets)
	if kind == "gateway" {
		return
	}
	if !reg.HasKey("elbv2/describe-listeners", lb.LoadBalancerArn) {
		a.out = append(a.out, Result{Resource: f.id, ResourceType: typ, Protocol: "tcp", ToPort: netset.MaxPort, Verdict: Unknown,
			Sources: []string{}, Path: []Hop{}, Missing: []string{reg.Missing("elbv2/describe-listeners", lb.LoadBalancerArn)}})
		return
	}
	tgs := a.m.targetGroups
	for _, li := range a.m.listeners[lb.LoadBalancerArn] {
		fw, fwMiss := a.listenerForwards(li, kind)
		for _, p := range lbProtos(li.Protocol) {
			port := clampPort(li.Port)
			lhop := Hop{Kind: "listener", ID: li.ListenerArn, Detail: fmt.Sprintf("%s listener on port %d", li.Protocol, li.Port)}
			srcs := a.emitFront(f, p, port, lhop)
			if srcs.IsEmpty() && !a.lastUnknown {
				continue
			}
			for _, x := range fw {
				a.viaTargetGroup(f, tgs[x.tg], x, p, srcs.Intersect(x.restrict))
			}
			for _, miss := range fwMiss {
				a.out = append(a.out, Result{Resource: li.ListenerArn, ResourceType: "elbv2_listener", Protocol: protoNames[p],
					FromPort: int(port), ToPort: int(port), Verdict: Unknown, Sources: []string{}, Path: []Hop{lhop},
					Missing: []string{miss + " (targets reached through listener rules are unknown)"}})
			}
		}
	}
}

// emitFront emits the load balancer's own result for one listener port
// and returns the sources that reach the listener.
func (a *analysis) emitFront(f *front, p int, port uint16, lhop Hop) netset.Set {
	srcs, path, blocked, missing := a.listenerSources(f, p, port)
	r := Result{Resource: f.id, ResourceType: f.typ, Protocol: protoNames[p], FromPort: int(port), ToPort: int(port),
		Sources: []string{}, Path: append([]Hop{lhop}, path...), Missing: dedup(missing), BlockedBy: blocked}
	switch {
	case !srcs.IsEmpty():
		r.setSources(srcs, a.m.vpcCIDRs[f.vpc])
	case blocked != nil:
		r.Verdict = NotExposed
	default:
		r.Verdict = Unknown
	}
	a.lastUnknown = r.Verdict == Unknown
	a.lastPath = r.Path
	a.out = append(a.out, r)
	return srcs
}

// targetRef is a resolved load-balancer target.
type targetRef struct {
	eni      *snapshot.NetworkInterface
	ip       netip.Addr
	resource string
	typ      string
	hop      Hop
}

func (a *analysis) resolveTarget(targetType, id, vpc string) (*targetRef, string) {
	switch targetType {
	case "", "instance":
		eni := a.m.primary[id]
		if eni == "" {
			return nil, fmt.Sprintf("network interfaces of target instance %s not in snapshot", id)
		}
		e := a.m.enis[eni]
		ip, _ := mustAddr(e.PrivateIpAddress)
		return &targetRef{eni: e, ip: ip, resource: id, typ: "ec2_instance",
			hop: Hop{Kind: "target", ID: id, Detail: fmt.Sprintf("instance target, primary interface %s (%s)", eni, e.PrivateIpAddress)}}, ""
	case "ip":
		ip, ok := mustAddr(id)
		if !ok {
			return nil, fmt.Sprintf("target address %q is not an IP address", id)
		}
		e := a.m.eniByIP[vpc+"|"+ip.String()]
		if e == nil {
			return nil, fmt.Sprintf("no network interface with private address %s in %s (outside the VPC or not collected)", id, vpc)
		}
		res, typ := e.NetworkInterfaceId, "network_interface"
		if t := a.eniTask[e.NetworkInterfaceId]; t != "" {
			res, typ = t, "ecs_task"
		} else if e.Attachment != nil && e.Attachment.InstanceId != "" {
			res, typ = e.Attachment.InstanceId, "ec2_instance"
		}
		return &targetRef{eni: e, ip: ip, resource: res, typ: typ,
			hop: Hop{Kind: "target", ID: id, Detail: "ip target on " + e.NetworkInterfaceId}}, ""
	}
	return nil, ""
}

// preserveClientIP decides whether targets see client addresses. ELB
// guide, "Target groups for your Network Load Balancers › Client IP
// preservation": enabled by default for instance targets and for UDP and
// TCP_UDP target groups, disabled by default for ip targets of TCP/TLS
// groups; the preserve_client_ip.enabled attribute overrides it.
// Application and classic load balancers always connect from their own
// node addresses.
func (a *analysis) preserveClientIP(f *front, tg *snapshot.TargetGroup) bool {
	if f.kind != "network" {
		return false
	}
	if attrs, ok := a.m.reg.TargetGroupAttributes(tg.TargetGroupArn); ok {
		if v, ok := attrs["preserve_client_ip.enabled"]; ok {
			return v == "true"
		}
	}
	up := strings.ToUpper(tg.Protocol)
	return tg.TargetType == "instance" || tg.TargetType == "" || up == "UDP" || up == "TCP_UDP"
}

func (a *analysis) viaTargetGroup(f *front, tg *snapshot.TargetGroup, x fwd, p int, srcs netset.Set) {
	reg := a.m.reg
	base := Result{Protocol: protoNames[p], Sources: []string{}, Missing: []string{}, Via: f.id}
	if tg == nil {
		r := base
		r.Resource, r.ResourceType, r.Verdict = x.tg, "elbv2_target_group", Unknown
		r.Path = append(append([]Hop{}, a.lastPath...), x.hop)
		r.Missing = []string{fmt.Sprintf("target group %s not in elbv2/describe-target-groups.json", x.tg)}
		a.out = append(a.out, r)
		return
	}
	targets, ok := reg.TargetHealth(tg.TargetGroupArn)
	if !ok {
		r := base
		r.Resource, r.ResourceType, r.Verdict = tg.TargetGroupArn, "elbv2_target_group", Unknown
		r.FromPort, r.ToPort = tg.Port, tg.Port
		r.Path = append(append([]Hop{}, a.lastPath...), x.hop)
		r.Missing = []string{reg.Missing("elbv2/describe-target-health", tg.TargetGroupArn) + " (registered targets unknown)"}
		a.out = append(a.out, r)
		return
	}
	preserve := a.preserveClientIP(f, tg)
	tghop := Hop{Kind: "target_group", ID: tg.TargetGroupArn, Detail: fmt.Sprintf("%s target group, port %d, %s targets", tg.Protocol, tg.Port, tg.TargetType)}
	for _, th := range targets {
		port := th.Target.Port
		if port == 0 {
			port = tg.Port
		}
		path := append(append([]Hop{}, a.lastPath...), x.hop, tghop)
		if tg.TargetType == "lambda" {
			r := base
			r.Resource, r.ResourceType, r.Path = th.Target.Id, "lambda_function", path
			r.setSources(srcs, a.m.vpcCIDRs[f.vpc])
			if srcs.IsEmpty() {
				r.Verdict = Unknown
			}
			a.out = append(a.out, r)
			continue
		}
		if tg.TargetType == "alb" {
			continue // the ALB behind this NLB is analysed as a load balancer itself
		}
		t, miss := a.resolveTarget(tg.TargetType, th.Target.Id, tg.VpcId)
		if t == nil {
			r := base
			r.Resource, r.ResourceType, r.Path, r.Verdict = th.Target.Id, "target", path, Unknown
			r.FromPort, r.ToPort, r.Missing = port, port, []string{miss}
			a.out = append(a.out, r)
			continue
		}
		path = append(path, t.hop)
		if th.TargetHealth.State != "" {
			path[len(path)-1].Detail += "; health " + th.TargetHealth.State
		}
		got, hops, blocked, missing := a.targetAdmits(f, t, p, clampPort(port), srcs, preserve)
		r := base
		r.Resource, r.ResourceType = t.resource, t.typ
		r.FromPort, r.ToPort = port, port
		r.Path = append(path, hops...)
		r.Interfaces = []string{t.eni.NetworkInterfaceId}
		r.decide(got, a.m.vpcCIDRs[f.vpc], blocked, missing)
		a.out = append(a.out, r)
		a.hostTaskRows(t, r, port, p)
	}
}

// hostTaskRows copies a via-LB row of an instance to the bridge/host-mode
// tasks publishing that host port.
func (a *analysis) hostTaskRows(t *targetRef, r Result, port, p int) {
	if t.typ != "ec2_instance" {
		return
	}
	for _, b := range a.hostTask[t.resource] {
		if b.hostPort == port && b.proto == p {
			x := r
			x.Resource, x.ResourceType = b.task, "ecs_task"
			x.Path = append(append([]Hop{}, r.Path...), Hop{Kind: "container", ID: b.container,
				Detail: fmt.Sprintf("%s mode: host port %d → container port %d", b.mode, b.hostPort, b.containerPort)})
			a.out = append(a.out, x)
		}
	}
}

// targetAdmits checks the hop load balancer → target. With client IP
// preservation the target's NACL and security groups see client
// addresses; otherwise they see the load balancer node's private address,
// and the target's security group must admit that address or one of the
// load balancer's security groups (ELB guides, "Target security groups").
// NACLs apply only between different subnets (VPC User Guide, "Network
// ACLs": they control traffic entering and leaving a subnet).
func (a *analysis) targetAdmits(f *front, t *targetRef, p int, port uint16, srcs netset.Set, preserve bool) (netset.Set, []Hop, *Hop, []string) {
	m := a.m
	tsub := m.subnets[t.eni.SubnetId]
	if tsub == nil {
		return netset.Set{}, nil, nil, []string{fmt.Sprintf("subnet %s of target %s not in ec2/describe-subnets.json", t.eni.SubnetId, t.resource)}
	}
	tset := m.groups(eniGroupIDs(t.eni))
	if tsub.acl == nil {
		return netset.Set{}, nil, nil, tsub.aclMiss
	}
	missing := append([]string{}, tset.missing...)
	if f.sgs != nil {
		missing = append(missing, f.sgs.missing...)
	}
	tip := netset.Single(t.ip)
	var lbIDs []string
	if f.sgs != nil {
		lbIDs = f.sgs.ids
	}
	// The load balancer's own security groups must let it send to the target.
	if f.sgs != nil && f.sgs.outSpace[p].At(port).Intersect(tip).IsEmpty() &&
		admitsRef(egress, f.sgs, tset.ids, p, port) == nil {
		return netset.Set{}, nil, &Hop{Kind: "lb_security_group", ID: f.sgs.name(),
			Detail: fmt.Sprintf("no outbound rule lets the load balancer reach %s %s/%d", t.ip, protoNames[p], port)}, missing
	}
	ref := admitsRef(ingress, tset, lbIDs, p, port)
	if preserve {
		got := srcs.Intersect(tsub.acl.inSpace[p].At(port))
		if got.IsEmpty() {
			rep, _ := srcs.Min()
			return got, nil, &Hop{Kind: "network_acl", ID: tsub.acl.id, Detail: fmt.Sprintf("%s inbound: %s (client IP preserved)", tsub.acl.id, describeRule(tsub.acl.in, p, rep, port))}, missing
		}
		got = got.Intersect(tsub.acl.retOut[p])
		if got.IsEmpty() {
			return got, nil, &Hop{Kind: "network_acl", ID: tsub.acl.id, Detail: fmt.Sprintf("%s outbound: no rule allows return traffic to the clients on ephemeral ports", tsub.acl.id)}, missing
		}
		hop := Hop{Kind: "network_acl", ID: tsub.acl.id, Detail: "admits client addresses in and their return traffic out (client IP preserved)"}
		if ref != nil {
			return got, []Hop{hop, {Kind: "security_group", ID: ref.group, Detail: fmt.Sprintf("%s allows %s %s from load balancer group %s", ref.group, protoNames[p], portText(ref.lo, ref.hi), ref.ref)}}, nil, missing
		}
		rep, _ := got.Min()
		admitted := got.Intersect(tset.inSpace[p].At(port))
		if admitted.IsEmpty() {
			d, _ := tset.explain(ingress, p, rep, port, "from client")
			return admitted, []Hop{hop}, &Hop{Kind: "security_group", ID: tset.name(), Detail: d}, missing
		}
		rep, _ = admitted.Min()
		d, _ := tset.explain(ingress, p, rep, port, "from")
		return admitted, []Hop{hop, {Kind: "security_group", ID: tset.name(), Detail: d + " (client IP preserved)"}}, nil, missing
	}
	var firstBlock *Hop
	for _, n := range f.nodes {
		hops, blk := a.nodeToTarget(f, n, tsub, tset, ref, t, p, port)
		if blk == nil {
			return srcs, hops, nil, missing
		}
		if firstBlock == nil {
			firstBlock = blk
		}
	}
	if firstBlock == nil {
		firstBlock = &Hop{Kind: "load_balancer", ID: f.id, Detail: "no load balancer node address known"}
	}
	return netset.Set{}, nil, firstBlock, missing
}

func describeRule(rules []naclRule, p int, a netset.U128, port uint16) string {
	if r := matchRule(rules, p, a, port); r != nil {
		return fmt.Sprintf("%s is the first match for %s %s/%d", r, a.Addr(), protoNames[p], port)
	}
	return fmt.Sprintf("no rule matches %s %s/%d (implicit deny)", a.Addr(), protoNames[p], port)
}

// nodeToTarget checks one load balancer node → target connection.
func (a *analysis) nodeToTarget(f *front, n lbNode, tsub *subnetInfo, tset *sgSet, ref *sgRule, t *targetRef, p int, port uint16) ([]Hop, *Hop) {
	cand := n.addrs
	approx := ""
	if n.approx {
		approx = fmt.Sprintf(" (node address not in snapshot; any address of %s assumed)", n.subnet)
	}
	var hops []Hop
	if n.subnet != tsub.id {
		nsub := a.m.subnets[n.subnet]
		if nsub == nil || nsub.acl == nil {
			return nil, &Hop{Kind: "network_acl", ID: n.subnet, Detail: "network ACL of load balancer subnet unknown"}
		}
		tip := netset.Single(t.ip)
		if nsub.acl.outSpace[p].At(port).Intersect(tip).IsEmpty() || nsub.acl.retIn[p].Intersect(tip).IsEmpty() {
			return nil, &Hop{Kind: "network_acl", ID: nsub.acl.id, Detail: fmt.Sprintf("%s (load balancer subnet %s) does not allow %s/%d out to %s and its return traffic in", nsub.acl.id, n.subnet, protoNames[p], port, t.ip)}
		}
		cand = cand.Intersect(tsub.acl.inSpace[p].At(port)).Intersect(tsub.acl.retOut[p])
		if cand.IsEmpty() {
			rep, _ := n.addrs.Min()
			return nil, &Hop{Kind: "network_acl", ID: tsub.acl.id, Detail: fmt.Sprintf("%s inbound/outbound does not allow the load balancer node %s%s: %s", tsub.acl.id, rep.Addr(), approx, describeRule(tsub.acl.in, p, rep, port))}
		}
		hops = append(hops, Hop{Kind: "network_acl", ID: tsub.acl.id, Detail: "admits the load balancer node and its return traffic" + approx})
	}
	if ref != nil {
		return append(hops, Hop{Kind: "security_group", ID: ref.group, Detail: fmt.Sprintf("%s allows %s %s from load balancer group %s", ref.group, protoNames[p], portText(ref.lo, ref.hi), ref.ref)}), nil
	}
	ok := cand.Intersect(tset.inSpace[p].At(port))
	rep, _ := cand.Min()
	if ok.IsEmpty() {
		lbg := "no security group"
		if f.sgs != nil {
			lbg = f.sgs.name()
		}
		return nil, &Hop{Kind: "security_group", ID: tset.name(), Detail: fmt.Sprintf("%s: no rule admits %s/%d from the load balancer (%s) or its address %s%s",
			tset.name(), protoNames[p], port, lbg, rep.Addr(), approx)}
	}
	rep, _ = ok.Min()
	d, _ := tset.explain(ingress, p, rep, port, "from load balancer address")
	return append(hops, Hop{Kind: "security_group", ID: tset.name(), Detail: d + approx}), nil
}

func (a *analysis) classic(lb *snapshot.ClassicLoadBalancer) {
	f := &front{id: lb.LoadBalancerName, typ: "elb_classic", kind: "classic", vpc: lb.VPCId, internet: lb.Scheme == "internet-facing",
		u: netset.InternetV4, subnets: lb.Subnets}
	if len(lb.SecurityGroups) > 0 {
		f.sgs = a.m.groups(lb.SecurityGroups)
	}
	f.nodes = a.nodesOf("ELB "+lb.LoadBalancerName, f.subnets)
	for _, ld := range lb.ListenerDescriptions {
		l := ld.Listener
		p := tcp
		port := clampPort(l.LoadBalancerPort)
		lhop := Hop{Kind: "listener", ID: fmt.Sprintf("%s:%d", lb.LoadBalancerName, l.LoadBalancerPort),
			Detail: fmt.Sprintf("%s listener on port %d → instance port %d", l.Protocol, l.LoadBalancerPort, l.InstancePort)}
		srcs := a.emitFront(f, p, port, lhop)
		if srcs.IsEmpty() && !a.lastUnknown {
			continue
		}
		for _, in := range lb.Instances {
			t, miss := a.resolveTarget("instance", in.InstanceId, lb.VPCId)
			base := Result{Protocol: "tcp", FromPort: l.InstancePort, ToPort: l.InstancePort, Sources: []string{}, Missing: []string{}, Via: f.id}
			if t == nil {
				r := base
				r.Resource, r.ResourceType, r.Verdict, r.Path, r.Missing = in.InstanceId, "ec2_instance", Unknown, []Hop{lhop}, []string{miss}
				a.out = append(a.out, r)
				continue
			}
			got, hops, blocked, missing := a.targetAdmits(f, t, p, clampPort(l.InstancePort), srcs, false)
			r := base
			r.Resource, r.ResourceType = t.resource, t.typ
			r.Path = append(append(append([]Hop{}, a.lastPath...), t.hop), hops...)
			r.Interfaces = []string{t.eni.NetworkInterfaceId}
			r.decide(got, a.m.vpcCIDRs[f.vpc], blocked, missing)
			a.out = append(a.out, r)
			a.hostTaskRows(t, r, l.InstancePort, p)
		}
	}
}
