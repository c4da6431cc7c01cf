package kube

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/workload"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func portOf(t *testing.T, w *workload.Workload, container string, port int) *workload.Port {
	t.Helper()
	for ci := range w.Containers {
		if w.Containers[ci].Name != container {
			continue
		}
		for pi := range w.Containers[ci].Ports {
			if w.Containers[ci].Ports[pi].ContainerPort == port {
				return &w.Containers[ci].Ports[pi]
			}
		}
	}
	t.Fatalf("%s has no port %s:%d: %+v", w.ID, container, port, w.Containers)
	return nil
}

func chain(r workload.Route) string {
	var k []string
	for _, f := range r.Fronts {
		k = append(k, f.Kind)
	}
	return strings.Join(k, ">")
}

const namedPorts = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      serviceAccountName: web
      containers:
      - name: app
        image: registry.example/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
        ports:
        - {name: http, containerPort: 8080}
        - {name: metrics, containerPort: 9090}
      - name: sidecar
        image: envoy:1.30
        ports: [{name: admin, containerPort: 9901}]
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  namespace: shop
  annotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::111122223333:role/web"}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  loadBalancerSourceRanges: [203.0.113.0/24]
  selector: {app: web}
  ports:
  - {name: http, port: 443, targetPort: http, nodePort: 30443}
  - {name: nope, port: 8443, targetPort: https}
  - {name: num, port: 7000, targetPort: 7000}
status:
  loadBalancer:
    ingress: [{hostname: abc-123.elb.eu-west-1.amazonaws.com}]
---
apiVersion: v1
kind: Service
metadata: {name: other-ns, namespace: elsewhere}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: alb
  tls: [{hosts: [shop.example]}]
  rules:
  - host: shop.example
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: web, port: {number: 443}}}}
      - {path: /x, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}
status:
  loadBalancer:
    ingress: [{hostname: k8s-shop-web.eu-west-1.elb.amazonaws.com}]
