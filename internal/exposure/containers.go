package exposure

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sightline-sec/sightline/internal/exposure/netset"
	"github.com/sightline-sec/sightline/internal/workload"
)

// This file carries the cloud verdicts through the container hops: every
// container port of a workload.Inventory gets one verdict for its direct
// path (the workload's own cloud interface) and one per route (the chain
// of fronts that forward to it: a published port, an ECS port mapping or
// target group, a Kubernetes Service, NodePort or load balancer), filtered
// by the NetworkPolicies that select the pod. The semantics are those of
// the cloud results (docs/exposure.md, docs/inventory.md):
//
//   - exposed: some internet source certainly reaches the port; Sources
//     lists every source that may (certainly or, where data is missing,
//     possibly), Missing what would settle the possible ones;
//   - not_exposed: no source can; BlockedBy names the control;
//   - unknown: none certainly, some possibly; Missing is never empty.
//
// Only the outermost front's Entry says where traffic comes from; the
// fronts behind it forward (Entry "front"), each adding its proof hop and
// narrowing the sources to its SourceRanges.

// CloudIndex finds the cloud results a container hop continues: a host's
// or interface's direct rows, a load balancer's listener rows and the rows
// of the targets behind it.
type CloudIndex struct {
	rep     *Report
	aliases map[string]string
	direct  map[string][]int32 // resource or interface → direct rows (Via "")
	via     map[string][]int32 // via + "\x00" + resource → rows through a load balancer
}

// NewCloudIndex indexes a cloud report (nil: no cloud data given). Aliases
// maps other names of a load balancer (DNS name, name) to the resource ID
// its results carry (see ecs.Aliases).
func NewCloudIndex(rep *Report, aliases map[string]string) *CloudIndex {
	ix := &CloudIndex{rep: rep, aliases: aliases, direct: map[string][]int32{}, via: map[string][]int32{}}
	if rep == nil {
		return ix
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Via != "" {
			k := r.Via + "\x00" + r.Resource
			ix.via[k] = append(ix.via[k], int32(i))
			continue
		}
		ix.direct[r.Resource] = append(ix.direct[r.Resource], int32(i))
		for _, e := range r.Interfaces {
			if e != r.Resource {
				ix.direct[e] = append(ix.direct[e], int32(i))
			}
		}
	}
	return ix
}

// Containers fills Exposure of every container of inv (replacing what was
// there), using the cloud results in ix (NewCloudIndex; its report may be
// nil, which makes every verdict that needs the cloud unknown, naming
// --aws DIR or --host-id).
func Containers(inv *workload.Inventory, ix *CloudIndex) {
	if ix == nil {
		ix = NewCloudIndex(nil, nil)
	}
	c := &composer{ix: ix, policies: map[string][]*workload.Policy{}, clusters: map[string]*workload.Cluster{},
		nodeCache: map[string]*state{}, admitted: map[string]*admitted{}, setIndex: map[string]int{}}
	for i := range inv.Policies {
		p := &inv.Policies[i]
		k := policyKey(p.ID, p.Namespace)
		c.policies[k] = append(c.policies[k], p)
	}
	for i := range inv.Clusters {
		c.clusters[inv.Clusters[i].Name] = &inv.Clusters[i]
	}
	for i := range inv.Workloads {
		w := &inv.Workloads[i]
		pol := c.podPolicies(w)
		for j := range w.Containers {
			ct := &w.Containers[j]
			ct.Exposure = []Verdict(nil)
			for k := range ct.Ports {
				p := &ct.Ports[k]
				ct.Exposure = append(ct.Exposure, c.direct(w, ct, p, pol))
				for r := range p.Routes {
					ct.Exposure = append(ct.Exposure, c.route(w, ct, p, &p.Routes[r], pol))
				}
			}
			if ct.Exposure == nil {
				ct.Exposure = []Verdict{}
			}
		}
	}
}

// Verdict is the container verdict type (workload.Verdict).
type Verdict = workload.Verdict

// composer holds the indexes of one Containers run.
type composer struct {
	ix       *CloudIndex
	policies map[string][]*workload.Policy
	clusters map[string]*workload.Cluster
	// nodeCache holds, per cluster, protocol and port, the state after the
	// entry through any node (see anyNode).
	nodeCache map[string]*state
	// admitted holds, per policy set, protocol, port and resolution of the
	// named ports the set's rules use, the compiled admission (see
	// admittedBy): namespace-wide policies (podSelector {}) select every
	// pod of the namespace, and compiling their ipBlocks once per pod port
	// and route made a namespace of n pods and k such policies cost n·k.
	admitted map[string]*admitted
	sets     []*policySet
	setIndex map[string]int
}

// state is what reaches the current hop: sure are sources that certainly
// do, maybe those that may (data missing), with the proof so far.
type state struct {
	sure, maybe netset.Set
	path        []Hop
	blocked     *Hop
	missing     []string
	preserved   bool
}

func start() *state { return &state{sure: netset.Internet, preserved: true} }

func (s *state) empty() bool { return s.sure.IsEmpty() && s.maybe.IsEmpty() }

