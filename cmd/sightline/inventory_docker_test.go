package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/workload"
	"github.com/sightline-sec/sightline/internal/workload/docker/dockertest"
)

// The Docker hosts of the docker-host scenario: sg-0dockopen admits the
// internet on tcp/1024-65535 (every host port the engine may pick),
// sg-0dockshut only SSH from one range.
const (
	openHost = "i-0d0c0000000000001"
	shutHost = "i-0d0c0000000000002"
)

// dockerFixture is the containers TestInventoryDocker starts on the real
// engine.
type dockerFixture struct {
	pub, loop, priv   string // container IDs
	pubPort, loopPort int    // host ports the engine picked
	dataDir           string // bound into priv
}

// startDockerFixture runs three containers of the test image: 8080/tcp
// published on 0.0.0.0 and on 127.0.0.1 (host ports chosen by the engine),
// and a privileged one with a host directory and the Docker socket bound.
func startDockerFixture(t *testing.T) dockerFixture {
	cli := dockertest.Engine(t)
	tag, _ := dockertest.Image(t, cli)
	suffix := dockertest.RandomHex(4)
	p := dockertest.Port(t, "8080/tcp")
	publish := func(ip string) *container.HostConfig {
		return &container.HostConfig{PortBindings: network.PortMap{p: {{HostIP: netip.MustParseAddr(ip)}}}}
	}
	fx := dockerFixture{dataDir: t.TempDir()}
	fx.pub = dockertest.MustRun(t, cli, "sl-pub-"+suffix, &container.Config{Image: tag}, publish("0.0.0.0"))
	fx.loop = dockertest.MustRun(t, cli, "sl-loop-"+suffix, &container.Config{Image: tag}, publish("127.0.0.1"))
	fx.priv = dockertest.MustRun(t, cli, "sl-priv-"+suffix, &container.Config{Image: tag}, &container.HostConfig{
		Privileged: true,
		Binds:      []string{fx.dataDir + ":/data", "/var/run/docker.sock:/var/run/docker.sock"},
	})
	fx.pubPort = dockertest.HostPorts(t, cli, fx.pub, p)["0.0.0.0"]
	fx.loopPort = dockertest.HostPorts(t, cli, fx.loop, p)["127.0.0.1"]
	if fx.pubPort == 0 || fx.loopPort == 0 {
		t.Fatalf("engine allocated host ports %d (0.0.0.0) and %d (127.0.0.1)", fx.pubPort, fx.loopPort)
	}
	// The servers run: the loopback binding answers.
	dockertest.HTTPGet(t, fmt.Sprintf("http://127.0.0.1:%d/", fx.loopPort))
	return fx
}

