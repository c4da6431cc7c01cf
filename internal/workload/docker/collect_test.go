package docker

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/sightline-sec/sightline/internal/workload"
	"github.com/sightline-sec/sightline/internal/workload/docker/dockertest"
)

// TestCollect runs containers of every shape on the real engine and checks
// what Collect reports for exactly those containers.
func TestCollect(t *testing.T) {
	cli := dockertest.Engine(t)
	ctx := context.Background()
	tag, imageID := dockertest.Image(t, cli)
	suffix := dockertest.RandomHex(4)
	base := func() *container.Config { return &container.Config{Image: tag} }

	// web: 8080/tcp published on 0.0.0.0, 127.0.0.1 and (when the engine
	// can bind it) [::], each on a host port the engine picks.
	p8080 := dockertest.Port(t, "8080/tcp")
	bindings := []network.PortBinding{
		{HostIP: netip.MustParseAddr("0.0.0.0")},
		{HostIP: netip.MustParseAddr("127.0.0.1")},
		{HostIP: netip.MustParseAddr("::")},
	}
	web, err := dockertest.Run(t, cli, "sl-web-"+suffix, base(), &container.HostConfig{PortBindings: network.PortMap{p8080: bindings}})
	ipv6 := true
	if err != nil {
		// An engine on a host without IPv6 cannot bind [::]; then the
		// IPv6 case is not testable here, and the test says so.
		t.Logf("engine refused an IPv6 binding (%v); testing IPv4 bindings only", err)
		ipv6 = false
		web = dockertest.MustRun(t, cli, "sl-web4-"+suffix, base(), &container.HostConfig{PortBindings: network.PortMap{p8080: bindings[:2]}})
	}
	priv := dockertest.MustRun(t, cli, "sl-priv-"+suffix, base(), &container.HostConfig{Privileged: true, PidMode: "host", IpcMode: "host"})
	dataDir := t.TempDir()
	mnt := dockertest.MustRun(t, cli, "sl-mounts-"+suffix, base(), &container.HostConfig{
		Binds: []string{dataDir + ":/data:ro", "/var/run/docker.sock:/var/run/docker.sock"},
		Tmpfs: map[string]string{"/scratch": "rw,size=1m"},
	})
	hostPort := freePort(t)
	hostCfg := base()
	hostCfg.Env = []string{"PORT=" + strconv.Itoa(hostPort)}
	hostnet := dockertest.MustRun(t, cli, "sl-hostnet-"+suffix, hostCfg, &container.HostConfig{NetworkMode: "host"})
	roCfg := base()
	roCfg.User = "1000:1000"
	ro := dockertest.MustRun(t, cli, "sl-ro-"+suffix, roCfg, &container.HostConfig{
		ReadonlyRootfs: true, CapAdd: []string{"NET_BIND_SERVICE"}, CapDrop: []string{"ALL"},
	})
	none := dockertest.MustRun(t, cli, "sl-none-"+suffix, base(), &container.HostConfig{NetworkMode: "none"})
	// joined: shares web's network namespace (its server cannot bind 8080
	// again, so it listens elsewhere and stays up).
	joinedCfg := base()
	joinedCfg.Env = []string{"PORT=8081"}
	joined := dockertest.MustRun(t, cli, "sl-joined-"+suffix, joinedCfg, &container.HostConfig{NetworkMode: container.NetworkMode("container:" + web)})

	// What the engine allocated, read back independently of Collect.
	allocated := dockertest.HostPorts(t, cli, web, p8080) // host IP → host port
	if len(allocated) != len(bindings) && ipv6 || len(allocated) < 2 {
		t.Fatalf("engine allocated %v for %d bindings", allocated, len(bindings))
	}
	// The server answers on the loopback binding: the container runs.
	dockertest.HTTPGet(t, fmt.Sprintf("http://127.0.0.1:%d/", allocated["127.0.0.1"]))

	start := time.Now()
	inv, err := Collect(ctx, Options{HostID: "i-0123456789abcdef0", Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Collect: %d running containers in %s", len(inv.Workloads), time.Since(start))
	if inv.Schema != workload.Schema {
		t.Errorf("schema %q", inv.Schema)
	}
	got := dockertest.ByID(inv.Workloads, web, priv, mnt, hostnet, ro, none, joined)
	if len(got) != 7 {
		t.Fatalf("found %d of the 7 test containers: %v", len(got), got)
	}
	info, err := cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for id, w := range got {
		if w.Kind != "container" || w.Source != workload.SourceDocker || len(w.Containers) != 1 {
			t.Errorf("%s: kind %q source %q %d containers", id, w.Kind, w.Source, len(w.Containers))
			continue
		}
		if w.Host == nil || w.Host.Name != info.Info.Name || w.Host.InstanceID != "i-0123456789abcdef0" || w.Host.InstanceFrom != "--host-id" {
			t.Errorf("%s: host %+v, want %s i-0123456789abcdef0 from --host-id", w.Name, w.Host, info.Info.Name)
		}
		c := w.Containers[0]
		if c.Name != w.Name || !strings.HasPrefix(w.Name, "sl-") {
			t.Errorf("%s: names %q / %q", id, w.Name, c.Name)
		}
		// A loaded image has no repo digest: the join is by tag.
		if c.Image.Ref != tag || c.Image.ID != imageID || c.Image.Digest != "" || c.Image.Confidence != "tag" {
			t.Errorf("%s: image %+v, want ref %s id %s, no digest, confidence tag", w.Name, c.Image, tag, imageID)
		}
		if c.Exposure != nil {
			t.Errorf("%s: exposure set by the source", w.Name)
		}
	}
	for _, g := range inv.Gaps {
		if strings.Contains(g.What, "EC2 instance") {
			t.Errorf("host gap despite --host-id: %+v", g)
		}
	}

	t.Run("published", func(t *testing.T) {
		w := got[web]
		c := w.Containers[0]
		if w.NetworkMode != "default" && w.NetworkMode != "bridge" || w.HostNetwork {
			t.Errorf("network mode %q host %v", w.NetworkMode, w.HostNetwork)
		}
		if len(w.Addresses) == 0 {
			t.Errorf("no container address")
		}
		if c.User != dockertest.ImageUser || c.Privileged || c.ReadOnlyRootFS {
			t.Errorf("user %q privileged %v ro %v", c.User, c.Privileged, c.ReadOnlyRootFS)
		}
		want := []workload.Port{}
		type exp struct {
			ip       string
			entry    string
			preserve bool
		}
		exps := []exp{{"0.0.0.0", "host", true}, {"127.0.0.1", "loopback", false}}
		if ipv6 {
			exps = append(exps, exp{"::", "host", false}) // no IPv6 address in the container: docker-proxy
		}
		for _, e := range exps {
			hp := allocated[e.ip]
			if hp == 0 {
				t.Fatalf("no host port allocated on %s", e.ip)
			}
			want = append(want, workload.Port{ContainerPort: 8080, Protocol: "tcp", HostIP: e.ip, HostPort: hp, Declared: "published",
				Routes: []workload.Route{{Fronts: []workload.Front{{
					Kind: "docker_publish", ID: fmt.Sprintf("docker:%s:%s/tcp", web, netip.AddrPortFrom(netip.MustParseAddr(e.ip), uint16(hp))),
					ListenProto: "tcp", ListenPort: hp, TargetPort: 8080, Entry: e.entry, PreservesClient: e.preserve,
				}}}}})
		}
		want = append(want, workload.Port{ContainerPort: 9090, Protocol: "udp", Declared: "expose"})
		checkPorts(t, c.Ports, want)
		// The proofs say how each binding forwards.
		details := map[string][]string{
			"0.0.0.0":   {"iptables DNAT", "sees the client's address"},
			"127.0.0.1": {"reachable from the host only", "docker-proxy"},
			"::":        {"docker-proxy", "without an IPv6 address"},
		}
		if major(info.Info.ServerVersion) < 28 {
			details["127.0.0.1"] = append(details["127.0.0.1"], "moby/moby#45610")
		}
		for _, p := range c.Ports {
			for _, r := range p.Routes {
				for _, s := range details[p.HostIP] {
					if !strings.Contains(r.Fronts[0].Detail, s) {
						t.Errorf("%s detail %q lacks %q", p.HostIP, r.Fronts[0].Detail, s)
					}
				}
			}
		}
	})

	t.Run("privileged", func(t *testing.T) {
		w := got[priv]
		c := w.Containers[0]
		if !c.Privileged || !w.HostPID || !w.HostIPC || w.HostNetwork {
			t.Errorf("privileged %v pid %v ipc %v net %v", c.Privileged, w.HostPID, w.HostIPC, w.HostNetwork)
		}
		checkPorts(t, c.Ports, []workload.Port{
			{ContainerPort: 8080, Protocol: "tcp", Declared: "expose"},
			{ContainerPort: 9090, Protocol: "udp", Declared: "expose"},
		})
		if w.Labels["org.opencontainers.image.title"] != dockertest.ImageTitle {
			t.Errorf("labels %v", w.Labels)
		}
	})

	t.Run("mounts", func(t *testing.T) {
		c := got[mnt].Containers[0]
		want := []workload.Mount{
			{Type: "bind", Source: dataDir, Destination: "/data", ReadOnly: true, HostPath: true},
			{Type: "tmpfs", Destination: "/scratch"},
			{Type: "bind", Source: "/var/run/docker.sock", Destination: "/var/run/docker.sock", HostPath: true, RuntimeSocket: true},
		}
		if !slices.Equal(c.Mounts, want) {
			t.Errorf("mounts\n got %+v\nwant %+v", c.Mounts, want)
		}
		if c.Privileged {
			t.Errorf("privileged")
		}
	})

	t.Run("host network", func(t *testing.T) {
		w := got[hostnet]
		if !w.HostNetwork || w.NetworkMode != "host" || len(w.Addresses) != 0 {
			t.Errorf("host network %v mode %q addresses %v", w.HostNetwork, w.NetworkMode, w.Addresses)
		}
		fr := func(n int, proto string) []workload.Route {
			return []workload.Route{{Fronts: []workload.Front{{Kind: "host_network", ID: fmt.Sprintf("docker:%s:host:%d/%s", hostnet, n, proto),
				ListenProto: proto, ListenPort: n, TargetPort: n, Entry: "host", PreservesClient: true}}}}
		}
		checkPorts(t, w.Containers[0].Ports, []workload.Port{
			{ContainerPort: 8080, Protocol: "tcp", HostPort: 8080, Declared: "expose", Routes: fr(8080, "tcp")},
			{ContainerPort: 9090, Protocol: "udp", HostPort: 9090, Declared: "expose", Routes: fr(9090, "udp")},
		})
		if !dockertest.HasGap(inv.Gaps, "host-network container "+w.Name, "does not record which ports") {
			t.Errorf("no gap for the unknown ports of %s: %+v", w.Name, inv.Gaps)
		}
	})

	t.Run("read-only non-root", func(t *testing.T) {
		c := got[ro].Containers[0]
		if !c.ReadOnlyRootFS || c.User != "1000:1000" || !slices.Equal(c.CapAdd, []string{"CAP_NET_BIND_SERVICE"}) && !slices.Equal(c.CapAdd, []string{"NET_BIND_SERVICE"}) || len(c.CapDrop) != 1 {
			t.Errorf("ro %v user %q add %v drop %v", c.ReadOnlyRootFS, c.User, c.CapAdd, c.CapDrop)
		}
	})

	t.Run("network of another container", func(t *testing.T) {
		w := got[joined]
		if w.NetworkMode != "container:"+web || len(w.Addresses) != 0 {
			t.Errorf("mode %q addresses %v", w.NetworkMode, w.Addresses)
		}
		checkPorts(t, w.Containers[0].Ports, []workload.Port{
			{ContainerPort: 8080, Protocol: "tcp", Declared: "expose"},
			{ContainerPort: 9090, Protocol: "udp", Declared: "expose"},
		})
	})

	t.Run("network none", func(t *testing.T) {
		w := got[none]
		if w.NetworkMode != "none" || len(w.Containers[0].Ports) != 0 || w.Containers[0].Ports == nil || len(w.Addresses) != 0 {
			t.Errorf("mode %q ports %v addresses %v", w.NetworkMode, w.Containers[0].Ports, w.Addresses)
		}
	})
}

// checkPorts compares ports, ignoring the proof text (checked separately)
// but requiring one on every front.
func checkPorts(t *testing.T, got, want []workload.Port) {
	t.Helper()
	strip := func(ps []workload.Port, needDetail bool) []workload.Port {
		out := make([]workload.Port, len(ps))
		for i, p := range ps {
			out[i] = p
			out[i].Routes = nil
			for _, r := range p.Routes {
				var fs []workload.Front
				for _, f := range r.Fronts {
					if needDetail && f.Detail == "" {
						t.Errorf("front %s has no detail", f.ID)
					}
					f.Detail = ""
					fs = append(fs, f)
				}
				out[i].Routes = append(out[i].Routes, workload.Route{Fronts: fs})
			}
		}
		return out
	}
	g, w := fmt.Sprintf("%+v", strip(got, true)), fmt.Sprintf("%+v", strip(want, false))
	if g != w {
		t.Errorf("ports\n got %s\nwant %s", g, w)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