// block stops every source at h.
func (s *state) block(h Hop) {
	if !s.empty() {
		s.blocked = &h
	}
	s.sure, s.maybe = netset.Set{}, netset.Set{}
}

// unsure turns every certain source into a possible one, for lack of m.
func (s *state) unsure(m ...string) {
	if s.empty() {
		return
	}
	s.maybe, s.sure = s.maybe.Union(s.sure), netset.Set{}
	s.missing = append(s.missing, m...)
}

// restrict keeps the sources in a, blocking at h when none remain.
func (s *state) restrict(a netset.Set, h Hop) {
	was := !s.empty()
	s.sure, s.maybe = s.sure.Intersect(a), s.maybe.Intersect(a)
	if was && s.empty() {
		s.blocked = &h
	}
}

// rows continues the state through cloud results (any of which may carry
// the traffic: their union).
func (s *state) rows(rs []*Result) {
	var sure, maybe netset.Set
	var blocked *Hop
	var missing []string
	var path []Hop
	for _, r := range rs {
		switch r.Verdict {
		case Exposed:
			set := resultSet(r)
			if path == nil || sure.IsEmpty() {
				path = r.Path
			}
			sure = sure.Union(set)
			missing = append(missing, r.Missing...)
		case Unknown:
			maybe = maybe.Union(netset.Internet)
			if path == nil {
				path = r.Path
			}
			m := r.Missing
			if len(m) == 0 {
				m = []string{"the cloud result for " + r.Resource + " is unknown without a reason"}
			}
			missing = append(missing, m...)
		default:
			if blocked == nil {
				blocked = r.BlockedBy
				if blocked == nil {
					blocked = &Hop{Kind: r.ResourceType, ID: r.Resource, Detail: "not exposed"}
				}
			}
			if path == nil {
				path = r.Path
			}
		}
	}
	s.path = append(append([]Hop{}, path...), s.path...)
	was := !s.empty()
	nsure := s.sure.Intersect(sure)
	nmaybe := s.maybe.Intersect(sure.Union(maybe)).Union(s.sure.Intersect(maybe.Subtract(sure)))
	s.sure, s.maybe = nsure, nmaybe
	if !s.empty() {
		s.missing = append(s.missing, missing...)
	}
	if was && s.empty() {
		if blocked == nil && len(rs) > 0 {
			blocked = &Hop{Kind: rs[0].ResourceType, ID: rs[0].Resource,
				Detail: fmt.Sprintf("admits no internet source that reaches it on %s/%d-%d", rs[0].Protocol, rs[0].FromPort, rs[0].ToPort)}
		}
		s.blocked = blocked
	}
}

// resultSet is a result's source set (from SourceSet, or parsed from the
// CIDRs of a result read back from JSON).
func resultSet(r *Result) netset.Set {
	if !r.SourceSet.IsEmpty() {
		return r.SourceSet
	}
	s, err := parseCIDRs(r.Sources)
	if err != nil {
		return netset.Set{}
	}
	return s
}

// parseCIDRs returns the union of a list of CIDRs or addresses.
func parseCIDRs(list []string) (netset.Set, error) {
	var out netset.Set
	for _, c := range list {
		s, err := netset.Parse(c)
		if err != nil {
			return netset.Set{}, fmt.Errorf("%q: %w", c, err)
		}
		out = out.Union(s)
	}
	return out, nil
}

// verdict renders the final state for one container port.
func (s *state) verdict(p *workload.Port, via string) Verdict {
	v := Verdict{ContainerPort: p.ContainerPort, Protocol: p.Protocol, Via: via, Sources: []string{}, Path: toHops(s.path), Missing: []string{}}
	all := s.sure.Union(s.maybe)
	switch {
	case !s.sure.IsEmpty():
		v.Verdict, v.Sources, v.Width = Exposed, all.Compact(netset.NonPublic), width(all, netset.Set{})
		v.Missing = dedup(s.missing)
	case !s.maybe.IsEmpty():
		v.Verdict, v.Missing = Unknown, dedup(s.missing)
		if len(v.Missing) == 0 {
			v.Missing = []string{"a hop whose outcome is unknown gave no reason"}
		}
	default:
		b := s.blocked
		if b == nil {
			b = &Hop{Kind: "route", ID: via, Detail: "no source reaches the container"}
		}
		wb := workload.Hop(*b)
		v.Verdict, v.BlockedBy = NotExposed, &wb
	}
	return v
}

// toHops converts proof hops to the inventory's hop type (same fields).
func toHops(path []Hop) []workload.Hop {
	out := make([]workload.Hop, len(path))
	for i, h := range path {
		out[i] = workload.Hop(h)
	}
	return out
}

func frontHop(f *workload.Front) Hop { return Hop{Kind: f.Kind, ID: f.ID, Detail: f.Detail} }

