package kube

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the document splitter and decoder
// and builds the inventory: no panic, and every document either decodes,
// is ignored, or is a Gap.
//
//	go test -fuzz FuzzDecode -fuzztime 60s ./internal/workload/kube/
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(demo, "kubernetes-manifests", "*.yaml"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b, false)
		}
	}
	for _, s := range []string{namedPorts, hostPod, policy, livePods, "---\n---\n...\n", "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[{}]}"} {
		f.Add([]byte(s), false)
	}
	f.Add([]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}`), true)
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		objs := &Objects{Inputs: map[string]string{}}
		d, err := newDecoder(context.Background(), objs, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		d.stream("fuzz.yaml", data, isJSON, true)
		if d.docs > MaxDocuments+maxListDepth {
			t.Fatalf("read %d documents", d.docs)
		}
		inv := Build(objs)
		if inv.Gaps == nil {
			t.Fatal("nil gaps")
		}
	})
}
