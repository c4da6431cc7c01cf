package exposure

// Internal flows: can one endpoint of a region open a connection to
// another on a protocol and port, and through which controls. This is the
// lateral hop (a workload's interface → a data store's interface) that the
// internet analysis above does not ask. docs/exposure.md, "Internal flows",
// has the semantics; every rule below follows the AWS VPC User Guide pages
// it names.
//
// Cost. Every control on the path decides on one address only — the
// source's (destination subnet's ACL and route table, destination security
// groups) or the destination's (source security groups, source subnet's
// ACL and route table) — given the two endpoints' subnets, groups and the
// port. So a flow is evaluated once per equivalence key (source subnet and
// groups, destination subnet, groups and policies, protocol, port): a plan
// holds, per control, the address space partitioned by the rule that
// decides; a query then costs one binary search per control, and the
// verdict and proof are shared by every query whose addresses fall on the
// same rules. Proof texts therefore name rules, never the sample address
// (the flow carries the addresses it evaluated).

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sightline-sec/sightline/internal/exposure/netset"
	"github.com/sightline-sec/sightline/internal/netmodel"
)

// Flow verdicts.
const (
	// FlowReachable: every control on the way there and back admits the
	// connection.
	FlowReachable = "reachable"
	// FlowBlocked: a control stops it (Flow.Blocked names the first).
	FlowBlocked = "blocked"
	// FlowUnknown: no control stops it for certain, but one needs data the
	// model lacks (Flow.Missing names it).
	FlowUnknown = Unknown
)

// FlowQuery asks whether endpoint From may open Protocol/Port connections
// to endpoint To (endpoint IDs of one region). Protocol must be exactly
// one of netmodel.TCP and netmodel.UDP.
type FlowQuery struct {
	From, To string
	Protocol netmodel.Protocols
	Port     int
}

// Flow is the answer to a FlowQuery, with its proof.
//
// Flows answering queries that take the same rules share their Path,
// Blocked and Missing values: treat them as read-only.
type Flow struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Protocol string `json:"protocol"`
	Port     int    `json:"port"`
	// FromAddr and ToAddr are the addresses evaluated: the destination's
	// primary private address and the source's first private address of
	// the same family (invalid when the endpoint could not be resolved).
	FromAddr netip.Addr `json:"from_addr"`
	ToAddr   netip.Addr `json:"to_addr"`
	Verdict  string     `json:"verdict"`
	// Path is every control passed, in packet order: source security
	// groups (egress), source subnet's ACL outbound, source route table
	// (and the peering connection), destination subnet's ACL inbound,
	// destination security groups (ingress) and policies, then the return
	// path: destination ACL outbound, destination route table, source ACL
	// inbound. For blocked and unknown flows, the controls passed before
	// the first that did not pass.
	Path []Hop `json:"path"`
	// Blocked is the first control that stops the connection (blocked only).
	Blocked *Hop `json:"blocked"`
	// Missing names the data the verdict needs and the model lacks
	// (unknown; a blocked flow lists what was missing before the control
	// that blocks it).
	Missing []string `json:"missing"`
}

// Flows answers flow queries about one region (NewFlowIndex(reg).Flows).
// A query naming an endpoint that is not in the region is answered
// unknown, naming it (a stale ID among thousands must not abort the
// batch); a query with a protocol other than exactly TCP or UDP, or a port
// outside 0-65535, is an error naming the query.
func Flows(ctx context.Context, reg *netmodel.Region, qs []FlowQuery) ([]Flow, error) {
	x, err := NewFlowIndex(reg)
	if err != nil {
		return nil, err
	}
	return x.Flows(ctx, qs)
}

// FlowsTo is the batch form "who can reach to" (NewFlowIndex(reg).To).
func FlowsTo(ctx context.Context, reg *netmodel.Region, to string, proto netmodel.Protocols, port int) ([]Flow, error) {
	x, err := NewFlowIndex(reg)
	if err != nil {
		return nil, err
	}
	return x.To(ctx, to, proto, port)
}

// FlowIndex answers flow queries about one region: the region is compiled
// once, and the evaluation caches (per equivalence key, see above) are
// kept across calls, so a caller asking store by store pays for each
// distinct key once. Safe for concurrent use; the region must not change
// while the index is used.
type FlowIndex struct {
	m      *regionModel
	ends   map[string]*flowEnd // every endpoint of the region, resolved
	mu     sync.Mutex
	caches []*flowCache // idle worker caches
}

// NewFlowIndex compiles a region for flow queries.
func NewFlowIndex(reg *netmodel.Region) (*FlowIndex, error) {
	m, err := newRegionModel(reg)
	if err != nil {
		return nil, err
	}
	if len(m.eniOrder) >= 1<<23 {
		return nil, fmt.Errorf("region %s/%s: %d endpoints, more than flows support (2^23)", reg.Account, reg.Name, len(m.eniOrder))
	}
	return &FlowIndex{m: m, ends: resolveEnds(m)}, nil
}

// Flows answers queries, in query order (see the package function Flows
// for errors and unknown endpoints). Queries are spread over GOMAXPROCS
// workers, each with its own caches; the answers do not depend on the
// schedule.
func (x *FlowIndex) Flows(ctx context.Context, qs []FlowQuery) ([]Flow, error) {
	for i, q := range qs {
		if _, err := flowProto(q); err != nil {
			return nil, fmt.Errorf("flow query %d (%s → %s): %w", i, q.From, q.To, err)
		}
	}
	return x.run(ctx, qs, nil)
}

