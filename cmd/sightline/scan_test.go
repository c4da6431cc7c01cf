package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/crypto/bcrypt"

	"github.com/sightline-sec/sightline/internal/image/imagetest"
	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/image/golden files")

// quickstartDB builds an advisory DB from the real Go vulndb records in
// testdata/quickstart.
func quickstartDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	b, err := vulndb.ReadOSV(ctx, filepath.Join("..", "..", "testdata", "quickstart"), vulndb.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "sightline.db")
	if _, err := vulndb.Write(ctx, p, b); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeDockerArchive(t *testing.T, img v1.Image, tag string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "app.tar")
	var err error
	if tag == "" {
		err = tarball.WriteToFile(p, nil, img)
	} else {
		err = writeTagged(p, tag, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func writeTagged(p, tag string, img v1.Image) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(p, ref, img)
}

func decodeResult(t *testing.T, out string) *scan.Result {
	t.Helper()
	var res scan.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("scan JSON: %v\n%.500s", err, out)
	}
	return &res
}

// summary renders the parts of a result that must not drift, one line per
// fact, with toolchain-dependent values (the Go stdlib version, layer
// hashes of the compiled binary) normalised.
func summary(res *scan.Result) string {
	var b strings.Builder
	goVer := strings.TrimPrefix(runtime.Version(), "go")
	fmt.Fprintf(&b, "schema %s\ntarget kind=%s platform=%s layers=%d\n", res.Schema, res.Target.Kind, res.Target.Platform, res.Target.LayerCount)
	if c := res.Target.Config; c != nil {
		fmt.Fprintf(&b, "config user=%s ports=%v entrypoint=%v cmd=%v labels=%v\n", c.User, c.ExposedPorts, c.Entrypoint, c.Cmd, c.Labels)
	}
	if res.OS != nil {
		fmt.Fprintf(&b, "os %s %s %q %s\n", res.OS.ID, res.OS.VersionID, res.OS.PrettyName, res.OS.Ecosystem)
	}
	for _, p := range res.Packages {
		layer := "-"
		if p.Layer != nil {
			layer = fmt.Sprintf("%d %q", p.Layer.Index, p.Layer.CreatedBy)
		}
		line := fmt.Sprintf("pkg %s %s %s %s %s src=%s@%s at=%v layer=%s\n", p.Type, p.Ecosystem, p.Name, p.Version,
			p.PURL, p.SourceName, p.SourceVersion, p.Locations, layer)
		if p.Type == "go-stdlib" {
			line = strings.ReplaceAll(line, goVer, "GOVERSION")
		}
		b.WriteString(line)
	}
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "finding %s aliases=%v %s %s@%s fixed=%v state=%s severity=%s layer=%d\n", f.ID, f.Aliases,
			f.Package.Ecosystem, f.Package.Name, f.Package.Version, f.FixedVersions, f.FixState, f.Severity.Level, f.Package.Layer.Index)
	}
	for _, w := range res.Warnings {
		if strings.Contains(w, "stale") {
			continue // depends on the clock, not on the scan
		}
		fmt.Fprintf(&b, "warning %s\n", w)
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("..", "..", "testdata", "image", "golden", name)
	if *updateGolden {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden (go test ./cmd/sightline -run %s -update to accept):\n%s", p, t.Name(), diffLines(string(want), got))
	}
}

func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	return b.String()
}

// TestScanImageArchiveGolden scans the standard test image (real Debian 12
// status, Go binary with x/text v0.3.5, real npm install) from a docker
// archive, offline, against a DB of real Go vulndb records.
func TestScanImageArchiveGolden(t *testing.T) {
	archive := writeDockerArchive(t, imagetest.AppImage(t), "")
	db := quickstartDB(t)
	out, stderr, code := runCLI(t, "scan", "image", "--offline", "--db", db, "--format", "json", "docker-archive:"+archive)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	res := decodeResult(t, out)
	i := slices.IndexFunc(res.Findings, func(f scan.Finding) bool {
		return f.ID == "GO-2021-0113" && f.Package.Name == "golang.org/x/text"
	})
	if i < 0 {
		t.Fatalf("no GO-2021-0113 finding for x/text v0.3.5; findings: %+v", res.Findings)
	}
	if f := res.Findings[i]; !slices.Contains(f.Aliases, "CVE-2021-38561") || f.Package.Layer == nil || f.Package.Layer.Index != 1 {
		t.Errorf("GO-2021-0113 finding = %+v", f)
	}
	if res.DB == nil || res.DB.Path != db {
		t.Errorf("db info = %+v", res.DB)
	}
	golden(t, "appimage.txt", summary(res))
}

