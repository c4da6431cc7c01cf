// Package kubegen generates a synthetic Kubernetes cluster on top of a
// generated AWS estate (bench/exposuregen/estate) for the inventory
// benchmark, as the typed objects a live cluster serves (kube.Objects):
// Nodes whose spec.providerID names the estate's EC2 instances,
// Deployments with their ReplicaSets and Pods (status: pod IP, node,
// running digest), Services of every type (LoadBalancer Services carry
// the estate's load balancers' DNS names as status hostnames; some
// target pod IPs, some keep the client with externalTrafficPolicy Local,
// some have loadBalancerSourceRanges) and NetworkPolicies with ipBlocks,
// excepts, selectors and named and ranged ports. The benchmark runs
// kube.Build on them, so it measures the model building, the join and the
// exposure composition. Generation is deterministic.
package kubegen

import (
	"fmt"
	"math/rand/v2"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/workload/kube"
)

// Shape is the size of a generated cluster.
type Shape struct {
	Pods, Services, Policies, Namespaces int
	// Nodes caps the nodes (the estate's first instances); 0 = 500.
	Nodes int
}

// Target is the benchmark shape: 10k pods, 2k Services, 1k
// NetworkPolicies (in 50 namespaces, on 500 nodes).
func Target() Shape {
	return Shape{Pods: 10000, Services: 2000, Policies: 1000, Namespaces: 50, Nodes: 500}
}

// Objects builds the cluster; nodes and load balancers come from reg.
// Each Service i selects app i, run by Deployment i; the pods are spread
// round-robin over the Deployments (Pods/Services each).
func Objects(reg *snapshot.Region, sh Shape, seed uint64) *kube.Objects {
	r := rand.New(rand.NewPCG(seed, 2))
	o := &kube.Objects{Cluster: "bench", Live: true, Enforcement: "enforced", Plugin: "calico",
		EnforcementEvidence: "DaemonSet kube-system/calico-node", Inputs: map[string]string{}}
	ns := func(i int) string { return fmt.Sprintf("ns%02d", i%sh.Namespaces) }
	nodes := sh.Nodes
	if nodes == 0 {
		nodes = 500
	}
	nodes = min(nodes, len(reg.Instances))
	for n := 0; n < nodes; n++ {
		in := reg.Instances[n]
		o.Nodes = append(o.Nodes, corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: "node-" + in.InstanceId},
			Spec:       corev1.NodeSpec{ProviderID: "aws:///eu-west-1a/" + in.InstanceId},
			Status:     corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: in.PrivateIpAddress}}},
		})
	}
	var lbs []string
	for _, lb := range reg.LoadBalancers {
		// The generated estate's load balancers have no DNS names: the
		// status then carries the ARN, which the join resolves as well.
		name := lb.DNSName
		if name == "" {
			name = lb.LoadBalancerArn
		}
		lbs = append(lbs, name)
	}
	ctl := true
	for i := 0; i < sh.Services; i++ {
		app := fmt.Sprintf("app%d", i)
		labels := map[string]string{"app": app, "tier": []string{"web", "api", "db"}[i%3]}
		spec := podSpec(i)
		o.Deployments = append(o.Deployments, appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: app, Namespace: ns(i)},
			Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}}})
		o.ReplicaSets = append(o.ReplicaSets, appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: app + "-rs", Namespace: ns(i),
				OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: app, Controller: &ctl}}},
			Spec: appsv1.ReplicaSetSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}}})
		o.Services = append(o.Services, service(r, i, ns(i), app, lbs))
	}
	for j := 0; j < sh.Pods; j++ {
		i := j % sh.Services
		app := fmt.Sprintf("app%d", i)
		spec := podSpec(i)
		if nodes > 0 {
			spec.NodeName = o.Nodes[r.IntN(nodes)].Name
		}
		ip := fmt.Sprintf("100.64.%d.%d", j>>8&255, j&255)
		st := corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}}
		for _, c := range spec.Containers {
			id := "registry.example/" + c.Image
			if j%3 == 0 {
				id = fmt.Sprintf("registry.example/app%d@sha256:%064x", i%300, i%300)
			}
			st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, ImageID: id})
		}
		o.Pods = append(o.Pods, corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-rs-%d", app, j), Namespace: ns(i),
				Labels:          map[string]string{"app": app, "tier": []string{"web", "api", "db"}[i%3]},
				OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: app + "-rs", Controller: &ctl}}},
			Spec: spec, Status: st,
		})
	}
	for k := 0; k < sh.Policies; k++ {
		o.NetworkPolicies = append(o.NetworkPolicies, policy(r, k, ns(k), sh.Services))
	}
	return o
}

