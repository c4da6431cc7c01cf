package reach

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/netmodel"
	"github.com/sightline-sec/sightline/internal/risk"
	"github.com/sightline-sec/sightline/internal/workload"
)

// networkPaths lists, per workload, the networked stores its interfaces
// may open a connection to on the store's ports (exposure.FlowIndex:
// security groups both ways, network ACLs and routes both ways, peering).
// Workloads and stores are matched per region (by network interface).
func networkPaths(ctx context.Context, d *Data, inv *workload.Inventory, model *netmodel.Model) error {
	for _, reg := range model.Regions {
		if err := regionPaths(ctx, d, inv, reg); err != nil {
			return err
		}
	}
	return nil
}

// flowBatch is about how many flow queries regionPaths asks at a time.
// Asking every (workload interface, store) pair at once held all the
// queries and answers: 20k task interfaces × 1k DB instances are 20M
// flows (> 20 GiB; bench/paths). Batches of source interfaces keep the
// memory to one batch plus the reachable pairs, and are still large
// enough for FlowIndex to spread over its workers (flowChunk 1024).
const flowBatch = 1 << 16

// ifacePick is the best flow found from one source interface to one
// store (not blocked), already worded as the workload's access.
type ifacePick struct {
	store int
	rank  int
	acc   risk.DataAccess
}

func regionPaths(ctx context.Context, d *Data, inv *workload.Inventory, reg *netmodel.Region) error {
	inRegion := map[string]bool{}
	byAddr := map[string]string{}
	primary := map[string]string{}
	primaryDev := map[string]int{}
	for i := range reg.Endpoints {
		e := &reg.Endpoints[i]
		inRegion[e.ID] = true
		for _, a := range e.Private {
			byAddr[a.String()] = e.ID
		}
		if e.Host != "" {
			if dev, ok := primaryDev[e.Host]; !ok || e.DeviceIndex < dev {
				primary[e.Host], primaryDev[e.Host] = e.ID, e.DeviceIndex
			}
		}
	}
	var stores, blind []int
	perSrc := 0 // queries per source interface
	for i := range d.Stores {
		s := &d.Stores[i]
		switch {
		case !s.Networked() || s.Account != reg.Account || s.Region != reg.Name:
		case s.Internet == StoreExposed:
			// The internet reaches it on its port: a workload adds
			// nothing (the store's own path in `sightline paths`).
		case len(s.Interfaces) > 0 && inRegion[s.Interfaces[0]] && len(s.Ports) > 0:
			stores = append(stores, i)
			perSrc += len(s.Ports) * len(s.Interfaces)
		case len(s.Interfaces) == 0 || len(s.Ports) == 0:
			blind = append(blind, i) // its interfaces or its port are not in the data
			d.storesNoInterface++
		}
	}
	if len(stores) == 0 && len(blind) == 0 {
		return nil
	}
	networkOf := map[string]string{}
	for i := range reg.Endpoints {
		networkOf[reg.Endpoints[i].ID] = reg.Endpoints[i].Network
	}
	gate := newIngressGate(reg, d.Stores, stores, blind)
	// The source interfaces in order of first use; each workload is
	// worded once the batch holding its last interface is answered
	// (emitAt), and an interface's picks are dropped when its last
	// workload is (users).
	srcIdx := map[string]int{}
	var srcs []string
	users := map[string]int{}
	type src struct {
		id   string
		enis []string
	}
	emitAt := map[int][]src{}
	for i := range inv.Workloads {
		w := &inv.Workloads[i]
		enis := workloadInterfaces(w, byAddr, primary)
		if len(enis) == 0 || !inRegion[enis[0]] {
			if w.Interface != "" && strings.Contains(w.ID, ":"+reg.Name+":"+reg.Account+":") {
				d.workloadsNoInterface++ // an awsvpc task of this region whose interface is not in the data
			}
			continue
		}
		// A store whose interfaces are not in the data may be reached
		// from its network: unknown, naming why, never left out.
		for _, si := range blind {
			s := &d.Stores[si]
			if s.Network != "" && s.Network != networkOf[enis[0]] || !gate.mayAdmitAny(si, enis) {
				continue // another network, or its own groups admit none of the workload's
			}
			detail := fmt.Sprintf("may reach %s (its port is not in the data)", s.Name)
			if len(s.Ports) > 0 {
				detail = fmt.Sprintf("may reach %s tcp/%d (its network interfaces are not in the data)", s.Name, s.Ports[0])
			}
			d.Behind[w.ID] = append(d.Behind[w.ID], risk.DataAccess{Store: s.ID, Name: s.Name, Kind: s.Kind, Via: "network",
				Verdict: risk.DataUnknown, Write: true, Missing: s.Missing, Detail: detail})
		}
		if len(stores) == 0 {
			continue
		}
		last := 0
		for _, e := range enis {
			k, ok := srcIdx[e]
			if !ok {
				k = len(srcs)
				srcIdx[e] = k
				srcs = append(srcs, e)
			}
			users[e]++
			last = max(last, k)
		}
		emitAt[last] = append(emitAt[last], src{w.ID, enis})
	}
	if len(srcs) == 0 {
		return nil
	}
	x, err := exposure.NewFlowIndex(reg)
	if err != nil {
		return fmt.Errorf("network paths to data stores in %s/%s: %w", reg.Account, reg.Name, err)
	}
	picks := map[string][]ifacePick{}
	proofs := map[pathKey]flowProof{}
	step := max(1, flowBatch/perSrc)
	// One query buffer for all batches (grown by append it was most of
	// the allocations of this function).
	qs := make([]exposure.FlowQuery, 0, min(step, len(srcs))*perSrc)
	keys := make([][2]int, 0, cap(qs)) // (source index, store index) of each query
	var flowBuf []exposure.Flow
	for lo := 0; lo < len(srcs); lo += step {
		hi := min(lo+step, len(srcs))
		qs, keys = qs[:0], keys[:0]
		for k := lo; k < hi; k++ {
			for _, si := range stores {
				s := &d.Stores[si]
				if !gate.mayAdmit(si, srcs[k]) {
					continue // no ingress rule of the store's groups admits it: blocked for certain
				}
				for _, p := range s.Ports {
					// One interface of the store answers for all: they
					// share groups and subnets by construction for RDS;
					// for the others every interface is asked.
					for _, to := range s.Interfaces {
						qs = append(qs, exposure.FlowQuery{From: srcs[k], To: to, Protocol: netmodel.TCP, Port: p})
						keys = append(keys, [2]int{k, si})
					}
				}
			}
		}
		flows, err := x.FlowsInto(ctx, qs, flowBuf)
		if err != nil {
			return fmt.Errorf("network paths to data stores in %s/%s: %w", reg.Account, reg.Name, err)
		}
		flowBuf = flows
		// The queries of one (interface, store) are consecutive, by port
		// then store interface: the first best-ranked flow is kept, as
		// when every flow was kept and compared.
		for i := 0; i < len(flows); {
			k := keys[i]
			pick := &flows[i]
			for i++; i < len(flows) && keys[i] == k; i++ {
				if flowRank(flows[i].Verdict) < flowRank(pick.Verdict) {
					pick = &flows[i]
				}
			}
			if pick.Verdict != exposure.FlowBlocked {
				e := srcs[k[0]]
				picks[e] = append(picks[e], ifacePick{k[1], flowRank(pick.Verdict), flowAccess(&d.Stores[k[1]], pick, proofs)})
			}
		}
		for k := lo; k < hi; k++ {
			for _, w := range emitAt[k] {
				d.Behind[w.id] = mergePicks(d.Behind[w.id], w.enis, picks)
				for _, e := range w.enis {
					if users[e]--; users[e] == 0 {
						delete(picks, e)
					}
				}
			}
			delete(emitAt, k)
		}
	}
	return nil
}