func TestScanImageOfflineRefusesRegistry(t *testing.T) {
	_, stderr, code := runCLI(t, "scan", "image", "--offline", "--db", quickstartDB(t), "--format", "json", "registry:127.0.0.1:1/app:1")
	if code != 2 || !strings.Contains(stderr, "--offline") || !strings.Contains(stderr, "127.0.0.1:1/app:1") {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
}

func TestScanImageOfflineWithoutDB(t *testing.T) {
	archive := writeDockerArchive(t, imagetest.AppImage(t), "")
	_, stderr, code := runCLI(t, "scan", "image", "--offline", "--format", "json", archive)
	if code != 2 || !strings.Contains(stderr, "no advisory database") {
		t.Fatalf("exit %d stderr %q, want 2 and a clear message", code, stderr)
	}
}

func TestScanImageBadInputs(t *testing.T) {
	dir := t.TempDir()
	notTar := filepath.Join(dir, "junk.tar")
	os.WriteFile(notTar, []byte("this is not a tar archive, just text that is long enough to fail"), 0o644)
	emptyDir := t.TempDir()
	for _, in := range []string{notTar, emptyDir, "docker-archive:" + filepath.Join(dir, "missing.tar"), "./missing.tar", "oci-layout:" + emptyDir} {
		_, stderr, code := runCLI(t, "scan", "image", "--format", "json", in)
		if code != 2 || !strings.Contains(stderr, strings.TrimPrefix(strings.TrimPrefix(in, "docker-archive:"), "oci-layout:")) {
			t.Errorf("%s: exit %d stderr %q; want 2 naming the input", in, code, stderr)
		}
	}
}

func TestScanFS(t *testing.T) {
	root := t.TempDir()
	for _, f := range imagetest.DebianBase(t) {
		p := filepath.Join(root, filepath.FromSlash(f.Path))
		switch f.Type {
		case '5':
			os.MkdirAll(p, 0o755)
		case '2':
			if err := os.Symlink(f.Link, p); err != nil {
				t.Fatal(err)
			}
		default:
			os.WriteFile(p, f.Data, 0o644)
		}
	}
	out, stderr, code := runCLI(t, "scan", "fs", "--format", "json", root)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	res := decodeResult(t, out)
	if res.Target.Kind != "fs" || res.OS == nil || res.OS.Ecosystem != "Debian:12" || len(res.Packages) != imagetest.InstalledDpkg(t) {
		t.Fatalf("fs scan: target %+v os %+v, %d packages", res.Target, res.OS, len(res.Packages))
	}
	if res.Packages[0].Layer != nil {
		t.Errorf("fs packages must carry no layer: %+v", res.Packages[0])
	}
}

// TestScanBadFlagsFailBeforeScanning: output, gate and suppression flags
// are checked before any image is opened (here: a registry that would
// refuse the connection) or any database is looked for.
func TestScanBadFlagsFailBeforeScanning(t *testing.T) {
	missingVEX := filepath.Join(t.TempDir(), "missing.vex.json")
	for _, flags := range [][]string{{"--fail-on", "bogus"}, {"--vex", missingVEX}, {"--format", "xml"}} {
		args := append([]string{"scan", "image"}, flags...)
		_, stderr, code := runCLI(t, append(args, "registry:127.0.0.1:1/app:1")...)
		if code != 2 || !strings.Contains(stderr, flags[1]) || strings.Contains(stderr, "127.0.0.1:1") ||
			strings.Contains(stderr, "advisory database") {
			t.Errorf("%v: exit %d stderr %q; want 2 naming the flag value, before scanning", flags, code, stderr)
		}
	}
}

func TestScanFSBadInputs(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{filepath.Join(t.TempDir(), "missing"), file} {
		_, stderr, code := runCLI(t, "scan", "fs", "--format", "json", in)
		if code != 2 || !strings.Contains(stderr, in) {
			t.Errorf("%s: exit %d stderr %q; want 2 naming the input", in, code, stderr)
		}
	}
}

// requireTool skips when an external tool is absent, except under CI.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required under CI: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startRegistry runs the Debian docker-registry (distribution) on a free
// 127.0.0.1 port with storage in a temp dir, and returns host:port.
func startRegistry(t *testing.T, extraCfg string) string {
	t.Helper()
	bin := requireTool(t, "docker-registry")
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n%s",
		filepath.Join(dir, "data"), addr, extraCfg)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return addr
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("docker-registry did not start on %s: %s", addr, logs.String())
	return ""
}

