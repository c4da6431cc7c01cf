package vulndb_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

var ctx = context.Background()

func quickstart() string { return vulndbtest.Testdata("quickstart") }

func td(rel string) string { return filepath.Join(vulndbtest.Testdata("vulndb"), rel) }

func mustWrite(t *testing.T, path string, bts ...*vulndb.Batch) vulndb.Status {
	t.Helper()
	st, err := vulndb.Write(ctx, path, bts...)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func mustOSV(t *testing.T, p string) *vulndb.Batch {
	t.Helper()
	bt, err := vulndb.ReadOSV(ctx, p, vulndb.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return bt
}

func TestOpenMissing(t *testing.T) {
	_, err := vulndb.Open(ctx, filepath.Join(t.TempDir(), "none.db"))
	if !errors.Is(err, vulndb.ErrNoDB) || !strings.Contains(err.Error(), "sightline db update") {
		t.Fatalf("Open(missing) = %v", err)
	}
}

func TestOpenForeignFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.db")
	os.WriteFile(p, []byte("not a database"), 0o644)
	if _, err := vulndb.Open(ctx, p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("Open(garbage) = %v", err)
	}
}

// TestSourcesReplaceAndAccumulate: re-importing a source replaces it, other
// sources (OSV, KEV, EPSS) stay, withdrawn records are not counted.
func TestSourcesReplaceAndAccumulate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.db")
	st := mustWrite(t, p, mustOSV(t, quickstart()))
	if len(st.Sources) != 1 || st.Sources[0].Records != 5 || st.SchemaVersion != vulndb.SchemaVersion {
		t.Fatalf("status %+v (6 files, one withdrawn → 5 records)", st)
	}
	kev, err := vulndb.ReadKEV(td("kev/known_exploited_vulnerabilities-subset.json"))
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, p, kev)
	st = mustWrite(t, p, mustOSV(t, quickstart())) // again: replaces, no duplicates
	if len(st.Sources) != 2 {
		t.Fatalf("sources %+v", st.Sources)
	}
	db, err := vulndb.Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	aff, err := db.Affected("Go", "golang.org/x/text")
	if err != nil || len(aff) != 5 {
		t.Fatalf("x/text entries after re-import: %d %v (want 5, no duplicates)", len(aff), err)
	}
	if k := db.KEV("CVE-2021-44228"); k == nil || !k.KnownRansomware {
		t.Fatalf("KEV lost after OSV re-import: %+v", k)
	}
	if aff, _ := db.Affected("Go", "k8s.io/kubernetes"); len(aff) != 0 {
		t.Fatalf("withdrawn GO-2022-0617 indexed: %+v", aff)
	}
	if s, ok := db.Status().Source("kev"); !ok || s.Modified.Format("2006-01-02") != "2025-08-25" || !s.Stale {
		t.Fatalf("kev source meta %+v (catalog of 2025-08-25 is stale)", s)
	}
}