// mergePicks appends a workload's network accesses to its list dst:
// per store, the best-ranked flow over its interfaces (the first
// interface on ties), in store order. The list is reallocated to its
// exact new length (not grown by append: see identityPaths).
func mergePicks(dst []risk.DataAccess, enis []string, picks map[string][]ifacePick) []risk.DataAccess {
	var sel []*ifacePick
	if len(enis) == 1 {
		p := picks[enis[0]]
		sel = make([]*ifacePick, len(p))
		for i := range p {
			sel[i] = &p[i]
		}
	} else {
		best := map[int]*ifacePick{}
		var order []int
		for _, e := range enis {
			ps := picks[e]
			for i := range ps {
				b, ok := best[ps[i].store]
				if !ok {
					order = append(order, ps[i].store)
				}
				if !ok || ps[i].rank < b.rank {
					best[ps[i].store] = &ps[i]
				}
			}
		}
		sort.Ints(order)
		for _, si := range order {
			sel = append(sel, best[si])
		}
	}
	if len(sel) == 0 {
		return dst
	}
	out := make([]risk.DataAccess, len(dst), len(dst)+len(sel))
	copy(out, dst)
	for _, p := range sel {
		out = append(out, p.acc)
	}
	return out
}

func flowRank(v string) int {
	switch v {
	case exposure.FlowReachable:
		return 0
	case exposure.FlowUnknown:
		return 1
	}
	return 2
}

// flowProof is a flow path worded for DataAccess.Proof, with the
// destination group that admitted the source.
type flowProof struct {
	proof []string
	admit string
}

// pathKey identifies a shared Path: its first hop and its length (a
// shorter path could share the backing array).
type pathKey struct {
	first *exposure.Hop
	n     int
}