`

func TestNamedTargetPortsAndIngress(t *testing.T) {
	dir := t.TempDir()
	inv := load(t, LoadOptions{}, writeFile(t, dir, "web.yaml", namedPorts))
	w := find(t, inv, "k8s:/shop/Deployment/web")
	if w.Role != "arn:aws:iam::111122223333:role/web" || w.Replicas != 3 || w.Labels["tier"] != "front" {
		t.Errorf("workload = %+v", w)
	}
	if img := w.Containers[0].Image; img.Digest != "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" || img.Confidence != "digest" {
		t.Errorf("image = %+v", img)
	}
	p := portOf(t, w, "app", 8080)
	var chains []string
	for _, r := range p.Routes {
		chains = append(chains, chain(r))
	}
	want := []string{"service", "node_port>service", "load_balancer>node_port>service", "ingress>service", "ingress>service"}
	if !reflect.DeepEqual(chains, want) {
		t.Fatalf("chains = %v, want %v", chains, want)
	}
	lb := p.Routes[2].Fronts[0]
	if lb.LoadBalancer != "abc-123.elb.eu-west-1.amazonaws.com" || !reflect.DeepEqual(lb.SourceRanges, []string{"203.0.113.0/24"}) ||
		!lb.PreservesClient || lb.ListenPort != 443 || lb.TargetPort != 30443 ||
		!strings.HasPrefix(lb.Detail, "Service shop/web (LoadBalancer) port 443 → targetPort 8080 (named http)") {
		t.Errorf("LB front = %+v", lb)
	}
	if np := p.Routes[1].Fronts[0]; np.ListenPort != 30443 || np.Entry != "host" || !np.PreservesClient {
		t.Errorf("node port front = %+v", np)
	}
	ing := p.Routes[3].Fronts[0]
	if ing.Entry != "load_balancer" || ing.LoadBalancer != "k8s-shop-web.eu-west-1.elb.amazonaws.com" || ing.ListenPort != 80 ||
		!strings.Contains(ing.Detail, "IngressClass alb") || ing.PreservesClient {
		t.Errorf("ingress front = %+v", ing)
	}
	if p.Routes[4].Fronts[0].ListenPort != 443 {
		t.Errorf("TLS ingress route = %+v", p.Routes[4].Fronts[0])
	}
	// 9090 is not selected by any Service port; 9901 neither.
	if r := portOf(t, w, "app", 9090).Routes; r != nil {
		t.Errorf("metrics routes = %+v", r)
	}
	wantGaps := []string{
		`resolve shop/web targetPort https: no container of Deployment shop/web declares a tcp port named "https"`,
		"resolve shop/web targetPort 7000: no container of Deployment shop/web declares tcp/7000 and it has several containers: which one listens is unknown",
		"resolve Ingress shop/web backend: Service shop/missing is not in the input",
	}
	var gaps []string
	for _, g := range inv.Gaps {
		gaps = append(gaps, g.What+": "+g.Reason)
	}
	if !reflect.DeepEqual(gaps, wantGaps) {
		t.Errorf("gaps =\n%s\nwant\n%s", strings.Join(gaps, "\n"), strings.Join(wantGaps, "\n"))
	}
	// The targetPort is the Service's field: the gap names the Service's
	// document (line 29), not the Deployment's (line 2).
	if !strings.HasSuffix(inv.Gaps[0].Input, "web.yaml:29") || !strings.HasSuffix(inv.Gaps[1].Input, "web.yaml:29") {
		t.Errorf("gap input = %q", inv.Gaps[0].Input)
	}
	var kinds []string
	for _, s := range inv.Services {
		kinds = append(kinds, s.Kind+" "+s.ID)
	}
	if want := []string{"Service k8s:/elsewhere/Service/other-ns", "Ingress k8s:/shop/Ingress/web", "Service k8s:/shop/Service/web"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("services = %v", kinds)
	}
}

const hostPod = `
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: agent}
  spec:
    selector: {matchLabels: {app: agent}}
    template:
      metadata: {labels: {app: agent}}
      spec:
        hostNetwork: true
        hostPID: true
        securityContext: {runAsUser: 0}
        containers:
        - name: agent
          image: agent:1
          ports: [{containerPort: 9100, name: metrics}]
          securityContext:
            privileged: true
            capabilities: {add: [NET_ADMIN, SYS_PTRACE], drop: [MKNOD]}
          volumeMounts:
          - {name: sock, mountPath: /var/run/docker.sock}
          - {name: run, mountPath: /host/run, readOnly: true}
          - {name: cfg, mountPath: /etc/agent}
        volumes:
        - {name: sock, hostPath: {path: /var/run/docker.sock}}
        - {name: run, hostPath: {path: /run/}}
        - {name: cfg, configMap: {name: agent}}
- apiVersion: v1
  kind: Pod
  metadata: {name: proxy, namespace: edge}
  spec:
    containers:
    - name: nginx
      image: nginx:1.27
      ports:
      - {containerPort: 80, hostPort: 8080, hostIP: 10.0.0.5}
      - {containerPort: 53, hostPort: 53, protocol: UDP}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: agent}
