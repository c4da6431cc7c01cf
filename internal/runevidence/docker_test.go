package runevidence

import (
	"archive/tar"
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/sightline-sec/sightline/internal/image/imagetest"
	"github.com/sightline-sec/sightline/internal/workload/docker/dockertest"
)

// testPort is the port the test server is told to listen on ($PORT): not
// the image's EXPOSEd 8080, so the socket is found from /proc, not config.
const testPort = 18181

// testImage is a merged-/usr Debian-like image (/bin → usr/bin) with the
// static test server at /usr/bin/server and a dpkg database of:
//   - sightline-test-server, whose list names /bin/server (the server,
//     through the /bin symlink as Debian packages name files): loaded;
//   - zlib1g, the real Debian 12 status stanza and .list (testdata, see
//     PROVENANCE.md), whose library no process maps: dormant;
//   - sightline-nolist, installed without a .list: unknown;
//   - sightline-removed, in state config-files: not installed, absent.
func testImage(t *testing.T, cli *client.Client) (tag, id string) {
	t.Helper()
	read := func(n string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	status := "Package: sightline-test-server\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\n\n" +
		string(read("zlib1g.status")) + "\n" +
		"Package: sightline-nolist\nStatus: install ok installed\nArchitecture: all\nVersion: 3.0-1\n\n" +
		"Package: sightline-removed\nStatus: deinstall ok config-files\nArchitecture: all\nVersion: 0.9\n"
	dir := func(p string) imagetest.File { return imagetest.File{Path: p, Type: tar.TypeDir, Mode: 0o755} }
	files := []imagetest.File{
		dir("etc/"), {Path: "etc/os-release", Data: []byte("ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"test\"\n")},
		dir("usr/"), dir("usr/bin/"), dir("usr/lib/"), dir("usr/lib/x86_64-linux-gnu/"),
		{Path: "bin", Type: tar.TypeSymlink, Link: "usr/bin"},
		{Path: "lib", Type: tar.TypeSymlink, Link: "usr/lib"},
		{Path: "usr/bin/server", Mode: 0o755, Data: dockertest.ServerBinary(t)},
		{Path: "usr/lib/x86_64-linux-gnu/libz.so.1.2.13", Data: []byte("not loaded by anyone")},
		dir("var/"), dir("var/lib/"), dir("var/lib/dpkg/"), dir("var/lib/dpkg/info/"),
		{Path: "var/lib/dpkg/status", Data: []byte(status)},
		{Path: "var/lib/dpkg/info/sightline-test-server.list", Data: []byte("/.\n/bin\n/bin/server\n")},
		{Path: "var/lib/dpkg/info/zlib1g:amd64.list", Data: read("zlib1g_amd64.list")},
	}
	img := imagetest.Image(t, v1.Config{Entrypoint: []string{"/bin/server"}, User: dockertest.ImageUser,
		ExposedPorts: map[string]struct{}{"8080/tcp": {}}},
		imagetest.Step{Layer: imagetest.Layer(t, files), CreatedBy: "COPY rootfs /"})
	return dockertest.Load(t, cli, img, "sightline-test/runevidence")
}

func TestInspectDockerStates(t *testing.T) {
	cli := dockertest.Engine(t)
	tag, imageID := testImage(t, cli)
	id := dockertest.MustRun(t, cli, "sl-runev-"+dockertest.RandomHex(4),
		&container.Config{Image: tag, Env: []string{"PORT=18181"}}, &container.HostConfig{})
	ctx := context.Background()

	ev := waitListening(t, ctx, id, testPort)
	if ev.ContainerID != id || ev.ImageID != imageID || ev.PIDsFrom != "engine top" || !ev.MapsComplete || len(ev.Gaps) != 0 {
		t.Fatalf("evidence header: id %s from %q complete %v gaps %q", ev.ContainerID, ev.PIDsFrom, ev.MapsComplete, ev.Gaps)
	}
	if len(ev.Processes) != 1 {
		t.Fatalf("processes: %+v", ev.Processes)
	}
	p := ev.Processes[0]
	if p.Command != "server" || p.Exe != "/usr/bin/server" || !slices.Contains(p.MappedFiles, "/usr/bin/server") {
		t.Errorf("process: %+v (maps must name the file as the container sees it)", p)
	}
	var onPort []Socket
	for _, s := range ev.Listening {
		if s.Port == 8080 {
			t.Errorf("socket on the EXPOSEd 8080 that nothing listens on: %+v", s)
		}
		if s.Port == testPort {
			onPort = append(onPort, s)
		}
	}
	if len(onPort) != 1 || !strings.HasPrefix(onPort[0].Proto, "tcp") || !slices.Equal(onPort[0].PIDs, []int{p.PID}) ||
		(onPort[0].Address != "0.0.0.0" && onPort[0].Address != "::") {
		t.Errorf("listening on %d: %+v (all: %+v)", testPort, onPort, ev.Listening)
	}

	pkgs, gaps, err := ReadPackageFiles(ctx, ev.Root)
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 1 || !strings.Contains(gaps[0], "sightline-nolist") {
		t.Errorf("package gaps: %q", gaps)
	}
	var names []string
	for _, pf := range pkgs {
		names = append(names, pf.Name)
		if pf.Ecosystem != "Debian:12" || pf.Type != "deb" {
			t.Errorf("%s: ecosystem %q type %q", pf.Name, pf.Ecosystem, pf.Type)
		}
		if pf.Name == "zlib1g" && (pf.Version != "1:1.2.13.dfsg-1" || !slices.Contains(pf.Files, "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13")) {
			t.Errorf("zlib1g files not resolved through /lib → usr/lib: %+v", pf)
		}
	}
	if !slices.Equal(names, []string{"sightline-nolist", "sightline-test-server", "zlib1g"}) {
		t.Errorf("packages %q", names)
	}
	want := map[string]State{"sightline-test-server": Loaded, "zlib1g": Dormant, "sightline-nolist": Unknown}
	if got := PackageStates(ev, pkgs); !mapsEqual(got, want) {
		t.Errorf("states %v, want %v", got, want)
	}
	ex := Explain(ev, pkgs)["sightline-test-server"]
	if len(ex.Evidence) != 1 || !strings.Contains(ex.Evidence[0], "/usr/bin/server mapped by pid") {
		t.Errorf("loaded evidence %q", ex.Evidence)
	}

	if got := ServingPackages(ev, pkgs, "tcp", testPort); !slices.Equal(got, []string{"sightline-test-server"}) {
		t.Errorf("serving tcp/%d: %q", testPort, got)
	}
	if got := ServingPackages(ev, pkgs, "tcp", 8080); len(got) != 0 || len(ev.Listeners("tcp", 8080)) != 0 {
		t.Errorf("serving tcp/8080 (nothing listens): %q", got)
	}

	// The same evidence with one process's maps unread: dormant is no
	// longer provable, loaded still is.
	partial := *ev
	partial.MapsComplete = false
	if got := PackageStates(&partial, pkgs); got["zlib1g"] != Unknown || got["sightline-test-server"] != Loaded {
		t.Errorf("incomplete evidence: %v", got)
	}
}

// waitListening reads the container until its server listens (it starts
// in milliseconds; the engine returns from start before it runs).
func waitListening(t *testing.T, ctx context.Context, id string, port int) *Evidence {
	t.Helper()
	var ev *Evidence
	for range 50 {
		var err error
		ev, err = InspectDocker(ctx, id, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ev.Listening {
			if s.Port == port {
				return ev
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no socket on port %d after 5 s: %+v", port, ev)
	return nil
}

func mapsEqual(a, b map[string]State) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestInspectDockerNotRunning(t *testing.T) {
	cli := dockertest.Engine(t)
	tag, _ := dockertest.Image(t, cli)
	ctx := context.Background()
	id := dockertest.MustRun(t, cli, "sl-runev-stop-"+dockertest.RandomHex(4), &container.Config{Image: tag}, &container.HostConfig{})
	timeout := 0
	if _, err := cli.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &timeout}); err != nil {
		t.Fatal(err)
	}
	_, err := InspectDocker(ctx, id, Options{})
	if err == nil || !strings.Contains(err.Error(), "not running (state exited)") {
		t.Errorf("stopped container: %v", err)
	}
	if _, err := cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	_, err = InspectDocker(ctx, id, Options{})
	if err == nil || !strings.Contains(err.Error(), "no such container") {
		t.Errorf("removed container: %v", err)
	}
}

// A /proc that is not the engine's (here: an empty directory standing for
// Docker Desktop's VM or another PID namespace) is refused, not guessed.
func TestInspectDockerForeignProc(t *testing.T) {
	cli := dockertest.Engine(t)
	tag, _ := dockertest.Image(t, cli)
	id := dockertest.MustRun(t, cli, "sl-runev-proc-"+dockertest.RandomHex(4), &container.Config{Image: tag}, &container.HostConfig{})
	_, err := InspectDocker(context.Background(), id, Options{ProcRoot: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "not the engine's PID namespace") {
		t.Errorf("foreign /proc: %v", err)
	}
}

// Two processes (the entrypoint and a second server started with docker
// exec), each owning its own listening socket.
func TestInspectDockerTwoProcesses(t *testing.T) {
	cli := dockertest.Engine(t)
	tag, _ := dockertest.Image(t, cli)
	ctx := context.Background()
	id := dockertest.MustRun(t, cli, "sl-runev-two-"+dockertest.RandomHex(4),
		&container.Config{Image: tag, Env: []string{"PORT=18181"}}, &container.HostConfig{})
	first := waitListening(t, ctx, id, testPort)
	ex, err := cli.ExecCreate(ctx, id, client.ExecCreateOptions{Cmd: []string{"/server"}, Env: []string{"PORT=18182"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.ExecStart(ctx, ex.ID, client.ExecStartOptions{Detach: true}); err != nil {
		t.Fatal(err)
	}
	ev := waitListening(t, ctx, id, 18182)
	if len(ev.Processes) != 2 || !ev.MapsComplete {
		t.Fatalf("processes %+v complete %v gaps %q", ev.Processes, ev.MapsComplete, ev.Gaps)
	}
	initPID := first.Processes[0].PID
	var second int
	for _, p := range ev.Processes {
		if p.PID != initPID {
			second = p.PID
		}
		if !slices.Contains(p.MappedFiles, "/server") {
			t.Errorf("pid %d maps %q", p.PID, p.MappedFiles)
		}
	}
	owners := map[int][]int{}
	for _, s := range ev.Listening {
		owners[s.Port] = s.PIDs
	}
	if !slices.Equal(owners[testPort], []int{initPID}) || !slices.Equal(owners[18182], []int{second}) {
		t.Errorf("owners %v; init %d, exec'd %d", owners, initPID, second)
	}

	// Only one process read: the evidence says so and proves no dormancy.
	one, err := InspectDocker(ctx, id, Options{MaxProcesses: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Processes) != 1 || one.MapsComplete || len(one.Gaps) != 1 || !strings.Contains(one.Gaps[0], "2 processes; only the first 1") {
		t.Errorf("MaxProcesses 1: %d processes, complete %v, gaps %q", len(one.Processes), one.MapsComplete, one.Gaps)
	}
}

// A running executable replaced on disk (docker cp over it, as an upgrade
// without restart does) is still mapped, now " (deleted)": its package stays
// loaded and the evidence says an older copy runs.
func TestInspectDockerDeletedMapping(t *testing.T) {
	cli := dockertest.Engine(t)
	tag, _ := dockertest.Image(t, cli)
	ctx := context.Background()
	id := dockertest.MustRun(t, cli, "sl-runev-del-"+dockertest.RandomHex(4),
		&container.Config{Image: tag, Env: []string{"PORT=18181"}}, &container.HostConfig{})
	waitListening(t, ctx, id, testPort)
	layer := imagetest.TarBytes(t, []imagetest.File{{Path: "server", Mode: 0o755, Data: []byte("#!/bin/false\n")}})
	if _, err := cli.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/", Content: bytes.NewReader(layer)}); err != nil {
		t.Fatal(err)
	}
	ev, err := InspectDocker(ctx, id, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := ev.Processes[0]
	if !slices.Equal(p.DeletedFiles, []string{"/server"}) || !slices.Contains(p.MappedFiles, "/server") || p.Exe != "/server" {
		t.Fatalf("process after replacement: %+v", p)
	}
	pkgs := []PackageFiles{{Name: "server", Files: []string{"/server"}}}
	ex := Explain(ev, pkgs)["server"]
	if ex.State != Loaded || len(ex.Evidence) != 1 || !strings.Contains(ex.Evidence[0], "deleted on disk: an older copy is running") {
		t.Errorf("explain: %+v", ex)
	}
}

// On the host's network the socket table is the host's: only the sockets
// the container's own processes hold are listed.
func TestInspectDockerHostNetwork(t *testing.T) {
	cli := dockertest.Engine(t)
	tag, _ := dockertest.Image(t, cli)
	port := freePort(t)
	id := dockertest.MustRun(t, cli, "sl-runev-host-"+dockertest.RandomHex(4),
		&container.Config{Image: tag, Env: []string{"PORT=" + strconv.Itoa(port)}}, &container.HostConfig{NetworkMode: "host"})
	ev := waitListening(t, context.Background(), id, port)
	if !ev.HostNetwork {
		t.Error("HostNetwork false")
	}
	for _, s := range ev.Listening {
		if len(s.PIDs) != 1 || s.PIDs[0] != ev.Processes[0].PID || s.Port != port {
			t.Errorf("socket not of the container: %+v", s)
		}
	}
}

// freePort asks the kernel for a free TCP port of the host.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
