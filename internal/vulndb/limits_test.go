package vulndb_test

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/vulndb"
)

// TestLimitsDocumented: docs/db.md lists every input limit with the
// value the code enforces, and no other size in that section (a stale
// "64 MiB" next to "one OSV record" was how this drifted once).
func TestLimitsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "db.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(doc), "### Input limits and errors")
	if !ok {
		t.Fatal(`docs/db.md has no "### Input limits and errors" section`)
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	documented := map[string]bool{}
	for _, l := range vulndb.SizeLimits {
		row := "| " + l.What + " | " + vulndb.FormatBytes(l.Bytes) + " |"
		if !strings.Contains(sec, row) {
			t.Errorf("docs/db.md limits table lacks the row %q", row)
		}
		documented[vulndb.FormatBytes(l.Bytes)] = true
	}
	for _, size := range regexp.MustCompile(`\d+ [KMG]iB`).FindAllString(sec, -1) {
		if !documented[size] {
			t.Errorf("docs/db.md limits section mentions %s, which is no limit in vulndb.SizeLimits", size)
		}
	}
}

// TestRecordLimitMessage: an OSV record over the limit, as a file or as
// a zip entry, is refused with the limit that applies to it, in MiB.
func TestRecordLimitMessage(t *testing.T) {
	rec, err := os.ReadFile(filepath.Join(quickstart(), "GO-2021-0113.json"))
	if err != nil {
		t.Fatal(err)
	}
	big := append(bytes.Clone(rec[:len(rec)-1]), bytes.Repeat([]byte(" "), vulndb.MaxRecordBytes)...)
	big = append(big, '}')
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "GO-2021-0113.json"), big, 0o644)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("GO-2021-0113.json")
	w.Write(big)
	zw.Close()
	zp := filepath.Join(t.TempDir(), "all.zip")
	os.WriteFile(zp, buf.Bytes(), 0o644)
	want := vulndb.FormatBytes(vulndb.MaxRecordBytes) + " limit for one OSV record"
	for _, p := range []string{dir, zp} {
		_, err := vulndb.ReadOSV(ctx, p, vulndb.ReadOptions{})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "GO-2021-0113.json") {
			t.Errorf("%s: %v; want the %q naming the file", p, err, want)
		}
	}
}
