package docker

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/sightline-sec/sightline/internal/workload"
	"github.com/sightline-sec/sightline/internal/workload/docker/dockertest"
)

// TestCollectUserNetworkIPv6: a container on a user-defined dual-stack
// network has both addresses, and its IPv6 binding is judged by whether
// the engine NATs IPv6 (ip6tables, the default from Engine 27) or relays
// it through docker-proxy.
func TestCollectUserNetworkIPv6(t *testing.T) {
	cli := dockertest.Engine(t)
	ctx := context.Background()
	tag, _ := dockertest.Image(t, cli)
	suffix := dockertest.RandomHex(4)
	b := dockertest.RandomHex(2)
	subnet := netip.MustParsePrefix(fmt.Sprintf("fd5e:%s:%s::/64", b, dockertest.RandomHex(2)))
	enable := true
	nw, err := cli.NetworkCreate(ctx, "sl-v6-"+suffix, client.NetworkCreateOptions{
		Driver: "bridge", EnableIPv6: &enable,
		IPAM: &network.IPAM{Config: []network.IPAMConfig{{Subnet: subnet}}},
	})
	if err != nil {
		t.Fatalf("creating a dual-stack network: %v", err)
	}
	t.Cleanup(func() {
		if _, err := cli.NetworkRemove(context.Background(), nw.ID, client.NetworkRemoveOptions{}); err != nil {
			t.Logf("removing network %s: %v", nw.ID, err)
		}
	})
	p := dockertest.Port(t, "8080/tcp")
	id := dockertest.MustRun(t, cli, "sl-v6-"+suffix, &container.Config{Image: tag}, &container.HostConfig{
		NetworkMode:  container.NetworkMode("sl-v6-" + suffix),
		PortBindings: network.PortMap{p: {{HostIP: netip.MustParseAddr("::")}}},
	})
	inv, err := Collect(ctx, Options{NoIMDS: true})
	if err != nil {
		t.Fatal(err)
	}
	w, ok := dockertest.ByID(inv.Workloads, id)[id]
	if !ok {
		t.Fatalf("container %s not collected", id)
	}
	if w.NetworkMode != "sl-v6-"+suffix {
		t.Errorf("network mode %q", w.NetworkMode)
	}
	var v4, v6 bool
	for _, a := range w.Addresses {
		ip := netip.MustParseAddr(a)
		v4 = v4 || ip.Is4()
		v6 = v6 || subnet.Contains(ip)
	}
	if !v4 || !v6 {
		t.Fatalf("addresses %v: want an IPv4 address and one in %s", w.Addresses, subnet)
	}
	info, err := cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var pub *workload.Port
	for i, pt := range w.Containers[0].Ports {
		if pt.Declared == "published" {
			pub = &w.Containers[0].Ports[i]
		}
	}
	if pub == nil || pub.HostIP != "::" || pub.HostPort == 0 || len(pub.Routes) != 1 {
		t.Fatalf("ports %+v", w.Containers[0].Ports)
	}
	f := pub.Routes[0].Fronts[0]
	nat := major(info.Info.ServerVersion) >= 27
	if f.PreservesClient != nat || f.Entry != "host" {
		t.Errorf("engine %s: front %+v, want preserves_client %v", info.Info.ServerVersion, f, nat)
	}
	want := "ip6tables DNAT"
	if !nat {
		want = "predates ip6tables-by-default"
	}
	if !strings.Contains(f.Detail, want) || !strings.Contains(f.Detail, "[::]:"+strconv.Itoa(pub.HostPort)) {
		t.Errorf("detail %q lacks %q", f.Detail, want)
	}
}
