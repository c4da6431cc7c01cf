package admission

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	sightimage "github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/image/imagetest"
	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/match"
	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// realScanner is a scan.Scanner over an advisory database built from the
// real OSV records and CISA KEV entry of testdata/report, as `sightline
// scan image` wires one.
func realScanner(t *testing.T) *scan.Scanner {
	t.Helper()
	ctx := context.Background()
	osv, err := vulndb.ReadOSV(ctx, vulndbtest.Testdata("report/records"), vulndb.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kev, err := vulndb.ReadKEV(vulndbtest.Testdata("report/kev-2025.08.25.subset.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "sightline.db")
	if _, err := vulndb.Write(ctx, p, osv, kev); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	x, err := inventory.NewExtractor()
	if err != nil {
		t.Fatal(err)
	}
	return &scan.Scanner{Extractor: x, Matcher: scan.DBMatcher{M: match.New(db)}, DB: &scan.DBInfo{Path: p}}
}

// pushApp pushes an image of the real Debian 12 base and the real npm
// install (minimist 1.2.0, lodash 4.17.15) to an in-memory registry and
// returns its tag reference and manifest digest.
func pushApp(t *testing.T) (string, string) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	img := imagetest.Image(t, v1.Config{User: "1000"},
		imagetest.Step{Layer: imagetest.Layer(t, imagetest.DebianBase(t)), CreatedBy: "ADD rootfs.tar / # debian:12"},
		imagetest.Step{Layer: imagetest.Layer(t, imagetest.Tree(t, filepath.Join(imagetest.Testdata(t), "nodeapp"), "srv/nodeapp")), CreatedBy: "COPY nodeapp /srv/nodeapp"})
	ref := strings.TrimPrefix(srv.URL, "http://") + "/shop/app:1.0"
	tag, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref, d.String()
}

// TestRealScanOnAdmission: an image not in the cache is pulled from a
// registry and scanned by the real scanner within the budget; the policy
// denies its critical fixable npm vulnerability (and not the critical
// glibc one without a fix); the result lands in the cache, so the same
// image by digest is decided without another scan.
func TestRealScanOnAdmission(t *testing.T) {
	ref, digest := pushApp(t)
	s := realScanner(t)
	var scans atomic.Int32
	scanFn := func(ctx context.Context, ref string) (*scan.Result, error) {
		scans.Add(1)
		im, err := sightimage.Open(ctx, "registry:"+ref, sightimage.Options{Insecure: true, TempDir: t.TempDir()})
		if err != nil {
			return nil, err
		}
		defer im.Close()
		return s.ScanImage(ctx, im)
	}
	cacheDir := t.TempDir()
	cache, err := OpenScanCache(context.Background(), cacheDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(Config{Mode: ModeEnforce, Rules: liveRules(t), ImageFailure: FailClosed, RuleFailure: FailClosed,
		DenySeverity: "high", Images: &ImagePolicy{Cache: cache, Scan: scanFn, Budget: 20 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	wantDenial := "SL-IMG-002: image " + ref + " has critical fixable GHSA-xvch-5gv4-984h (minimist 1.2.0)"
	_, resp := post(t, h, podReview(t, "app", compliantPod("app", ref)))
	if resp == nil || resp.Allowed || !strings.Contains(resp.Result.Message, wantDenial) {
		t.Fatalf("scanned image: %+v, want %q", resp, wantDenial)
	}
	if strings.Contains(resp.Result.Message, "CVE-2019-1010022") {
		t.Errorf("the glibc critical without a fix is not the policy's: %s", resp.Result.Message)
	}
	byDigest := strings.Replace(ref, ":1.0", "@"+digest, 1)
	_, resp = post(t, h, podReview(t, "app", compliantPod("app", byDigest)))
	if resp == nil || resp.Allowed || !strings.Contains(resp.Result.Message, "SL-IMG-002: image "+byDigest+" has critical fixable GHSA-xvch-5gv4-984h") {
		t.Errorf("same image by digest: %+v", resp)
	}
	if n := scans.Load(); n != 1 {
		t.Errorf("%d scans, want 1: the digest is in the cache", n)
	}
	if again, err := OpenScanCache(context.Background(), cacheDir, nil); err != nil || again.Len() != 1 {
		t.Errorf("cache directory after the scan: %v", err)
	}
}
