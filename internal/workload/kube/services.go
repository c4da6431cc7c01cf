package kube

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/sightline-sec/sightline/internal/workload"
)

// nlbTargetTypeAnnotation set to "ip" makes the AWS Load Balancer
// Controller register pod IPs, not node ports, as targets.
const nlbTargetTypeAnnotation = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"

// indexLabels indexes the workloads' pod labels by namespace and
// "key=value" (after sorting, so indexes are final).
func (b *builder) indexLabels() {
	for i := range b.inv.Workloads {
		w := &b.inv.Workloads[i]
		ns := b.byLabel[w.Namespace]
		if ns == nil {
			ns = map[string][]int{}
			b.byLabel[w.Namespace] = ns
		}
		for k, v := range w.Labels {
			ns[k+"="+v] = append(ns[k+"="+v], i)
		}
	}
}

// selectWorkloads are the workloads in ns whose pod labels carry every
// pair of sel (Service selectors are equality-only; an empty selector
// selects nothing: such a Service's endpoints are managed by hand).
func (b *builder) selectWorkloads(ns string, sel map[string]string) []int {
	if len(sel) == 0 {
		return nil
	}
	// Start from the rarest pair.
	var cand []int
	first := true
	for k, v := range sel {
		l := b.byLabel[ns][k+"="+v]
		if first || len(l) < len(cand) {
			cand, first = l, false
		}
	}
	var out []int
	for _, i := range cand {
		if matches(b.inv.Workloads[i].Labels, sel) {
			out = append(out, i)
		}
	}
	return out
}

func matches(labels, sel map[string]string) bool {
	for k, v := range sel {
		if l, ok := labels[k]; !ok || l != v {
			return false
		}
	}
	return true
}

// target is one container port a Service port forwards to.
type target struct {
	w, c, p int
	named   string // the targetPort name, when by name
}

