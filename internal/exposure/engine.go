// Package exposure is the reachability engine: it evaluates the
// provider-neutral network model (internal/netmodel) and gives every
// endpoint, host, task and front a verdict per protocol and port range —
// exposed (the internet sources, wide or narrow), not_exposed (the control
// that blocks; blocked_by_all when address families are stopped by
// different controls) or unknown (the missing data) — with a hop-by-hop
// proof. It never reads a provider's own types: a compiler per source
// (internal/collect/aws/netcompile for AWS snapshots) builds the model,
// so adding a provider does not touch the engine. All computation is set
// algebra over (source addresses × destination ports) per protocol
// (netset); docs/exposure.md has the semantics and the AWS documentation
// each rule follows.
package exposure

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/exposure/netset"
	"github.com/sightline-sec/sightline/internal/netmodel"
)

// Analyze computes the internet exposure of every endpoint, host, task
// and front of a network model (compiled from a source, e.g. an AWS
// snapshot by internal/collect/aws/netcompile).
func Analyze(ctx context.Context, model *netmodel.Model) (*Report, error) {
	rep := &Report{Schema: Schema, Results: []Result{}}
	for _, reg := range model.Regions {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := AnalyzeRegion(ctx, reg)
		if err != nil {
			return nil, fmt.Errorf("analysing %s/%s: %w", reg.Account, reg.Name, err)
		}
		if len(rep.Results) == 0 {
			rep.Results = res // one region, or the first: no copy
		} else {
			rep.Results = append(rep.Results, res...)
		}
	}
	return rep, nil
}

// AnalyzeRegion analyses one account/region.
func AnalyzeRegion(ctx context.Context, reg *netmodel.Region) ([]Result, error) {
	m, err := newRegionModel(reg)
	if err != nil {
		return nil, err
	}
	a := &analysis{m: m, eniRows: map[string][]Result{}}
	a.indexECS()
	eniOut, err := a.interfaces(ctx)
	if err != nil {
		return nil, err
	}
	a.tasks()
	if err := a.loadBalancers(ctx); err != nil {
		return nil, err
	}
	n := len(a.out)
	for _, rows := range eniOut {
		n += len(rows)
	}
	out := make([]Result, 0, n)
	for i, rows := range eniOut {
		out = append(out, rows...)
		eniOut[i] = nil // let the per-interface slices go as we copy
	}
	out = append(out, a.out...)
	out = append(out, inventoryGaps(reg)...)
	for i := range out {
		out[i].Account, out[i].Region = reg.Account, reg.Name
	}
	return out, nil
}

// inventoryGaps gives the region an unknown result for every listing of
// resources that could not be read: those resources may be missing from
// the results altogether, which must not read as "nothing exposed".
func inventoryGaps(reg *netmodel.Region) []Result {
	var out []Result
	for _, miss := range reg.Missing.Inventory {
		for p := 0; p < nProto; p++ {
			out = append(out, Result{Resource: reg.Account + "/" + reg.Name, ResourceType: "region", Protocol: protoNames[p],
				ToPort: netset.MaxPort, Verdict: Unknown, Sources: []string{}, Path: []Hop{}, Missing: []string{miss}})
		}
	}
	return out
}

// analysis holds the state of one region's run.
type analysis struct {
	m        *regionModel
	out      []Result            // task and load balancer rows (interface rows are returned by interfaces)
	eniRows  map[string][]Result // direct rows of interfaces that bridge/host-mode tasks publish ports on
	hostTask map[string][]hostBinding
	// lastUnknown records whether the last listener result was unknown.
	lastUnknown bool
	// lastPath is the proof path of the last listener result.
	lastPath []Hop
	// lastMissing is the missing list of the last listener result.
	lastMissing []string
	// frontVPC is the network of the front being analysed.
	frontVPC string
}

// hostBinding is a bridge/host-mode container port published on an instance.
type hostBinding struct {
	task, typ     string
	container     string
	hostPort      int
	containerPort int
	proto         int
	mode          string
}

// interfaces computes every interface's rows, one slice per interface in
// m.eniOrder. Interfaces are independent, so they are analysed in parallel
// (GOMAXPROCS workers over chunks of the list); the model's caches are
// safe for concurrent use and the output order does not depend on the
// schedule.
func (a *analysis) interfaces(ctx context.Context) ([][]Result, error) {
	m := a.m
	keep := map[string]bool{}
	for inst := range a.hostTask {
		keep[m.primary[inst]] = true
	}
	out := make([][]Result, len(m.eniOrder))
	direct := make([][]Result, len(m.eniOrder))
	err := parallel(ctx, len(m.eniOrder), func(i int) {
		id := m.eniOrder[i]
		e := m.enis[id]
		rows := a.directRows(e)
		if keep[id] {
			direct[i] = rows
		}
		if e.Managed {
			return
		}
		switch {
		case e.Host != "":
			out[i] = relabel(a.instanceGate(e.Host, rows), e.Host, "ec2_instance", keep[id])
		case e.Owner != "":
			out[i] = relabel(rows, e.Owner, e.OwnerType, keep[id])
		default:
			out[i] = rows
		}
	})
	if err != nil {
		return nil, err
	}
	for i, rows := range direct {
		if rows != nil {
			a.eniRows[m.eniOrder[i]] = rows
		}
	}
	return out, nil
}

