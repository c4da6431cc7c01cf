// Package kubegen generates a synthetic Kubernetes inventory on top of a
// generated AWS estate (bench/exposuregen/estate) for the inventory
// benchmark: pods on nodes that are the estate's EC2 instances, Services
// of every type (LoadBalancer Services front the estate's load balancers),
// and NetworkPolicies with ipBlocks, excepts, selectors and named and
// ranged ports. It builds workload.Inventory directly, the shape
// internal/workload/kube produces, so the benchmark measures the join and
// exposure composition, not YAML parsing. Generation is deterministic.
package kubegen

import (
	"fmt"
	"math/rand/v2"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/workload"
)

// Shape is the size of a generated cluster.
type Shape struct {
	Pods, Services, Policies, Namespaces int
}

// Target is the benchmark shape: 10k pods, 2k Services, 1k
// NetworkPolicies.
func Target() Shape { return Shape{Pods: 10000, Services: 2000, Policies: 1000, Namespaces: 50} }

// Generate builds the inventory; nodes and load balancers come from reg.
func Generate(reg *snapshot.Region, sh Shape, seed uint64) *workload.Inventory {
	r := rand.New(rand.NewPCG(seed, 2))
	inv := &workload.Inventory{Schema: workload.Schema, Gaps: []workload.Gap{},
		Clusters: []workload.Cluster{{Name: "bench", PolicyEnforcement: "enforced", Plugin: "calico"}}}
	ns := func(i int) string { return fmt.Sprintf("ns%02d", i%sh.Namespaces) }
	var lbs []string
	for _, lb := range reg.LoadBalancers {
		lbs = append(lbs, lb.LoadBalancerArn)
	}
	type svc struct {
		typ      string
		nodePort int
		lb       string
		ranges   []string
		local    bool
	}
	svcs := make([]svc, sh.Services)
	for i := range svcs {
		s := svc{typ: "ClusterIP"}
		switch i % 10 {
		case 6, 7, 8:
			s.typ, s.nodePort = "NodePort", 30000+i%2700
		case 9:
			s.typ, s.nodePort = "LoadBalancer", 30000+i%2700
			if len(lbs) > 0 && r.IntN(10) > 0 {
				s.lb = lbs[r.IntN(len(lbs))]
			}
			if r.IntN(3) == 0 {
				s.ranges = []string{"81.2.69.0/24", fmt.Sprintf("%d.0.0.0/8", 20+r.IntN(180))}
			}
		}
		s.local = r.IntN(2) == 0
		svcs[i] = s
		inv.Services = append(inv.Services, workload.Service{ID: fmt.Sprintf("k8s:bench/%s/Service/svc%d", ns(i), i), Kind: "Service",
			Name: fmt.Sprintf("svc%d", i), Namespace: ns(i), Type: s.typ, Selector: map[string]string{"app": fmt.Sprintf("app%d", i)}})
	}
	for j := 0; j < sh.Pods; j++ {
		i := j % sh.Services
		s := svcs[i]
		w := workload.Workload{ID: fmt.Sprintf("k8s:bench/%s/Pod/pod%d", ns(i), j), Kind: "Pod", Name: fmt.Sprintf("pod%d", j),
			Namespace: ns(i), Source: workload.SourceKubernetes, NetworkMode: "pod",
			Labels:    map[string]string{"app": fmt.Sprintf("app%d", i), "tier": []string{"web", "api", "db"}[j%3]},
			Addresses: []string{fmt.Sprintf("100.64.%d.%d", j>>8&255, j&255)}}
		if len(reg.Instances) > 0 {
			in := reg.Instances[r.IntN(len(reg.Instances))]
			w.Host = &workload.Host{Name: "node-" + in.InstanceId, InstanceID: in.InstanceId, InstanceFrom: "providerID",
				Addresses: []string{in.PrivateIpAddress}}
		}
		w.Containers = []workload.Container{container("app", j, true, s.typ, s.nodePort, s.lb, s.ranges, s.local, w.ID)}
		if j%4 == 0 {
			w.Containers = append(w.Containers, container("sidecar", j, false, "", 0, "", nil, false, w.ID))
		}
		inv.Workloads = append(inv.Workloads, w)
	}
	for k := 0; k < sh.Policies; k++ {
		inv.Policies = append(inv.Policies, policy(r, k, ns(k), sh.Services))
	}
	return inv
}

