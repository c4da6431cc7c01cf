package docker

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/sightline-sec/sightline/internal/workload"
)

// Front kinds and entries this source produces (see workload.Front).
const (
	frontPublish     = "docker_publish"
	frontHostNetwork = "host_network"
	entryHost        = "host"
	entryLoopback    = "loopback"
)

// Documentation the proof texts cite.
const (
	docPublish = "https://docs.docker.com/engine/network/port-publishing/"
	docHostNet = "https://docs.docker.com/engine/network/drivers/host/"
	docIPv6    = "https://docs.docker.com/engine/daemon/ipv6/"
)

// ports lists the container's ports and how each is reached:
//   - bridge and user networks: every binding the engine made (its
//     NetworkSettings.Ports, which include -P and ephemeral host ports as
//     actually allocated) is one Port with one docker_publish route; a
//     port that is only EXPOSEd is a Port without a route;
//   - host network: the container's ports are host ports (the EXPOSEd
//     ones are listed with a host_network route; the others it opens are
//     unknown to the engine: a Gap);
//   - none: no ports;
//   - container:<id>: the ports belong to that container's network
//     namespace and are published there; EXPOSEd ports are listed without
//     a route.
func (r reader) ports(c container.InspectResponse, hc *container.HostConfig, cfg *container.Config) ([]workload.Port, []workload.Gap) {
	out := []workload.Port{}
	mode := hc.NetworkMode
	switch {
	case mode.IsNone():
		return out, nil
	case mode.IsHost():
		return r.hostNetworkPorts(c, cfg)
	}
	var bindings network.PortMap
	if c.NetworkSettings != nil && !mode.IsContainer() {
		bindings = c.NetworkSettings.Ports
	}
	keys := map[network.Port]bool{}
	for p := range cfg.ExposedPorts {
		keys[p] = true
	}
	for p := range bindings {
		keys[p] = true
	}
	v6 := hasIPv6(c.NetworkSettings)
	for _, p := range sortedPorts(keys) {
		bs := bindings[p]
		if len(bs) == 0 {
			out = append(out, workload.Port{ContainerPort: int(p.Num()), Protocol: string(p.Proto()), Declared: "expose"})
			continue
		}
		for _, b := range bs {
			out = append(out, r.published(c.ID, p, b, v6))
		}
	}
	sortPorts(out)
	return out, nil
}

// published is one host binding of a container port.
func (r reader) published(id string, p network.Port, b network.PortBinding, containerV6 bool) workload.Port {
	proto := string(p.Proto())
	hostPort, _ := strconv.Atoi(b.HostPort)
	hostIP := ""
	if b.HostIP.IsValid() {
		hostIP = b.HostIP.String()
	}
	f := workload.Front{
		Kind:        frontPublish,
		ID:          fmt.Sprintf("docker:%s:%s/%s", id, hostAddrPort(b.HostIP, hostPort), proto),
		ListenProto: proto,
		ListenPort:  hostPort,
		TargetPort:  int(p.Num()),
		Entry:       entryHost,
	}
	f.PreservesClient, f.Detail = r.publishDetail(b.HostIP, hostPort, int(p.Num()), proto, containerV6)
	if b.HostIP.IsLoopback() {
		f.Entry = entryLoopback
	}
	return workload.Port{
		ContainerPort: int(p.Num()),
		Protocol:      proto,
		HostIP:        hostIP,
		HostPort:      hostPort,
		Declared:      "published",
		Routes:        []workload.Route{{Fronts: []workload.Front{f}}},
	}
}

