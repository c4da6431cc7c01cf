package graph

import (
	"fmt"
	"testing"
)

func TestGraphBasics(t *testing.T) {
	g := New()
	p := &Provenance{Source: "test", Account: "111122223333", Region: "eu-west-1"}
	g.AddNode(Node{ID: "i-1", Kind: "aws:ec2:instance", Prov: p})
	g.AddNode(Node{ID: "i-1", Attrs: map[string]string{"state": "running"}})
	g.Link("eni-1", "aws:ec2:network-interface", "i-1", "aws:ec2:instance", AttachedTo, nil)
	if err := g.AddEdge("eni-1", "nope", InSubnet, nil); err == nil {
		t.Fatal("edge to unknown node accepted")
	}
	n, ok := g.Node("i-1")
	if !ok || n.Kind != "aws:ec2:instance" || n.Attrs["state"] != "running" || n.Prov != p {
		t.Fatalf("merged node wrong: %+v", n)
	}
	if in := g.In("i-1", AttachedTo); len(in) != 1 || in[0].From != "eni-1" {
		t.Fatalf("in edges %+v", in)
	}
	if out := g.Out("eni-1", InSubnet); len(out) != 0 {
		t.Fatalf("kind filter ignored: %+v", out)
	}
	if g.Len() != 2 || g.EdgeCount() != 1 {
		t.Fatalf("len %d edges %d", g.Len(), g.EdgeCount())
	}
}

func BenchmarkBuild100k(b *testing.B) {
	ids := make([]string, 100000)
	for i := range ids {
		ids[i] = fmt.Sprintf("eni-%08x", i)
	}
	p := &Provenance{Source: "bench"}
	for i := 0; i < b.N; i++ {
		g := New()
		for k, id := range ids {
			g.AddNode(Node{ID: id, Kind: "aws:ec2:network-interface", Prov: p})
			g.Link(id, "", fmt.Sprintf("subnet-%04x", k%5000), "aws:ec2:subnet", InSubnet, nil)
		}
	}
}