// A gzip'd KEV catalog that inflates past the size limit is refused as
// too large, naming the file — not cut at the limit and then reported as
// invalid JSON.
func TestKEVGzipBomb(t *testing.T) {
	catalog, err := os.ReadFile(td("kev/known_exploited_vulnerabilities-subset.json"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(catalog[:len(catalog)-1]) // drop the closing brace, pad with JSON whitespace
	zw.Write(bytes.Repeat([]byte(" "), vulndb.MaxKEVBytes))
	zw.Write([]byte("}"))
	zw.Close()
	p := filepath.Join(t.TempDir(), "kev-bomb.json.gz")
	os.WriteFile(p, buf.Bytes(), 0o644)
	_, err = vulndb.ReadKEV(p)
	if err == nil || !strings.Contains(err.Error(), "kev-bomb.json.gz") || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("oversized KEV catalog: %v", err)
	}
}

func TestEPSSFormats(t *testing.T) {
	csv, err := vulndb.ReadEPSS(td("epss/epss-2021-08-31-subset.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := vulndb.ReadEPSS(td("epss/epss-2021-08-31-subset.vuls-data-raw.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(csv.EPSS) != 53 || len(js.EPSS) != 53 {
		t.Fatalf("rows csv %d json %d, want 53", len(csv.EPSS), len(js.EPSS))
	}
	for cve, s := range js.EPSS {
		if csv.EPSS[cve] != s {
			t.Fatalf("%s: csv %v json %v", cve, csv.EPSS[cve], s)
		}
	}
	if js.EPSSDate != "2021-08-31" {
		t.Fatalf("date %q", js.EPSSDate)
	}
	for _, p := range []string{"kev/known_exploited_vulnerabilities-subset.json", "epss/epss-2021-08-31-subset.csv.gz",
		"epss/epss-2021-08-31-subset.vuls-data-raw.json", "osv"} {
		k, err := vulndb.DetectKind(td(p))
		want := map[string]string{"kev": vulndb.KindKEV, "epss": vulndb.KindEPSS, "osv": vulndb.KindOSV}[strings.Split(p, "/")[0]]
		if err != nil || k != want {
			t.Errorf("DetectKind(%s) = %s %v, want %s", p, k, err, want)
		}
	}
}

// zipOf builds a zip of real records (name → bytes).
func zipOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func realRecord(t *testing.T) []byte {
	b, err := os.ReadFile(filepath.Join(quickstart(), "GO-2021-0113.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBadInputs: each bad input gives an error naming the file, and the
// previous database is left byte-for-byte as it was.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	dbp := filepath.Join(dir, "db", "sightline.db")
	mustWrite(t, dbp, mustOSV(t, quickstart()))
	before, _ := os.ReadFile(dbp)
	rec := realRecord(t)
	good := zipOf(t, map[string][]byte{"GO-2021-0113.json": rec})

	var bomb bytes.Buffer // 8 MiB of zeros: a few KiB compressed
	zw := zip.NewWriter(&bomb)
	w, _ := zw.Create("GO-BOMB.json")
	w.Write(make([]byte, 8<<20))
	zw.Close()

	var liar bytes.Buffer // header claims 3 GiB uncompressed
	zw = zip.NewWriter(&liar)
	raw, _ := zw.CreateRaw(&zip.FileHeader{Name: "GO-HUGE.json", Method: zip.Store, CompressedSize64: uint64(len(rec)), UncompressedSize64: 3 << 30})
	raw.Write(rec)
	zw.Close()

	cases := []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"truncated zip", "trunc.zip", good[:len(good)/2], "trunc.zip"},
		{"invalid JSON", "GO-BAD.json", rec[:len(rec)/2], "GO-BAD.json"},
		{"hostile path", "evil.zip", zipOf(t, map[string][]byte{"../../etc/GO-2021-0113.json": rec}), "hostile path"},
		{"absolute path", "abs.zip", zipOf(t, map[string][]byte{"/tmp/GO-2021-0113.json": rec}), "hostile path"},
		{"decompression bomb", "bomb.zip", bomb.Bytes(), "GO-BOMB.json"},
		{"size claimed in header", "liar.zip", liar.Bytes(), "claims 3221225472 bytes"},
		{"not an OSV record", "x.json", []byte(`{"hello": 1}`), "no id"},
		{"unknown range type", "r.json", []byte(`{"id":"X-1","affected":[{"package":{"ecosystem":"Go","name":"a"},"ranges":[{"type":"WEIRD","events":[{"introduced":"0"}]}]}]}`), "WEIRD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), c.file)
			os.WriteFile(p, c.data, 0o644)
			_, err := vulndb.ReadOSV(ctx, p, vulndb.ReadOptions{MaxEntryBytes: 1 << 20})
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.file) {
				t.Fatalf("error %q should name %s and say %q", err, c.file, c.want)
			}
		})
	}
	after, _ := os.ReadFile(dbp)
	if !bytes.Equal(before, after) {
		t.Fatal("database changed")
	}
	entries, _ := os.ReadDir(filepath.Dir(dbp))
	for _, e := range entries {
		if n := e.Name(); n != filepath.Base(dbp) && n != filepath.Base(dbp)+".checked" { // the check stamp (stamp.go)
			t.Errorf("leftover file next to the database: %s", n)
		}
	}
}

func TestZipImport(t *testing.T) {
	p := filepath.Join(t.TempDir(), "Go-all.zip")
	os.WriteFile(p, zipOf(t, map[string][]byte{"GO-2021-0113.json": realRecord(t)}), 0o644)
	bt, err := vulndb.ReadOSV(ctx, p, vulndb.ReadOptions{})
	if err != nil || len(bt.Records) != 1 || bt.Records[0].Record.ID != "GO-2021-0113" {
		t.Fatalf("%v %+v", err, bt)
	}
}

// An OSV zip saved without the .zip extension (curl -o all, a browser
// download) is detected as a zip by its magic bytes and must be read as one.
func TestZipImportWithoutExtension(t *testing.T) {
	p := filepath.Join(t.TempDir(), "Go-all")
	os.WriteFile(p, zipOf(t, map[string][]byte{"GO-2021-0113.json": realRecord(t)}), 0o644)
	if kind, err := vulndb.DetectKind(p); err != nil || kind != vulndb.KindOSV {
		t.Fatalf("DetectKind = %q, %v", kind, err)
	}
	bt, err := vulndb.ReadOSV(ctx, p, vulndb.ReadOptions{})
	if err != nil || len(bt.Records) != 1 || bt.Records[0].Record.ID != "GO-2021-0113" {
		t.Fatalf("%v %+v", err, bt)
	}
}

func TestYAMLRecord(t *testing.T) {
	data, err := os.ReadFile(td("osv/pypi/PYSEC-2019-217.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := vulndb.ParseOSV("PYSEC-2019-217.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Record.ID != "PYSEC-2019-217" || len(p.Packages) != 1 || p.Packages[0].Name != "jinja2" ||
		len(p.Packages[0].Affected.Versions) != 31 || p.Record.Modified.IsZero() {
		t.Fatalf("parsed %+v", p)
	}
}
