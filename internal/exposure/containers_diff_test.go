package exposure

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/exposure/netset"
	"github.com/sightline-sec/sightline/internal/workload"
)

// The container differential test composes random front chains (Docker
// published ports incl. loopback, NodePorts, Services with source ranges,
// load balancers, ECS target groups and bridge-mode host ports) and
// NetworkPolicies (ipBlocks with except, selector peers, numbered, named
// and ranged ports) on top of random cloud results, and compares every
// verdict of Containers with refPacket: a per-packet evaluator written
// separately (no set algebra, linear scans over the rows, netip prefixes)
// that walks one source address through the same hops and answers yes,
// maybe (data missing) or no.

var ctrIters = flag.Int("ctr.iters", 3000, "random container configurations in TestContainersDifferential")

type tri int

const (
	no tri = iota
	maybe
	yes
)

func minTri(a, b tri) tri { return min(a, b) }

// ---- the reference ---------------------------------------------------------

type refWorld struct {
	rep     *Report
	aliases map[string]string
	inv     *workload.Inventory
}

func prefixesContain(cidrs []string, a netip.Addr) bool {
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			panic(err)
		}
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func rowTri(r *Result, a netip.Addr) tri {
	switch r.Verdict {
	case Exposed:
		if prefixesContain(r.Sources, a) {
			return yes
		}
		return no
	case Unknown:
		return maybe
	}
	return no
}

// orRows: the traffic may take any of the rows.
func orRows(rows []*Result, a netip.Addr) tri {
	best := no
	for _, r := range rows {
		best = max(best, rowTri(r, a))
	}
	return best
}

func (w *refWorld) directRows(id, proto string, port int) (rows []*Result, any bool) {
	for i := range w.rep.Results {
		r := &w.rep.Results[i]
		if r.Via != "" {
			continue
		}
		hit := r.Resource == id
		for _, e := range r.Interfaces {
			hit = hit || e == id
		}
		if !hit {
			continue
		}
		any = true
		if r.Protocol == proto && r.FromPort <= port && port <= r.ToPort {
			rows = append(rows, r)
		}
	}
	return rows, any
}

func (w *refWorld) host(wl *workload.Workload, proto string, port int, a netip.Addr) tri {
	if wl.Host == nil || wl.Host.InstanceID == "" || w.rep == nil {
		return maybe
	}
	rows, _ := w.directRows(wl.Host.InstanceID, proto, port)
	if len(rows) == 0 {
		return maybe
	}
	return orRows(rows, a)
}

// anyNodes are the cluster's nodes when a NodePort with
// externalTrafficPolicy Cluster takes traffic on every node.
func (w *refWorld) anyNodes(wl *workload.Workload, f *workload.Front) []workload.Host {
	if f.Kind != "node_port" || f.PreservesClient || !strings.HasPrefix(wl.ID, "k8s:") {
		return nil
	}
	for _, c := range w.inv.Clusters {
		if "k8s:"+c.Name+"/" == wl.ID[:len("k8s:")+len(c.Name)+1] {
			return c.Nodes
		}
	}
	return nil
}

// ownTargets are the load balancer's rows for this pod's own target: its
// node at the node port (Local), or its pod IPs (the next front is the
// Service), found by the target hop of each row.
func (w *refWorld) ownTargets(wl *workload.Workload, r *workload.Route, lb, proto string) []*Result {
	if len(r.Fronts) < 2 {
		return nil
	}
	next := &r.Fronts[1]
	var ids []string
	port := next.ListenPort
	switch {
	case next.Kind == "node_port" && next.PreservesClient && wl.Host != nil && wl.Host.InstanceID != "":
		ids = []string{wl.Host.InstanceID}
	case next.Kind == "service":
		ids, port = wl.Addresses, r.Fronts[len(r.Fronts)-1].TargetPort
	}
	var out []*Result
	for i := range w.rep.Results {
		x := &w.rep.Results[i]
		if x.Via != lb || x.Protocol != proto || port < x.FromPort || port > x.ToPort {
			continue
		}
		own := x.Resource == strings.TrimPrefix(wl.ID, "ecs:") || x.Resource == wl.Interface || (wl.Host != nil && x.Resource == wl.Host.InstanceID)
		for _, h := range x.Path {
			for _, id := range ids {
				if own && h.Kind == "target" && h.ID == id {
					out = append(out, x)
				}
			}
		}
	}
	return out
}

