package image

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	gname "github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/daemon"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/moby/moby/client"
)

// daemonImage reads an image from the Docker engine API. The config comes
// from ImageInspect (cheap), so a rescan whose layers are all cached never
// exports the image. Layers come from one ImageSave streamed into a
// temporary file (the engine has no per-layer export), read as a docker
// archive and removed on Close.
type daemonImage struct {
	v1.Image // go-containerregistry's daemon image: config via inspect
	ctx      context.Context
	cli      *client.Client
	ref      string
	tempDir  string

	once  sync.Once
	saved v1.Image
	path  string
	err   error
}

// openDaemon reads ref from eng (nil: the Docker engine from the
// environment). ref has passed checkEngineRef.
func openDaemon(ctx context.Context, eng *engine, ref, tempDir string) (*Image, error) {
	name := "Docker engine"
	if eng != nil {
		name = eng.name
	}
	cli, err := eng.client()
	if err != nil {
		return nil, fmt.Errorf("connecting to the %s: %w", name, err)
	}
	// The engine resolves names and (short) image IDs alike; go-containerregistry
	// needs a reference, so an ID is mapped to one of its tags.
	ins, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		cli.Close()
		return nil, fmt.Errorf("inspecting in the %s: %w", name, err)
	}
	refName := ref
	if _, perr := gname.ParseReference(ref); perr != nil || strings.HasPrefix(ins.ID, "sha256:"+ref) {
		if len(ins.RepoTags) == 0 {
			cli.Close()
			return nil, fmt.Errorf("image %s has no tag; tag it or scan it by name", ins.ID)
		}
		refName = ins.RepoTags[0]
	}
	r, err := gname.ParseReference(refName)
	if err != nil {
		cli.Close()
		return nil, err
	}
	base, err := daemon.Image(r, daemon.WithContext(ctx), daemon.WithClient(cli))
	if err != nil {
		cli.Close()
		return nil, err
	}
	ref = refName
	if _, err := base.ConfigFile(); err != nil {
		cli.Close()
		return nil, fmt.Errorf("inspecting in the %s: %w", name, err)
	}
	di := &daemonImage{Image: base, ctx: ctx, cli: cli, ref: ref, tempDir: tempDir}
	return &Image{Image: di, closers: []func() error{di.close}}, nil
}

func (d *daemonImage) save() (v1.Image, error) {
	d.once.Do(func() {
		rc, err := d.cli.ImageSave(d.ctx, []string{d.ref})
		if err != nil {
			d.err = fmt.Errorf("exporting from the Docker engine: %w", err)
			return
		}
		defer rc.Close()
		if d.tempDir != "" {
			if err := os.MkdirAll(d.tempDir, 0o700); err != nil {
				d.err = err
				return
			}
		}
		f, err := os.CreateTemp(d.tempDir, "docker-save-*.tar")
		if err != nil {
			d.err = err
			return
		}
		d.path = f.Name()
		_, err = io.Copy(f, rc)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			d.err = fmt.Errorf("exporting from the Docker engine: %w", err)
			return
		}
		d.saved, d.err = tarball.ImageFromPath(d.path, nil)
	})
	return d.saved, d.err
}

func (d *daemonImage) Layers() ([]v1.Layer, error) {
	img, err := d.save()
	if err != nil {
		return nil, err
	}
	return img.Layers()
}

func (d *daemonImage) LayerByDiffID(h v1.Hash) (v1.Layer, error) {
	img, err := d.save()
	if err != nil {
		return nil, err
	}
	return img.LayerByDiffID(h)
}

func (d *daemonImage) close() error {
	err := d.cli.Close()
	if d.path != "" {
		if rerr := os.Remove(d.path); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}
