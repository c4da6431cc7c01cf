// Package ecs turns the ECS part of an AWS snapshot (ecs describe-tasks,
// describe-task-definition, describe-services, describe-container-instances)
// into workloads: one per running task, owned by its service, with the
// containers of its task definition, the image digests the agent resolved,
// the host ports its containers are really bound to, and the load balancer
// target groups its service registers it in.
//
// Sources: ECS Developer Guide, "Task networking" (awsvpc gives the task its
// own elastic network interface; bridge mode publishes a container port on
// a host port of the container instance, dynamic when hostPort is 0, the
// actual port being in the task's networkBindings; host mode uses the
// container port as host port) and "Service load balancing" (a service
// registers each task in the target group named in loadBalancers: the
// awsvpc task's IP at the container port, or the container instance at
// the bound host port).
package ecs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/workload"
)

// FromSnapshot returns the ECS workloads of every account/region of snap.
// What the snapshot lacks (no ECS calls, a task definition or container
// instance not described) is recorded as a Gap, never dropped.
func FromSnapshot(snap *snapshot.Snapshot) *workload.Inventory {
	inv := &workload.Inventory{Schema: workload.Schema, Workloads: []workload.Workload{}, Gaps: []workload.Gap{}}
	for _, reg := range snap.Regions {
		if reg.Name == "global" {
			continue
		}
		b := newBuilder(snap.Root, reg)
		b.region(inv)
	}
	return inv
}

// builder holds one region's indexes.
type builder struct {
	reg      *snapshot.Region
	input    string
	inst     map[string]string // container instance ARN → EC2 instance ID
	ips      map[string][]string
	services map[string]*snapshot.ECSService // cluster ARN + "|" + service name
	tgLB     map[string]string               // target group ARN → load balancer ARN
}

func newBuilder(root string, reg *snapshot.Region) *builder {
	b := &builder{reg: reg, input: strings.TrimSuffix(root, "/") + "/" + reg.Account + "/" + reg.Name,
		inst: map[string]string{}, ips: map[string][]string{}, services: map[string]*snapshot.ECSService{}, tgLB: map[string]string{}}
	for _, c := range reg.ContainerInstances {
		b.inst[c.ContainerInstanceArn] = c.Ec2InstanceId
	}
	for _, in := range reg.Instances {
		if in.PrivateIpAddress != "" {
			b.ips[in.InstanceId] = append(b.ips[in.InstanceId], in.PrivateIpAddress)
		}
	}
	for i := range reg.ECSServices {
		s := &reg.ECSServices[i]
		b.services[s.ClusterArn+"|"+s.ServiceName] = s
	}
	for _, tg := range reg.TargetGroups {
		if len(tg.LoadBalancerArns) > 0 {
			b.tgLB[tg.TargetGroupArn] = tg.LoadBalancerArns[0]
		}
	}
	return b
}

func (b *builder) gap(inv *workload.Inventory, what, reason string) {
	inv.Gaps = append(inv.Gaps, workload.Gap{Source: workload.SourceECS, What: what, Reason: reason, Input: b.input})
}

func (b *builder) region(inv *workload.Inventory) {
	reg := b.reg
	if !reg.Has("ecs/describe-tasks") {
		if reg.Has("ecs/describe-clusters") && len(reg.ECSClusters) == 0 {
			// No ECS cluster in the region: there were no tasks to
			// describe (describe-tasks is per cluster). Looked, found none.
			return
		}
		if len(reg.ECSClusters) == 0 {
			b.gap(inv, "ECS tasks in "+reg.Account+"/"+reg.Name, reg.Missing("ecs/describe-tasks", "")+" (ECS workloads are not listed)")
			return
		}
	}
	if len(reg.ECSClusters) > 0 {
		b.clusterGaps(inv)
	} else {
		for _, op := range clusterOps {
			if !reg.Has(op.describe) && len(reg.ECSTasks) > 0 {
				b.gap(inv, op.describe+" in "+reg.Account+"/"+reg.Name, reg.Missing(op.describe, ""))
			}
		}
	}
	for i := range reg.ECSTasks {
		t := &reg.ECSTasks[i]
		if t.LastStatus == "STOPPED" || t.LastStatus == "DEPROVISIONING" {
			continue
		}
		inv.Workloads = append(inv.Workloads, b.task(inv, t))
	}
}

