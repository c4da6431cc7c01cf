package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/reach"
	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/workload"
	"github.com/sightline-sec/sightline/internal/workload/ecs"
	"github.com/sightline-sec/sightline/internal/workload/kube"
)

// written is one estate shared by the tests (Write once per process).
var written struct {
	once sync.Once
	e    *Estate
	err  error
	took time.Duration
}

func estate(t *testing.T) *Estate {
	t.Helper()
	written.once.Do(func() {
		dir, err := os.MkdirTemp("", "sightline-demo-")
		if err != nil {
			written.err = err
			return
		}
		t0 := time.Now()
		written.e, written.err = Write(context.Background(), dir)
		written.took = time.Since(t0)
	})
	if written.err != nil {
		t.Fatal(written.err)
	}
	return written.e
}

func TestMain(m *testing.M) {
	code := m.Run()
	if written.e != nil {
		os.RemoveAll(written.e.Dir)
	}
	os.Exit(code)
}

// join runs the inventory join the CLI's loadSources runs, from the
// library pieces: the AWS engine, ECS from the snapshot, Kubernetes from
// the manifests, then exposure through the container hops.
func join(t *testing.T, e *Estate) (*workload.Inventory, *exposure.Report) {
	t.Helper()
	ctx := context.Background()
	snap, err := snapshot.Load(ctx, e.AWS)
	if err != nil {
		t.Fatal(err)
	}
	_, rep, err := reach.AnalyzeAWS(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := kube.LoadManifests(ctx, e.K8s, kube.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inv := &workload.Inventory{Schema: workload.Schema}
	inv.Merge(kube.Build(objs))
	inv.Merge(ecs.FromSnapshot(snap))
	reach.Join(inv, snap, rep)
	return inv, rep
}

func workloadByID(t *testing.T, inv *workload.Inventory, id string) *workload.Workload {
	t.Helper()
	for i := range inv.Workloads {
		if inv.Workloads[i].ID == id {
			return &inv.Workloads[i]
		}
	}
	t.Fatalf("no workload %s in the inventory", id)
	return nil
}

func hops(v workload.Verdict) string {
	var s []string
	for _, h := range v.Path {
		s = append(s, h.Kind+":"+h.ID)
	}
	return strings.Join(s, " ")
}

func readResult(t *testing.T, p string) *scan.Result {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var r scan.Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return &r
}

// TestMissionCase: the same application with the same real vulnerable
// packages runs in a public fleet (ALB → Fargate tasks, shop/api:1.4.2) and
// in an internal fleet (bridge tasks of the previous build, shop/api:1.4.1,
// on hosts whose security group admits the dynamic host ports from the VPC
// only). The join must say exposed with the ALB path for the one and
// not_exposed naming the security group for the other, and both images'
// scans must hold the same advisories.
func TestMissionCase(t *testing.T) {
	e := estate(t)
	t.Logf("Write took %v", written.took)
	inv, _ := join(t, e)
	if len(inv.Gaps) != 0 {
		t.Errorf("gaps: %+v", inv.Gaps)
	}
	public, internal := e.Images[0], e.Images[1]
	if public.Name != APIImage || internal.Name != BackofficeImage || public.Digest == internal.Digest {
		t.Fatalf("images %s %s / %s %s", public.Name, public.Digest, internal.Name, internal.Digest)
	}
	for _, id := range public.Workloads {
		c := workloadByID(t, inv, id).Containers[0]
		if c.Image.Digest != public.Digest {
			t.Errorf("%s runs %s, want the built image %s", id, c.Image.Digest, public.Digest)
		}
		var found bool
		for _, v := range c.Exposure {
			if v.ContainerPort == 8080 && v.Verdict == "exposed" {
				found = true
				if !slices.Equal(v.Sources, []string{"0.0.0.0/0"}) || v.Width != "wide" {
					t.Errorf("%s: sources %v width %s, want 0.0.0.0/0 wide", id, v.Sources, v.Width)
				}
				for _, want := range []string{"listener:", "lb_security_group:sg-0shopalb", "security_group:sg-0shopapi", "target_group:"} {
					if !strings.Contains(hops(v), want) {
						t.Errorf("%s: path %s lacks %s", id, hops(v), want)
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: tcp/8080 not exposed: %+v", id, c.Exposure)
		}
	}
	for _, id := range internal.Workloads {
		c := workloadByID(t, inv, id).Containers[0]
		if c.Image.Digest != internal.Digest {
			t.Errorf("%s runs %s, want the built image %s", id, c.Image.Digest, internal.Digest)
		}
		var blocked bool
		for _, v := range c.Exposure {
			if v.Verdict != "not_exposed" {
				t.Errorf("%s: %s via %s (%v), want not_exposed", id, v.Verdict, v.Via, v.Sources)
			}
			if v.ContainerPort == 8080 && strings.HasPrefix(v.Via, "i-0backoffice") && v.BlockedBy != nil && v.BlockedBy.ID == "sg-0backoffice" {
				blocked = true
			}
		}
		if !blocked {
			t.Errorf("%s: no host-port verdict blocked by sg-0backoffice: %+v", id, c.Exposure)
		}
	}
	// The same real advisories are in the scans of both fleets' images.
	for i, im := range []Image{public, internal} {
		res := readResult(t, e.ScanResults[i])
		if res.Target.Digest != im.Digest || res.Target.Name != im.Name || res.Target.Transport != "oci-archive" ||
			res.DB == nil || res.DB.Path != "db/sightline.db" {
			t.Errorf("%s scan: target %+v, db %+v", im.Name, res.Target, res.DB)
		}
		got := map[string]bool{}
		for _, f := range res.Findings {
			got[f.ID+" "+f.Package.Name+" "+f.Package.Version] = true
		}
		for _, want := range []string{"GHSA-p6mc-m468-83gw lodash 4.17.15", "GHSA-xvch-5gv4-984h minimist 1.2.0",
			"GHSA-rv95-896h-c2vc express 4.17.1", "CVE-2010-0928 openssl 3.0.19-1~deb12u2"} {
			if !got[want] {
				t.Errorf("%s scan lacks %s; has %v", im.Name, want, got)
			}
		}
		for _, w := range res.Warnings {
			if strings.Contains(w, e.Dir) {
				t.Errorf("warning names the temporary estate directory: %s", w)
			}
		}
		if res.Coverage == nil || !res.Coverage.Complete() || res.Coverage.Packages == 0 {
			t.Errorf("%s scan coverage %+v", im.Name, res.Coverage)
		}
	}
}

// TestEstateParts: the EKS service behind its NLB, the bastion narrowed to
// the office range, and every workload of an image joined by its digest.
func TestEstateParts(t *testing.T) {
	e := estate(t)
	inv, rep := join(t, e)
	web := e.Images[2]
	for _, id := range web.Workloads {
		w := workloadByID(t, inv, id)
		c := w.Containers[0]
		if c.Image.Digest != web.Digest || w.Host == nil || !strings.HasPrefix(w.Host.InstanceID, "i-0eksnode") {
			t.Errorf("%s: digest %s host %+v", id, c.Image.Digest, w.Host)
		}
		var viaNLB bool
		for _, v := range c.Exposure {
			if v.Verdict == "exposed" && strings.Contains(hops(v), "security_group:sg-0eksnodes") &&
				strings.Contains(hops(v), "lb_security_group:sg-0k8sweb") {
				viaNLB = true
			}
		}
		if !viaNLB {
			t.Errorf("%s: not exposed through the NLB: %+v", id, c.Exposure)
		}
	}
	// Every workload of the inventory runs an image of the estate, and
	// Image.Workloads lists exactly those running each digest.
	byDigest := map[string][]string{}
	for _, w := range inv.Workloads {
		for _, c := range w.Containers {
			byDigest[c.Image.Digest] = append(byDigest[c.Image.Digest], w.ID)
		}
	}
	for _, im := range e.Images {
		got, want := slices.Sorted(slices.Values(byDigest[im.Digest])), slices.Sorted(slices.Values(im.Workloads))
		if !slices.Equal(got, want) {
			t.Errorf("%s: workloads %v, want %v", im.Name, got, want)
		}
		delete(byDigest, im.Digest)
	}
	if len(byDigest) != 0 {
		t.Errorf("workloads running images outside the estate: %v", byDigest)
	}
	var bastion bool
	for _, r := range rep.Results {
		if r.Verdict == "unknown" {
			t.Errorf("the estate is complete, yet %s %s/%d is unknown: missing %v", r.Resource, r.Protocol, r.FromPort, r.Missing)
		}
		if r.Resource == "i-0bastion00000001" && r.FromPort == 22 && r.Verdict == "exposed" {
			bastion = slices.Equal(r.Sources, []string{"81.2.69.0/24"}) && r.Width == "narrow"
		}
	}
	if !bastion {
		t.Error("bastion: no narrow tcp/22 exposure from 81.2.69.0/24")
	}
	if len(e.ScanResults) != len(e.Images) {
		t.Fatalf("%d scan results for %d images", len(e.ScanResults), len(e.Images))
	}
	if r := readResult(t, e.ScanResults[2]); r.Target.Digest != web.Digest || len(r.Findings) == 0 {
		t.Errorf("shop/web scan: digest %s, %d findings", r.Target.Digest, len(r.Findings))
	}
}

// TestDeterministic: writing the estate again — into a fresh directory,
// then over that one — gives the same images (their digests are named by
// the embedded snapshot and manifests) and the same snapshot files.
func TestDeterministic(t *testing.T) {
	e := estate(t)
	ctx := context.Background()
	dir := t.TempDir()
	for range 2 {
		e2, err := Write(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		for i, im := range e2.Images {
			a, err := os.ReadFile(im.Archive)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(e.Images[i].Archive)
			if err != nil {
				t.Fatal(err)
			}
			if im.Digest != e.Images[i].Digest || !bytes.Equal(a, b) {
				t.Errorf("%s: second build differs (digest %s vs %s)", im.Name, im.Digest, e.Images[i].Digest)
			}
		}
		if got := readResult(t, e2.ScanResults[0]); len(got.Findings) != len(readResult(t, e.ScanResults[0]).Findings) {
			t.Errorf("rewritten estate: %d findings for shop/api", len(got.Findings))
		}
	}
	err := filepath.WalkDir(e.AWS, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(e.Dir, p)
		a, _ := os.ReadFile(p)
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two writes: %v", rel, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWriteErrors: a target that cannot be a directory is an error naming
// it, not a panic.
func TestWriteErrors(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Write(context.Background(), f)
	if err == nil || !strings.Contains(err.Error(), f) {
		t.Errorf("Write into a file: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Write(ctx, t.TempDir()); err == nil {
		t.Error("Write with a cancelled context succeeded")
	}
}

// TestEmbeddedDigests: the snapshot (ECS imageDigest) and the cluster
// objects (imageID) name the digests of the images as built now. After a
// change to an image, put the new digests into make_scenarios.py
// (DEMO_API_DIGEST, DEMO_WEB_DIGEST; rerun it) and estate/k8s/cluster.yaml.
func TestEmbeddedDigests(t *testing.T) {
	var aws, k8s bytes.Buffer
	for _, c := range []struct {
		root string
		buf  *bytes.Buffer
	}{{"estate/aws", &aws}, {"estate/k8s", &k8s}} {
		err := fs.WalkDir(estateFS, c.root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := estateFS.ReadFile(p)
			c.buf.Write(b)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, spec := range imageSpecs() {
		img, err := buildImage(spec)
		if err != nil {
			t.Fatal(err)
		}
		dg, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		where, buf := []string{"make_scenarios.py DEMO_API_DIGEST", "make_scenarios.py DEMO_BACKOFFICE_DIGEST",
			"estate/k8s/cluster.yaml imageID (and DEMO_WEB_DIGEST)"}[i], &aws
		if i == 2 {
			buf = &k8s
		}
		if !bytes.Contains(buf.Bytes(), []byte(dg.String())) {
			t.Errorf("%s is built as %s, which %s does not name", spec.name, dg, where)
		}
	}
}

// TestCopiesUnchanged: the estate's package metadata and advisories are
// byte-for-byte copies of the repository's testdata (PROVENANCE.md says
// where those come from); the five npm GHSA records not in testdata are
// checked for their ids only.
func TestCopiesUnchanged(t *testing.T) {
	td := filepath.Join("..", "..", "testdata")
	pairs := map[string]string{
		"estate/images/debian12":       filepath.Join(td, "image", "debian12"),
		"estate/images/nodeapp":        filepath.Join(td, "image", "nodeapp"),
		"estate/advisories/osv/debian": filepath.Join(td, "vulndb", "osv", "debian"),
		"estate/advisories/kev":        filepath.Join(td, "vulndb", "kev"),
		"estate/advisories/epss":       filepath.Join(td, "vulndb", "epss"),
	}
	n := 0
	for emb, orig := range pairs {
		err := fs.WalkDir(estateFS, emb, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			a, _ := estateFS.ReadFile(p)
			b, err := os.ReadFile(filepath.Join(orig, filepath.FromSlash(strings.TrimPrefix(p, emb))))
			if err != nil || !bytes.Equal(a, b) {
				t.Errorf("%s differs from its testdata original: %v", p, err)
			}
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n < 60 {
		t.Errorf("compared %d files, want the whole copies", n)
	}
	for _, id := range []string{"GHSA-p6mc-m468-83gw", "GHSA-xvch-5gv4-984h", "GHSA-vh95-rmgr-6w4m", "GHSA-rv95-896h-c2vc", "GHSA-qw6h-vgh9-j6wx"} {
		b, err := estateFS.ReadFile("estate/advisories/osv/npm/" + id + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var rec struct{ ID string }
		if err := json.Unmarshal(b, &rec); err != nil || rec.ID != id {
			t.Errorf("%s.json: id %q, %v", id, rec.ID, err)
		}
	}
}

// BenchmarkWrite: the whole estate — snapshot, objects, images, database,
// scans — as `sightline demo` writes it (issue 9: well under 2 s).
func BenchmarkWrite(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		if _, err := Write(ctx, b.TempDir()); err != nil {
			b.Fatal(err)
		}
	}
}
