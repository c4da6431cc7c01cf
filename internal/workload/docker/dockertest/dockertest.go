// Package dockertest runs real containers for tests of the Docker source
// and of the commands built on it: it connects to the engine of the
// environment, builds and loads a small test image (a static Go server,
// testdata/server, as the only layer of an image assembled with
// go-containerregistry and `docker load`ed), runs containers of it and
// removes them by ID when the test ends.
//
// It is test support: every helper takes a testing.TB and fails the test
// on error. A missing engine fails the test rather than skipping it (CI
// has one).
package dockertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	gname "github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/sightline-sec/sightline/internal/image/imagetest"
	"github.com/sightline-sec/sightline/internal/workload"
)

// ImageUser is the USER of the test image; containers that do not
// override it run as this user (the engine merges the image config).
const ImageUser = "65532"

// ImageTitle is the org.opencontainers.image.title label of the test image.
const ImageTitle = "sightline docker source test"

// Engine connects to the Docker engine of the environment (DOCKER_HOST or
// the local socket) and closes the client at the end of the test.
func Engine(t testing.TB) *client.Client {
	t.Helper()
	cli, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		t.Fatalf("the tests need a Docker engine (DOCKER_HOST or %s): %v", client.DefaultDockerHost, err)
	}
	return cli
}

// Image builds the test image — the static server of testdata/server as
// its only layer, with an entrypoint, EXPOSEd ports 8080/tcp and
// 9090/udp, user ImageUser and label ImageTitle — loads it into the
// engine (docker load) and removes it at the end. It returns the tag and
// the image ID. The server listens on $PORT (default 8080) and answers
// every request with "client ADDR".
func Image(t testing.TB, cli *client.Client) (tag, id string) {
	t.Helper()
	return ImageWith(t, cli, nil)
}

// ImageWith is Image with base (a root filesystem, e.g. a real package
// set from imagetest.DebianBaseVersions) as a first layer under the
// server, for tests that scan the running image.
func ImageWith(t testing.TB, cli *client.Client, base []imagetest.File) (tag, id string) {
	t.Helper()
	var steps []imagetest.Step
	if base != nil {
		steps = append(steps, imagetest.Step{Layer: imagetest.Layer(t, base), CreatedBy: "base"})
	}
	img := imagetest.Image(t, v1.Config{
		Entrypoint:   []string{"/server"},
		ExposedPorts: map[string]struct{}{"8080/tcp": {}, "9090/udp": {}},
		User:         ImageUser,
		Labels:       map[string]string{"org.opencontainers.image.title": ImageTitle},
	}, append(steps, imagetest.Step{Layer: imagetest.Layer(t, []imagetest.File{{Path: "server", Mode: 0o755, Data: ServerBinary(t)}}), CreatedBy: "COPY server /server"})...)
	return Load(t, cli, img, "sightline-test/docker-source")
}

// ServerBinary builds the static test server of testdata/server for
// linux/GOARCH and returns it.
func ServerBinary(t testing.TB) []byte {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "server")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Dir = serverDir(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the test server: %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Load loads img into the engine (docker load) as repo:<random tag>, for
// the machine's architecture, and removes it (by ID) at the end of the
// test. It returns the tag and the image ID.
func Load(t testing.TB, cli *client.Client, img v1.Image, repo string) (tag, id string) {
	t.Helper()
	ctx := context.Background()
	if runtime.GOARCH != "amd64" { // imagetest.Image makes linux/amd64 images
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.Architecture = runtime.GOARCH
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
	}
	tag = repo + ":" + RandomHex(6)
	ref, err := gname.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tarball.Write(ref, img, &buf); err != nil {
		t.Fatal(err)
	}
	res, err := cli.ImageLoad(ctx, &buf, client.ImageLoadWithQuiet(true))
	if err != nil {
		t.Fatalf("docker load: %v", err)
	}
	out, _ := io.ReadAll(res)
	res.Close()
	ins, err := cli.ImageInspect(ctx, tag)
	if err != nil {
		t.Fatalf("the loaded image is not in the engine (%s): %v", out, err)
	}
	id = ins.ID
	t.Cleanup(func() {
		if _, err := cli.ImageRemove(context.Background(), id, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil {
			t.Logf("removing test image %s: %v", id, err)
		}
	})
	return tag, id
}

// serverDir is the directory of the test server's source, found from this
// file's path so that tests of any package can build it.
func serverDir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		t.Fatalf("cannot locate the dockertest sources (%q): build the tests without -trimpath", file)
	}
	return filepath.Join(filepath.Dir(file), "testdata", "server")
}

// Run creates and starts a container and removes it (by ID, forced) at
// the end of the test. A container created but not started is still
// removed; its ID is returned with the error.
func Run(t testing.TB, cli *client.Client, name string, cfg *container.Config, hc *container.HostConfig) (string, error) {
	t.Helper()
	ctx := context.Background()
	res, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: hc, Name: name})
	if err != nil {
		return "", err
	}
	id := res.ID
	t.Cleanup(func() {
		if _, err := cli.ContainerRemove(context.Background(), id, client.ContainerRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
			t.Logf("removing container %s: %v", id, err)
		}
	})
	if _, err := cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return id, err
	}
	return id, nil
}

// MustRun is Run failing the test on error.
func MustRun(t testing.TB, cli *client.Client, name string, cfg *container.Config, hc *container.HostConfig) string {
	t.Helper()
	id, err := Run(t, cli, name, cfg, hc)
	if err != nil {
		t.Fatalf("running container %s: %v", name, err)
	}
	return id
}

// HostPorts reads back, independently of the source under test, the host
// ports the engine allocated for a container port: host IP → host port.
func HostPorts(t testing.TB, cli *client.Client, id string, p network.Port) map[string]int {
	t.Helper()
	ins, err := cli.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, b := range ins.Container.NetworkSettings.Ports[p] {
		n, err := strconv.Atoi(b.HostPort)
		if err != nil {
			t.Fatalf("container %s: host port %q: %v", id, b.HostPort, err)
		}
		out[b.HostIP.String()] = n
	}
	return out
}

// RandomHex is n random bytes in hex, for names that do not collide with
// other tests on a shared engine.
func RandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Port parses a port key such as "8080/tcp".
func Port(t testing.TB, s string) network.Port {
	t.Helper()
	p, err := network.ParsePort(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ByID keeps the workloads of the given container IDs (the engine is
// shared with other tests and users).
func ByID(ws []workload.Workload, ids ...string) map[string]workload.Workload {
	out := map[string]workload.Workload{}
	for _, w := range ws {
		for _, id := range ids {
			if w.ID == "docker:"+id {
				out[id] = w
			}
		}
	}
	return out
}

// HasGap reports whether some gap's What contains what and its Reason
// contains reason.
func HasGap(gaps []workload.Gap, what, reason string) bool {
	for _, g := range gaps {
		if strings.Contains(g.What, what) && strings.Contains(g.Reason, reason) {
			return true
		}
	}
	return false
}

// HTTPGet waits (up to 5 s) for the test server at url to answer.
func HTTPGet(t testing.TB, url string) {
	t.Helper()
	var last error
	for range 50 {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.HasPrefix(string(b), "client ") {
				return
			}
			err = fmt.Errorf("answer %q", b)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s: %v", url, last)
}
