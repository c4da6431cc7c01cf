package main

import (
	"encoding/json"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/sightline-sec/sightline/internal/risk"
	"github.com/sightline-sec/sightline/internal/workload/docker/dockertest"
)

// TestAssessDocker runs assess on the live Docker engine: the test server
// on the vulnerable Debian 12 package set, in two containers — one
// publishing 8080 on 0.0.0.0 of the open host of the docker-host scenario,
// one on 127.0.0.1 — scanned from the engine (--images docker:TAG) and
// joined by tag (a `docker load`ed image has no registry digest).
func TestAssessDocker(t *testing.T) {
	cli := dockertest.Engine(t)
	tag, _ := dockertest.ImageWith(t, cli, vulnerableDebian(t))
	suffix := dockertest.RandomHex(4)
	p := dockertest.Port(t, "8080/tcp")
	publish := func(ip string) *container.HostConfig {
		return &container.HostConfig{PortBindings: network.PortMap{p: {{HostIP: netip.MustParseAddr(ip)}}}}
	}
	pub := dockertest.MustRun(t, cli, "sl-apub-"+suffix, &container.Config{Image: tag}, publish("0.0.0.0"))
	loop := dockertest.MustRun(t, cli, "sl-aloop-"+suffix, &container.Config{Image: tag}, publish("127.0.0.1"))
	l, err := net.Listen("tcp", "127.0.0.1:0") // a dead metadata endpoint: the host is what --host-id says
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://"+l.Addr().String())
	l.Close()

	c := assessDB(t)
	args := []string{"assess", "--docker", "--host-id", openHost, "--aws", scenarioDir("docker-host"), "--offline", "--images", "docker:" + tag}
	out := c.ok(append(args, "--format", "json")...)
	var rep risk.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%.400s", err, out)
	}
	if len(rep.Risks) == 0 {
		t.Fatalf("no risks: %.600s", out)
	}
	top := rep.Risks[0]
	ids := map[string]string{}
	for _, w := range top.Workloads {
		ids[w.ID] = w.Class
	}
	if ids["docker:"+pub] != risk.ReachWide || ids["docker:"+loop] != risk.ReachInternal || len(top.Workloads) != 2 {
		t.Errorf("workloads of the top row: %+v (want %s wide, %s internal)", top.Workloads, pub[:12], loop[:12])
	}
	if top.Reachability.Class != risk.ReachWide || top.Reachability.Workload != "docker:"+pub || top.Image.Join != "tag" ||
		!strings.Contains(strings.Join(top.Reasons, "|"), "joined by tag only") || rep.Coverage.TagJoins < 2 {
		t.Errorf("top row: %+v\ncoverage %+v", top, rep.Coverage)
	}
	if _, stderr, code := c.run(append(args, "--fail-on-exposed", "medium")...); code != 1 {
		t.Errorf("--fail-on-exposed medium: exit %d: %s", code, stderr)
	}
}
