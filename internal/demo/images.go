package demo

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sightline-sec/sightline/internal/atomicfile"
)

// Registry is the ECR registry the estate's images are named in (the
// snapshot's account and region).
const Registry = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"

// Image references of the estate (the names the workloads use).
const (
	APIImage = Registry + "/shop/api:1.4.2"
	// BackofficeImage is the release before APIImage, still deployed by
	// the internal fleet: another build (its own digest) of the same
	// application with the same dependencies, hence the same findings.
	BackofficeImage = Registry + "/shop/api:1.4.1"
	WebImage        = Registry + "/shop/web:2.3.0"
)

// epoch is every file's mtime and the images' creation time, so that the
// image digests (named by the snapshot and the Kubernetes objects) are
// the same on every run.
var epoch = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

// file is one tar entry of an image layer.
type file struct {
	path string
	data []byte
	link string // symlink target
	dir  bool
}

// imageSpec is one image to build: its layers (lowest first), config and
// the workloads of the estate that run it.
type imageSpec struct {
	name, archive string
	layers        func() ([]layer, error)
	config        v1.Config
	workloads     []string
}

// ecsTask prefixes the inventory IDs of the estate's ECS tasks (service
// "api": tasks 1a…, 2a… running APIImage; service "backoffice-api": tasks
// 1b…, 2b… running BackofficeImage).
const ecsTask = "ecs:arn:aws:ecs:eu-west-1:111122223333:task/shop/"

func imageSpecs() []imageSpec {
	return []imageSpec{
		{name: APIImage, archive: "shop-api-1.4.2.tar",
			layers: func() ([]layer, error) {
				return layersOf(layerFn{debianBase, baseCreatedBy}, layerFn{nodeApp("1.4.2"), appCreatedBy})
			},
			config:    apiConfig("1.4.2"),
			workloads: []string{ecsTask + "1a2b3c4d5e6f40718293a4b5c6d7e8f9", ecsTask + "2a2b3c4d5e6f40718293a4b5c6d7e8f9"}},
		{name: BackofficeImage, archive: "shop-api-1.4.1.tar",
			layers: func() ([]layer, error) {
				return layersOf(layerFn{debianBase, baseCreatedBy}, layerFn{nodeApp("1.4.1"), appCreatedBy})
			},
			config:    apiConfig("1.4.1"),
			workloads: []string{ecsTask + "1b3c4d5e6f7a4182930b4c5d6e7f8a9b", ecsTask + "2b3c4d5e6f7a4182930b4c5d6e7f8a9b"}},
		{name: WebImage, archive: "shop-web.tar",
			layers: func() ([]layer, error) {
				return layersOf(layerFn{debianBase, baseCreatedBy}, layerFn{webSite, "COPY www/ /srv/www/"})
			},
			config: v1.Config{User: "1000", WorkingDir: "/srv/www", Entrypoint: []string{"/usr/local/bin/web", "--listen=:8080"},
				Env:          []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
				ExposedPorts: map[string]struct{}{"8080/tcp": {}}},
			workloads: []string{"k8s:/shop/Pod/web-7d9f8b6c5-x2k4p", "k8s:/shop/Pod/web-7d9f8b6c5-q8m3z"}},
	}
}

// baseCreatedBy is the history entry of the shared Debian 12 base layer.
const baseCreatedBy = "ADD rootfs.tar / # Debian 12 (bookworm) package set"

// layer is one image layer: its files and the history entry that made it
// (what `docker history` and the scan report show for the layer).
type layer struct {
	files     []file
	createdBy string
}

type layerFn struct {
	files     func() ([]file, error)
	createdBy string
}

func layersOf(fns ...layerFn) ([]layer, error) {
	var out []layer
	for _, fn := range fns {
		fs, err := fn.files()
		if err != nil {
			return nil, err
		}
		out = append(out, layer{files: fs, createdBy: fn.createdBy})
	}
	return out, nil
}

// debianBase is the base layer: the real Debian 12 dpkg status and
// os-release (estate/images/debian12), /etc/os-release a relative symlink
// as on Debian.
func debianBase() ([]file, error) {
	status, err := readEstate("images/debian12/var_lib_dpkg_status")
	if err != nil {
		return nil, err
	}
	osRel, err := readEstate("images/debian12/etc_os-release")
	if err != nil {
		return nil, err
	}
	return []file{
		{path: "etc/", dir: true},
		{path: "etc/os-release", link: "../usr/lib/os-release"},
		{path: "usr/", dir: true},
		{path: "usr/lib/", dir: true},
		{path: "usr/lib/os-release", data: osRel},
		{path: "var/", dir: true},
		{path: "var/lib/", dir: true},
		{path: "var/lib/dpkg/", dir: true},
		{path: "var/lib/dpkg/status", data: status},
	}, nil
}

// appCreatedBy is the history entry of shop/api's application layer.
const appCreatedBy = "COPY app/ /app/ # npm ci --omit=dev"

// apiConfig is shop/api's image config for one release.
func apiConfig(version string) v1.Config {
	return v1.Config{User: "1000", WorkingDir: "/app", Entrypoint: []string{"node", "server.js"},
		Env:          []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NODE_ENV=production", "PORT=8080"},
		ExposedPorts: map[string]struct{}{"8080/tcp": {}},
		Labels:       map[string]string{"org.opencontainers.image.version": version, "org.opencontainers.image.title": "shop/api"}}
}

