package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	gname "github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/sightline-sec/sightline/internal/workload"
)

// testImageUser is the USER of the test image; containers that do not
// override it run as this user (the engine merges the image config).
const testImageUser = "65532"

// engine connects to the Docker engine of the environment. CI has one: a
// missing engine fails the test rather than skipping it.
func engine(t testing.TB) *client.Client {
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

// testImage builds the test image — the static server of testdata/server
// as its only layer, with an entrypoint, EXPOSEd ports and a non-root
// user — loads it into the engine (docker load) and removes it at the
// end. It returns the tag and the image ID.
func testImage(t testing.TB, cli *client.Client) (string, string) {
	t.Helper()
	ctx := context.Background()
	bin := filepath.Join(t.TempDir(), "server")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Dir = filepath.Join("testdata", "server")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the test server: %v\n%s", err, out)
	}
	layer, err := binaryLayer(bin, "server")
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Entrypoint = []string{"/server"}
	cf.Config.ExposedPorts = map[string]struct{}{"8080/tcp": {}, "9090/udp": {}}
	cf.Config.User = testImageUser
	cf.Config.Labels = map[string]string{"org.opencontainers.image.title": "sightline docker source test"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	tag := "sightline-test/docker-source:" + randomHex(6)
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
	id := ins.ID
	t.Cleanup(func() {
		if _, err := cli.ImageRemove(context.Background(), id, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil {
			t.Logf("removing test image %s: %v", id, err)
		}
	})
	return tag, id
}

// binaryLayer is a layer holding one executable at /name.
func binaryLayer(path, name string) (v1.Layer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
}

// run creates and starts a container and removes it (by ID) at the end.
func run(t testing.TB, cli *client.Client, name string, cfg *container.Config, hc *container.HostConfig) (string, error) {
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

func mustRun(t testing.TB, cli *client.Client, name string, cfg *container.Config, hc *container.HostConfig) string {
	t.Helper()
	id, err := run(t, cli, name, cfg, hc)
	if err != nil {
		t.Fatalf("running container %s: %v", name, err)
	}
	return id
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func portKey(t testing.TB, s string) network.Port {
	t.Helper()
	p, err := network.ParsePort(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// byID keeps the workloads of the given container IDs (the engine is
// shared with other tests and users).
func byID(ws []workload.Workload, ids ...string) map[string]workload.Workload {
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

func hasGap(gaps []workload.Gap, what, reason string) bool {
	for _, g := range gaps {
		if strings.Contains(g.What, what) && strings.Contains(g.Reason, reason) {
			return true
		}
	}
	return false
}
