package exposure

import (
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/exposure/netset"
	"github.com/sightline-sec/sightline/internal/workload"
)

// hostRows are the direct results of one instance: tcp/443 open to the
// internet, tcp/30080 to 81.2.69.0/24, everything else blocked.
func hostRows(inst string) []Result {
	blocked := &Hop{Kind: "security_group", ID: "sg-1", Detail: "no rule"}
	open := netset.Internet
	narrow := netset.MustParse("81.2.69.0/24")
	return []Result{
		{Resource: inst, Protocol: "tcp", FromPort: 0, ToPort: 442, Verdict: NotExposed, BlockedBy: blocked},
		{Resource: inst, Protocol: "tcp", FromPort: 443, ToPort: 443, Verdict: Exposed, SourceSet: open, Sources: open.Compact(netset.NonPublic), Path: []Hop{{Kind: "security_group", ID: "sg-1"}}},
		{Resource: inst, Protocol: "tcp", FromPort: 444, ToPort: 30079, Verdict: NotExposed, BlockedBy: blocked},
		{Resource: inst, Protocol: "tcp", FromPort: 30080, ToPort: 30080, Verdict: Exposed, SourceSet: narrow, Sources: []string{"81.2.69.0/24"}},
		{Resource: inst, Protocol: "tcp", FromPort: 30081, ToPort: 65535, Verdict: NotExposed, BlockedBy: blocked},
		{Resource: "arn:lb", Protocol: "tcp", FromPort: 443, ToPort: 443, Verdict: Exposed, SourceSet: open, Sources: open.Compact(netset.NonPublic)},
	}
}

func pod(routes ...workload.Route) *workload.Inventory {
	return &workload.Inventory{Workloads: []workload.Workload{{
		ID: "k8s:prod/shop/Pod/web", Kind: "Pod", Name: "web", Namespace: "shop", Source: workload.SourceKubernetes,
		Labels: map[string]string{"app": "web"}, Host: &workload.Host{Name: "node-1", InstanceID: "i-1"},
		Containers: []workload.Container{{Name: "web", Ports: []workload.Port{{Name: "http", ContainerPort: 8080, Protocol: "tcp", Routes: routes}}}},
	}}}
}

func nodePort(preserve bool) workload.Route {
	return workload.Route{Fronts: []workload.Front{{Kind: "node_port", ID: "shop/Service/web:30080", ListenProto: "tcp", ListenPort: 30080,
		TargetPort: 8080, Entry: "host", PreservesClient: preserve, Detail: "NodePort 30080"}}}
}

func verdicts(inv *workload.Inventory, rep *Report, aliases map[string]string) []workload.Verdict {
	Containers(inv, NewCloudIndex(rep, aliases))
	return inv.Workloads[0].Containers[0].Exposure
}

func TestContainerFronts(t *testing.T) {
	rep := &Report{Results: hostRows("i-1")}
	lbRoute := workload.Route{Fronts: []workload.Front{
		{Kind: "load_balancer", ID: "shop/Service/web", ListenProto: "tcp", ListenPort: 443, Entry: "load_balancer",
			LoadBalancer: "web-123.elb.eu-west-1.amazonaws.com", SourceRanges: []string{"81.2.69.0/24", "10.0.0.0/8"}, PreservesClient: true},
		{Kind: "node_port", ID: "np", ListenProto: "tcp", ListenPort: 30080, Entry: "front", PreservesClient: true}}}
	v := verdicts(pod(
		nodePort(true),
		workload.Route{Fronts: []workload.Front{{Kind: "host_port", ID: "lo", ListenProto: "tcp", ListenPort: 443, Entry: "loopback"}}},
		workload.Route{Fronts: []workload.Front{{Kind: "service", ID: "svc", ListenProto: "tcp", ListenPort: 80, Entry: "cluster"}}},
		lbRoute,
		workload.Route{Fronts: []workload.Front{{Kind: "load_balancer", ID: "nolb", ListenProto: "tcp", ListenPort: 443, Entry: "load_balancer"}}},
	), rep, map[string]string{"web-123.elb.eu-west-1.amazonaws.com": "arn:lb"})
	if len(v) != 6 {
		t.Fatalf("%d verdicts: %+v", len(v), v)
	}
	if v[0].Verdict != NotExposed || v[0].BlockedBy.Kind != "workload" || v[0].Via != "" {
		t.Errorf("direct: %+v", v[0])
	}
	if v[1].Verdict != Exposed || v[1].Width != Narrow || strings.Join(v[1].Sources, ",") != "81.2.69.0/24" {
		t.Errorf("NodePort through the node's security group: %+v", v[1])
	}
	if v[2].Verdict != NotExposed || !strings.Contains(v[2].BlockedBy.Detail, "loopback") {
		t.Errorf("loopback: %+v", v[2])
	}
	if v[3].Verdict != NotExposed || !strings.Contains(v[3].BlockedBy.Detail, "ClusterIP") {
		t.Errorf("cluster: %+v", v[3])
	}
	if v[4].Verdict != Exposed || strings.Join(v[4].Sources, ",") != "81.2.69.0/24" {
		t.Errorf("load balancer by DNS name, narrowed by loadBalancerSourceRanges: %+v", v[4])
	}
	if v[5].Verdict != Unknown || !strings.Contains(v[5].Missing[0], "cloud load balancer of nolb") {
		t.Errorf("load balancer without a name: %+v", v[5])
	}
}