func (w *refWorld) entry(wl *workload.Workload, r *workload.Route, a netip.Addr) tri {
	f := &r.Fronts[0]
	proto := f.ListenProto
	switch f.Entry {
	case "host":
		if nodes := w.anyNodes(wl, f); len(nodes) > 0 {
			best := no
			for i := range nodes {
				best = max(best, w.host(&workload.Workload{Host: &nodes[i]}, proto, f.ListenPort, a))
			}
			return best
		}
		return w.host(wl, proto, f.ListenPort, a)
	case "loopback", "cluster":
		return no
	}
	if w.rep == nil {
		return maybe
	}
	lb := f.LoadBalancer
	if x, ok := w.aliases[strings.ToLower(lb)]; ok {
		lb = x
	}
	if f.Kind == "target_group" {
		var rows []*Result
		for i := range w.rep.Results {
			r := &w.rep.Results[i]
			if r.Via == lb && r.Protocol == proto && r.FromPort <= f.ListenPort && f.ListenPort <= r.ToPort &&
				(r.Resource == strings.TrimPrefix(wl.ID, "ecs:") || (wl.Host != nil && r.Resource == wl.Host.InstanceID)) {
				rows = append(rows, r)
			}
		}
		if len(rows) > 0 {
			return orRows(rows, a)
		}
		if _, any := w.directRows(lb, proto, f.ListenPort); lb == "" || !any {
			return maybe
		}
		return no
	}
	if f.LoadBalancer == "" {
		return maybe
	}
	rows, any := w.directRows(lb, proto, f.ListenPort)
	if !any {
		return maybe
	}
	if len(rows) == 0 {
		return no // no listener on the port
	}
	if own := w.ownTargets(wl, r, lb, proto); len(own) > 0 {
		return orRows(own, a)
	}
	t := orRows(rows, a)
	if f.Kind == "load_balancer" && len(r.Fronts) > 1 && r.Fronts[1].Kind == "service" && len(wl.Addresses) > 0 {
		t = minTri(t, maybe) // the pod IP is not among the targets
	}
	return t
}

// policy is one packet through the NetworkPolicies selecting the pod.
func (w *refWorld) policy(wl *workload.Workload, p *workload.Port, preserved bool, a netip.Addr) tri {
	if wl.Source != workload.SourceKubernetes {
		return yes
	}
	var sel []*workload.Policy
	for i := range w.inv.Policies {
		np := &w.inv.Policies[i]
		match := np.Namespace == wl.Namespace
		for k, v := range np.PodSelector {
			match = match && wl.Labels[k] == v
		}
		if match {
			sel = append(sel, np)
		}
	}
	if len(sel) == 0 {
		return yes
	}
	enf := "unknown"
	for _, c := range w.inv.Clusters {
		if "k8s:"+c.Name+"/"+wl.Namespace+"/"+wl.Kind+"/"+wl.Name == wl.ID {
			enf = c.PolicyEnforcement
		}
	}
	if enf == "not_enforced" {
		return yes
	}
	got := no
	for _, np := range sel {
		for _, r := range np.Rules {
			if !refPortMatch(r.Ports, wl, p) {
				continue
			}
			if len(r.From) == 0 {
				got = yes
				continue
			}
			for _, peer := range r.From {
				if peer.CIDR == "" {
					continue
				}
				if !preserved {
					got = max(got, maybe)
					continue
				}
				if prefixesContain([]string{peer.CIDR}, a) && !prefixesContain(peer.Except, a) {
					got = yes
				}
			}
		}
	}
	if enf != "enforced" && got != yes {
		return maybe
	}
	return got
}

