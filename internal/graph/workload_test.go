package graph

import (
	"testing"

	"github.com/sightline-sec/sightline/internal/workload"
)

func TestAddInventory(t *testing.T) {
	const list = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	const plat = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	inv := &workload.Inventory{Workloads: []workload.Workload{
		{ID: "ecs:arn:aws:ecs:eu-west-1:1:task/prod/t1", Kind: "ecs_task", Owner: "ecs:arn:aws:ecs:eu-west-1:1:service/prod/web",
			Host: &workload.Host{InstanceID: "i-1", InstanceFrom: "container instance"},
			Containers: []workload.Container{
				{Name: "web", Image: workload.Image{Ref: "nginx:1.27", Digest: list}, Ports: []workload.Port{{ContainerPort: 80, Protocol: "tcp",
					Routes: []workload.Route{{Fronts: []workload.Front{{Kind: "ecs_port_mapping", ID: "i-1:tcp/32768", ListenProto: "tcp", ListenPort: 32768, Entry: "host"}}}}}},
					Exposure: []workload.Verdict{{ContainerPort: 80, Protocol: "tcp", Verdict: "exposed", Via: "i-1:tcp/32768", Width: "wide", Sources: []string{"0.0.0.0/0"}}}},
				{Name: "side", Image: workload.Image{Ref: "busybox:1"}},
			}},
		{ID: "docker:abc", Kind: "container", Host: &workload.Host{Name: "laptop"},
			Containers: []workload.Container{{Name: "web", Image: workload.Image{Ref: "nginx:1.27", Digest: plat}}}},
	}}
	g := New()
	g.AddInventory(inv, func(d string) string {
		if d == list {
			return plat
		}
		return ""
	})
	// Both containers join the same platform image by digest.
	in := g.In("image:"+plat, RunsImage)
	if len(in) != 2 || in[0].Attrs["confidence"] != "digest" {
		t.Fatalf("runs_image into the platform image: %+v", in)
	}
	n, _ := g.Node("image:" + plat)
	if n.Attrs["index_digest"] != list {
		t.Errorf("image node attrs: %+v", n.Attrs)
	}
	if e := g.Out("ecs:arn:aws:ecs:eu-west-1:1:task/prod/t1/side", RunsImage); len(e) != 1 || e[0].To != "image-ref:busybox:1" || e[0].Attrs["confidence"] != "tag" {
		t.Errorf("tag-only join: %+v", e)
	}
	if e := g.Out("ecs:arn:aws:ecs:eu-west-1:1:task/prod/t1", RunsOn); len(e) != 1 || e[0].To != "i-1" {
		t.Errorf("runs_on: %+v", e)
	}
	if n, _ := g.Node("i-1"); n.Kind != KindEC2Instance {
		t.Errorf("host joins the AWS instance node: %+v", n)
	}
	if e := g.Out("docker:abc", RunsOn); len(e) != 1 || e[0].To != "host:laptop" {
		t.Errorf("docker runs_on: %+v", e)
	}
	port := "ecs:arn:aws:ecs:eu-west-1:1:task/prod/t1/web:tcp/80"
	if e := g.Out(port, ExposedVia); len(e) != 1 || e[0].To != "i-1:tcp/32768" || e[0].Attrs["listen"] != "tcp/32768" {
		t.Errorf("exposed_via: %+v", e)
	}
	if e := g.Out(port, ExposedTo); len(e) != 1 || e[0].Attrs["width"] != "wide" {
		t.Errorf("exposed_to: %+v", e)
	}
	if e := g.Out("ecs:arn:aws:ecs:eu-west-1:1:task/prod/t1/web", ListensOn); len(e) != 1 {
		t.Errorf("listens_on: %+v", e)
	}
}
