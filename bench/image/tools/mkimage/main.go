// Command mkimage assembles the image-scan benchmark image from plain layer
// tarballs: a docker-archive (`docker save` format) with gzip layers, one
// history line per layer and a fixed creation time, so the same inputs give
// the same image.
//
//	mkimage -o image.tar -tag sightline-bench:latest rootfs.tar='debootstrap …' app.tar='COPY app /app'
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	out := flag.String("o", "image.tar", "output docker-archive")
	tag := flag.String("tag", "sightline-bench:latest", "image tag recorded in the archive")
	flag.Parse()
	if err := build(*out, *tag, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func build(out, tag string, layers []string) error {
	created := v1.Time{Time: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	img := empty.Image
	for _, spec := range layers {
		path, createdBy, _ := strings.Cut(spec, "=")
		l, err := tarball.LayerFromFile(path)
		if err != nil {
			return fmt.Errorf("layer %s: %w", path, err)
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: createdBy, Created: created}})
		if err != nil {
			return fmt.Errorf("appending %s: %w", path, err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS, cf.Created = "amd64", "linux", created
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	cf.Config.Cmd = []string{"nginx", "-g", "daemon off;"}
	cf.Config.ExposedPorts = map[string]struct{}{"80/tcp": {}}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return err
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(out, ref, img)
}
