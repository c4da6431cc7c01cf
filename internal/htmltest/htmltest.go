// Package htmltest renders the self-contained HTML reports (assess's and
// the paths view's) in headless Chromium, for tests that check a page
// really draws: Debian's chromium package (.ci/run installs it) takes a
// screenshot or dumps the DOM it built, and PixelStats measures the
// screenshot. It is imported by tests only.
package htmltest

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Chromium is the chromium binary; the test fails, naming how to install
// it, when there is none (a missing browser must not read as a pass).
func Chromium(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: install Debian's chromium package (apt-get install -y chromium; .ci/run does) to check the HTML report renders")
	}
	return bin
}

// run runs headless Chromium on the page with args, in a throwaway
// profile and HOME under dir, and returns its stdout.
func run(t testing.TB, dir, page string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	all := append([]string{"--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--user-data-dir=" + filepath.Join(dir, "profile")}, args...)
	cmd := exec.CommandContext(ctx, Chromium(t), append(all, "file://"+page)...)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v on %s: %v\n%s", args, page, err, stderr.Bytes())
	}
	return out
}

// Screenshot renders page (an absolute path) in a width×height window
// and returns the decoded PNG. SIGHTLINE_KEEP_SCREENSHOT=FILE keeps it
// for a person to look at.
func Screenshot(t testing.TB, page string, width, height int) image.Image {
	t.Helper()
	dir := t.TempDir()
	shot := filepath.Join(dir, "shot.png")
	if keep := os.Getenv("SIGHTLINE_KEEP_SCREENSHOT"); keep != "" {
		shot = keep
	}
	t0 := time.Now()
	run(t, dir, page, "--screenshot="+shot, "--window-size="+strconv.Itoa(width)+","+strconv.Itoa(height))
	t.Logf("chromium screenshot in %v: %s", time.Since(t0).Round(time.Millisecond), shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", shot, err)
	}
	return img
}

// DumpDOM is the DOM Chromium built from page, serialised (--dump-dom):
// what the browser parsed, not what the writer meant.
func DumpDOM(t testing.TB, page string) string {
	t.Helper()
	return string(run(t, t.TempDir(), page, "--dump-dom"))
}

// PixelStats counts the distinct colours of img (sampled on a 2-pixel
// grid) and the sampled pixels of colour rgb (0xRRGGBB).
func PixelStats(img image.Image, rgb uint32) (colours, matching int) {
	seen := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			c := (r>>8)<<16 | (g>>8)<<8 | bl>>8
			seen[c] = true
			if c == rgb {
				matching++
			}
		}
	}
	return len(seen), matching
}
