package scan

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/image/imagetest"
)

// TestRootOpaqueWhiteout: ".wh..wh..opq" at a layer's root hides every
// lower layer (OCI image-spec layer.md, "Opaque Whiteout"; containerd's
// applier removes everything under the marker's directory, the root
// included, except what the same layer unpacked: pkg/archive/tar.go
// applyNaive). The Debian base's packages are gone; the marker's own
// layer and the layers above it still count. The Docker engine's own
// view of such an image is checked in cmd/sightline
// (TestRootOpaqueWhiteoutDockerEngine).
func TestRootOpaqueWhiteout(t *testing.T) {
	pkgJSON, err := os.ReadFile(filepath.Join(imagetest.Testdata(t), "legacy", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	base := imagetest.TarBytes(t, imagetest.DebianBase(t))
	opaque := imagetest.TarBytes(t, []imagetest.File{
		{Path: "a/node_modules/minimist/package.json", Data: pkgJSON},
		{Path: "./.wh..wh..opq"}, // after the entry: order inside a layer does not matter
	})
	above := imagetest.TarBytes(t, []imagetest.File{{Path: "b/node_modules/minimist/package.json", Data: pkgJSON}})
	res, err := newScanner(t, "").ScanImage(context.Background(), &image.Image{Image: imageOf(t, base, opaque, above), Transport: image.OCILayout})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.Packages {
		got = append(got, p.Locations...)
	}
	if res.OS != nil || len(got) != 2 || got[0] != "/a/node_modules/minimist/package.json" || got[1] != "/b/node_modules/minimist/package.json" {
		t.Fatalf("OS %+v, package locations %v; want only the two minimist copies above the opaque root", res.OS, got)
	}
}