// flowAccess words a reachable (or unknown) flow to a store. Flows that
// take the same rules share their Path (exposure.Flow), so its wording
// is shared too (proofs, keyed by the path's first hop and length): millions of
// accesses at issue 11's size, a few thousand distinct paths. The shared
// Proof is read-only, as the identity accesses' already are.
func flowAccess(s *StoreExposure, f *exposure.Flow, proofs map[pathKey]flowProof) risk.DataAccess {
	da := risk.DataAccess{Store: s.ID, Name: s.Name, Kind: s.Kind, Via: "network", Write: true,
		Missing: f.Missing}
	var fp flowProof
	cached := false
	if len(f.Path) > 0 {
		fp, cached = proofs[pathKey{&f.Path[0], len(f.Path)}]
	}
	if !cached {
		for _, h := range f.Path {
			fp.proof = append(fp.proof, h.Detail)
			if h.Kind == "security_group" && strings.Contains(h.Detail, " from ") {
				fp.admit = h.ID // the destination's group admitting the source
			}
		}
		fp.proof = slices.Clip(fp.proof)
		if len(f.Path) > 0 {
			proofs[pathKey{&f.Path[0], len(f.Path)}] = fp
		}
	}
	da.Proof = fp.proof
	through := ""
	if fp.admit != "" {
		through = " through " + fp.admit
	}
	da.Detail = fmt.Sprintf("reaches %s tcp/%d%s (from %s)", s.Name, f.Port, through, addrOr(f.FromAddr, f.From))
	da.Verdict = risk.DataYes
	if f.Verdict == exposure.FlowUnknown {
		da.Verdict = risk.DataUnknown
	}
	return da
}

func addrOr(a netip.Addr, id string) string {
	if a.IsValid() {
		return id + " " + a.String()
	}
	return id
}

// ingressGate answers cheaply, before any flow is asked, whether a store's
// security groups could admit a source interface at all: a security group
// is an allow-list (VPC User Guide, "Security group rules"), so a source
// that no inbound rule of the store's groups names — by one of its groups
// or by a prefix holding one of its addresses — is blocked for certain.
// Only such certain blocks are skipped; anything the gate cannot judge
// (a group not in the model, ordered policies, missing data) is asked.
type ingressGate struct {
	stores map[int]*storeIngress
	ep     map[string]*netmodel.Endpoint
}

type storeIngress struct {
	all      bool // cannot judge: ask every source
	refs     map[string]bool
	prefixes []netip.Prefix
}

func newIngressGate(reg *netmodel.Region, all []StoreExposure, stores, blind []int) *ingressGate {
	g := &ingressGate{stores: map[int]*storeIngress{}, ep: map[string]*netmodel.Endpoint{}}
	for i := range reg.Endpoints {
		g.ep[reg.Endpoints[i].ID] = &reg.Endpoints[i]
	}
	groups := map[string]*netmodel.Group{}
	for i := range reg.Groups {
		groups[reg.Groups[i].ID] = &reg.Groups[i]
	}
	for _, si := range stores {
		s := &all[si]
		in := &storeIngress{refs: map[string]bool{}}
		g.stores[si] = in
		if len(reg.Missing.Groups) > 0 {
			in.all = true
			continue
		}
		for _, id := range s.Interfaces {
			e := g.ep[id]
			if e == nil || len(e.Policies) > 0 || len(e.Groups) == 0 {
				in.all = true
				break
			}
			in.addGroups(e.Groups, groups, s.Ports)
		}
	}
	// A store whose interfaces are not in the data still names its
	// security groups in its own description (VpcSecurityGroups …).
	for _, si := range blind {
		s := &all[si]
		in := &storeIngress{refs: map[string]bool{}, all: len(s.Groups) == 0 || len(s.Ports) == 0 || len(reg.Missing.Groups) > 0}
		if !in.all {
			in.addGroups(s.Groups, groups, s.Ports)
		}
		g.stores[si] = in
	}
	return g
}

// addGroups adds what the groups' inbound rules admit on the ports; a
// group not in the model makes the gate unable to judge.
func (in *storeIngress) addGroups(ids []string, groups map[string]*netmodel.Group, ports []int) {
	for _, gid := range ids {
		grp := groups[gid]
		if grp == nil || len(grp.Missing) > 0 {
			in.all = true
			return
		}
		for _, r := range grp.Inbound {
			if !r.Protocols.Has(netmodel.TCP) || !coversPort(r.Ports, ports) {
				continue
			}
			if r.Ref != "" {
				in.refs[r.Ref] = true
			}
			in.prefixes = append(in.prefixes, r.Prefixes...)
		}
	}
}

func coversPort(p netmodel.Ports, ports []int) bool {
	for _, x := range ports {
		if x >= int(p.Lo) && x <= int(p.Hi) {
			return true
		}
	}
	return false
}

// mayAdmitAny is mayAdmit for any of a workload's interfaces.
func (g *ingressGate) mayAdmitAny(si int, srcs []string) bool {
	for _, e := range srcs {
		if g.mayAdmit(si, e) {
			return true
		}
	}
	return false
}

// mayAdmit reports whether store si's groups name the source interface.
func (g *ingressGate) mayAdmit(si int, src string) bool {
	in := g.stores[si]
	if in == nil || in.all {
		return true
	}
	e := g.ep[src]
	if e == nil {
		return true
	}
	for _, gid := range e.Groups {
		if in.refs[gid] {
			return true
		}
	}
	for _, p := range in.prefixes {
		for _, list := range [][]netip.Addr{e.Private, e.V6} {
			for _, a := range list {
				if p.Contains(a) {
					return true
				}
			}
		}
	}
	return false
}
