package docker

import (
	"maps"
	"net/netip"
	"path"
	"slices"
	"sort"
	"strings"

	gname "github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/mount"

	"github.com/sightline-sec/sightline/internal/workload"
)

// workload maps one inspected container (and its image, nil when it could
// not be inspected) to a Workload with one Container.
func (r reader) workload(c container.InspectResponse, img *image.InspectResponse, host workload.Host) (workload.Workload, []workload.Gap) {
	cfg := c.Config
	if cfg == nil {
		cfg = &container.Config{}
	}
	hc := c.HostConfig
	if hc == nil {
		hc = &container.HostConfig{}
	}
	h := host
	w := workload.Workload{
		ID:          "docker:" + c.ID,
		Kind:        "container",
		Name:        strings.TrimPrefix(c.Name, "/"),
		Source:      workload.SourceDocker,
		Input:       r.endpoint,
		Host:        &h,
		Labels:      maps.Clone(cfg.Labels),
		NetworkMode: string(hc.NetworkMode),
		HostNetwork: hc.NetworkMode.IsHost(),
		HostPID:     hc.PidMode.IsHost(),
		HostIPC:     hc.IpcMode.IsHost(),
		Addresses:   addresses(c.NetworkSettings),
	}
	ports, gaps := r.ports(c, hc, cfg)
	ctr := workload.Container{
		Name:           w.Name,
		Image:          imageOf(cfg.Image, c.Image, img),
		Ports:          ports,
		Privileged:     hc.Privileged,
		User:           cfg.User,
		CapAdd:         slices.Clone(hc.CapAdd),
		CapDrop:        slices.Clone(hc.CapDrop),
		ReadOnlyRootFS: hc.ReadonlyRootfs,
		Mounts:         mounts(c.Mounts, hc.Tmpfs),
	}
	w.Containers = []workload.Container{ctr}
	return w, gaps
}

// addresses are the container's IPs on each network it is attached to
// (bridge and user networks; none for host and none modes), sorted.
func addresses(ns *container.NetworkSettings) []string {
	if ns == nil {
		return nil
	}
	var out []string
	for _, ep := range ns.Networks {
		if ep == nil {
			continue
		}
		for _, a := range []netip.Addr{ep.IPAddress, ep.GlobalIPv6Address} {
			if a.IsValid() && !a.IsUnspecified() {
				out = append(out, a.String())
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// imageOf names the image a container runs: the reference as configured,
// the image ID, and the manifest digest. The digest comes from the
// reference itself when it is a digest reference, else from the image's
// RepoDigests entry for the same repository (Docker records one per
// repository the image was pulled from or pushed to:
// https://docs.docker.com/reference/api/engine/version/v1.41/#tag/Image/operation/ImageInspect).
// A locally built or loaded image has none: then only the tag is known,
// and the join to scanned images is by tag (Confidence "tag").
func imageOf(ref, id string, img *image.InspectResponse) workload.Image {
	out := workload.Image{Ref: ref, ID: id}
	var repoDigests []string
	if img != nil {
		repoDigests = img.RepoDigests
	}
	out.Digest = digestFor(ref, id, repoDigests)
	if out.Digest != "" {
		out.Confidence = "digest"
	} else {
		out.Confidence = "tag"
	}
	return out
}

// digestFor picks the manifest digest of ref among repoDigests
// ("repo@sha256:…"). A reference that is the image ID itself (docker run
// sha256:… or a short ID) names no repository; then the digest is used
// only when every repo digest agrees on it.
func digestFor(ref, imageID string, repoDigests []string) string {
	if d, err := gname.NewDigest(ref); err == nil {
		return d.DigestStr()
	}
	if ref == "" || isImageID(ref, imageID) {
		var only string
		for _, rd := range repoDigests {
			d, err := gname.NewDigest(rd)
			if err != nil {
				continue
			}
			if only != "" && only != d.DigestStr() {
				return ""
			}
			only = d.DigestStr()
		}
		return only
	}
	r, err := gname.ParseReference(ref)
	if err != nil {
		return ""
	}
	repo := r.Context().Name()
	for _, rd := range repoDigests {
		d, err := gname.NewDigest(rd)
		if err == nil && d.Context().Name() == repo {
			return d.DigestStr()
		}
	}
	return ""
}

// isImageID reports whether ref is the image ID or a prefix of it, as the
// engine accepts for docker run.
func isImageID(ref, imageID string) bool {
	hex := strings.TrimPrefix(imageID, "sha256:")
	ref = strings.TrimPrefix(ref, "sha256:")
	return len(ref) >= 4 && hex != "" && strings.HasPrefix(hex, ref)
}

// runtimeSockets are the container runtime API sockets: a container that
// can reach one controls the runtime, hence the host.
var runtimeSockets = []string{
	"/run/docker.sock",
	"/run/containerd/containerd.sock",
	"/run/crio/crio.sock",
	"/run/podman/podman.sock",
	"/run/dockershim.sock",
	"/run/cri-dockerd.sock",
}

// isRuntimeSocket reports whether a bind of the host path src exposes a
// runtime socket: the socket itself, or a directory holding it (/, /run,
// /var/run, …). /var/run is a link to /run on current distributions.
func isRuntimeSocket(src string) bool {
	if src == "" {
		return false
	}
	p := path.Clean(src)
	if p == "/var/run" || strings.HasPrefix(p, "/var/run/") {
		p = "/run" + strings.TrimPrefix(p, "/var/run")
	}
	for _, s := range runtimeSockets {
		if s == p || p == "/" || strings.HasPrefix(s, p+"/") {
			return true
		}
	}
	// Rootless engines and other layouts keep the socket elsewhere
	// ($XDG_RUNTIME_DIR/docker.sock): match by name.
	switch path.Base(p) {
	case "docker.sock", "containerd.sock", "crio.sock", "podman.sock", "dockershim.sock", "cri-dockerd.sock":
		return true
	}
	return false
}

// mounts maps the engine's mount points (binds, volumes, tmpfs, --mount)
// and --tmpfs mounts, which the engine lists only in HostConfig.Tmpfs.
func mounts(mps []container.MountPoint, tmpfs map[string]string) []workload.Mount {
	var out []workload.Mount
	seen := map[string]bool{}
	for _, m := range mps {
		wm := workload.Mount{
			Type:        string(m.Type),
			Source:      m.Source,
			Destination: m.Destination,
			ReadOnly:    !m.RW,
		}
		if m.Type == mount.TypeVolume && m.Name != "" {
			wm.Source = m.Name // the volume, not its directory under /var/lib/docker
		}
		if m.Type == mount.TypeBind {
			wm.HostPath = true
			wm.RuntimeSocket = isRuntimeSocket(m.Source)
		}
		seen[m.Destination] = true
		out = append(out, wm)
	}
	for _, dst := range slices.Sorted(maps.Keys(tmpfs)) {
		if seen[dst] {
			continue
		}
		ro := slices.Contains(strings.Split(tmpfs[dst], ","), "ro")
		out = append(out, workload.Mount{Type: string(mount.TypeTmpfs), Destination: dst, ReadOnly: ro})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Destination < out[j].Destination })
	return out
}
