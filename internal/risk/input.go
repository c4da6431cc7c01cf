package risk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
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
		if errors.Is(err, io.EOF) && lr.N == MaxScanResult+1 {
			return nil, fmt.Errorf("%s: not a scan result: the file is empty (want the output of `sightline scan … --format json`)", name)
		}
		return nil, fmt.Errorf("%s: not a scan result (want the JSON output of `sightline scan … --format json`): %w", name, err)
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
	if err := checkFindings(res.Findings, name); err != nil {
		return nil, err
	}
	return &res, nil
}

// checkFindings rejects what no scanner writes and a ranking must not
// take: advisory IDs with control characters (they would reach the
// terminal) and CVSS or EPSS scores out of range (a score of 99 would
// outrank every real finding). Each error names the file and the finding.
func checkFindings(fs []scan.Finding, name string) error {
	for i := range fs {
		f := &fs[i]
		for _, id := range append([]string{f.ID}, f.Aliases...) {
			if hasControl(id) {
				return fmt.Errorf("%s: finding %d: advisory ID %q contains control characters", name, i, id)
			}
		}
		sv := f.Severity
		scores := []float64{sv.Score}
		for _, c := range []*vulndb.CVSS{sv.CVSSv2, sv.CVSSv3, sv.CVSSv4} {
			if c != nil {
				scores = append(scores, c.Score)
			}
		}
		for _, x := range scores {
			if !(x >= 0 && x <= 10) {
				return fmt.Errorf("%s: finding %s: CVSS score %v outside 0-10", name, f.ID, x)
			}
		}
		if f.EPSS != nil && !(f.EPSS.Score >= 0 && f.EPSS.Score <= 1) {
			return fmt.Errorf("%s: finding %s: EPSS score %v outside 0-1", name, f.ID, f.EPSS.Score)
		}
	}
	return nil
}

// hasControl says whether s holds a control character (C0, DEL, C1).
func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// normaliseLevels lower-cases every finding's severity level; a level
// that is none of Levels nor "unknown" becomes "unknown" (which every
// --fail-on-exposed level counts) and is noted in cov.SeverityNotes.
func normaliseLevels(r *scan.Result, cov *Coverage) {
	for i := range r.Findings {
		sv := &r.Findings[i].Severity
		l := strings.ToLower(strings.TrimSpace(sv.Level))
		if l != "" && l != "unknown" && !slices.Contains(Levels, l) {
			cov.SeverityNotes = append(cov.SeverityNotes, fmt.Sprintf("%s: finding %s: severity level %s is not low, medium, high or critical: counted as unknown",
				r.Target.Name, r.Findings[i].ID, strconv.Quote(sv.Level)))
			l = "unknown"
		}
		sv.Level = l
	}
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