// direct is the path to the workload's own addresses.
func (c *composer) direct(w *workload.Workload, ct *workload.Container, p *workload.Port, pol *podPolicies) Verdict {
	s := start()
	switch {
	case w.HostNetwork:
		s.path = append(s.path, Hop{Kind: "host_network", ID: w.ID,
			Detail: fmt.Sprintf("the workload shares its host's network: container port %d is host port %d", p.ContainerPort, p.ContainerPort)})
		c.host(s, w, p.Protocol, p.ContainerPort)
	case w.Interface != "":
		c.iface(s, w, p.Protocol, p.ContainerPort)
	case len(p.Routes) > 0:
		s.block(Hop{Kind: "workload", ID: w.ID, Detail: "the container has no address reachable from outside its host/cluster " +
			"(no cloud network interface of its own): it is reached only through its published ports or fronts"})
	default:
		s.block(Hop{Kind: "workload", ID: w.ID, Detail: "no route to the container from outside its host/cluster: " +
			"the port is not published, no front forwards to it here, and the workload has no cloud network interface of its own"})
	}
	c.applyPolicies(s, w, p, pol)
	return s.verdict(p, "")
}

// iface continues through the rows of the workload's own cloud interface.
func (c *composer) iface(s *state, w *workload.Workload, proto string, port int) {
	if c.ix.rep == nil {
		s.unsure("cloud exposure of network interface " + w.Interface + " (give --aws DIR, a snapshot with it)")
		return
	}
	rows := c.ix.slice(c.ix.direct[w.Interface], proto, port)
	if len(rows) == 0 {
		s.unsure("network interface " + w.Interface + " of " + w.ID + " is not in the cloud results (not in the snapshot)")
		return
	}
	s.rows(rows)
}

// missingHost says which host is unknown and what would tell it.
func missingHost(w *workload.Workload) string {
	h := w.Host
	switch {
	case w.Source == workload.SourceKubernetes && (h == nil || h.Name == ""):
		return "the nodes " + w.ID + " runs on and their cloud instances (manifests do not say: give --kubeconfig FILE for a live cluster, and --aws DIR)"
	case w.Source == workload.SourceKubernetes:
		return "the cloud instance of node " + h.Name + " (its spec.providerID names no EC2 instance)"
	case h != nil && h.Name != "":
		return "the cloud instance of host " + h.Name + " (give --host-id i-…)"
	}
	return "the cloud instance of the host (give --host-id i-…)"
}

// host continues through the rows of the workload's host instance.
func (c *composer) host(s *state, w *workload.Workload, proto string, port int) {
	h := w.Host
	switch {
	case h == nil && w.Source == workload.SourceKubernetes:
		s.unsure("the nodes " + w.ID + " runs on and their cloud instances (manifests do not say: give --kubeconfig for a live cluster, and --aws DIR)")
	case h == nil || h.InstanceID == "":
		s.unsure(missingHost(w))
	case c.ix.rep == nil:
		s.unsure("cloud exposure of host instance " + h.InstanceID + " (give --aws DIR, a snapshot with it)")
	default:
		rows := c.ix.slice(c.ix.direct[h.InstanceID], proto, port)
		if len(rows) == 0 {
			s.unsure("instance " + h.InstanceID + " is not in the cloud results (not in the snapshot given with --aws)")
			return
		}
		s.rows(rows)
	}
}

// slice returns the rows of protocol/port. A blocked row of a port range
// is narrowed to the port (narrowBlocked): the path is about that port.
func (ix *CloudIndex) slice(idx []int32, proto string, port int) []*Result {
	var out []*Result
	for _, i := range idx {
		r := &ix.rep.Results[i]
		if r.Protocol == proto && r.FromPort <= port && port <= r.ToPort {
			out = append(out, narrowBlocked(r, port))
		}
	}
	return out
}

// narrowBlocked returns r, or a copy whose blocking hop states its
// negative proof for port instead of r's whole range: "no rule admits
// tcp/0-65535 from …" is true of every port in the range, but a
// container's path crosses one host port, and the proof should name it.
func narrowBlocked(r *Result, port int) *Result {
	b := r.BlockedBy
	if b == nil || r.FromPort == r.ToPort {
		return r
	}
	whole := fmt.Sprintf("no rule admits %s/%s ", r.Protocol, portText(uint16(r.FromPort), uint16(r.ToPort)))
	if !strings.Contains(b.Detail, whole) {
		return r
	}
	c := *r
	h := *b
	h.Detail = strings.Replace(b.Detail, whole, fmt.Sprintf("no rule admits %s/%d ", r.Protocol, port), 1)
	c.BlockedBy = &h
	return &c
}

// lb resolves a load balancer name to the resource its results carry.
func (ix *CloudIndex) lb(name string) string {
	if id, ok := ix.aliases[strings.ToLower(name)]; ok {
		return id
	}
	if id, ok := ix.aliases[name]; ok {
		return id
	}
	return name
}

