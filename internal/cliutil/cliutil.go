// Package cliutil holds what every sightline command shares: the global
// options, the exit-code contract (docs/cli.md) and the error type that
// carries an exit code from a command back to main.
//
// Commands live in cmd/sightline; they receive a *Globals instead of reading
// package-level state, so tests can run several commands side by side.
package cliutil

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sightline-sec/sightline/internal/suggest"
)

// Exit codes are a contract with CI scripts (docs/cli.md).
const (
	ExitOK        = 0 // nothing to report, or findings below the threshold
	ExitThreshold = 1 // a --fail-on style threshold was hit
	ExitUsage     = 2 // bad flags, bad arguments or unreadable input
	ExitInternal  = 3 // a bug or an environment failure (no network for db update)
)

// Error carries an exit code with the error that caused it.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Usage marks err as a usage or input error (exit code 2).
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: ExitUsage, Err: err}
}

// Usagef formats a usage or input error (exit code 2).
func Usagef(format string, args ...any) error {
	return Usage(fmt.Errorf(format, args...))
}

// Threshold marks err as a failed gate (exit code 1).
func Threshold(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: ExitThreshold, Err: err}
}

// ExitCode maps an error returned by a command to the process exit code.
// Errors that carry no code are internal errors.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ExitInternal
}

// Globals are the options every command accepts (see `sightline --help`).
type Globals struct {
	CacheDir string // where the advisory DB and layer caches live
	Verbose  bool   // extra diagnostics on stderr
	Format   string // output format; each command says which it supports
	Stdout   io.Writer
	Stderr   io.Writer
}

// CacheDirEnv names the environment variable that overrides the cache dir.
const CacheDirEnv = "SIGHTLINE_CACHE_DIR"

// DefaultCacheDir is $SIGHTLINE_CACHE_DIR, else the user cache dir plus
// "/sightline", else a ".sightline-cache" folder in the working directory
// (for machines without HOME, such as some CI containers).
func DefaultCacheDir() string {
	if d := os.Getenv(CacheDirEnv); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "sightline")
	}
	return ".sightline-cache"
}

// Logf prints a diagnostic line on stderr when --verbose is set.
func (g *Globals) Logf(format string, args ...any) {
	if g.Verbose {
		fmt.Fprintf(g.Stderr, format+"\n", args...)
	}
}

// Warnf always prints a warning line on stderr, decoder jargon rewritten
// (Humanize).
func (g *Globals) Warnf(format string, args ...any) {
	fmt.Fprintln(g.Stderr, "warning: "+Humanize(fmt.Sprintf(format, args...)))
}

// StderrIsTTY reports whether progress output should be drawn: stderr is a
// terminal and the output format is not machine-readable.
func (g *Globals) StderrIsTTY() bool {
	f, ok := g.Stderr.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// CheckFormat returns a usage error unless the chosen format is one of allowed.
func (g *Globals) CheckFormat(allowed ...string) error {
	for _, a := range allowed {
		if g.Format == a {
			return nil
		}
	}
	return Usagef("--format %q is not supported (supported: %s)%s", g.Format, strings.Join(allowed, ", "), suggest.Hint(g.Format, allowed))
}