func refPortMatch(ports []workload.PolicyPort, wl *workload.Workload, p *workload.Port) bool {
	if len(ports) == 0 {
		return true
	}
	for _, pp := range ports {
		proto := pp.Protocol
		if proto == "" {
			proto = "tcp"
		}
		if strings.ToLower(proto) != p.Protocol {
			continue
		}
		if pp.Name != "" {
			for _, c := range wl.Containers {
				for _, q := range c.Ports {
					if q.Name == pp.Name && q.Protocol == p.Protocol && q.ContainerPort == p.ContainerPort {
						return true
					}
				}
			}
			continue
		}
		if pp.Port == 0 || pp.Port == p.ContainerPort || (pp.EndPort >= pp.Port && pp.Port <= p.ContainerPort && p.ContainerPort <= pp.EndPort) {
			return true
		}
	}
	return false
}

func (w *refWorld) route(wl *workload.Workload, p *workload.Port, r *workload.Route, a netip.Addr) tri {
	t := w.entry(wl, r, a)
	preserved := true
	for _, f := range r.Fronts {
		if len(f.SourceRanges) > 0 && !prefixesContain(f.SourceRanges, a) {
			t = no
		}
		preserved = preserved && f.PreservesClient
	}
	return minTri(t, w.policy(wl, p, preserved, a))
}

func (w *refWorld) direct(wl *workload.Workload, p *workload.Port, a netip.Addr) tri {
	var t tri
	switch {
	case wl.HostNetwork:
		t = w.host(wl, p.Protocol, p.ContainerPort, a)
	case wl.Interface != "":
		t = maybe
		if w.rep != nil {
			if rows, _ := w.directRows(wl.Interface, p.Protocol, p.ContainerPort); len(rows) > 0 {
				t = orRows(rows, a)
			}
		}
	default:
		t = no
	}
	return minTri(t, w.policy(wl, p, true, a))
}

// ---- the generator -----------------------------------------------------------

type cgen struct{ r *rand.Rand }

func (g cgen) n(k int) int { return g.r.IntN(k) }

func (g cgen) cidrs() []string {
	var out []string
	for k := g.n(3) + 1; k > 0; k-- {
		if g.n(4) == 0 {
			out = append(out, cidr6Pool[g.n(len(cidr6Pool))])
		} else {
			out = append(out, cidrPool[g.n(len(cidrPool))])
		}
	}
	return out
}

func (g cgen) proto() string { return []string{"tcp", "udp"}[g.n(2)] }

// rows partitions both protocols' ports of one resource into random rows.
func (g cgen) rows(res string, ifaces []string, via string) []Result {
	var out []Result
	for _, proto := range []string{"tcp", "udp"} {
		lo := 0
		for lo <= netset.MaxPort {
			hi := netset.MaxPort
			if g.n(3) > 0 {
				hi = min(netset.MaxPort, lo+[]int{0, 10, 80, 1000, 40000}[g.n(5)])
			}
			out = append(out, g.row(res, ifaces, via, proto, lo, hi))
			lo = hi + 1
		}
	}
	return out
}

func (g cgen) row(res string, ifaces []string, via, proto string, lo, hi int) Result {
	r := Result{Resource: res, Via: via, Interfaces: ifaces, Protocol: proto, FromPort: lo, ToPort: hi, Sources: []string{}, Missing: []string{}, Path: []Hop{{Kind: "x", ID: res}}}
	switch g.n(3) {
	case 0:
		r.Verdict, r.Sources = Exposed, g.cidrs()
	case 1:
		r.Verdict, r.BlockedBy = NotExposed, &Hop{Kind: "security_group", ID: "sg-" + res}
	default:
		r.Verdict, r.Missing = Unknown, []string{"something about " + res}
	}
	return r
}

var namedPorts = []string{"", "", "http", "metrics"}