// route composes one chain of fronts, outermost first.
func (c *composer) route(w *workload.Workload, ct *workload.Container, p *workload.Port, r *workload.Route, pol *podPolicies) Verdict {
	s := start()
	if len(r.Fronts) == 0 {
		s.block(Hop{Kind: "route", ID: w.ID, Detail: "empty route"})
		return s.verdict(p, "")
	}
	f0 := &r.Fronts[0]
	c.entry(s, w, r)
	for i := range r.Fronts {
		f := &r.Fronts[i]
		if s.empty() {
			break // blocked before this front: the proof ends at the blocking control
		}
		s.path = append(s.path, frontHop(f))
		if !f.PreservesClient {
			s.preserved = false
		}
		if len(f.SourceRanges) > 0 {
			ranges, err := parseCIDRs(f.SourceRanges)
			if err != nil {
				s.unsure(fmt.Sprintf("source ranges of %s: %v", f.ID, err))
				continue
			}
			s.restrict(ranges, Hop{Kind: f.Kind, ID: f.ID,
				Detail: "source ranges " + strings.Join(f.SourceRanges, ", ") + " admit no source that reaches it"})
		}
	}
	c.applyPolicies(s, w, p, pol)
	return s.verdict(p, f0.ID)
}

// entry starts a route at its outermost front.
func (c *composer) entry(s *state, w *workload.Workload, r *workload.Route) {
	f := &r.Fronts[0]
	proto := f.ListenProto
	if proto == "" {
		proto = "tcp"
	}
	switch f.Entry {
	case "host":
		if nodes := c.anyNode(w, f); len(nodes) > 0 {
			// The same for every pod of the cluster: computed once per port.
			key := ClusterOf(w.ID) + "\x00" + proto + "\x00" + strconv.Itoa(f.ListenPort)
			if x, ok := c.nodeCache[key]; ok {
				*s = *x.clone()
				return
			}
			c.nodes(s, nodes, proto, f.ListenPort)
			c.nodeCache[key] = s.clone()
			return
		}
		c.host(s, w, proto, f.ListenPort)
	case "loopback":
		s.block(Hop{Kind: f.Kind, ID: f.ID, Detail: fmt.Sprintf("published on a loopback address (127.0.0.1 or ::1): %s/%d is reachable from the host only", proto, f.ListenPort)})
	case "cluster":
		s.block(Hop{Kind: f.Kind, ID: f.ID, Detail: "cluster-internal (ClusterIP): reachable from inside the cluster only"})
	case "load_balancer":
		if f.Kind == "target_group" {
			c.targetGroup(s, w, f, proto)
		} else {
			c.listener(s, w, r, proto)
		}
	default:
		s.unsure(fmt.Sprintf("where %s %s takes traffic from (entry %q)", f.Kind, f.ID, f.Entry))
	}
}

// listener continues through a cloud load balancer's listener rows, or
// through its rows for the targets that are this pod when they are known
// (lbTargetRows).
//
// A front that asks for an internal load balancer (InternalBy) is
// not_exposed, blocked by what asks for it, unless the cloud results name
// the load balancer: then its real scheme, in those results, wins.
func (c *composer) listener(s *state, w *workload.Workload, r *workload.Route, proto string) {
	f := &r.Fronts[0]
	if f.InternalBy != "" && (f.LoadBalancer == "" || c.ix.rep == nil || len(c.ix.direct[c.ix.lb(f.LoadBalancer)]) == 0) {
		s.block(Hop{Kind: f.Kind, ID: f.ID, Detail: "internal load balancer (" + f.InternalBy +
			"): it has private addresses only and is not reachable from the internet"})
		return
	}
	if f.LoadBalancer == "" {
		s.unsure(fmt.Sprintf("the cloud load balancer of %s (manifests carry no status hostname: give --kubeconfig for a live cluster, whose Service status names it)", f.ID))
		return
	}
	if c.ix.rep == nil {
		s.unsure("cloud exposure of load balancer " + f.LoadBalancer + " (give --aws DIR, a snapshot with it)")
		return
	}
	id := c.ix.lb(f.LoadBalancer)
	all := c.ix.direct[id]
	if len(all) == 0 {
		s.unsure("load balancer " + f.LoadBalancer + " of " + f.ID + " is not in the cloud results (not in the snapshot given with --aws)")
		return
	}
	rows := c.ix.slice(all, proto, f.ListenPort)
	if len(rows) == 0 {
		s.block(Hop{Kind: "listener", ID: id, Detail: fmt.Sprintf("no listener on %s/%d", proto, f.ListenPort)})
		return
	}
	if t := c.lbTargetRows(id, w, r, proto); len(t) > 0 {
		s.rows(t)
		return
	}
	s.rows(rows)
	if f.Kind == "load_balancer" && len(r.Fronts) > 1 && r.Fronts[1].Kind == "service" && len(w.Addresses) > 0 {
		// A LoadBalancer Service that targets pod IPs, and none of this
		// pod's is among its targets in the snapshot: the listener's
		// verdict is about other pods; whether this one receives traffic
		// is unknown. (An Ingress's load balancer may target an ingress
		// controller instead: its listener stands.)
		s.unsure(fmt.Sprintf("whether pod IP %s of %s is a registered target of load balancer %s (it targets pod IPs; the snapshot's targets do not include it: registered after the snapshot, or not ready)",
			strings.Join(w.Addresses, ", "), w.ID, f.LoadBalancer))
	}
}

