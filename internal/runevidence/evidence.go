package runevidence

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// Options say which engine to ask and where the host's /proc is.
type Options struct {
	// Host is the engine endpoint (unix:///…); "" means DOCKER_HOST or the
	// default socket, as internal/workload/docker connects.
	Host string
	// ProcRoot is the host's /proc; "" means "/proc". A containerised
	// sightline sees the host's processes only with the host's PID
	// namespace (docker run --pid=host).
	ProcRoot string
	// MaxProcesses bounds the processes read per container; 0 means
	// DefaultMaxProcesses. Processes beyond it are a Gap.
	MaxProcesses int
}

// DefaultMaxProcesses bounds the processes read in one container.
const DefaultMaxProcesses = 4096

// Process is one process of the container.
type Process struct {
	PID int `json:"pid"` // in the host's PID namespace
	// Command is /proc/<pid>/comm (at most 15 bytes, set by the process).
	Command string `json:"command"`
	// Exe is the executable as the process sees it (/proc/<pid>/exe).
	Exe string `json:"exe,omitempty"`
	// MappedFiles are the files in /proc/<pid>/maps, as the process sees
	// them, in order of first mapping.
	MappedFiles []string `json:"mapped_files"`
	// DeletedFiles are mapped files that were unlinked after they were
	// mapped (" (deleted)" in maps): the process still runs the old file,
	// typically a library upgraded on disk without a restart.
	DeletedFiles []string `json:"deleted_files,omitempty"`
	// MapsRead is false when /proc/<pid>/maps could not be read (a Gap).
	MapsRead bool `json:"maps_read"`
}

// Evidence is what one container does at the moment it was read.
type Evidence struct {
	ContainerID string `json:"container_id"`
	// ImageID is the image the container runs ("sha256:…"): containers of
	// one image share its package file lists, so a caller can read them
	// once per image.
	ImageID string `json:"image_id"`
	// Root is the container's filesystem as seen from the host
	// (/proc/<pid>/root of its first process): give it to
	// ReadPackageFiles.
	Root string `json:"root"`
	// PIDsFrom says where the process list came from: "engine top" or
	// "cgroup.procs".
	PIDsFrom string `json:"pids_from"`
	// HostNetwork: the container shares the host's network namespace, so
	// only the sockets its own processes hold are listed.
	HostNetwork bool `json:"host_network"`
	// Listening are the listening sockets of the container's network
	// namespace(s), sorted by proto, port, address.
	Listening []Socket `json:"listening"`
	// MappedFiles is the union of the processes' mapped files, sorted.
	MappedFiles []string  `json:"mapped_files"`
	Processes   []Process `json:"processes"`
	// MapsComplete is true when the maps of every process were read: only
	// then can a package be called "dormant".
	MapsComplete bool `json:"maps_complete"`
	// Gaps are what could not be read, each naming the file or call.
	Gaps []string `json:"gaps"`
}

// InspectDocker reads the runtime evidence of one running container of
// the Docker engine at opts.Host. It is an error when the container does
// not exist or is not running, when the engine is remote, and when the
// container's first process cannot be read from this host's /proc (Docker
// Desktop, whose containers run in a VM; a sightline in another PID
// namespace; no privilege): never a guess. Processes, sockets or maps that
// cannot be read once the container is confirmed are Gaps. To read many
// containers, NewInspector keeps one engine connection.
func InspectDocker(ctx context.Context, containerID string, opts Options) (*Evidence, error) {
	in, err := NewInspector(opts)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	return in.Inspect(ctx, containerID)
}

// Inspector reads the runtime evidence of containers of one engine.
type Inspector struct {
	cli      *client.Client
	endpoint string
	procRoot string
	maxProcs int
}

