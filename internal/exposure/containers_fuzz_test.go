package exposure

import (
	"encoding/json"
	"testing"

	"github.com/sightline-sec/sightline/internal/workload"
)

// FuzzContainers feeds arbitrary inventories (as a source would produce
// from hostile manifests: bad CIDRs, odd ports, empty routes, unknown
// entries) through Containers: no panic, and every verdict keeps its
// contract (not_exposed names a control, unknown names missing data,
// exposed lists sources).
func FuzzContainers(f *testing.F) {
	seed := pod(nodePort(false), workload.Route{Fronts: []workload.Front{{Kind: "load_balancer", ID: "x", Entry: "load_balancer",
		LoadBalancer: "arn:lb", ListenProto: "tcp", ListenPort: 443, SourceRanges: []string{"81.2.69.0/24", "bad"}}}})
	seed.Policies = []workload.Policy{{ID: "p", Namespace: "shop", PodSelector: map[string]string{}, Rules: []workload.PolicyRule{{
		From: []workload.Peer{{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8"}}}, Ports: []workload.PolicyPort{{Name: "http"}}}}}}
	b, _ := json.Marshal(seed)
	f.Add(b)
	f.Add([]byte(`{"workloads":[{"id":"k8s:a/b/Pod/c","source":"kubernetes","containers":[{"ports":[{"container_port":-1,"protocol":"sctp","routes":[{"fronts":[]}]}]}]}]}`))
	rep := &Report{Results: hostRows("i-1")}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		var inv workload.Inventory
		if json.Unmarshal(data, &inv) != nil {
			return
		}
		Containers(&inv, NewCloudIndex(rep, map[string]string{"lb": "arn:lb"}))
		for _, w := range inv.Workloads {
			for _, c := range w.Containers {
				for _, v := range c.Exposure {
					switch v.Verdict {
					case NotExposed:
						if v.BlockedBy == nil {
							t.Fatalf("not_exposed without blocked_by: %+v", v)
						}
					case Unknown:
						if len(v.Missing) == 0 {
							t.Fatalf("unknown without missing: %+v", v)
						}
					case Exposed:
						if len(v.Sources) == 0 {
							t.Fatalf("exposed without sources: %+v", v)
						}
					default:
						t.Fatalf("verdict %q", v.Verdict)
					}
				}
			}
		}
	})
}