`

func TestHostNetworkAndHostPort(t *testing.T) {
	dir := t.TempDir()
	objs, err := LoadManifests(context.Background(), []string{writeFile(t, dir, "host.yaml", hostPod)}, LoadOptions{Namespace: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	if objs.Ignored["v1/ConfigMap"] != 1 {
		t.Errorf("ignored = %v", objs.Ignored)
	}
	inv := Build(objs)
	a := find(t, inv, "k8s:/ops/DaemonSet/agent")
	if !a.HostNetwork || !a.HostPID || a.NetworkMode != "host" {
		t.Errorf("agent = %+v", a)
	}
	c := a.Containers[0]
	if !c.Privileged || c.User != "0" || !reflect.DeepEqual(c.CapAdd, []string{"NET_ADMIN", "SYS_PTRACE"}) || !reflect.DeepEqual(c.CapDrop, []string{"MKNOD"}) {
		t.Errorf("agent container = %+v", c)
	}
	wantMounts := []workload.Mount{
		{Type: "hostPath", Source: "/var/run/docker.sock", Destination: "/var/run/docker.sock", HostPath: true, RuntimeSocket: true},
		{Type: "hostPath", Source: "/run/", Destination: "/host/run", ReadOnly: true, HostPath: true, RuntimeSocket: true},
		{Type: "configMap", Source: "agent", Destination: "/etc/agent"},
	}
	if !reflect.DeepEqual(c.Mounts, wantMounts) {
		t.Errorf("mounts = %+v", c.Mounts)
	}
	p := portOf(t, a, "agent", 9100)
	if p.HostPort != 9100 || len(p.Routes) != 1 || p.Routes[0].Fronts[0].Kind != "host_network" || p.Routes[0].Fronts[0].Entry != "host" {
		t.Errorf("hostNetwork port = %+v", p)
	}
	pod := find(t, inv, "k8s:/edge/Pod/proxy")
	hp := portOf(t, pod, "nginx", 80)
	f := hp.Routes[0].Fronts[0]
	if hp.HostPort != 8080 || hp.HostIP != "10.0.0.5" || f.Kind != "host_port" || f.ListenPort != 8080 || f.TargetPort != 80 || f.Entry != "host" ||
		f.Detail != "Pod edge/proxy container nginx hostPort 8080 on 10.0.0.5 (that node address only: reachable where the node has it, through that address's network path) → containerPort 80" {
		t.Errorf("hostPort = %+v", hp)
	}
	if u := portOf(t, pod, "nginx", 53); u.Protocol != "udp" || u.Routes[0].Fronts[0].ListenProto != "udp" {
		t.Errorf("udp hostPort = %+v", u)
	}
}

const policy = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: data}
spec:
  podSelector:
    matchLabels: {app: db}
    matchExpressions:
    - {key: tier, operator: In, values: [primary, replica]}
    - {key: legacy, operator: DoesNotExist}
  ingress:
  - from:
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.0.0/16]}
    - namespaceSelector: {matchLabels: {team: shop}}
      podSelector: {matchLabels: {app: web}}
    - podSelector: {}
    ports:
    - {protocol: TCP, port: 5432}
    - {protocol: TCP, port: 30000, endPort: 32767}
    - {port: metrics}
    - {protocol: UDP}
  - {}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-only, namespace: data}
spec:
  podSelector: {}
  policyTypes: [Egress]
`

func TestNetworkPolicy(t *testing.T) {
	inv := load(t, LoadOptions{}, writeFile(t, t.TempDir(), "np.yaml", policy))
	if len(inv.Policies) != 1 {
		t.Fatalf("policies = %+v", inv.Policies)
	}
	p := inv.Policies[0]
	want := workload.Policy{
		ID: "k8s:/data/NetworkPolicy/db", Namespace: "data", Name: "db",
		PodSelector: map[string]string{"app": "db"}, Expressions: []string{"tier in (primary,replica)", "!legacy"},
		Rules: []workload.PolicyRule{
			{
				From: []workload.Peer{
					{CIDR: "10.0.0.0/8", Except: []string{"10.1.0.0/16", "10.2.0.0/16"}},
					{Selector: "namespaceSelector{team=shop} podSelector{app=web}"},
					{Selector: "podSelector{}"},
				},
				Ports: []workload.PolicyPort{
					{Protocol: "tcp", Port: 5432}, {Protocol: "tcp", Port: 30000, EndPort: 32767},
					{Protocol: "tcp", Name: "metrics"}, {Protocol: "udp"},
				},
			},
			{From: []workload.Peer{}, Ports: []workload.PolicyPort{}},
		},
		Input: p.Input,
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("policy =\n%+v\nwant\n%+v", p, want)
	}
	if !strings.HasSuffix(p.Input, "np.yaml:2") {
		t.Errorf("input = %q", p.Input)
	}
}