// podSpec: container app (http 8080, metrics 9090), a sidecar (metrics)
// in every 4th app, privileged every 97th.
func podSpec(i int) corev1.PodSpec {
	priv := i%97 == 0
	app := corev1.Container{Name: "app", Image: fmt.Sprintf("app%d:1.%d", i%300, i%7),
		Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {Name: "metrics", ContainerPort: 9090}},
		SecurityContext: &corev1.SecurityContext{Privileged: &priv}}
	if i%2 == 1 {
		uid := int64(1000)
		app.SecurityContext.RunAsUser = &uid
	}
	s := corev1.PodSpec{Containers: []corev1.Container{app}}
	if i%4 == 0 {
		s.Containers = append(s.Containers, corev1.Container{Name: "sidecar", Image: "envoy:1.31",
			Ports: []corev1.ContainerPort{{Name: "admin", ContainerPort: 9901}}})
	}
	return s
}

// service i: ClusterIP, NodePort (6, 7, 8 of 10) or LoadBalancer (9 of
// 10; most with a status hostname, a third with source ranges, a quarter
// in ip mode), half with externalTrafficPolicy Local.
func service(r *rand.Rand, i int, ns, app string, lbs []string) corev1.Service {
	s := corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "svc" + fmt.Sprint(i), Namespace: ns, Annotations: map[string]string{}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: map[string]string{"app": app},
			Ports: []corev1.ServicePort{{Name: "http", Port: []int32{443, 80, 8443}[i/10%3], TargetPort: intstr.FromString("http")}}}}
	np := int32(30000 + i%2700)
	switch i % 10 {
	case 6, 7, 8:
		s.Spec.Type = corev1.ServiceTypeNodePort
		s.Spec.Ports[0].NodePort = np
	case 9:
		s.Spec.Type = corev1.ServiceTypeLoadBalancer
		s.Spec.Ports[0].NodePort = np
		if len(lbs) > 0 && r.IntN(10) > 0 {
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: lbs[r.IntN(len(lbs))]}}
		}
		if r.IntN(3) == 0 {
			s.Spec.LoadBalancerSourceRanges = []string{"81.2.69.0/24", fmt.Sprintf("%d.0.0.0/8", 20+r.IntN(180))}
		}
		if r.IntN(4) == 0 {
			s.Annotations["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"] = "ip"
		}
	}
	if s.Spec.Type != corev1.ServiceTypeClusterIP && r.IntN(2) == 0 {
		s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	}
	return s
}

func policy(r *rand.Rand, k int, ns string, services int) networkingv1.NetworkPolicy {
	tcp := corev1.ProtocolTCP
	port := func(p intstr.IntOrString) *intstr.IntOrString { return &p }
	np := networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("np%d", k), Namespace: ns},
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}}
	sel := map[string]string{}
	switch k % 4 {
	case 0: // default deny for a tier
		sel["tier"] = "db"
	case 1:
		sel["app"] = fmt.Sprintf("app%d", r.IntN(services))
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From:  []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8", "192.168.0.0/16"}}}},
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: port(intstr.FromString("http"))}}}}
	case 2:
		sel["tier"] = "api"
		end := int32(8100)
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "frontend"}}},
				{IPBlock: &networkingv1.IPBlock{CIDR: "81.2.69.0/24"}}},
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: port(intstr.FromInt32(8000)), EndPort: &end}}}}
	default:
		sel["app"] = fmt.Sprintf("app%d", r.IntN(services))
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: port(intstr.FromInt32(9090))}}}}
	}
	np.Spec.PodSelector = metav1.LabelSelector{MatchLabels: sel}
	return np
}
