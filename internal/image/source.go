// Package image opens container images from every place they live — a
// registry, an OCI layout directory, a `docker save` archive, an OCI
// archive, the running Docker engine — as go-containerregistry v1.Images,
// and walks their layers as streams (walk.go) without unpacking them.
//
// Inputs may carry a transport prefix (docker-archive:, oci-layout:,
// oci-archive:, docker:, registry:). Without one, an existing path is
// detected by content (a directory with index.json is an OCI layout; a tar
// with manifest.json a docker archive; a tar with only index.json an OCI
// archive). Anything else must be an image reference (the distribution
// reference grammar, github.com/distribution/reference) and is looked up
// where peers look (Trivy, Grype): the local Docker engine first, then
// Podman, then the registry; docs/scan.md documents the order. containerd's
// own image store is not searched (no engine API; export with
// `ctr image export` and scan the archive).
//
// A gzip- or zstd-compressed archive (`docker save | gzip > x.tar.gz`) is
// decompressed into a temporary file first: the archive formats need
// random access, which a compressed stream cannot give.
package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/sightline-sec/sightline/internal/atomicfile"
)

// Transport names, also accepted as input prefixes ("docker-archive:x.tar").
const (
	DockerArchive = "docker-archive"
	OCILayout     = "oci-layout"
	OCIArchive    = "oci-archive"
	Daemon        = "docker"
	Registry      = "registry"
)

// Options control how an image is opened.
type Options struct {
	// Platform picks one image out of a multi-arch index ("linux/arm64",
	// "linux/arm/v7"). Empty means the host's platform.
	Platform string
	// Insecure allows plain-HTTP (and unverified TLS) registries.
	Insecure bool
	// TempDir receives temporary files (the Docker engine's image export).
	// Empty means the system temp dir.
	TempDir string
	// Keychain resolves registry credentials; nil means authn.DefaultKeychain
	// (Docker config, credential helpers, else anonymous).
	Keychain authn.Keychain
	// Offline refuses registry references: reading them needs the network.
	Offline bool

	engine *engine // the engine findInEngines found the image in
}

// Image is one opened single-platform image.
type Image struct {
	v1.Image
	Input     string // as the user gave it
	Transport string
	Digest    string // manifest digest, when known
	Platform  string // os/arch[/variant] of the chosen image
	closers   []func() error

	archiveCompressed bool // docker archive with gzip/zstd layers
}

// Close releases temporary files held by the image.
func (im *Image) Close() error {
	var errs []error
	for _, c := range im.closers {
		errs = append(errs, c())
	}
	im.closers = nil
	return errors.Join(errs...)
}

// Open resolves input to a single-platform image.
func Open(ctx context.Context, input string, opts Options) (*Image, error) {
	transport, ref := splitTransport(input)
	plat, err := platform(opts.Platform)
	if err != nil {
		return nil, err
	}
	var closers []func() error
	cleanup := func() {
		for _, c := range closers {
			c()
		}
	}
	path := ref
	if transport == "" || transport == DockerArchive || transport == OCIArchive {
		p, done, err := decompressArchive(ctx, ref, opts.TempDir)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", input, err)
		}
		path, closers = p, append(closers, done)
	}
	var searched []string // engines looked in, for the registry's error
	if transport == "" {
		transport, err = detect(ref, path)
		if err == nil && transport == Registry {
			var eng *engine
			eng, searched = findInEngines(ctx, ref, opts)
			if eng != nil {
				transport, opts.engine = Daemon, eng
			}
		}
		if err != nil {
			cleanup()
			return nil, err
		}
	}
	if transport == Daemon {
		if err := checkEngineRef(ref); err != nil {
			cleanup()
			return nil, fmt.Errorf("image %s: %w", input, err)
		}
	}
	var im *Image
	switch transport {
	case DockerArchive:
		im, err = openDockerArchive(path)
	case OCILayout:
		im, err = openOCILayout(ref, plat)
	case OCIArchive:
		im, err = openOCIArchive(path, plat)
	case Daemon:
		im, err = openDaemon(ctx, opts.engine, ref, opts.TempDir)
	case Registry:
		if opts.Offline {
			cleanup()
			return nil, fmt.Errorf("image %s is not in a local engine (%s) and a registry reference needs the network "+
				"that --offline forbids (scan a docker-archive:, oci-layout:, oci-archive: or docker: source instead)",
				input, strings.Join(searched, "; "))
		}
		im, err = openRegistry(ctx, ref, plat, opts)
		if err != nil && len(searched) > 0 {
			err = fmt.Errorf("%w (not found locally either: %s)", err, strings.Join(searched, "; "))
		}
	default:
		err = fmt.Errorf("unknown image transport %q", transport)
	}
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("opening image %s: %w", input, err)
	}
	im.closers = append(im.closers, closers...)
	im.Input, im.Transport = input, transport
	if err := im.describe(); err != nil {
		im.Close()
		return nil, fmt.Errorf("reading image %s: %w", input, err)
	}
	return im, nil
}

