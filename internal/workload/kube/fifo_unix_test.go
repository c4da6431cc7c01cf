//go:build unix

package kube

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO named like a manifest, given directly, met in a walked directory
// or inside a kustomization, is refused at once: opening it for reading
// would block until a writer appears (for ever, and deaf to Ctrl-C).
func TestFIFOIsRefusedNotWaitedOn(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "f.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	kdir := filepath.Join(t.TempDir(), "k")
	if err := os.MkdirAll(kdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(kdir, "kustomization.yaml"), []byte("resources: [a.yaml]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(kdir, "a.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, dir, kdir} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		start := time.Now()
		_, err := LoadManifests(ctx, []string{p}, LoadOptions{})
		cancel()
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("%s: err %v, want a \"not a regular file\" error", p, err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: took %v: the FIFO was waited on", p, d)
		}
	}
}
