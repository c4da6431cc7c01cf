package image_test

import (
	"archive/tar"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/image/imagetest"
)

// multiArch writes an OCI layout holding a two-platform index whose images
// differ (the arm64 one carries an extra layer), and returns the dir and
// the images.
func multiArch(t *testing.T) (string, v1.Image, v1.Image) {
	t.Helper()
	base := imagetest.Layer(t, imagetest.DebianBase(t))
	amd := imagetest.Image(t, imagetest.AppConfig, imagetest.Step{Layer: base, CreatedBy: "base"})
	arm := imagetest.Image(t, imagetest.AppConfig, imagetest.Step{Layer: base, CreatedBy: "base"},
		imagetest.Step{Layer: imagetest.Layer(t, []imagetest.File{{Path: "etc/arm", Data: []byte("arm64")}}), CreatedBy: "arm"})
	cf, _ := arm.ConfigFile()
	cf = cf.DeepCopy()
	cf.Architecture = "arm64"
	arm, err := mutate.ConfigFile(arm, cf)
	if err != nil {
		t.Fatal(err)
	}
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}})
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(idx); err != nil {
		t.Fatal(err)
	}
	return dir, amd, arm
}

// tarDir packs a directory into a tar (an OCI archive when dir is a layout).
func tarDir(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "oci.tar")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, _ := d.Info()
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: info.Size(), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tw.Close()
	f.Close()
	return out
}

func digest(t *testing.T, img v1.Image) string {
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func TestOpenOCILayoutAndArchivePlatforms(t *testing.T) {
	ctx := context.Background()
	dir, amd, arm := multiArch(t)
	archive := tarDir(t, dir)
	for _, tc := range []struct {
		input, platform, transport string
		want                       v1.Image
	}{
		{dir, "linux/amd64", image.OCILayout, amd},
		{"oci-layout:" + dir, "linux/arm64", image.OCILayout, arm},
		{archive, "linux/arm64", image.OCIArchive, arm},
		{"oci-archive:" + archive, "linux/amd64", image.OCIArchive, amd},
	} {
		im, err := image.Open(ctx, tc.input, image.Options{Platform: tc.platform})
		if err != nil {
			t.Fatalf("%s %s: %v", tc.input, tc.platform, err)
		}
		if im.Transport != tc.transport || im.Digest != digest(t, tc.want) || im.Platform != tc.platform {
			t.Errorf("%s %s: got %s %s %s", tc.input, tc.platform, im.Transport, im.Digest, im.Platform)
		}
		// Layers stream from the archive: the bytes must match the diffIDs.
		layers, err := im.Layers()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range layers {
			rc, err := l.Uncompressed()
			if err != nil {
				t.Fatal(err)
			}
			n, err := io.Copy(io.Discard, rc)
			rc.Close()
			if err != nil || n == 0 {
				t.Errorf("%s: reading layer: %d bytes, %v", tc.input, n, err)
			}
		}
		im.Close()
	}
	_, err := image.Open(ctx, dir, image.Options{Platform: "linux/s390x"})
	if err == nil || !strings.Contains(err.Error(), "linux/amd64") || !strings.Contains(err.Error(), dir) {
		t.Errorf("missing platform: %v; want the available platforms and the input named", err)
	}
}

func TestOpenDetectsDockerArchive(t *testing.T) {
	img := imagetest.Image(t, imagetest.AppConfig, imagetest.Step{Layer: imagetest.Layer(t, imagetest.DebianBase(t)), CreatedBy: "base"})
	p := filepath.Join(t.TempDir(), "x.tar")
	if err := tarball.WriteToFile(p, nil, img); err != nil {
		t.Fatal(err)
	}
	im, err := image.Open(context.Background(), p, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	cn, _ := img.ConfigName()
	if im.Transport != image.DockerArchive || im.Digest != cn.String() {
		t.Errorf("transport %s digest %s, want docker-archive and image ID %s", im.Transport, im.Digest, cn)
	}
}