// splitTransport splits "docker-archive:x.tar" into its parts; a registry
// reference such as "localhost:5000/app" has no known prefix and stays whole.
func splitTransport(input string) (transport, ref string) {
	for _, t := range []string{DockerArchive, OCILayout, OCIArchive, Daemon, Registry} {
		if rest, ok := strings.CutPrefix(input, t+":"); ok {
			return t, rest
		}
	}
	return "", input
}

// TrimTransport drops a transport prefix ("registry:", "docker:", …) from
// an input, leaving the reference or path as other tools write it.
func TrimTransport(input string) string {
	_, ref := splitTransport(input)
	return ref
}

// detect guesses the transport of an input without prefix from what is on
// disk at path (ref itself, or its decompressed copy); errors name ref.
func detect(ref, path string) (string, error) {
	st, err := os.Stat(ref)
	if err != nil {
		if looksLikePath(ref) {
			return "", fmt.Errorf("image %s: %w", ref, atomicfile.Cause(err))
		}
		if err := checkEngineRef(ref); err != nil {
			return "", fmt.Errorf("image %s: no such file or directory, and %w", ref, err)
		}
		return Registry, nil
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(ref, "index.json")); err != nil {
			return "", fmt.Errorf("image %s: directory is not an OCI layout (no index.json)", ref)
		}
		return OCILayout, nil
	}
	names, err := tarTopNames(path)
	if err != nil {
		return "", fmt.Errorf("image %s: not a docker or OCI archive: %w", ref, err)
	}
	switch {
	case names["manifest.json"]:
		return DockerArchive, nil
	case names["index.json"]:
		return OCIArchive, nil
	}
	return "", fmt.Errorf("image %s: archive has neither manifest.json nor index.json", ref)
}

// archiveSuffixes mark an input as a file even when it does not exist, so
// a mistyped path is reported as missing rather than looked up on Docker Hub.
var archiveSuffixes = []string{".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.zstd", ".tzst", ".oci"}

func looksLikePath(ref string) bool {
	if strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, ".") || strings.HasPrefix(ref, "~") {
		return true
	}
	l := strings.ToLower(ref)
	for _, s := range archiveSuffixes {
		if strings.HasSuffix(l, s) {
			return true
		}
	}
	return false
}

// tarTopNames lists the top-level file names of a tar archive, seeking over
// file contents.
func tarTopNames(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names := map[string]bool{}
	tr := tar.NewReader(f)
	for i := 0; ; i++ {
		h, err := tr.Next()
		if err == io.EOF {
			return names, nil
		}
		if err != nil {
			return nil, err
		}
		names[strings.TrimPrefix(h.Name, "./")] = true
		if names["manifest.json"] || i > 100000 {
			return names, nil
		}
	}
}

// platform parses opts.Platform, defaulting to the host.
func platform(s string) (*v1.Platform, error) {
	if s == "" {
		return &v1.Platform{OS: "linux", Architecture: runtime.GOARCH}, nil
	}
	p, err := v1.ParsePlatform(s)
	if err != nil {
		return nil, fmt.Errorf("--platform %q: %w", s, err)
	}
	return p, nil
}

func openDockerArchive(path string) (*Image, error) {
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return nil, err
	}
	return &Image{Image: img, archiveCompressed: dockerArchiveCompressed(path)}, nil
}

func openOCILayout(dir string, plat *v1.Platform) (*Image, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, err
	}
	img, err := pickFromIndex(idx, plat)
	if err != nil {
		return nil, err
	}
	return &Image{Image: img}, nil
}

func openRegistry(ctx context.Context, ref string, plat *v1.Platform, opts Options) (*Image, error) {
	var nopts []name.Option
	if opts.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("not an image reference, file or directory: %w", err)
	}
	kc := opts.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	img, err := remote.Image(r, remote.WithContext(ctx), remote.WithAuthFromKeychain(kc),
		remote.WithPlatform(*plat))
	if err != nil {
		return nil, err
	}
	return &Image{Image: img}, nil
}
