package docker

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/sightline-sec/sightline/internal/workload"
	"github.com/sightline-sec/sightline/internal/workload/docker/dockertest"
)

// TestCollectHostIdentityAndVanishing: the instance ID comes from the
// metadata service when --host-id is not given; a container removed
// between list and inspect is a Gap, not an error, and is not listed.
func TestCollectHostIdentityAndVanishing(t *testing.T) {
	cli := dockertest.Engine(t)
	tag, _ := dockertest.Image(t, cli)
	suffix := dockertest.RandomHex(4)
	stay := dockertest.MustRun(t, cli, "sl-stay-"+suffix, &container.Config{Image: tag}, &container.HostConfig{})
	gone := dockertest.MustRun(t, cli, "sl-gone-"+suffix, &container.Config{Image: tag}, &container.HostConfig{})
	srv, _ := imdsServer(t, "i-0abcdef0123456789")

	removed := false
	inv, err := collect(context.Background(), Options{IMDSEndpoint: srv.URL}, func(ids []string) {
		for _, id := range ids {
			if id == gone {
				if _, err := cli.ContainerRemove(context.Background(), gone, client.ContainerRemoveOptions{Force: true}); err != nil {
					t.Errorf("removing %s: %v", gone, err)
				}
				removed = true
			}
		}
	})
	if err != nil {
		t.Fatalf("Collect failed on a container that vanished: %v", err)
	}
	if !removed {
		t.Fatalf("container %s was not listed", gone)
	}
	got := dockertest.ByID(inv.Workloads, stay, gone)
	if _, ok := got[gone]; ok || len(got) != 1 {
		t.Fatalf("got %d of the test containers, the removed one listed: %v", len(got), got[gone].ID != "")
	}
	if h := got[stay].Host; h == nil || h.InstanceID != "i-0abcdef0123456789" || h.InstanceFrom != "imds" {
		t.Errorf("host %+v, want the instance from imds", h)
	}
	if !dockertest.HasGap(inv.Gaps, "container "+gone[:12], "removed between list and inspect") {
		t.Errorf("no gap for the removed container: %+v", inv.Gaps)
	}
	if dockertest.HasGap(inv.Gaps, "EC2 instance", "") {
		t.Errorf("host gap despite an IMDS answer: %+v", inv.Gaps)
	}
}

// TestCollectUnknownHost: without --host-id and with no metadata service,
// every workload's host has no instance, a Gap says how to give it, and
// the dead service costs no more than its timeout.
func TestCollectUnknownHost(t *testing.T) {
	dockertest.Engine(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close() // connection refused: the fast failure
	start := time.Now()
	inv, err := Collect(context.Background(), Options{IMDSEndpoint: dead, IMDSTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Collect took %s", took)
	}
	var gap *workload.Gap
	for i, g := range inv.Gaps {
		if g.What == "EC2 instance of the Docker host" {
			gap = &inv.Gaps[i]
		}
	}
	if gap == nil || !strings.Contains(gap.Reason, "pass --host-id") || gap.Input == "" || gap.Source != "docker" {
		t.Fatalf("host gap %+v in %+v", gap, inv.Gaps)
	}
	for _, w := range inv.Workloads {
		if w.Host == nil || w.Host.InstanceID != "" || w.Host.InstanceFrom != "" || w.Host.Name == "" {
			t.Errorf("%s: host %+v", w.Name, w.Host)
		}
	}
}

// TestCollectUnreachableEngine: an engine that is not there is one clear
// error line naming the endpoint.
func TestCollectUnreachableEngine(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedTCP := "tcp://" + l.Addr().String()
	l.Close()
	sock := "unix://" + t.TempDir() + "/no-docker.sock"
	for _, host := range []string{sock, closedTCP} {
		start := time.Now()
		_, err := Collect(context.Background(), Options{Host: host, NoIMDS: true})
		if err == nil {
			t.Fatalf("%s: no error", host)
		}
		msg := err.Error()
		if !strings.Contains(msg, host) || strings.Contains(msg, "\n") || !strings.Contains(msg, "cannot reach the Docker engine") {
			t.Errorf("%s: error %q", host, msg)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s: took %s", host, took)
		}
		t.Logf("%s: %v", host, err)
	}
	_, err = Collect(context.Background(), Options{HostID: "i-nothex!"})
	if err == nil || !strings.Contains(err.Error(), `"i-nothex!"`) {
		t.Errorf("bad --host-id: %v", err)
	}
}
