package main

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sightline-sec/sightline/internal/image/imagetest"
)

// TestRootOpaqueWhiteoutDockerEngine: a layer whose root holds the opaque
// marker (.wh..wh..opq, OCI image-spec layer.md "Opaque Whiteout") hides
// every lower layer. The real Docker engine is the reference: the test
// loads the image, exports a container's filesystem and checks that the
// base layer's dpkg status is gone there; the scan must agree (no Debian
// packages from the hidden layer, the upper layer's npm package found).
func TestRootOpaqueWhiteoutDockerEngine(t *testing.T) {
	docker := requireTool(t, "docker")
	if err := exec.Command(docker, "version").Run(); err != nil {
		t.Fatalf("docker engine not reachable: %v", err)
	}
	pkgJSON, err := os.ReadFile(filepath.Join(imagetest.Testdata(t), "legacy", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	top := []imagetest.File{{Path: ".wh..wh..opq"}, {Path: "srv/node_modules/minimist/package.json", Data: pkgJSON}}
	img := imagetest.Image(t, imagetest.AppConfig,
		imagetest.Step{Layer: imagetest.Layer(t, imagetest.DebianBase(t)), CreatedBy: "debian base"},
		imagetest.Step{Layer: imagetest.Layer(t, top), CreatedBy: "root opaque whiteout"})
	tag := fmt.Sprintf("sightline-test/opaque:t%d", time.Now().UnixNano())
	archive := writeDockerArchive(t, img, tag)
	if out, err := exec.Command(docker, "load", "-i", archive).CombinedOutput(); err != nil {
		t.Fatalf("docker load: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command(docker, "rmi", "-f", tag).Run() })
	ctr, err := exec.Command(docker, "create", tag).Output()
	if err != nil {
		t.Fatalf("docker create: %v", err)
	}
	id := strings.TrimSpace(string(ctr))
	t.Cleanup(func() { exec.Command(docker, "rm", "-f", id).Run() })
	export := exec.Command(docker, "export", id)
	r, _ := export.StdoutPipe()
	if err := export.Start(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		seen[strings.TrimPrefix(h.Name, "./")] = true
	}
	export.Wait()
	if seen["var/lib/dpkg/status"] || !seen["srv/node_modules/minimist/package.json"] {
		t.Fatalf("the engine's view: dpkg status present %v, upper package.json present %v; the test's premise fails",
			seen["var/lib/dpkg/status"], seen["srv/node_modules/minimist/package.json"])
	}
	for _, ref := range []string{"docker:" + tag, "docker-archive:" + archive} {
		out, stderr, code := runCLI(t, "--cache-dir", t.TempDir(), "scan", "image", "--offline", "--db", quickstartDB(t), "--format", "json", ref)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", ref, code, stderr)
		}
		res := decodeResult(t, out)
		if len(res.Packages) != 1 || res.Packages[0].Name != "minimist" || res.OS != nil {
			t.Errorf("%s: packages %+v, OS %+v; want only minimist from the upper layer, as the engine shows", ref, res.Packages, res.OS)
		}
	}
}
