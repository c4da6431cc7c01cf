package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// cli runs sightline command lines that share one cache dir.
type cli struct {
	t     *testing.T
	cache string
}

func newCLI(t *testing.T) *cli { return &cli{t: t, cache: t.TempDir()} }

func (c *cli) run(args ...string) (string, string, int) {
	c.t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"--cache-dir", c.cache}, args...), &out, &errb)
	return out.String(), errb.String(), code
}

func (c *cli) ok(args ...string) string {
	c.t.Helper()
	out, errs, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errs)
	}
	return out
}

type qVuln struct {
	ID            string   `json:"id"`
	Aliases       []string `json:"aliases"`
	FixedVersions []string `json:"fixed_versions"`
	FixState      string   `json:"fix_state"`
	Severity      struct {
		Level string  `json:"level"`
		Score float64 `json:"score"`
	} `json:"severity"`
	KEV  *struct{ CVE string } `json:"kev"`
	EPSS *struct {
		Score float64 `json:"score"`
	} `json:"epss"`
}

type queryDoc struct {
	Package struct {
		Ecosystem, Name, Version string
	} `json:"package"`
	Vulnerabilities []qVuln `json:"vulnerabilities"`
}

func (c *cli) query(purl string) queryDoc {
	c.t.Helper()
	out := c.ok("db", "query", purl, "--format", "json")
	var d queryDoc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		c.t.Fatalf("query JSON: %v\n%s", err, out)
	}
	return d
}

func (d queryDoc) ids() []string {
	var out []string
	for _, v := range d.Vulnerabilities {
		out = append(out, v.ID)
	}
	return out
}

// TestQuickstartFlow runs exactly the README Quickstart's first command
// (in-process, on a fresh cache dir).
func TestQuickstartFlow(t *testing.T) {
	c := newCLI(t)
	c.ok("db", "import", filepath.Join("..", "..", "testdata", "quickstart"))
	out := c.ok("db", "query", "pkg:golang/golang.org/x/text@v0.3.5")
	if !strings.Contains(out, "GO-2021-0113") || !strings.Contains(out, "CVE-2021-38561") {
		t.Fatalf("quickstart query output lacks GO-2021-0113:\n%s", out)
	}
}

// TestDoneCriterionGoVulnDB: the whole Go vulndb imported, x/text v0.3.5
// lists GO-2021-0113 with both aliases, v0.3.7 does not.
func TestDoneCriterionGoVulnDB(t *testing.T) {
	dir := vulndbtest.GoVulnDB(t)
	c := newCLI(t)
	c.ok("db", "import", dir)
	d := c.query("pkg:golang/golang.org/x/text@v0.3.5")
	i := slices.IndexFunc(d.Vulnerabilities, func(v qVuln) bool {
		return v.ID == "GO-2021-0113"
	})
	if i < 0 {
		t.Fatalf("GO-2021-0113 missing at v0.3.5: %v", d.ids())
	}
	if a := d.Vulnerabilities[i].Aliases; !slices.Contains(a, "CVE-2021-38561") || !slices.Contains(a, "GHSA-ppp9-7jff-5vj2") {
		t.Errorf("aliases %v", a)
	}
	if d.Package.Ecosystem != "Go" || d.Package.Name != "golang.org/x/text" {
		t.Errorf("package %+v", d.Package)
	}
	if slices.Contains(c.query("pkg:golang/golang.org/x/text@v0.3.7").ids(), "GO-2021-0113") {
		t.Error("GO-2021-0113 reported at fixed v0.3.7")
	}
}

func TestDBQueryWithoutDB(t *testing.T) {
	c := newCLI(t)
	_, errs, code := c.run("db", "query", "pkg:golang/golang.org/x/text@v0.3.5")
	if code != 2 || !strings.Contains(errs, "db update") {
		t.Fatalf("exit %d, stderr %q; want 2 and a hint to run db update", code, errs)
	}
}

func TestDBImportBadInputKeepsDB(t *testing.T) {
	c := newCLI(t)
	c.ok("db", "import", filepath.Join("..", "..", "testdata", "quickstart"))
	dbFile := filepath.Join(c.cache, "db", "sightline.db")
	before, err := os.ReadFile(dbFile)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "broken")
	os.MkdirAll(bad, 0o755)
	os.WriteFile(filepath.Join(bad, "GO-BAD.json"), []byte(`{"id": "GO-BAD", "affected": [`), 0o644)
	_, errs, code := c.run("db", "import", bad)
	if code != 2 || !strings.Contains(errs, "GO-BAD.json") {
		t.Fatalf("exit %d stderr %q: want 2 naming the file", code, errs)
	}
	after, _ := os.ReadFile(dbFile)
	if !bytes.Equal(before, after) {
		t.Fatal("database changed after a failed import")
	}
	if !slices.Contains(c.query("pkg:golang/golang.org/x/text@v0.3.5").ids(), "GO-2021-0113") {
		t.Fatal("previous database unusable after failed import")
	}
}

