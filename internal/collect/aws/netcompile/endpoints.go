package netcompile

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/netmodel"
)

// interfaces compiles network interfaces: describe-network-interfaces
// merged with the interfaces nested in describe-instances (used alone when
// the former is absent), their public addresses and owners.
func (c *compiler) interfaces() error {
	reg := c.reg
	type item struct {
		e             *snapshot.NetworkInterface
		inst, vpc, op string
	}
	n := len(reg.NetworkInterfaces)
	for i := range reg.Instances {
		n += len(reg.Instances[i].NetworkInterfaces)
	}
	items := make([]item, 0, n)
	seen := make(map[string]bool, n)
	for i := range reg.NetworkInterfaces {
		e := &reg.NetworkInterfaces[i]
		seen[e.NetworkInterfaceId] = true
		items = append(items, item{e: e, op: "ec2/describe-network-interfaces"})
	}
	c.out.Hosts = make([]netmodel.Host, 0, len(reg.Instances))
	for i := range reg.Instances {
		in := &reg.Instances[i]
		h := netmodel.Host{ID: in.InstanceId, State: in.State.Name}
		h.Down = h.State != "" && h.State != "running" && h.State != "pending"
		c.out.Hosts = append(c.out.Hosts, h)
		for j := range in.NetworkInterfaces {
			e := &in.NetworkInterfaces[j]
			if seen[e.NetworkInterfaceId] || e.NetworkInterfaceId == "" {
				continue
			}
			seen[e.NetworkInterfaceId] = true
			items = append(items, item{e: e, inst: in.InstanceId, vpc: in.VpcId, op: "ec2/describe-instances"})
		}
	}
	eip := map[string][]string{}
	for _, a := range reg.Addresses {
		if a.NetworkInterfaceId != "" && a.PublicIp != "" {
			eip[a.NetworkInterfaceId] = append(eip[a.NetworkInterfaceId], a.PublicIp)
		}
	}
	// Interfaces are independent: built in parallel (100k on the benchmark
	// estate), indexed in snapshot order, the first error in that order.
	out := make([]netmodel.Endpoint, len(items))
	errs := make([]error, len(items))
	parallelFor(len(items), func(i int) {
		it := items[i]
		out[i], errs[i] = c.endpoint(it.e, it.inst, it.vpc, it.op, eip[it.e.NetworkInterfaceId])
	})
	c.enis = make(map[string]int, len(out))
	for i := range out {
		if errs[i] != nil {
			return errs[i]
		}
		c.enis[out[i].ID] = i
	}
	c.out.Endpoints = out
	return nil
}

// endpoint compiles one interface (inst and vpc: its instance's, when it
// was listed inside describe-instances).
func (c *compiler) endpoint(e *snapshot.NetworkInterface, inst, vpc, op string, eips []string) (netmodel.Endpoint, error) {
	ep := netmodel.Endpoint{ID: e.NetworkInterfaceId, Network: e.VpcId, Subnet: e.SubnetId, Groups: groupIDs(e)}
	if ep.Network == "" {
		ep.Network = vpc
	}
	if e.Attachment != nil {
		ep.Host, ep.DeviceIndex = e.Attachment.InstanceId, e.Attachment.DeviceIndex
	}
	if inst != "" {
		ep.Host = inst
	}
	// An address that does not parse is bad input, not "no address":
	// dropping it would silently change the interface's reachability.
	var err error
	if ep.Private, err = c.addrs(privateIPs(e), op, e.NetworkInterfaceId); err != nil {
		return ep, err
	}
	v4, v6 := publicAddrs(e, eips)
	if ep.PublicV4, err = c.addrs(v4, op, e.NetworkInterfaceId); err != nil {
		return ep, err
	}
	if ep.V6, err = c.addrs(v6, op, e.NetworkInterfaceId); err != nil {
		return ep, err
	}
	ep.Managed, ep.ManagedReason = managed(e)
	return ep, nil
}