func (g cgen) front(kind, entry string, listen, target int, proto string) workload.Front {
	return workload.Front{Kind: kind, ID: fmt.Sprintf("%s-%d", kind, g.n(1000)), ListenProto: proto, ListenPort: listen, TargetPort: target,
		Entry: entry, PreservesClient: g.n(3) > 0, Detail: kind}
}

func (g cgen) routes(p *workload.Port, ecsTask bool) []workload.Route {
	var out []workload.Route
	for k := g.n(4); k > 0; k-- {
		hp := portPool[g.n(len(portPool))]
		var fr []workload.Front
		switch g.n(7) {
		case 0: // docker publish / bridge host port
			entry := "host"
			if g.n(4) == 0 {
				entry = "loopback"
			}
			kind := "docker_publish"
			if ecsTask {
				kind = "ecs_port_mapping"
			}
			fr = []workload.Front{g.front(kind, entry, hp, p.ContainerPort, p.Protocol)}
		case 1: // NodePort
			fr = []workload.Front{g.front("node_port", "host", 30000+g.n(3), p.ContainerPort, p.Protocol)}
		case 2: // Service type LoadBalancer → NodePort
			lb := g.front("load_balancer", "load_balancer", hp, 30000+g.n(3), p.Protocol)
			lb.LoadBalancer = []string{"", "lb-a", "lb-a.elb.example", "lb-missing"}[g.n(4)]
			if g.n(2) == 0 {
				lb.SourceRanges = g.cidrs()
			}
			fr = []workload.Front{lb, g.front("node_port", "front", lb.TargetPort, p.ContainerPort, p.Protocol)}
		case 3: // ClusterIP
			fr = []workload.Front{g.front("service", "cluster", hp, p.ContainerPort, p.Protocol)}
		case 4: // ECS target group (→ bridge host port)
			tg := g.front("target_group", "load_balancer", hp, p.ContainerPort, p.Protocol)
			tg.LoadBalancer = []string{"lb-a", "lb-a.elb.example", "lb-missing"}[g.n(3)]
			fr = []workload.Front{tg}
			if g.n(2) == 0 {
				fr = append(fr, g.front("ecs_port_mapping", "front", hp, p.ContainerPort, p.Protocol))
			}
		case 5: // Service type LoadBalancer targeting pod IPs, or an Ingress
			lb := g.front([]string{"load_balancer", "ingress"}[g.n(2)], "load_balancer", hp, hp, p.Protocol)
			lb.LoadBalancer = []string{"", "lb-a", "lb-a.elb.example", "lb-missing"}[g.n(4)]
			fr = []workload.Front{lb, g.front("service", "front", hp, p.ContainerPort, p.Protocol)}
		default: // a front chain with source ranges
			f := g.front("service", "host", hp, p.ContainerPort, p.Protocol)
			f.SourceRanges = g.cidrs()
			fr = []workload.Front{f}
		}
		out = append(out, workload.Route{Fronts: fr})
	}
	return out
}

func (g cgen) policies() []workload.Policy {
	var out []workload.Policy
	for k := g.n(4); k > 0; k-- {
		np := workload.Policy{ID: fmt.Sprintf("shop/np%d", k), Namespace: []string{"shop", "shop", "other"}[g.n(3)],
			PodSelector: map[string]string{}, Rules: []workload.PolicyRule{}}
		if g.n(2) == 0 {
			np.PodSelector["app"] = []string{"web", "db"}[g.n(2)]
		}
		for r := g.n(3); r > 0; r-- {
			var rule workload.PolicyRule
			for f := g.n(3); f > 0; f-- {
				if g.n(4) == 0 {
					rule.From = append(rule.From, workload.Peer{Selector: "app=frontend"})
					continue
				}
				cs := g.cidrs()
				peer := workload.Peer{CIDR: cs[0]}
				if g.n(2) == 0 {
					peer.Except = g.cidrs()
				}
				rule.From = append(rule.From, peer)
			}
			for q := g.n(3); q > 0; q-- {
				pp := workload.PolicyPort{Protocol: []string{"", "TCP", "UDP"}[g.n(3)]}
				switch g.n(3) {
				case 0:
					pp.Name = namedPorts[2+g.n(2)]
				case 1:
					pp.Port = portPool[g.n(len(portPool))]
				default:
					pp.Port = portPool[g.n(len(portPool))]
					pp.EndPort = pp.Port + g.n(2000)
				}
				rule.Ports = append(rule.Ports, pp)
			}
			np.Rules = append(np.Rules, rule)
		}
		out = append(out, np)
	}
	return out
}

