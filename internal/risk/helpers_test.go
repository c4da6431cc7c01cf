package risk

import "github.com/sightline-sec/sightline/internal/workload"

// tagInventory is one Docker container running nginx:1.27 by tag, with
// port 80 exposed and port 8080 not.
func tagInventory() *workload.Inventory {
	return &workload.Inventory{Workloads: []workload.Workload{{ID: "docker:web", Kind: "container", Name: "web", Source: workload.SourceDocker,
		Containers: []workload.Container{{Name: "web", Image: workload.Image{Ref: "docker.io/library/nginx:1.27", Confidence: "tag"},
			Ports: []workload.Port{{ContainerPort: 80, Protocol: "tcp"}, {ContainerPort: 8080, Protocol: "tcp"}},
			Exposure: []workload.Verdict{
				{ContainerPort: 8080, Protocol: "tcp", Verdict: "exposed", Width: "wide", Sources: []string{"0.0.0.0/0"}},
				{ContainerPort: 80, Protocol: "tcp", Verdict: "exposed", Width: "narrow", Sources: []string{"81.2.69.0/25"}},
			}}}}}}
}