func td(rel string) string { return filepath.Join("..", "..", "testdata", "vulndb", rel) }

// TestDBRealDataCLI imports the real Debian/GHSA/PyPA records, the KEV and
// EPSS subsets (kind detected), and queries deb and npm PURLs.
func TestDBRealDataCLI(t *testing.T) {
	c := newCLI(t)
	out := c.ok("db", "import", td("osv"), td("kev/known_exploited_vulnerabilities-subset.json"), td("epss/epss-2021-08-31-subset.vuls-data-raw.json"))
	for _, want := range []string{"osv records", "kev records", "epss records"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	d := c.query("pkg:deb/debian/libssl3@3.0.11-1~deb12u1?distro=debian-12&source=openssl")
	if d.Package.Ecosystem != "Debian:12" || !slices.Equal(d.ids(), []string{"CVE-2010-0928", "DSA-5532-1", "DSA-5764-1"}) {
		t.Fatalf("deb query: %+v %v", d.Package, d.ids())
	}
	if d := c.query("pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=bookworm"); slices.Contains(d.ids(), "DSA-5532-1") {
		t.Fatalf("fixed deb version reported: %v", d.ids())
	}
	d = c.query("pkg:npm/lodash@4.17.15")
	if len(d.Vulnerabilities) != 1 || d.Vulnerabilities[0].EPSS == nil || d.Vulnerabilities[0].Severity.Score == 0 {
		t.Fatalf("npm query: %+v", d.Vulnerabilities)
	}
	d = c.query("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
	if len(d.Vulnerabilities) != 1 || d.Vulnerabilities[0].KEV == nil {
		t.Fatalf("maven query: %+v", d.Vulnerabilities)
	}
	out, errs, code := c.run("db", "status", "--format", "json")
	var st struct {
		SchemaVersion int `json:"schema_version"`
		Sources       []struct {
			Name    string
			Records int
			Stale   bool
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || len(st.Sources) != 3 || st.SchemaVersion != vulndb.SchemaVersion {
		t.Fatalf("status: %d %s %s", code, out, errs)
	}
	if !strings.Contains(errs, "warning:") {
		t.Errorf("stale data (2021–2025) should be warned about on stderr: %q", errs)
	}
	for _, bad := range []string{"pkg:rpm/redhat/openssl@1.0", "pkg:deb/debian/openssl@1.0", "not-a-purl", "pkg:npm/lodash"} {
		if _, _, code := c.run("db", "query", bad); code != 2 {
			t.Errorf("query %q: exit %d, want 2", bad, code)
		}
	}
}

// TestDBExportUpdateFrom moves a database to a second cache dir through a
// bundle, as on an air-gapped machine.
func TestDBExportUpdateFrom(t *testing.T) {
	a, b := newCLI(t), newCLI(t)
	a.ok("db", "import", filepath.Join("..", "..", "testdata", "quickstart"))
	bundle := filepath.Join(t.TempDir(), "db.tar.gz")
	a.ok("db", "export", bundle)
	b.ok("db", "update", "--from", bundle, "--offline")
	if !slices.Contains(b.query("pkg:golang/golang.org/x/text@v0.3.5").ids(), "GO-2021-0113") {
		t.Fatal("bundle did not carry the data")
	}
	os.WriteFile(bundle, []byte("garbage"), 0o644)
	if _, errs, code := b.run("db", "update", "--from", bundle); code != 2 || !strings.Contains(errs, "db.tar.gz") {
		t.Fatalf("bad bundle: exit %d %q", code, errs)
	}
}

// TestDBUpdateMirrorDirOffline: `db update --mirror DIR --offline` reads
// <DIR>/<Ecosystem>/all.zip without the network.
func TestDBUpdateMirrorDirOffline(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "Go"), 0o755)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, id := range []string{"GO-2021-0113", "GO-2022-1059"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "quickstart", id+".json"))
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create(id + ".json")
		w.Write(data)
	}
	zw.Close()
	os.WriteFile(filepath.Join(dir, "Go", "all.zip"), buf.Bytes(), 0o644)
	c := newCLI(t)
	out := c.ok("db", "update", "--mirror", dir, "--ecosystems", "Go", "--offline")
	if !strings.Contains(out, "updated 1, unchanged 0, failed 0, skipped 2") {
		t.Fatalf("update output:\n%s", out)
	}
	if !slices.Contains(c.query("pkg:golang/golang.org/x/text@v0.3.5").ids(), "GO-2021-0113") {
		t.Fatal("mirror data missing")
	}
	out = c.ok("db", "update", "--mirror", dir, "--ecosystems", " Go, ", "--offline", "--format", "json")
	if !strings.Contains(out, `"name": "osv:Go"`) || !strings.Contains(out, `"action": "unchanged"`) {
		t.Fatalf("update with a spaced --ecosystems list:\n%s", out)
	}
	if _, _, code := c.run("db", "update", "--ecosystems", "Nope", "--offline"); code != 2 {
		t.Fatalf("unknown ecosystem: exit %d, want 2", code)
	}
}
