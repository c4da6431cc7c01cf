package kube

import (
	"fmt"
	"net/netip"
	"path"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/sightline-sec/sightline/internal/workload"
)

// IRSAAnnotation is the ServiceAccount annotation that gives its pods an
// IAM role on EKS (IAM roles for service accounts).
const IRSAAnnotation = "eks.amazonaws.com/role-arn"

// Build turns the objects into the provider-neutral model: one Workload per
// Deployment, StatefulSet, DaemonSet, ReplicaSet not owned by a Deployment
// of the input, Job not owned by a CronJob of the input, CronJob and Pod
// (a Pod owned by a controller of the input names it as Owner: a live
// cluster's pods are listed under their controller, with their node and
// running digests), with the Services, Ingresses, hostPorts and
// hostNetwork that forward to each container port as Routes, and the
// NetworkPolicies as Policies. Build never fails: what it cannot resolve
// (a Service targetPort name no container declares, an Ingress backend
// Service not in the input) is a Gap.
func Build(objs *Objects) *workload.Inventory {
	b := &builder{
		objs:    objs,
		inv:     &workload.Inventory{Schema: workload.Schema, Workloads: []workload.Workload{}},
		byLabel: map[string]map[string][]int{},
		roles:   map[string]string{},
		nodes:   map[string]*corev1.Node{},
	}
	b.index()
	b.workloads()
	sort.SliceStable(b.inv.Workloads, func(i, j int) bool { return b.inv.Workloads[i].ID < b.inv.Workloads[j].ID })
	b.indexLabels()
	b.services()
	b.ingresses()
	b.policies()
	enf := objs.Enforcement
	if enf == "" {
		enf = "unknown"
	}
	cl := workload.Cluster{Name: objs.Cluster, PolicyEnforcement: enf, Plugin: objs.Plugin, Evidence: objs.EnforcementEvidence}
	for i := range objs.Nodes {
		cl.Nodes = append(cl.Nodes, *b.host(objs.Nodes[i].Name))
	}
	b.inv.Clusters = []workload.Cluster{cl}
	b.gaps = append(b.gaps, ignoredGaps(objs)...)
	b.inv.Gaps = dedupeGaps(append(append([]workload.Gap{}, objs.Gaps...), b.gaps...))
	return b.inv
}