// TestScanImageFromRegistry pushes the test image to a real local
// registry with go-containerregistry and scans it by reference.
func TestScanImageFromRegistry(t *testing.T) {
	addr := startRegistry(t, "")
	ref, err := name.ParseReference(addr+"/sightline/app:test", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img := imagetest.AppImage(t)
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("push: %v", err)
	}
	out, stderr, code := runCLI(t, "scan", "image", "--insecure-registry", "--db", quickstartDB(t), "--format", "json", addr+"/sightline/app:test")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	res := decodeResult(t, out)
	d, _ := img.Digest()
	if res.Target.Digest != d.String() {
		t.Errorf("digest %s, want pushed %s", res.Target.Digest, d)
	}
	xt := slices.IndexFunc(res.Findings, func(f scan.Finding) bool { return f.ID == "GO-2021-0113" })
	if xt < 0 || len(res.Packages) < imagetest.InstalledDpkg(t) {
		t.Fatalf("%d packages, findings %+v", len(res.Packages), res.Findings)
	}
	if l := res.Findings[xt].Package.Layer; l == nil || !strings.HasPrefix(l.Digest, "sha256:") {
		t.Errorf("registry scans name the layer digest: %+v", l)
	}
	// A missing tag is an input error naming the reference.
	_, stderr, code = runCLI(t, "scan", "image", "--insecure-registry", "--format", "json", "registry:"+addr+"/sightline/app:nope")
	if code != 2 || !strings.Contains(stderr, addr+"/sightline/app:nope") {
		t.Errorf("missing tag: exit %d stderr %q", code, stderr)
	}
}

