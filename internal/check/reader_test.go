package check

import (
	"context"
	"strings"
	"testing"
)

// nameReader accepts files whose name ends with suffix (a test stand-in
// for an input package's Reader).
type nameReader struct {
	input  Input
	suffix string
}

func (r nameReader) Input() Input { return r.input }

func (r nameReader) Detect(path string, _ []byte) bool { return strings.HasSuffix(path, r.suffix) }

func (r nameReader) Read(context.Context, []string) (Set, error) { return Set{}, nil }

func TestRegistry(t *testing.T) {
	var g Registry
	if err := g.Register(nameReader{InputDockerfile, "Dockerfile"}); err != nil {
		t.Fatal(err)
	}
	if err := g.Register(nameReader{InputKubernetes, ".yaml"}); err != nil {
		t.Fatal(err)
	}
	if err := g.Register(nameReader{InputKubernetes, ".yml"}); err == nil || !strings.Contains(err.Error(), `input "kubernetes" is already registered`) {
		t.Fatalf("second kubernetes reader: %v", err)
	}
	if r := g.Detect("deploy/web.yaml", nil); r == nil || r.Input() != InputKubernetes {
		t.Errorf("web.yaml -> %v", r)
	}
	if r := g.Detect("README.md", nil); r != nil {
		t.Errorf("README.md -> %v, want none", r.Input())
	}
	if n := len(g.Readers()); n != 2 {
		t.Errorf("readers = %d", n)
	}
}

func TestSetAdd(t *testing.T) {
	a := Set{Objects: []Object{{Name: "a"}}, Gaps: []Gap{{Reason: "x"}}}
	a.Add(Set{Objects: []Object{{Name: "b"}}})
	if len(a.Objects) != 2 || a.Objects[1].Name != "b" || len(a.Gaps) != 1 {
		t.Fatalf("%+v", a)
	}
}