// dedupeGaps drops repeats (a targetPort met through a Service and through
// an Ingress is one gap), keeping order.
func dedupeGaps(gaps []workload.Gap) []workload.Gap {
	seen := map[workload.Gap]bool{}
	out := gaps[:0]
	for _, g := range gaps {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

type builder struct {
	objs *Objects
	inv  *workload.Inventory
	gaps []workload.Gap
	// byLabel indexes workloads by namespace and "key=value" of their pod
	// labels, so a Service selects in time proportional to its matches.
	byLabel map[string]map[string][]int
	// roles maps "ns/serviceaccount" to its IRSA role ARN.
	roles map[string]string
	nodes map[string]*corev1.Node
	// top maps "Kind/ns/name" of a listed controller (or of a ReplicaSet or
	// Job collapsed into its Deployment or CronJob) to the listed ID.
	top map[string]string
}

func (b *builder) id(ns, kind, name string) string {
	return "k8s:" + b.objs.Cluster + "/" + ns + "/" + kind + "/" + name
}

func (b *builder) gap(input, what, reason string) {
	b.gaps = append(b.gaps, workload.Gap{Source: workload.SourceKubernetes, What: what, Reason: reason, Input: input})
}

// index records service-account roles, nodes and the controllers of the
// input, and which ReplicaSets and Jobs collapse into their owners.
func (b *builder) index() {
	for i := range b.objs.ServiceAccounts {
		sa := &b.objs.ServiceAccounts[i]
		if r := sa.Annotations[IRSAAnnotation]; r != "" {
			b.roles[sa.Namespace+"/"+sa.Name] = r
		}
	}
	for i := range b.objs.Nodes {
		b.nodes[b.objs.Nodes[i].Name] = &b.objs.Nodes[i]
	}
	b.top = map[string]string{}
	o := b.objs
	for _, d := range o.Deployments {
		b.top["Deployment/"+d.Namespace+"/"+d.Name] = b.id(d.Namespace, "Deployment", d.Name)
	}
	for _, s := range o.StatefulSets {
		b.top["StatefulSet/"+s.Namespace+"/"+s.Name] = b.id(s.Namespace, "StatefulSet", s.Name)
	}
	for _, s := range o.DaemonSets {
		b.top["DaemonSet/"+s.Namespace+"/"+s.Name] = b.id(s.Namespace, "DaemonSet", s.Name)
	}
	for _, c := range o.CronJobs {
		b.top["CronJob/"+c.Namespace+"/"+c.Name] = b.id(c.Namespace, "CronJob", c.Name)
	}
	for _, r := range o.ReplicaSets {
		key := "ReplicaSet/" + r.Namespace + "/" + r.Name
		if owner := b.ownerID(r.Namespace, r.OwnerReferences); owner != "" {
			b.top[key] = owner
		} else {
			b.top[key] = b.id(r.Namespace, "ReplicaSet", r.Name)
		}
	}
	for _, j := range o.Jobs {
		key := "Job/" + j.Namespace + "/" + j.Name
		if owner := b.ownerID(j.Namespace, j.OwnerReferences); owner != "" {
			b.top[key] = owner
		} else {
			b.top[key] = b.id(j.Namespace, "Job", j.Name)
		}
	}
}

// ownerID is the listed ID of an object's controller, when in the input.
func (b *builder) ownerID(ns string, refs []metav1.OwnerReference) string {
	for _, r := range refs {
		if r.Controller != nil && !*r.Controller {
			continue
		}
		if id, ok := b.top[r.Kind+"/"+ns+"/"+r.Name]; ok {
			return id
		}
	}
	return ""
}

// workloads lists every workload of the input.
func (b *builder) workloads() {
	o := b.objs
	for i := range o.Deployments {
		d := &o.Deployments[i]
		b.add("Deployment", d.ObjectMeta, &d.Spec.Template, replicas(d.Spec.Replicas), "")
	}
	for i := range o.StatefulSets {
		s := &o.StatefulSets[i]
		b.add("StatefulSet", s.ObjectMeta, &s.Spec.Template, replicas(s.Spec.Replicas), "")
	}
	for i := range o.DaemonSets {
		s := &o.DaemonSets[i]
		b.add("DaemonSet", s.ObjectMeta, &s.Spec.Template, int(s.Status.DesiredNumberScheduled), "")
	}
	for i := range o.ReplicaSets {
		r := &o.ReplicaSets[i]
		if b.ownerID(r.Namespace, r.OwnerReferences) == "" {
			b.add("ReplicaSet", r.ObjectMeta, &r.Spec.Template, replicas(r.Spec.Replicas), "")
		}
	}
	for i := range o.Jobs {
		j := &o.Jobs[i]
		if b.ownerID(j.Namespace, j.OwnerReferences) == "" {
			b.add("Job", j.ObjectMeta, &j.Spec.Template, replicas(j.Spec.Parallelism), "")
		}
	}
	for i := range o.CronJobs {
		c := &o.CronJobs[i]
		b.add("CronJob", c.ObjectMeta, &c.Spec.JobTemplate.Spec.Template, 0, "")
	}
	for i := range o.Pods {
		p := &o.Pods[i]
		tmpl := &corev1.PodTemplateSpec{ObjectMeta: p.ObjectMeta, Spec: p.Spec}
		w := b.add("Pod", p.ObjectMeta, tmpl, 1, b.ownerID(p.Namespace, p.OwnerReferences))
		b.livePod(w, p)
	}
}

// replicas is a replica count with the API default of 1.
func replicas(n *int32) int {
	if n == nil {
		return 1
	}
	return int(*n)
}

// add appends one workload built from a pod template.
func (b *builder) add(kind string, meta metav1.ObjectMeta, tmpl *corev1.PodTemplateSpec, n int, owner string) *workload.Workload {
	spec := &tmpl.Spec
	id := b.id(meta.Namespace, kind, meta.Name)
	sa := spec.ServiceAccountName
	if sa == "" {
		sa = spec.DeprecatedServiceAccount
	}
	if sa == "" {
		sa = "default"
	}
	w := workload.Workload{
		ID: id, Kind: kind, Name: meta.Name, Namespace: meta.Namespace,
		Source: workload.SourceKubernetes, Input: b.objs.Inputs[kind+"/"+meta.Namespace+"/"+meta.Name],
		Owner: owner, Labels: copyLabels(tmpl.Labels), Replicas: n,
		ServiceAccount: sa, Role: b.roles[meta.Namespace+"/"+sa],
		NetworkMode: "pod", HostNetwork: spec.HostNetwork, HostPID: spec.HostPID, HostIPC: spec.HostIPC,
	}
	if spec.HostNetwork {
		w.NetworkMode = "host"
	}
	vols := map[string]*corev1.Volume{}
	for i := range spec.Volumes {
		vols[spec.Volumes[i].Name] = &spec.Volumes[i]
	}
	for _, list := range []struct {
		cs   []corev1.Container
		init bool
	}{{spec.InitContainers, true}, {spec.Containers, false}} {
		for i := range list.cs {
			c := &list.cs[i]
			// Container names are DNS-1123 labels (core validation,
			// validateContainers); "/" or ":" would also break the
			// namespace/pod/container:proto/port address of --why.
			if errs := validation.IsDNS1123Label(c.Name); len(errs) > 0 {
				b.gap(w.Input, fmt.Sprintf("read %s %s/%s container %q", kind, meta.Namespace, meta.Name, c.Name), rejected("name", errs))
				continue
			}
			w.Containers = append(w.Containers, b.container(&w, spec, c, vols, list.init))
		}
	}
	if w.Containers == nil {
		w.Containers = []workload.Container{}
	}
	if spec.HostNetwork && owner == "" {
		b.hostNetworkGap(&w)
	}
	b.inv.Workloads = append(b.inv.Workloads, w)
	return &b.inv.Workloads[len(b.inv.Workloads)-1]
}

func copyLabels(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// container builds one container with its ports, privileges and mounts.
func (b *builder) container(w *workload.Workload, spec *corev1.PodSpec, c *corev1.Container, vols map[string]*corev1.Volume, init bool) workload.Container {
	out := workload.Container{Name: c.Name, Image: imageOf(c.Image, ""), Init: init, Ports: []workload.Port{}}
	for _, p := range c.Ports {
		if errs := containerPortErrors(p, w.HostNetwork); len(errs) > 0 {
			b.gap(w.Input, fmt.Sprintf("read %s %s/%s container %s port %d", w.Kind, w.Namespace, w.Name, c.Name, p.ContainerPort), rejected("ports", errs))
			continue
		}
		out.Ports = append(out.Ports, b.port(w, c.Name, p))
	}
	applySecurity(&out, spec.SecurityContext, c.SecurityContext)
	for _, m := range c.VolumeMounts {
		out.Mounts = append(out.Mounts, mountOf(m, vols[m.Name]))
	}
	return out
}

// port is one containerPort with its hostPort and hostNetwork routes.
func (b *builder) port(w *workload.Workload, container string, p corev1.ContainerPort) workload.Port {
	proto := protocol(p.Protocol)
	out := workload.Port{
		Name: p.Name, ContainerPort: int(p.ContainerPort), Protocol: proto,
		HostIP: p.HostIP, HostPort: int(p.HostPort), Declared: "containerPort",
	}
	if w.HostNetwork {
		// With hostNetwork the container binds the node's addresses
		// directly (hostPort, if set, must equal containerPort).
		out.HostPort = int(p.ContainerPort)
		out.Routes = append(out.Routes, workload.Route{Fronts: []workload.Front{{
			Kind: "host_network", ID: w.ID, ListenProto: proto, ListenPort: int(p.ContainerPort),
			TargetPort: int(p.ContainerPort), Entry: "host", PreservesClient: true,
			Detail: fmt.Sprintf("%s %s/%s uses hostNetwork: container %s listens on the node's addresses at %s/%d",
				w.Kind, w.Namespace, w.Name, container, proto, p.ContainerPort),
		}}})
	} else if p.HostPort != 0 {
		out.Routes = append(out.Routes, workload.Route{Fronts: []workload.Front{hostPortFront(w, container, p, proto)}})
	}
	return out
}

// hostPortFront is the route of a hostPort. hostIP says which node
// address the port is bound to (API reference, ContainerPort.hostIP: "What
// host IP to bind the external port to"): unset or unspecified, every
// node address (of the family, for 0.0.0.0 and ::); a loopback address,
// the node itself only (Entry loopback: not_exposed, as Docker's published
// ports on 127.0.0.1); another address, only that node address.
func hostPortFront(w *workload.Workload, container string, p corev1.ContainerPort, proto string) workload.Front {
	f := workload.Front{
		Kind: "host_port", ID: fmt.Sprintf("%s/hostPort/%s/%d", w.ID, proto, p.HostPort),
		ListenProto: proto, ListenPort: int(p.HostPort), TargetPort: int(p.ContainerPort),
		Entry: "host", PreservesClient: true,
	}
	on := "every node address"
	if ip, err := netip.ParseAddr(p.HostIP); err == nil {
		switch {
		case ip.IsLoopback():
			f.Entry = "loopback"
			on = p.HostIP + " (loopback: reachable from the node itself only)"
		case ip.IsUnspecified() && ip.Is4():
			on = p.HostIP + " (every IPv4 node address)"
		case ip.IsUnspecified():
			on = p.HostIP + " (every IPv6 node address)"
		default:
			on = p.HostIP + " (that node address only: reachable where the node has it, through that address's network path)"
		}
	}
	f.Detail = fmt.Sprintf("%s %s/%s container %s hostPort %d on %s → containerPort %d",
		w.Kind, w.Namespace, w.Name, container, p.HostPort, on, p.ContainerPort)
	return f
}

// hostNetworkGap says that a hostNetwork pod's declared ports are a lower
// bound: the pod uses the node's network namespace (API reference,
// PodSpec.hostNetwork), so any port its processes open is a port of the
// node, declared or not — as with Docker's host network mode.
func (b *builder) hostNetworkGap(w *workload.Workload) {
	n := 0
	for _, c := range w.Containers {
		n += len(c.Ports)
	}
	b.gap(w.Input, fmt.Sprintf("ports of hostNetwork %s %s/%s", w.Kind, w.Namespace, w.Name),
		fmt.Sprintf("the pod uses the node's network (hostNetwork): any port it opens is a port of the node; the %d declared port(s) are a lower bound", n))
}

// protocol lower-cases a Kubernetes protocol (default TCP).
func protocol(p corev1.Protocol) string {
	if p == "" {
		return "tcp"
	}
	return strings.ToLower(string(p))
}

// imageOf reads a digest from a digest reference ("repo@sha256:…") or from
// a live containerStatuses[].imageID, whose forms are
// "docker-pullable://repo@sha256:…" (dockershim), "repo@sha256:…"
// (containerd, CRI-O) and "docker://sha256:…" or "sha256:…" (an image ID,
// the config digest, not a manifest digest).
func imageOf(ref, imageID string) workload.Image {
	img := workload.Image{Ref: ref}
	if i := strings.LastIndex(ref, "@"); i >= 0 && strings.Contains(ref[i:], ":") {
		img.Digest = ref[i+1:]
	}
	if imageID != "" {
		id := imageID
		if j := strings.Index(id, "://"); j >= 0 {
			id = id[j+3:]
		}
		if i := strings.LastIndex(id, "@"); i >= 0 {
			img.Digest = id[i+1:]
		} else if strings.HasPrefix(id, "sha256:") {
			img.ID = id
		}
	}
	img.Confidence = "tag"
	if img.Digest != "" {
		img.Confidence = "digest"
	}
	return img
}

// applySecurity merges the pod and container securityContext: container
// fields override pod fields (Kubernetes API reference, SecurityContext:
// "settings in SecurityContext take precedence" over PodSecurityContext).
func applySecurity(c *workload.Container, pod *corev1.PodSecurityContext, sc *corev1.SecurityContext) {
	var uid, gid *int64
	if pod != nil {
		uid, gid, c.RunAsNonRoot = pod.RunAsUser, pod.RunAsGroup, pod.RunAsNonRoot
	}
	if sc != nil {
		if sc.RunAsUser != nil {
			uid = sc.RunAsUser
		}
		if sc.RunAsGroup != nil {
			gid = sc.RunAsGroup
		}
		if sc.RunAsNonRoot != nil {
			c.RunAsNonRoot = sc.RunAsNonRoot
		}
		c.Privileged = sc.Privileged != nil && *sc.Privileged
		c.AllowPrivilegeEscalation = sc.AllowPrivilegeEscalation
		c.ReadOnlyRootFS = sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem
		if sc.Capabilities != nil {
			for _, a := range sc.Capabilities.Add {
				c.CapAdd = append(c.CapAdd, string(a))
			}
			for _, d := range sc.Capabilities.Drop {
				c.CapDrop = append(c.CapDrop, string(d))
			}
		}
	}
	if uid != nil {
		c.User = strconv.FormatInt(*uid, 10)
		if gid != nil {
			c.User += ":" + strconv.FormatInt(*gid, 10)
		}
	}
}

// runtimeSockets are the container runtime sockets; mounting one (or a
// directory holding one) gives control of the node's containers.
var runtimeSockets = []string{
	"/var/run/docker.sock", "/run/docker.sock",
	"/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock",
	"/var/run/crio/crio.sock", "/run/crio/crio.sock",
	"/var/run/cri-dockerd.sock", "/run/cri-dockerd.sock",
}

func isRuntimeSocket(p string) bool {
	p = path.Clean(p)
	for _, s := range runtimeSockets {
		if s == p || strings.HasPrefix(s, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}

// mountOf describes one volumeMount by the kind of its volume.
func mountOf(m corev1.VolumeMount, v *corev1.Volume) workload.Mount {
	out := workload.Mount{Type: "volume", Source: m.Name, Destination: m.MountPath, ReadOnly: m.ReadOnly}
	if v == nil {
		return out
	}
	s := v.VolumeSource
	switch {
	case s.HostPath != nil:
		out.Type, out.Source, out.HostPath = "hostPath", s.HostPath.Path, true
		out.RuntimeSocket = isRuntimeSocket(s.HostPath.Path)
	case s.Secret != nil:
		out.Type, out.Source = "secret", s.Secret.SecretName
	case s.ConfigMap != nil:
		out.Type, out.Source = "configMap", s.ConfigMap.Name
	case s.EmptyDir != nil:
		out.Type = "emptyDir"
	case s.PersistentVolumeClaim != nil:
		out.Type, out.Source = "persistentVolumeClaim", s.PersistentVolumeClaim.ClaimName
	case s.Projected != nil:
		out.Type = "projected"
	case s.DownwardAPI != nil:
		out.Type = "downwardAPI"
	case s.CSI != nil:
		out.Type, out.Source = "csi", s.CSI.Driver
	}
	return out
}

// livePod adds what only a live Pod has: running digests, pod IPs, node.
func (b *builder) livePod(w *workload.Workload, p *corev1.Pod) {
	ids := map[string]string{}
	for _, s := range p.Status.InitContainerStatuses {
		ids["init/"+s.Name] = s.ImageID
	}
	for _, s := range p.Status.ContainerStatuses {
		ids[s.Name] = s.ImageID
	}
	for i := range w.Containers {
		c := &w.Containers[i]
		key := c.Name
		if c.Init {
			key = "init/" + c.Name
		}
		if id := ids[key]; id != "" {
			c.Image = imageOf(c.Image.Ref, id)
		}
	}
	for _, ip := range p.Status.PodIPs {
		w.Addresses = append(w.Addresses, ip.IP)
	}
	if len(w.Addresses) == 0 && p.Status.PodIP != "" {
		w.Addresses = []string{p.Status.PodIP}
	}
	if p.Spec.NodeName != "" {
		w.Host = b.host(p.Spec.NodeName)
	}
}

// host describes a node; the EC2 instance comes from spec.providerID
// ("aws:///eu-west-1a/i-0abc…", set by the AWS cloud provider).
func (b *builder) host(name string) *workload.Host {
	h := &workload.Host{Name: name}
	n := b.nodes[name]
	if n == nil {
		return h
	}
	if pid := n.Spec.ProviderID; strings.HasPrefix(pid, "aws://") {
		if last := pid[strings.LastIndex(pid, "/")+1:]; strings.HasPrefix(last, "i-") {
			h.InstanceID, h.InstanceFrom = last, "providerID"
		}
	}
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP || a.Type == corev1.NodeExternalIP {
			h.Addresses = append(h.Addresses, a.Address)
		}
	}
	return h
}