// TestInventoryDocker: `sightline inventory --docker` lists the containers
// the test started (by ID) with their ports, host IPs and risky settings,
// and each published port's verdict through the host's cloud path.
func TestInventoryDocker(t *testing.T) {
	fx := startDockerFixture(t)
	// A dead metadata endpoint (connection refused: no wait), so that the
	// host is unknown without --host-id wherever the test runs, EC2 included.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://"+l.Addr().String())
	l.Close()

	t.Run("json without host id", func(t *testing.T) {
		inv, raw, stderr := inventoryJSON(t, "--docker")
		got := dockertest.ByID(inv.Workloads, fx.pub, fx.loop, fx.priv)
		if len(got) != 3 {
			t.Fatalf("found %d of the 3 test containers", len(got))
		}
		checkPublished(t, got[fx.pub], "0.0.0.0", fx.pubPort, "docker_publish")
		checkPublished(t, got[fx.loop], "127.0.0.1", fx.loopPort, "docker_publish")
		checkPrivileged(t, got[fx.priv], fx.dataDir)
		for _, id := range []string{fx.pub, fx.loop, fx.priv} {
			w := got[id]
			if w.Source != workload.SourceDocker || w.Host == nil || w.Host.Name == "" || w.Host.InstanceID != "" {
				t.Errorf("%s: source %q host %+v, want a named host without instance", w.Name, w.Source, w.Host)
			}
			ct := w.Containers[0]
			if ct.User != dockertest.ImageUser || ct.Image.Confidence != "tag" {
				t.Errorf("%s: user %q image %+v", w.Name, ct.User, ct.Image)
			}
		}
		// Published on 0.0.0.0: the route's cloud part is unknown and
		// says how to give the host.
		v := route(t, got[fx.pub], 8080)
		if v.Verdict != exposure.Unknown || !anyContains(v.Missing, "give --host-id") {
			t.Errorf("0.0.0.0 route: %s missing %v, want unknown naming --host-id", v.Verdict, v.Missing)
		}
		checkLoopback(t, got[fx.loop])
		if !dockertest.HasGap(inv.Gaps, "EC2 instance of the Docker host", "pass --host-id") {
			t.Errorf("no gap about the unknown EC2 host: %+v", inv.Gaps)
		}
		if !strings.Contains(stderr, "EC2 instance of the Docker host") {
			t.Errorf("stderr does not warn about the unknown host: %q", stderr)
		}
		// The contract names of issue 8 on a Docker container's port.
		port := containerJSON(t, raw, fx.pub)["ports"].([]any)[0].(map[string]any)
		for _, k := range []string{"container_port", "protocol", "host_ip", "host_port"} {
			if _, ok := port[k]; !ok {
				t.Errorf("port lacks %q: %v", k, port)
			}
		}
	})

	t.Run("table", func(t *testing.T) {
		out, stderr, code := runCLI(t, "inventory", "--docker")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		t.Logf("\n%s", out)
		// Row by row (the last column wraps, so a row's first line holds
		// the start of its reason).
		for _, want := range [][]string{
			{"sl-priv-", "privileged,"},
			{"sl-pub-", "vm", "-", "docker-source:"}, // the image by repository name and tag
			{fmt.Sprintf("tcp/8080  127.0.0.1:%d", fx.loopPort), "not exposed", "bound to loopback:"},
			{fmt.Sprintf("tcp/8080  0.0.0.0:%d", fx.pubPort), "unknown", "missing: the cloud"},
			// other packages' tests may run containers at the same time:
			// the counts are at least this test's three
			{" workloads, ", " containers from the Docker engine"},
			{"- ", "EC2 instance of the Docker host: no --host-id"},
		} {
			if !hasRow(out, want...) {
				t.Errorf("table has no line with %q", want)
			}
		}
		// A published port is listed by its route, not by the direct path
		// its bridge network blocks.
		if hasRow(out, "sl-pub-", "tcp/8080", "direct") || !hasRow(out, "sl-priv-", "tcp/8080", "direct") {
			t.Errorf("a published port is listed by its direct path, or an unpublished one is not")
		}
		checkWidth(t, out, 80)
	})

	snap := scenarioDir("docker-host")
	t.Run("aws open host", func(t *testing.T) {
		inv, _, _ := inventoryJSON(t, "--docker", "--host-id", openHost, "--aws", snap)
		got := dockertest.ByID(inv.Workloads, fx.pub, fx.loop)
		if len(got) != 2 {
			t.Fatalf("found %d of the 2 published test containers", len(got))
		}
		if w := got[fx.pub]; w.Host == nil || w.Host.InstanceID != openHost || w.Host.InstanceFrom != "--host-id" {
			t.Errorf("host %+v, want %s from --host-id", w.Host, openHost)
		}
		v := route(t, got[fx.pub], 8080)
		if v.Verdict != exposure.Exposed || !slices.Contains(v.Sources, "0.0.0.0/0") || v.Width != "wide" {
			t.Errorf("0.0.0.0 route: %s sources %v width %q, want exposed from 0.0.0.0/0", v.Verdict, v.Sources, v.Width)
		}
		if !hasHop(v.Path, "security_group", "sg-0dockopen") || !hasHop(v.Path, "docker_publish", "") {
			t.Errorf("proof lacks the host's security group or the publish: %+v", v.Path)
		}
		checkLoopback(t, got[fx.loop])
		if dockertest.HasGap(inv.Gaps, "EC2 instance", "") {
			t.Errorf("host gap despite --host-id: %+v", inv.Gaps)
		}
	})

	t.Run("aws closed host", func(t *testing.T) {
		inv, _, _ := inventoryJSON(t, "--docker", "--host-id", shutHost, "--aws", snap)
		v := route(t, dockertest.ByID(inv.Workloads, fx.pub)[fx.pub], 8080)
		if v.Verdict != exposure.NotExposed || v.BlockedBy == nil || v.BlockedBy.Kind != "security_group" || v.BlockedBy.ID != "sg-0dockshut" {
			t.Errorf("0.0.0.0 route: %s blocked by %+v, want not_exposed by security_group sg-0dockshut", v.Verdict, v.BlockedBy)
		}
		out, stderr, code := runCLI(t, "inventory", "--docker", "--host-id", shutHost, "--aws", snap)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		t.Logf("\n%s", out)
		if !hasRow(out, fmt.Sprintf("tcp/8080  0.0.0.0:%d", fx.pubPort), "not exposed", "blocked by") || !strings.Contains(out, "sg-0dockshut") {
			t.Errorf("table does not name the blocking group:\n%s", out)
		}
		checkWidth(t, out, 80)
		// --all lists every verdict: the published port's direct path too.
		out, _, code = runCLI(t, "inventory", "--docker", "--host-id", shutHost, "--aws", snap, "--all")
		if code != 0 || !hasRow(out, "sl-pub-", "tcp/8080", "direct", "not exposed") {
			t.Errorf("--all: exit %d, no direct line for the published port:\n%s", code, out)
		}
	})

	t.Run("exposure why", func(t *testing.T) {
		name := dockertest.ByID(mustInventory(t), fx.pub)[fx.pub].Name
		for _, ref := range []string{name, fx.pub[:12]} {
			out, stderr, code := runCLI(t, "exposure", "--docker", "--host-id", openHost, "--aws", snap,
				"--why", ref+":tcp/8080", "--format", "json")
			if code != 0 {
				t.Fatalf("%s: exit %d: %s", ref, code, stderr)
			}
			var rep exposure.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			var routed bool
			directs := 0
			for _, r := range rep.Results {
				if r.Via == "" {
					directs++
					if r.BlockedBy == nil || !strings.Contains(r.BlockedBy.Detail, "reached only through its published ports") {
						t.Errorf("%s: direct path of a published port: %+v", ref, r.BlockedBy)
					}
				}
				if r.ResourceType != "container" || r.FromPort != 8080 || !strings.HasPrefix(r.Resource, fx.pub) {
					t.Errorf("%s: result %s %s/%d is not the container port", ref, r.Resource, r.Protocol, r.FromPort)
				}
				if r.Via != "" {
					routed = r.Verdict == exposure.Exposed && hasKind(r.Path, "security_group")
				}
			}
			if !routed || directs != 1 {
				t.Errorf("%s: no exposed route through the host's security group, or %d direct paths (want 1):\n%s", ref, directs, out)
			}
		}
	})

	t.Run("aws host not in snapshot", func(t *testing.T) {
		inv, _, _ := inventoryJSON(t, "--docker", "--host-id", "i-0123456789abcdef0", "--aws", snap)
		v := route(t, dockertest.ByID(inv.Workloads, fx.pub)[fx.pub], 8080)
		if v.Verdict != exposure.Unknown || !anyContains(v.Missing, "i-0123456789abcdef0 is not in the cloud results") {
			t.Errorf("0.0.0.0 route: %s missing %v, want unknown naming the instance", v.Verdict, v.Missing)
		}
	})
}

