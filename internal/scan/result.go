// Package scan joins an inventory with the advisory knowledge base into a
// scan result, and holds the result model every renderer reads.
package scan

import (
	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/match"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

// Schema is the value of Result.Schema for this result shape (docs/json.md).
const Schema = "sightline.scan/v1"

// Result is the outcome of scanning one target.
type Result struct {
	Schema     string              `json:"schema"`
	Target     Target              `json:"target"`
	OS         *inventory.OS       `json:"os"`
	Packages   []inventory.Package `json:"packages"`
	Findings   []Finding           `json:"findings"`
	Suppressed []Finding           `json:"suppressed,omitempty"` // with --show-suppressed
	Warnings   []string            `json:"warnings,omitempty"`   // skipped paths, stale DB, …
	DB         *DBInfo             `json:"db,omitempty"`
	// Coverage says what could not be checked; never nil in a finished
	// result (docs/json.md: "never a silent zero").
	Coverage *Coverage `json:"coverage"`
}

// Coverage tells what a scan checked and what it could not: a result with
// no findings means "nothing found" only when Unchecked is 0 and no file
// was skipped.
type Coverage struct {
	// DB is "ok", "stale" or "none" (no advisory database: nothing was
	// matched at all).
	DB         string              `json:"db"`
	Packages   int                 `json:"packages"`   // packages in the inventory
	Checked    int                 `json:"checked"`    // matched against advisories
	Unchecked  int                 `json:"unchecked"`  // Packages - Checked
	Ecosystems []EcosystemCoverage `json:"ecosystems"` // sorted by ecosystem
	// SkippedFiles are files the inventory needed but could not read
	// (over a size limit, a sparse tar entry, a parser failure…): their
	// packages are unknown, so they count against completeness too.
	SkippedFiles []SkippedFile `json:"skipped_files,omitempty"`
}

// EcosystemCoverage is the coverage of one advisory ecosystem ("" for
// packages no advisory source covers).
type EcosystemCoverage struct {
	Ecosystem string `json:"ecosystem"`
	Packages  int    `json:"packages"`
	Checked   int    `json:"checked"`
	// Unchecked counts packages by reason (the Unchecked* constants).
	Unchecked map[string]int `json:"unchecked,omitempty"`
}

// Reasons a package was not checked (EcosystemCoverage.Unchecked keys);
// the matcher's own (match.UncheckedError) plus no_db and match_error.
const (
	UncheckedNoDB         = "no_db"          // no advisory database was open
	UncheckedNoSource     = match.NoSource   // no advisory source exists for the ecosystem/distribution
	UncheckedNotLoaded    = match.NotLoaded  // a source exists but the database holds no records for it
	UncheckedNoVersion    = match.NoVersion  // the package has no version
	UncheckedBadVersion   = match.BadVersion // the version cannot be parsed/ordered in its ecosystem
	UncheckedMatchError   = "match_error"    // the matcher failed on this package (damaged record…)
	UncheckedFindingLimit = "finding_limit"  // not matched: the scan reached its finding limit (limits.go)
)

// Coverage.DB values.
const (
	CoverageDBOK    = "ok"
	CoverageDBStale = "stale"
	CoverageDBNone  = "none"
)

// Complete reports whether the scan checked everything it found: an
// advisory database was open, every package was matched and no wanted
// file was skipped. Only then does "no findings" mean "nothing found".
func (c *Coverage) Complete() bool {
	return c != nil && c.DB != CoverageDBNone && c.Unchecked == 0 && len(c.SkippedFiles) == 0
}

// SkippedFile is one file the inventory wanted but did not read.
type SkippedFile struct {
	Path   string `json:"path"`            // absolute path in the image/filesystem
	Layer  *int   `json:"layer,omitempty"` // image layer index, when from an image
	Reason string `json:"reason"`          // the Skip* constants
	Detail string `json:"detail,omitempty"`
	// Count is how many files this entry stands for when more than one:
	// past maxLayerSkips skipped files in a layer, the rest are counted
	// in one entry (Path is then their layer's root, "/").
	Count int `json:"count,omitempty"`
}

// Reasons a file was skipped (SkippedFile.Reason).
const (
	SkipTooLarge   = "too_large"   // over a size limit
	SkipSparse     = "sparse"      // sparse tar entry whose content cannot be trusted
	SkipParseError = "parse_error" // an extractor failed on it
	SkipUnreadable = "unreadable"  // I/O error or permission
	SkipTimeout    = "timeout"     // an extractor ran out of time
)

// Target describes what was scanned.
type Target struct {
	Kind string `json:"kind"`           // image, fs, sbom
	Name string `json:"name"`           // as given by the user
	File string `json:"file,omitempty"` // the input file as given (sbom scans: the SBOM)
	// Transport is where an image was read from: docker (a local engine,
	// Docker or Podman), registry, docker-archive, oci-archive, oci-layout.
	Transport  string       `json:"transport,omitempty"`
	Digest     string       `json:"digest,omitempty"`
	Platform   string       `json:"platform,omitempty"`
	Config     *ImageConfig `json:"config,omitempty"`
	LayerCount int          `json:"layer_count,omitempty"`
}

// ImageConfig is the part of the image config that matters for risk.
type ImageConfig struct {
	User         string            `json:"user,omitempty"`
	ExposedPorts []string          `json:"exposed_ports,omitempty"` // "80/tcp"
	Entrypoint   []string          `json:"entrypoint,omitempty"`
	Cmd          []string          `json:"cmd,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
}

// Finding is one vulnerability on one package.
type Finding struct {
	vulndb.Vulnerability
	Package     PackageRef   `json:"package"`
	Suppression *Suppression `json:"suppression,omitempty"`
	// Evidence is what the package's Go binaries tell about the finding
	// (Go findings only; nil otherwise). It never hides a finding.
	Evidence *Evidence `json:"evidence,omitempty"`
}

// Evidence is what Sightline could check about a Go finding beyond the
// module version (docs/json.md, internal/gobin).
type Evidence struct {
	// Symbols is SymbolsPresent, SymbolsAbsent or SymbolsUnknown.
	Symbols string `json:"symbols"`
	// Matched lists the advisory's vulnerable functions found in the
	// binaries, as "package.Func" / "package.Type.Method"; a bare package
	// path when the advisory names the whole package.
	Matched []string `json:"matched,omitempty"`
	// Reason says why Symbols is unknown.
	Reason string `json:"reason,omitempty"`
	// Platform is set when the advisory is restricted to some GOOS/GOARCH:
	// the binary's platform ("linux/amd64"), which is among them, or
	// PlatformUnknown when the package's platform is not known (SBOM
	// component, go.mod) and the restriction could not be checked.
	Platform string `json:"platform,omitempty"`
	// Platforms is the advisory's restriction, "goos/goarch" with "*" for
	// an unrestricted part ("windows", "*/amd64"); absent when none.
	Platforms []string `json:"platforms,omitempty"`
}

// Evidence.Symbols values.
const (
	SymbolsPresent = "present" // a vulnerable function is linked or inlined into the binary
	SymbolsAbsent  = "absent"  // every binary's function table was read and holds none
	SymbolsUnknown = "unknown" // not checked: Reason says why
)

// PlatformUnknown is Evidence.Platform when the restriction was not checked.
const PlatformUnknown = "unknown"

// PackageRef identifies the affected package inside a finding.
type PackageRef struct {
	Name      string              `json:"name"`
	Version   string              `json:"version"`
	Ecosystem string              `json:"ecosystem"`
	PURL      string              `json:"purl"`
	Layer     *inventory.LayerRef `json:"layer,omitempty"`
	Platform  string              `json:"platform,omitempty"` // Go: the binary's GOOS/GOARCH (inventory.Package.Platform)
}

// Suppression says why a finding is not counted (ignore file or VEX).
type Suppression struct {
	Kind    string `json:"kind"` // "ignore", "vex" or "unfixed" (--ignore-unfixed)
	Reason  string `json:"reason,omitempty"`
	Source  string `json:"source,omitempty"` // file that suppressed it
	Expires string `json:"expires,omitempty"`
	// VEX statement status ("not_affected", "fixed") and justification
	// ("vulnerable_code_not_in_execute_path", …) when Kind is "vex".
	Status        string `json:"status,omitempty"`
	Justification string `json:"justification,omitempty"`
}

// DBInfo records which advisory data the scan used.
type DBInfo struct {
	Path  string `json:"path"`
	Built string `json:"built,omitempty"`
	Stale bool   `json:"stale,omitempty"`
	// StaleDetail names the stale sources and their data's age (newest
	// record), e.g. "osv:Go 12d old (newest record 2026-11-17)".
	StaleDetail string `json:"stale_detail,omitempty"`
	Sources     int    `json:"sources,omitempty"`
}

// SkippedCount is the number of files SkippedFiles stands for (an entry
// with Count > 1 stands for that many files of one layer).
func (c *Coverage) SkippedCount() int {
	if c == nil {
		return 0
	}
	n := 0
	for _, f := range c.SkippedFiles {
		n += max(f.Count, 1)
	}
	return n
}
