package graph

import (
	"strconv"
	"strings"

	"github.com/sightline-sec/sightline/internal/workload"
)

// Edge kinds of the workload layer (sightline inventory).
const (
	HasContainer EdgeKind = "has_container" // workload → container
	RunsImage    EdgeKind = "runs_image"    // container → image (attr confidence: digest or tag)
	ListensOn    EdgeKind = "listens_on"    // container → port
	ExposedVia   EdgeKind = "exposed_via"   // port → front (publish, Service, Ingress, load balancer, target group)
	OwnedBy      EdgeKind = "owned_by"      // workload → controlling workload (ReplicaSet, Deployment, ECS service)
)

// Node kinds of the workload layer. Hosts that are EC2 instances take the
// AWS kind and ID (KindEC2Instance, i-…), so they join the cloud graph.
const (
	KindWorkload    Kind = "workload"
	KindContainer   Kind = "container"
	KindImage       Kind = "image"
	KindPort        Kind = "port"
	KindHost        Kind = "host"
	KindFront       Kind = "front"
	KindEC2Instance Kind = "aws:ec2:instance"
)

// ImageResolver maps a manifest digest to the digest of the image that
// runs on the container's platform: a manifest list (OCI image index)
// digest to its platform manifest's digest. It returns "" when the digest
// is not a known list. Scanners that have read the index supply it.
type ImageResolver func(digest string) string

// ImageNodeID is the graph ID of an image: "image:sha256:…" by manifest
// digest (the join key scanned images use), or "image-ref:<ref>" for an
// image known only by tag.
func ImageNodeID(im workload.Image, resolve ImageResolver) (id, confidence string) {
	if im.Digest != "" {
		d := im.Digest
		if resolve != nil {
			if p := resolve(d); p != "" {
				d = p
			}
		}
		return "image:" + d, "digest"
	}
	return "image-ref:" + im.Ref, "tag"
}

// AddInventory adds the workloads of inv to g: workload, container, image
// and port nodes, linked by has_container, runs_image (digest first;
// tag-only joins marked confidence "tag", a tag can move), runs_on (the
// host: the EC2 instance when known), listens_on and exposed_via (each
// front of each route, with the route's position), plus exposed_to the
// internet for exposed verdicts. resolve may be nil.
func (g *Graph) AddInventory(inv *workload.Inventory, resolve ImageResolver) {
	for i := range inv.Workloads {
		w := &inv.Workloads[i]
		g.AddNode(Node{ID: w.ID, Kind: KindWorkload, Name: w.Name, Attrs: map[string]string{
			"kind": w.Kind, "namespace": w.Namespace, "source": w.Source, "network_mode": w.NetworkMode, "role": w.Role}})
		if w.Owner != "" {
			g.Link(w.ID, KindWorkload, w.Owner, KindWorkload, OwnedBy, nil)
		}
		if h := hostNode(w.Host); h != nil {
			if _, ok := g.Node(h.ID); !ok {
				g.AddNode(*h)
			}
			_ = g.AddEdge(w.ID, h.ID, RunsOn, nil)
		}
		for j := range w.Containers {
			g.addContainer(w, &w.Containers[j], resolve)
		}
	}
}

func hostNode(h *workload.Host) *Node {
	switch {
	case h == nil:
		return nil
	case h.InstanceID != "":
		return &Node{ID: h.InstanceID, Kind: KindEC2Instance, Attrs: map[string]string{"host_name": h.Name, "instance_from": h.InstanceFrom}}
	case h.Name != "":
		return &Node{ID: "host:" + h.Name, Kind: KindHost, Name: h.Name}
	}
	return nil
}

func (g *Graph) addContainer(w *workload.Workload, c *workload.Container, resolve ImageResolver) {
	cid := w.ID + "/" + c.Name
	g.AddNode(Node{ID: cid, Kind: KindContainer, Name: c.Name, Attrs: map[string]string{
		"privileged": strconv.FormatBool(c.Privileged), "user": c.User, "read_only_rootfs": strconv.FormatBool(c.ReadOnlyRootFS)}})
	_ = g.AddEdge(w.ID, cid, HasContainer, nil)
	img, conf := ImageNodeID(c.Image, resolve)
	attrs := map[string]string{"ref": c.Image.Ref}
	if c.Image.Digest != "" && img != "image:"+c.Image.Digest {
		attrs["index_digest"] = c.Image.Digest
	}
	g.AddNode(Node{ID: img, Kind: KindImage, Name: c.Image.Ref, Attrs: attrs})
	_ = g.AddEdge(cid, img, RunsImage, map[string]string{"confidence": conf})
	for pi := range c.Ports {
		p := &c.Ports[pi]
		pid := cid + ":" + p.Protocol + "/" + strconv.Itoa(p.ContainerPort)
		g.AddNode(Node{ID: pid, Kind: KindPort, Name: p.Name, Attrs: map[string]string{"declared": p.Declared}})
		_ = g.AddEdge(cid, pid, ListensOn, nil)
		for ri, r := range p.Routes {
			for fi, f := range r.Fronts {
				g.Link(pid, KindPort, f.ID, Kind(string(KindFront)+":"+f.Kind), ExposedVia, map[string]string{
					"route": strconv.Itoa(ri), "hop": strconv.Itoa(fi), "listen": f.ListenProto + "/" + strconv.Itoa(f.ListenPort),
					"entry": f.Entry, "load_balancer": f.LoadBalancer})
			}
		}
		for _, v := range c.Exposure {
			if v.Verdict != "exposed" || v.ContainerPort != p.ContainerPort || v.Protocol != p.Protocol {
				continue
			}
			g.Link(pid, KindPort, "internet", "internet", ExposedTo, map[string]string{
				"via": v.Via, "width": v.Width, "sources": strings.Join(v.Sources, ",")})
		}
	}
}