const livePods = `
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: api, namespace: prod, uid: d1}
  spec:
    selector: {matchLabels: {app: api}}
    template:
      metadata: {labels: {app: api}}
      spec:
        containers: [{name: api, image: "api:2", ports: [{containerPort: 8080}]}]
- apiVersion: apps/v1
  kind: ReplicaSet
  metadata:
    name: api-7d9f
    namespace: prod
    ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: d1, controller: true}]
  spec:
    selector: {matchLabels: {app: api}}
    template:
      metadata: {labels: {app: api}}
      spec:
        containers: [{name: api, image: "api:2"}]
- apiVersion: v1
  kind: Pod
  metadata:
    name: api-7d9f-x1
    namespace: prod
    labels: {app: api}
    ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-7d9f, uid: r1, controller: true}]
  spec:
    nodeName: ip-10-0-1-5.eu-west-1.compute.internal
    initContainers: [{name: init, image: "busybox:1"}]
    containers: [{name: api, image: "api:2", ports: [{containerPort: 8080}]}]
  status:
    podIP: 10.0.1.77
    podIPs: [{ip: 10.0.1.77}]
    initContainerStatuses:
    - {name: init, image: "busybox:1", imageID: "docker.io/library/busybox@sha256:1111111111111111111111111111111111111111111111111111111111111111", ready: false, restartCount: 0}
    containerStatuses:
    - {name: api, image: "api:2", imageID: "docker-pullable://registry.example/api@sha256:2222222222222222222222222222222222222222222222222222222222222222", ready: true, restartCount: 0}
- apiVersion: v1
  kind: Pod
  metadata: {name: stray, namespace: prod}
  spec:
    nodeName: unknown-node
    containers: [{name: c, image: "c:1"}]
  status:
    containerStatuses:
    - {name: c, image: "c:1", imageID: "docker://sha256:3333333333333333333333333333333333333333333333333333333333333333", ready: true, restartCount: 0}
- apiVersion: v1
  kind: Node
  metadata: {name: ip-10-0-1-5.eu-west-1.compute.internal}
  spec: {providerID: "aws:///eu-west-1a/i-0abc1234def567890"}
  status:
    addresses:
    - {type: InternalIP, address: 10.0.1.5}
    - {type: Hostname, address: ip-10-0-1-5}
    - {type: ExternalIP, address: 198.51.100.7}
`

// TestLivePods feeds what a live cluster lists (Pods with status, Nodes)
// through the decoder, as the live client fills Objects the same way.
func TestLivePods(t *testing.T) {
	objs, err := LoadManifests(context.Background(), []string{writeFile(t, t.TempDir(), "live.yaml", livePods)}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	objs.Cluster, objs.Live = "prod-eks", true
	inv := Build(objs)
	var ids []string
	for _, w := range inv.Workloads {
		ids = append(ids, w.ID)
	}
	// The ReplicaSet owned by the Deployment is collapsed into it.
	want := []string{"k8s:prod-eks/prod/Deployment/api", "k8s:prod-eks/prod/Pod/api-7d9f-x1", "k8s:prod-eks/prod/Pod/stray"}
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("workloads = %v", ids)
	}
	pod := find(t, inv, "k8s:prod-eks/prod/Pod/api-7d9f-x1")
	if pod.Owner != "k8s:prod-eks/prod/Deployment/api" || !reflect.DeepEqual(pod.Addresses, []string{"10.0.1.77"}) {
		t.Errorf("pod = %+v", pod)
	}
	wantHost := &workload.Host{Name: "ip-10-0-1-5.eu-west-1.compute.internal", InstanceID: "i-0abc1234def567890", InstanceFrom: "providerID", Addresses: []string{"10.0.1.5", "198.51.100.7"}}
	if !reflect.DeepEqual(pod.Host, wantHost) {
		t.Errorf("host = %+v", pod.Host)
	}
	if d := pod.Containers[0].Image; !pod.Containers[0].Init || d.Digest != "sha256:1111111111111111111111111111111111111111111111111111111111111111" {
		t.Errorf("init image = %+v", d)
	}
	if d := pod.Containers[1].Image; d.Digest != "sha256:2222222222222222222222222222222222222222222222222222222222222222" || d.Confidence != "digest" || d.Ref != "api:2" {
		t.Errorf("image = %+v", d)
	}
	stray := find(t, inv, "k8s:prod-eks/prod/Pod/stray")
	if img := stray.Containers[0].Image; img.Digest != "" || img.ID != "sha256:3333333333333333333333333333333333333333333333333333333333333333" || img.Confidence != "tag" {
		t.Errorf("stray image = %+v", img)
	}
	if stray.Owner != "" || stray.Host == nil || stray.Host.Name != "unknown-node" || stray.Host.InstanceID != "" {
		t.Errorf("stray = %+v %+v", stray, stray.Host)
	}
	if inv.Clusters[0].Name != "prod-eks" {
		t.Errorf("clusters = %+v", inv.Clusters)
	}
}