func container(name string, j int, serving bool, typ string, nodePort int, lb string, ranges []string, local bool, wid string) workload.Container {
	c := workload.Container{Name: name, Image: workload.Image{Ref: fmt.Sprintf("registry.example/app%d:1.%d", j%300, j%7), Confidence: "tag"},
		User: []string{"", "1000"}[j%2], Privileged: j%97 == 0}
	if j%3 == 0 {
		c.Image.Digest, c.Image.Confidence = fmt.Sprintf("sha256:%064x", j%300), "digest"
	}
	metrics := workload.Port{Name: "metrics", ContainerPort: 9090, Protocol: "tcp", Declared: "containerPort"}
	if !serving {
		c.Ports = []workload.Port{metrics}
		return c
	}
	http := workload.Port{Name: "http", ContainerPort: 8080, Protocol: "tcp", Declared: "containerPort"}
	svcID := fmt.Sprintf("%s/Service", wid)
	cluster := workload.Front{Kind: "service", ID: svcID, ListenProto: "tcp", ListenPort: 80, TargetPort: 8080, Entry: "cluster",
		PreservesClient: true, Detail: "ClusterIP Service port 80 → targetPort http (8080)"}
	http.Routes = append(http.Routes, workload.Route{Fronts: []workload.Front{cluster}})
	if typ == "NodePort" || typ == "LoadBalancer" {
		np := workload.Front{Kind: "node_port", ID: fmt.Sprintf("%s:NodePort/%d", svcID, nodePort), ListenProto: "tcp", ListenPort: nodePort,
			TargetPort: 8080, Entry: "host", PreservesClient: local,
			Detail: fmt.Sprintf("NodePort %d on every node → 8080 (externalTrafficPolicy %s)", nodePort, map[bool]string{true: "Local", false: "Cluster"}[local])}
		http.Routes = append(http.Routes, workload.Route{Fronts: []workload.Front{np}})
		if typ == "LoadBalancer" {
			lbf := workload.Front{Kind: "load_balancer", ID: svcID + ":LoadBalancer", ListenProto: "tcp", ListenPort: 443, TargetPort: nodePort,
				Entry: "load_balancer", LoadBalancer: lb, SourceRanges: ranges, PreservesClient: local,
				Detail: "Service type LoadBalancer: listener 443 → NodePort"}
			inner := np
			inner.Entry = "front"
			http.Routes = append(http.Routes, workload.Route{Fronts: []workload.Front{lbf, inner}})
		}
	}
	c.Ports = []workload.Port{http, metrics}
	return c
}

func policy(r *rand.Rand, k int, ns string, services int) workload.Policy {
	p := workload.Policy{ID: fmt.Sprintf("k8s:bench/%s/NetworkPolicy/np%d", ns, k), Namespace: ns, Name: fmt.Sprintf("np%d", k),
		PodSelector: map[string]string{}}
	switch k % 4 {
	case 0: // default deny for a tier
		p.PodSelector["tier"] = "db"
	case 1:
		p.PodSelector["app"] = fmt.Sprintf("app%d", r.IntN(services))
		p.Rules = []workload.PolicyRule{{From: []workload.Peer{{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8", "192.168.0.0/16"}}},
			Ports: []workload.PolicyPort{{Protocol: "TCP", Name: "http"}}}}
	case 2:
		p.PodSelector["tier"] = "api"
		p.Rules = []workload.PolicyRule{{From: []workload.Peer{{Selector: "app=frontend"}, {CIDR: "81.2.69.0/24"}},
			Ports: []workload.PolicyPort{{Protocol: "TCP", Port: 8000, EndPort: 8100}}}}
	default:
		p.PodSelector["app"] = fmt.Sprintf("app%d", r.IntN(services))
		p.Rules = []workload.PolicyRule{{Ports: []workload.PolicyPort{{Protocol: "TCP", Port: 9090}}}}
	}
	if p.Rules == nil {
		p.Rules = []workload.PolicyRule{}
	}
	return p
}
