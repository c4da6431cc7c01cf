// Package workload is the provider-neutral model of what runs: workloads
// (Docker containers, Kubernetes workloads and pods, ECS tasks), their
// containers, images, ports and privileges, and the fronts that forward
// traffic to a container port (a Docker published port, a Kubernetes
// Service, NodePort, hostPort, Ingress or cloud load balancer, an ECS port
// mapping) together with the filters in front of a pod (NetworkPolicies).
//
// Every runtime source (internal/workload/docker, internal/workload/kube,
// internal/workload/ecs) produces an Inventory; `sightline inventory`
// merges them, joins images by digest and computes each container port's
// exposure through its fronts (internal/exposure). A source never decides
// exposure itself: it only says what forwards to what, and what it could
// not read (Gaps), so that "no workloads" always means "looked, found none".
package workload

// Schema names the JSON document printed by `sightline inventory`.
const Schema = "sightline.inventory/v1"

// Sources.
const (
	SourceDocker     = "docker"
	SourceKubernetes = "kubernetes"
	SourceECS        = "ecs"
)

// Inventory is what one or more sources found.
type Inventory struct {
	Schema    string     `json:"schema"`
	Workloads []Workload `json:"workloads"`
	// Services are the Kubernetes Services, Ingresses and similar objects
	// that forward to workloads (also referenced from each port's Fronts).
	Services []Service `json:"services,omitempty"`
	// Policies are the ingress filters (Kubernetes NetworkPolicies).
	Policies []Policy `json:"network_policies,omitempty"`
	// Clusters says, per Kubernetes cluster, whether NetworkPolicies are
	// enforced (see Enforcement).
	Clusters []Cluster `json:"clusters,omitempty"`
	// Gaps lists what a source could not read: an RBAC denial, a file that
	// does not parse, a host whose cloud identity is unknown. Never empty
	// silently: a source that read nothing says so here.
	Gaps []Gap `json:"gaps"`
}

// Gap is something a source could not read, and what that leaves unknown.
type Gap struct {
	Source string `json:"source"`          // SourceDocker, SourceKubernetes, SourceECS
	What   string `json:"what"`            // e.g. "list networkpolicies in namespace shop"
	Reason string `json:"reason"`          // e.g. the API server's message
	Input  string `json:"input,omitempty"` // file, context or endpoint the gap is about
}

// Workload is one unit that runs containers.
type Workload struct {
	// ID is stable and unique across sources:
	//   docker:<container id (64 hex)>
	//   k8s:<cluster>/<namespace>/<Kind>/<name>  (cluster "" for manifests)
	//   ecs:<task ARN>
	ID string `json:"id"`
	// Kind: "container" (Docker); the Kubernetes kind (Deployment,
	// StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod); "ecs_task".
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	Source    string `json:"source"`
	// Input is where it was read from: a manifest file (with line), a
	// kubeconfig context, a Docker endpoint, an AWS snapshot directory.
	Input string `json:"input,omitempty"`
	// Owner is the ID of the controlling workload (a Pod's ReplicaSet, a
	// ReplicaSet's Deployment, an ECS task's service), "" if none.
	Owner string `json:"owner,omitempty"`
	// Host is where it runs; nil when not known (manifests, Fargate).
	Host     *Host             `json:"host"`
	Labels   map[string]string `json:"labels,omitempty"`
	Replicas int               `json:"replicas,omitempty"`

	ServiceAccount string `json:"service_account,omitempty"`
	// Role is the cloud identity the containers get: the ECS task role
	// ARN, the IRSA annotation eks.amazonaws.com/role-arn.
	Role string `json:"role,omitempty"`

	// NetworkMode: Docker "bridge", "host", "none", "container:<id>",
	// a user network name; ECS "awsvpc", "bridge", "host"; Kubernetes
	// "pod" or "host" (hostNetwork).
	NetworkMode string `json:"network_mode,omitempty"`
	HostNetwork bool   `json:"host_network"`
	HostPID     bool   `json:"host_pid"`
	HostIPC     bool   `json:"host_ipc"`
	// Addresses are the workload's own IP addresses (pod IPs, the awsvpc
	// task interface's private IPs, a Docker container's network IPs).
	Addresses []string `json:"addresses,omitempty"`
	// Interface is the cloud network interface of an awsvpc ECS task or of
	// a pod with a VPC-routable IP, when known.
	Interface string `json:"interface,omitempty"`

	Containers []Container `json:"containers"`
}