func TestContainerMissingCloud(t *testing.T) {
	inv := pod(nodePort(true))
	inv.Workloads[0].Host.InstanceID = ""
	v := verdicts(inv, nil, nil)
	if v[1].Verdict != Unknown || !strings.Contains(v[1].Missing[0], "node node-1") || !strings.Contains(v[1].Missing[0], "spec.providerID") {
		t.Errorf("node without an instance: %+v", v[1])
	}
	v = verdicts(pod(nodePort(true)), nil, nil)
	if v[1].Verdict != Unknown || !strings.Contains(v[1].Missing[0], "--aws") {
		t.Errorf("no cloud data: %+v", v[1])
	}
}

func TestContainerPolicies(t *testing.T) {
	rep := &Report{Results: hostRows("i-1")}
	deny := workload.Policy{ID: "shop/deny", Namespace: "shop", PodSelector: map[string]string{"app": "web"}, Rules: []workload.PolicyRule{}}
	allowNamed := workload.Policy{ID: "shop/allow", Namespace: "shop", PodSelector: map[string]string{}, Rules: []workload.PolicyRule{{
		From:  []workload.Peer{{CIDR: "81.2.69.0/24", Except: []string{"81.2.69.128/25"}}, {Selector: "app=frontend"}},
		Ports: []workload.PolicyPort{{Protocol: "TCP", Name: "http"}}}}}
	maybeDeny := workload.Policy{ID: "shop/maybe", Namespace: "shop", PodSelector: map[string]string{}, Expressions: []string{"tier In (web)"}, Rules: []workload.PolicyRule{}}
	otherCluster := workload.Policy{ID: "k8s:staging/shop/NetworkPolicy/deny", Namespace: "shop", PodSelector: map[string]string{}, Rules: []workload.PolicyRule{}}
	other := workload.Policy{ID: "other/deny", Namespace: "other", PodSelector: map[string]string{}, Rules: []workload.PolicyRule{}}
	cases := []struct {
		name        string
		policies    []workload.Policy
		enforcement string
		preserve    bool
		verdict     string
		sources     string
		text        string // in blocked_by detail, a missing reason or the policy hop
	}{
		{"no policy", nil, "enforced", true, Exposed, "81.2.69.0/24", ""},
		{"other namespace", []workload.Policy{other}, "enforced", true, Exposed, "81.2.69.0/24", ""},
		{"deny all, enforced", []workload.Policy{deny}, "enforced", true, NotExposed, "", "enforced by the network plugin calico"},
		{"deny all, not enforced", []workload.Policy{deny}, "not_enforced", true, Exposed, "81.2.69.0/24", "not enforced"},
		{"deny all, enforcement unknown", []workload.Policy{deny}, "", true, Unknown, "", "whether the network plugin enforces NetworkPolicy"},
		{"ipBlock except on a named port", []workload.Policy{deny, allowNamed}, "enforced", true, Exposed, "81.2.69.0/25", "admits ipBlock 81.2.69.0/24 except 81.2.69.128/25"},
		{"selector with matchExpressions", []workload.Policy{maybeDeny}, "enforced", true, Unknown, "", "whether NetworkPolicy shop/maybe selects the pod"},
		{"expressions, with a certain allow", []workload.Policy{allowNamed, maybeDeny}, "enforced", true, Exposed, "81.2.69.0/25", "admits ipBlock"},
		{"another cluster's policy", []workload.Policy{otherCluster}, "enforced", true, Exposed, "81.2.69.0/24", ""},
		{"ipBlock, client replaced", []workload.Policy{allowNamed}, "enforced", false, Unknown, "", "client address not preserved"},
		{"deny, client replaced", []workload.Policy{deny}, "enforced", false, NotExposed, "", "replaced by a node or load balancer address"},
	}
	for _, c := range cases {
		inv := pod(nodePort(c.preserve))
		inv.Policies = c.policies
		if c.enforcement != "" {
			inv.Clusters = []workload.Cluster{{Name: "prod", PolicyEnforcement: c.enforcement, Plugin: "calico"}}
		}
		v := verdicts(inv, rep, nil)[1]
		if v.Verdict != c.verdict || strings.Join(v.Sources, ",") != c.sources {
			t.Errorf("%s: %s %v, want %s %s\n%+v", c.name, v.Verdict, v.Sources, c.verdict, c.sources, v)
			continue
		}
		text := strings.Join(v.Missing, "|")
		if v.BlockedBy != nil {
			text += "|" + v.BlockedBy.Detail
		}
		for _, h := range v.Path {
			text += "|" + h.Detail
		}
		if !strings.Contains(text, c.text) {
			t.Errorf("%s: proof lacks %q: %s", c.name, c.text, text)
		}
	}
}

