package exposure

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/sightline-sec/sightline/internal/exposure/netset"
	"github.com/sightline-sec/sightline/internal/netmodel"
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
func (a *analysis) listenerSources(f *front, p int, port uint16) (netset.Set, []Hop, *Hop, []Hop, []string) {
	if !f.internet {
		return netset.Set{}, nil, &Hop{Kind: "load_balancer", ID: f.id, Detail: "scheme is internal: the load balancer has only private addresses"}, nil, nil
	}
	var (
		all        netset.Set
		path       []Hop
		blocked    *Hop
		blockedAll []Hop
		missing    []string
	)
	for _, sid := range f.subnets {
		sub := a.m.subnets[sid]
		if sub == nil {
			missing = append(missing, a.m.subnetMissing(sid, f.id)...)
			continue
		}
		start, st := a.frontStages(f, sub, p)
		srcs, pth, blk, miss := evalPort(start, st, port)
		missing = append(missing, miss...)
		if !srcs.IsEmpty() && path == nil {
			path = pth
		}
		if blk != nil && blocked == nil {
			blocked, blockedAll = blk, familyBlocks(st, port, port)
		}
		all = all.Union(srcs)
	}
	if !all.IsEmpty() {
		blocked = nil
	} else if len(missing) > 0 {
		blocked = nil
	} else if blocked == nil {
		blocked = &Hop{Kind: "load_balancer", ID: f.id, Detail: "the load balancer has no subnet (no node to connect to)"}
	}
	if blocked == nil {
		blockedAll = nil
	}
	return all, path, blocked, blockedAll, missing
}

// nodesOf returns the front's node addresses, and for each of its
// subnets without a known node the whole subnet (approx).
func (a *analysis) nodesOf(f *netmodel.Front) []lbNode {
	var out []lbNode
	found := map[string]bool{}
	for _, n := range f.Nodes {
		out = append(out, lbNode{subnet: n.Subnet, addrs: netset.Single(n.Addr)})
		found[n.Subnet] = true
	}
	for _, s := range f.Subnets {
		if sub := a.m.subnets[s]; sub != nil && !found[s] {
			out = append(out, lbNode{subnet: s, addrs: sub.cidrs, approx: true})
		}
	}
	return out
}

