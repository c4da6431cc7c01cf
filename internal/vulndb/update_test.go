package vulndb_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sightline-sec/sightline/internal/vulndb"
)

// mirror is an osv.dev-style bucket served by httptest: Go/all.zip built
// from the real quickstart records, plus the real KEV subset, with ETag
// and Last-Modified like Google Cloud Storage sends.
type mirror struct {
	mu       sync.Mutex
	files    map[string][]byte
	gets     map[string]int
	notMod   map[string]int
	modified time.Time
}

func (m *mirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	data, ok := m.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	m.gets[r.URL.Path]++
	etag := fmt.Sprintf(`"%x"`, len(data)*31+int(data[len(data)/2]))
	if r.Header.Get("If-None-Match") == etag {
		m.notMod[r.URL.Path]++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", m.modified.Format(http.TimeFormat))
	w.Write(data)
}

func quickstartZip(t *testing.T, skip string) []byte {
	t.Helper()
	files := map[string][]byte{}
	entries, _ := os.ReadDir(quickstart())
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && e.Name() != skip {
			b, _ := os.ReadFile(filepath.Join(quickstart(), e.Name()))
			files[e.Name()] = b
		}
	}
	return zipOf(t, files)
}

func TestUpdateIncremental(t *testing.T) {
	kev, _ := os.ReadFile(td("kev/known_exploited_vulnerabilities-subset.json"))
	m := &mirror{files: map[string][]byte{
		"/Go/all.zip":   quickstartZip(t, "GO-2026-6629.json"),
		"/kev/kev.json": kev,
	}, gets: map[string]int{}, notMod: map[string]int{}, modified: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	srv := httptest.NewServer(m)
	defer srv.Close()
	dbp := filepath.Join(t.TempDir(), "db", "sightline.db")
	opts := vulndb.UpdateOptions{Mirror: srv.URL, Ecosystems: []string{"Go"}, KEV: srv.URL + "/kev/kev.json", EPSS: "none"}

	res, err := vulndb.Update(ctx, dbp, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(res); !strings.Contains(got, "osv:Go updated 4") || !strings.Contains(got, "kev updated 8") {
		t.Fatalf("first update: %v", got)
	}
	// Second run: both answered 304, nothing re-read.
	res, err = vulndb.Update(ctx, dbp, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(res); !strings.Contains(got, "osv:Go unchanged 4") || !strings.Contains(got, "kev unchanged 8") {
		t.Fatalf("second update: %v", got)
	}
	if m.notMod["/Go/all.zip"] != 1 || m.notMod["/kev/kev.json"] != 1 {
		t.Fatalf("conditional requests not sent: %v", m.notMod)
	}
	// Upstream changes: only Go is re-read.
	m.mu.Lock()
	m.files["/Go/all.zip"] = quickstartZip(t, "")
	m.mu.Unlock()
	res, err = vulndb.Update(ctx, dbp, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(res); !strings.Contains(got, "osv:Go updated 5") || !strings.Contains(got, "kev unchanged 8") {
		t.Fatalf("third update: %v", got)
	}
	db, err := vulndb.Open(ctx, dbp)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if aff, _ := db.Affected("Go", "golang.org/x/text"); len(aff) != 5 {
		t.Fatalf("x/text entries %d", len(aff))
	}
	if db.KEV("CVE-2014-0160") == nil {
		t.Fatal("KEV data lost on an unchanged update")
	}
	if s, _ := db.Status().Source("osv:Go"); s.ETag == "" || s.LastModified == "" || s.SHA256 == "" {
		t.Fatalf("source meta %+v", s)
	}
}

// TestUpdateFailuresKeepData: an unreachable upstream is reported, the
// previous data stays; offline never issues a request.
func TestUpdateFailuresKeepData(t *testing.T) {
	m := &mirror{files: map[string][]byte{"/Go/all.zip": quickstartZip(t, "")}, gets: map[string]int{}, notMod: map[string]int{}}
	srv := httptest.NewServer(m)
	dbp := filepath.Join(t.TempDir(), "sightline.db")
	opts := vulndb.UpdateOptions{Mirror: srv.URL, Ecosystems: []string{"Go"}, KEV: "none", EPSS: "none"}
	if _, err := vulndb.Update(ctx, dbp, opts); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(dbp)
	srv.Close()
	res, err := vulndb.Update(ctx, dbp, opts)
	if err != nil || len(res) != 1 || res[0].Action != "failed" {
		t.Fatalf("unreachable mirror: %v %+v", err, res)
	}
	opts.Offline = true
	res, err = vulndb.Update(ctx, dbp, opts)
	if err != nil || res[0].Action != "skipped" {
		t.Fatalf("offline: %v %+v", err, res)
	}
	after, _ := os.ReadFile(dbp)
	if !bytes.Equal(before, after) {
		t.Fatal("database changed by failed/offline updates")
	}
	if _, err := vulndb.Update(ctx, filepath.Join(t.TempDir(), "new.db"), opts); err == nil {
		t.Fatal("offline update without any DB should say there is nothing to use")
	}
	opts.Ecosystems = []string{"NotAnEcosystem"}
	if _, err := vulndb.Update(ctx, dbp, opts); !errors.Is(err, vulndb.ErrUnknownEcosystem) || !strings.Contains(err.Error(), "NotAnEcosystem") {
		t.Fatalf("unknown ecosystem: %v", err)
	}
}

// TestUpdateMirrorDir: a local mirror directory works offline and is
// skipped when unchanged (same SHA-256).
func TestUpdateMirrorDir(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "Go"), 0o755)
	os.WriteFile(filepath.Join(dir, "Go", "all.zip"), quickstartZip(t, ""), 0o644)
	dbp := filepath.Join(t.TempDir(), "sightline.db")
	opts := vulndb.UpdateOptions{Mirror: dir, Ecosystems: []string{"Go"}, KEV: "none", EPSS: "none", Offline: true}
	for i, want := range []string{"updated", "unchanged"} {
		res, err := vulndb.Update(ctx, dbp, opts)
		if err != nil || res[0].Action != want {
			t.Fatalf("run %d: %v %+v", i, err, res)
		}
	}
}

func TestBundleRoundTrip(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src.db")
	mustWrite(t, src, mustOSV(t, quickstart()))
	bundle := filepath.Join(t.TempDir(), "b.tar.gz")
	m, err := vulndb.Export(ctx, src, bundle)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "dst", "sightline.db")
	got, err := vulndb.ImportBundle(ctx, bundle, dst)
	if err != nil || got.SHA256 != m.SHA256 {
		t.Fatalf("%v %+v", err, got)
	}
	a, _ := os.ReadFile(src)
	b, _ := os.ReadFile(dst)
	if !bytes.Equal(a, b) {
		t.Fatal("imported database differs from the exported one")
	}
	// Bundle and loaded DB get the mode of the DB Write makes, not
	// os.CreateTemp's 0600.
	for _, p := range []string{src, bundle, dst} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, %v; want 0644 like the database", p, fi.Mode().Perm(), err)
		}
	}
	// A corrupted bundle is refused and the installed DB stays.
	data, _ := os.ReadFile(bundle)
	bad := filepath.Join(t.TempDir(), "bad.tar.gz")
	os.WriteFile(bad, tamper(t, data), 0o644)
	if _, err := vulndb.ImportBundle(ctx, bad, dst); err == nil || !strings.Contains(err.Error(), "bad.tar.gz") {
		t.Fatalf("tampered bundle: %v", err)
	}
	if c, _ := os.ReadFile(dst); !bytes.Equal(c, a) {
		t.Fatal("database replaced by a tampered bundle")
	}
	trunc := filepath.Join(t.TempDir(), "trunc.tar.gz")
	os.WriteFile(trunc, data[:len(data)/2], 0o644)
	if _, err := vulndb.ImportBundle(ctx, trunc, dst); err == nil {
		t.Fatal("truncated bundle accepted")
	}
}
