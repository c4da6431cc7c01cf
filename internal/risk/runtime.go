package risk

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/runevidence"
	"github.com/sightline-sec/sightline/internal/workload"
)

// Runtime states of a row (Runtime.State), the runevidence states.
const (
	RuntimeLoaded  = string(runevidence.Loaded)
	RuntimeDormant = string(runevidence.Dormant)
	RuntimeUnknown = string(runevidence.Unknown)
)

// RuntimeInput is the runtime evidence of the running containers of one
// Docker host (internal/runevidence), keyed by workload ID, and what
// could not be read. CollectRuntime makes it.
type RuntimeInput struct {
	Containers map[string]*ContainerRuntime
	// Inspected counts the containers asked about.
	Inspected int
	Gaps      []RuntimeGap
}

// ContainerRuntime is one container's evidence and its image's package
// file lists (read once per image ID).
type ContainerRuntime struct {
	Evidence *runevidence.Evidence
	Packages []runevidence.PackageFiles
	states   map[string]runevidence.PackageState
}

func (c *ContainerRuntime) state(name string) (runevidence.PackageState, bool) {
	if c.states == nil {
		c.states = runevidence.Explain(c.Evidence, c.Packages)
	}
	s, ok := c.states[name]
	return s, ok
}

// RuntimeGap is a container, image or host whose runtime evidence could
// not be read (or only in part).
type RuntimeGap struct {
	Workload string `json:"workload,omitempty"`
	Image    string `json:"image,omitempty"`
	Reason   string `json:"reason"`
}

// RuntimeCoverage says whether runtime evidence was collected and what is
// missing from it.
type RuntimeCoverage struct {
	Collected bool `json:"collected"`
	// Note says why nothing was collected ("--no-runtime", "no --docker
	// source"), "" when collected.
	Note       string       `json:"note,omitempty"`
	Containers int          `json:"containers"` // containers asked about
	Read       int          `json:"read"`       // containers with evidence
	Gaps       []RuntimeGap `json:"gaps"`
}

// CollectRuntime reads the runtime evidence of every Docker container of
// inv (workload IDs docker:<id>) through one runevidence.Inspector, and
// each image's package file lists once (by image ID). Nothing here is
// fatal: a container or image that cannot be read (not root, Docker
// Desktop whose containers run in a VM, a container gone since the
// inventory) is a RuntimeGap and its findings stay "unknown".
func CollectRuntime(ctx context.Context, inv *workload.Inventory, opts runevidence.Options) *RuntimeInput {
	out := &RuntimeInput{Containers: map[string]*ContainerRuntime{}, Gaps: []RuntimeGap{}}
	var ids []string
	for i := range inv.Workloads {
		if w := &inv.Workloads[i]; w.Source == workload.SourceDocker && strings.HasPrefix(w.ID, "docker:") {
			ids = append(ids, w.ID)
		}
	}
	out.Inspected = len(ids)
	if len(ids) == 0 {
		return out
	}
	in, err := runevidence.NewInspector(opts)
	if err != nil {
		out.Gaps = append(out.Gaps, RuntimeGap{Reason: err.Error()})
		return out
	}
	defer in.Close()
	type files struct {
		pkgs []runevidence.PackageFiles
		err  error
	}
	byImage := map[string]*files{}
	for _, id := range ids {
		ev, err := in.Inspect(ctx, strings.TrimPrefix(id, "docker:"))
		if err != nil {
			out.Gaps = append(out.Gaps, RuntimeGap{Workload: id, Reason: err.Error()})
			continue
		}
		for _, g := range ev.Gaps {
			out.Gaps = append(out.Gaps, RuntimeGap{Workload: id, Reason: g})
		}
		f := byImage[ev.ImageID]
		if f == nil {
			pkgs, gaps, err := runevidence.ReadPackageFiles(ctx, ev.Root)
			f = &files{pkgs, err}
			byImage[ev.ImageID] = f
			for _, g := range gaps {
				out.Gaps = append(out.Gaps, RuntimeGap{Image: ev.ImageID, Reason: g})
			}
			if err != nil {
				out.Gaps = append(out.Gaps, RuntimeGap{Image: ev.ImageID, Reason: err.Error()})
			}
		}
		if f.err != nil {
			continue
		}
		out.Containers[id] = &ContainerRuntime{Evidence: ev, Packages: f.pkgs}
	}
	return out
}

// osPackage reports whether a finding's package is installed by the OS
// package manager (deb, apk, rpm): only those have file lists that
// runtime evidence can map.
func osPackage(purl string) bool {
	for _, t := range []string{"pkg:deb/", "pkg:apk/", "pkg:rpm/"} {
		if strings.HasPrefix(purl, t) {
			return true
		}
	}
	return false
}

// maxRuntimeLines bounds the evidence lines of one row.
const maxRuntimeLines = 8