// instanceGate replaces the rows of a stopped instance's interface: an
// instance that is not running accepts no connection.
func (a *analysis) instanceGate(inst string, rows []Result) []Result {
	in := a.m.instances[inst]
	if in == nil && len(a.m.reg.Missing.Hosts) > 0 {
		return a.hostStateUnknown(rows)
	}
	if in == nil || !in.Down {
		return rows
	}
	var out []Result
	for p := 0; p < nProto; p++ {
		r := Result{Protocol: protoNames[p], FromPort: 0, ToPort: netset.MaxPort, Verdict: NotExposed,
			Sources: []string{}, Path: []Hop{}, Missing: []string{}, Interfaces: rows[0].Interfaces,
			BlockedBy: &Hop{Kind: "instance", ID: inst, Detail: "instance state is " + in.State}}
		out = append(out, r)
	}
	return out
}

// hostStateUnknown turns the exposed rows of an instance whose state
// could not be read into unknown ones naming the missing data: a stopped
// instance accepts no connection, so "exposed" needs its state. Rows
// blocked by a network control stay not_exposed.
func (a *analysis) hostStateUnknown(rows []Result) []Result {
	out := make([]Result, len(rows))
	copy(out, rows)
	for i := range out {
		if out[i].Verdict == Exposed {
			out[i].Verdict, out[i].Sources, out[i].SourceSet, out[i].Width = Unknown, []string{}, netset.Set{}, ""
			out[i].Missing = dedup(append(append([]string{}, out[i].Missing...), a.m.reg.Missing.Hosts...))
		}
	}
	return out
}

// relabel sets the resource of rows, in place unless they are kept
// (shared with the interface's direct rows).
func relabel(rows []Result, resource, typ string, kept bool) []Result {
	out := rows
	if kept {
		out = make([]Result, len(rows))
		copy(out, rows)
	}
	for i := range out {
		out[i].Resource, out[i].ResourceType = resource, typ
	}
	return out
}

