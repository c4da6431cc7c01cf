package exposure

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/exposure/netset"
)

// Analyze computes the internet exposure of every network interface,
// instance, ECS task and load balancer of a snapshot.
func Analyze(ctx context.Context, snap *snapshot.Snapshot) (*Report, error) {
	rep := &Report{Schema: Schema, Results: []Result{}}
	for _, reg := range snap.Regions {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if reg.Name == "global" {
			continue
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
func AnalyzeRegion(ctx context.Context, reg *snapshot.Region) ([]Result, error) {
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

// inventoryOps list the resources that can be exposed: when one of these
// outputs is absent or covered by a collector gap, resources may be
// missing from the results altogether, so the region gets an unknown
// result naming it rather than silently reporting nothing.
var inventoryOps = []struct{ op, what string }{
	{"ec2/describe-network-interfaces", "network interfaces not listed in ec2/describe-instances"},
	{"elbv2/describe-load-balancers", "application and network load balancers"},
	{"elb/describe-load-balancers", "classic load balancers"},
}

func inventoryGaps(reg *snapshot.Region) []Result {
	var out []Result
	for _, x := range inventoryOps {
		if reg.Has(x.op) {
			continue
		}
		miss := reg.Missing(x.op, "") + " (" + x.what + " are not analysed)"
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
	eniTask  map[string]string   // interface → awsvpc task ARN
	hostTask map[string][]hostBinding
	// lastUnknown records whether the last listener result was unknown.
	lastUnknown bool
	// lastPath is the proof path of the last listener result.
	lastPath []Hop
}

// hostBinding is a bridge/host-mode container port published on an instance.
type hostBinding struct {
	task, container string
	hostPort        int
	containerPort   int
	proto           int
	mode            string
}

// skipInterface reports interfaces that belong to managed services whose
// exposure is analysed through the service (load balancers) or that do
// not accept inbound connections (NAT gateways, endpoints).
func skipInterface(e *snapshot.NetworkInterface) bool {
	switch e.InterfaceType {
	case "nat_gateway", "network_load_balancer", "gateway_load_balancer", "gateway_load_balancer_endpoint",
		"vpc_endpoint", "transit_gateway", "load_balancer":
		return true
	}
	return strings.HasPrefix(e.Description, "ELB ")
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
		if skipInterface(e) {
			return
		}
		switch {
		case e.Attachment != nil && e.Attachment.InstanceId != "":
			inst := e.Attachment.InstanceId
			out[i] = relabel(a.instanceGate(inst, rows), inst, "ec2_instance", keep[id])
		case a.eniTask[id] != "":
			out[i] = relabel(rows, a.eniTask[id], "ecs_task", keep[id])
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
	if in == nil || in.State.Name == "" || in.State.Name == "running" || in.State.Name == "pending" {
		return rows
	}
	var out []Result
	for p := 0; p < nProto; p++ {
		r := Result{Protocol: protoNames[p], FromPort: 0, ToPort: netset.MaxPort, Verdict: NotExposed,
			Sources: []string{}, Path: []Hop{}, Missing: []string{}, Interfaces: rows[0].Interfaces,
			BlockedBy: &Hop{Kind: "instance", ID: inst, Detail: "instance state is " + in.State.Name}}
		out = append(out, r)
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
func (a *analysis) directRows(e *snapshot.NetworkInterface) []Result {
	m := a.m
	v4, v6 := m.publicAddrs(e)
	sub := m.subnets[e.SubnetId]
	if sub == nil {
		miss := m.reg.Missing("ec2/describe-subnets", "")
		if m.reg.Has("ec2/describe-subnets") {
			miss = fmt.Sprintf("subnet %s of %s not in ec2/describe-subnets.json", e.SubnetId, e.NetworkInterfaceId)
		}
		var out []Result
		for p := 0; p < nProto; p++ {
			out = append(out, Result{Resource: e.NetworkInterfaceId, ResourceType: "network_interface", Protocol: protoNames[p],
				ToPort: netset.MaxPort, Verdict: Unknown, Sources: []string{}, Path: []Hop{}, Missing: []string{miss},
				Interfaces: []string{e.NetworkInterfaceId}})
		}
		return out
	}
	set := m.groups(eniGroupIDs(e))
	key := directKey{vpc: sub.vpc, sgs: set.name(), v4: len(v4) > 0, v6: len(v6) > 0}
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
		ifDetail = e.NetworkInterfaceId + " has no public IPv4 address (public IP or Elastic IP) and no IPv6 address"
	} else {
		ifDetail = e.NetworkInterfaceId + " in " + e.SubnetId + ": private " + ipList(privateIPs(e)) +
			"; public IPv4 " + ipList(v4) + "; IPv6 " + ipList(v6)
	}
	// The rows of one interface share what they can (interface list,
	// missing lists, blocking hops: never modified after creation) and take
	// their paths from one allocation.
	id := e.NetworkInterfaceId
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

func protoIndex(s string) int {
	if strings.EqualFold(s, "udp") {
		return udp
	}
	return tcp
}

// indexECS maps awsvpc task interfaces to tasks and bridge/host-mode port
// bindings to their container instance. ECS Developer Guide, "Task
// networking": awsvpc gives each task its own elastic network interface;
// in bridge mode a container port is published on a host port of the EC2
// instance (dynamic when hostPort is 0; the task's networkBindings hold the
// actual port); in host mode the container port is the host port.
func (a *analysis) indexECS() {
	a.eniTask, a.hostTask = map[string]string{}, map[string][]hostBinding{}
	reg := a.m.reg
	ci := map[string]string{}
	for _, c := range reg.ContainerInstances {
		ci[c.ContainerInstanceArn] = c.Ec2InstanceId
	}
	for i := range reg.ECSTasks {
		t := &reg.ECSTasks[i]
		if t.LastStatus == "STOPPED" || t.LastStatus == "DEPROVISIONING" {
			continue
		}
		for _, at := range t.Attachments {
			if at.Type != "ElasticNetworkInterface" {
				continue
			}
			for _, d := range at.Details {
				if d.Name == "networkInterfaceId" && d.Value != "" {
					a.eniTask[d.Value] = t.TaskArn
				}
			}
		}
		inst := ci[t.ContainerInstanceArn]
		if inst == "" {
			continue
		}
		td, hasTD := reg.TaskDefinitions[t.TaskDefinitionArn]
		mode := "bridge"
		if hasTD && td.NetworkMode != "" {
			mode = td.NetworkMode
		}
		if mode == "awsvpc" {
			continue
		}
		for _, c := range t.Containers {
			for _, b := range c.NetworkBindings {
				if b.HostPort > 0 {
					a.hostTask[inst] = append(a.hostTask[inst], hostBinding{task: t.TaskArn, container: c.Name,
						hostPort: b.HostPort, containerPort: b.ContainerPort, proto: protoIndex(b.Protocol), mode: mode})
				}
			}
			if len(c.NetworkBindings) == 0 && hasTD && mode == "host" {
				for _, cd := range td.ContainerDefinitions {
					if cd.Name != c.Name {
						continue
					}
					for _, pm := range cd.PortMappings {
						hp := pm.HostPort
						if hp == 0 {
							hp = pm.ContainerPort
						}
						a.hostTask[inst] = append(a.hostTask[inst], hostBinding{task: t.TaskArn, container: c.Name,
							hostPort: hp, containerPort: pm.ContainerPort, proto: protoIndex(pm.Protocol), mode: mode})
					}
				}
			}
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
				a.out = append(a.out, Result{Resource: b.task, ResourceType: "ecs_task", Protocol: protoNames[b.proto],
					FromPort: b.hostPort, ToPort: b.hostPort, Verdict: Unknown, Sources: []string{}, Path: []Hop{hop},
					Missing: []string{fmt.Sprintf("network interfaces of container instance %s not in snapshot", inst)}})
				continue
			}
			rows := a.instanceGate(inst, a.eniRows[eni])
			for _, r := range portSlice(rows, b.proto, b.hostPort) {
				r.Resource, r.ResourceType = b.task, "ecs_task"
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