// publishDetail says how the engine forwards a published port and whether
// the container sees the client's address. Per Docker's port-publishing
// documentation, remote clients reach a published port through a DNAT rule
// (iptables for IPv4, ip6tables for IPv6), which rewrites only the
// destination, so the client address is kept; the userland docker-proxy
// serves what NAT cannot — connections from the host itself (loopback) and
// IPv6 clients of a container that has no IPv6 address — and it opens a new
// connection to the container, so the container sees the proxy's address.
func (r reader) publishDetail(ip netip.Addr, hostPort, ctrPort int, proto string, containerV6 bool) (bool, string) {
	at := hostAddrPort(ip, hostPort)
	to := fmt.Sprintf("container port %d/%s", ctrPort, proto)
	switch {
	case ip.IsLoopback():
		d := fmt.Sprintf("published on %s (loopback): reachable from the host only; docker-proxy relays to %s, so the container sees the proxy's address, not the client's (%s)", at, to, docPublish)
		if major(r.engineVersion) > 0 && major(r.engineVersion) < 28 {
			d += fmt.Sprintf("; engine %s is older than 28.0, where hosts on the same layer-2 segment can also reach ports published to localhost (moby/moby#45610)", r.engineVersion)
		}
		return false, d
	case ip.Is6() && !ip.Is4In6() && !containerV6:
		return false, fmt.Sprintf("published on %s (IPv6) to a container without an IPv6 address: docker-proxy accepts IPv6 clients and opens an IPv4 connection to %s, so the container sees the proxy's address, not the client's (%s)", at, to, docIPv6)
	case ip.Is6() && !ip.Is4In6() && major(r.engineVersion) > 0 && major(r.engineVersion) < 27:
		return false, fmt.Sprintf("published on %s (IPv6): engine %s predates ip6tables-by-default (27.0), so unless ip6tables was enabled docker-proxy relays to %s and the container sees the proxy's address (%s)", at, r.engineVersion, to, docIPv6)
	}
	fam := "iptables"
	if ip.Is6() && !ip.Is4In6() {
		fam = "ip6tables"
	}
	where := "every host address of the family"
	if ip.IsValid() && !ip.IsUnspecified() {
		where = "host address " + ip.String() + " only"
	}
	return true, fmt.Sprintf("published on %s (%s): an %s DNAT rule forwards to %s, rewriting only the destination, so the container sees the client's address (%s)", at, where, fam, to, docPublish)
}

// hostNetworkPorts lists a host-network container's EXPOSEd ports as host
// ports. The engine does not know which ports the process opens, so the
// list is a lower bound: a Gap says so.
func (r reader) hostNetworkPorts(c container.InspectResponse, cfg *container.Config) ([]workload.Port, []workload.Gap) {
	out := []workload.Port{}
	keys := map[network.Port]bool{}
	for p := range cfg.ExposedPorts {
		keys[p] = true
	}
	for _, p := range sortedPorts(keys) {
		n, proto := int(p.Num()), string(p.Proto())
		out = append(out, workload.Port{
			ContainerPort: n,
			Protocol:      proto,
			HostPort:      n,
			Declared:      "expose",
			Routes: []workload.Route{{Fronts: []workload.Front{{
				Kind:            frontHostNetwork,
				ID:              fmt.Sprintf("docker:%s:host:%d/%s", c.ID, n, proto),
				ListenProto:     proto,
				ListenPort:      n,
				TargetPort:      n,
				Entry:           entryHost,
				PreservesClient: true,
				Detail:          fmt.Sprintf("host network mode: the container shares the host's network stack, so %d/%s is a host port on every address it listens on, with no translation (%s)", n, proto, docHostNet),
			}}}},
		})
	}
	gap := workload.Gap{
		Source: workload.SourceDocker,
		What:   "ports of host-network container " + strings.TrimPrefix(c.Name, "/"),
		Reason: fmt.Sprintf("the engine does not record which ports a host-network container opens; every port it listens on is a host port, and only the %d EXPOSEd port(s) are listed", len(out)),
		Input:  r.endpoint,
	}
	return out, []workload.Gap{gap}
}

func hostAddrPort(ip netip.Addr, port int) string {
	if !ip.IsValid() {
		return fmt.Sprintf("*:%d", port)
	}
	return netip.AddrPortFrom(ip, uint16(port)).String()
}

func hasIPv6(ns *container.NetworkSettings) bool {
	if ns == nil {
		return false
	}
	for _, ep := range ns.Networks {
		if ep != nil && ep.GlobalIPv6Address.IsValid() && !ep.GlobalIPv6Address.IsUnspecified() {
			return true
		}
	}
	return false
}

// major is the engine's major version ("20.10.24+dfsg1" → 20), 0 if unknown.
func major(v string) int {
	n, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	return n
}

func sortedPorts(set map[network.Port]bool) []network.Port {
	return slices.SortedFunc(maps.Keys(set), func(a, b network.Port) int {
		if a.Num() != b.Num() {
			return int(a.Num()) - int(b.Num())
		}
		return strings.Compare(string(a.Proto()), string(b.Proto()))
	})
}

func sortPorts(ps []workload.Port) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.ContainerPort != b.ContainerPort {
			return a.ContainerPort < b.ContainerPort
		}
		if a.Protocol != b.Protocol {
			return a.Protocol < b.Protocol
		}
		if a.HostIP != b.HostIP {
			return a.HostIP < b.HostIP
		}
		return a.HostPort < b.HostPort
	})
}
