package report

import (
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/sightline-sec/sightline/internal/scan"
)

// bigResult scales the fixture to an image-sized result (1100 packages,
// 1100 findings) by renaming copies; only for measuring renderer cost.
func bigResult(b *testing.B) *scan.Result {
	b.Helper()
	base := fixture(&testing.T{})
	res := *base
	res.Packages, res.Findings = nil, nil
	for i := range 100 {
		for _, p := range base.Packages {
			p.Name = fmt.Sprintf("%s-%d", p.Name, i)
			p.PURL = fmt.Sprintf("%s-%d", p.PURL, i)
			res.Packages = append(res.Packages, p)
		}
		for _, f := range base.Findings {
			f.Package.Name = fmt.Sprintf("%s-%d", f.Package.Name, i)
			f.Package.PURL = fmt.Sprintf("%s-%d", f.Package.PURL, i)
			res.Findings = append(res.Findings, f)
		}
	}
	return &res
}

// BenchmarkRender measures each format against plain encoding/json of the
// same result (the baseline: go test -bench Render ./internal/report).
func BenchmarkRender(b *testing.B) {
	res := bigResult(b)
	b.Run("baseline-encoding-json", func(b *testing.B) {
		for b.Loop() {
			if err := json.NewEncoder(io.Discard).Encode(res); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-encoding-json-indent", func(b *testing.B) {
		for b.Loop() {
			enc := json.NewEncoder(io.Discard)
			enc.SetIndent("", "  ")
			if err := enc.Encode(res); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, f := range Formats {
		b.Run(f, func(b *testing.B) {
			for b.Loop() {
				if err := Render(io.Discard, res, Options{Format: f, Now: fixedNow}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