// directRows computes the direct internet exposure of one interface.
func (a *analysis) directRows(e *netmodel.Endpoint) []Result {
	m := a.m
	v4, v6 := e.PublicV4, e.V6
	sub := m.subnets[e.Subnet]
	if sub == nil {
		miss := m.subnetMissing(e.Subnet, e.ID)
		var out []Result
		for p := 0; p < nProto; p++ {
			out = append(out, Result{Resource: e.ID, ResourceType: "network_interface", Protocol: protoNames[p],
				ToPort: netset.MaxPort, Verdict: Unknown, Sources: []string{}, Path: []Hop{}, Missing: miss,
				Interfaces: []string{e.ID}})
		}
		return out
	}
	set := m.groups(e.Groups)
	key := directKey{vpc: sub.vpc, sgs: set.name(), pols: strings.Join(e.Policies, ","), v4: len(v4) > 0, v6: len(v6) > 0}
	if sub.rt != nil {
		key.rt = sub.rt.id
	} else {
		key.rt = "?" + sub.id
	}
	if sub.acl != nil {
		key.acl = sub.acl.id
	} else {
		key.acl = "?" + sub.id
	}
	tpls, ok := m.cachedDirect(key)
	if !ok {
		own := m.vpcCIDRs[sub.vpc]
		for p := 0; p < nProto; p++ {
			start := netset.Box(netset.Internet, 0, netset.MaxPort)
			st := []stage{addrStage("network_interface", "", universe(key.v4, key.v6), start, "")}
			st = append(st, m.networkStages(sub, p, st[0].space)...)
			st = append(st, sgStage(set, p, st[len(st)-1].space, "security_group"))
			if len(e.Policies) > 0 {
				st = append(st, m.policyStage(e.Policies, p, st[len(st)-1].space))
			}
			tpls = append(tpls, evaluate(p, start, st)...)
		}
		fold := netset.NonPublic.Union(own)
		for i := range tpls {
			tpls[i].missingOut = dedup(tpls[i].missing)
			if tpls[i].verdict == Exposed {
				tpls[i].srcText, tpls[i].width = m.renderSources(sub.vpc, tpls[i].sources, own, fold)
			}
		}
		tpls = m.storeDirect(key, tpls)
	}
	var ifDetail string
	if len(v4) == 0 && len(v6) == 0 {
		ifDetail = e.ID + " has no public IPv4 address (public IP or Elastic IP) and no IPv6 address"
	} else {
		ifDetail = e.ID + " in " + e.Subnet + ": private " + addrList(e.Private) +
			"; public IPv4 " + addrList(v4) + "; IPv6 " + addrList(v6)
	}
	// The rows of one interface share what they can (interface list,
	// missing lists, blocking hops: never modified after creation) and take
	// their paths from one allocation.
	id := e.ID
	ifaces := []string{id}
	n := 0
	for i := range tpls {
		n += len(tpls[i].path)
	}
	hops := make([]Hop, n)
	var ifBlock *Hop
	out := make([]Result, 0, len(tpls))
	for i := range tpls {
		t := &tpls[i]
		path := hops[:len(t.path):len(t.path)]
		hops = hops[len(t.path):]
		copy(path, t.path)
		for k := range path {
			if path[k].Kind == "network_interface" {
				path[k].ID, path[k].Detail = id, ifDetail
			}
		}
		r := Result{Resource: id, ResourceType: "network_interface", Protocol: protoNames[t.proto], FromPort: int(t.lo), ToPort: int(t.hi),
			Verdict: t.verdict, Sources: []string{}, Path: path, Missing: t.missingOut, BlockedBy: t.blocked, Interfaces: ifaces}
		r.BlockedByAll = t.blockedAll
		if t.blocked != nil && t.blocked.Kind == "network_interface" {
			if ifBlock == nil {
				ifBlock = &Hop{Kind: "network_interface", ID: id, Detail: ifDetail}
			}
			r.BlockedBy = ifBlock
		}
		if t.verdict == Exposed {
			if t.srcText != nil {
				r.SourceSet, r.Sources, r.Width = t.sources, t.srcText, t.width
			} else {
				r.setSources(t.sources, m.vpcCIDRs[sub.vpc])
			}
		}
		out = append(out, r)
	}
	return out
}

func dedup(s []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// ---- ECS -------------------------------------------------------------------

// indexECS groups the model's port bindings (container ports published on
// host ports, ECS bridge and host modes) by host.
func (a *analysis) indexECS() {
	a.hostTask = map[string][]hostBinding{}
	for _, b := range a.m.reg.Bindings {
		for p := 0; p < nProto; p++ {
			if !protoMask(b.Protocols)[p] {
				continue
			}
			a.hostTask[b.Host] = append(a.hostTask[b.Host], hostBinding{task: b.Owner, typ: b.OwnerType, container: b.Container,
				hostPort: b.HostPort, containerPort: b.ContainerPort, proto: p, mode: b.Mode})
		}
	}
}

// tasks emits rows for bridge/host-mode tasks: the host instance's
// exposure at each published host port.
func (a *analysis) tasks() {
	insts := make([]string, 0, len(a.hostTask))
	for i := range a.hostTask {
		insts = append(insts, i)
	}
	sort.Strings(insts)
	for _, inst := range insts {
		eni := a.m.primary[inst]
		for _, b := range a.hostTask[inst] {
			hop := Hop{Kind: "container", ID: b.container,
				Detail: fmt.Sprintf("%s mode: container port %d published on %s host port %d", b.mode, b.containerPort, inst, b.hostPort)}
			if eni == "" {
				a.out = append(a.out, Result{Resource: b.task, ResourceType: b.typ, Protocol: protoNames[b.proto],
					FromPort: b.hostPort, ToPort: b.hostPort, Verdict: Unknown, Sources: []string{}, Path: []Hop{hop},
					Missing: []string{fmt.Sprintf("network interfaces of container instance %s not in %s", inst, a.m.reg.Origin.Endpoints)}})
				continue
			}
			rows := a.instanceGate(inst, a.eniRows[eni])
			for _, r := range portSlice(rows, b.proto, b.hostPort) {
				r.Resource, r.ResourceType = b.task, b.typ
				r.Path = append([]Hop{hop}, r.Path...)
				a.out = append(a.out, r)
			}
		}
	}
}

// portSlice returns the rows covering one protocol/port, narrowed to it.
func portSlice(rows []Result, p int, port int) []Result {
	var out []Result
	for _, r := range rows {
		if r.Protocol == protoNames[p] && r.FromPort <= port && port <= r.ToPort {
			r.FromPort, r.ToPort = port, port
			out = append(out, r)
		}
	}
	return out
}
