package exposure

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/workload"
)

// policyEstate is the shape that made namespace-wide NetworkPolicies
// superlinear: n Deployments in one namespace, each with its own
// LoadBalancer Service (cluster, node port and load balancer routes), and
// np policies with podSelector {} (each selects every pod), each admitting
// an ipBlock with an except on the container port.
func policyEstate(n, np int) *workload.Inventory {
	inv := &workload.Inventory{Schema: workload.Schema,
		Clusters: []workload.Cluster{{Name: "", PolicyEnforcement: "enforced", Plugin: "calico"}}}
	for d := 0; d < n; d++ {
		id := fmt.Sprintf("k8s:/shop/Deployment/app-%d", d)
		svc := fmt.Sprintf("k8s:/shop/Service/app-%d", d)
		inner := workload.Front{Kind: "service", ID: svc, ListenProto: "tcp", ListenPort: 80, TargetPort: 8080, Entry: "front", PreservesClient: true}
		cluster := inner
		cluster.Entry = "cluster"
		node := workload.Front{Kind: "node_port", ID: svc, ListenProto: "tcp", ListenPort: 30000 + d%2000, TargetPort: 80, Entry: "host"}
		nodeF := node
		nodeF.Entry = "front"
		lb := workload.Front{Kind: "load_balancer", ID: svc, ListenProto: "tcp", ListenPort: 80, TargetPort: node.ListenPort, Entry: "load_balancer"}
		inv.Workloads = append(inv.Workloads, workload.Workload{
			ID: id, Kind: "Deployment", Name: fmt.Sprintf("app-%d", d), Namespace: "shop", Source: workload.SourceKubernetes,
			Labels: map[string]string{"app": fmt.Sprintf("app-%d", d)},
			Containers: []workload.Container{{Name: "main", Ports: []workload.Port{{Name: "http", ContainerPort: 8080, Protocol: "tcp",
				Routes: []workload.Route{{Fronts: []workload.Front{cluster}}, {Fronts: []workload.Front{node, inner}}, {Fronts: []workload.Front{lb, nodeF, inner}}}}}}},
		})
	}
	for p := 0; p < np; p++ {
		inv.Policies = append(inv.Policies, workload.Policy{
			ID: fmt.Sprintf("k8s:/shop/NetworkPolicy/allow-%d", p), Namespace: "shop", Name: fmt.Sprintf("allow-%d", p),
			PodSelector: map[string]string{},
			Rules: []workload.PolicyRule{{
				From:  []workload.Peer{{CIDR: fmt.Sprintf("%d.0.0.0/8", 11+p%200), Except: []string{fmt.Sprintf("%d.1.0.0/16", 11+p%200)}}, {Selector: "podSelector{}"}},
				Ports: []workload.PolicyPort{{Protocol: "tcp", Port: 8080}},
			}},
		})
	}
	return inv
}

// BenchmarkNamespacePolicies measures Containers on 3,000 Deployments with
// 0 and 300 namespace-wide policies: with the admitted set compiled once per
// (policy set, port), 300 policies cost a small constant factor over none.
func BenchmarkNamespacePolicies(b *testing.B) {
	for _, np := range []int{0, 300, 600} {
		b.Run(fmt.Sprintf("policies=%d", np), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				inv := policyEstate(3000, np)
				b.StartTimer()
				Containers(inv, nil)
			}
		})
	}
}