// clusterOps are the per-cluster ECS calls (ECS API Reference: DescribeTasks,
// DescribeServices and DescribeContainerInstances each take one --cluster)
// with the list call whose output says the cluster has none.
var clusterOps = []struct{ describe, list, field, consequence string }{
	{"ecs/describe-tasks", "ecs/list-tasks", "taskArns", "its tasks are not listed"},
	{"ecs/describe-services", "ecs/list-services", "serviceArns", "its tasks' services and load balancer target groups are unknown"},
	{"ecs/describe-container-instances", "ecs/list-container-instances", "containerInstanceArns", "the EC2 hosts of its bridge and host mode tasks are unknown"},
}

// clusterGaps records, for every cluster describe-clusters lists, each
// per-cluster call whose output is absent or empty: a cluster without
// describe-tasks is "not read", never "no tasks". A cluster whose
// list-* output (written by the recipe in docs/aws-snapshot.md, which
// makes no describe call for an empty list) lists nothing has none.
func (b *builder) clusterGaps(inv *workload.Inventory) {
	reg := b.reg
	for _, cl := range reg.ECSClusters {
		if cl.ClusterArn == "" {
			continue
		}
		for _, op := range clusterOps {
			if reg.HasKey(op.describe, cl.ClusterArn) || b.listedNone(op.list, op.field, cl.ClusterArn) {
				continue
			}
			b.gap(inv, op.describe+" of ECS cluster "+cl.ClusterArn, reg.Missing(op.describe, cl.ClusterArn)+" ("+op.consequence+")")
		}
	}
}

// listedNone reports whether the snapshot's list call for cluster (file
// <region>/ecs/list-tasks/<encoded ARN>.json) is present and lists no ARN.
func (b *builder) listedNone(op, field, cluster string) bool {
	if b.reg.Dir == "" {
		return false
	}
	p := filepath.Join(b.reg.Dir, filepath.FromSlash(op), layout.EncodeID(cluster)+".json")
	st, err := os.Stat(p)
	if err != nil || !st.Mode().IsRegular() || st.Size() > maxListFile {
		return false
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return false
	}
	var out map[string]json.RawMessage
	if json.Unmarshal(data, &out) != nil {
		return false
	}
	raw, ok := out[field]
	if !ok {
		return false
	}
	var arns []string
	return json.Unmarshal(raw, &arns) == nil && len(arns) == 0
}

// maxListFile bounds the list file read by listedNone: an empty list is
// a few bytes; anything larger lists ARNs.
const maxListFile = 1 << 16

// TaskID is the workload ID of an ECS task.
func TaskID(taskArn string) string { return "ecs:" + taskArn }

