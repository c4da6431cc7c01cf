package scan

import (
	"bytes"
	"context"
	"encoding/binary"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/image/imagetest"
	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/match"
	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// realMatcher opens a DB built from real OSV records under testdata.
func realMatcher(t *testing.T, dirs ...string) Matcher {
	t.Helper()
	ctx := context.Background()
	var batches []*vulndb.Batch
	for _, d := range dirs {
		b, err := vulndb.ReadOSV(ctx, vulndbtest.Testdata(d), vulndb.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, b)
	}
	p := filepath.Join(t.TempDir(), "sightline.db")
	if _, err := vulndb.Write(ctx, p, batches...); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return DBMatcher{M: match.New(db)}
}

// TestCoverageWithoutDB: no advisory database means nothing was checked,
// and the coverage says so for every package.
func TestCoverageWithoutDB(t *testing.T) {
	res, err := newScanner(t, "").ScanImage(context.Background(),
		&image.Image{Image: imagetest.AppImage(t), Transport: image.OCILayout})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Coverage
	if c == nil || c.DB != CoverageDBNone || c.Packages != len(res.Packages) || c.Checked != 0 ||
		c.Unchecked != len(res.Packages) || c.Complete() {
		t.Fatalf("coverage %+v for %d packages", c, len(res.Packages))
	}
	n := 0
	for _, e := range c.Ecosystems {
		if e.Unchecked[UncheckedNoDB] != e.Packages || len(e.Unchecked) != 1 {
			t.Errorf("%s: %+v, want every package no_db", e.Ecosystem, e)
		}
		n += e.Packages
	}
	if n != len(res.Packages) || len(res.Findings) != 0 {
		t.Errorf("ecosystems sum to %d of %d packages; %d findings", n, len(res.Packages), len(res.Findings))
	}
}

// TestCoverageReasons: the SBOM-shaped inventory of issue 7's cases,
// matched against the real Go quickstart records plus the report fixtures.
func TestCoverageReasons(t *testing.T) {
	s := newScanner(t, "")
	s.Matcher = realMatcher(t, "quickstart", "report/records")
	pkgs := []inventory.Package{
		{Name: "busybox", Version: "1.30.1-r5", Ecosystem: "Alpine:v3.10", SourceName: "busybox", PURL: "pkg:apk/alpine/busybox@1.30.1-r5?distro=3.10.9"},
		{Name: "musl", Version: "1.1.22-r4", Ecosystem: "Alpine:v3.10", SourceName: "musl", PURL: "pkg:apk/alpine/musl@1.1.22-r4?distro=3.10.9"},
		{Name: "openssl", Version: "3.0.2", PURL: "pkg:generic/openssl@3.0.2"},
		{Name: "request", Version: "", Ecosystem: "npm", PURL: "pkg:npm/request"},
		{Name: "lodash", Version: "zzz-garbage", Ecosystem: "npm", PURL: "pkg:npm/lodash@zzz-garbage"},
		{Name: "lodash", Version: "4.17.15", Ecosystem: "npm", PURL: "pkg:npm/lodash@4.17.15"},
		{Name: "golang.org/x/text", Version: "v0.3.5", Ecosystem: "Go", PURL: "pkg:golang/golang.org/x/text@v0.3.5"},
		{Name: "golang.org/x/text", Version: "v0.41.0", Ecosystem: "Go", PURL: "pkg:golang/golang.org/x/text@v0.41.0"},
	}
	res, err := s.ScanPackages(context.Background(), Target{Kind: "sbom", Name: "bom.json"}, nil, pkgs, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Coverage
	want := []EcosystemCoverage{
		{Ecosystem: "", Packages: 1, Unchecked: map[string]int{UncheckedNoSource: 1}},
		{Ecosystem: "Alpine:v3.10", Packages: 2, Unchecked: map[string]int{UncheckedNotLoaded: 2}},
		{Ecosystem: "Go", Packages: 2, Checked: 2},
		{Ecosystem: "npm", Packages: 3, Checked: 1, Unchecked: map[string]int{UncheckedNoVersion: 1, UncheckedBadVersion: 1}},
	}
	if !reflect.DeepEqual(c.Ecosystems, want) {
		t.Errorf("ecosystems\n got %+v\nwant %+v", c.Ecosystems, want)
	}
	if c.DB != CoverageDBOK || c.Packages != 8 || c.Checked != 3 || c.Unchecked != 5 || c.Complete() {
		t.Errorf("coverage %+v", c)
	}
	for _, f := range res.Findings {
		if f.Package.Version == "zzz-garbage" || f.Package.Version == "" || f.Package.Ecosystem != "Go" && f.Package.Ecosystem != "npm" {
			t.Errorf("finding on an unchecked package: %s %s@%s", f.ID, f.Package.Name, f.Package.Version)
		}
	}
	if len(res.Findings) == 0 {
		t.Error("no findings on the checked packages")
	}
}

// TestSkippedFilesVisibleOnly: a file a layer could not read counts
// against coverage unless a later layer replaced or deleted it.
func TestSkippedFilesVisibleOnly(t *testing.T) {
	status := SkippedFile{Path: "/var/lib/dpkg/status", Reason: SkipTooLarge}
	apk := SkippedFile{Path: "/lib/apk/db/installed", Reason: SkipSparse}
	jar := SkippedFile{Path: "/app/lib/a.jar", Reason: SkipParseError}
	layers := []*LayerResult{
		{Files: map[string][]inventory.Record{"var/lib/dpkg/status": nil}, Skipped: []SkippedFile{status, apk, jar}},
		{Files: map[string][]inventory.Record{"var/lib/dpkg/status": {}}}, // rewritten: readable now
		{Whiteouts: []string{"app/lib"}}, // the jar's directory deleted
	}
	got := compose(layers).skipped()
	if len(got) != 1 || got[0].Path != apk.Path || got[0].Layer == nil || *got[0].Layer != 0 {
		t.Fatalf("skipped %+v, want only %s from layer 0", got, apk.Path)
	}
}

// TestGoBinaryJunkVersion is issue 7's case: a Go binary whose build-info
// Go version is junk (here every byte after "go" overwritten) became
// stdlib@<junk>, "vulnerable" to every stdlib advisory. Against the whole
// pinned Go vulndb, stdlib is now unchecked (bad_version) and the binary's
// real module (x/text v0.3.5) still matched.
func TestGoBinaryJunkVersion(t *testing.T) {
	bin := bytes.Clone(imagetest.GoBinary(t))
	i := bytes.Index(bin, []byte("\xff Go buildinf:"))
	if i < 0 || len(bin) < i+40 {
		t.Fatal("no build info in the test binary")
	}
	// Go 1.18+ layout: 32-byte header, then the varint-prefixed version.
	n, w := binary.Uvarint(bin[i+32:])
	start := i + 32 + w
	if w <= 0 || !bytes.HasPrefix(bin[start:], []byte("go1.")) {
		t.Fatalf("unexpected build info header %q", bin[i:i+48])
	}
	for j := start + 2; j < start+int(n); j++ {
		bin[j] = "\x01Z\xfe!"[j%4]
	}
	img := imagetest.Image(t, imagetest.AppConfig, imagetest.Step{
		Layer: imagetest.Layer(t, []imagetest.File{{Path: "usr/local/bin/app", Mode: 0o755, Data: bin}}), CreatedBy: "COPY app"})
	s := newScanner(t, "")
	dir := vulndbtest.GoVulnDB(t)
	s.Matcher = realMatcherAt(t, dir)
	res, err := s.ScanImage(context.Background(), &image.Image{Image: img, Transport: image.OCILayout})
	if err != nil {
		t.Fatal(err)
	}
	var std *inventory.Package
	for i, p := range res.Packages {
		if p.Name == "stdlib" {
			std = &res.Packages[i]
		}
	}
	if std == nil || strings.HasPrefix(std.Version, "1.") {
		t.Fatalf("stdlib package %+v: the junk version did not reach the inventory", std)
	}
	for _, f := range res.Findings {
		if f.Package.Name == "stdlib" {
			t.Errorf("finding %s on stdlib@%q", f.ID, f.Package.Version)
		}
	}
	goCov := res.Coverage.ecosystem("Go")
	if goCov.Unchecked[UncheckedBadVersion] != 1 || goCov.Checked != 1 {
		t.Errorf("Go coverage %+v, want stdlib bad_version and x/text checked", goCov)
	}
	if len(res.Findings) == 0 {
		t.Error("x/text v0.3.5 no longer matched")
	}
}

// realMatcherAt opens a DB built from the OSV records in dir.
func realMatcherAt(t *testing.T, dir string) Matcher {
	t.Helper()
	ctx := context.Background()
	b, err := vulndb.ReadOSV(ctx, dir, vulndb.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "sightline.db")
	if _, err := vulndb.Write(ctx, p, b); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return DBMatcher{M: match.New(db)}
}