func TestClusterOf(t *testing.T) {
	for id, want := range map[string]string{
		"k8s:prod/shop/Pod/web": "prod",
		"k8s:/shop/Pod/web":     "",
		"k8s:arn:aws:eks:eu-west-1:1:cluster/prod/shop/Deployment/web": "arn:aws:eks:eu-west-1:1:cluster/prod",
		"docker:abc": "",
	} {
		if got := ClusterOf(id); got != want {
			t.Errorf("ClusterOf(%q) = %q, want %q", id, got, want)
		}
	}
}

// A NodePort with externalTrafficPolicy Cluster accepts on every node and
// forwards to a pod on any node: a pod on a closed node is reached through
// an open one. Local, hostPort and unknown node lists stay on its node.
func TestContainerNodePortAnyNode(t *testing.T) {
	closed := &Hop{Kind: "security_group", ID: "sg-closed", Detail: "no rule"}
	rows := append(hostRows("i-1"),
		Result{Resource: "i-2", Protocol: "tcp", FromPort: 0, ToPort: 65535, Verdict: NotExposed, BlockedBy: closed})
	rep := &Report{Results: rows}
	inv := func(nodes ...string) *workload.Inventory {
		inv := pod(nodePort(false), nodePort(true))
		inv.Workloads[0].Host = &workload.Host{Name: "node-2", InstanceID: "i-2"}
		cl := workload.Cluster{Name: "prod", PolicyEnforcement: "unknown"}
		for _, n := range nodes {
			cl.Nodes = append(cl.Nodes, workload.Host{Name: "node-" + n, InstanceID: n})
		}
		inv.Clusters = []workload.Cluster{cl}
		return inv
	}
	v := verdicts(inv("i-1", "i-2"), rep, nil)
	if v[1].Verdict != Exposed || strings.Join(v[1].Sources, ",") != "81.2.69.0/24" || len(v[1].Missing) != 0 {
		t.Errorf("Cluster NodePort through the open node: %+v", v[1])
	}
	if v[2].Verdict != NotExposed || v[2].BlockedBy.ID != "sg-closed" {
		t.Errorf("Local NodePort on the pod's closed node: %+v", v[2])
	}
	// A node whose instance is not in the results may admit more.
	v = verdicts(inv("i-1", "i-2", "i-3"), rep, nil)
	if v[1].Verdict != Exposed || !strings.Contains(strings.Join(v[1].Missing, ";"), "i-3") {
		t.Errorf("Cluster NodePort with a node not in the results: %+v", v[1])
	}
	// Nodes not known (manifests): the pod's own node, as before.
	v = verdicts(inv(), rep, nil)
	if v[1].Verdict != NotExposed || v[1].BlockedBy.ID != "sg-closed" {
		t.Errorf("Cluster NodePort, nodes unknown: %+v", v[1])
	}
}

