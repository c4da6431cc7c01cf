package cliutil

import (
	"errors"
	"fmt"
	"testing"
)

func TestExitCode(t *testing.T) {
	base := errors.New("boom")
	cases := []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{base, ExitInternal},
		{Usage(base), ExitUsage},
		{Threshold(base), ExitThreshold},
		{fmt.Errorf("wrapped: %w", Usage(base)), ExitUsage},
	}
	for _, c := range cases {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
	if Usage(nil) != nil || Threshold(nil) != nil {
		t.Error("wrapping nil must stay nil")
	}
}

func TestDefaultCacheDirEnv(t *testing.T) {
	t.Setenv(CacheDirEnv, "/tmp/x")
	if got := DefaultCacheDir(); got != "/tmp/x" {
		t.Fatalf("DefaultCacheDir = %q", got)
	}
}
