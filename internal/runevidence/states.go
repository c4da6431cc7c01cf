package runevidence

import (
	"fmt"
	"sort"
)

// State is a package's runtime state in one container.
type State string

const (
	// Loaded: a file of the package is mapped by a process of the
	// container (its code, or a data file it maps, is in memory now).
	Loaded State = "loaded"
	// Dormant: the package is installed and the maps of every process
	// were read, and none maps any of its files.
	Dormant State = "dormant"
	// Unknown: the package has no file list, or the evidence is
	// incomplete (some process's maps, or the process list, unread).
	Unknown State = "unknown"
)

// PackageState is one package's state with the evidence behind it, in
// words a report can print.
type PackageState struct {
	State State `json:"state"`
	// Evidence: for loaded, each mapped file with the processes mapping it
	// ("/usr/lib/x86_64-linux-gnu/libssl.so.3 mapped by pid 4121 (nginx)");
	// for dormant, what was checked; for unknown, what is missing.
	Evidence []string `json:"evidence"`
}

// maxEvidence bounds the lines of evidence per package.
const maxEvidence = 5

// PackageStates is the state of each package, keyed by PackageFiles.Name.
// Two entries with one name (dpkg Multi-Arch: same) merge: loaded if either
// is, else unknown if either is, else dormant.
func PackageStates(ev *Evidence, pkgs []PackageFiles) map[string]State {
	out := map[string]State{}
	for n, s := range Explain(ev, pkgs) {
		out[n] = s.State
	}
	return out
}

// Explain is PackageStates with the evidence of each state.
func Explain(ev *Evidence, pkgs []PackageFiles) map[string]PackageState {
	owners := mappers(ev)
	out := map[string]PackageState{}
	for _, p := range pkgs {
		s := explainOne(ev, owners, p)
		if prev, ok := out[p.Name]; ok {
			s = merge(prev, s)
		}
		out[p.Name] = s
	}
	return out
}

// mappers indexes mapped file → the processes mapping it.
func mappers(ev *Evidence) map[string][]Process {
	m := map[string][]Process{}
	if ev == nil {
		return m
	}
	for _, p := range ev.Processes {
		for _, f := range p.MappedFiles {
			m[f] = append(m[f], p)
		}
	}
	return m
}

func explainOne(ev *Evidence, owners map[string][]Process, p PackageFiles) PackageState {
	if ev == nil {
		return PackageState{State: Unknown, Evidence: []string{"no runtime evidence"}}
	}
	var hits []string
	for _, f := range p.Files {
		ps, ok := owners[f]
		if !ok {
			continue
		}
		hits = append(hits, fmt.Sprintf("%s mapped by %s", f, procList(ps, f)))
	}
	if len(hits) > 0 {
		sort.Strings(hits)
		if len(hits) > maxEvidence {
			hits = append(hits[:maxEvidence], fmt.Sprintf("and %d more mapped files", len(hits)-maxEvidence))
		}
		return PackageState{State: Loaded, Evidence: hits}
	}
	switch {
	case len(p.Files) == 0:
		return PackageState{State: Unknown, Evidence: []string{fmt.Sprintf("no file list for package %s", p.Name)}}
	case !ev.MapsComplete:
		return PackageState{State: Unknown, Evidence: []string{fmt.Sprintf("none of its %d listed paths is mapped by the processes read, but the evidence is incomplete (%d gaps)", len(p.Files), len(ev.Gaps))}}
	}
	return PackageState{State: Dormant, Evidence: []string{fmt.Sprintf("none of its %d listed paths is mapped by the container's %d process(es)", len(p.Files), len(ev.Processes))}}
}

func procList(ps []Process, file string) string {
	s := ""
	for i, p := range ps {
		if i == 3 {
			return s + fmt.Sprintf(" and %d more", len(ps)-3)
		}
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("pid %d (%s)", p.PID, p.Command)
		for _, d := range p.DeletedFiles {
			if d == file {
				s += " [deleted on disk: an older copy is running]"
			}
		}
	}
	return s
}

func merge(a, b PackageState) PackageState {
	rank := map[State]int{Loaded: 2, Unknown: 1, Dormant: 0}
	if rank[b.State] > rank[a.State] {
		return b
	}
	return a
}

// Listeners returns the container's listening sockets on port for proto
// "tcp" or "udp" (IPv4 and IPv6 tables both).
func (ev *Evidence) Listeners(proto string, port int) []Socket {
	var out []Socket
	for _, s := range ev.Listening {
		if s.Port == port && (s.Proto == proto || s.Proto == proto+"6") {
			out = append(out, s)
		}
	}
	return out
}

// ServingPackages names the packages (sorted, PackageFiles.Name) with a
// file mapped by a process that listens on proto/port: the code that
// answers that port. It is positive evidence only: an empty answer with
// incomplete evidence (Gaps) says nothing.
func ServingPackages(ev *Evidence, pkgs []PackageFiles, proto string, port int) []string {
	serving := map[int]bool{}
	for _, s := range ev.Listeners(proto, port) {
		for _, pid := range s.PIDs {
			serving[pid] = true
		}
	}
	files := map[string]bool{}
	for _, p := range ev.Processes {
		if serving[p.PID] {
			for _, f := range p.MappedFiles {
				files[f] = true
			}
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range pkgs {
		if seen[p.Name] {
			continue
		}
		for _, f := range p.Files {
			if files[f] {
				seen[p.Name] = true
				out = append(out, p.Name)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}
