// Command paths measures issue 11's identity and data paths
// (reach.AssessBehind) on a generated AWS snapshot of the size:
// 10k roles, 50k managed policies, 5k data stores, 20k workloads
// (defaults). The snapshot is written in the AWS CLI layout
// (docs/aws-snapshot.md) and read back through the same calls as
// `sightline assess --aws` (cmd/sightline loadSources): snapshot.Load,
// reach.AnalyzeAWS, ecs.FromSnapshot + reach.Join, then AssessBehind.
// The estate is synthetic (names, ARNs, policies): time and memory only.
// Target for AssessBehind: ≤ 15 s and ≤ 3 GiB on 2 cores.
//
//	go run ./bench/paths [-roles 10000] [-policies 50000] [-stores 5000] [-workloads 20000] [-keep DIR] [-cpuprofile FILE]
//
// The generator's memory is returned to the OS and the peak-RSS mark
// reset (/proc/self/clear_refs) before the measured steps, so the peak
// RSS printed is that of reading and evaluating, not of writing.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/netmodel"
	"github.com/sightline-sec/sightline/internal/reach"
	"github.com/sightline-sec/sightline/internal/risk"
	"github.com/sightline-sec/sightline/internal/workload"
	"github.com/sightline-sec/sightline/internal/workload/ecs"
)

const (
	targetTime = 15 * time.Second
	targetRSS  = 3 << 30 // bytes
)

