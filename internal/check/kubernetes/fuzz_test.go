package kubernetes

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLines feeds arbitrary text to the YAML → Lines walker and the
// ignore-comment scanner: no panic, and every line they report lies in the
// text (offset by the start line).
//
//	go test -fuzz FuzzLines -fuzztime 30s ./internal/check/kubernetes/
func FuzzLines(f *testing.F) {
	for _, p := range []string{
		filepath.Join(goat, "health-check", "deployment.yaml"),
		filepath.Join(demo, "kubernetes-manifests", "frontend.yaml"),
	} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, 1)
		}
	}
	f.Add([]byte("a: &x {b: [1, *x]}\nc: *x\n<<: *x\n"), 3)
	f.Add([]byte("items:\n- a: 1 # sightline:ignore X y\n# sightline:ignore\n- b: 2\n"), 1)
	f.Add([]byte("{\"a\": [{\"b.c\": 1}]}"), 10)
	f.Fuzz(func(t *testing.T, data []byte, start int) {
		if start < 1 || start > 1<<20 {
			start = 1
		}
		tree, err := parseTree(data, start)
		if err != nil {
			return
		}
		max := start + bytes.Count(data, []byte("\n"))
		for p, l := range tree.Lines(tree.root) {
			if l < start || l > max {
				t.Fatalf("Lines[%q] = %d outside [%d, %d]", p, l, start, max)
			}
		}
		if n := child(tree.root, "items"); n != nil {
			for i := range n.Content {
				from, to := itemLines(n.Content, i)
				if to != 0 && to < from-1 {
					t.Fatalf("item %d lines %d..%d", i, from, to)
				}
			}
		}
		for _, ig := range tree.Ignores(data, 0, 0) {
			if ig.Line < start || ig.Line > max {
				t.Fatalf("ignore at %d outside [%d, %d]", ig.Line, start, max)
			}
		}
	})
}
