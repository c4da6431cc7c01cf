// Command sightline scans images, inventories cloud and container estates,
// and ranks vulnerabilities by whether they can really be reached.
//
// This package is CLI wiring only: flags are turned into calls into
// internal/ packages. See docs/cli.md for the command reference.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	tuneGC(topCommand(os.Args[1:]))
	stopProfile := startProfile(os.Getenv("SIGHTLINE_CPUPROFILE"))
	stopHeap := startPeakHeapProfile(os.Getenv("SIGHTLINE_MEMPROFILE"))
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stopHeap()
	stopProfile()
	stop()
	os.Exit(code)
}

// tuneGC sets the collector for the command about to run, unless the
// user set GOGC or GOMEMLIMIT (theirs win). Measured in one run each:
//
//   - scan commands keep GOGC=100 and get a 256 MiB soft memory limit.
//     With buffers reused per layer a cold scan of the bench image takes
//     the same CPU at GOGC=100 as at 200 (1.63 vs 1.81 s user, 3 runs
//     interleaved) with 10 MiB less peak RSS (78 vs 88 MiB); the limit
//     binds only on hostile inputs (200k dpkg entries: 666 → 421 MiB peak
//     RSS, 13.2 → 15.2 s CPU) — docs/scan.md "Memory".
//   - other commands trade memory for less collector work (GOGC=200):
//     exposure of 100k interfaces 5.6 → 4.3 s (RSS 1.57 → 1.59 GB). A soft
//     limit there makes large runs collect continuously (15.7 s).
func tuneGC(cmd string) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if cmd == "scan" {
		debug.SetMemoryLimit(scanMemoryLimit)
		return
	}
	debug.SetGCPercent(200)
}

// scanMemoryLimit is the soft memory limit of scan commands (see tuneGC).
const scanMemoryLimit = 256 << 20

// startProfile writes a CPU profile of the whole command to path, for
// performance work on real inputs (SIGHTLINE_CPUPROFILE=cpu.out sightline …;
// go tool pprof cpu.out). An empty path does nothing.
func startProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "sightline: SIGHTLINE_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// startPeakHeapProfile writes the heap profile (go tool pprof
// -sample_index=inuse_space) taken when the live heap was largest, for
// finding what holds memory at the peak (SIGHTLINE_MEMPROFILE=heap.out
// sightline …). The live heap is sampled every 10 ms; a profile is
// rewritten whenever it grew by a tenth. An empty path does nothing.
func startPeakHeapProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var peak uint64
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			metrics.Read(sample)
			if live := sample[0].Value.Uint64(); live > peak+peak/10 {
				peak = live
				if err := writeHeapProfile(path); err != nil {
					fmt.Fprintf(os.Stderr, "sightline: SIGHTLINE_MEMPROFILE: %v\n", err)
					return
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// run executes one command line and returns the process exit code. Tests
// call it directly with their own writers.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &cliutil.Globals{Stdout: stdout, Stderr: stderr}
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "sightline: %s\n", cliutil.Humanize(err.Error()))
	}
	// A damaged advisory database is an input the user rebuilds, from
	// whichever command met it (docs/cli.md, docs/db.md): exit 2.
	if errors.Is(err, vulndb.ErrDamaged) && cliutil.ExitCode(err) == cliutil.ExitInternal {
		return cliutil.ExitUsage
	}
	return cliutil.ExitCode(err)
}

// topCommand names the root's subcommand that args run ("scan" for
// `--cache-dir x scan image …`), "" when there is none. It skips the
// global flags by hand: building the command tree to ask cobra costs
// ~13M instructions, four times a whole `sightline version`.
func topCommand(args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return ""
		case a == "--cache-dir" || a == "--format":
			i++ // the flag's value
		case strings.HasPrefix(a, "-"):
		default:
			return a
		}
	}
	return ""
}
