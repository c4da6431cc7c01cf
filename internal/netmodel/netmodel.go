// Package netmodel is the provider-neutral network model that the
// exposure engine (internal/exposure) evaluates. One compiler per source
// builds it (internal/collect/aws/netcompile for AWS snapshots); the engine
// never reads a provider's own types, so adding a provider means adding one
// compiler package, not a branch in the engine.
//
// The model holds what decides whether a packet from the internet reaches
// a port, with each control's real semantics:
//
//   - networks (VPCs, VNets) with their address ranges and the internet
//     gateway that delivers inbound traffic;
//   - subnets with a route table (return routes, longest prefix match) and
//     an ordered stateless rule list (AWS network ACLs);
//   - filters on endpoints: stateful allow-lists whose rules may reference
//     other groups (AWS security groups), and ordered stateful lists with
//     priorities and deny (GCP firewall rules, Azure NSGs: Policy);
//   - address-bearing endpoints (cloud interfaces; hosts and pods later)
//     with their owner (an instance, a task) and the owner's state;
//   - fronts that forward with translation (load balancer listener →
//     forwarding rule → target pool → target), every hop carrying the
//     proof text it contributes.
//
// Missing data is explicit: whatever the compiler could not read is a
// reason string (naming the file, resource or gap), and verdicts that need
// it become "unknown" naming it — never a silent "nothing there".
package netmodel

import "net/netip"

// Protocols is a set of transport protocols a rule covers.
type Protocols uint8

// Protocol bits. Exposure is about listening TCP and UDP ports; a rule for
// any other protocol covers neither.
const (
	TCP Protocols = 1 << iota
	UDP
	AllProtocols = TCP | UDP
)

// Has reports whether p covers q.
func (p Protocols) Has(q Protocols) bool { return p&q != 0 }

// Ports is an inclusive destination port range.
type Ports struct{ Lo, Hi uint16 }

// AllPorts is every port.
var AllPorts = Ports{0, 65535}

// Model is every account/region (or project, subscription) of one source.
type Model struct {
	Regions []*Region
}

// Region is one independently analysed scope: an AWS account and region.
type Region struct {
	Account, Name string
	// Source names where the data came from (a directory), for messages.
	Source string

	Networks    []Network
	Subnets     []Subnet
	RouteTables []RouteTable
	ACLs        []ACL
	Groups      []Group
	Policies    []Policy
	Endpoints   []Endpoint
	Hosts       []Host
	Bindings    []Binding
	Fronts      []Front
	Pools       []Pool
	Idle        []Idle

	Missing Missing
	// Origin names where each kind of data is read from, for "X not in
	// FILE" reasons about single absent resources.
	Origin Origin
}

// Origin names the source (file) of each kind of data.
type Origin struct {
	Subnets, Groups, Hosts, Endpoints string
}

// Missing records, per kind of data, why it could not be read (region
// wide). A non-empty list makes every verdict that needs that kind
// unknown, naming the reasons.
type Missing struct {
	Networks    []string // networks and their address ranges
	Gateways    []string // internet gateways
	Subnets     []string
	RouteTables []string
	ACLs        []string
	Groups      []string
	Hosts       []string // host (instance) states
	// Inventory lists resources that may be absent from the model
	// altogether (their listing could not be read): the region gets an
	// unknown result naming each.
	Inventory []string
}

// Network is a VPC (or VNet): its own address ranges and the gateway that
// delivers inbound internet traffic.
type Network struct {
	ID       string
	Prefixes []netip.Prefix
	// Gateway is the attached internet gateway ("" when none).
	Gateway string
	// EdgeTables are route tables associated with the gateway that send
	// inbound traffic through an appliance the model does not hold.
	EdgeTables []string
}

// Subnet is one subnet with its route table and ordered stateless list.
type Subnet struct {
	ID, Network string
	Prefixes    []netip.Prefix
	// RouteTable is the table in effect ("" when unknown: see RouteMissing).
	RouteTable   string
	RouteMissing []string
	// ACL is the ordered stateless list in effect ("" when unknown).
	ACL        string
	ACLMissing []string
}

// RouteTable is a route table: the most specific route wins.
type RouteTable struct {
	ID      string
	Routes  []Route
	Missing []string
}

// Route is one route. At equal prefix length a static route beats one from
// a list (FromList).
type Route struct {
	Dest      string // as written, for proofs
	Prefix    netip.Prefix
	Target    string
	Blackhole bool
	FromList  bool
}

// ACL is an ordered stateless rule list (AWS network ACL): the first rule
// (lowest Number) matching a packet decides; nothing matching denies; return
// traffic is checked by the opposite direction's list.
type ACL struct {
	ID                string
	Inbound, Outbound []ACLRule
}

// ACLRule is one entry of an ordered stateless list.
type ACLRule struct {
	Number    int
	Allow     bool
	Protocols Protocols
	ProtoText string // protocol as written ("-1", "6", …), for proofs
	Ports     Ports
	Prefix    netip.Prefix
	CIDR      string // as written
}

// Group is a stateful allow-list (AWS security group): rules only allow,
// the rules of all groups on an endpoint are aggregated, and a rule may
// admit the private addresses of endpoints carrying another group (Ref).
type Group struct {
	ID                string
	Inbound, Outbound []GroupRule
	Missing           []string
}

// GroupRule is one allow rule for one source (or destination).
type GroupRule struct {
	Protocols Protocols
	Ports     Ports
	Prefixes  []netip.Prefix // address sources (none when Ref is set)
	Ref       string         // referenced group
	Source    string         // as written, for proofs
}

