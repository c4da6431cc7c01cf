// Package runevidence reads what a running Docker container really does,
// from the Docker host's /proc: the sockets its processes listen on
// (/proc/<pid>/net/tcp, tcp6, udp, udp6, joined to their owners through
// /proc/<pid>/fd → socket:[inode]) and the files its processes map
// (/proc/<pid>/maps). Joined to the file lists of the packages installed in
// the container (dpkg's /var/lib/dpkg/info/*.list, apk's
// /lib/apk/db/installed, the rpm database; all read through
// /proc/<pid>/root), it tells, per package, whether its code is loaded by a process now ("loaded"), installed
// but mapped by no process ("dormant"), or cannot be told ("unknown").
//
// This is the runtime evidence of `sightline assess` (issue 9, item 2): the
// most precise answer to "is the vulnerable code running?". It is a
// snapshot of one moment, and its limits (short-lived processes, plugins
// loaded later, interpreted code that is read rather than mapped) are
// documented in docs/runtime.md; whatever could not be read is a Gap and
// turns a would-be "dormant" into "unknown", never into a confident answer.
//
// Where the data come from (proc(5), https://man7.org/linux/man-pages/man5/proc.5.html):
//   - the container's processes: the engine's /containers/{id}/top (the
//     host PIDs), else the cgroup's cgroup.procs; every PID is checked
//     against the container (its cgroup names the container ID) before it
//     is read, so a recycled PID or a /proc of another PID namespace (Docker
//     Desktop's VM, a remote engine) is refused instead of guessed;
//   - paths in /proc/<pid>/maps are printed by the kernel as the process
//     sees them (its mount namespace), which is also how the image's package
//     file lists name files, so the two compare directly once the lists'
//     directories are resolved through the container's own symlinks
//     (/lib → usr/lib on merged-/usr distributions).
package runevidence