const batch = `
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: ops}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: backup, image: "backup:1"}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: nightly-29000
  namespace: ops
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: nightly, uid: c1, controller: true}]
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: backup, image: "backup:1"}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: ops}
spec:
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: "m:1"}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ops}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      securityContext: {runAsUser: 999, runAsNonRoot: true}
      containers:
      - name: pg
        image: postgres:16
        securityContext: {runAsUser: 70, allowPrivilegeEscalation: false}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: ops}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
`

func TestBatchAndStatefulSet(t *testing.T) {
	inv := load(t, LoadOptions{}, writeFile(t, t.TempDir(), "batch.yaml", batch))
	var ids []string
	for _, w := range inv.Workloads {
		ids = append(ids, w.ID)
	}
	want := []string{"k8s:/ops/CronJob/nightly", "k8s:/ops/Job/migrate", "k8s:/ops/StatefulSet/db"}
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("workloads = %v, want %v (the CronJob's Job collapsed)", ids, want)
	}
	if j := find(t, inv, "k8s:/ops/Job/migrate"); j.Replicas != 2 {
		t.Errorf("job replicas = %d", j.Replicas)
	}
	db := find(t, inv, "k8s:/ops/StatefulSet/db")
	c := db.Containers[0]
	if c.User != "70" || c.RunAsNonRoot == nil || !*c.RunAsNonRoot || c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation || db.Replicas != 3 {
		t.Errorf("db = %+v %+v", db, c)
	}
	// No containerPort declares 5432: the single container gets it, marked "service".
	p := portOf(t, db, "pg", 5432)
	if p.Declared != "service" || len(p.Routes) != 1 || !strings.HasSuffix(p.Routes[0].Fronts[0].Detail, "; headless: clients connect to the pod IPs") {
		t.Errorf("port = %+v", p)
	}
}

const legacy = `
apiVersion: apps/v1beta2
kind: Deployment
metadata: {name: old-web, namespace: legacy}
spec:
  template:
    metadata: {labels: {app: old-web}}
    spec:
      containers: [{name: web, image: "web:1", ports: [{name: http, containerPort: 8000}]}]
---
apiVersion: v1
kind: Service
metadata: {name: old-web, namespace: legacy}
spec:
  selector: {app: old-web}
  ports: [{name: web, port: 80, targetPort: http}]
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: by-name
  namespace: legacy
  annotations: {kubernetes.io/ingress.class: nginx}
spec:
  backend: {serviceName: old-web, servicePort: web}
---
apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata: {name: by-number, namespace: legacy}
spec:
  rules:
  - host: old.example
    http:
      paths: [{path: /, backend: {serviceName: old-web, servicePort: 80}}]
`

func TestLegacyAPIVersionsConverted(t *testing.T) {
	inv := load(t, LoadOptions{}, writeFile(t, t.TempDir(), "legacy.yaml", legacy))
	if len(inv.Gaps) != 0 {
		t.Fatalf("gaps: %+v", inv.Gaps)
	}
	w := find(t, inv, "k8s:/legacy/Deployment/old-web")
	var details []string
	for _, r := range portOf(t, w, "web", 8000).Routes {
		if r.Fronts[0].Kind == "ingress" {
			details = append(details, r.Fronts[0].Detail)
		}
	}
	want := []string{
		"Ingress legacy/by-name (IngressClass nginx) default backend on port 80 → Service old-web port 80; load balancer not known (no status in the input)",
		"Ingress legacy/by-number (IngressClass default class) host old.example path / on port 80 → Service old-web port 80; load balancer not known (no status in the input)",
	}
	if !reflect.DeepEqual(details, want) {
		t.Errorf("ingress routes:\n%s", strings.Join(details, "\n"))
	}
}
