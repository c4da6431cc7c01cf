package risk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/image/imagetest"
	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/match"
	"github.com/sightline-sec/sightline/internal/reach"
	"github.com/sightline-sec/sightline/internal/risk"
	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
	"github.com/sightline-sec/sightline/internal/workload"
	"github.com/sightline-sec/sightline/internal/workload/kube"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files")

// now fixes the clock the fix ages are measured at.
var now = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// Real data only: the estate is the eks-join cluster
// (internal/workload/kube/testdata/eks-join) joined to the eks AWS scenario
// (testdata/aws/scenarios/eks); the advisories are the repo's real Debian
// OSV records (DSA-5532-1, DSA-5764-1 for openssl on Debian 12, with their
// CVE records), the CISA KEV subset and the EPSS subset
// (testdata/vulndb/PROVENANCE.md); the images are built in-test from the
// real Debian 12 dpkg status of testdata/image/debian12 with its openssl
// and libssl3 at 3.0.11-1~deb12u1, the version Debian 12.2 shipped
// (Debian's openssl changelog), which both DSAs fix.
const vulnerableOpenSSL = "3.0.11-1~deb12u1"

var (
	dbOnce sync.Once
	dbPath string
	dbErr  error
)

// matcher opens the advisory database built from the real records.
func matcher(t *testing.T) scan.Matcher {
	t.Helper()
	ctx := context.Background()
	dbOnce.Do(func() {
		td := vulndbtest.Testdata("vulndb")
		var bs []*vulndb.Batch
		b, err := vulndb.ReadOSV(ctx, filepath.Join(td, "osv", "debian"), vulndb.ReadOptions{})
		if err != nil {
			dbErr = err
			return
		}
		bs = append(bs, b)
		if b, err = vulndb.ReadKEV(filepath.Join(td, "kev", "known_exploited_vulnerabilities-subset.json")); err != nil {
			dbErr = err
			return
		}
		bs = append(bs, b)
		if b, err = vulndb.ReadEPSS(filepath.Join(td, "epss", "epss-2021-08-31-subset.csv.gz")); err != nil {
			dbErr = err
			return
		}
		bs = append(bs, b)
		dir, err := os.MkdirTemp("", "risk-db")
		if err != nil {
			dbErr = err
			return
		}
		dbPath = filepath.Join(dir, "sightline.db")
		_, dbErr = vulndb.Write(ctx, dbPath, bs...)
	})
	if dbErr != nil {
		t.Fatal(dbErr)
	}
	db, err := vulndb.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return scan.DBMatcher{M: match.New(db)}
}

// vulnerableBase is the real Debian 12 base layer with openssl and libssl3
// at vulnerableOpenSSL.
func vulnerableBase(t *testing.T) []imagetest.File {
	return imagetest.DebianBaseVersions(t, map[string]string{"openssl": vulnerableOpenSSL, "libssl3": vulnerableOpenSSL})
}