// Through a load balancer, the route follows this pod's own target when
// the route says which it is (pod IP in ip mode; its node with Local),
// not the listener's union over every target.
func TestContainerLoadBalancerOwnTarget(t *testing.T) {
	open := netset.Internet
	blocked := &Hop{Kind: "security_group", ID: "sg-closed", Detail: "no rule admits the client"}
	rep := &Report{Results: []Result{
		{Resource: "arn:lb", Protocol: "tcp", FromPort: 80, ToPort: 80, Verdict: Exposed, SourceSet: open, Sources: open.Compact(netset.NonPublic)},
		{Resource: "i-1", Via: "arn:lb", Protocol: "tcp", FromPort: 30080, ToPort: 30080, Verdict: Exposed, SourceSet: open,
			Path: []Hop{{Kind: "target", ID: "i-1"}}},
		{Resource: "i-2", Via: "arn:lb", Protocol: "tcp", FromPort: 30080, ToPort: 30080, Verdict: NotExposed, BlockedBy: blocked,
			Path: []Hop{{Kind: "target", ID: "i-2"}}},
		{Resource: "i-2", Via: "arn:lb", Protocol: "tcp", FromPort: 8080, ToPort: 8080, Verdict: NotExposed, BlockedBy: blocked,
			Path: []Hop{{Kind: "target", ID: "10.0.2.21"}}},
		{Resource: "i-2", Via: "arn:lb", Protocol: "tcp", FromPort: 8080, ToPort: 8080, Verdict: Exposed, SourceSet: open,
			Path: []Hop{{Kind: "target", ID: "10.0.2.22"}}},
	}}
	lb := workload.Front{Kind: "load_balancer", ID: "svc", ListenProto: "tcp", ListenPort: 80, Entry: "load_balancer", LoadBalancer: "arn:lb", PreservesClient: true}
	svc := workload.Front{Kind: "service", ID: "svc", ListenProto: "tcp", ListenPort: 80, TargetPort: 8080, Entry: "front", PreservesClient: true}
	np := workload.Front{Kind: "node_port", ID: "svc", ListenProto: "tcp", ListenPort: 30080, TargetPort: 80, Entry: "front", PreservesClient: true}
	for _, tc := range []struct {
		name    string
		addr    string
		route   []workload.Front
		verdict string
	}{
		{"Local: the pod's node drops the client", "10.0.2.21", []workload.Front{lb, np, svc}, NotExposed},
		{"ip mode: this pod IP's target drops it", "10.0.2.21", []workload.Front{lb, svc}, NotExposed},
		{"ip mode: this pod IP's target admits it", "10.0.2.22", []workload.Front{lb, svc}, Exposed},
	} {
		inv := pod(workload.Route{Fronts: tc.route})
		inv.Workloads[0].Host = &workload.Host{Name: "node-2", InstanceID: "i-2"}
		inv.Workloads[0].Addresses = []string{tc.addr}
		v := verdicts(inv, rep, nil)[1]
		if v.Verdict != tc.verdict || (tc.verdict == NotExposed && v.BlockedBy.ID != "sg-closed") {
			t.Errorf("%s: %+v", tc.name, v)
		}
	}
	// Cluster (the client replaced, any node forwards): the listener stands.
	np.PreservesClient = false
	inv := pod(workload.Route{Fronts: []workload.Front{lb, np, svc}})
	inv.Workloads[0].Host = &workload.Host{Name: "node-2", InstanceID: "i-2"}
	if v := verdicts(inv, rep, nil)[1]; v.Verdict != Exposed {
		t.Errorf("Cluster: %+v", v)
	}
}

// An ip-mode load balancer whose targets in the snapshot do not include
// the pod's IP: the listener's verdict is about other pods, so the pod's
// is unknown, naming the missing registration.
func TestContainerLoadBalancerPodNotTarget(t *testing.T) {
	open := netset.Internet
	rep := &Report{Results: []Result{
		{Resource: "arn:lb", Protocol: "tcp", FromPort: 80, ToPort: 80, Verdict: Exposed, SourceSet: open, Sources: open.Compact(netset.NonPublic)},
		{Resource: "i-1", Via: "arn:lb", Protocol: "tcp", FromPort: 8080, ToPort: 8080, Verdict: Exposed, SourceSet: open,
			Path: []Hop{{Kind: "target", ID: "10.0.1.21"}}},
	}}
	inv := pod(workload.Route{Fronts: []workload.Front{
		{Kind: "load_balancer", ID: "svc", ListenProto: "tcp", ListenPort: 80, Entry: "load_balancer", LoadBalancer: "arn:lb", PreservesClient: true},
		{Kind: "service", ID: "svc", ListenProto: "tcp", ListenPort: 80, TargetPort: 8080, Entry: "front", PreservesClient: true}}})
	inv.Workloads[0].Addresses = []string{"10.0.9.9"}
	v := verdicts(inv, rep, nil)[1]
	if v.Verdict != Unknown || !strings.Contains(strings.Join(v.Missing, ";"), "pod IP 10.0.9.9") {
		t.Errorf("pod IP not a target: %+v", v)
	}
}

// An Ingress's load balancer may target the ingress controller, not the
// backend pods: pod IPs absent from its targets change nothing.
func TestContainerIngressPodNotTarget(t *testing.T) {
	open := netset.Internet
	rep := &Report{Results: []Result{
		{Resource: "arn:alb", Protocol: "tcp", FromPort: 80, ToPort: 80, Verdict: Exposed, SourceSet: open, Sources: open.Compact(netset.NonPublic)},
	}}
	inv := pod(workload.Route{Fronts: []workload.Front{
		{Kind: "ingress", ID: "ing", ListenProto: "tcp", ListenPort: 80, Entry: "load_balancer", LoadBalancer: "arn:alb"},
		{Kind: "service", ID: "svc", ListenProto: "tcp", ListenPort: 80, TargetPort: 8080, Entry: "front", PreservesClient: true}}})
	inv.Workloads[0].Addresses = []string{"10.0.9.9"}
	if v := verdicts(inv, rep, nil)[1]; v.Verdict != Exposed || len(v.Missing) != 0 {
		t.Errorf("ingress: %+v", v)
	}
}