// lbTargetRows are a load balancer's rows for the targets that are this
// pod, when the route says which they are:
//   - the pod IPs, when the load balancer targets pods directly (AWS Load
//     Balancer Controller, nlb-target-type ip: the next front is the
//     Service) — the target rows of those addresses at the container port;
//   - the pod's node at the node port, when the next front is a node port
//     that keeps the client address (externalTrafficPolicy Local: only
//     nodes running a selected pod pass the health check and take
//     traffic; Kubernetes docs, "Create an External Load Balancer ›
//     Preserving the client source IP").
//
// nil otherwise (externalTrafficPolicy Cluster: any node may forward to
// the pod, so the listener's rows, which cover every target, stand).
func (c *composer) lbTargetRows(lb string, w *workload.Workload, r *workload.Route, proto string) []*Result {
	if len(r.Fronts) < 2 {
		return nil
	}
	next := &r.Fronts[1]
	var out []*Result
	switch {
	case next.Kind == "node_port" && next.PreservesClient && w.Host != nil && w.Host.InstanceID != "":
		for _, row := range c.ix.slice(c.ix.via[lb+"\x00"+w.Host.InstanceID], proto, next.ListenPort) {
			if hasHop(row.Path, "target", w.Host.InstanceID) {
				out = append(out, row)
			}
		}
	case next.Kind == "service" && len(w.Addresses) > 0:
		port := r.Fronts[len(r.Fronts)-1].TargetPort
		for _, res := range targetResources(w) {
			for _, row := range c.ix.slice(c.ix.via[lb+"\x00"+res], proto, port) {
				for _, a := range w.Addresses {
					if hasHop(row.Path, "target", a) {
						out = append(out, row)
						break
					}
				}
			}
		}
	}
	return out
}

// anyNode returns the cluster's nodes when a front accepts on every node
// and forwards to a pod on any of them: a node port or a Service's
// external IP with externalTrafficPolicy Cluster (kube-proxy; Kubernetes
// docs, "Service › type NodePort", "Service › External IPs" and "Using
// Source IP"). nil when the front is bound to the pod's own node
// (hostPort, hostNetwork, externalTrafficPolicy Local) or the cluster's
// nodes are not known (manifests).
func (c *composer) anyNode(w *workload.Workload, f *workload.Front) []workload.Host {
	if (f.Kind != "node_port" && f.Kind != "external_ip") || f.PreservesClient {
		return nil
	}
	if cl := c.clusters[ClusterOf(w.ID)]; cl != nil {
		return cl.Nodes
	}
	return nil
}

// nodes continues through the rows of every node at port: a source that
// reaches some node reaches the pod; one a node may admit (its data
// missing) may.
func (c *composer) nodes(s *state, nodes []workload.Host, proto string, port int) {
	var each []*state
	for i := range nodes {
		x := s.clone()
		c.host(x, &workload.Workload{Host: &nodes[i]}, proto, port)
		each = append(each, x)
	}
	var sure, maybe netset.Set
	var path []Hop
	var blocked *Hop
	var missing []string
	for _, x := range each {
		if !x.sure.IsEmpty() && (path == nil || sure.IsEmpty()) {
			path = x.path
		}
		if path == nil && !x.empty() {
			path = x.path
		}
		sure, maybe = sure.Union(x.sure), maybe.Union(x.maybe)
		if !x.empty() {
			missing = append(missing, x.missing[len(s.missing):]...)
		}
		if blocked == nil {
			blocked = x.blocked
		}
	}
	if path == nil {
		path = each[0].path
	}
	was := !s.empty()
	s.sure, s.maybe = sure, maybe.Subtract(sure)
	s.path = path
	s.missing = append(s.missing, missing...)
	if was && s.empty() {
		s.blocked = blocked
	}
}

// targetGroup continues through the rows of the load balancer's targets
// that are this workload (ECS tasks: the task; else its host or interface)
// at the front's port.
func (c *composer) targetGroup(s *state, w *workload.Workload, f *workload.Front, proto string) {
	if c.ix.rep == nil {
		s.unsure("cloud exposure of target group " + f.ID + " (give --aws DIR, a snapshot with it)")
		return
	}
	lb := c.ix.lb(f.LoadBalancer)
	var rows []*Result
	for _, res := range targetResources(w) {
		for _, r := range c.ix.slice(c.ix.via[lb+"\x00"+res], proto, f.ListenPort) {
			if strings.Contains(f.ID, ":targetgroup/") && !hasHop(r.Path, "target_group", f.ID) {
				continue
			}
			rows = append(rows, r)
		}
	}
	if len(rows) > 0 {
		s.rows(rows)
		return
	}
	lbRows := c.ix.direct[lb]
	if lb == "" || len(lbRows) == 0 {
		s.unsure(fmt.Sprintf("load balancer %q of target group %s is not in the cloud results", f.LoadBalancer, f.ID))
		return
	}
	var listen []*Result
	for _, i := range lbRows {
		listen = append(listen, &c.ix.rep.Results[i])
	}
	probe := start()
	probe.rows(listen)
	if probe.empty() {
		// No listener of the load balancer takes any source: its rows say why.
		s.rows(listen)
		return
	}
	s.block(Hop{Kind: "target_group", ID: f.ID, Detail: fmt.Sprintf("%s is not a registered target at port %d in the load balancer's results "+
		"(no listener forwards to this target group, or elbv2 describe-target-health does not list it)", w.ID, f.ListenPort)})
}

