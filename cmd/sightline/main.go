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
	"syscall"

	"github.com/sightline-sec/sightline/internal/cliutil"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
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
