package image

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/moby/client"
)

// engine is a local container engine that speaks the Docker engine API:
// Docker itself, or Podman's compatible service.
type engine struct {
	name string // "Docker engine", "Podman"
	host string // API address; "" means Docker's from the environment (DOCKER_HOST, else its default socket)
}

func (e *engine) client() (*client.Client, error) {
	if e == nil || e.host == "" {
		return client.New(client.FromEnv)
	}
	return client.New(client.WithHost(e.host))
}

// engineTimeout bounds one lookup in a local engine, so a hung or remote
// DOCKER_HOST cannot stall a scan that will go to the registry anyway.
const engineTimeout = 5 * time.Second

// localEngines lists the engines to search, in the order Trivy and Grype
// use (Docker, then Podman): Docker when DOCKER_HOST is set or its default
// socket exists; Podman's rootless socket ($XDG_RUNTIME_DIR/podman/podman.sock)
// and rootful socket (/run/podman/podman.sock) when they exist. A socket
// that does not exist costs a stat, not a connection attempt.
func localEngines() []engine {
	var out []engine
	dockerSock := "/var/run/docker.sock"
	if os.Getenv("DOCKER_HOST") != "" || exists(dockerSock) {
		out = append(out, engine{name: "Docker engine"})
	}
	seen := map[string]bool{realPath(dockerSock): true}
	var podman []string
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		podman = append(podman, filepath.Join(d, "podman", "podman.sock"))
	}
	podman = append(podman, "/run/podman/podman.sock")
	for _, p := range podman {
		if exists(p) && !seen[realPath(p)] { // podman-docker links docker.sock to Podman
			seen[realPath(p)] = true
			out = append(out, engine{name: "Podman", host: "unix://" + p})
		}
	}
	return out
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// findInEngines returns the first local engine holding ref (for the
// requested platform, when one was given), or nil and one note per engine
// searched saying why not ("Docker engine: not found").
func findInEngines(ctx context.Context, ref string, opts Options) (*engine, []string) {
	var notes []string
	for _, e := range localEngines() {
		ok, why := e.has(ctx, ref, opts.Platform)
		if ok {
			return &e, nil
		}
		notes = append(notes, e.name+": "+why)
	}
	if len(notes) == 0 {
		notes = append(notes, "no Docker or Podman engine running")
	}
	return nil, notes
}

func (e *engine) has(ctx context.Context, ref, platform string) (bool, string) {
	cli, err := e.client()
	if err != nil {
		return false, err.Error()
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, engineTimeout)
	defer cancel()
	ins, err := cli.ImageInspect(ctx, ref)
	switch {
	case cerrdefs.IsNotFound(err):
		return false, "not found"
	case err != nil:
		return false, err.Error()
	}
	if platform != "" {
		want, err := v1.ParsePlatform(platform)
		if err == nil && (ins.Os != want.OS || ins.Architecture != want.Architecture ||
			(want.Variant != "" && ins.Variant != want.Variant)) {
			return false, fmt.Sprintf("has it for %s/%s, not %s", ins.Os, ins.Architecture, platform)
		}
	}
	return true, ""
}

// imageID matches what the engine accepts as an image ID: a full
// "sha256:<64 hex>" or a hex prefix of one.
var imageID = regexp.MustCompile(`^(sha256:)?[0-9a-f]{4,64}$`)

// checkEngineRef accepts an image reference by the distribution grammar
// (github.com/distribution/reference, what Docker itself parses: "nginx",
// "nginx:1.25", "ghcr.io/o/app@sha256:…") or an image ID, and refuses
// anything else before it can reach an engine API URL
// ("docker:../../etc/passwd" would otherwise become a request path).
func checkEngineRef(ref string) error {
	if imageID.MatchString(ref) {
		return nil
	}
	if ref == "" {
		return errors.New("empty image reference")
	}
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return fmt.Errorf("not an image reference (name[:tag][@digest]) or image ID: %w", err)
	}
	return nil
}