// scanned builds and really scans one image: the vulnerable base plus a
// label naming the app (so each app's image has its own digest).
func scanned(t *testing.T, m scan.Matcher, app string, ports ...string) *scan.Result {
	t.Helper()
	cfg := v1.Config{Labels: map[string]string{"org.opencontainers.image.title": app}, ExposedPorts: map[string]struct{}{}}
	for _, p := range ports {
		cfg.ExposedPorts[p] = struct{}{}
	}
	img := imagetest.Image(t, cfg, imagetest.Step{Layer: imagetest.Layer(t, vulnerableBase(t)), CreatedBy: "debian 12.2 base"})
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	x, err := inventory.NewExtractor()
	if err != nil {
		t.Fatal(err)
	}
	s := &scan.Scanner{Extractor: x, Matcher: m, DB: &scan.DBInfo{Path: "test"}}
	res, err := s.ScanImage(context.Background(), &image.Image{Image: img, Input: "ghcr.io/example/" + app, Transport: "registry", Digest: d.String(), Platform: "linux/amd64"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) == 0 {
		t.Fatalf("%s: the scan found nothing: the test image does not carry the vulnerable openssl", app)
	}
	return res
}

// estate loads the eks-join cluster with the given digests substituted
// (frontend pods run frontDigest; api-b, on the closed node group, runs
// apiBDigest — a rollout under way: api-a still runs the old, unscanned
// build) and computes container exposure, through the eks AWS snapshot
// when withAWS, else with the cloud part unknown.
func estate(t *testing.T, frontDigest, apiBDigest string, withAWS bool) *workload.Inventory {
	t.Helper()
	ctx := context.Background()
	src, err := os.ReadFile(filepath.Join("..", "workload", "kube", "testdata", "eks-join", "cluster.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	y := strings.ReplaceAll(string(src), "frontend@sha256:"+strings.Repeat("1", 64), "frontend@"+frontDigest)
	const apiB = "  name: api-b\n"
	i := strings.Index(y, apiB)
	if i < 0 {
		t.Fatal("cluster.yaml: no api-b pod")
	}
	y = y[:i] + strings.Replace(y[i:], "api@sha256:"+strings.Repeat("2", 64), "api@"+apiBDigest, 1)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cluster.yaml"), []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	objs, err := kube.LoadManifests(ctx, []string{dir}, kube.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	objs.Cluster, objs.Live = "eks", true
	objs.Enforcement, objs.Plugin, objs.EnforcementEvidence = "enforced", "calico", "DaemonSet kube-system/calico-node"
	inv := kube.Build(objs)
	// Gaps name their input file; the temporary directory differs per
	// call, so it is cut to keep equal inputs giving equal reports.
	for i := range inv.Gaps {
		inv.Gaps[i].Input = strings.TrimPrefix(inv.Gaps[i].Input, dir+string(filepath.Separator))
	}
	if !withAWS {
		reach.Join(inv, nil, nil)
		return inv
	}
	snap, err := snapshot.Load(ctx, filepath.Join("..", "..", "testdata", "aws", "scenarios", "eks"))
	if err != nil {
		t.Fatal(err)
	}
	_, rep, err := reach.AnalyzeAWS(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	reach.Join(inv, snap, rep)
	return inv
}

// rowsFor returns the rows of one scanned image, in rank order.
func rowsFor(rep *risk.Report, res *scan.Result) []risk.Risk {
	var out []risk.Risk
	for _, r := range rep.Risks {
		if r.Image.Digest == res.Target.Digest {
			out = append(out, r)
		}
	}
	return out
}

// TestMissionCase is the case `assess` exists for: the same openssl
// vulnerabilities in two fleets, the frontend public through its
// load balancer and the api build on the node group whose security group
// is closed on the NodePort; the public fleet ranks first, each row
// says why, and the fix is grouped.
func TestMissionCase(t *testing.T) {
	m := matcher(t)
	front := scanned(t, m, "frontend", "8080/tcp")
	apiB := scanned(t, m, "api", "8080/tcp")
	inv := estate(t, front.Target.Digest, apiB.Target.Digest, true)
	rep := risk.Assess(inv, []*scan.Result{apiB, front}, risk.Options{Now: now})

	fr, ar := rowsFor(rep, front), rowsFor(rep, apiB)
	if len(fr) == 0 || len(fr) != len(ar) {
		t.Fatalf("rows: frontend %d, api %d (want the same vulnerabilities in both)", len(fr), len(ar))
	}
	for i := range fr {
		if fr[i].ID != ar[i].ID {
			t.Errorf("row %d: frontend %s, api %s: same vulnerabilities, same order", i, fr[i].ID, ar[i].ID)
		}
	}
	// Every closed-fleet row ranks below every public row the advisories
	// rate (a row the distribution rates negligible — CVE-2010-0928,
	// Debian "unimportant" — ranks low wherever it runs), and below the
	// same finding's public row.
	lastPublic := 0
	publicRank := map[string]int{}
	for _, r := range fr {
		publicRank[r.ID] = r.Rank
		if !risk.NegligibleRatings[r.Severity.Rating] {
			lastPublic = max(lastPublic, r.Rank)
		}
	}
	for _, r := range ar {
		if (r.Rank <= lastPublic && !risk.NegligibleRatings[r.Severity.Rating]) || r.Rank <= publicRank[r.ID] {
			t.Errorf("%s in the closed fleet ranks %d, not below every rated public row (last %d) and its own public row (%d)",
				r.ID, r.Rank, lastPublic, publicRank[r.ID])
		}
	}
	// The public fleet: both frontend pods, exposed wide through the
	// load balancer (or NodePort) to the port the image declares.
	f := fr[0]
	if f.Reachability.Class != risk.ReachWide || f.Reachability.Verdict != exposure.Exposed || f.Reachability.Port != "tcp/8080" ||
		len(f.Reachability.Path) == 0 || len(f.Workloads) != 2 || f.Image.Join != "digest" {
		t.Fatalf("frontend row: %+v", f)
	}
	if !strings.HasPrefix(f.Reasons[0], "exposed (wide) from the internet") || f.PortEvidence.Source != "image ExposedPorts" ||
		f.PortEvidence.Match != risk.PortDeclared {
		t.Errorf("frontend reasons/port: %q %+v", f.Reasons, f.PortEvidence)
	}
	// The closed fleet: only api-b runs the image; blocked by the node
	// group's security group.
	a := ar[0]
	if a.Reachability.Class != risk.ReachInternal || a.Reachability.BlockedBy == nil || len(a.Workloads) != 1 ||
		a.Workloads[0].ID != "k8s:eks/shop/Pod/api-b" {
		t.Fatalf("api row: %+v", a)
	}
	if a.Reachability.BlockedBy.ID != "sg-0ngclosed" || !strings.Contains(a.Reasons[0], "blocked by security_group sg-0ngclosed") {
		t.Errorf("api row does not name the closed security group: %+v %q", a.Reachability.BlockedBy, a.Reasons)
	}
	if a.ScoreParts.Exploitability != f.ScoreParts.Exploitability || a.ScoreParts.Reachability >= f.ScoreParts.Reachability {
		t.Errorf("score parts: public %+v, closed %+v: only reachability should differ", f.ScoreParts, a.ScoreParts)
	}
	fixedPublic := 0
	for _, r := range fr {
		if r.Fix.State == vulndb.FixStateFixed {
			fixedPublic++
		}
	}
	// One upgrade fixes every fixable row: openssl (the source package of libssl3
	// and openssl) to the highest fixed version any row needs.
	if len(rep.Fixes) != 1 || rep.Fixes[0].Package != "openssl" || rep.Fixes[0].To != "3.0.14-1~deb12u2" ||
		rep.Fixes[0].Findings != 2*fixedPublic || rep.Fixes[0].Exposed != fixedPublic || fixedPublic == 0 || rep.Fixes[0].Workloads != 3 {
		t.Errorf("fixes: %+v", rep.Fixes)
	}
	// Never a silent zero: api-a's old build, postgres and node-exporter
	// run but were not scanned.
	var notScanned []string
	for _, g := range rep.Coverage.ImagesNotScanned {
		notScanned = append(notScanned, g.Ref)
	}
	if got := strings.Join(notScanned, " "); !strings.Contains(got, "ghcr.io/example/api:2.0") || !strings.Contains(got, "postgres") ||
		!strings.Contains(got, "node-exporter") {
		t.Errorf("images not scanned: %v", notScanned)
	}
	// Equal inputs give equal order: the results in the other order.
	again := risk.Assess(estate(t, front.Target.Digest, apiB.Target.Digest, true), []*scan.Result{front, apiB}, risk.Options{Now: now})
	a1, _ := json.Marshal(rep)
	a2, _ := json.Marshal(again)
	if !bytes.Equal(a1, a2) {
		t.Error("the same estate and results in another order give another report")
	}
	golden(t, "mission.json", rep, map[string]string{front.Target.Digest: "sha256:FRONTEND", apiB.Target.Digest: "sha256:API-B"})

	var tb bytes.Buffer
	if err := risk.WriteTable(&tb, rep, 0, 80); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(tb.String(), "\n") {
		if len([]rune(l)) > 80 {
			t.Errorf("table line over 80 columns: %q", l)
		}
	}
	if !strings.Contains(tb.String(), "upgrade openssl to 3.0.14-1~deb12u2 fixes") || !strings.Contains(tb.String(), "not scanned") {
		t.Errorf("table:\n%s", tb.String())
	}
}

// TestUnknownRanksAboveInternal: without the AWS snapshot the cloud part of
// every path is missing; the rows are "unknown", name the missing data,
// and rank above the same rows proven internal — never as safe.
func TestUnknownRanksAboveInternal(t *testing.T) {
	m := matcher(t)
	front := scanned(t, m, "frontend", "8080/tcp")
	apiB := scanned(t, m, "api", "8080/tcp")
	known := risk.Assess(estate(t, front.Target.Digest, apiB.Target.Digest, true), []*scan.Result{front, apiB}, risk.Options{Now: now})
	unknown := risk.Assess(estate(t, front.Target.Digest, apiB.Target.Digest, false), []*scan.Result{front, apiB}, risk.Options{Now: now})
	for _, r := range rowsFor(unknown, apiB) {
		if r.Reachability.Class != risk.ReachUnknown || len(r.Reachability.Missing) == 0 || !strings.Contains(r.Reasons[0], "missing") {
			t.Fatalf("api-b without the cloud: %+v", r.Reachability)
		}
	}
	ku, uu := rowsFor(known, apiB)[0], rowsFor(unknown, apiB)[0]
	kf := rowsFor(known, front)[0]
	if !(ku.Score < uu.Score && uu.Score < kf.Score) {
		t.Errorf("scores: internal %.1f, unknown %.1f, wide %.1f: want internal < unknown < wide", ku.Score, uu.Score, kf.Score)
	}
}

// TestNotRunningAndNoWorkloads: results with no workload rank as not
// running, below any running row, and a container with no known image is
// listed in coverage.
func TestNotRunningAndNoWorkloads(t *testing.T) {
	m := matcher(t)
	front := scanned(t, m, "frontend", "8080/tcp")
	idle := scanned(t, m, "idle")
	inv := estate(t, front.Target.Digest, "sha256:"+strings.Repeat("9", 64), true)
	inv.Workloads = append(inv.Workloads, workload.Workload{ID: "docker:abc", Kind: "container", Name: "mystery", Source: workload.SourceDocker,
		Containers: []workload.Container{{Name: "mystery"}}})
	rep := risk.Assess(inv, []*scan.Result{idle, front}, risk.Options{Now: now})
	last := rep.Risks[len(rep.Risks)-1]
	if last.Reachability.Class != risk.ReachNotRunning || last.Image.Join != "none" || last.Reasons[0] != "no workload found running this image" {
		t.Errorf("last row: %+v", last)
	}
	if len(rep.Coverage.UnknownImages) != 1 || rep.Coverage.UnknownImages[0].Workload != "docker:abc" {
		t.Errorf("unknown images: %+v", rep.Coverage.UnknownImages)
	}
	if rep.Coverage.ScanResults != 2 || len(rep.Coverage.ScanGaps) != 0 {
		t.Errorf("coverage: %+v", rep.Coverage)
	}
}

// golden compares the report (digests replaced by names: they depend on
// the toolchain's gzip) with testdata/golden/NAME.
func golden(t *testing.T, name string, rep *risk.Report, replace map[string]string) {
	t.Helper()
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got := string(b) + "\n"
	for k, v := range replace {
		got = strings.ReplaceAll(got, k, v)
	}
	p := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test ./internal/risk -run %s -update)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs (go test ./internal/risk -run %s -update to accept); got:\n%s", p, t.Name(), got)
	}
}

// TestRebuildOnBase: when the vulnerable packages came with the base
// image's layers (the history ends the base at its CMD), the fix is a
// rebuild on a current base, grouped per distribution release; the same
// packages installed by the image's own layer are upgrades.
func TestRebuildOnBase(t *testing.T) {
	m := matcher(t)
	x, err := inventory.NewExtractor()
	if err != nil {
		t.Fatal(err)
	}
	build := func(name string, steps ...imagetest.Step) *scan.Result {
		img := imagetest.Image(t, v1.Config{Labels: map[string]string{"org.opencontainers.image.title": name}}, steps...)
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		s := &scan.Scanner{Extractor: x, Matcher: m, DB: &scan.DBInfo{Path: "test"}}
		res, err := s.ScanImage(context.Background(), &image.Image{Image: img, Input: name, Transport: "registry", Digest: d.String(), Platform: "linux/amd64"})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	app := imagetest.Layer(t, []imagetest.File{{Path: "srv/app.txt", Mode: 0o644, Data: []byte("app")}})
	onBase := build("on-base",
		imagetest.Step{Layer: imagetest.Layer(t, vulnerableBase(t)), CreatedBy: "# debian.sh --arch 'amd64' out/ 'bookworm'"},
		imagetest.Step{CreatedBy: `CMD ["bash"]`},
		imagetest.Step{Layer: app, CreatedBy: "COPY app /srv # buildkit"})
	// No CMD in the history: which layers are the base's cannot be told.
	unknown := build("unknown-base", imagetest.Step{Layer: imagetest.Layer(t, vulnerableBase(t)), CreatedBy: "debian 12.2 base"})
	rep := risk.Assess(&workload.Inventory{}, []*scan.Result{onBase, unknown}, risk.Options{Now: now})
	kinds := map[string]string{}
	for _, r := range rep.Risks {
		if r.Fix.State != vulndb.FixStateFixed {
			continue
		}
		k := r.Image.Scanned + " " + r.Fix.Kind
		if r.Fix.Kind == risk.FixRebuild && (r.Fix.Base != "Debian 12" || !strings.HasPrefix(r.Fix.Action, "rebuild on a current Debian 12 base (its security updates carry openssl ")) {
			t.Errorf("rebuild fix: %+v", r.Fix)
		}
		kinds[k] = r.Fix.Group
	}
	if kinds["on-base rebuild"] != "rebuild/Debian:12" || kinds["unknown-base upgrade"] != "Debian:12/openssl" || len(kinds) != 2 {
		t.Errorf("fix kinds by image: %v", kinds)
	}
	var rebuild *risk.FixGroup
	for i := range rep.Fixes {
		if rep.Fixes[i].Kind == risk.FixRebuild {
			rebuild = &rep.Fixes[i]
		}
	}
	if rebuild == nil || rebuild.Action != "rebuild on a current Debian 12 base" || strings.Join(rebuild.Packages, ",") != "openssl" ||
		rebuild.Package != "" || rebuild.Images != 1 || rebuild.Findings == 0 {
		t.Errorf("rebuild group: %+v", rebuild)
	}
}
