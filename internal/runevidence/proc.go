package runevidence

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
)

// netTables are the /proc/<pid>/net tables read, with the proto they name.
var netTables = []string{"tcp", "tcp6", "udp", "udp6"}

// readAll reads every confirmed process and the listening sockets of
// each distinct network namespace, joined to their owners. The socket
// tables are read before the processes' fds, so a socket opened in between
// is missing (as if opened later) rather than listed without its owner.
//
// The bool is false when a listed process could not be read for another
// reason than having exited (a permission denial): the evidence is then
// incomplete.
func (pr procReader) readAll(ctx context.Context, pids []int, ev *Evidence) (bool, error) {
	var confirmed []int
	var netns []string
	allRead := true
	for _, pid := range pids {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if err := pr.confirm(pid); err != nil {
			if errors.Is(err, errGone) {
				ev.Gaps = append(ev.Gaps, fmt.Sprintf("process %d exited before it was read", pid))
			} else {
				allRead = false
				ev.Gaps = append(ev.Gaps, fmt.Sprintf("process %d skipped: %v", pid, err))
			}
			continue
		}
		ns, err := os.Readlink(pr.path(pid, "ns", "net"))
		if err != nil {
			ev.Gaps = append(ev.Gaps, fmt.Sprintf("%s: %s", pr.path(pid, "ns", "net"), describe(err)))
		}
		confirmed = append(confirmed, pid)
		netns = append(netns, ns)
	}
	socks := pr.readTables(ev, confirmed, netns)
	var states []map[uint64]bool
	for _, pid := range confirmed {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		p, st := pr.readProcess(pid, ev)
		ev.Processes = append(ev.Processes, p)
		states = append(states, st)
	}
	mapped := map[string]bool{}
	for _, p := range ev.Processes {
		for _, f := range p.MappedFiles {
			mapped[f] = true
		}
	}
	for f := range mapped {
		ev.MappedFiles = append(ev.MappedFiles, f)
	}
	sort.Strings(ev.MappedFiles)
	joinOwners(ev, socks, states)
	return allRead, nil
}

// readProcess reads comm, exe, maps and the socket fds of one process;
// each failure is a Gap.
func (pr procReader) readProcess(pid int, ev *Evidence) (Process, map[uint64]bool) {
	p := Process{PID: pid, MappedFiles: []string{}}
	sockets := map[uint64]bool{}
	gap := func(what string, err error) {
		ev.Gaps = append(ev.Gaps, fmt.Sprintf("%s: %s", pr.path(pid, what), describe(err)))
	}
	if b, err := os.ReadFile(pr.path(pid, "comm")); err == nil {
		p.Command = strings.TrimSpace(string(b))
	} else {
		gap("comm", err)
	}
	if exe, err := os.Readlink(pr.path(pid, "exe")); err == nil {
		p.Exe = strings.TrimSuffix(exe, deletedSuffix)
	} else {
		gap("exe", err)
	}
	if f, err := os.Open(pr.path(pid, "maps")); err == nil {
		ms, err := parseMaps(f)
		f.Close()
		if err == nil {
			p.MapsRead = true
			for _, m := range ms {
				p.MappedFiles = append(p.MappedFiles, m.path)
				if m.deleted {
					p.DeletedFiles = append(p.DeletedFiles, m.path)
				}
			}
		} else {
			gap("maps", err)
		}
	} else {
		gap("maps", err)
	}
	if err := pr.socketInodes(pid, sockets); err != nil {
		gap("fd", err)
	}
	return p, sockets
}

// socketInodes adds the inodes of the process's sockets: its fds that
// link to "socket:[<inode>]" (proc(5), /proc/pid/fd). An fd closed while
// the directory is read is not an error.
func (pr procReader) socketInodes(pid int, into map[uint64]bool) error {
	dir := pr.path(pid, "fd")
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return err
	}
	for _, n := range names {
		l, err := os.Readlink(dir + "/" + n)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return err
		}
		if s, ok := strings.CutPrefix(l, "socket:["); ok {
			if ino, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64); err == nil {
				into[ino] = true
			}
		}
	}
	return nil
}

// readTables reads the listening sockets of each network namespace once,
// through one of its processes.
func (pr procReader) readTables(ev *Evidence, pids []int, netns []string) []Socket {
	var out []Socket
	seen := map[string]bool{}
	for i, pid := range pids {
		if netns[i] == "" || seen[netns[i]] {
			continue
		}
		seen[netns[i]] = true
		for _, proto := range netTables {
			f, err := os.Open(pr.path(pid, "net", proto))
			if err != nil {
				ev.Gaps = append(ev.Gaps, fmt.Sprintf("%s: %s", pr.path(pid, "net", proto), describe(err)))
				continue
			}
			socks, err := parseNetTable(f, proto)
			f.Close()
			if err != nil {
				ev.Gaps = append(ev.Gaps, fmt.Sprintf("%s: %v", pr.path(pid, "net", proto), err))
				continue
			}
			out = append(out, socks...)
		}
	}
	return out
}

// joinOwners names each socket's owners among the container's processes.
// On the host's network (HostNetwork) only the sockets the container's
// processes hold are kept: the table is the whole host's.
func joinOwners(ev *Evidence, socks []Socket, fds []map[uint64]bool) {
	for _, s := range socks {
		s.PIDs = []int{}
		for j, o := range fds {
			if o[s.Inode] {
				s.PIDs = append(s.PIDs, ev.Processes[j].PID)
			}
		}
		if ev.HostNetwork && len(s.PIDs) == 0 {
			continue
		}
		ev.Listening = append(ev.Listening, s)
	}
	sort.Slice(ev.Listening, func(i, j int) bool {
		a, b := ev.Listening[i], ev.Listening[j]
		if a.Proto != b.Proto {
			return a.Proto < b.Proto
		}
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		return a.Address < b.Address
	})
}

// describe words a /proc read error for a reader who must act on it.
func describe(err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return "permission denied (needs root or CAP_SYS_PTRACE over the container's processes)"
	case errors.Is(err, fs.ErrNotExist):
		return "gone (the process exited while it was read)"
	}
	return err.Error()
}
