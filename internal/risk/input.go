package risk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/scan"
)

// MaxScanResult bounds the size of one `sightline scan --format json`
// document read by ReadScanResult (a scan of 100k findings is ~100 MiB).
const MaxScanResult = 1 << 30

// ReadScanResult decodes one scan result (schema sightline.scan/v1),
// naming the input in every error. Bytes past MaxScanResult are an error,
// not a truncated result.
func ReadScanResult(r io.Reader, name string) (*scan.Result, error) {
	lr := &io.LimitedReader{R: r, N: MaxScanResult + 1}
	dec := json.NewDecoder(lr)
	var res scan.Result
	if err := dec.Decode(&res); err != nil {
		if lr.N <= 0 {
			return nil, fmt.Errorf("%s: larger than %d bytes", name, MaxScanResult)
		}
		return nil, fmt.Errorf("%s: not a scan result: %w", name, err)
	}
	if res.Schema != scan.Schema {
		return nil, fmt.Errorf("%s: schema %q, want %q (the output of `sightline scan … --format json`)", name, res.Schema, scan.Schema)
	}
	if res.Coverage == nil {
		return nil, fmt.Errorf("%s: no \"coverage\" block: not a finished scan result", name)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: data after the scan result", name)
	}
	return &res, nil
}

// severityRank orders severity levels for gates; unknown counts as the
// highest (missing data is never safe).
var severityRank = map[string]int{"low": 1, "medium": 2, "high": 3, "critical": 4, "unknown": 5}

// Levels are the --fail-on-exposed values.
var Levels = []string{"low", "medium", "high", "critical"}

// ExposedAtOrAbove returns the rows exposed to the internet (wide or
// narrow) whose severity is at least level (a Levels value); rows of
// unknown severity always count.
func ExposedAtOrAbove(rep *Report, level string) []Risk {
	if !slices.Contains(Levels, level) {
		return nil
	}
	var out []Risk
	for _, r := range rep.Risks {
		if r.Reachability.Verdict == exposure.Exposed && severityRank[r.Severity.Level] >= severityRank[level] {
			out = append(out, r)
		}
	}
	return out
}

// NoDB says whether some scan result was matched against no advisory
// database (coverage.db "none"): its findings are not known, not absent.
func NoDB(rep *Report) bool {
	for _, g := range rep.Coverage.ScanGaps {
		if g.DB == scan.CoverageDBNone {
			return true
		}
	}
	return false
}

// UncheckedForGate lists what --fail-on-exposed cannot pass over (the
// rule `sightline scan` applies to --fail-on, docs/risk.md): every scan
// matched against no advisory database, and every image run by an
// internet-exposed workload that no scan covers or whose scan is
// incomplete (unchecked packages, skipped files).
func UncheckedForGate(rep *Report) []string {
	var out []string
	for _, g := range rep.Coverage.ScanGaps {
		switch {
		case g.DB == scan.CoverageDBNone:
			out = append(out, "no advisory database for "+g.Target+": run sightline db update")
		case g.Exposed:
			out = append(out, fmt.Sprintf("incomplete scan of %s (%d package(s) unchecked, %d file(s) skipped) run by exposed workload(s) %s",
				g.Target, g.Unchecked, g.SkippedFiles, strings.Join(g.Workloads, ", ")))
		}
	}
	for _, g := range rep.Coverage.ImagesNotScanned {
		if g.Exposed {
			name := g.Ref
			if name == "" {
				name = g.Digest
			}
			out = append(out, fmt.Sprintf("image %s not scanned, run by exposed workload(s) %s", name, strings.Join(g.Workloads, ", ")))
		}
	}
	return out
}
