package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// runCLI runs one sightline command line in-process with a private cache dir.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	args = append([]string{"--cache-dir", t.TempDir()}, args...)
	code = run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

func TestVersionJSON(t *testing.T) {
	out, _, code := runCLI(t, "version", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var v struct{ Version, Go string }
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("version JSON %q: %v", out, err)
	}
	if v.Version == "" || !strings.HasPrefix(v.Go, "go") {
		t.Fatalf("unexpected version info %+v", v)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{{"--no-such-flag"}, {"version", "extra-arg"}} {
		_, stderr, code := runCLI(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, stderr)
		}
	}
}
