package kubernetes

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/workload/kube"
)

// benchObjects is the object count of issue 10's benchmark
// ("check over 5k Kubernetes objects …").
const benchObjects = 5000

// writeBenchManifests writes copies of the real microservices-demo release
// manifests (Deployments, Services, ServiceAccounts; each copy's top-level
// names suffixed) into dir until at least n objects are written, one file
// per copy. It returns the object count.
func writeBenchManifests(tb testing.TB, dir string, n int) int {
	tb.Helper()
	src, err := os.ReadFile(filepath.Join(demo, "release", "kubernetes-manifests.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	per := strings.Count(string(src), "\nkind: ")
	total := 0
	for i := 0; total < n; i++ {
		text := strings.ReplaceAll(string(src), "\n  name: ", fmt.Sprintf("\n  name: c%d-", i))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("copy-%04d.yaml", i)), []byte(text), 0o600); err != nil {
			tb.Fatal(err)
		}
		total += per
	}
	return total
}

// BenchmarkRead5k: reading 5k objects from manifest files into Objects
// with field lines, vars and ignores (the input's whole cost).
//
//	go test -run XXX -bench Read5k -benchtime 3x ./internal/check/kubernetes/
func BenchmarkRead5k(b *testing.B) {
	dir := b.TempDir()
	want := writeBenchManifests(b, dir, benchObjects)
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		set, err := Read(context.Background(), []string{dir}, kube.LoadOptions{})
		if err != nil || len(set.Objects) != want || len(set.Gaps) != 0 {
			b.Fatalf("objects %d of %d, gaps %d, err %v", len(set.Objects), want, len(set.Gaps), err)
		}
	}
	b.ReportMetric(float64(want), "objects/op")
	b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// cpuTime is the process's user + system CPU time: on a shared machine
// wall time says more about the neighbours than about the code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEvaluate5k: the built-in rules (both Kubernetes packs and the
// others, which do not apply) over the same 5k objects.
func BenchmarkEvaluate5k(b *testing.B) {
	dir := b.TempDir()
	writeBenchManifests(b, dir, benchObjects)
	set, err := Read(context.Background(), []string{dir}, kube.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	rs := loadRules(b)
	b.ResetTimer()
	cpu := cpuTime()
	var res int
	for b.Loop() {
		r := rs.Evaluate(context.Background(), check.Set{Objects: set.Objects})
		res = len(r.Findings)
	}
	b.ReportMetric(float64(res), "findings/op")
	b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
}
