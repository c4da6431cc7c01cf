package docker

import (
	"context"
	"fmt"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/sightline-sec/sightline/internal/workload/docker/dockertest"
)

// BenchmarkCollect reads an engine running benchContainers containers of
// the test image, each with a published port (plus whatever else the
// engine runs). Run: go test -run XXX -bench Collect -benchtime 10x ./internal/workload/docker/
func BenchmarkCollect(b *testing.B) {
	const benchContainers = 40
	cli := dockertest.Engine(b)
	tag, _ := dockertest.Image(b, cli)
	suffix := dockertest.RandomHex(4)
	p := dockertest.Port(b, "8080/tcp")
	for i := range benchContainers {
		dockertest.MustRun(b, cli, fmt.Sprintf("sl-bench-%s-%d", suffix, i), &container.Config{Image: tag},
			&container.HostConfig{PortBindings: network.PortMap{p: {{}}}})
	}
	ctx := context.Background()
	var n int
	b.ResetTimer()
	for b.Loop() {
		inv, err := Collect(ctx, Options{HostID: "i-0123456789abcdef0"})
		if err != nil {
			b.Fatal(err)
		}
		n = len(inv.Workloads)
	}
	b.ReportMetric(float64(n), "containers")
}