// Host is the machine a workload runs on.
type Host struct {
	Name string `json:"name,omitempty"` // hostname or Kubernetes node name
	// InstanceID is the EC2 instance (i-…), when known.
	InstanceID string `json:"instance_id,omitempty"`
	// InstanceFrom says how InstanceID was learnt: "--host-id", "imds",
	// "providerID" (Kubernetes node spec.providerID), "container instance"
	// (ECS), or "" when unknown.
	InstanceFrom string `json:"instance_from,omitempty"`
	// Addresses are the host's (node's) IP addresses.
	Addresses []string `json:"addresses,omitempty"`
}

// Container is one container of a workload.
type Container struct {
	Name  string `json:"name"`
	Image Image  `json:"image"`
	Ports []Port `json:"ports"`
	// Init is true for Kubernetes init containers (not serving).
	Init bool `json:"init,omitempty"`

	Privileged bool `json:"privileged"`
	// User is the user the process runs as, as configured ("" = the
	// image's default, which is root unless the image sets USER).
	User         string `json:"user"`
	RunAsNonRoot *bool  `json:"run_as_non_root,omitempty"`
	// AllowPrivilegeEscalation as configured (nil = not set; the
	// Kubernetes default is true).
	AllowPrivilegeEscalation *bool    `json:"allow_privilege_escalation,omitempty"`
	CapAdd                   []string `json:"cap_add,omitempty"`
	CapDrop                  []string `json:"cap_drop,omitempty"`
	ReadOnlyRootFS           bool     `json:"read_only_rootfs"`
	Mounts                   []Mount  `json:"mounts,omitempty"`

	// Exposure is filled by the exposure engine (internal/exposure), one
	// verdict per port and route: nil until then.
	Exposure []Verdict `json:"exposure"`
}

// Verdict is the internet exposure of one container port through one
// route, with the same semantics as `sightline exposure` (docs/exposure.md):
// "exposed" (Sources, Width), "not_exposed" (BlockedBy names the control),
// "unknown" (Missing names the data that is missing).
type Verdict struct {
	ContainerPort int      `json:"container_port"`
	Protocol      string   `json:"protocol"`
	Verdict       string   `json:"verdict"`
	Sources       []string `json:"sources"`
	Width         string   `json:"width,omitempty"`
	// Via is the outermost front of the route ("" for the direct path).
	Via       string   `json:"via,omitempty"`
	Path      []Hop    `json:"path"`
	BlockedBy *Hop     `json:"blocked_by"`
	Missing   []string `json:"missing"`
}

// Hop is one step of a proof (as exposure.Hop).
type Hop struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Detail string `json:"detail"`
}

// Image names the image a container runs.
type Image struct {
	// Ref is the reference as configured (e.g. "nginx:1.27", "…@sha256:…").
	Ref string `json:"ref"`
	// Digest is the manifest digest of the image that runs ("sha256:…"),
	// from the runtime (Docker RepoDigests, Kubernetes
	// containerStatuses[].imageID, ECS task containers[].imageDigest) or
	// from a digest reference; "" when unknown.
	Digest string `json:"digest,omitempty"`
	// ID is the image config digest (Docker image ID), when known.
	ID string `json:"id,omitempty"`
	// Confidence of the join to scanned images: "digest" when Digest is
	// known, "tag" when only Ref is (a tag can move).
	Confidence string `json:"confidence,omitempty"`
}

