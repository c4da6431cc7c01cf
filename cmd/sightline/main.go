// Command sightline scans images, inventories cloud and container estates,
// and ranks vulnerabilities by whether they can really be reached.
//
// This package is CLI wiring only: flags are turned into calls into
// internal/ packages. See docs/cli.md for the command reference.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/sightline-sec/sightline/internal/cliutil"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	tuneGC()
	stopProfile := startProfile(os.Getenv("SIGHTLINE_CPUPROFILE"))
	stopHeap := startPeakHeapProfile(os.Getenv("SIGHTLINE_MEMPROFILE"))
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stopHeap()
	stopProfile()
	stop()
	os.Exit(code)
}

// tuneGC trades some memory for less collector work in a short-lived CLI:
// the heap may grow to 3× the live heap between collections (GOGC=200).
// Measured in one run (bench/image, bench/exposure.sh) against the default
// GOGC=100: image cold scan 1.76 → 1.45 s (RSS 88 → 106 MiB), warm rescan
// 52 → 47 ms, exposure of 100k interfaces 5.6 → 4.3 s (RSS 1.57 → 1.59 GB).
// A soft memory limit was tried and dropped: it makes large exposure runs
// collect continuously (15.7 s). GOGC or GOMEMLIMIT set by the user win.
func tuneGC() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(200)
	}
}

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
		fmt.Fprintf(stderr, "sightline: %v\n", err)
	}
	return cliutil.ExitCode(err)
}