func (a *analysis) loadBalancers(ctx context.Context) error {
	reg := a.m.reg
	// Fronts are independent: each is analysed by its own analysis value
	// (its own out, lastUnknown, lastPath) in parallel, and the rows are
	// appended in model order.
	outs := make([][]Result, len(reg.Fronts))
	err := parallel(ctx, len(outs), func(i int) {
		sub := &analysis{m: a.m, eniRows: a.eniRows, hostTask: a.hostTask}
		sub.front(&reg.Fronts[i])
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

// fwd is one way a listener forwards: a pool, restricted to some client
// sources (ALB "source-ip" rule conditions).
type fwd struct {
	pool     string
	restrict netset.Set
	hop      *Hop
	block    *Hop // set when the forward admits no client reaching the listener
}

func listenerForwards(l *netmodel.Listener) []fwd {
	var out []fwd
	for _, x := range l.Forwards {
		f := fwd{pool: x.Pool, restrict: allAddrs}
		if x.Restricted {
			f.restrict = prefixSet(x.Sources)
		}
		if x.Detail != "" {
			f.hop = &Hop{Kind: "listener_rule", ID: x.ID, Detail: x.Detail}
		}
		out = append(out, f)
	}
	return out
}

func (a *analysis) front(lb *netmodel.Front) {
	a.frontVPC = lb.Network
	f := &front{id: lb.ID, typ: lb.Type, kind: lb.Kind, vpc: lb.Network, internet: lb.Public,
		u: universe(lb.V4, lb.V6), subnets: lb.Subnets}
	if lb.Groups != nil {
		f.sgs = a.m.groups(lb.Groups)
	}
	f.nodes = a.nodesOf(lb)
	if lb.Kind == "gateway" {
		return
	}
	if lb.ListenersMissing != "" {
		a.out = append(a.out, Result{Resource: f.id, ResourceType: f.typ, Protocol: "tcp", ToPort: netset.MaxPort, Verdict: Unknown,
			Sources: []string{}, Path: []Hop{}, Missing: []string{lb.ListenersMissing}})
		return
	}
	for i := range lb.Listeners {
		li := &lb.Listeners[i]
		fw := listenerForwards(li)
		for _, pm := range li.Protocols {
			p := tcp
			if pm == netmodel.UDP {
				p = udp
			}
			port := clampPort(li.Port)
			lhop := Hop{Kind: "listener", ID: li.ID, Detail: li.Detail}
			srcs := a.emitFront(f, p, port, lhop)
			if srcs.IsEmpty() && !a.lastUnknown {
				continue
			}
			frontRow, first := len(a.out)-1, len(a.out)
			for _, x := range fw {
				got := srcs.Intersect(x.restrict)
				// A forward that admits no client reaching the listener
				// (a source-ip condition naming private ranges only, or
				// one disjoint from what the front's controls admit)
				// blocks every target behind it: not an unknown.
				x.block = nil
				if got.IsEmpty() && !srcs.IsEmpty() {
					d := "forwards only clients in " + strings.Join(x.restrict.Compact(netset.Set{}), ", ") +
						", none of which reach the listener (it admits " + strings.Join(srcs.Compact(netset.NonPublic), ", ") + ")"
					id := li.ID
					if x.hop != nil {
						id, d = x.hop.ID, x.hop.Detail+": "+d
					}
					x.block = &Hop{Kind: "listener_rule", ID: id, Detail: d}
				}
				a.viaPool(f, a.m.pools[x.pool], x, p, got)
			}
			for _, miss := range li.ForwardsMissing {
				a.out = append(a.out, Result{Resource: li.ID, ResourceType: "elbv2_listener", Protocol: protoNames[p],
					FromPort: int(port), ToPort: int(port), Verdict: Unknown, Sources: []string{}, Path: []Hop{lhop},
					Missing: []string{miss + " (targets reached through listener rules are unknown)"}})
			}
			if li.PassThrough && !srcs.IsEmpty() {
				a.passThrough(frontRow, a.out[first:], p)
			}
		}
	}
}

// passThrough narrows a pass-through listener's row to the clients some
// target admits. ELB guide, "Listeners for your Network Load Balancers":
// a TCP or UDP listener does not terminate the connection; the load
// balancer forwards the client's packets to the target, which completes
// the handshake ("Target groups › Client IP preservation": with it, the
// target's security groups and network ACL see the client's address, and
// "Security groups for your Network Load Balancer": the target must admit
// the clients, or the load balancer's group, or its node addresses when
// the address is not preserved). So the listener answers only the clients
// some target admits; a TLS listener terminates at the load balancer and
// keeps its own verdict.
func (a *analysis) passThrough(frontRow int, targets []Result, p int) {
	row := &a.out[frontRow]
	var union netset.Set
	var missing []string
	var block *Result
	for i := range targets {
		t := &targets[i]
		if t.Protocol != protoNames[p] {
			continue
		}
		switch t.Verdict {
		case Exposed:
			union = union.Union(t.SourceSet)
		case Unknown:
			missing = append(missing, t.Missing...)
		case NotExposed:
			if block == nil {
				block = t
			}
		}
	}
	own := a.m.vpcCIDRs[a.frontVPC]
	switch {
	case !union.IsEmpty():
		row.setSources(union.Intersect(row.SourceSet), own)
	case len(missing) > 0:
		row.Verdict, row.Sources, row.SourceSet, row.Width = Unknown, []string{}, netset.Set{}, ""
		row.Missing = dedup(append(append([]string{}, row.Missing...), missing...))
	default:
		detail := "pass-through listener: the client's connection goes to the targets and no target is registered"
		id := row.Resource
		if block != nil {
			id = block.Resource
			detail = "pass-through listener: the client's connection goes to the targets and none admits it; " + block.Resource + ": " + block.BlockedBy.Detail
		}
		row.Verdict, row.Sources, row.SourceSet, row.Width = NotExposed, []string{}, netset.Set{}, ""
		row.BlockedBy = &Hop{Kind: "target", ID: id, Detail: detail}
	}
}

// emitFront emits the load balancer's own result for one listener port
// and returns the sources that reach the listener.
func (a *analysis) emitFront(f *front, p int, port uint16, lhop Hop) netset.Set {
	srcs, path, blocked, blockedAll, missing := a.listenerSources(f, p, port)
	r := Result{Resource: f.id, ResourceType: f.typ, Protocol: protoNames[p], FromPort: int(port), ToPort: int(port),
		Sources: []string{}, Path: append([]Hop{lhop}, path...), Missing: dedup(missing), BlockedBy: blocked}
	if blocked != nil {
		r.BlockedByAll = blockedAll
	}
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
	a.lastMissing = r.Missing
	a.out = append(a.out, r)
	return srcs
}

// targetRef is a resolved load-balancer target.
type targetRef struct {
	eni      *netmodel.Endpoint
	ip       netip.Addr
	resource string
	typ      string
	hop      Hop
}

func (a *analysis) resolveTarget(t netmodel.Target, vpc string) (*targetRef, string) {
	switch t.Kind {
	case netmodel.TargetHost:
		eni := a.m.primary[t.ID]
		if eni == "" {
			return nil, fmt.Sprintf("network interfaces of target instance %s not in snapshot", t.ID)
		}
		e := a.m.enis[eni]
		var ip netip.Addr
		if len(e.Private) > 0 {
			ip = e.Private[0]
		}
		return &targetRef{eni: e, ip: ip, resource: t.ID, typ: "ec2_instance",
			hop: Hop{Kind: "target", ID: t.ID, Detail: fmt.Sprintf("instance target, primary interface %s (%s)", eni, addrText(ip))}}, ""
	case netmodel.TargetAddr:
		ip, err := netip.ParseAddr(t.ID)
		if err != nil {
			return nil, fmt.Sprintf("target address %q is not an IP address", t.ID)
		}
		e := a.m.eniByIP[ipKey{vpc, ip}]
		if e == nil {
			return nil, fmt.Sprintf("no network interface with private address %s in %s (outside the VPC or not collected)", t.ID, vpc)
		}
		res, typ := e.ID, "network_interface"
		if e.Owner != "" {
			res, typ = e.Owner, e.OwnerType
		} else if e.Host != "" {
			res, typ = e.Host, "ec2_instance"
		}
		return &targetRef{eni: e, ip: ip, resource: res, typ: typ,
			hop: Hop{Kind: "target", ID: t.ID, Detail: "ip target on " + e.ID}}, ""
	}
	return nil, ""
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func (a *analysis) viaPool(f *front, tg *netmodel.Pool, x fwd, p int, srcs netset.Set) {
	base := Result{Protocol: protoNames[p], Sources: []string{}, Missing: []string{}, Via: f.id}
	prefix := append([]Hop{}, a.lastPath...)
	if x.hop != nil {
		prefix = append(prefix, *x.hop)
	}
	if tg == nil || tg.Missing != "" {
		r := base
		r.Resource, r.ResourceType, r.Verdict = x.pool, "elbv2_target_group", Unknown
		r.Path = prefix
		r.Missing = []string{fmt.Sprintf("target group %s not in the model", x.pool)}
		if tg != nil {
			r.Missing = []string{tg.Missing}
		}
		a.out = append(a.out, r)
		return
	}
	if tg.TargetsMissing != "" {
		r := base
		r.Resource, r.ResourceType, r.Verdict = tg.ID, "elbv2_target_group", Unknown
		r.FromPort, r.ToPort = tg.Port, tg.Port
		r.Path = prefix
		r.Missing = []string{tg.TargetsMissing}
		a.out = append(a.out, r)
		return
	}
	preserve := tg.PreserveClientIP
	if tg.Detail != "" {
		prefix = append(prefix, Hop{Kind: "target_group", ID: tg.ID, Detail: tg.Detail})
	}
	for _, th := range tg.Targets {
		port := th.Port
		if port == 0 {
			port = tg.Port
		}
		path := append([]Hop{}, prefix...)
		if srcs.IsEmpty() {
			// No client gets past the front: the target's verdict is the
			// front's (unknown naming its missing data) or the forward's.
			r := base
			r.Resource, r.ResourceType, r.Path = th.ID, "target", path
			r.FromPort, r.ToPort = port, port
			switch {
			case x.block != nil:
				r.Verdict, r.BlockedBy = NotExposed, x.block
			default:
				r.Verdict, r.Missing = Unknown, a.lastMissing
			}
			if t, _ := a.resolveTarget(th, tg.Network); t != nil {
				r.Resource, r.ResourceType, r.Interfaces = t.resource, t.typ, []string{t.eni.ID}
				r.Path = append(r.Path, t.hop)
			} else if th.Kind == netmodel.TargetFunction {
				r.ResourceType = "lambda_function"
			}
			a.out = append(a.out, r)
			continue
		}
		if th.Kind == netmodel.TargetFunction {
			r := base
			r.Resource, r.ResourceType, r.Path = th.ID, "lambda_function", path
			r.setSources(srcs, a.m.vpcCIDRs[f.vpc])
			a.out = append(a.out, r)
			continue
		}
		if th.Kind == netmodel.TargetFront {
			continue // the front behind this one is analysed as a front itself
		}
		t, miss := a.resolveTarget(th, tg.Network)
		if t == nil {
			r := base
			r.Resource, r.ResourceType, r.Path, r.Verdict = th.ID, "target", path, Unknown
			if th.Kind == netmodel.TargetHost && tg.Detail == "" {
				r.ResourceType = "ec2_instance"
			}
			r.FromPort, r.ToPort, r.Missing = port, port, []string{miss}
			a.out = append(a.out, r)
			continue
		}
		path = append(path, t.hop)
		if th.Health != "" {
			path[len(path)-1].Detail += "; health " + th.Health
		}
		got, hops, blocked, missing := a.targetAdmits(f, t, p, clampPort(port), srcs, preserve)
		r := base
		r.Resource, r.ResourceType = t.resource, t.typ
		r.FromPort, r.ToPort = port, port
		r.Path = append(path, hops...)
		r.Interfaces = []string{t.eni.ID}
		r.decide(got, a.m.vpcCIDRs[f.vpc], blocked, missing)
		if t.typ == "ec2_instance" && a.m.instances[t.resource] == nil && len(a.m.reg.Missing.Hosts) > 0 {
			r = a.hostStateUnknown([]Result{r})[0]
		}
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
			x.Resource, x.ResourceType = b.task, b.typ
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
	tsub := m.subnets[t.eni.Subnet]
	if tsub == nil {
		return netset.Set{}, nil, nil, m.subnetMissing(t.eni.Subnet, "target "+t.resource)
	}
	tset := m.groups(t.eni.Groups)
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
