package vulndb

import "time"

// This file holds the result types the matching API returns; other stages
// (scan, risk, reports) read them. JSON names are a documented contract
// (docs/json.md): add fields freely, never rename.

// Fix states of a vulnerability for one package version.
const (
	FixStateFixed    = "fixed"     // at least one fixed version exists
	FixStateNotFixed = "not_fixed" // affected, no fix released yet
)

// Vulnerability is one advisory (merged across aliases) that affects one
// package version.
type Vulnerability struct {
	ID            string    `json:"id"`      // the ecosystem's own id when there is one (GO-, DSA-, GHSA-…)
	Aliases       []string  `json:"aliases"` // every other id of the merged records, sorted
	Summary       string    `json:"summary,omitempty"`
	Published     time.Time `json:"published,omitzero"`
	Modified      time.Time `json:"modified,omitzero"`
	FixedVersions []string  `json:"fixed_versions"` // fixed versions relevant to the queried version
	FixState      string    `json:"fix_state"`      // FixStateFixed or FixStateNotFixed
	Severity      Severity  `json:"severity"`
	KEV           *KEV      `json:"kev"`  // nil: not in the CISA KEV catalog
	EPSS          *EPSS     `json:"epss"` // nil: no EPSS score for any alias
	References    []string  `json:"references,omitempty"`

	// Go advisories only, for the scan's evidence (not in the JSON):
	// GoImports are the vulnerable packages and functions of the matched
	// affected entries that apply to the queried platform, and GoPlatform
	// how that platform was checked ("", "matched", "unknown"; see
	// match.Platform).
	GoImports  []GoImport `json:"-"`
	GoPlatform string     `json:"-"`
}

// Severity collects every severity signal the advisory carries.
type Severity struct {
	// Level is derived from the highest CVSS base score (critical ≥ 9,
	// high ≥ 7, medium ≥ 4, low > 0), else from the ecosystem's own rating;
	// "unknown" when neither exists.
	Level     string  `json:"level"`
	Score     float64 `json:"score,omitempty"` // highest CVSS base score, 0 if none
	CVSSv2    *CVSS   `json:"cvss_v2,omitempty"`
	CVSSv3    *CVSS   `json:"cvss_v3,omitempty"`
	CVSSv4    *CVSS   `json:"cvss_v4,omitempty"`
	Ecosystem string  `json:"ecosystem,omitempty"` // e.g. Debian urgency, GHSA database_specific.severity
	// Source is the id of the advisory record whose data gave Level: the
	// finding's own id, a merged record's, or an alias looked up in the
	// database ("GHSA-…", "CVE-…"; see docs/json.md). Empty when Level is
	// "unknown".
	Source string `json:"source,omitempty"`
}

// CVSS is one vector and the base score computed from it.
type CVSS struct {
	Vector string  `json:"vector"`
	Score  float64 `json:"score"`
}

// KEV is the CISA Known Exploited Vulnerabilities entry of any alias.
type KEV struct {
	CVE             string `json:"cve"`
	DateAdded       string `json:"date_added"` // YYYY-MM-DD
	DueDate         string `json:"due_date,omitempty"`
	KnownRansomware bool   `json:"known_ransomware"`
}

// EPSS is the FIRST exploit-prediction score of the highest-scoring alias.
type EPSS struct {
	CVE        string  `json:"cve"`
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile,omitempty"` // 0 when the source had no percentile column
	Date       string  `json:"date,omitempty"`
}