func (b *builder) task(inv *workload.Inventory, t *snapshot.ECSTask) workload.Workload {
	td, hasTD := b.reg.TaskDefinitions[t.TaskDefinitionArn]
	if !hasTD {
		b.gap(inv, "task definition "+t.TaskDefinitionArn+" of "+t.TaskArn,
			b.reg.Missing("ecs/describe-task-definition", t.TaskDefinitionArn)+" (containers from describe-tasks only: no privileges, roles or port mappings)")
	}
	w := workload.Workload{ID: TaskID(t.TaskArn), Kind: "ecs_task", Name: lastSegment(t.TaskArn),
		Namespace: lastSegment(t.ClusterArn), Source: workload.SourceECS, Input: b.input,
		Role: td.TaskRoleArn, NetworkMode: td.NetworkMode, Containers: []workload.Container{}}
	if w.NetworkMode == "" {
		w.NetworkMode = "bridge" // the default for the EC2 launch type (RegisterTaskDefinition networkMode)
		if t.LaunchType == "FARGATE" {
			w.NetworkMode = "awsvpc"
		}
	}
	w.HostNetwork = w.NetworkMode == "host"
	if svc, ok := strings.CutPrefix(t.Group, "service:"); ok {
		if s := b.services[t.ClusterArn+"|"+svc]; s != nil {
			w.Owner = "ecs:" + s.ServiceArn
		} else {
			w.Owner = "ecs:service/" + lastSegment(t.ClusterArn) + "/" + svc
		}
	}
	for _, at := range t.Attachments {
		if at.Type != "ElasticNetworkInterface" {
			continue
		}
		for _, d := range at.Details {
			switch d.Name {
			case "networkInterfaceId":
				w.Interface = d.Value
			case "privateIPv4Address", "ipv6Address":
				w.Addresses = appendNew(w.Addresses, d.Value)
			}
		}
	}
	if t.ContainerInstanceArn != "" {
		id := b.inst[t.ContainerInstanceArn]
		w.Host = &workload.Host{Name: t.ContainerInstanceArn, InstanceID: id, Addresses: b.ips[id]}
		if id != "" {
			w.Host.InstanceFrom = "container instance"
		} else {
			b.gap(inv, "container instance "+t.ContainerInstanceArn+" of "+t.TaskArn,
				b.reg.Missing("ecs/describe-container-instances", t.ClusterArn)+" (the host's EC2 instance is unknown)")
		}
	}
	running := map[string]*snapshot.TaskContainer{}
	for i := range t.Containers {
		c := &t.Containers[i]
		running[c.Name] = c
		for _, ni := range c.NetworkInterfaces {
			w.Addresses = appendNew(w.Addresses, ni.PrivateIpv4Address)
			w.Addresses = appendNew(w.Addresses, ni.Ipv6Address)
		}
	}
	vols := map[string]string{}
	for _, v := range td.Volumes {
		if v.Host != nil {
			vols[v.Name] = v.Host.SourcePath
		}
	}
	svc := b.serviceOf(t)
	for i := range td.ContainerDefinitions {
		cd := &td.ContainerDefinitions[i]
		c := container(cd, running[cd.Name], vols)
		c.Ports = b.ports(inv, &w, t, cd, running[cd.Name], svc)
		w.Containers = append(w.Containers, c)
		delete(running, cd.Name)
	}
	// Containers the task runs that its definition does not list (no
	// definition in the snapshot): image and bindings only.
	names := make([]string, 0, len(running))
	for n := range running {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		rc := running[n]
		c := workload.Container{Name: n, Image: image(rc.Image, rc), Ports: []workload.Port{}}
		c.Ports = b.ports(inv, &w, t, nil, rc, svc)
		w.Containers = append(w.Containers, c)
	}
	return w
}

func (b *builder) serviceOf(t *snapshot.ECSTask) *snapshot.ECSService {
	if svc, ok := strings.CutPrefix(t.Group, "service:"); ok {
		return b.services[t.ClusterArn+"|"+svc]
	}
	return nil
}

// container maps a container definition and, when running, its task
// container (image digest).
func container(cd *snapshot.ContainerDefinition, rc *snapshot.TaskContainer, vols map[string]string) workload.Container {
	c := workload.Container{Name: cd.Name, Image: image(cd.Image, rc), Ports: []workload.Port{},
		Privileged: cd.Privileged, User: cd.User, ReadOnlyRootFS: cd.ReadonlyRootFilesystem}
	if lp := cd.LinuxParameters; lp != nil && lp.Capabilities != nil {
		c.CapAdd, c.CapDrop = lp.Capabilities.Add, lp.Capabilities.Drop
	}
	for _, mp := range cd.MountPoints {
		m := workload.Mount{Type: "volume", Source: mp.SourceVolume, Destination: mp.ContainerPath, ReadOnly: mp.ReadOnly}
		if src, ok := vols[mp.SourceVolume]; ok && src != "" {
			m.Type, m.Source, m.HostPath = "bind", src, true
			m.RuntimeSocket = runtimeSocket(src)
		}
		c.Mounts = append(c.Mounts, m)
	}
	return c
}

