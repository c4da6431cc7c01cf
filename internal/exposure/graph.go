package exposure

import (
	"strconv"
	"strings"

	"github.com/sightline-sec/sightline/internal/graph"
)

// Internet is the graph node exposure edges point to.
const Internet = "internet"

// AddToGraph records every exposed result as an exposed_to edge from the
// resource to the "internet" node, with protocol, ports, width, sources
// and the load balancer it goes through.
func (rep *Report) AddToGraph(g *graph.Graph) {
	g.AddNode(graph.Node{ID: Internet, Kind: "internet", Name: "the internet"})
	for _, r := range rep.Results {
		if r.Verdict != Exposed {
			continue
		}
		g.Link(r.Resource, graph.Kind("aws:"+r.ResourceType), Internet, "internet", graph.ExposedTo, map[string]string{
			"protocol": r.Protocol, "from_port": strconv.Itoa(r.FromPort), "to_port": strconv.Itoa(r.ToPort),
			"width": r.Width, "via": r.Via, "sources": strings.Join(r.Sources, ","),
		})
	}
}