// resolveTarget finds the container ports of workload wi that a Service
// port's targetPort names: by name against the containers' named ports,
// by number against their containerPorts. A number no container declares
// is still served by the process that listens on it: when the pod has one
// (non-init) container the port is added with Declared "service";
// otherwise, and for a name no container declares, it is a Gap.
//
// Its gaps name the Service's input: the targetPort is the Service's field.
func (b *builder) resolveTarget(wi int, svc, input string, sp corev1.ServicePort) []target {
	w := &b.inv.Workloads[wi]
	proto := protocol(sp.Protocol)
	tp := sp.TargetPort
	if tp.Type == intstr.Int && tp.IntVal == 0 {
		tp = intstr.FromInt32(sp.Port) // targetPort defaults to port
	}
	var out []target
	for ci := range w.Containers {
		for pi, p := range w.Containers[ci].Ports {
			if p.Protocol != proto {
				continue
			}
			if (tp.Type == intstr.String && p.Name == tp.StrVal) || (tp.Type == intstr.Int && p.ContainerPort == int(tp.IntVal)) {
				t := target{w: wi, c: ci, p: pi}
				if tp.Type == intstr.String {
					t.named = tp.StrVal
				}
				out = append(out, t)
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	if tp.Type == intstr.String {
		b.gap(input, "resolve "+svc+" targetPort "+tp.StrVal,
			fmt.Sprintf("no container of %s %s/%s declares a %s port named %q", w.Kind, w.Namespace, w.Name, proto, tp.StrVal))
		return nil
	}
	serving := -1
	for ci := range w.Containers {
		if !w.Containers[ci].Init {
			if serving >= 0 {
				b.gap(input, fmt.Sprintf("resolve %s targetPort %d", svc, tp.IntVal),
					fmt.Sprintf("no container of %s %s/%s declares %s/%d and it has several containers: which one listens is unknown", w.Kind, w.Namespace, w.Name, proto, tp.IntVal))
				return nil
			}
			serving = ci
		}
	}
	if serving < 0 {
		return nil
	}
	c := &w.Containers[serving]
	c.Ports = append(c.Ports, workload.Port{ContainerPort: int(tp.IntVal), Protocol: proto, Declared: "service"})
	return []target{{w: wi, c: serving, p: len(c.Ports) - 1}}
}

// services adds every Service to Inventory.Services and its routes to the
// container ports it selects.
func (b *builder) services() {
	for i := range b.objs.Services {
		s := &b.objs.Services[i]
		typ := string(s.Spec.Type)
		if typ == "" {
			typ = string(corev1.ServiceTypeClusterIP)
		}
		id := b.id(s.Namespace, "Service", s.Name)
		b.inv.Services = append(b.inv.Services, workload.Service{
			ID: id, Kind: "Service", Name: s.Name, Namespace: s.Namespace, Type: typ,
			Selector: s.Spec.Selector, LoadBalancer: lbAddresses(s.Status.LoadBalancer.Ingress),
			Input: b.objs.Inputs["Service/"+s.Namespace+"/"+s.Name],
		})
		if s.Spec.Type == corev1.ServiceTypeExternalName {
			continue
		}
		wls := b.selectWorkloads(s.Namespace, s.Spec.Selector)
		for _, sp := range s.Spec.Ports {
			if errs := servicePortErrors(sp); len(errs) > 0 {
				b.gap(b.objs.Inputs["Service/"+s.Namespace+"/"+s.Name], fmt.Sprintf("read Service %s/%s port %d", s.Namespace, s.Name, sp.Port), rejected("spec.ports", errs))
				continue
			}
			for _, wi := range wls {
				for _, t := range b.resolveTarget(wi, s.Namespace+"/"+s.Name, b.objs.Inputs["Service/"+s.Namespace+"/"+s.Name], sp) {
					for _, r := range b.serviceRoutes(s, typ, id, sp, t) {
						b.addRoute(t, r)
					}
				}
			}
		}
	}
	sort.SliceStable(b.inv.Services, func(i, j int) bool { return b.inv.Services[i].ID < b.inv.Services[j].ID })
}

func lbAddresses(ing []corev1.LoadBalancerIngress) []string {
	var out []string
	for _, i := range ing {
		if i.Hostname != "" {
			out = append(out, i.Hostname)
		} else if i.IP != "" {
			out = append(out, i.IP)
		}
	}
	return out
}

func (b *builder) containerPort(t target) *workload.Port {
	return &b.inv.Workloads[t.w].Containers[t.c].Ports[t.p]
}

// clusterFront is the Service's cluster-internal front (its ClusterIP, or
// the pod IPs themselves for a headless Service).
func (b *builder) clusterFront(s *corev1.Service, typ, id string, sp corev1.ServicePort, t target, entry string) workload.Front {
	cp := b.containerPort(t)
	named := ""
	if t.named != "" {
		named = fmt.Sprintf(" (named %s)", t.named)
	}
	detail := fmt.Sprintf("Service %s/%s (%s) port %d → targetPort %d%s", s.Namespace, s.Name, typ, sp.Port, cp.ContainerPort, named)
	if s.Spec.ClusterIP == corev1.ClusterIPNone {
		detail += "; headless: clients connect to the pod IPs"
	}
	return workload.Front{
		Kind: "service", ID: id, ListenProto: cp.Protocol, ListenPort: int(sp.Port), TargetPort: cp.ContainerPort,
		Entry: entry, PreservesClient: true, Detail: detail,
	}
}

// serviceRoutes are the routes one Service port gives one container port,
// outermost first; each front's TargetPort is the next front's ListenPort
// (the container port for the last):
//
//   - every Service: [service (Entry cluster)];
//   - spec.externalIPs: [external_ip (Entry host, the service port on
//     every node) → service] — kube-proxy accepts traffic to an external
//     IP on every node, at the Service port (Kubernetes docs, "Service ›
//     External IPs": "Traffic that ingresses into the cluster with the
//     external IP (as destination IP), on the Service port, will be routed
//     to one of the Service endpoints"); whether the network routes those
//     addresses to a node is the nodes' cloud path;
//   - NodePort, and LoadBalancer unless node ports are not allocated
//     (allocateLoadBalancerNodePorts: false and no nodePort given;
//     Kubernetes docs, "Service › Load balancer NodePort allocation"):
//     [node_port (Entry host, the nodePort on every node) → service];
//   - LoadBalancer: [load_balancer (Entry load_balancer, status hostname or
//     IP, loadBalancerSourceRanges) → node_port → service], or
//     [load_balancer → service] when node ports are not allocated or the
//     AWS Load Balancer Controller targets pod IPs (nlb-target-type: ip).
//   - ExternalName Services forward nothing (a DNS CNAME; Kubernetes docs,
//     "Service › ExternalName"): the caller gives them no routes.
//
// externalTrafficPolicy (Kubernetes docs, "Create an External Load
// Balancer" / "Using Source IP"; it applies to node ports, load balancers
// and external IPs alike, "Virtual IPs and Service Proxies › External
// traffic policy"): Cluster — kube-proxy may forward to a pod on another
// node and SNATs, so the pod sees a node address (PreservesClient false);
// Local — only nodes running a selected pod accept, and the client
// address is kept.
func (b *builder) serviceRoutes(s *corev1.Service, typ, id string, sp corev1.ServicePort, t target) []workload.Route {
	cf := b.clusterFront(s, typ, id, sp, t, "cluster")
	routes := []workload.Route{{Fronts: []workload.Front{cf}}}
	inner := b.clusterFront(s, typ, id, sp, t, "front")
	local := s.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
	policy := "externalTrafficPolicy Cluster: kube-proxy SNATs, the pod sees a node address"
	if local {
		policy = "externalTrafficPolicy Local: the client address is preserved; only nodes running a selected pod accept"
	}
	if len(s.Spec.ExternalIPs) > 0 {
		routes = append(routes, workload.Route{Fronts: []workload.Front{{
			Kind: "external_ip", ID: id, ListenProto: inner.ListenProto, ListenPort: int(sp.Port), TargetPort: int(sp.Port),
			Entry: "host", PreservesClient: local,
			Detail: fmt.Sprintf("Service %s/%s (%s) externalIPs %s: kube-proxy on every node accepts traffic to those addresses at port %d (wherever the network routes them to a node); %s",
				s.Namespace, s.Name, typ, strings.Join(s.Spec.ExternalIPs, ", "), sp.Port, policy),
		}, inner}})
	}
	if s.Spec.Type != corev1.ServiceTypeNodePort && s.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return routes
	}
	lbNodePorts := s.Spec.AllocateLoadBalancerNodePorts == nil || *s.Spec.AllocateLoadBalancerNodePorts || sp.NodePort != 0
	np := "nodePort " + nodePortText(sp.NodePort)
	nodeFront := workload.Front{
		Kind: "node_port", ID: id, ListenProto: inner.ListenProto, ListenPort: int(sp.NodePort), TargetPort: int(sp.Port),
		Entry: "host", PreservesClient: local,
		Detail: fmt.Sprintf("Service %s/%s (%s) %s on every node → port %d; %s", s.Namespace, s.Name, typ, np, sp.Port, policy),
	}
	if s.Spec.Type == corev1.ServiceTypeNodePort || lbNodePorts {
		routes = append(routes, workload.Route{Fronts: []workload.Front{nodeFront, inner}})
	}
	if s.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return routes
	}
	viaNodes := lbNodePorts && s.Annotations[nlbTargetTypeAnnotation] != "ip"
	lbs := lbAddresses(s.Status.LoadBalancer.Ingress)
	if len(lbs) == 0 {
		lbs = []string{""}
	}
	ranges := "any source"
	if len(s.Spec.LoadBalancerSourceRanges) > 0 {
		ranges = "loadBalancerSourceRanges " + strings.Join(s.Spec.LoadBalancerSourceRanges, ", ")
	}
	internal := internalBy(s.Annotations, serviceInternalAnnotations)
	scheme := ""
	if internal != "" {
		scheme = "; internal load balancer (" + internal + ")"
	}
	for _, lb := range lbs {
		name := lb
		if name == "" {
			name = "not known (no status in the input)"
		}
		lf := workload.Front{
			Kind: "load_balancer", ID: id, ListenProto: inner.ListenProto, ListenPort: int(sp.Port),
			Entry: "load_balancer", LoadBalancer: lb, InternalBy: internal, SourceRanges: s.Spec.LoadBalancerSourceRanges, PreservesClient: local,
		}
		if viaNodes {
			lf.TargetPort = int(sp.NodePort)
			lf.Detail = fmt.Sprintf("Service %s/%s (LoadBalancer) port %d → targetPort %d%s; load balancer %s, %s%s; targets the node ports (%s); %s",
				s.Namespace, s.Name, sp.Port, inner.TargetPort, namedSuffix(t), name, ranges, scheme, np, policy)
			nf := nodeFront
			nf.Entry = "front"
			routes = append(routes, workload.Route{Fronts: []workload.Front{lf, nf, inner}})
		} else {
			lf.TargetPort = int(sp.Port)
			lf.PreservesClient = true
			lf.Detail = fmt.Sprintf("Service %s/%s (LoadBalancer) port %d → targetPort %d%s; load balancer %s, %s%s; targets pod IPs directly (no node port)",
				s.Namespace, s.Name, sp.Port, inner.TargetPort, namedSuffix(t), name, ranges, scheme)
			routes = append(routes, workload.Route{Fronts: []workload.Front{lf, inner}})
		}
	}
	return routes
}

// schemeAnnotation is an annotation whose value makes a load balancer
// internal.
type schemeAnnotation struct{ key, value string }

// serviceInternalAnnotations ask for an internal AWS load balancer for a
// Service: the AWS Load Balancer Controller's scheme annotation (its docs,
// "Service annotations › aws-load-balancer-scheme": "internal" or
// "internet-facing") and the in-tree cloud provider's legacy one
// (Kubernetes docs, "Service › Internal load balancer", AWS:
// service.beta.kubernetes.io/aws-load-balancer-internal: "true").
var serviceInternalAnnotations = []schemeAnnotation{
	{"service.beta.kubernetes.io/aws-load-balancer-scheme", "internal"},
	{"service.beta.kubernetes.io/aws-load-balancer-internal", "true"},
}

// ingressInternalAnnotations ask for an internal ALB for an Ingress (AWS
// Load Balancer Controller docs, "Ingress annotations › scheme").
var ingressInternalAnnotations = []schemeAnnotation{
	{"alb.ingress.kubernetes.io/scheme", "internal"},
}

// internalBy names the annotation that makes the load balancer internal,
// "" when none does.
func internalBy(ann map[string]string, list []schemeAnnotation) string {
	for _, a := range list {
		if v, ok := ann[a.key]; ok && strings.EqualFold(strings.TrimSpace(v), a.value) {
			return fmt.Sprintf("annotation %s: %q", a.key, v)
		}
	}
	return ""
}

func namedSuffix(t target) string {
	if t.named == "" {
		return ""
	}
	return fmt.Sprintf(" (named %s)", t.named)
}

func nodePortText(n int32) string {
	if n == 0 {
		return "allocated by the API server, not in the input"
	}
	return fmt.Sprint(n)
}

// addRoute appends a route to a container port unless an identical one is
// there (several Ingress paths to one backend give one route).
func (b *builder) addRoute(t target, r workload.Route) {
	p := b.containerPort(t)
	key := routeKey(r)
	for _, have := range p.Routes {
		if routeKey(have) == key {
			return
		}
	}
	p.Routes = append(p.Routes, r)
}

func routeKey(r workload.Route) string {
	var sb strings.Builder
	for _, f := range r.Fronts {
		fmt.Fprintf(&sb, "%s|%s|%d|%d|%s|%s;", f.Kind, f.ID, f.ListenPort, f.TargetPort, f.Entry, f.LoadBalancer)
	}
	return sb.String()
}

// ingresses adds every Ingress and routes each backend (rules and
// defaultBackend) through its Service to the selected container ports.
// The Ingress listens on 80, and on 443 when it has TLS; the ingress
// controller proxies (PreservesClient false: the pod sees the
// controller's address, the client's only in X-Forwarded-For).
func (b *builder) ingresses() {
	svcs := map[string]*corev1.Service{}
	for i := range b.objs.Services {
		s := &b.objs.Services[i]
		svcs[s.Namespace+"/"+s.Name] = s
	}
	for i := range b.objs.Ingresses {
		ing := &b.objs.Ingresses[i]
		id := b.id(ing.Namespace, "Ingress", ing.Name)
		input := b.objs.Inputs["Ingress/"+ing.Namespace+"/"+ing.Name]
		lbs := lbAddresses(ingressLB(ing.Status.LoadBalancer.Ingress))
		b.inv.Services = append(b.inv.Services, workload.Service{
			ID: id, Kind: "Ingress", Name: ing.Name, Namespace: ing.Namespace, LoadBalancer: lbs, Input: input,
		})
		class := ingressClass(ing)
		ports := []int{80}
		if len(ing.Spec.TLS) > 0 {
			ports = append(ports, 443)
		}
		for _, be := range ingressBackends(ing) {
			if be.backend.Service == nil {
				continue // a Resource backend (e.g. a bucket): not a workload
			}
			s := svcs[ing.Namespace+"/"+be.backend.Service.Name]
			if s == nil {
				b.gap(input, "resolve Ingress "+ing.Namespace+"/"+ing.Name+" backend",
					fmt.Sprintf("Service %s/%s is not in the input", ing.Namespace, be.backend.Service.Name))
				continue
			}
			sp, ok := servicePort(s, be.backend.Service.Port)
			if ok && len(servicePortErrors(sp)) > 0 {
				continue // the Service's gap says why
			}
			if !ok {
				b.gap(input, "resolve Ingress "+ing.Namespace+"/"+ing.Name+" backend",
					fmt.Sprintf("Service %s/%s has no port %s", s.Namespace, s.Name, backendPortText(be.backend.Service.Port)))
				continue
			}
			b.ingressRoutes(ing, id, class, lbs, ports, be.where, s, sp)
		}
	}
	sort.SliceStable(b.inv.Services, func(i, j int) bool { return b.inv.Services[i].ID < b.inv.Services[j].ID })
}

func ingressLB(in []networkingv1.IngressLoadBalancerIngress) []corev1.LoadBalancerIngress {
	out := make([]corev1.LoadBalancerIngress, 0, len(in))
	for _, i := range in {
		out = append(out, corev1.LoadBalancerIngress{IP: i.IP, Hostname: i.Hostname})
	}
	return out
}

// ingressClass is spec.ingressClassName or the older
// kubernetes.io/ingress.class annotation.
func ingressClass(ing *networkingv1.Ingress) string {
	if ing.Spec.IngressClassName != nil {
		return *ing.Spec.IngressClassName
	}
	return ing.Annotations["kubernetes.io/ingress.class"]
}

type ingressBackend struct {
	backend networkingv1.IngressBackend
	where   string // "host h path p" or "default backend"
}

func ingressBackends(ing *networkingv1.Ingress) []ingressBackend {
	var out []ingressBackend
	if ing.Spec.DefaultBackend != nil {
		out = append(out, ingressBackend{*ing.Spec.DefaultBackend, "default backend"})
	}
	for _, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		host := r.Host
		if host == "" {
			host = "*"
		}
		for _, p := range r.HTTP.Paths {
			out = append(out, ingressBackend{p.Backend, fmt.Sprintf("host %s path %s", host, p.Path)})
		}
	}
	return out
}