// image joins the configured reference and the digest the ECS agent
// resolved (describe-tasks containers[].imageDigest).
func image(ref string, rc *snapshot.TaskContainer) workload.Image {
	im := workload.Image{Ref: ref}
	if rc != nil && rc.ImageDigest != "" {
		im.Digest = rc.ImageDigest
	} else if _, d, ok := strings.Cut(ref, "@"); ok && strings.HasPrefix(d, "sha256:") {
		im.Digest = d
	}
	im.Confidence = "tag"
	if im.Digest != "" {
		im.Confidence = "digest"
	}
	return im
}

// ports lists a container's ports with their routes: the host ports it is
// bound to (bridge/host mode) and the load balancer target groups its
// service registers it in.
func (b *builder) ports(inv *workload.Inventory, w *workload.Workload, t *snapshot.ECSTask, cd *snapshot.ContainerDefinition,
	rc *snapshot.TaskContainer, svc *snapshot.ECSService) []workload.Port {
	var out []workload.Port
	at := func(cp int, proto string) *workload.Port {
		for i := range out {
			if out[i].ContainerPort == cp && out[i].Protocol == proto {
				return &out[i]
			}
		}
		out = append(out, workload.Port{ContainerPort: cp, Protocol: proto, Declared: "portMapping"})
		return &out[len(out)-1]
	}
	name := ""
	if cd != nil {
		name = cd.Name
		for _, pm := range cd.PortMappings {
			p := at(pm.ContainerPort, proto(pm.Protocol))
			p.Name = pm.Name
			if w.NetworkMode == "host" && (rc == nil || len(rc.NetworkBindings) == 0) {
				hp := pm.HostPort
				if hp == 0 {
					hp = pm.ContainerPort
				}
				p.HostPort = hp
				p.Routes = append(p.Routes, hostRoute(w, t, name, hp, pm.ContainerPort, p.Protocol, "", "host mode"))
			}
		}
	} else if rc != nil {
		name = rc.Name
	}
	if rc != nil && w.NetworkMode != "awsvpc" {
		for _, nb := range rc.NetworkBindings {
			if nb.HostPort == 0 {
				continue
			}
			p := at(nb.ContainerPort, proto(nb.Protocol))
			p.Declared, p.HostIP, p.HostPort = "networkBinding", nb.BindIP, nb.HostPort
			p.Routes = append(p.Routes, hostRoute(w, t, name, nb.HostPort, nb.ContainerPort, p.Protocol, nb.BindIP, w.NetworkMode+" mode"))
		}
	}
	if w.NetworkMode == "bridge" && cd != nil {
		for _, pm := range cd.PortMappings {
			if p := at(pm.ContainerPort, proto(pm.Protocol)); p.HostPort == 0 {
				b.gap(inv, fmt.Sprintf("host port of %s container %s port %d", t.TaskArn, name, pm.ContainerPort),
					"not in the task's networkBindings (task not running, or a dynamic host port not yet bound)")
			}
		}
	}
	if svc != nil {
		for _, lb := range svc.LoadBalancers {
			if lb.ContainerName != name {
				continue
			}
			p := at(lb.ContainerPort, "tcp")
			p.Routes = append(p.Routes, b.lbRoute(w, svc, lb.TargetGroupArn, lb.LoadBalancerName, p))
		}
	}
	if out == nil {
		out = []workload.Port{}
	}
	return out
}