// Policy is an ordered stateful list with priorities and deny (GCP VPC
// firewall rules, Azure network security groups): among the rules matching
// a packet, the one with the lowest Priority decides, allow or deny; no
// match denies inbound. Stateful: return traffic of an allowed connection
// is allowed.
type Policy struct {
	ID      string
	Rules   []PolicyRule
	Missing []string
}

// PolicyRule is one inbound rule of a Policy.
type PolicyRule struct {
	Name      string
	Priority  int
	Allow     bool
	Protocols Protocols
	Ports     Ports
	Prefixes  []netip.Prefix
}

// Endpoint is an address-bearing network attachment (AWS network
// interface).
type Endpoint struct {
	ID, Network, Subnet string
	// Private addresses, primary first.
	Private []netip.Addr
	// PublicV4 are public IPv4 addresses mapped to private ones; V6 are
	// globally routable IPv6 addresses.
	PublicV4, V6 []netip.Addr
	Groups       []string
	Policies     []string
	// Host is the instance the endpoint is attached to; DeviceIndex orders
	// a host's endpoints (the lowest is its primary one).
	Host        string
	DeviceIndex int
	// Owner and OwnerType name a task that owns the endpoint (awsvpc).
	Owner, OwnerType string
	// Managed marks endpoints of managed services whose exposure is
	// analysed through the service (load balancer nodes) or that accept no
	// inbound connections (NAT gateways, VPC endpoints). ManagedReason
	// says why, for "why is it not exposed" answers.
	Managed       bool
	ManagedReason string
}

// Host is an instance that endpoints attach to.
type Host struct {
	ID    string
	State string
	// Down: the host accepts no connection in this state (stopped …).
	Down bool
	// Aliases are the other IDs the provider gives the host.
	Aliases []string
}

// Binding publishes a container port on a host port (ECS bridge and host
// network modes).
type Binding struct {
	Host                    string
	Owner, OwnerType        string // the task
	Container, Mode         string
	HostPort, ContainerPort int
	Protocols               Protocols
}

// Front is something that accepts connections on its own addresses and
// forwards them to targets (a load balancer).
type Front struct {
	ID string
	// Aliases are the other IDs the provider gives it (name, ARN).
	Aliases []string
	Type    string // result resource type, e.g. "elbv2_application"
	Kind    string // application | network | classic | gateway
	Network string
	// Public: reachable from the internet (internet-facing scheme).
	Public bool
	// Families the public side answers on.
	V4, V6  bool
	Subnets []string
	// Groups filter the front's own traffic; nil means none.
	Groups []string
	// Nodes are the front's own addresses towards its targets, per
	// subnet; subnets without a node fall back to the subnet's range.
	Nodes     []Node
	Listeners []Listener
	// ListenersMissing: the listeners could not be read.
	ListenersMissing string
}

// Node is one front node address.
type Node struct {
	Subnet string
	Addr   netip.Addr
}

// Listener is a front port.
type Listener struct {
	ID        string
	Port      int
	Protocols []Protocols
	// PassThrough: the front forwards the client's connection to the
	// target without terminating it (NLB TCP/UDP listeners), so the
	// listener is reachable only by clients some target admits.
	PassThrough bool
	Detail      string // proof text of the listener hop
	Forwards    []Forward
	// ForwardsMissing: forwarding rules that could not be read.
	ForwardsMissing []string
}

// Forward is one way a listener forwards: to a pool, for the clients in
// Sources (all clients when Restricted is false).
type Forward struct {
	ID         string
	Restricted bool
	Sources    []netip.Prefix
	Detail     string
	Pool       string
}

// Pool is a target group.
type Pool struct {
	ID         string
	Port       int
	Protocol   string
	TargetType string
	Network    string
	// PreserveClientIP: targets see the client's address (else the front
	// node's).
	PreserveClientIP bool
	// Detail is the proof text of the pool hop ("" for none: classic load
	// balancers forward straight to instances).
	Detail string
	// Missing: the pool itself is not in the data.
	Missing string
	// TargetsMissing: registered targets could not be read.
	TargetsMissing string
	Targets        []Target
}

// Target kinds.
const (
	TargetHost     = "host"     // an instance: its primary endpoint
	TargetAddr     = "addr"     // a private address in the pool's network
	TargetFunction = "function" // a serverless function (no network path)
	TargetFront    = "front"    // another front (analysed on its own)
)

// Target is one registered target.
type Target struct {
	Kind   string
	ID     string
	Port   int
	Health string
}

// Idle is a resource the source holds that has no network path at all
// (an ECS task publishing no port): kept so that "why is X not exposed"
// has an answer instead of "unknown resource".
type Idle struct {
	ID, Type, Reason string
}

// Lookup finds a resource by any ID the provider gives it and says what
// it is: its canonical ID (the one results carry), its type and, for
// resources with no path the engine evaluates, the reason.
func (r *Region) Lookup(id string) (canonical, typ, reason string, ok bool) {
	for i := range r.Fronts {
		f := &r.Fronts[i]
		if f.ID == id {
			return f.ID, f.Type, "", true
		}
		for _, a := range f.Aliases {
			if a == id {
				return f.ID, f.Type, "", true
			}
		}
	}
	for i := range r.Endpoints {
		e := &r.Endpoints[i]
		if e.ID == id {
			if e.Managed {
				return e.ID, "network_interface", e.ManagedReason, true
			}
			return e.ID, "network_interface", "", true
		}
	}
	for i := range r.Hosts {
		if r.Hosts[i].ID == id {
			return id, "ec2_instance", "the instance has no network interface in the data", true
		}
	}
	for i := range r.Idle {
		if r.Idle[i].ID == id {
			return id, r.Idle[i].Type, r.Idle[i].Reason, true
		}
	}
	return "", "", "", false
}
