package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
