package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadDocumentsLines: every document of a real manifest file comes
// with the line its content starts on, and StartLine + line offset within
// YAML lands on the same text in the file.
func TestReadDocumentsLines(t *testing.T) {
	path := filepath.Join(demo, "kubernetes-manifests", "frontend.yaml")
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(file), "\n")
	var docs []RawDocument
	gaps, err := ReadDocuments(context.Background(), []string{path}, LoadOptions{}, func(d RawDocument) error {
		docs = append(docs, d)
		return nil
	})
	if err != nil || len(gaps) != 0 {
		t.Fatalf("err %v gaps %v", err, gaps)
	}
	if len(docs) != 4 { // Deployment, Service, Service (frontend-external), ServiceAccount
		t.Fatalf("%d documents", len(docs))
	}
	for _, d := range docs {
		if d.File != path || d.Rendered {
			t.Errorf("source %q file %q rendered %v", d.Source, d.File, d.Rendered)
		}
		if !strings.HasPrefix(lines[d.Line-1], "apiVersion:") {
			t.Errorf("line %d is %q, want the apiVersion line", d.Line, lines[d.Line-1])
		}
		first := strings.Split(string(d.YAML), "\n")
		for i, l := range first {
			if strings.TrimSpace(l) != "" && !strings.HasPrefix(strings.TrimSpace(l), "#") && l != "---" {
				if lines[d.StartLine+i-1] != l {
					t.Errorf("YAML line %d = %q, file line %d = %q", i, l, d.StartLine+i, lines[d.StartLine+i-1])
				}
				break
			}
		}
		if !bytes.HasPrefix(d.JSON, []byte("{")) {
			t.Errorf("JSON %q", d.JSON[:20])
		}
	}
}

// TestReadDocumentsRendered: a Helm chart and a kustomization are rendered
// and their documents marked as rendered, with every kind kept (ConfigMaps
// too, which LoadManifests does not model).
func TestReadDocumentsRendered(t *testing.T) {
	kinds := map[string]int{}
	rendered := 0
	_, err := ReadDocuments(context.Background(), []string{filepath.Join(demo, "helm-chart")}, LoadOptions{}, func(d RawDocument) error {
		if d.Rendered && d.File == "" && strings.HasPrefix(d.Source, "chart ") {
			if _, err := os.Stat(d.RenderedFrom); err != nil || !strings.Contains(d.RenderedFrom, "templates") {
				t.Errorf("rendered from %q: %v", d.RenderedFrom, err)
			}
			rendered++
		}
		var h header
		if err := json.Unmarshal(d.JSON, &h); err != nil {
			return err
		}
		kinds[h.Kind]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if kinds["Deployment"] < 10 || kinds["Service"] < 10 || rendered != sum(kinds) {
		t.Fatalf("kinds %v, rendered %d", kinds, rendered)
	}
}

// TestReadDocumentsYieldError: an error from yield stops reading and is
// returned as is.
func TestReadDocumentsYieldError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	_, err := ReadDocuments(context.Background(), []string{filepath.Join(demo, "kubernetes-manifests")}, LoadOptions{}, func(RawDocument) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err %v after %d documents", err, n)
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// FuzzReadDocumentsRaw feeds arbitrary bytes through the raw-document path
// of the decoder (ReadDocuments): no panic, every document handed on has
// JSON and a StartLine/Line pair consistent with its text, and the count
// stays within MaxDocuments.
//
//	go test -fuzz FuzzReadDocumentsRaw -fuzztime 30s ./internal/workload/kube/
func FuzzReadDocumentsRaw(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(demo, "kubernetes-manifests", "*.yaml"))
	for _, s := range seeds[:2] {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("---\n# c\n---\n...\napiVersion: v1\nkind: List\nitems: [{}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs := &Objects{Inputs: map[string]string{}}
		d, err := newDecoder(context.Background(), objs, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		n := 0
		d.raw = func(doc RawDocument) error {
			n++
			if len(doc.JSON) == 0 || doc.File != "fuzz.yaml" {
				t.Fatalf("document %+v", doc)
			}
			if doc.Line < 1 || doc.Line > lines || doc.StartLine < 1 || doc.StartLine > doc.Line {
				t.Fatalf("line %d, start %d, of %d lines", doc.Line, doc.StartLine, lines)
			}
			return nil
		}
		d.stream("fuzz.yaml", data, false, true)
		if n > MaxDocuments {
			t.Fatalf("%d documents", n)
		}
	})
}