// serverJS is the demo API's entry point (written for the demo; the
// dependencies are the real npm install in estate/images/nodeapp); the
// release is its first line.
const serverJS = `// shop/api %s (Sightline demo estate): listens on PORT (8080).
const express = require('express');
const _ = require('lodash');
const app = express();
app.use(express.json());
app.post('/cart', (req, res) => res.json(_.merge({}, req.body)));
app.listen(Number(process.env.PORT || 8080));
`

// nodeApp is the application layer of shop/api (one release): /app with
// the real npm install's package.json, package-lock.json and node_modules
// metadata.
func nodeApp(version string) func() ([]file, error) {
	return func() ([]file, error) { return nodeAppFiles(version) }
}

func nodeAppFiles(version string) ([]file, error) {
	out := []file{{path: "app/", dir: true}, {path: "app/server.js", data: fmt.Appendf(nil, serverJS, version)}}
	const root = "estate/images/nodeapp"
	err := fs.WalkDir(estateFS, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, root)
		if rel == "" {
			return nil
		}
		dst := "app" + rel
		if d.IsDir() {
			out = append(out, file{path: dst + "/", dir: true})
			return nil
		}
		b, err := estateFS.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, file{path: dst, data: b})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("demo estate: %w", err)
	}
	return out, nil
}

// webSite is the application layer of shop/web: a static page (written
// for the demo).
func webSite() ([]file, error) {
	return []file{
		{path: "srv/", dir: true},
		{path: "srv/www/", dir: true},
		{path: "srv/www/index.html", data: []byte("<!doctype html><title>shop</title><h1>shop</h1>\n")},
	}, nil
}

// layerTar writes files into an uncompressed tar in the given order.
func layerTar(files []file) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.path, Mode: 0o644, ModTime: epoch, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		switch {
		case f.dir:
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		case f.link != "":
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, f.link, 0o777
		default:
			h.Size = int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(f.data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// buildImage assembles spec as a linux/amd64 OCI image. Layers are stored
// uncompressed (a valid OCI layer media type), so the digests do not
// depend on a compressor's output.
func buildImage(spec imageSpec) (v1.Image, error) {
	layers, err := spec.layers()
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	for _, l := range layers {
		b, err := layerTar(l.files)
		if err != nil {
			return nil, fmt.Errorf("demo image %s: %w", spec.name, err)
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: static.NewLayer(b, types.OCIUncompressedLayer),
			History: v1.History{Created: v1.Time{Time: epoch}, CreatedBy: l.createdBy}})
		if err != nil {
			return nil, fmt.Errorf("demo image %s: %w", spec.name, err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS, cf.Created, cf.Config = "amd64", "linux", v1.Time{Time: epoch}, spec.config
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("demo image %s: %w", spec.name, err)
	}
	return img, nil
}

// writeImage builds spec and writes it as an OCI archive into dir.
func writeImage(ctx context.Context, spec imageSpec, dir string) (Image, error) {
	if err := ctx.Err(); err != nil {
		return Image{}, err
	}
	img, err := buildImage(spec)
	if err != nil {
		return Image{}, err
	}
	b, dg, err := ociArchive(img, spec.name)
	if err != nil {
		return Image{}, fmt.Errorf("demo image %s: %w", spec.name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Image{}, err
	}
	p := filepath.Join(dir, spec.archive)
	if err := atomicfile.Write(p, b, 0o644); err != nil {
		return Image{}, fmt.Errorf("demo image %s: %w", spec.name, err)
	}
	return Image{Name: spec.name, Archive: p, Digest: dg.String(), Workloads: spec.workloads}, nil
}

// ociArchive packs img as an OCI image layout in a tar (what
// `skopeo copy … oci-archive:` and `podman save --format oci-archive`
// write; https://github.com/opencontainers/image-spec/blob/main/image-layout.md),
// its index naming the image ref in org.opencontainers.image.ref.name.
func ociArchive(img v1.Image, ref string) ([]byte, v1.Hash, error) {
	manifest, err := img.RawManifest()
	if err != nil {
		return nil, v1.Hash{}, err
	}
	dg, err := img.Digest()
	if err != nil {
		return nil, v1.Hash{}, err
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		return nil, v1.Hash{}, err
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return nil, v1.Hash{}, err
	}
	blobs := map[string][]byte{blob(dg): manifest, blob(cfgName): cfg}
	layers, err := img.Layers()
	if err != nil {
		return nil, v1.Hash{}, err
	}
	for _, l := range layers {
		h, err := l.Digest()
		if err != nil {
			return nil, v1.Hash{}, err
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, v1.Hash{}, err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, v1.Hash{}, err
		}
		blobs[blob(h)] = b
	}
	index, err := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex,
		Manifests: []v1.Descriptor{{MediaType: types.OCIManifestSchema1, Size: int64(len(manifest)), Digest: dg,
			Annotations: map[string]string{"org.opencontainers.image.ref.name": ref}}}})
	if err != nil {
		return nil, v1.Hash{}, err
	}
	files := []file{{path: "oci-layout", data: []byte(`{"imageLayoutVersion":"1.0.0"}`)}, {path: "index.json", data: index},
		{path: "blobs/", dir: true}, {path: "blobs/sha256/", dir: true}}
	names := make([]string, 0, len(blobs))
	for n := range blobs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		files = append(files, file{path: n, data: blobs[n]})
	}
	b, err := layerTar(files)
	return b, dg, err
}

func blob(h v1.Hash) string { return path.Join("blobs", h.Algorithm, h.Hex) }
