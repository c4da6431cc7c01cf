// Package docker reads the running containers of one Docker engine (the
// official client, github.com/moby/moby/client, at DOCKER_HOST or the
// default socket) into the provider-neutral workload model
// (internal/workload): one Workload of Kind "container" per running
// container, with its image (reference, image ID, repo digest), its ports
// and the fronts that reach them (published ports, host networking), its
// privileges (privileged, capabilities, user, host PID/IPC/network, mounts,
// read-only root filesystem) and the host it runs on (the engine's name and,
// from --host-id or the EC2 instance metadata service, its instance ID).
//
// The package only says what forwards to what; exposure is decided by
// internal/exposure from the fronts and the host's cloud path. Whatever it
// could not read (a container removed between list and inspect, an image
// that is gone, a host whose cloud identity is unknown, the ports a
// host-network container really opens) is a workload.Gap.
//
// The model is documented in docs/workloads-docker.md.
package docker
