package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/collect/aws/live/awsfake"
	"github.com/sightline-sec/sightline/internal/image/imagetest"
	"github.com/sightline-sec/sightline/internal/textfit"
)

// TestEveryTableFits80Columns runs every command that prints a table for
// people on realistic input — a real image scan, the SBOM fixtures, every
// exposure scenario and a proof, advisory queries and status, a collect
// run — and asserts that no stdout line is wider than 80 columns, the
// width used when stdout is not a terminal (issue 7: scan image printed
// lines of 145 columns, exposure 247).
func TestEveryTableFits80Columns(t *testing.T) {
	db := quickstartDB(t)
	c := newCLI(t)
	c.ok("db", "import", filepath.Join("..", "..", "testdata", "report", "records"),
		filepath.Join("..", "..", "testdata", "report", "kev-2025.08.25.subset.json"),
		filepath.Join("..", "..", "testdata", "report", "epss-2021-08-31.subset.json"))
	runs := [][]string{
		{"scan", "image", "--offline", "--db", db, writeDockerArchive(t, imagetest.AppImage(t), "registry.example.test/a/rather/long/repository/name/for/sightline:1.2.3-build.456")},
		{"db", "query", "pkg:golang/golang.org/x/text@v0.3.5"},
		{"db", "query", "pkg:npm/lodash@4.17.15"},
		{"db", "query", "pkg:npm/minimist@1.2.0"},
		{"db", "status"},
		{"version"},
	}
	sboms, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "sbom", "*"))
	for _, s := range sboms {
		if !strings.HasSuffix(s, ".md") {
			runs = append(runs, []string{"scan", "sbom", "--db", db, s})
		}
	}
	scen, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "aws", "scenarios", "*"))
	for _, s := range scen {
		if st, err := os.Stat(s); err == nil && st.IsDir() {
			runs = append(runs, []string{"exposure", "--all", "--aws", s})
		}
	}
	runs = append(runs, []string{"exposure", "--aws", filepath.Join("..", "..", "testdata", "aws", "scenarios", "alb-private"),
		"--why", "i-0app000000000001:tcp/8080"})
	awsEnv(t)
	f := awsfake.New(t, "../../testdata/aws-wire", awsfake.EstateRoutes()...)
	runs = append(runs, []string{"collect", "aws", "--out", filepath.Join(t.TempDir(), "snap"), "--endpoint-url", f.URL(),
		"--regions", "us-east-1,eu-west-1", "--role-arn", "arn:aws:iam::111122223333:role/Audit",
		"--role-arn", "arn:aws:iam::444455556666:role/denied"})
	lines := 0
	var all strings.Builder
	for _, args := range runs {
		out, stderr, code := c.run(args...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
			continue
		}
		all.WriteString(out)
		for _, l := range strings.Split(out, "\n") {
			lines++
			if n := textfit.Len(l); n > textfit.DefaultWidth {
				t.Errorf("%v: line of %d columns: %q", args[:2], n, l)
			}
		}
	}
	if lines < 300 {
		t.Errorf("only %d lines checked", lines)
	}
	for _, want := range []string{"GO-2021-0113", "GHSA-p6mc-m468-83gw", "from the internet (IPv4)", "snapshot ", "SOURCE"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("outputs lack %q: the inputs were not realistic", want)
		}
	}
}