// FlowsInto is Flows answering into out's storage when it is large
// enough (every answer overwrites its element whole): a caller asking in
// batches reuses one buffer instead of allocating each batch's answers
// (bench/paths: 1.3 GB allocated over 20k × 1k store flows).
func (x *FlowIndex) FlowsInto(ctx context.Context, qs []FlowQuery, out []Flow) ([]Flow, error) {
	for i, q := range qs {
		if _, err := flowProto(q); err != nil {
			return nil, fmt.Errorf("flow query %d (%s → %s): %w", i, q.From, q.To, err)
		}
	}
	return x.run(ctx, qs, out)
}

// To is the batch form "who can reach to": one flow from every other
// endpoint of the region to it on proto/port, in model order. Filter on
// Verdict for the sources that reach it.
func (x *FlowIndex) To(ctx context.Context, to string, proto netmodel.Protocols, port int) ([]Flow, error) {
	if _, err := flowProto(FlowQuery{Protocol: proto, Port: port}); err != nil {
		return nil, fmt.Errorf("flows to %s: %w", to, err)
	}
	qs := make([]FlowQuery, 0, len(x.m.eniOrder))
	for _, id := range x.m.eniOrder {
		if id != to {
			qs = append(qs, FlowQuery{From: id, To: to, Protocol: proto, Port: port})
		}
	}
	return x.run(ctx, qs, nil)
}

// flowProto validates a query's protocol and port.
func flowProto(q FlowQuery) (int, error) {
	if q.Port < 0 || q.Port > netset.MaxPort {
		return 0, fmt.Errorf("port %d outside 0-65535", q.Port)
	}
	switch q.Protocol {
	case netmodel.TCP:
		return tcp, nil
	case netmodel.UDP:
		return udp, nil
	}
	return 0, fmt.Errorf("protocol must be exactly TCP or UDP (got %#x)", uint8(q.Protocol))
}

// flowChunk is how many queries a worker takes at a time.
const flowChunk = 1024

