// Command check is the issue 10 `sightline check` engine benchmark: it
// generates Kubernetes-shaped objects (Deployments like the
// microservices-demo manifests: two containers, env, probes, resources,
// volumes; a share privileged, with host sockets, host namespaces or
// added capabilities), loads the built-in packs plus bench/check/rules.yaml,
// and times Load and Evaluate. The objects are synthetic: time and memory
// only. The target is the whole check (5k Kubernetes objects, 2k
// Terraform resources, 200 Dockerfiles) in ≤ 5 s on 2 cores.
//
//	go run ./bench/check -k8s 5000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/check/rules"
)

func main() {
	n := flag.Int("k8s", 5000, "Kubernetes objects to generate")
	rulesPath := flag.String("rules", "bench/check/rules.yaml", "benchmark rule file")
	noBuiltin := flag.Bool("no-builtin", false, "leave out the built-in packs")
	flag.Parse()
	if err := run(*n, *rulesPath, *noBuiltin); err != nil {
		fmt.Fprintln(os.Stderr, "bench/check:", err)
		os.Exit(1)
	}
}

func run(n int, rulesPath string, noBuiltin bool) error {
	ctx := context.Background()
	t0 := time.Now()
	set := check.Set{Objects: Generate(n)}
	gen := time.Since(t0)
	t1 := time.Now()
	rs, err := rules.Load(ctx, rules.Options{Paths: []string{rulesPath}, NoBuiltin: noBuiltin})
	if err != nil {
		return err
	}
	load := time.Since(t1)
	t2, c2 := time.Now(), cpuTime()
	res := rs.Evaluate(ctx, set)
	eval, evalCPU := time.Since(t2), cpuTime()-c2
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("objects %d, rules %d enabled (%d applied), evaluations %d, GOMAXPROCS %d\n",
		len(set.Objects), res.Stats.Rules, res.Stats.RulesApplied, res.Stats.Evaluations, runtime.GOMAXPROCS(0))
	fmt.Printf("generate %v, load %v, evaluate %v wall, %v CPU (%.1f µs CPU per evaluation)\n", gen.Round(time.Millisecond),
		load.Round(time.Millisecond), eval.Round(time.Millisecond), evalCPU.Round(time.Millisecond),
		float64(evalCPU.Microseconds())/float64(max(1, res.Stats.Evaluations)))
	fmt.Printf("findings %d, unknown %d, gaps %d, heap in use %d MiB, total alloc %d MiB\n",
		len(res.Findings), len(res.Unknown), len(res.Gaps), ms.HeapInuse>>20, ms.TotalAlloc>>20)
	if len(res.Gaps) > 0 {
		fmt.Printf("first gap: %s\n", res.Gaps[0].Reason)
	}
	return nil
}

// cpuTime is the process's user+system CPU time: on a shared machine the
// wall time depends on the other load, CPU time much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