func (g cgen) world() *refWorld {
	w := &refWorld{aliases: map[string]string{"lb-a.elb.example": "lb-a"}}
	src := []string{workload.SourceDocker, workload.SourceKubernetes, workload.SourceECS}[g.n(3)]
	wl := workload.Workload{ID: "docker:abc", Kind: "container", Name: "web", Namespace: "shop", Source: src,
		Labels: map[string]string{"app": "web"}}
	switch src {
	case workload.SourceKubernetes:
		wl.ID, wl.Kind = "k8s:c1/shop/Pod/web", "Pod"
	case workload.SourceECS:
		wl.ID, wl.Kind = "ecs:arn:aws:ecs:eu-west-1:1:task/prod/t1", "ecs_task"
	}
	switch g.n(4) {
	case 0:
	case 1:
		wl.Host = &workload.Host{Name: "node-1"}
	default:
		wl.Host = &workload.Host{Name: "node-1", InstanceID: "i-h"}
	}
	if g.n(3) == 0 {
		wl.Interface = "eni-w"
	}
	wl.HostNetwork = g.n(6) == 0
	if g.n(2) == 0 {
		wl.Addresses = []string{"10.0.0.5"}
	}
	ct := workload.Container{Name: "c"}
	for k := g.n(2) + 1; k > 0; k-- {
		p := workload.Port{ContainerPort: portPool[g.n(len(portPool))], Protocol: g.proto(), Name: namedPorts[g.n(len(namedPorts))]}
		for _, q := range ct.Ports {
			if q.Name == p.Name {
				p.Name = "" // port names are unique within a pod (Kubernetes API, ContainerPort.name)
			}
		}
		p.Routes = g.routes(&p, src == workload.SourceECS)
		ct.Ports = append(ct.Ports, p)
	}
	wl.Containers = []workload.Container{ct}
	w.inv = &workload.Inventory{Workloads: []workload.Workload{wl}, Policies: g.policies()}
	if e := g.n(4); e < 3 {
		w.inv.Clusters = []workload.Cluster{{Name: "c1", PolicyEnforcement: []string{"enforced", "not_enforced", "unknown"}[e]}}
		if g.n(2) == 0 { // a live cluster's nodes: the pod's, another, one of unknown instance
			w.inv.Clusters[0].Nodes = []workload.Host{{Name: "node-1", InstanceID: "i-h"}, {Name: "node-2", InstanceID: "i-h2"}}
			if g.n(3) == 0 {
				w.inv.Clusters[0].Nodes = append(w.inv.Clusters[0].Nodes, workload.Host{Name: "node-3"})
			}
		}
	}
	if g.n(8) > 0 {
		rep := &Report{}
		if g.n(5) > 0 {
			rep.Results = append(rep.Results, g.rows("i-h", []string{"eni-h"}, "")...)
		}
		if g.n(3) > 0 {
			rep.Results = append(rep.Results, g.rows("task-or-iface", []string{"eni-w"}, "")...)
		}
		if g.n(3) > 0 {
			rep.Results = append(rep.Results, g.rows("i-h2", []string{"eni-h2"}, "")...)
		}
		if g.n(4) > 0 {
			for k := g.n(4); k > 0; k-- {
				port := portPool[g.n(len(portPool))]
				rep.Results = append(rep.Results, g.row("lb-a", nil, "", g.proto(), port, port))
			}
		}
		for k := g.n(4); k > 0; k-- {
			port := portPool[g.n(len(portPool))]
			switch g.n(3) {
			case 0:
				port = 30000 + g.n(3) // a node port (instance targets)
			case 1:
				port = wl.Containers[0].Ports[0].ContainerPort // a pod port (ip targets)
			}
			res := []string{"i-h", "arn:aws:ecs:eu-west-1:1:task/prod/t1"}[g.n(2)]
			row := g.row(res, nil, "lb-a", g.proto(), port, port)
			if g.n(2) == 0 { // the target the row is about: the node, or a pod IP on it
				row.Path = append(row.Path, Hop{Kind: "target", ID: []string{"i-h", "10.0.0.5", "10.0.0.6"}[g.n(3)]})
			}
			rep.Results = append(rep.Results, row)
		}
		w.rep = rep
	}
	return w
}

