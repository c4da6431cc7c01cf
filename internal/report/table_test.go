package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/textfit"
)

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestTableFitsWidth: no line of the scan table is wider than the width it
// is given, colour codes not counted (issue 7: lines of 145 columns), on
// the real-record fixture with and without suppressions, a stale DB and
// colours.
func TestTableFitsWidth(t *testing.T) {
	for _, name := range []string{"plain", "suppressed"} {
		for _, width := range []int{0, 80, 60, 120} {
			for _, color := range []bool{false, true} {
				r := fixture(t)
				if name == "suppressed" {
					r = suppressedFixture(t)
				}
				r.DB.Stale, r.DB.StaleDetail = true, "osv:Go 12d old (newest record 2026-11-17), kev 461d old (newest record 2025-08-25)"
				var buf bytes.Buffer
				if err := Render(&buf, r, Options{Format: "table", Now: fixedNow, Width: width, Color: color, SuppressedCount: len(r.Suppressed)}); err != nil {
					t.Fatal(err)
				}
				limit := width
				if limit == 0 {
					limit = textfit.DefaultWidth
				}
				for _, l := range strings.Split(buf.String(), "\n") {
					if n := textfit.Len(ansi.ReplaceAllString(l, "")); n > limit {
						t.Errorf("%s width %d color %v: line of %d: %q", name, width, color, n, l)
					}
				}
				if !strings.Contains(buf.String(), "GHSA-xvch-5gv4-984h") || !strings.Contains(buf.String(), "suppressed") {
					t.Errorf("%s width %d: content lost:\n%s", name, width, buf.String())
				}
			}
		}
	}
}