// servicePort finds a Service port by number or name.
func servicePort(s *corev1.Service, p networkingv1.ServiceBackendPort) (corev1.ServicePort, bool) {
	for _, sp := range s.Spec.Ports {
		if (p.Name != "" && sp.Name == p.Name) || (p.Name == "" && sp.Port == p.Number) {
			return sp, true
		}
	}
	return corev1.ServicePort{}, false
}

func backendPortText(p networkingv1.ServiceBackendPort) string {
	if p.Name != "" {
		return fmt.Sprintf("named %q", p.Name)
	}
	return fmt.Sprint(p.Number)
}

func (b *builder) ingressRoutes(ing *networkingv1.Ingress, id, class string, lbs []string, ports []int, where string, s *corev1.Service, sp corev1.ServicePort) {
	typ := string(s.Spec.Type)
	if typ == "" {
		typ = string(corev1.ServiceTypeClusterIP)
	}
	svcID := b.id(s.Namespace, "Service", s.Name)
	if len(lbs) == 0 {
		lbs = []string{""}
	}
	if class == "" {
		class = "default class"
	}
	internal := internalBy(ing.Annotations, ingressInternalAnnotations)
	scheme := ""
	if internal != "" {
		scheme = "; internal load balancer (" + internal + ")"
	}
	for _, wi := range b.selectWorkloads(s.Namespace, s.Spec.Selector) {
		for _, t := range b.resolveTarget(wi, s.Namespace+"/"+s.Name, b.objs.Inputs["Service/"+s.Namespace+"/"+s.Name], sp) {
			inner := b.clusterFront(s, typ, svcID, sp, t, "front")
			for _, lb := range lbs {
				name := lb
				if name == "" {
					name = "not known (no status in the input)"
				}
				for _, port := range ports {
					f := workload.Front{
						Kind: "ingress", ID: id, ListenProto: "tcp", ListenPort: port, TargetPort: int(sp.Port),
						Entry: "load_balancer", LoadBalancer: lb, InternalBy: internal,
						Detail: fmt.Sprintf("Ingress %s/%s (IngressClass %s) %s on port %d → Service %s port %d; load balancer %s%s",
							ing.Namespace, ing.Name, class, where, port, s.Name, sp.Port, name, scheme),
					}
					b.addRoute(t, workload.Route{Fronts: []workload.Front{f, inner}})
				}
			}
		}
	}
}