// mustInventory is `inventory --docker --format json`'s workloads.
func mustInventory(t *testing.T) []workload.Workload {
	t.Helper()
	inv, _, _ := inventoryJSON(t, "--docker")
	return inv.Workloads
}

// inventoryJSON runs `inventory --format json` with args and decodes it.
func inventoryJSON(t *testing.T, args ...string) (workload.Inventory, map[string]any, string) {
	t.Helper()
	out, stderr, code := runCLI(t, append([]string{"inventory", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var inv workload.Inventory
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &inv); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	return inv, raw, stderr
}

// containerJSON is the raw JSON of the first container of workload docker:id.
func containerJSON(t *testing.T, raw map[string]any, id string) map[string]any {
	t.Helper()
	for _, w := range raw["workloads"].([]any) {
		w := w.(map[string]any)
		if w["id"] == "docker:"+id {
			return w["containers"].([]any)[0].(map[string]any)
		}
	}
	t.Fatalf("workload docker:%s not in the JSON", id)
	return nil
}

// checkPublished: 8080/tcp published on ip:hostPort through one front of
// kind, 9090/udp only declared; a direct verdict for each port.
func checkPublished(t *testing.T, w workload.Workload, ip string, hostPort int, kind string) {
	t.Helper()
	ct := w.Containers[0]
	var pub *workload.Port
	for i, p := range ct.Ports {
		if p.Declared == "published" {
			if pub != nil {
				t.Fatalf("%s: more than one published port: %+v", w.Name, ct.Ports)
			}
			pub = &ct.Ports[i]
		}
	}
	if pub == nil || pub.ContainerPort != 8080 || pub.Protocol != "tcp" || pub.HostIP != ip || pub.HostPort != hostPort ||
		len(pub.Routes) != 1 || len(pub.Routes[0].Fronts) != 1 || pub.Routes[0].Fronts[0].Kind != kind {
		t.Fatalf("%s: published port %+v, want tcp/8080 on %s:%d through %s", w.Name, pub, ip, hostPort, kind)
	}
	if len(ct.Ports) != 2 || ct.Ports[1].ContainerPort != 9090 || ct.Ports[1].Protocol != "udp" || ct.Ports[1].HostPort != 0 {
		t.Errorf("%s: ports %+v, want 9090/udp declared only", w.Name, ct.Ports)
	}
	// One direct verdict per port, one per route: the bridge network has
	// no cloud interface of its own.
	if len(ct.Exposure) != 3 {
		t.Fatalf("%s: %d verdicts, want 3: %+v", w.Name, len(ct.Exposure), ct.Exposure)
	}
	for _, v := range ct.Exposure {
		if v.Via == "" && (v.Verdict != exposure.NotExposed || v.BlockedBy == nil || v.BlockedBy.Kind != "workload") {
			t.Errorf("%s: direct %s/%d: %s blocked by %+v", w.Name, v.Protocol, v.ContainerPort, v.Verdict, v.BlockedBy)
		}
	}
}

// checkLoopback: a port published on 127.0.0.1 is not exposed, blocked by
// the publish itself, whatever the host's cloud path.
func checkLoopback(t *testing.T, w workload.Workload) {
	t.Helper()
	v := route(t, w, 8080)
	if v.Verdict != exposure.NotExposed || v.BlockedBy == nil || v.BlockedBy.Kind != "docker_publish" ||
		!strings.Contains(v.BlockedBy.Detail, "reachable from the host only") {
		t.Errorf("127.0.0.1 route: %s blocked by %+v, want not_exposed by the loopback publish", v.Verdict, v.BlockedBy)
	}
}

func checkPrivileged(t *testing.T, w workload.Workload, dataDir string) {
	t.Helper()
	ct := w.Containers[0]
	if !ct.Privileged {
		t.Errorf("%s: not privileged", w.Name)
	}
	var data, sock bool
	for _, m := range ct.Mounts {
		data = data || m.Source == dataDir && m.Destination == "/data" && m.HostPath && !m.RuntimeSocket
		sock = sock || m.Destination == "/var/run/docker.sock" && m.HostPath && m.RuntimeSocket
	}
	if !data || !sock {
		t.Errorf("%s: mounts %+v, want the host directory and the runtime socket", w.Name, ct.Mounts)
	}
	for _, p := range ct.Ports {
		if p.HostPort != 0 || len(p.Routes) != 0 {
			t.Errorf("%s: unpublished container has port %+v", w.Name, p)
		}
	}
}

// route is the verdict of the one route (via a front) of container port
// tcp/port.
func route(t *testing.T, w workload.Workload, port int) workload.Verdict {
	t.Helper()
	var out []workload.Verdict
	for _, v := range w.Containers[0].Exposure {
		if v.Via != "" && v.Protocol == "tcp" && v.ContainerPort == port {
			out = append(out, v)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%s: %d routes for tcp/%d: %+v", w.Name, len(out), port, w.Containers[0].Exposure)
	}
	return out[0]
}

func hasHop(path []workload.Hop, kind, id string) bool {
	for _, h := range path {
		if h.Kind == kind && (id == "" || h.ID == id) {
			return true
		}
	}
	return false
}

func anyContains(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

func checkWidth(t *testing.T, out string, width int) {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if n := len([]rune(l)); n > width {
			t.Errorf("line of %d columns (> %d): %q", n, width, l)
		}
	}
}

// hasRow reports whether some line of out contains every part, in order.
func hasRow(out string, parts ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		rest, ok := l, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}
