package suppress

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sightline-sec/sightline/internal/report/reporttest"
)

func FuzzParseIgnore(f *testing.F) {
	f.Add([]byte("ignore:\n  - id: CVE-2021-44906\n    package: pkg:npm/minimist\n    reason: r\n    expires: 2026-12-31\n"))
	f.Add([]byte("ignore:\n  - id: x\n    reason: y\n    package: glibc\n"))
	f.Add([]byte("ignore: []\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ig, err := ParseIgnore(b)
		if err != nil {
			return
		}
		for _, e := range ig.Entries {
			if e.ID == "" || e.Reason == "" {
				t.Fatalf("invalid entry accepted: %+v", e)
			}
		}
	})
}

func FuzzParseVEX(f *testing.F) {
	for _, n := range []string{"fixture.openvex.json", "legacy-v0.0.1.openvex.json", "invalid-status.openvex.json"} {
		b, err := os.ReadFile(filepath.Join(reporttest.Dir(), "vex", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseVEX(b)
	})
}
