package vulndb

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Source kinds.
const (
	KindOSV  = "osv"
	KindKEV  = "kev"
	KindEPSS = "epss"
)

// MaxAge is how old a source's data may get before Status marks it stale.
// Stale data is only ever warned about, never refused.
const MaxAge = 7 * 24 * time.Hour

// SourceMeta is what the database remembers about one imported source.
type SourceMeta struct {
	ID           uint16    `json:"id"`
	Name         string    `json:"name"` // unique: "osv:Go" (mirror), "osv:/abs/path" (import), "kev", "epss"
	Kind         string    `json:"kind"` // KindOSV, KindALAS, KindOVAL, KindKEV or KindEPSS
	Location     string    `json:"location"`
	FetchedAt    time.Time `json:"fetched_at"`
	Modified     time.Time `json:"modified,omitzero"` // newest record modified / catalog release / score date
	Records      int       `json:"records"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"` // HTTP Last-Modified as sent by the server
	SHA256       string    `json:"sha256,omitempty"`        // of the downloaded or imported bytes (single files)
	Stale        bool      `json:"stale"`
	Age          string    `json:"age,omitempty"` // of the data, e.g. "3d", computed at Status time
	// Ecosystems counts this source's records per affected ecosystem
	// (OSV sources; nil in databases written before it existed).
	Ecosystems []EcosystemStat `json:"ecosystems,omitempty"`
}

// Status describes a database: when it was built, its schema, its sources.
type Status struct {
	Path          string       `json:"path"`
	SchemaVersion int          `json:"schema_version"`
	BuiltAt       time.Time    `json:"built_at"`
	Sources       []SourceMeta `json:"sources"`
	EPSSDate      string       `json:"-"`
	Stale         bool         `json:"stale"` // any source older than MaxAge
	// Dropped is set by Write when the previous file could not be carried
	// over (damaged, foreign, other schema): why, for a warning. Its
	// sources are gone from the new database.
	Dropped string `json:"-"`
	// Ecosystems lists every ecosystem the OSV sources hold records for,
	// with counts and the age of the newest record (docs/db.md).
	Ecosystems []EcosystemStatus `json:"ecosystems"`
}

// dataDate is the date a source's data describes: its newest modified
// time when known, else when it was fetched.
func (s SourceMeta) dataDate() time.Time {
	if !s.Modified.IsZero() {
		return s.Modified
	}
	return s.FetchedAt
}

func (st *Status) markStale(now time.Time) {
	st.Stale = false
	for i := range st.Sources {
		s := &st.Sources[i]
		age := now.Sub(s.dataDate())
		s.Stale = age > MaxAge
		s.Age = FormatAge(age)
		st.Stale = st.Stale || s.Stale
	}
}

// StaleSummary says which sources are stale and how old their data is,
// in one line for warnings: "osv:Go data 12d old (newest record
// 2026-11-17), kev 461d old (newest 2025-08-25)". The age is the data's
// (newest record, catalog release or score date), not the database's
// build time: importing old data today builds a new file of old data.
// Empty when no source is stale.
func (st Status) StaleSummary() string {
	var parts []string
	for _, s := range st.Sources {
		if !s.Stale {
			continue
		}
		what := "newest record " + s.dataDate().Format(time.DateOnly)
		if s.Modified.IsZero() {
			what = "records undated; fetched " + s.FetchedAt.Format(time.DateOnly)
		}
		parts = append(parts, fmt.Sprintf("%s %s old (%s)", s.Name, s.Age, what))
	}
	return strings.Join(parts, ", ")
}

// FormatAge renders a duration the way `db status` shows ages: "5h", "3d".
func FormatAge(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(math.Max(0, d.Minutes())))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

func readStatus(meta *bolt.Bucket) (Status, error) {
	st := Status{SchemaVersion: SchemaVersion}
	if err := st.BuiltAt.UnmarshalText(meta.Get(keyBuilt)); err != nil {
		return st, fmt.Errorf("built_at: %w", err)
	}
	if err := json.Unmarshal(meta.Get(keySources), &st.Sources); err != nil {
		return st, fmt.Errorf("sources: %w", err)
	}
	st.EPSSDate = string(meta.Get(keyEPSSDay))
	return st, nil
}

// Source returns the metadata of the named source.
func (st Status) Source(name string) (SourceMeta, bool) {
	for _, s := range st.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return SourceMeta{}, false
}

func float32frombits(b uint32) float32 { return math.Float32frombits(b) }

// roundScore drops float32 noise: EPSS scores have 5 significant digits.
func roundScore(f float64) float64 { return math.Round(f*1e5) / 1e5 }

// Advisory reports whether the source holds advisories (OSV, ALAS, OVAL)
// rather than scores about them (KEV, EPSS).
func (s SourceMeta) Advisory() bool { return s.Kind != KindKEV && s.Kind != KindEPSS }