// TestPolicyCacheNamedPorts checks that the compiled admission is not
// shared between pods whose named ports resolve differently: one policy
// admits 81.2.69.0/24 on the port named "http", which is 8080 in one pod
// and 9090 in the other; each pod's 8080 gets its own answer.
func TestPolicyCacheNamedPorts(t *testing.T) {
	inv := &workload.Inventory{Clusters: []workload.Cluster{{PolicyEnforcement: "enforced", Plugin: "calico"}}}
	for i, named := range []int{8080, 9090} {
		ports := []workload.Port{{ContainerPort: 8080, Protocol: "tcp", Routes: []workload.Route{{Fronts: []workload.Front{{
			Kind: "host_port", ID: "hp", ListenProto: "tcp", ListenPort: 443, TargetPort: 8080, Entry: "host", PreservesClient: true}}}}}}
		if named == 8080 {
			ports[0].Name = "http"
		} else {
			ports = append(ports, workload.Port{Name: "http", ContainerPort: 9090, Protocol: "tcp"})
		}
		inv.Workloads = append(inv.Workloads, workload.Workload{ID: fmt.Sprintf("k8s:/shop/Pod/p%d", i), Namespace: "shop", Source: workload.SourceKubernetes,
			Host: &workload.Host{Name: "n", InstanceID: "i-1"}, Containers: []workload.Container{{Name: "c", Ports: ports}}})
	}
	inv.Policies = []workload.Policy{{ID: "k8s:/shop/NetworkPolicy/http", Namespace: "shop", PodSelector: map[string]string{},
		Rules: []workload.PolicyRule{{From: []workload.Peer{{CIDR: "81.2.69.0/24"}}, Ports: []workload.PolicyPort{{Protocol: "tcp", Name: "http"}}}}}}
	Containers(inv, NewCloudIndex(&Report{Results: hostRows("i-1")}, nil))
	a, b := inv.Workloads[0].Containers[0].Exposure[1], inv.Workloads[1].Containers[0].Exposure[1]
	if a.Verdict != Exposed || fmt.Sprint(a.Sources) != "[81.2.69.0/24]" {
		t.Errorf("pod whose 8080 is named http: %+v", a)
	}
	if b.Verdict != NotExposed || b.BlockedBy == nil || b.BlockedBy.Kind != "network_policy" {
		t.Errorf("pod whose http is 9090, at 8080: %+v", b)
	}
}

// TestExternalIPAndInternalLB: a Service's external IP with
// externalTrafficPolicy Cluster is reached through any node at the service
// port (here the node admits tcp/443 from the internet: exposed); an
// internal-scheme load balancer is not_exposed without cloud data on it,
// and the cloud's result wins when the snapshot names it.
func TestExternalIPAndInternalLB(t *testing.T) {
	rep := &Report{Results: hostRows("i-1")}
	inv := pod(
		workload.Route{Fronts: []workload.Front{{Kind: "external_ip", ID: "k8s:prod/shop/Service/ext", ListenProto: "tcp", ListenPort: 443, TargetPort: 443, Entry: "host"},
			{Kind: "service", ID: "k8s:prod/shop/Service/ext", ListenProto: "tcp", ListenPort: 443, TargetPort: 8080, Entry: "front"}}},
		workload.Route{Fronts: []workload.Front{{Kind: "load_balancer", ID: "int-unknown", ListenProto: "tcp", ListenPort: 443, Entry: "load_balancer",
			InternalBy: `annotation service.beta.kubernetes.io/aws-load-balancer-scheme: "internal"`}}},
		workload.Route{Fronts: []workload.Front{{Kind: "load_balancer", ID: "int-known", ListenProto: "tcp", ListenPort: 443, Entry: "load_balancer",
			LoadBalancer: "arn:lb", InternalBy: `annotation service.beta.kubernetes.io/aws-load-balancer-scheme: "internal"`}}},
	)
	inv.Workloads[0].Host = &workload.Host{Name: "node-9"} // not the node that admits: any node does
	inv.Clusters = []workload.Cluster{{Name: "prod", PolicyEnforcement: "unknown", Nodes: []workload.Host{{Name: "node-1", InstanceID: "i-1"}}}}
	v := verdicts(inv, rep, nil)
	if v[1].Verdict != Exposed || v[1].Width != Wide {
		t.Errorf("external IP through any node: %+v", v[1])
	}
	if v[2].Verdict != NotExposed || !strings.Contains(v[2].BlockedBy.Detail, "internal load balancer") {
		t.Errorf("internal LB, no cloud data: %+v", v[2])
	}
	if v[3].Verdict != Exposed {
		t.Errorf("internal by annotation, but the cloud's result is exposed: %+v", v[3])
	}
}
