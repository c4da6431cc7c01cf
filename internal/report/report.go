// Package report renders a scan.Result in the formats `sightline scan`
// offers: a table for people, the sightline JSON (docs/json.md), SARIF
// 2.1.0 for code-scanning dashboards, CycloneDX 1.6 (SBOM, and SBOM with
// vulnerabilities) and SPDX 2.3 JSON.
//
// Design choices:
//   - Output is deterministic: findings and packages are sorted, and every
//     timestamp, serial number and namespace comes from Options (the clock
//     is injected) or from a hash of the content, so golden files are
//     stable and two scans of the same image diff cleanly.
//   - CycloneDX and SPDX documents are built with the formats' own Go
//     libraries (github.com/CycloneDX/cyclonedx-go, github.com/spdx/tools-golang)
//     so field names and enums follow the specs.
//   - SARIF uses a small typed model of our own (sarif.go) instead of
//     github.com/owenrumney/go-sarif: that library always writes
//     "rank": 0 and "ruleIndex": 0 on results (rank 0 means "least
//     relevant", not "unset") plus a dozen empty arrays per object. Tests
//     validate our output against the OASIS SARIF 2.1.0 schema.
//   - Renderers never mutate the Result they are given.
package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

// Formats supported by Render, in the order --help lists them.
var Formats = []string{"table", "json", "sarif", "cyclonedx", "cyclonedx-vex", "spdx"}

// Options carry everything a renderer needs besides the result.
type Options struct {
	Format      string
	Now         time.Time // document timestamps; injected for reproducible output
	ToolName    string    // "sightline"
	ToolVersion string
	Color       bool // ANSI colours in the table (the caller checks TTY and NO_COLOR)
	// Width is the table's line width in columns; 0 means 80
	// (textfit.DefaultWidth). The CLI passes the terminal's width.
	Width int
	// SuppressedCount is the number of suppressed findings, shown in the
	// table summary even when res.Suppressed is omitted.
	SuppressedCount int
}

// InformationURI is the project page written into SARIF and SBOM tool entries.
const InformationURI = "https://github.com/sightline-sec/sightline"

// Render writes res to w in opts.Format.
func Render(w io.Writer, res *scan.Result, opts Options) error {
	if opts.ToolName == "" {
		opts.ToolName = "sightline"
	}
	if opts.ToolVersion == "" {
		opts.ToolVersion = "dev"
	}
	switch opts.Format {
	case "table", "":
		return renderTable(w, res, opts)
	case "json":
		return renderJSON(w, res)
	case "sarif":
		return renderSARIF(w, res, opts)
	case "cyclonedx":
		return renderCycloneDX(w, res, opts, false)
	case "cyclonedx-vex":
		return renderCycloneDX(w, res, opts, true)
	case "spdx":
		return renderSPDX(w, res, opts)
	}
	return fmt.Errorf("unknown report format %q (choose one of %s)", opts.Format, strings.Join(Formats, ", "))
}

// levelRank orders severity levels, unknown lowest.
var levelRank = vulndb.LevelRank

// SortFindings returns a sorted copy: most severe first, then by package
// and advisory id, so every format lists findings in the same order.
func SortFindings(fs []scan.Finding) []scan.Finding {
	if fs == nil {
		return nil
	}
	out := make([]scan.Finding, len(fs))
	for i, j := range findingOrder(fs) {
		out[i] = fs[j]
	}
	return out
}

// findingOrder returns the indices of fs in SortFindings order. It sorts
// indices, not the ~300-byte findings; the index breaks ties so the order
// is total and an unstable sort is deterministic.
func findingOrder(fs []scan.Finding) []int {
	idx := make([]int, len(fs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		return cmp.Or(compareFindings(&fs[a], &fs[b]), cmp.Compare(a, b))
	})
	return idx
}

func compareFindings(a, b *scan.Finding) int {
	return cmp.Or(
		cmp.Compare(levelRank(b.Severity.Level), levelRank(a.Severity.Level)),
		cmp.Compare(b.Severity.Score, a.Severity.Score),
		cmp.Compare(a.Package.Name, b.Package.Name),
		cmp.Compare(a.Package.Version, b.Package.Version),
		cmp.Compare(a.Package.PURL, b.Package.PURL),
		cmp.Compare(a.ID, b.ID),
	)
}

// shortCreatedBy shortens an image history line for one table row: the
// shell prefix Docker adds is dropped, whitespace collapsed, long lines cut.
func shortCreatedBy(s string, max int) string {
	s = strings.TrimPrefix(s, "/bin/sh -c #(nop) ")
	if rest, ok := strings.CutPrefix(s, "/bin/sh -c "); ok {
		s = "RUN " + rest
	}
	s = strings.Replace(s, "RUN /bin/sh -c ", "RUN ", 1)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return s
}

// advisoryURL is a stable page for any OSV id.
func advisoryURL(id string) string {
	return "https://osv.dev/vulnerability/" + id
}