// addrs parses addresses; an error names the file and the interface.
func (c *compiler) addrs(ips []string, op, eni string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, ip := range ips {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return nil, fmt.Errorf("%s: network interface %s: bad IP address %q: %w", c.file(op), eni, ip, err)
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// managed reports interfaces of managed services whose exposure is
// analysed through the service (load balancer nodes) or that accept no
// inbound connection from the internet, and says why.
func managed(e *snapshot.NetworkInterface) (bool, string) {
	switch e.InterfaceType {
	case "vpc_endpoint", "gateway_load_balancer_endpoint":
		// AWS PrivateLink guide, "Access AWS services through AWS
		// PrivateLink": an interface endpoint has private IP addresses in
		// the subnet and is reached from within the VPC (or connected
		// networks), not from the internet.
		return true, "interface of a VPC endpoint (" + e.InterfaceType + "): private addresses only, reached from inside the VPC, never from the internet"
	case "nat_gateway":
		// VPC User Guide, "NAT gateways": instances in a private subnet
		// connect out; external services cannot initiate a connection.
		return true, "interface of a NAT gateway: it carries outbound connections only; nothing on the internet can open a connection through it"
	case "transit_gateway":
		return true, "interface of a transit gateway attachment: it forwards between attached networks and accepts no connection of its own"
	case "network_load_balancer", "gateway_load_balancer", "load_balancer":
		return true, "interface of a load balancer node (" + e.InterfaceType + "): its exposure is the load balancer's (see its results)"
	}
	if strings.HasPrefix(e.Description, "ELB ") {
		return true, "interface of a load balancer node (" + e.Description + "): its exposure is the load balancer's (see its results)"
	}
	return false, ""
}

func groupIDs(e *snapshot.NetworkInterface) []string {
	out := make([]string, 0, len(e.Groups))
	for _, g := range e.Groups {
		out = append(out, g.GroupId)
	}
	return out
}

func privateIPs(e *snapshot.NetworkInterface) []string {
	out := []string{}
	if e.PrivateIpAddress != "" {
		out = append(out, e.PrivateIpAddress)
	}
	for _, p := range e.PrivateIpAddresses {
		if p.PrivateIpAddress != "" && p.PrivateIpAddress != e.PrivateIpAddress {
			out = append(out, p.PrivateIpAddress)
		}
	}
	return out
}

// publicAddrs returns the interface's public IPv4 addresses (public IP or
// Elastic IP on any private address) and IPv6 addresses. VPC User Guide,
// "IP addressing": an instance reachable from the internet over IPv4 needs
// a public IPv4 or Elastic IP address mapped to a private one; IPv6
// addresses are globally unique and reachable through an internet gateway.
func publicAddrs(e *snapshot.NetworkInterface, eips []string) (v4, v6 []string) {
	add := func(ip string) {
		if ip != "" && !slices.Contains(v4, ip) {
			v4 = append(v4, ip)
		}
	}
	if e.Association != nil {
		add(e.Association.PublicIp)
	}
	for _, p := range e.PrivateIpAddresses {
		if p.Association != nil {
			add(p.Association.PublicIp)
		}
	}
	for _, ip := range eips {
		add(ip)
	}
	for _, a := range e.Ipv6Addresses {
		if a.Ipv6Address != "" {
			v6 = append(v6, a.Ipv6Address)
		}
	}
	return v4, v6
}

// ecs maps awsvpc task interfaces to tasks and bridge/host-mode port
// bindings to their container instance. ECS Developer Guide, "Task
// networking": awsvpc gives each task its own elastic network interface;
// in bridge mode a container port is published on a host port of the EC2
// instance (dynamic when hostPort is 0; the task's networkBindings hold the
// actual port); in host mode the container port is the host port.
func (c *compiler) ecs() {
	reg := c.reg
	ci := map[string]string{}
	for _, x := range reg.ContainerInstances {
		ci[x.ContainerInstanceArn] = x.Ec2InstanceId
	}
	for i := range reg.ECSTasks {
		t := &reg.ECSTasks[i]
		if t.LastStatus == "STOPPED" || t.LastStatus == "DEPROVISIONING" {
			continue
		}
		for _, at := range t.Attachments {
			if at.Type != "ElasticNetworkInterface" {
				continue
			}
			for _, d := range at.Details {
				if j, ok := c.enis[d.Value]; ok && d.Name == "networkInterfaceId" && d.Value != "" {
					c.out.Endpoints[j].Owner, c.out.Endpoints[j].OwnerType = t.TaskArn, "ecs_task"
				}
			}
		}
		c.hostBindings(t, ci[t.ContainerInstanceArn])
	}
	owners := map[string]bool{}
	for i := range c.out.Endpoints {
		owners[c.out.Endpoints[i].Owner] = true
	}
	bound := map[string]bool{}
	for _, b := range c.out.Bindings {
		bound[b.Owner] = true
	}
	for i := range reg.ECSTasks {
		t := &reg.ECSTasks[i]
		if t.LastStatus != "STOPPED" && t.LastStatus != "DEPROVISIONING" && !owners[t.TaskArn] && !bound[t.TaskArn] {
			c.out.Idle = append(c.out.Idle, netmodel.Idle{ID: t.TaskArn, Type: "ecs_task",
				Reason: "the task publishes no port (no network interface of its own and no port bound on a host)"})
		}
	}
}

// hostBindings records the bridge/host-mode ports a task publishes on
// its container instance inst.
func (c *compiler) hostBindings(t *snapshot.ECSTask, inst string) {
	reg := c.reg
	if inst == "" {
		return
	}
	td, hasTD := reg.TaskDefinitions[t.TaskDefinitionArn]
	mode := "bridge"
	if hasTD && td.NetworkMode != "" {
		mode = td.NetworkMode
	}
	if mode == "awsvpc" {
		return
	}
	bind := func(container string, hostPort, containerPort int, proto string) {
		c.out.Bindings = append(c.out.Bindings, netmodel.Binding{Host: inst, Owner: t.TaskArn, OwnerType: "ecs_task",
			Container: container, Mode: mode, HostPort: hostPort, ContainerPort: containerPort, Protocols: protoOf(proto)})
	}
	for _, ct := range t.Containers {
		for _, b := range ct.NetworkBindings {
			if b.HostPort > 0 {
				bind(ct.Name, b.HostPort, b.ContainerPort, b.Protocol)
			}
		}
		if len(ct.NetworkBindings) == 0 && hasTD && mode == "host" {
			for _, cd := range td.ContainerDefinitions {
				if cd.Name != ct.Name {
					continue
				}
				for _, pm := range cd.PortMappings {
					hp := pm.HostPort
					if hp == 0 {
						hp = pm.ContainerPort
					}
					bind(ct.Name, hp, pm.ContainerPort, pm.Protocol)
				}
			}
		}
	}
}

// protoOf maps an ECS protocol ("tcp", "udp"; tcp when empty).
func protoOf(s string) netmodel.Protocols {
	if strings.EqualFold(s, "udp") {
		return netmodel.UDP
	}
	return netmodel.TCP
}
