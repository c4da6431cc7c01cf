package runevidence

import (
	"context"
	"testing"

	"github.com/moby/moby/api/types/container"

	"github.com/sightline-sec/sightline/internal/workload/docker/dockertest"
)

// BenchmarkInspectDocker: one InspectDocker of a running one-process
// container plus ReadPackageFiles and PackageStates on its root (docs/runtime.md).
func BenchmarkInspectDocker(b *testing.B) {
	cli := dockertest.Engine(b)
	tag, _ := dockertest.Image(b, cli)
	id := dockertest.MustRun(b, cli, "sl-runev-bench-"+dockertest.RandomHex(4),
		&container.Config{Image: tag}, &container.HostConfig{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ev, err := InspectDocker(ctx, id, Options{})
		if err != nil {
			b.Fatal(err)
		}
		pkgs, _, err := ReadPackageFiles(ctx, ev.Root)
		if err != nil {
			b.Fatal(err)
		}
		PackageStates(ev, pkgs)
	}
}