// hostRoute is a container port bound on the container instance.
func hostRoute(w *workload.Workload, t *snapshot.ECSTask, name string, hostPort, containerPort int, proto, bindIP, mode string) workload.Route {
	entry := "host"
	if bindIP == "127.0.0.1" || bindIP == "::1" {
		entry = "loopback"
	}
	inst := hostLabel(w)
	ip := bindIP
	if ip == "" {
		ip = "every address"
	}
	f := workload.Front{Kind: "ecs_port_mapping", ID: fmt.Sprintf("%s:%s/%d", inst, proto, hostPort),
		ListenProto: proto, ListenPort: hostPort, TargetPort: containerPort, Entry: entry, PreservesClient: true,
		Detail: fmt.Sprintf("%s: container %s port %d bound on %s host port %d (%s)", mode, name, containerPort, inst, hostPort, ip)}
	return workload.Route{Fronts: []workload.Front{f}}
}

// lbRoute is the service's target group: the load balancer forwards to
// the task at the target port (the bound host port in bridge/host mode,
// the container port in awsvpc mode).
func (b *builder) lbRoute(w *workload.Workload, svc *snapshot.ECSService, tgArn, classic string, p *workload.Port) workload.Route {
	target := p.ContainerPort
	if w.NetworkMode != "awsvpc" && p.HostPort != 0 {
		target = p.HostPort
	}
	f := workload.Front{Kind: "target_group", ID: tgArn, ListenProto: "tcp", ListenPort: target, TargetPort: p.ContainerPort,
		Entry: "load_balancer", LoadBalancer: b.tgLB[tgArn]}
	if tgArn == "" {
		f.ID, f.LoadBalancer = classic, classic
		f.Detail = fmt.Sprintf("service %s registers the task in classic load balancer %s at port %d", svc.ServiceName, classic, target)
	} else {
		f.Detail = fmt.Sprintf("service %s registers the task in target group %s at port %d", svc.ServiceName, tgArn, target)
	}
	r := workload.Route{Fronts: []workload.Front{f}}
	if target != p.ContainerPort {
		r.Fronts = append(r.Fronts, workload.Front{Kind: "ecs_port_mapping", ID: fmt.Sprintf("%s:%s/%d", hostLabel(w), p.Protocol, target),
			ListenProto: p.Protocol, ListenPort: target, TargetPort: p.ContainerPort, Entry: "front", PreservesClient: true,
			Detail: fmt.Sprintf("%s mode: host port %d → container port %d", w.NetworkMode, target, p.ContainerPort)})
	}
	return r
}

// hostLabel names the container instance in front IDs and proofs.
func hostLabel(w *workload.Workload) string {
	if w.Host != nil && w.Host.InstanceID != "" {
		return w.Host.InstanceID
	}
	return "container-instance"
}

func proto(s string) string {
	if strings.EqualFold(s, "udp") {
		return "udp"
	}
	return "tcp"
}

func lastSegment(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func appendNew(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// Aliases maps every other name a load balancer is known by (DNS name,
// name) to the ID its exposure results carry (ELBv2 ARN, classic name),
// so that a Kubernetes Service's status hostname finds its results.
func Aliases(snap *snapshot.Snapshot) map[string]string {
	out := map[string]string{}
	for _, reg := range snap.Regions {
		for _, lb := range reg.LoadBalancers {
			out[strings.ToLower(lb.DNSName)] = lb.LoadBalancerArn
			out[lb.LoadBalancerName] = lb.LoadBalancerArn
		}
		for _, lb := range reg.ClassicLoadBalancers {
			out[strings.ToLower(lb.DNSName)] = lb.LoadBalancerName
		}
	}
	delete(out, "")
	return out
}

// runtimeSocket reports container runtime sockets (a bind of one gives
// the container control of the host's containers).
func runtimeSocket(path string) bool {
	for _, s := range []string{"docker.sock", "containerd.sock", "crio.sock", "podman.sock"} {
		if strings.HasSuffix(path, "/"+s) {
			return true
		}
	}
	return false
}