func main() {
	var sz sizes
	flag.IntVar(&sz.roles, "roles", 10000, "IAM roles")
	flag.IntVar(&sz.policies, "policies", 50000, "customer-managed policies (spread evenly over the roles)")
	flag.IntVar(&sz.stores, "stores", 5000, "data stores: 1/5 RDS instances, 2/5 S3 buckets, 1/5 DynamoDB tables, 1/5 secrets")
	flag.IntVar(&sz.workloads, "workloads", 20000, "ECS awsvpc Fargate tasks")
	flag.IntVar(&sz.services, "services", 300, "ECS services (three quarters of the tasks)")
	flag.IntVar(&sz.families, "families", 2000, "task definition families (services + standalone task families), one task role each")
	flag.IntVar(&sz.subnets, "subnets", 50, "app subnets (/22; the first 5 public)")
	flag.IntVar(&sz.groups, "groups", 300, "app security groups")
	flag.IntVar(&sz.dbGroups, "dbgroups", 100, "DB security groups (each admitting three app groups by reference)")
	keep := flag.String("keep", "", "write the snapshot to this directory and keep it (default: a temporary directory, removed)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the measured steps to this file")
	memprofile := flag.String("memprofile", "", "write a heap profile (allocations) after AssessBehind to this file")
	dump := flag.String("dump", "", "write the data behind each workload (JSON) to this file, to compare two builds' answers")
	flag.Parse()
	if err := run(context.Background(), sz, *keep, *cpuprofile, *memprofile, *dump); err != nil {
		fmt.Fprintln(os.Stderr, "bench/paths:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, sz sizes, keep, cpuprofile, memprofile, dump string) error {
	// As cmd/sightline's tuneGC for every command but scan (assess
	// included): GOGC=200 unless the environment sets GOGC or GOMEMLIMIT.
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(200)
	}
	dir := keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "sightline-bench-paths-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	t0 := time.Now()
	if err := generate(dir, sz); err != nil {
		return fmt.Errorf("generating the snapshot: %w", err)
	}
	fmt.Printf("generated %s in %v (%s on disk)\n", dir, time.Since(t0).Round(time.Millisecond), diskSize(dir))
	debug.FreeOSMemory()
	resetPeakRSS()

	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	step := func(name string, f func() error) (time.Duration, error) {
		t, c := time.Now(), cpuTime()
		err := f()
		d := time.Since(t)
		fmt.Printf("  %-28s %9v wall %9v CPU  (peak RSS so far %s)\n", name, d.Round(time.Millisecond),
			(cpuTime() - c).Round(time.Millisecond), mib(peakRSS()))
		if err != nil {
			return d, fmt.Errorf("%s: %w", name, err)
		}
		return d, nil
	}
	var snap *snapshot.Snapshot
	if _, err := step("snapshot.Load", func() (err error) { snap, err = snapshot.Load(ctx, dir); return }); err != nil {
		return err
	}
	var model *netmodel.Model
	var rep *exposure.Report
	if _, err := step("reach.AnalyzeAWS", func() (err error) { model, rep, err = reach.AnalyzeAWS(ctx, snap); return }); err != nil {
		return err
	}
	inv := &workload.Inventory{Schema: workload.Schema, Workloads: []workload.Workload{}, Gaps: []workload.Gap{}}
	if _, err := step("ecs.FromSnapshot + Join", func() error {
		inv.Merge(ecs.FromSnapshot(snap))
		reach.Join(inv, snap, rep)
		return nil
	}); err != nil {
		return err
	}
	var b *reach.Behind
	tBehind, err := step("AssessBehind", func() (err error) { b, err = reach.AssessBehind(ctx, dir, snap, model, rep, inv); return })
	if err != nil {
		return err
	}
	peak := peakRSS()
	// The paths view over it (risk.BuildPaths), for one synthetic finding
	// per image run by the workloads, every workload internet-exposed:
	// the most paths this estate can give. Reported, not in the verdict.
	var pr *risk.PathReport
	if _, err := step("BuildPaths", func() error {
		pr = risk.BuildPaths(syntheticRows(inv), b.Data.Behind, b.Data.StoreRefs(), b.Data.Note)
		return nil
	}); err != nil {
		return err
	}
	fmt.Printf("paths: %d (from %d exposed workload groups)\n", len(pr.Paths), pr.Coverage.ExposedWorkloads)
	pprof.StopCPUProfile()
	if memprofile != "" {
		f, err := os.Create(memprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return err
		}
	}

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	fmt.Printf("live heap after AssessBehind (everything above still held): %s\n", mib(int64(ms.HeapAlloc)))
	report(sz, inv, len(rep.Results), b)
	if dump != "" && b.Data != nil {
		out, err := json.MarshalIndent(b.Data.Behind, "", " ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(dump, out, 0o644); err != nil {
			return err
		}
	}
	verdict := "MEETS"
	if tBehind > targetTime || peak > targetRSS {
		verdict = "MISSES"
	}
	fmt.Printf("verdict: identity and data paths (AssessBehind) %v, peak RSS %s: %s the target (≤ %v, ≤ %s on 2 cores; %.2f× the time, %.2f× the memory)\n",
		tBehind.Round(time.Millisecond), mib(peak), verdict, targetTime, mib(targetRSS),
		tBehind.Seconds()/targetTime.Seconds(), float64(peak)/float64(targetRSS))
	return nil
}

// syntheticRows is an assessment with one finding per image the
// workloads run, each workload internet-exposed.
func syntheticRows(inv *workload.Inventory) *risk.Report {
	byImage := map[string]*risk.Risk{}
	var order []string
	for i := range inv.Workloads {
		w := &inv.Workloads[i]
		for _, c := range w.Containers {
			r := byImage[c.Image.Ref]
			if r == nil {
				r = &risk.Risk{ID: "SYNTH-1", Score: 50, Image: risk.Image{Ref: c.Image.Ref, Digest: c.Image.Digest}}
				byImage[c.Image.Ref] = r
				order = append(order, c.Image.Ref)
			}
			r.Workloads = append(r.Workloads, risk.WorkloadRef{ID: w.ID, Name: w.Name, Kind: w.Kind, Owner: w.Owner,
				Container: c.Name, Class: risk.ReachWide})
		}
	}
	rep := &risk.Report{Schema: risk.Schema}
	for i, ref := range order {
		r := byImage[ref]
		r.Rank = i + 1
		rep.Risks = append(rep.Risks, *r)
	}
	return rep
}

// report counts the outputs, to show the work is real.
func report(sz sizes, inv *workload.Inventory, results int, b *reach.Behind) {
	fmt.Printf("estate: roles=%d policies=%d stores=%d workloads=%d services=%d families=%d; %d workloads read, %d inventory gaps, %d exposure results\n",
		sz.roles, sz.policies, sz.stores, sz.workloads, sz.services, sz.families, len(inv.Workloads), len(inv.Gaps), results)
	verdicts := map[string]int{}
	for _, list := range b.Assumed {
		for _, a := range list {
			verdicts[a.Verdict]++
		}
	}
	fmt.Printf("identity: %d workloads with assumed roles (verdicts %s), %d roles evaluated, incomplete=%t\n",
		len(b.Assumed), counts(verdicts), len(b.Identities), b.IdentityIncomplete)
	if b.Data == nil {
		fmt.Println("data: none")
		return
	}
	internet := map[string]int{}
	for _, s := range b.Data.Stores {
		internet[s.Internet]++
	}
	via := map[string]int{}
	verdict := map[string]int{}
	withData := 0
	for _, acc := range b.Data.Behind {
		if len(acc) > 0 {
			withData++
		}
		for _, a := range acc {
			via[a.Via]++
			verdict[a.Via+"/"+a.Verdict]++
		}
	}
	fmt.Printf("data: %d stores (internet %s), %d not collected; %d workloads with data behind; accesses by via %s; by via/verdict %s\n",
		len(b.Data.Stores), counts(internet), len(b.Data.Missing), withData, counts(via), counts(verdict))
}

func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return "{" + strings.Join(out, " ") + "}"
}

func diskSize(dir string) string {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return mib(n)
}

func mib(n int64) string { return fmt.Sprintf("%d MiB", n>>20) }

// cpuTime is the process's user + system CPU time so far (0 where
// getrusage is missing): the machine's cores are shared, so wall time
// alone says little.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS resets VmHWM to the current RSS (Linux ≥ 4.0); elsewhere
// the peak includes the generator's.
func resetPeakRSS() {
	runtime.GC()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS reads VmHWM from /proc/self/status (Linux), in bytes; -1 when
// unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")), "%d kB", &kb); err == nil {
				return kb << 10
			}
		}
	}
	return -1
}