// NewInspector connects to the engine at opts.Host (nothing is sent until
// the first Inspect). A remote engine is an error: its containers' /proc
// is on another machine.
func NewInspector(opts Options) (*Inspector, error) {
	in := &Inspector{procRoot: opts.ProcRoot, maxProcs: opts.MaxProcesses}
	if in.procRoot == "" {
		in.procRoot = "/proc"
	}
	if in.maxProcs <= 0 {
		in.maxProcs = DefaultMaxProcesses
	}
	cli, err := newClient(opts.Host)
	if err != nil {
		return nil, fmt.Errorf("docker endpoint %q: %w", opts.Host, err)
	}
	in.cli, in.endpoint = cli, cli.DaemonHost()
	if !strings.HasPrefix(in.endpoint, "unix://") {
		cli.Close()
		return nil, fmt.Errorf("runtime evidence: the Docker engine at %s is not local (not a unix socket); its containers' /proc is on another machine", in.endpoint)
	}
	return in, nil
}

// Close closes the engine connection.
func (in *Inspector) Close() error { return in.cli.Close() }

// Inspect is InspectDocker through the Inspector's connection.
func (in *Inspector) Inspect(ctx context.Context, containerID string) (*Evidence, error) {
	cli, endpoint, procRoot, maxProcs := in.cli, in.endpoint, in.procRoot, in.maxProcs
	res, err := cli.ContainerInspect(ctx, containerID, client.ContainerInspectOptions{})
	switch {
	case cerrdefs.IsNotFound(err):
		return nil, fmt.Errorf("runtime evidence of container %s: no such container at the Docker engine %s", containerID, endpoint)
	case err != nil:
		return nil, fmt.Errorf("runtime evidence of container %s: inspect at %s: %s", containerID, endpoint, oneLine(err))
	}
	c := res.Container
	if c.State == nil || !c.State.Running || c.State.Pid <= 0 {
		status := "unknown"
		if c.State != nil {
			status = string(c.State.Status)
		}
		return nil, fmt.Errorf("runtime evidence of container %s: not running (state %s); only a running container's processes can be read", short(c.ID), status)
	}
	pr := procReader{root: procRoot, id: c.ID}
	if err := pr.confirm(c.State.Pid); err != nil {
		return nil, fmt.Errorf("runtime evidence of container %s: %w", short(c.ID), err)
	}
	ev := &Evidence{
		ContainerID: c.ID,
		ImageID:     c.Image,
		Root:        filepath.Join(procRoot, strconv.Itoa(c.State.Pid), "root"),
		HostNetwork: c.HostConfig != nil && c.HostConfig.NetworkMode.IsHost(),
		Listening:   []Socket{}, MappedFiles: []string{}, Processes: []Process{}, Gaps: []string{},
	}
	pids, complete := pr.pids(ctx, cli, c.State.Pid, ev)
	if len(pids) > maxProcs {
		ev.Gaps = append(ev.Gaps, fmt.Sprintf("%d processes; only the first %d (by PID) were read", len(pids), maxProcs))
		pids, complete = pids[:maxProcs], false
	}
	allRead, err := pr.readAll(ctx, pids, ev)
	if err != nil {
		return nil, err
	}
	ev.MapsComplete = complete && allRead && allMapsRead(ev.Processes)
	return ev, nil
}

func allMapsRead(ps []Process) bool {
	for _, p := range ps {
		if !p.MapsRead {
			return false
		}
	}
	return len(ps) > 0
}

// newClient connects as internal/workload/docker does: an explicit
// endpoint, else DOCKER_HOST and its TLS settings, else the default socket.
func newClient(host string) (*client.Client, error) {
	if host == "" {
		return client.New(client.FromEnv)
	}
	return client.New(client.FromEnv, client.WithHost(host))
}

// procReader reads the /proc entries of one container's processes.
type procReader struct {
	root string // host /proc
	id   string // full container ID
}

func (pr procReader) path(pid int, parts ...string) string {
	return filepath.Join(append([]string{pr.root, strconv.Itoa(pid)}, parts...)...)
}

