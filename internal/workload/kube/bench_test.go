package kube

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// generated is a live-cluster-shaped object set: 2,000 Deployments in 50
// namespaces, each with a ReplicaSet and 5 Pods (10,000 Pods) spread over
// 200 Nodes; 2,000 Services (one per Deployment; every 5th NodePort,
// every 10th LoadBalancer, targetPort by name); 1,000 NetworkPolicies.
func generated() *Objects {
	o := &Objects{Cluster: "bench", Live: true, Inputs: map[string]string{}}
	t := true
	for n := 0; n < 200; n++ {
		o.Nodes = append(o.Nodes, corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%d", n)},
			Spec:       corev1.NodeSpec{ProviderID: fmt.Sprintf("aws:///eu-west-1a/i-%017x", n)},
			Status:     corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("10.0.%d.%d", n/250, n%250)}}},
		})
	}
	for d := 0; d < 2000; d++ {
		ns := fmt.Sprintf("ns-%d", d%50)
		name := fmt.Sprintf("app-%d", d)
		labels := map[string]string{"app": name, "tier": "web"}
		spec := corev1.PodSpec{Containers: []corev1.Container{{
			Name: "main", Image: "registry.example/" + name + ":1",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {Name: "metrics", ContainerPort: 9090}},
		}, {Name: "sidecar", Image: "envoy:1", Ports: []corev1.ContainerPort{{Name: "admin", ContainerPort: 9901}}}}}
		o.Deployments = append(o.Deployments, appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec:       appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}},
		})
		rs := name + "-rs"
		o.ReplicaSets = append(o.ReplicaSets, appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: rs, Namespace: ns, OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: name, Controller: &t}}},
			Spec:       appsv1.ReplicaSetSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}},
		})
		for p := 0; p < 5; p++ {
			ps := spec
			ps.NodeName = fmt.Sprintf("node-%d", (d*5+p)%200)
			o.Pods = append(o.Pods, corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", rs, p), Namespace: ns, Labels: labels,
					OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: rs, Controller: &t}}},
				Spec: ps,
				Status: corev1.PodStatus{PodIP: fmt.Sprintf("10.1.%d.%d", (d*5+p)/250, (d*5+p)%250),
					ContainerStatuses: []corev1.ContainerStatus{{Name: "main", ImageID: "registry.example/" + name + "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}}},
			})
		}
		typ := corev1.ServiceTypeClusterIP
		switch {
		case d%10 == 0:
			typ = corev1.ServiceTypeLoadBalancer
		case d%5 == 0:
			typ = corev1.ServiceTypeNodePort
		}
		o.Services = append(o.Services, corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: corev1.ServiceSpec{Type: typ, Selector: map[string]string{"app": name},
				Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http"), NodePort: int32(30000 + d%2000)}}},
		})
		if d%2 == 0 {
			tcp := corev1.ProtocolTCP
			port := intstr.FromInt32(8080)
			o.NetworkPolicies = append(o.NetworkPolicies, networkingv1.NetworkPolicy{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
				Spec: networkingv1.NetworkPolicySpec{
					PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
					Ingress: []networkingv1.NetworkPolicyIngressRule{{
						From:  []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.9.0.0/16"}}}, {PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "web"}}}},
						Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &port}},
					}},
				},
			})
		}
	}
	return o
}

// BenchmarkBuild: go test -run XXX -bench Build -benchmem ./internal/workload/kube/
func BenchmarkBuild(b *testing.B) {
	o := generated()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inv := Build(o)
		if len(inv.Workloads) != 12_000 || len(inv.Services) != 2000 || len(inv.Policies) != 1000 {
			b.Fatalf("%d workloads, %d services, %d policies", len(inv.Workloads), len(inv.Services), len(inv.Policies))
		}
	}
}

// BenchmarkLoadManifests reads the generated set written as one
// multi-document YAML file (10,000 Pods, 2,000 Deployments, 2,000
// ReplicaSets, 2,000 Services, 1,000 NetworkPolicies, 200 Nodes).
func BenchmarkLoadManifests(b *testing.B) {
	o := generated()
	var buf bytes.Buffer
	write := func(apiVersion, kind string, obj any) {
		y, err := yaml.Marshal(obj)
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(&buf, "---\napiVersion: %s\nkind: %s\n%s", apiVersion, kind, y)
	}
	for i := range o.Pods {
		write("v1", "Pod", &o.Pods[i])
	}
	for i := range o.Deployments {
		write("apps/v1", "Deployment", &o.Deployments[i])
		write("apps/v1", "ReplicaSet", &o.ReplicaSets[i])
		write("v1", "Service", &o.Services[i])
	}
	for i := range o.NetworkPolicies {
		write("networking.k8s.io/v1", "NetworkPolicy", &o.NetworkPolicies[i])
	}
	for i := range o.Nodes {
		write("v1", "Node", &o.Nodes[i])
	}
	p := filepath.Join(b.TempDir(), "all.yaml")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		objs, err := LoadManifests(context.Background(), []string{p}, LoadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(objs.Pods) != 10_000 || len(objs.Gaps) != 0 {
			b.Fatalf("%d pods, gaps %v", len(objs.Pods), objs.Gaps[:min(3, len(objs.Gaps))])
		}
	}
}