// targetResources are the result resources a workload is as a target.
func targetResources(w *workload.Workload) []string {
	var out []string
	if id, ok := strings.CutPrefix(w.ID, "ecs:"); ok {
		out = append(out, id)
	}
	if w.Interface != "" {
		out = append(out, w.Interface)
	}
	if w.Host != nil && w.Host.InstanceID != "" {
		out = append(out, w.Host.InstanceID)
	}
	return out
}

func hasHop(path []Hop, kind, id string) bool {
	for _, h := range path {
		if h.Kind == kind && h.ID == id {
			return true
		}
	}
	return false
}

// ---- NetworkPolicies ---------------------------------------------------------

// podPolicies are the NetworkPolicies selecting one pod, and whether the
// cluster enforces them.
type podPolicies struct {
	list []*workload.Policy
	// unsure are policies whose matchLabels match but whose
	// matchExpressions are not evaluated: they may or may not select the pod.
	unsure      []*workload.Policy
	enforcement string // "enforced", "not_enforced", "unknown"
	plugin      string
	// listKey and allKey name the policy sets list and list+unsure (the
	// cluster, namespace and policy IDs) for the composer's admitted cache.
	listKey, allKey string
}

// policyKey indexes policies by cluster and namespace. A policy whose ID
// is not a Kubernetes ID (k8s:<cluster>/…) applies to the namespace in
// every cluster.
func policyKey(id, namespace string) string {
	if strings.HasPrefix(id, "k8s:") {
		return ClusterOf(id) + "\x00" + namespace
	}
	return "*\x00" + namespace
}

// podPolicies returns the policies of the pod's namespace whose
// podSelector matches its labels (Kubernetes docs, "Network Policies":
// a pod is isolated for ingress once any policy selects it; the allowed
// traffic is the union of every selecting policy's rules). A selector with
// matchExpressions is not evaluated here: such a policy may or may not
// select the pod, and the verdict keeps both outcomes (see applyPolicies).
func (c *composer) podPolicies(w *workload.Workload) *podPolicies {
	if w.Source != workload.SourceKubernetes {
		return nil
	}
	var out podPolicies
	cl := ClusterOf(w.ID)
	for _, k := range []string{cl + "\x00" + w.Namespace, "*\x00" + w.Namespace} {
		for _, p := range c.policies[k] {
			switch {
			case !labelsMatch(p.PodSelector, w.Labels):
			case len(p.Expressions) > 0:
				out.unsure = append(out.unsure, p)
			default:
				out.list = append(out.list, p)
			}
		}
	}
	if len(out.list) == 0 && len(out.unsure) == 0 {
		return nil
	}
	out.enforcement = "unknown"
	if cl := c.clusters[ClusterOf(w.ID)]; cl != nil {
		out.enforcement, out.plugin = cl.PolicyEnforcement, cl.Plugin
	}
	var sb strings.Builder
	sb.WriteString(cl + "\x00" + w.Namespace + "\x00" + out.enforcement + "\x00" + out.plugin)
	for _, p := range out.list {
		sb.WriteString("\x00" + p.ID)
	}
	out.listKey = sb.String()
	for _, p := range out.unsure {
		sb.WriteString("\x00" + p.ID)
	}
	out.allKey = sb.String()
	return &out
}

// ClusterOf returns the cluster part of a Kubernetes workload ID
// (k8s:<cluster>/<namespace>/<Kind>/<name>; the cluster may contain "/").
func ClusterOf(id string) string {
	rest, ok := strings.CutPrefix(id, "k8s:")
	if !ok {
		return ""
	}
	for n := 0; n < 3; n++ {
		i := strings.LastIndexByte(rest, '/')
		if i < 0 {
			return ""
		}
		rest = rest[:i]
	}
	return rest
}