// confirm checks that /proc/<pid> is a process of the container: its
// cgroup path names the container ID, as both of Docker's cgroup drivers
// do ("/docker/<id>", "docker-<id>.scope"). This refuses a recycled PID
// and a /proc that is not the engine's (Docker Desktop's VM, another PID
// namespace), and says which.
func (pr procReader) confirm(pid int) error {
	b, err := os.ReadFile(pr.path(pid, "cgroup"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("its process %d is not in %s: this is not the engine's PID namespace (Docker Desktop and remote engines run containers in another machine; a containerised sightline needs the host's PID namespace, docker run --pid=host, and /proc): %w", pid, pr.root, errGone)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("reading %s: permission denied (reading another user's processes needs root or CAP_SYS_PTRACE; rootless engines' containers are readable by their user)", pr.path(pid, "cgroup"))
	case err != nil:
		return fmt.Errorf("reading %s: %w", pr.path(pid, "cgroup"), err)
	}
	if !strings.Contains(string(b), pr.id) {
		return fmt.Errorf("%s does not name the container (%q): process %d is not the container's in this /proc (another PID or cgroup namespace, Docker Desktop's VM, or the process exited and its PID was reused): %w", pr.path(pid, "cgroup"), firstLine(string(b)), pid, errGone)
	}
	return nil
}

// errGone marks a PID that is not (or no longer) a process of the
// container in this /proc: for a PID the engine listed, the process has
// exited, which leaves the evidence complete; any other failure does not.
var errGone = errors.New("not a process of the container")

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// pids lists the container's processes: the engine's top (host PIDs, the
// engine reads them from the container's cgroup), else the cgroup's
// cgroup.procs, else only the first process — each fallback a Gap.
// The bool is false when the list is known to be incomplete.
func (pr procReader) pids(ctx context.Context, cli *client.Client, initPID int, ev *Evidence) ([]int, bool) {
	pids, err := topPIDs(ctx, cli, pr.id)
	if err == nil {
		ev.PIDsFrom = "engine top"
		return pids, true
	}
	cg, cerr := pr.cgroupPIDs(initPID)
	if cerr == nil {
		ev.PIDsFrom = "cgroup.procs"
		ev.Gaps = append(ev.Gaps, fmt.Sprintf("engine top failed (%s); processes taken from the container's cgroup.procs", oneLine(err)))
		return cg, true
	}
	ev.PIDsFrom = "inspect"
	ev.Gaps = append(ev.Gaps, fmt.Sprintf("process list: engine top failed (%s) and cgroup.procs could not be read (%v); only the first process %d was read", oneLine(err), cerr, initPID))
	return []int{initPID}, false
}

func topPIDs(ctx context.Context, cli *client.Client, id string) ([]int, error) {
	top, err := cli.ContainerTop(ctx, id, client.ContainerTopOptions{})
	if err != nil {
		return nil, err
	}
	col := -1
	for i, t := range top.Titles {
		if t == "PID" {
			col = i
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("top has no PID column (titles %v)", top.Titles)
	}
	var pids []int
	for _, p := range top.Processes {
		if col >= len(p) {
			return nil, fmt.Errorf("top row %v has no PID", p)
		}
		n, err := strconv.Atoi(p[col])
		if err != nil {
			return nil, fmt.Errorf("top PID %q: %w", p[col], err)
		}
		pids = append(pids, n)
	}
	sort.Ints(pids)
	return pids, nil
}

// cgroupPIDs reads cgroup.procs of the container's cgroup: the unified
// hierarchy (cgroup v2, "0::<path>") or the v1 pids controller, under
// /sys/fs/cgroup (cgroups(7)).
func (pr procReader) cgroupPIDs(initPID int) ([]int, error) {
	b, err := os.ReadFile(pr.path(initPID, "cgroup"))
	if err != nil {
		return nil, err
	}
	var dirs []string
	for l := range strings.Lines(string(b)) {
		f := strings.SplitN(strings.TrimSpace(l), ":", 3)
		if len(f) != 3 || !strings.Contains(f[2], pr.id) {
			continue
		}
		switch {
		case f[0] == "0" && f[1] == "":
			dirs = append(dirs, filepath.Join("/sys/fs/cgroup", f[2]))
		case strings.Contains(","+f[1]+",", ",pids,"):
			dirs = append(dirs, filepath.Join("/sys/fs/cgroup/pids", f[2]))
		}
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("no cgroup of the container in %s", pr.path(initPID, "cgroup"))
	}
	procs, err := os.ReadFile(filepath.Join(dirs[0], "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(string(procs)) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %q", filepath.Join(dirs[0], "cgroup.procs"), f)
		}
		pids = append(pids, n)
	}
	sort.Ints(pids)
	return pids, nil
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
