package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sightline-sec/sightline/internal/image/imagetest"
	"github.com/sightline-sec/sightline/internal/scan"
)

// An image scan written as CycloneDX and as SPDX, scanned again as an SBOM,
// must give the same findings as the image scan itself.
func TestScanSBOMRoundTripsImageFindings(t *testing.T) {
	archive := writeDockerArchive(t, imagetest.AppImage(t), "")
	db := quickstartDB(t)
	out, stderr, code := runCLI(t, "scan", "image", "--offline", "--db", db, "--format", "json", "docker-archive:"+archive)
	if code != 0 {
		t.Fatalf("image scan: exit %d: %s", code, stderr)
	}
	want := findingKeys(decodeResult(t, out))
	if len(want) == 0 {
		t.Fatal("image scan found nothing; the round trip would prove nothing")
	}
	for _, format := range []string{"cyclonedx", "spdx"} {
		bom := filepath.Join(t.TempDir(), "bom."+format+".json")
		if _, stderr, code := runCLI(t, "scan", "image", "--offline", "--db", db, "--format", format,
			"--output", bom, "docker-archive:"+archive); code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		out, stderr, code := runCLI(t, "scan", "sbom", "--offline", "--db", db, "--format", "json", bom)
		if code != 0 {
			t.Fatalf("scan sbom %s: exit %d: %s", format, code, stderr)
		}
		res := decodeResult(t, out)
		if res.Target.Kind != "sbom" {
			t.Errorf("%s: target kind %q", format, res.Target.Kind)
		}
		if got := findingKeys(res); !slices.Equal(got, want) {
			t.Errorf("%s: findings differ from the image scan:\n got %v\nwant %v", format, got, want)
		}
	}
}

func TestScanSBOMBadInput(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bom.json")
	if err := os.WriteFile(bad, []byte(`{"bomFormat": "CycloneDX", "components": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCLI(t, "scan", "sbom", "--offline", "--db", quickstartDB(t), bad)
	if code != 2 {
		t.Fatalf("exit %d, want 2 (stderr %q)", code, stderr)
	}
}

// findingKeys lists "purl advisory" pairs, sorted.
func findingKeys(res *scan.Result) []string {
	var keys []string
	for _, f := range res.Findings {
		keys = append(keys, f.Package.PURL+" "+f.ID)
	}
	slices.Sort(keys)
	return keys
}