func (x *FlowIndex) run(ctx context.Context, qs []FlowQuery, out []Flow) ([]Flow, error) {
	if cap(out) < len(qs) {
		out = make([]Flow, len(qs))
	}
	out = out[:len(qs)]
	workers := min(runtime.GOMAXPROCS(0), (len(qs)+flowChunk-1)/flowChunk)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := x.cache()
			defer x.release(c)
			for ctx.Err() == nil {
				lo := int(next.Add(flowChunk)) - flowChunk
				if lo >= len(qs) {
					return
				}
				for i := lo; i < min(lo+flowChunk, len(qs)); i++ {
					c.flow(&qs[i], &out[i])
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// cache takes an idle worker cache (or a new one); release gives it back.
func (x *FlowIndex) cache() *flowCache {
	x.mu.Lock()
	defer x.mu.Unlock()
	if n := len(x.caches); n > 0 {
		c := x.caches[n-1]
		x.caches = x.caches[:n-1]
		return c
	}
	return newFlowCache(x.m, x.ends)
}

func (x *FlowIndex) release(c *flowCache) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.caches = append(x.caches, c)
}

// ---- endpoints and caches ------------------------------------------------

// flowEnd is one endpoint resolved for flows.
type flowEnd struct {
	id      string
	key     int32 // equivalence key: subnet, groups, policies
	sub     *subnetInfo
	set     *sgSet
	pols    string     // policies, joined
	first   netip.Addr // primary private address
	v4, v6  netip.Addr // first private address of each family
	missing []string   // the endpoint cannot be evaluated (unknown)
	// host state: down (blocked, with the hop) or unknown (missing)
	down        *Hop
	hostMissing []string
}

// resolveEnds resolves every endpoint of the model once per index.
func resolveEnds(m *regionModel) map[string]*flowEnd {
	ends := make(map[string]*flowEnd, len(m.eniOrder))
	keys := map[string]int32{}
	for _, id := range m.eniOrder {
		fe := resolveEnd(m, id)
		if fe.sub != nil {
			k := fe.sub.id + "|" + fe.set.name() + "|" + fe.pols
			n, ok := keys[k]
			if !ok {
				n = int32(len(keys))
				keys[k] = n
			}
			fe.key = n
		}
		ends[id] = fe
	}
	return ends
}

func resolveEnd(m *regionModel, id string) *flowEnd {
	fe := &flowEnd{id: id, key: -1}
	e := m.enis[id]
	if e == nil {
		where := m.reg.Origin.Endpoints
		if where == "" {
			where = "the model"
		}
		fe.missing = append([]string{fmt.Sprintf("endpoint %s not in %s", id, where)}, m.reg.Missing.Inventory...)
		return fe
	}
	for _, a := range e.Private {
		if !a.IsValid() {
			continue // a malformed address in the model: as if absent
		}
		a = a.Unmap().WithZone("")
		if !fe.first.IsValid() {
			fe.first = a
		}
		switch {
		case a.Is4():
			if !fe.v4.IsValid() {
				fe.v4 = a
			}
		case a.Is6() && !fe.v6.IsValid():
			fe.v6 = a
		}
	}
	if !fe.first.IsValid() {
		fe.missing = []string{fmt.Sprintf("endpoint %s has no private address in %s", id, m.reg.Origin.Endpoints)}
	}
	sub := m.subnets[e.Subnet]
	if sub == nil {
		fe.missing = append(fe.missing, m.subnetMissing(e.Subnet, id)...)
		return fe
	}
	fe.sub = sub
	fe.set = m.groups(e.Groups)
	fe.pols = strings.Join(e.Policies, ", ")
	if e.Host != "" {
		switch h := m.instances[e.Host]; {
		case h == nil && len(m.reg.Missing.Hosts) > 0:
			fe.hostMissing = m.reg.Missing.Hosts
		case h != nil && h.Down:
			fe.down = &Hop{Kind: "instance", ID: e.Host, Detail: fmt.Sprintf("instance %s (of %s) is %s: it opens and accepts no connection", e.Host, id, h.State)}
		}
	}
	return fe
}

// planKey packs (source key, destination key, protocol, port) into 64
// bits: keys below 2^23 each (one per endpoint at most), protocol 1 bit,
// port 16 bits. An integer key hashes several times faster than a struct.
type planKey uint64

func makePlanKey(src, dst int32, p int, port uint16) planKey {
	return planKey(uint64(src)<<40 | uint64(dst)<<17 | uint64(p)<<16 | uint64(port))
}

// maxFlowStages bounds the controls of one flow (see flowPlan).
const maxFlowStages = 10

// notFixed marks a stage whose label depends on the address.
const notFixed = -1 << 31

type stageKey struct {
	kind  int
	ctl   any // *sgSet, *subnetInfo or the joined policy IDs
	proto uint8
	port  uint16
}

type aclPortKey struct {
	acl   *nacl
	out   bool
	proto uint8
	port  uint16
}

type aclRetKey struct {
	acl   *nacl
	out   bool
	proto uint8
}

// judgeKey identifies a judgement: a stage and label, and for route
// stages the other subnet and the request's route.
type judgeKey struct {
	st    *flowStage
	label int32
	other *subnetInfo
	fwd   *routeEntry
}

// flowCache is one worker's state; nothing in it is shared, so several
// workers may compute the same plan (the answers are equal).
type flowCache struct {
	m       *regionModel
	ends    map[string]*flowEnd // the index's, read-only
	unknown map[string]*flowEnd // IDs not in the region
	// the last source and destination resolved: callers ask per
	// workload, so consecutive queries mostly share their source
	last    [2]*flowEnd
	plans   map[planKey]*flowPlan
	stages  map[stageKey]*flowStage
	judged  map[judgeKey]*judgement
	aclPort map[aclPortKey]partition
	aclRet  map[aclRetKey]partition
	routes  map[*rtable]partition
}

func newFlowCache(m *regionModel, ends map[string]*flowEnd) *flowCache {
	return &flowCache{m: m, ends: ends, unknown: map[string]*flowEnd{}, plans: map[planKey]*flowPlan{},
		stages: map[stageKey]*flowStage{}, judged: map[judgeKey]*judgement{},
		aclPort: map[aclPortKey]partition{}, aclRet: map[aclRetKey]partition{}, routes: map[*rtable]partition{}}
}

// end resolves an endpoint ID.
func (c *flowCache) end(id string, side int) *flowEnd {
	if e := c.last[side]; e != nil && e.id == id {
		return e
	}
	e := c.lookup(id)
	c.last[side] = e
	return e
}

func (c *flowCache) lookup(id string) *flowEnd {
	if e := c.ends[id]; e != nil {
		return e
	}
	if e := c.unknown[id]; e != nil {
		return e
	}
	e := resolveEnd(c.m, id)
	c.unknown[id] = e
	return e
}

// flow answers one query into out.
func (c *flowCache) flow(q *FlowQuery, out *Flow) {
	p, _ := flowProto(*q)
	*out = Flow{From: q.From, To: q.To, Protocol: protoNames[p], Port: q.Port, Path: []Hop{}, Missing: []string{}}
	src, dst := c.end(q.From, 0), c.end(q.To, 1)
	if len(src.missing) > 0 || len(dst.missing) > 0 {
		out.Verdict = FlowUnknown
		out.Missing = append(append([]string{}, src.missing...), dst.missing...)
		return
	}
	// The destination's primary private address (the one its DNS name
	// resolves to) and the source's first private address of that family
	// (the one the kernel uses as source by default).
	d := dst.first
	s := src.v4
	if d.Is6() {
		s = src.v6
	}
	out.ToAddr = d
	if !s.IsValid() {
		fam := "IPv4"
		if d.Is6() {
			fam = "IPv6"
		}
		out.Verdict = FlowBlocked
		out.Blocked = &Hop{Kind: "network_interface", ID: src.id, Detail: fmt.Sprintf("%s has no private %s address, and %s's primary private address %s is %s", src.id, fam, dst.id, d, fam)}
		return
	}
	out.FromAddr = s
	if src.down != nil {
		out.Verdict, out.Blocked = FlowBlocked, src.down
		return
	}
	pl := c.plan(src, dst, p, uint16(q.Port))
	var labels [maxFlowStages]int32
	sa, da := netset.FromAddr(s), netset.FromAddr(d)
	for i, st := range pl.stages[:pl.n] {
		switch {
		case pl.fixed[i] != notFixed:
			labels[i] = pl.fixed[i]
		case st.onSrc:
			labels[i] = st.part.at(sa)
		default:
			labels[i] = st.part.at(da)
		}
	}
	o := c.outcome(pl, &labels)
	out.Verdict, out.Path, out.Blocked, out.Missing = o.verdict, o.path, o.blocked, o.missing
	if o.verdict == FlowBlocked {
		return
	}
	// The destination's instance is the last hop of the request.
	if dst.down != nil {
		out.Verdict, out.Blocked = FlowBlocked, dst.down
		return
	}
	if len(src.hostMissing) > 0 || len(dst.hostMissing) > 0 {
		out.Verdict = FlowUnknown
		out.Missing = dedup(append(append(append([]string{}, o.missing...), src.hostMissing...), dst.hostMissing...))
	}
}

// outcome finds (or decides) the outcome of a plan for a label vector:
// most plans see one or two, so a short list is scanned before a map.
func (c *flowCache) outcome(pl *flowPlan, labels *[maxFlowStages]int32) *flowOutcome {
	for i := range pl.outs {
		if pl.outs[i].labels == *labels {
			return pl.outs[i].o
		}
	}
	if o := pl.more[*labels]; o != nil {
		return o
	}
	o := c.decide(pl, labels[:pl.n])
	if len(pl.outs) < 8 {
		pl.outs = append(pl.outs, planOutcome{*labels, o})
	} else {
		if pl.more == nil {
			pl.more = map[[maxFlowStages]int32]*flowOutcome{}
		}
		pl.more[*labels] = o
	}
	return o
}

// ---- plans -----------------------------------------------------------------

// Stage kinds, in packet order.
const (
	fsSGOut     = iota // source security groups, egress (decides on the destination address)
	fsACLOut           // source subnet's ACL, outbound (destination address, port)
	fsRoute            // source subnet's route table (destination address)
	fsACLIn            // destination subnet's ACL, inbound (source address, port)
	fsSGIn             // destination security groups, ingress (source address)
	fsPolicy           // destination policies (source address)
	fsACLRetOut        // destination subnet's ACL, outbound return traffic (source address, ephemeral ports)
	fsRouteRet         // destination subnet's route table, return route (source address)
	fsACLRetIn         // source subnet's ACL, inbound return traffic (destination address, ephemeral ports)
)

// flowStage is one control for one protocol and port: the address it
// decides on partitioned by the deciding rule (its label), or one label
// for every address (fixed: data missing). Shared by every plan through
// the control.
type flowStage struct {
	kind    int
	p       int
	port    uint16
	onSrc   bool
	fixed   bool
	label   int32
	part    partition
	missing []string // the control's data is missing (or partly: a label that does not pass is unknown)
	sub     *subnetInfo
	acl     *nacl
	rt      *rtable
	set     *sgSet
	pols    string
	gw      string           // route stages: the internet gateway of the subnet's network
	rules   []*sgRule        // the security-group rules the labels index
	refs    map[string]int32 // referenced group → label of its first rule
}

// flowPlan is the evaluation of one equivalence key: its stages in packet
// order, the labels fixed for the key (a security-group reference to the
// other side's group admits every address), and its outcomes by labels.
type flowPlan struct {
	p                  int
	port               uint16
	srcSub, dstSub     *subnetInfo
	sameSubnet, sameVN bool
	n                  int
	stages             [maxFlowStages]*flowStage
	fixed              [maxFlowStages]int32
	outs               []planOutcome
	more               map[[maxFlowStages]int32]*flowOutcome
}

type planOutcome struct {
	labels [maxFlowStages]int32
	o      *flowOutcome
}

func (pl *flowPlan) add(st *flowStage, fixed int32) {
	if st.fixed {
		fixed = st.label
	}
	pl.stages[pl.n], pl.fixed[pl.n] = st, fixed
	pl.n++
}

func (c *flowCache) plan(src, dst *flowEnd, p int, port uint16) *flowPlan {
	k := makePlanKey(src.key, dst.key, p, port)
	if pl := c.plans[k]; pl != nil {
		return pl
	}
	pl := &flowPlan{p: p, port: port, srcSub: src.sub, dstSub: dst.sub,
		sameSubnet: src.sub.id == dst.sub.id, sameVN: src.sub.vpc == dst.sub.vpc}
	out := c.sgStage(fsSGOut, src.set, p, port)
	pl.add(out, refLabel(out, dst.set))
	if !pl.sameSubnet {
		pl.add(c.aclStage(fsACLOut, src.sub, p, port), notFixed)
		pl.add(c.routeStage(fsRoute, src.sub), notFixed)
		pl.add(c.aclStage(fsACLIn, dst.sub, p, port), notFixed)
	}
	in := c.sgStage(fsSGIn, dst.set, p, port)
	pl.add(in, refLabel(in, src.set))
	if dst.pols != "" {
		pl.add(c.policyStage(dst.pols, p, port), notFixed)
	}
	if !pl.sameSubnet {
		pl.add(c.aclStage(fsACLRetOut, dst.sub, p, 0), notFixed)
		pl.add(c.routeStage(fsRouteRet, dst.sub), notFixed)
		pl.add(c.aclStage(fsACLRetIn, src.sub, p, 0), notFixed)
	}
	c.plans[k] = pl
	return pl
}

// refLabel is the label of the first rule of a security-group stage that
// references one of the other endpoint's groups (notFixed: none).
func refLabel(st *flowStage, other *sgSet) int32 {
	best := int32(notFixed)
	for _, id := range other.ids {
		if l, ok := st.refs[id]; ok && (best == notFixed || l < best) {
			best = l
		}
	}
	return best
}

// sgStage partitions the address a set of security groups decides on
// (egress: the destination; ingress: the source) by an admitting rule.
// VPC User Guide, "Security group rules": rules only allow, the rules of
// every group on an interface are aggregated, and a rule whose source (or
// destination) is a security group admits the private addresses of the
// interfaces carrying that group — also across a VPC peering connection
// in the same region ("Update your security groups to reference peer
// security groups"). The other endpoint's address is one of its private
// addresses, so a reference to one of its groups admits it whatever the
// address: the plan fixes the stage on that rule (refLabel).
func (c *flowCache) sgStage(kind int, set *sgSet, p int, port uint16) *flowStage {
	k := stageKey{kind: kind, ctl: set, proto: uint8(p), port: port}
	if st := c.stages[k]; st != nil {
		return st
	}
	st := &flowStage{kind: kind, p: p, port: port, onSrc: kind == fsSGIn, set: set, missing: set.missing}
	rules := ingress
	if kind == fsSGOut {
		rules = egress
	}
	var pieces []span
	for _, g := range set.groups {
		rs := rules(g)
		for i := range rs {
			r := &rs[i]
			if !r.protos[p] || port < r.lo || port > r.hi {
				continue
			}
			if r.ref == "" {
				for _, rg := range r.addrs.Ranges() {
					pieces = append(pieces, span{rg.Lo, rg.Hi, int32(len(st.rules))})
				}
			} else if _, seen := st.refs[r.ref]; !seen {
				if st.refs == nil {
					st.refs = map[string]int32{}
				}
				st.refs[r.ref] = int32(len(st.rules))
			}
			st.rules = append(st.rules, r)
		}
	}
	st.part = coverPartition(pieces)
	c.stages[k] = st
	return st
}

// aclStage partitions the address a subnet's network ACL decides on by
// the rule that decides. VPC User Guide, "Network ACLs": rules are
// evaluated lowest number first and the first match decides; the lists
// are stateless, so the reply is checked by the opposite direction's
// list, for the ephemeral port the client chose (1024-65535, "Ephemeral
// ports": one allowed port suffices, the client picks it); and they apply
// to traffic entering or leaving a subnet only, so the caller adds them
// only between different subnets. port is 0 for return stages.
func (c *flowCache) aclStage(kind int, sub *subnetInfo, p int, port uint16) *flowStage {
	k := stageKey{kind: kind, ctl: sub, proto: uint8(p), port: port}
	if st := c.stages[k]; st != nil {
		return st
	}
	out := kind == fsACLOut || kind == fsACLRetOut
	st := &flowStage{kind: kind, p: p, port: port, onSrc: kind == fsACLIn || kind == fsACLRetOut, sub: sub, acl: sub.acl, missing: sub.aclMiss}
	c.stages[k] = st
	if sub.acl == nil {
		st.fixed, st.label = true, -1
		return st
	}
	if kind == fsACLRetOut || kind == fsACLRetIn {
		rk := aclRetKey{acl: sub.acl, out: out, proto: uint8(p)}
		part, ok := c.aclRet[rk]
		if !ok {
			part = retPartition(sub.acl, out, p)
			c.aclRet[rk] = part
		}
		st.part = part
		return st
	}
	pk := aclPortKey{acl: sub.acl, out: out, proto: uint8(p), port: port}
	part, ok := c.aclPort[pk]
	if !ok {
		rules := sub.acl.in
		if out {
			rules = sub.acl.out
		}
		var sets []netset.Set
		var labels []int32
		for i := range rules {
			r := &rules[i]
			if r.protos[p] && port >= r.lo && port <= r.hi {
				sets, labels = append(sets, r.addrs), append(labels, int32(i))
			}
		}
		part = firstPartition(sets, labels)
		c.aclPort[pk] = part
	}
	st.part = part
	return st
}

// retPartition labels addresses by the rule letting return traffic
// through on some ephemeral port (its index), else by the rule that is the
// first match at port 1024 (-2-index), else -1 (no rule: implicit deny).
func retPartition(acl *nacl, out bool, p int) partition {
	rules := acl.in
	if out {
		rules = acl.out
	}
	rest := netset.Box(allAddrs, 0, netset.MaxPort)
	var sets, denies []netset.Set
	var labels, denyLabels []int32
	for i := range rules {
		r := &rules[i]
		if !r.protos[p] || rest.IsEmpty() {
			continue
		}
		got := rest.Intersect(netset.Box(r.addrs, r.lo, r.hi))
		if got.IsEmpty() {
			continue
		}
		rest = rest.Subtract(got)
		if r.allow {
			if a := got.RestrictPorts(ephemeralLo, ephemeralHi).Addrs(); !a.IsEmpty() {
				sets, labels = append(sets, a), append(labels, int32(i))
			}
		} else if a := got.At(ephemeralLo); !a.IsEmpty() {
			denies, denyLabels = append(denies, a), append(denyLabels, int32(-2-i))
		}
	}
	return firstPartition(append(sets, denies...), append(labels, denyLabels...))
}

// routeStage partitions the address a route table decides on by the best
// route (longest prefix match: VPC User Guide, "Route priority").
func (c *flowCache) routeStage(kind int, sub *subnetInfo) *flowStage {
	k := stageKey{kind: kind, ctl: sub}
	if st := c.stages[k]; st != nil {
		return st
	}
	st := &flowStage{kind: kind, onSrc: kind == fsRouteRet, sub: sub, rt: sub.rt, missing: sub.rtMiss}
	if v := c.m.vpcs[sub.vpc]; v != nil {
		st.gw = v.igw
	}
	c.stages[k] = st
	// Routes the table could not read (a prefix list's entries) may be
	// the best match for either address: the table is unknown.
	if sub.rt != nil && len(sub.rtMiss) == 0 && len(sub.rt.missing) > 0 {
		st.missing = sub.rt.missing
	}
	if sub.rt == nil || len(st.missing) > 0 {
		st.rt, st.fixed, st.label = nil, true, -1
		if len(st.missing) == 0 {
			st.missing = []string{"no route table for " + sub.id}
		}
		return st
	}
	part, ok := c.routes[sub.rt]
	if !ok {
		var pieces []span
		for i := range sub.rt.routes {
			for _, rg := range sub.rt.routes[i].captured.Ranges() {
				pieces = append(pieces, span{rg.Lo, rg.Hi, int32(i)})
			}
		}
		sort.Slice(pieces, func(i, j int) bool { return pieces[i].lo.Cmp(pieces[j].lo) < 0 })
		part = pieces
		c.routes[sub.rt] = part
	}
	st.part = part
	return st
}

// policyStage: each of the destination's policies must allow the source
// (netmodel.Policy: lowest priority number wins, deny first at equal
// priority, no match denies; stateful). Label 0 passes, -1 does not.
func (c *flowCache) policyStage(pols string, p int, port uint16) *flowStage {
	k := stageKey{kind: fsPolicy, ctl: pols, proto: uint8(p), port: port}
	if st := c.stages[k]; st != nil {
		return st
	}
	st := &flowStage{kind: fsPolicy, p: p, port: port, onSrc: true, pols: pols}
	c.stages[k] = st
	pass := allAddrs
	for _, id := range strings.Split(pols, ", ") {
		pol := c.m.policies[id]
		if pol == nil {
			st.missing = append(st.missing, fmt.Sprintf("policy %s not in the model", id))
			continue
		}
		st.missing = append(st.missing, pol.missing...)
		pass = pass.Intersect(pol.space[p].At(port))
	}
	if len(st.missing) > 0 {
		st.fixed, st.label = true, -1
		return st
	}
	for _, rg := range pass.Ranges() {
		st.part = append(st.part, span{rg.Lo, rg.Hi, 0})
	}
	return st
}

// ---- deciding ----------------------------------------------------------------

// flowOutcome is the verdict and proof shared by the queries of one plan
// whose addresses fall on the same rules.
type flowOutcome struct {
	verdict string
	path    []Hop
	blocked *Hop
	missing []string
}

// Stage results.
const (
	stPass = iota
	stBlock
	stUnknown
)

// decide walks the stages in packet order: the first control that stops
// the flow for certain blocks it (missing data elsewhere cannot make it
// reachable); otherwise data missing at a control that does not admit it
// makes it unknown; otherwise it is reachable.
func (c *flowCache) decide(pl *flowPlan, labels []int32) *flowOutcome {
	o := &flowOutcome{verdict: FlowReachable, missing: []string{}}
	var js [maxFlowStages]*judgement
	var fwd *routeEntry
	nHops, passed := 0, len(labels) // passed: stages before the first that did not pass
	var missing []string
	for i, label := range labels {
		st := pl.stages[i]
		jk := judgeKey{st: st, label: label}
		switch st.kind {
		case fsRoute:
			jk.other = pl.dstSub
		case fsRouteRet:
			jk.other, jk.fwd = pl.srcSub, fwd
		}
		j := c.judged[jk]
		if j == nil {
			j = judge(st, label, jk.other, fwd)
			c.judged[jk] = j
		}
		if st.kind == fsRoute && st.rt != nil && label >= 0 {
			fwd = &st.rt.routes[label]
		}
		js[i] = j
		switch j.res {
		case stPass:
			if i < passed {
				nHops += len(j.hops)
			}
		case stBlock:
			o.verdict, o.blocked = FlowBlocked, j.blocked
			o.path = collectHops(js[:min(i, passed)], nHops)
			o.missing = dedup(missing)
			return o
		case stUnknown:
			passed = min(passed, i)
			missing = append(missing, j.missing...)
		}
	}
	o.path = collectHops(js[:passed], nHops)
	if len(missing) > 0 {
		o.verdict = FlowUnknown
		o.missing = dedup(missing)
	}
	return o
}

// collectHops concatenates the proof hops of passed stages.
func collectHops(js []*judgement, n int) []Hop {
	out := make([]Hop, 0, n)
	for _, j := range js {
		out = append(out, j.hops...)
	}
	return out
}

// judgement is one stage's decision for one label.
type judgement struct {
	res     int
	hops    []Hop    // pass: the proof hops
	blocked *Hop     // block: the control and rule
	missing []string // unknown: what is missing
}

func pass(h ...Hop) *judgement { return &judgement{res: stPass, hops: h} }
func block(kind, id, detail string) *judgement {
	return &judgement{res: stBlock, blocked: &Hop{Kind: kind, ID: id, Detail: detail}}
}
func unknownFor(why ...string) *judgement { return &judgement{res: stUnknown, missing: why} }

// judge decides one stage for one label.
func judge(st *flowStage, label int32, other *subnetInfo, fwd *routeEntry) *judgement {
	proto := protoNames[st.p]
	switch st.kind {
	case fsSGOut, fsSGIn:
		dir, whom, what, rules := "from", "the source address", "ingress", ingress
		if st.kind == fsSGOut {
			dir, whom, what, rules = "to", "the destination address", "egress", egress
		}
		if label >= 0 {
			r := st.rules[label]
			return pass(Hop{Kind: "security_group", ID: r.group, Detail: fmt.Sprintf("%s allows %s %s %s %s", r.group, proto, portText(r.lo, r.hi), dir, r.src)})
		}
		if len(st.missing) > 0 {
			return unknownFor(st.missing...)
		}
		return block("security_group", st.set.name(), fmt.Sprintf("%s: no %s rule admits %s/%d %s %s%s",
			st.set.name(), what, proto, st.port, dir, whom, admittedDir(st.set, rules, st.p, st.port, dir)))
	case fsACLOut, fsACLIn:
		if st.acl == nil {
			return unknownFor(st.missing...)
		}
		dir, rules, whom := "inbound", st.acl.in, "from the source address"
		if st.kind == fsACLOut {
			dir, rules, whom = "outbound", st.acl.out, "to the destination address"
		}
		if label >= 0 && rules[label].allow {
			return pass(Hop{Kind: "network_acl", ID: st.acl.id, Detail: fmt.Sprintf("%s %s %s: first match for %s/%d %s", st.acl.id, dir, &rules[label], proto, st.port, whom)})
		}
		if len(st.missing) > 0 {
			return unknownFor(st.missing...)
		}
		if label >= 0 {
			return block("network_acl", st.acl.id, fmt.Sprintf("%s %s %s: first match for %s/%d %s", st.acl.id, dir, &rules[label], proto, st.port, whom))
		}
		return block("network_acl", st.acl.id, fmt.Sprintf("%s %s: no rule matches %s/%d %s (implicit deny)", st.acl.id, dir, proto, st.port, whom))
	case fsACLRetOut, fsACLRetIn:
		if st.acl == nil {
			return unknownFor(st.missing...)
		}
		dir, rules, whom := "inbound", st.acl.in, "from the destination address"
		if st.kind == fsACLRetOut {
			dir, rules, whom = "outbound", st.acl.out, "to the source address"
		}
		if label >= 0 {
			return pass(Hop{Kind: "network_acl", ID: st.acl.id, Detail: fmt.Sprintf("%s %s %s: return traffic %s on ephemeral %s ports allowed (stateless)", st.acl.id, dir, &rules[label], whom, proto)})
		}
		if len(st.missing) > 0 {
			return unknownFor(st.missing...)
		}
		detail := "implicit deny"
		if label <= -2 {
			detail = "first match at port 1024: " + rules[-2-label].String()
		}
		return block("network_acl", st.acl.id, fmt.Sprintf("%s %s: no rule allows return traffic %s on ephemeral %s ports %d-%d (stateless; %s)",
			st.acl.id, dir, whom, proto, ephemeralLo, ephemeralHi, detail))
	case fsRoute:
		return judgeRoute(st, label, other)
	case fsRouteRet:
		return judgeReturn(st, label, other, fwd)
	case fsPolicy:
		id := st.pols
		if label >= 0 {
			return pass(Hop{Kind: "firewall_policy", ID: id, Detail: fmt.Sprintf("%s allow %s/%d from the source address", id, proto, st.port)})
		}
		if len(st.missing) > 0 {
			return unknownFor(st.missing...)
		}
		return block("firewall_policy", id, fmt.Sprintf("%s: the deciding rule (lowest priority number) denies %s/%d from the source address, or no rule matches (implied deny)", id, proto, st.port))
	}
	return unknownFor(fmt.Sprintf("internal: stage kind %d not evaluated", st.kind))
}

// admittedDir says what a set of groups does admit on one port, so that a
// denial names the rules that come closest ("it admits tcp 5432 from
// 10.0.1.0/24 only"); dir is "from" (ingress) or "to" (egress).
func admittedDir(s *sgSet, rules func(*sg) []sgRule, p int, port uint16, dir string) string {
	var parts []string
	n := 0
	for _, g := range s.groups {
		for _, r := range rules(g) {
			if !r.protos[p] || r.hi < port || r.lo > port {
				continue
			}
			if n++; n <= 3 {
				parts = append(parts, fmt.Sprintf("%s %s %s %s", protoNames[p], portText(r.lo, r.hi), dir, r.src))
			}
		}
	}
	switch {
	case n == 0:
		return fmt.Sprintf(" (it has no rule for %s/%d)", protoNames[p], port)
	case n > 3:
		parts = append(parts, fmt.Sprintf("%d more", n-3))
	}
	return " (it admits " + strings.Join(parts, "; ") + " only)"
}

// isPeering reports whether a route target is a VPC peering connection.
// The model has no peering kind yet; AWS names peering connections pcx-…,
// the only provider whose routes the model holds. Both subnets' route
// tables must target the same connection (two VPCs have at most one
// peering connection between them: VPC Peering Guide, "VPC peering
// limitations"), and a deleted or failed connection leaves its routes in
// state blackhole, which blocks.
func isPeering(target string) bool { return strings.HasPrefix(target, "pcx-") }

// judgeRoute decides the request's route. VPC User Guide, "Route tables":
// every table has the local route for the VPC's ranges (traffic inside
// the VPC); "Route priority": the most specific route wins; VPC Peering
// Guide, "Update your route tables for a VPC peering connection": a route
// for the peer's range must target the peering connection. Traffic to a
// private address through an internet gateway goes nowhere; targets the
// model cannot follow (transit gateway, NAT gateway, an appliance's
// interface, a more specific route inside the VPC) are unknown, naming
// the route.
func judgeRoute(st *flowStage, label int32, dstSub *subnetInfo) *judgement {
	if st.rt == nil {
		return unknownFor(st.missing...)
	}
	srcSub := st.sub
	sameVN, srcGW := srcSub.vpc == dstSub.vpc, st.gw
	id := st.rt.id
	if label < 0 {
		return block("route_table", id, fmt.Sprintf("route table %s (of %s) has no route for the destination address", id, srcSub.id))
	}
	r := &st.rt.routes[label]
	to := dstSub.vpc
	switch {
	case r.state == "blackhole":
		return block("route_table", id, fmt.Sprintf("route table %s: best route for the destination address is %s → %s, which is a blackhole", id, r.dest, r.target))
	case r.target == "local" && sameVN:
		return pass(Hop{Kind: "route_table", ID: id, Detail: fmt.Sprintf("route table %s: %s → local (inside %s)", id, r.dest, to)})
	case r.target == "local":
		return block("route_table", id, fmt.Sprintf("route table %s: the destination address matches the local route %s of %s (overlapping ranges), so it never leaves for %s", id, r.dest, srcSub.vpc, to))
	case srcGW != "" && r.target == srcGW:
		return block("route_table", id, fmt.Sprintf("route table %s: best route for the destination address is %s → %s, the internet gateway, which does not deliver to the private address of %s", id, r.dest, r.target, to))
	case isPeering(r.target) && !sameVN:
		return pass(Hop{Kind: "route_table", ID: id, Detail: fmt.Sprintf("route table %s: %s → %s (VPC peering)", id, r.dest, r.target)},
			Hop{Kind: "peering", ID: r.target, Detail: fmt.Sprintf("%s carries the request from %s to %s (the model lists no peering connections: taken from the route tables of both subnets, which target it)", r.target, srcSub.vpc, to)})
	}
	return unknownFor(fmt.Sprintf("route table %s sends traffic for the destination address via %s → %s, a target the model does not follow (transit gateway, NAT gateway, appliance…)", id, r.dest, r.target))
}

// judgeReturn decides the reply's route in the destination subnet's
// table: inside a VPC the local route; across a peering connection a
// route for the source address through the same connection (VPC Peering
// Guide: both VPCs need routes). fwd is the request's route (nil when its
// table is unknown).
func judgeReturn(st *flowStage, label int32, srcSub *subnetInfo, fwd *routeEntry) *judgement {
	if st.rt == nil {
		return unknownFor(st.missing...)
	}
	dstSub := st.sub
	sameVN, dstGW := srcSub.vpc == dstSub.vpc, st.gw
	id := st.rt.id
	if label < 0 {
		return block("route_table", id, fmt.Sprintf("route table %s (of %s) has no return route for the source address", id, dstSub.id))
	}
	r := &st.rt.routes[label]
	ok := pass(Hop{Kind: "route_table", ID: id, Detail: fmt.Sprintf("route table %s: return traffic to the source address takes %s → %s", id, r.dest, r.target)})
	switch {
	case r.state == "blackhole":
		return block("route_table", id, fmt.Sprintf("route table %s: best return route for the source address is %s → %s, which is a blackhole", id, r.dest, r.target))
	case r.target == "local" && sameVN:
		return ok
	case r.target == "local":
		return block("route_table", id, fmt.Sprintf("route table %s: the source address matches the local route %s of %s (overlapping ranges): the reply never leaves %s", id, r.dest, dstSub.vpc, dstSub.vpc))
	case dstGW != "" && r.target == dstGW:
		return block("route_table", id, fmt.Sprintf("route table %s: return traffic to the source address takes %s → %s, the internet gateway, not back to %s (no return route)", id, r.dest, r.target, srcSub.vpc))
	case !sameVN && fwd != nil && isPeering(fwd.target) && fwd.state != "blackhole":
		if r.target == fwd.target {
			return ok
		}
		if isPeering(r.target) {
			return block("route_table", id, fmt.Sprintf("route table %s: return traffic to the source address takes %s → %s, not %s which carried the request (two VPCs have one peering connection at most: the reply goes elsewhere)", id, r.dest, r.target, fwd.target))
		}
	}
	return unknownFor(fmt.Sprintf("route table %s sends return traffic to the source address via %s → %s, a target the model does not follow (transit gateway, NAT gateway, appliance…)", id, r.dest, r.target))
}

// ---- labelled address partitions ---------------------------------------------

// span is one address interval with the label of the rule deciding it.
type span struct {
	lo, hi netset.U128
	label  int32
}

// partition is sorted disjoint spans; addresses in none have label -1.
type partition []span

// at returns the label of an address.
func (pt partition) at(a netset.U128) int32 {
	lo, hi := 0, len(pt)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if pt[mid].hi.Cmp(a) < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(pt) && pt[lo].lo.Cmp(a) <= 0 {
		return pt[lo].label
	}
	return -1
}

// firstPartition labels each address by the first set (in order) holding
// it: first-match lists (network ACLs). Quadratic in the number of sets,
// which a first-match list bounds (20 rules per direction by default, 40
// at most: VPC User Guide, "Amazon VPC quotas").
func firstPartition(sets []netset.Set, labels []int32) partition {
	var claimed netset.Set
	var pieces []span
	for i, s := range sets {
		for _, rg := range s.Subtract(claimed).Ranges() {
			pieces = append(pieces, span{rg.Lo, rg.Hi, labels[i]})
		}
		claimed = claimed.Union(s)
	}
	sort.Slice(pieces, func(i, j int) bool { return pieces[i].lo.Cmp(pieces[j].lo) < 0 })
	return pieces
}

// coverPartition labels each address covered by some piece with one of
// the pieces covering it (any will do: security-group rules only allow,
// and the proof names one admitting rule). O(n log n), so a group of
// 200k rules costs no more than its compilation.
func coverPartition(pieces []span) partition {
	sort.Slice(pieces, func(i, j int) bool {
		if c := pieces[i].lo.Cmp(pieces[j].lo); c != 0 {
			return c < 0
		}
		return pieces[i].label < pieces[j].label
	})
	var out partition
	for _, p := range pieces {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if p.hi.Cmp(last.hi) <= 0 {
				continue // covered
			}
			if p.lo.Cmp(last.hi) <= 0 {
				p.lo, _ = last.hi.Inc()
			}
		}
		out = append(out, p)
	}
	return out
}