// Mount is a volume or bind mount.
type Mount struct {
	Type        string `json:"type"` // bind, volume, tmpfs, hostPath, secret, configMap, emptyDir, …
	Source      string `json:"source,omitempty"`
	Destination string `json:"destination"`
	ReadOnly    bool   `json:"read_only"`
	// HostPath is true when Source is a path on the host (Docker bind,
	// Kubernetes hostPath).
	HostPath bool `json:"host_path,omitempty"`
	// RuntimeSocket is true when Source is a container runtime socket
	// (/var/run/docker.sock, containerd.sock, crio.sock).
	RuntimeSocket bool `json:"runtime_socket,omitempty"`
}

// Port is one port a container listens on, and what forwards to it.
type Port struct {
	Name          string `json:"name,omitempty"`
	ContainerPort int    `json:"container_port"`
	Protocol      string `json:"protocol"` // "tcp", "udp", "sctp"
	// HostIP and HostPort: where the port is published on the host
	// (Docker -p, Kubernetes hostPort, ECS bridge/host networkBindings);
	// HostPort 0 = not published on the host. HostIP "" means every
	// address of the family; "0.0.0.0" IPv4 only, "::" IPv6 only, as the
	// runtime reports it.
	HostIP   string `json:"host_ip,omitempty"`
	HostPort int    `json:"host_port,omitempty"`
	// Declared says where the port came from: "published" (Docker),
	// "expose" (image EXPOSE only), "containerPort", "portMapping",
	// "networkBinding", "service" (a Service's targetPort that no
	// containerPort declares).
	Declared string `json:"declared,omitempty"`
	// Routes are the chains of forwarders that reach this port, each
	// listed outermost first (e.g. Ingress → Service(LoadBalancer) →
	// NodePort → pod). A port with no route is reachable only at the
	// workload's own addresses (see Workload.Addresses and Interface).
	Routes []Route `json:"routes,omitempty"`
}

// Route is one chain of fronts, outermost first; the last forwards to the
// container port.
type Route struct {
	Fronts []Front `json:"fronts"`
}

// Front is one forwarder in front of a container port: it accepts
// connections on ListenProto/ListenPort at the named entry and forwards
// them (translating the port) to the next front or to the container.
type Front struct {
	// Kind: "docker_publish", "host_port", "host_network", "service"
	// (ClusterIP), "node_port", "external_ip" (a Service's externalIPs,
	// accepted by kube-proxy on every node), "load_balancer" (Service type
	// LoadBalancer), "ingress", "ecs_port_mapping", "target_group".
	Kind string `json:"kind"`
	// ID names the forwarder: "shop/Service/frontend", an ALB ARN, "docker:<id>:0.0.0.0:8080".
	ID          string `json:"id"`
	ListenProto string `json:"listen_proto"`
	ListenPort  int    `json:"listen_port"`
	TargetPort  int    `json:"target_port"`
	// Entry is where the front takes traffic from the network: "host"
	// (the host's/node's addresses: look up the host's cloud exposure at
	// ListenPort), "load_balancer" (a cloud load balancer: LoadBalancer),
	// "cluster" (cluster-internal only), "loopback" (127.0.0.1/::1 only),
	// "front" (another front: the one before it in the chain).
	Entry string `json:"entry"`
	// LoadBalancer identifies the cloud load balancer for Entry
	// "load_balancer": its DNS name (Service/Ingress status hostname) or
	// ARN; "" when not known (manifests).
	LoadBalancer string `json:"load_balancer,omitempty"`
	// InternalBy, for Entry "load_balancer", names what asks for an
	// internal load balancer (private addresses only, not reachable from
	// the internet), e.g. the Service annotation
	// "service.beta.kubernetes.io/aws-load-balancer-scheme: internal";
	// "" when internet-facing or not said. The cloud's own scheme, when
	// the cloud data names the load balancer, wins.
	InternalBy string `json:"internal_by,omitempty"`
	// SourceRanges restrict the client addresses (Service
	// loadBalancerSourceRanges); empty = any.
	SourceRanges []string `json:"source_ranges,omitempty"`
	// PreservesClient is false when the front replaces the client address
	// (kube-proxy SNAT with externalTrafficPolicy Cluster), which matters
	// for the filters behind it.
	PreservesClient bool `json:"preserves_client"`
	// Detail is the proof text this hop contributes.
	Detail string `json:"detail"`
}