func labelsMatch(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// policyAdmits is what the selecting policies let through at one pod port:
// all (a rule admits every source), the internet sources some ipBlock
// admits, and whether a rule admits node addresses only through an
// ipBlock (which matters when the client address was replaced).
type admission struct {
	any    bool       // some rule on this port admits every source
	blocks netset.Set // union of ipBlocks (cidr minus except) of rules on this port
	ipRule bool       // some rule on this port has an ipBlock peer
	hops   []string   // the policies and rules that admit, for the proof
}

func admits(list []*workload.Policy, w *workload.Workload, p *workload.Port) (admission, error) {
	var a admission
	for _, np := range list {
		for ri, r := range np.Rules {
			if !portMatch(r.Ports, w, p) {
				continue
			}
			if len(r.From) == 0 {
				a.any = true
				a.hops = append(a.hops, fmt.Sprintf("%s rule %d admits every source", np.ID, ri+1))
				continue
			}
			for _, peer := range r.From {
				if peer.CIDR == "" {
					continue // pod/namespace selector: cluster pods only
				}
				set, err := netset.Parse(peer.CIDR)
				if err != nil {
					return a, fmt.Errorf("NetworkPolicy %s ipBlock %q: %w", np.ID, peer.CIDR, err)
				}
				if len(peer.Except) > 0 {
					ex, err := parseCIDRs(peer.Except)
					if err != nil {
						return a, fmt.Errorf("NetworkPolicy %s ipBlock except %v: %w", np.ID, peer.Except, err)
					}
					set = set.Subtract(ex)
				}
				a.ipRule = true
				a.blocks = a.blocks.Union(set)
				h := fmt.Sprintf("%s rule %d admits ipBlock %s", np.ID, ri+1, peer.CIDR)
				if len(peer.Except) > 0 {
					h += " except " + strings.Join(peer.Except, ", ")
				}
				a.hops = append(a.hops, h)
			}
		}
	}
	return a, nil
}

// portMatch reports whether a rule's ports include the pod port. Named
// ports resolve against the pod's container ports; endPort makes a range.
func portMatch(ports []workload.PolicyPort, w *workload.Workload, p *workload.Port) bool {
	if len(ports) == 0 {
		return true
	}
	for _, pp := range ports {
		proto := strings.ToLower(pp.Protocol)
		if proto == "" {
			proto = "tcp"
		}
		if proto != p.Protocol {
			continue
		}
		switch {
		case pp.Name != "":
			if namedPort(w, pp.Name, proto) == p.ContainerPort {
				return true
			}
		case pp.Port == 0:
			return true
		case pp.EndPort >= pp.Port:
			if pp.Port <= p.ContainerPort && p.ContainerPort <= pp.EndPort {
				return true
			}
		case pp.Port == p.ContainerPort:
			return true
		}
	}
	return false
}

func namedPort(w *workload.Workload, name, proto string) int {
	for i := range w.Containers {
		for _, p := range w.Containers[i].Ports {
			if p.Name == name && p.Protocol == proto {
				return p.ContainerPort
			}
		}
	}
	return -1
}

// applyPolicies filters the state by the NetworkPolicies selecting the
// pod. With the client address replaced on the way (PreservesClient
// false: kube-proxy SNAT with externalTrafficPolicy Cluster, a proxying
// load balancer), the policy sees a node or load-balancer address, never
// the internet client: a rule admitting every source lets it through, a
// pod/namespace selector never does, an ipBlock does if it covers that
// address, which the inventory does not know.
func (c *composer) applyPolicies(s *state, w *workload.Workload, p *workload.Port, pol *podPolicies) {
	if pol == nil || s.empty() {
		return
	}
	if len(pol.unsure) == 0 {
		c.applyPolicyList(s, w, p, pol.list, pol.listKey, pol)
		return
	}
	// Some policies may or may not select the pod: evaluate without and
	// with them; what passes both ways passes, what passes one way may.
	without, with := s.clone(), s.clone()
	if len(pol.list) > 0 {
		c.applyPolicyList(without, w, p, pol.list, pol.listKey, pol)
	}
	c.applyPolicyList(with, w, p, append(append([]*workload.Policy{}, pol.list...), pol.unsure...), pol.allKey, pol)
	allW, allO := with.sure.Union(with.maybe), without.sure.Union(without.maybe)
	sure := with.sure.Intersect(without.sure)
	s.sure, s.maybe = sure, allW.Union(allO).Subtract(sure)
	s.path, s.blocked = with.path, with.blocked
	if with.empty() {
		s.path = without.path
	}
	if s.empty() && s.blocked == nil {
		s.blocked = without.blocked
	}
	s.missing = append(append([]string{}, with.missing...), without.missing[len(s.missing):]...)
	if !allW.Equal(allO) || !with.sure.Equal(without.sure) {
		for _, np := range pol.unsure {
			s.missing = append(s.missing, fmt.Sprintf("whether NetworkPolicy %s selects the pod (podSelector matchExpressions %s are not evaluated)",
				np.ID, strings.Join(np.Expressions, ", ")))
		}
	}
}

// clone copies a state (its slices too).
func (s *state) clone() *state {
	x := *s
	x.path = append([]Hop{}, s.path...)
	x.missing = append([]string{}, s.missing...)
	return &x
}

// policySet is one set of policies selecting a pod, interned by the
// composer (sets): its proof ID and the named ports its rules use.
type policySet struct {
	list  []*workload.Policy
	id    string   // the sorted policy IDs, the proof hop's ID
	names []string // named ports (protocol/name) the rules use
}

// set interns a policy set by its key (cluster, namespace, enforcement
// and policy IDs): pods selected by the same policies share one.
func (c *composer) set(key string, list []*workload.Policy) int {
	if i, ok := c.setIndex[key]; ok {
		return i
	}
	ids := make([]string, len(list))
	seen := map[string]bool{}
	ps := &policySet{list: list}
	for i, np := range list {
		ids[i] = np.ID
		for _, r := range np.Rules {
			for _, pp := range r.Ports {
				if pp.Name != "" && !seen[pp.Protocol+"/"+pp.Name] {
					seen[pp.Protocol+"/"+pp.Name] = true
					ps.names = append(ps.names, pp.Protocol+"/"+pp.Name)
				}
			}
		}
	}
	sort.Strings(ids)
	ps.id = strings.Join(ids, ", ")
	c.sets = append(c.sets, ps)
	c.setIndex[key] = len(c.sets) - 1
	return len(c.sets) - 1
}

// admitted is a policy set compiled for one pod port: what it admits, and
// the proof texts, shared by every pod port and route with the same key.
type admitted struct {
	a     admission
	err   error
	texts map[string]string
}

// text memoises a proof text of this admission.
func (ad *admitted) text(k string, build func() string) string {
	if t, ok := ad.texts[k]; ok {
		return t
	}
	t := build()
	ad.texts[k] = t
	return t
}

// admittedBy compiles (once per set, protocol, port and named-port
// resolution) what policy set si admits at the pod port.
func (c *composer) admittedBy(si int, w *workload.Workload, p *workload.Port) *admitted {
	ps := c.sets[si]
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d\x00%s\x00%d", si, p.Protocol, p.ContainerPort)
	for _, n := range ps.names {
		proto, name, _ := strings.Cut(n, "/")
		if proto == "" {
			proto = "tcp"
		}
		fmt.Fprintf(&sb, "\x00%d", namedPort(w, name, strings.ToLower(proto)))
	}
	key := sb.String()
	if ad, ok := c.admitted[key]; ok {
		return ad
	}
	a, err := admits(ps.list, w, p)
	ad := &admitted{a: a, err: err, texts: map[string]string{}}
	c.admitted[key] = ad
	return ad
}

// applyPolicyList filters the state by one set of selecting policies (the
// set interned under key).
func (c *composer) applyPolicyList(s *state, w *workload.Workload, p *workload.Port, list []*workload.Policy, key string, pol *podPolicies) {
	si := c.set(key, list)
	hop := Hop{Kind: "network_policy", ID: c.sets[si].id}
	var prefix string
	switch pol.enforcement {
	case "enforced":
		prefix = "enforced by the network plugin " + pol.plugin + "; "
	case "not_enforced":
		hop.Detail = "not enforced: the network plugin " + pol.plugin + " does not enforce NetworkPolicy, so they do not filter"
		s.path = append(s.path, hop)
		return
	default:
		prefix = "whether the network plugin enforces NetworkPolicy is unknown; if it does: "
	}
	ad := c.admittedBy(si, w, p)
	if ad.err != nil {
		s.unsure(ad.err.Error())
		return
	}
	a := ad.a
	before := *s
	switch {
	case a.any:
		hop.Detail = ad.text("any", func() string { return prefix + strings.Join(a.hops, "; ") })
	case !s.preserved && a.ipRule:
		hop.Detail = ad.text("snat-ip", func() string {
			return prefix + "the client address was replaced by a node or load balancer address on the way, which the policies' ipBlocks may admit (" +
				strings.Join(a.hops, "; ") + ")"
		})
		s.unsure(ad.text("snat-missing", func() string {
			return "the node or load balancer address the pod sees as source (client address not preserved), to match against the ipBlocks of " + hop.ID
		}))
	case !s.preserved:
		hop.Detail = ad.text("snat", func() string {
			return prefix + "the client address was replaced by a node or load balancer address on the way, and no rule on " +
				fmt.Sprintf("%s/%d admits every source or an ipBlock", p.Protocol, p.ContainerPort)
		})
		s.block(hop)
	default:
		hop.Detail = ad.text("restrict", func() string {
			if len(a.hops) == 0 {
				return prefix + fmt.Sprintf("no rule admits %s/%d from outside the cluster (pod and namespace selectors admit cluster pods only)", p.Protocol, p.ContainerPort)
			}
			return prefix + strings.Join(a.hops, "; ")
		})
		s.restrict(a.blocks, hop)
	}
	if pol.enforcement != "enforced" {
		// Enforcement unknown: what the policies would stop may still pass.
		stopped := before.sure.Union(before.maybe).Subtract(s.sure.Union(s.maybe))
		if !stopped.IsEmpty() {
			s.maybe = s.maybe.Union(stopped)
			s.blocked = before.blocked
			s.missing = append(s.missing, ad.text("enforce-missing", func() string {
				return "whether the network plugin enforces NetworkPolicy (if it does, " + hop.ID + " stops some or all sources)"
			}))
		}
	}
	if !s.empty() {
		s.path = append(s.path, hop)
	}
}

// SourcesText words a verdict's source CIDRs as DescribeSources does
// ("the internet (IPv4)", "the internet (IPv4) except …").
func SourcesText(sources []string) string {
	s, err := parseCIDRs(sources)
	if err != nil || s.IsEmpty() {
		return strings.Join(sources, ", ")
	}
	return DescribeSources(s)
}
