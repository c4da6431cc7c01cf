package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sightline-sec/sightline/internal/image/imagetest"
	"github.com/sightline-sec/sightline/internal/kubetest"
	"github.com/sightline-sec/sightline/internal/risk"
)

// TestAssessLiveEKS runs `sightline assess --kubeconfig … --aws … --images …`
// against a real kube-apiserver holding the eks-join cluster, whose
// frontend and api pods run (by status imageID) two images the test builds
// from the real Debian 12 package set with a vulnerable openssl and scans
// through --images. The frontend's LoadBalancer Service is open to the
// internet; the api's admits the office /25 only (its NetworkPolicy,
// enforced by calico): the same CVE ranks higher on the frontend image,
// each row with its own path.
func TestAssessLiveEKS(t *testing.T) {
	c := assessDB(t)
	pkgs := imagetest.Layer(t, vulnerableDebian(t))
	// Each archive's digest is the one scan reports for it (a docker
	// archive holds the image as the engine would: its own digest).
	build := func(port string) (string, string) {
		img := imagetest.Image(t, v1.Config{ExposedPorts: map[string]struct{}{port: {}}},
			imagetest.Step{Layer: pkgs, CreatedBy: "debian 12.2"})
		archive := writeDockerArchive(t, img, "")
		res := decodeResult(t, c.ok("scan", "image", "--offline", "--format", "json", "docker-archive:"+archive))
		return archive, res.Target.Digest
	}
	frontArchive, frontDigest := build("8080/tcp")
	apiArchive, apiDigest := build("8081/tcp")
	if frontDigest == apiDigest || frontDigest == "" {
		t.Fatalf("digests %q and %q", frontDigest, apiDigest)
	}
	cluster := copyReplacing(t, eksCluster, map[string]string{
		"sha256:1111111111111111111111111111111111111111111111111111111111111111": frontDigest,
		"sha256:2222222222222222222222222222222222222222222222222222222222222222": apiDigest,
	})
	srv := kubetest.StartT(t, kubetest.Options{})
	seedCluster(t, srv, cluster)
	kc := eksKubeconfig(t, srv)

	args := []string{"assess", "--kubeconfig", kc, "--aws", eksSnapshot, "--offline",
		"--images", "docker-archive:" + frontArchive, "--images", "docker-archive:" + apiArchive}
	out := c.ok(append(args, "--format", "json")...)
	var rep risk.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("assess JSON: %v\n%.400s", err, out)
	}
	// The first row of each image for the same advisory.
	first := map[string]*risk.Risk{}
	for i := range rep.Risks {
		r := &rep.Risks[i]
		if first[r.Image.Digest] == nil {
			first[r.Image.Digest] = r
		}
	}
	front, api := first[frontDigest], first[apiDigest]
	if front == nil || api == nil {
		t.Fatalf("rows for %s and %s expected: %.800s", frontDigest, apiDigest, out)
	}
	if front.Reachability.Class != risk.ReachWide || api.Reachability.Class != risk.ReachNarrow || front.Rank >= api.Rank || front.Score <= api.Score {
		t.Errorf("frontend %s rank %d score %.1f; api %s rank %d score %.1f",
			front.Reachability.Class, front.Rank, front.Score, api.Reachability.Class, api.Rank, api.Score)
	}
	var apiSame *risk.Risk
	for i := range rep.Risks {
		if rep.Risks[i].Image.Digest == apiDigest && rep.Risks[i].ID == front.ID {
			apiSame = &rep.Risks[i]
		}
	}
	if apiSame == nil || apiSame.Rank <= front.Rank {
		t.Fatalf("%s on the api image must rank below the frontend's (rank %d): %+v", front.ID, front.Rank, apiSame)
	}
	names := func(r *risk.Risk) string {
		var n []string
		for _, w := range r.Workloads {
			n = append(n, w.Name)
		}
		return strings.Join(n, ",")
	}
	if got := names(front); !strings.Contains(got, "frontend-a") || !strings.Contains(got, "frontend-b") || strings.Contains(got, "api") {
		t.Errorf("frontend row workloads: %s", got)
	}
	if got := names(apiSame); !strings.Contains(got, "api-a") || !strings.Contains(got, "api-b") {
		t.Errorf("api row workloads: %s", got)
	}
	if front.Image.Join != "digest" || !pathKinds(front, "load_balancer") || !strings.Contains(strings.Join(apiSame.Reachability.Sources, ","), "81.2.69.0/25") {
		t.Errorf("frontend join %s path %+v; api sources %v", front.Image.Join, front.Reachability.Path, apiSame.Reachability.Sources)
	}
	// postgres, calico-node and node-exporter were not scanned: counted, and the gate
	// does not pass over the exposed node-exporter quietly.
	var notScanned []string
	for _, g := range rep.Coverage.ImagesNotScanned {
		notScanned = append(notScanned, fmt.Sprintf("%s exposed=%v", g.Ref, g.Exposed))
	}
	if got := strings.Join(notScanned, "; "); got != "postgres:16 exposed=false; quay.io/calico/node:v3.28.1 exposed=false; quay.io/prometheus/node-exporter:v1.8.2 exposed=true" {
		t.Errorf("images not scanned: %s", got)
	}
	_, stderr, code := c.run(append(args, "--fail-on-exposed", "high")...)
	if code != 1 || !strings.Contains(stderr, "exposed to the internet at or above high") {
		t.Errorf("--fail-on-exposed high: exit %d: %s", code, stderr)
	}
}

func pathKinds(r *risk.Risk, kind string) bool {
	for _, h := range r.Reachability.Path {
		if h.Kind == kind {
			return true
		}
	}
	return false
}