// samples are public addresses at and around every pool CIDR's bounds,
// plus the bounds of the engine's own source CIDRs (added per verdict).
func boundSamples(cidrs []string) []netip.Addr {
	var out []netip.Addr
	for _, c := range cidrs {
		p := netip.MustParsePrefix(c).Masked()
		first := p.Addr()
		last := lastAddr(p)
		for _, a := range []netip.Addr{first, first.Prev(), last, last.Next()} {
			if a.IsValid() && netset.Internet.ContainsAddr(a) {
				out = append(out, a)
			}
		}
	}
	return out
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func TestContainersDifferential(t *testing.T) {
	base := boundSamples(append(append([]string{}, cidrPool...), cidr6Pool...))
	base = append(base, netip.MustParseAddr("1.0.0.0"), netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("2600::1"))
	bad := 0
	for seed := 0; seed < *ctrIters && bad < 5; seed++ {
		g := cgen{rand.New(rand.NewPCG(uint64(seed), 7))}
		w := g.world()
		Containers(w.inv, NewCloudIndex(w.rep, w.aliases))
		wl := &w.inv.Workloads[0]
		ct := &wl.Containers[0]
		k := 0
		for pi := range ct.Ports {
			p := &ct.Ports[pi]
			check := func(name string, v Verdict, ref func(netip.Addr) tri) {
				samples := append(append([]netip.Addr{}, base...), boundSamples(v.Sources)...)
				anyYes, anyMaybe := false, false
				for _, a := range samples {
					r := ref(a)
					anyYes, anyMaybe = anyYes || r == yes, anyMaybe || r == maybe
					if v.Verdict == Exposed && (r != no) != prefixesContain(v.Sources, a) {
						t.Errorf("seed %d %s port %d/%s: source %s: engine lists it %v, reference says %d\n%+v", seed, name, p.ContainerPort, p.Protocol,
							a, prefixesContain(v.Sources, a), r, v)
						bad++
						return
					}
				}
				want := NotExposed
				switch {
				case anyYes:
					want = Exposed
				case anyMaybe:
					want = Unknown
				}
				if v.Verdict != want {
					t.Errorf("seed %d %s port %d/%s: engine %s, reference %s\n%+v", seed, name, p.ContainerPort, p.Protocol, v.Verdict, want, v)
					bad++
				}
				if v.Verdict == Unknown && len(v.Missing) == 0 || v.Verdict == NotExposed && v.BlockedBy == nil {
					t.Errorf("seed %d %s: %s without its reason: %+v", seed, name, v.Verdict, v)
					bad++
				}
			}
			check("direct", ct.Exposure[k], func(a netip.Addr) tri { return w.direct(wl, p, a) })
			k++
			for ri := range p.Routes {
				r := &p.Routes[ri]
				check(fmt.Sprintf("route %d (%s)", ri, r.Fronts[0].Kind), ct.Exposure[k], func(a netip.Addr) tri { return w.route(wl, p, r, a) })
				k++
			}
		}
		if k != len(ct.Exposure) {
			t.Fatalf("seed %d: %d verdicts, want %d", seed, len(ct.Exposure), k)
		}
	}
}
