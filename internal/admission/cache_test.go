package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScanCacheIndexesResultsAndSkipsOthers(t *testing.T) {
	dir := testCacheDir(t)
	writeFile(t, filepath.Join(dir, "broken.json"), `{"schema":`)
	writeFile(t, filepath.Join(dir, "sbom.json"), `{"schema":"sightline.scan/v1","target":{"kind":"sbom","name":"bom.json"}}`)
	writeFile(t, filepath.Join(dir, "notes.txt"), "not json")
	var logs bytes.Buffer
	ctx := context.Background()
	c, err := OpenScanCache(ctx, dir, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 3 {
		t.Errorf("%d digests indexed, want 3 (plain, clean, nodb)", c.Len())
	}
	for _, want := range []string{`"file":"` + filepath.Join(dir, "broken.json") + `","error":"not a scan result`, `target kind \"sbom\", want image`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	sum, ok := c.Lookup(ctx, plainDigest)
	if !ok || len(sum.KEV) != 1 || sum.KEV[0] != "CVE-2023-44487 (nginx 1.22.1-9+deb12u11)" ||
		len(sum.CriticalFixable) != 1 || sum.DB != "ok" {
		t.Errorf("plain summary %+v", sum)
	}
	// A file added later is found on a miss (reindexEvery elapsed), under
	// the digest of its target.name too.
	c.reindexEvery = 0
	res := cleanResult(t)
	res.Target.Digest = "sha256:" + strings.Repeat("4", 64)
	res.Target.Name = fixtureRepo + "@sha256:" + strings.Repeat("5", 64)
	b, _ := json.Marshal(res)
	writeFile(t, filepath.Join(dir, "later.json"), string(b))
	for _, d := range []string{"sha256:" + strings.Repeat("4", 64), "sha256:" + strings.Repeat("5", 64)} {
		if _, ok := c.Lookup(ctx, d); !ok {
			t.Errorf("%s not found after the file was added", d)
		}
	}
}

func TestScanCacheFileLimit(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "huge.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxCacheFileBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := readResult(filepath.Join(dir, "huge.json")); err == nil || !strings.Contains(err.Error(), "larger than 64 MiB") {
		t.Errorf("huge file: %v", err)
	}
}