// TestScanImageFromDockerEngine loads the test image into the running
// Docker engine and scans it by name through the engine API.
func TestScanImageFromDockerEngine(t *testing.T) {
	docker := requireTool(t, "docker")
	if err := exec.Command(docker, "version").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("docker engine not reachable: %v", err)
		}
		t.Skipf("docker engine not reachable: %v", err)
	}
	tag := fmt.Sprintf("sightline-test/app:t%d", time.Now().UnixNano())
	archive := writeDockerArchive(t, imagetest.AppImage(t), tag)
	if out, err := exec.Command(docker, "load", "-i", archive).CombinedOutput(); err != nil {
		t.Fatalf("docker load: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command(docker, "rmi", "-f", tag).Run() })
	cache := t.TempDir()
	out, stderr, code := runCLI(t, "--cache-dir", cache, "scan", "image", "--db", quickstartDB(t), "--format", "json", "docker:"+tag)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	res := decodeResult(t, out)
	if !slices.ContainsFunc(res.Findings, func(f scan.Finding) bool { return f.ID == "GO-2021-0113" }) || len(res.Packages) < imagetest.InstalledDpkg(t) {
		t.Fatalf("%d packages, findings %+v", len(res.Packages), res.Findings)
	}
	if res.Target.Config == nil || res.Target.Config.User != "app" {
		t.Errorf("config from the engine: %+v", res.Target.Config)
	}
	if left, _ := filepath.Glob(filepath.Join(cache, "tmp", "*")); len(left) != 0 {
		t.Errorf("temporary export left behind: %v", left)
	}
	// By image ID, warm: every layer comes from the cache.
	id, err := exec.Command(docker, "image", "inspect", "-f", "{{.Id}}", tag).Output()
	if err != nil {
		t.Fatal(err)
	}
	short := strings.TrimPrefix(strings.TrimSpace(string(id)), "sha256:")[:12]
	out, stderr, code = runCLI(t, "--cache-dir", cache, "scan", "image", "--offline", "--db", quickstartDB(t), "--format", "json", "docker:"+short)
	if code != 0 {
		t.Fatalf("by ID: exit %d: %s", code, stderr)
	}
	if again := decodeResult(t, out); len(again.Packages) != len(res.Packages) || again.Target.Digest != res.Target.Digest {
		t.Errorf("by ID: %d packages digest %s; by name %d %s", len(again.Packages), again.Target.Digest, len(res.Packages), res.Target.Digest)
	}
}

// TestScanImageRegistryAuth: a registry with htpasswd auth is read with the
// credentials from the Docker config (DOCKER_CONFIG), and refused without.
func TestScanImageRegistryAuth(t *testing.T) {
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd := filepath.Join(dir, "htpasswd")
	os.WriteFile(htpasswd, []byte("ci:"+string(hash)+"\n"), 0o644)
	addr := startRegistry(t, fmt.Sprintf("auth:\n  htpasswd:\n    realm: sightline-test\n    path: %s\n", htpasswd))
	ref, _ := name.ParseReference(addr+"/private/app:1", name.Insecure)
	img := imagetest.Image(t, imagetest.AppConfig, imagetest.Step{Layer: imagetest.Layer(t, imagetest.DebianBase(t)), CreatedBy: "base"})
	if err := remote.Write(ref, img, remote.WithAuth(&authn.Basic{Username: "ci", Password: "s3cret"})); err != nil {
		t.Fatalf("push: %v", err)
	}
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	_, stderr, code := runCLI(t, "scan", "image", "--insecure-registry", "--format", "json", addr+"/private/app:1")
	if code != 2 || !strings.Contains(stderr, addr+"/private/app:1") {
		t.Fatalf("without credentials: exit %d stderr %q", code, stderr)
	}
	cfg := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, addr, base64.StdEncoding.EncodeToString([]byte("ci:s3cret")))
	os.WriteFile(filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json"), []byte(cfg), 0o600)
	out, stderr, code := runCLI(t, "scan", "image", "--insecure-registry", "--format", "json", addr+"/private/app:1")
	if code != 0 {
		t.Fatalf("with Docker config credentials: exit %d: %s", code, stderr)
	}
	if res := decodeResult(t, out); len(res.Packages) < imagetest.InstalledDpkg(t) {
		t.Errorf("%d packages", len(res.Packages))
	}
}

// TestScanFSLockfilesDev: a source tree's lockfile gives packages marked
// dev in JSON and [dev] in the table; --skip-dev leaves them out and says
// how many on stderr.
func TestScanFSLockfilesDev(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "lockfiles", "npm-dev")
	out, stderr, code := runCLI(t, "scan", "fs", "--format", "json", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	dev := 0
	for _, p := range decodeResult(t, out).Packages {
		if p.Dev {
			dev++
		}
	}
	if dev != 3 {
		t.Errorf("%d dev packages in JSON, want 3 (fsevents, mkdirp, node-pre-gyp)", dev)
	}
	out, stderr, code = runCLI(t, "scan", "fs", "--skip-dev", "--format", "json", dir)
	if code != 0 {
		t.Fatalf("--skip-dev: exit %d: %s", code, stderr)
	}
	if res := decodeResult(t, out); len(res.Packages) != 1 || res.Packages[0].Name != "minimist" {
		t.Errorf("--skip-dev packages %+v, want only minimist", res.Packages)
	}
	if !strings.Contains(stderr, "3 development/test-only packages left out") {
		t.Errorf("--skip-dev stderr %q: want the count", stderr)
	}
	out, _, _ = runCLI(t, "scan", "fs", dir)
	if !strings.Contains(out, "packages: 4 (3 dev)") {
		t.Errorf("table header does not count dev packages:\n%s", out)
	}
}