// Service is a Kubernetes Service or Ingress (forwarders that select pods).
type Service struct {
	ID        string            `json:"id"`   // k8s:<cluster>/<ns>/Service/<name>
	Kind      string            `json:"kind"` // Service, Ingress
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Type      string            `json:"type,omitempty"` // ClusterIP, NodePort, LoadBalancer, ExternalName
	Selector  map[string]string `json:"selector,omitempty"`
	// LoadBalancer: status hostnames/IPs of the cloud load balancer.
	LoadBalancer []string `json:"load_balancer,omitempty"`
	Input        string   `json:"input,omitempty"`
}

// Policy is an ingress filter on pods (a Kubernetes NetworkPolicy with
// policyTypes including Ingress).
type Policy struct {
	ID        string `json:"id"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// PodSelector selects the pods it applies to (matchLabels form; a
	// selector with matchExpressions is kept in Expressions).
	PodSelector map[string]string `json:"pod_selector"`
	Expressions []string          `json:"expressions,omitempty"`
	// Rules: an empty list denies all ingress to the selected pods.
	Rules []PolicyRule `json:"rules"`
	Input string       `json:"input,omitempty"`
}

// PolicyRule is one ingress rule: traffic from any of From on any of Ports.
type PolicyRule struct {
	// From: empty = every source. Each peer is an ipBlock (CIDR with
	// Except) or selects pods/namespaces (cluster-internal sources only).
	From  []Peer       `json:"from"`
	Ports []PolicyPort `json:"ports"` // empty = every port
}

// Peer is a NetworkPolicy peer.
type Peer struct {
	CIDR   string   `json:"cidr,omitempty"`
	Except []string `json:"except,omitempty"`
	// Selector is the text of a pod/namespace selector peer ("" for ipBlock).
	Selector string `json:"selector,omitempty"`
}

// PolicyPort is a NetworkPolicy port: Port (number) or Name (named port),
// up to EndPort when set.
type PolicyPort struct {
	Protocol string `json:"protocol"`
	Port     int    `json:"port,omitempty"`
	Name     string `json:"name,omitempty"`
	EndPort  int    `json:"end_port,omitempty"`
}

// Cluster is one Kubernetes cluster (or the manifests given).
type Cluster struct {
	Name string `json:"name"` // kubeconfig context, or "" for manifests
	// PolicyEnforcement: "enforced" (a network plugin that enforces
	// NetworkPolicy was found, named in Plugin), "not_enforced" (a plugin
	// known not to enforce them), "unknown" (cannot be told, e.g. from
	// manifests alone).
	PolicyEnforcement string `json:"policy_enforcement"`
	Plugin            string `json:"plugin,omitempty"`
	// Evidence is the proof text behind PolicyEnforcement (e.g.
	// "DaemonSet kube-system/calico-node"), or why it is unknown.
	Evidence string `json:"evidence,omitempty"`
	// Nodes are the cluster's nodes (live clusters), with the EC2 instance
	// each runs on (spec.providerID): a NodePort Service with
	// externalTrafficPolicy Cluster accepts on every node and forwards to a
	// pod on any node, so its exposure is that of the most open node.
	Nodes []Host `json:"nodes,omitempty"`
}

// Merge appends src's workloads, Services, policies, clusters and gaps to
// inv, marking how each image can be joined to scanned images: by digest
// when the running digest is known, else by tag (lower confidence: a tag
// can move).
func (inv *Inventory) Merge(src *Inventory) {
	for i := range src.Workloads {
		for j := range src.Workloads[i].Containers {
			im := &src.Workloads[i].Containers[j].Image
			if im.Confidence == "" {
				im.Confidence = "tag"
				if im.Digest != "" {
					im.Confidence = "digest"
				}
			}
		}
	}
	inv.Workloads = append(inv.Workloads, src.Workloads...)
	inv.Services = append(inv.Services, src.Services...)
	inv.Policies = append(inv.Policies, src.Policies...)
	inv.Clusters = append(inv.Clusters, src.Clusters...)
	inv.Gaps = append(inv.Gaps, src.Gaps...)
}