// runtimeOf decides the runtime state of a row's packages (names) across
// every container running the image: loaded when any container maps a
// file of any of them; dormant only when every container was read in full
// and none maps any; unknown otherwise (a container without evidence may
// run the code).
func runtimeOf(rt *RuntimeInput, note, purl, eco string, names []string, occ []occurrence) Runtime {
	unknown := func(lines ...string) Runtime {
		return Runtime{State: RuntimeUnknown, Evidence: strings.Join(lines, "; "), Lines: lines}
	}
	switch {
	case rt == nil:
		if note == "" {
			note = "no runtime evidence collected"
		}
		// No lines: the note is the evidence.
		return Runtime{State: RuntimeUnknown, Evidence: note, Lines: []string{}}
	case !osPackage(purl):
		return unknown(fmt.Sprintf("runtime evidence covers OS packages (deb, apk, rpm) only: a %s package has no package-manager file list to match against mapped files", eco))
	case len(occ) == 0:
		return unknown("no running container of this image")
	}
	var loaded, unk, dormant []string
	for _, o := range occ {
		st, lines := containerState(rt, o, names)
		if len(occ) > 1 {
			for i := range lines {
				lines[i] = o.w.Name + ": " + lines[i]
			}
		}
		switch st {
		case RuntimeLoaded:
			loaded = append(loaded, lines...)
		case RuntimeDormant:
			dormant = append(dormant, lines...)
		default:
			unk = append(unk, lines...)
		}
	}
	r := Runtime{State: RuntimeDormant, Lines: dormant}
	switch {
	case len(loaded) > 0:
		r = Runtime{State: RuntimeLoaded, Lines: loaded}
	case len(unk) > 0:
		r = Runtime{State: RuntimeUnknown, Lines: unk}
	}
	if len(r.Lines) > maxRuntimeLines {
		r.Lines = append(r.Lines[:maxRuntimeLines], fmt.Sprintf("and %d more", len(r.Lines)-maxRuntimeLines))
	}
	r.Evidence = strings.Join(r.Lines, "; ")
	return r
}

// containerState is the state of the row's packages in one container.
func containerState(rt *RuntimeInput, o occurrence, names []string) (string, []string) {
	cr := rt.Containers[o.w.ID]
	if cr == nil {
		why := "not a Docker container of this host"
		for _, g := range rt.Gaps {
			if g.Workload == o.w.ID {
				why = g.Reason
				break
			}
		}
		if o.w.Source == workload.SourceDocker && why == "not a Docker container of this host" {
			why = "its evidence could not be read (see coverage.runtime.gaps)"
		}
		return RuntimeUnknown, []string{"no runtime evidence: " + why}
	}
	var loaded, unk, dormant []string
	for _, n := range names {
		s, ok := cr.state(n)
		prefix := ""
		if len(names) > 1 {
			prefix = n + ": "
		}
		switch {
		case !ok:
			unk = append(unk, fmt.Sprintf("%s is not in the container's package database", n))
		case s.State == runevidence.Loaded:
			for _, e := range s.Evidence {
				loaded = append(loaded, prefix+e)
			}
		case s.State == runevidence.Dormant:
			for _, e := range s.Evidence {
				dormant = append(dormant, n+" installed, dormant: "+e)
			}
		default:
			for _, e := range s.Evidence {
				unk = append(unk, prefix+e)
			}
		}
	}
	switch {
	case len(loaded) > 0:
		return RuntimeLoaded, loaded
	case len(unk) > 0:
		return RuntimeUnknown, unk
	}
	return RuntimeDormant, dormant
}

// runtimePort is the port evidence from runtime: the vulnerable package
// (one of names) has a file mapped by a process listening on the
// verdict's container port. ok is false when runtime evidence does not
// prove it (the static evidence then stands).
func runtimePort(rt *RuntimeInput, o occurrence, names []string, purl string, v *workload.Verdict) (PortEvidence, bool) {
	if rt == nil || !osPackage(purl) {
		return PortEvidence{}, false
	}
	cr := rt.Containers[o.w.ID]
	if cr == nil || (v.Protocol != "tcp" && v.Protocol != "udp") {
		return PortEvidence{}, false
	}
	serving := runevidence.ServingPackages(cr.Evidence, cr.Packages, v.Protocol, v.ContainerPort)
	var hit []string
	for _, n := range names {
		if slices.Contains(serving, n) {
			hit = append(hit, n)
		}
	}
	if len(hit) == 0 {
		return PortEvidence{}, false
	}
	cmd := map[int]string{}
	for _, p := range cr.Evidence.Processes {
		cmd[p.PID] = p.Command
	}
	var procs []string
	for _, s := range cr.Evidence.Listeners(v.Protocol, v.ContainerPort) {
		for _, pid := range s.PIDs {
			if p := fmt.Sprintf("pid %d (%s)", pid, cmd[pid]); !slices.Contains(procs, p) {
				procs = append(procs, p)
			}
		}
	}
	sort.Strings(procs)
	key := portKey(v.Protocol, v.ContainerPort)
	return PortEvidence{Match: PortServed, Source: "runtime", Port: key,
		Detail: fmt.Sprintf("runtime: %s listens on %s and maps files of %s", strings.Join(procs, ", "), key, strings.Join(hit, ", "))}, true
}
