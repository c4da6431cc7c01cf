// Package graph is the asset graph every later stage reads: nodes keyed by
// the provider's stable ID (ARN or resource ID) with a kind, flat
// attributes and provenance, and typed directed edges.
//
// Design: nodes live in one slice indexed by a map from ID to position;
// edges are a slice of (from, to, kind) index triples with per-node
// adjacency lists of edge positions. Provenance is shared by pointer (one
// per account/region collection), so 100k+ nodes cost a few hundred bytes
// each. The graph is not safe for concurrent writes.
package graph

import (
	"fmt"
	"sort"
	"time"
)

// Provenance says where a node's data came from.
type Provenance struct {
	Source      string    `json:"source"` // e.g. "aws-snapshot:/path" or "aws-live"
	Account     string    `json:"account,omitempty"`
	Region      string    `json:"region,omitempty"`
	CollectedAt time.Time `json:"collected_at"`
}

// Kind is a node kind ("aws:ec2:instance", …).
type Kind string

// EdgeKind is a typed relation.
type EdgeKind string

// Edge kinds used by the AWS source and the exposure engine.
const (
	InVPC            EdgeKind = "in_vpc"
	InSubnet         EdgeKind = "in_subnet"
	HasSecurityGroup EdgeKind = "has_security_group"
	AttachedTo       EdgeKind = "attached_to" // interface → instance/task
	UsesRouteTable   EdgeKind = "uses_route_table"
	UsesNetworkACL   EdgeKind = "uses_network_acl"
	ForwardsTo       EdgeKind = "forwards_to" // load balancer → target group
	Targets          EdgeKind = "targets"     // target group → instance/interface
	RunsOn           EdgeKind = "runs_on"     // ECS task → container instance
	ExposedTo        EdgeKind = "exposed_to"  // resource → internet (with ports)
)

// Node is one asset.
type Node struct {
	ID    string
	Kind  Kind
	Name  string
	Attrs map[string]string
	Prov  *Provenance
}

// Edge is one typed relation between two nodes.
type Edge struct {
	From, To string
	Kind     EdgeKind
	Attrs    map[string]string
}

type edge struct {
	from, to int32
	kind     EdgeKind
	attrs    map[string]string
}

// Graph is the asset graph.
type Graph struct {
	nodes []Node
	index map[string]int32
	edges []edge
	out   [][]int32
	in    [][]int32
}

// New returns an empty graph.
func New() *Graph { return &Graph{index: map[string]int32{}} }

// Len returns the number of nodes.
func (g *Graph) Len() int { return len(g.nodes) }

// EdgeCount returns the number of edges.
func (g *Graph) EdgeCount() int { return len(g.edges) }

// AddNode inserts a node or merges it into an existing one with the same
// ID (non-empty fields and attributes of n win).
func (g *Graph) AddNode(n Node) {
	if i, ok := g.index[n.ID]; ok {
		cur := &g.nodes[i]
		if n.Kind != "" {
			cur.Kind = n.Kind
		}
		if n.Name != "" {
			cur.Name = n.Name
		}
		if n.Prov != nil {
			cur.Prov = n.Prov
		}
		for k, v := range n.Attrs {
			if cur.Attrs == nil {
				cur.Attrs = map[string]string{}
			}
			cur.Attrs[k] = v
		}
		return
	}
	g.index[n.ID] = int32(len(g.nodes))
	g.nodes = append(g.nodes, n)
	g.out = append(g.out, nil)
	g.in = append(g.in, nil)
}

// Node returns a node by ID.
func (g *Graph) Node(id string) (Node, bool) {
	i, ok := g.index[id]
	if !ok {
		return Node{}, false
	}
	return g.nodes[i], true
}

// AddEdge links two existing nodes.
func (g *Graph) AddEdge(from, to string, kind EdgeKind, attrs map[string]string) error {
	f, ok := g.index[from]
	if !ok {
		return fmt.Errorf("graph: edge %s from unknown node %q", kind, from)
	}
	t, ok := g.index[to]
	if !ok {
		return fmt.Errorf("graph: edge %s to unknown node %q", kind, to)
	}
	e := int32(len(g.edges))
	g.edges = append(g.edges, edge{f, t, kind, attrs})
	g.out[f] = append(g.out[f], e)
	g.in[t] = append(g.in[t], e)
	return nil
}

// Link is AddEdge that first creates missing endpoints as bare nodes of
// the given kinds (references to resources outside the snapshot).
func (g *Graph) Link(from string, fromKind Kind, to string, toKind Kind, kind EdgeKind, attrs map[string]string) {
	if _, ok := g.index[from]; !ok {
		g.AddNode(Node{ID: from, Kind: fromKind})
	}
	if _, ok := g.index[to]; !ok {
		g.AddNode(Node{ID: to, Kind: toKind})
	}
	_ = g.AddEdge(from, to, kind, attrs)
}

func (g *Graph) edgesOf(list []int32, kinds []EdgeKind) []Edge {
	var out []Edge
	for _, e := range list {
		x := g.edges[e]
		if len(kinds) > 0 && !hasKind(kinds, x.kind) {
			continue
		}
		out = append(out, Edge{From: g.nodes[x.from].ID, To: g.nodes[x.to].ID, Kind: x.kind, Attrs: x.attrs})
	}
	return out
}

func hasKind(ks []EdgeKind, k EdgeKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// Out returns the edges leaving id (optionally only of some kinds).
func (g *Graph) Out(id string, kinds ...EdgeKind) []Edge {
	i, ok := g.index[id]
	if !ok {
		return nil
	}
	return g.edgesOf(g.out[i], kinds)
}

// In returns the edges entering id (optionally only of some kinds).
func (g *Graph) In(id string, kinds ...EdgeKind) []Edge {
	i, ok := g.index[id]
	if !ok {
		return nil
	}
	return g.edgesOf(g.in[i], kinds)
}

// NodesOfKind returns the IDs of all nodes of a kind, sorted.
func (g *Graph) NodesOfKind(k Kind) []string {
	var out []string
	for _, n := range g.nodes {
		if n.Kind == k {
			out = append(out, n.ID)
		}
	}
	sort.Strings(out)
	return out
}
