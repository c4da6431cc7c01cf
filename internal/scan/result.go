// Package scan joins an inventory with the advisory knowledge base into a
// scan result, and holds the result model every renderer reads.
package scan

import (
	"github.com/sightline-sec/sightline/internal/inventory"
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
}

// Target describes what was scanned.
type Target struct {
	Kind       string       `json:"kind"` // image, fs, sbom
	Name       string       `json:"name"` // as given by the user
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
}

// PackageRef identifies the affected package inside a finding.
type PackageRef struct {
	Name      string              `json:"name"`
	Version   string              `json:"version"`
	Ecosystem string              `json:"ecosystem"`
	PURL      string              `json:"purl"`
	Layer     *inventory.LayerRef `json:"layer,omitempty"`
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
	Path    string `json:"path"`
	Built   string `json:"built,omitempty"`
	Stale   bool   `json:"stale,omitempty"`
	Sources int    `json:"sources,omitempty"`
}
