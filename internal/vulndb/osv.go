package vulndb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sightline-sec/sightline/internal/vulndb/version"
)

// osvRecord is the subset of the OSV schema (1.x) Sightline reads.
// https://ossf.github.io/osv-schema/
type osvRecord struct {
	ID               string          `json:"id"`
	Modified         string          `json:"modified"`
	Published        string          `json:"published"`
	Withdrawn        string          `json:"withdrawn"`
	Aliases          []string        `json:"aliases"`
	Related          []string        `json:"related"`
	Summary          string          `json:"summary"`
	Details          string          `json:"details"`
	Severity         []osvSeverity   `json:"severity"`
	Affected         []osvAffected   `json:"affected"`
	References       []osvReference  `json:"references"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

type osvSeverity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type osvReference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type osvAffected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
		Purl      string `json:"purl"`
	} `json:"package"`
	Severity          []osvSeverity   `json:"severity"`
	Ranges            []osvRange      `json:"ranges"`
	Versions          []string        `json:"versions"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific"`
	DatabaseSpecific  json.RawMessage `json:"database_specific"`
}

type osvRange struct {
	Type   string     `json:"type"`
	Events []osvEvent `json:"events"`
}

type osvEvent struct {
	Introduced   string `json:"introduced"`
	Fixed        string `json:"fixed"`
	LastAffected string `json:"last_affected"`
	Limit        string `json:"limit"`
}

// PkgEntry is one affected package of a parsed record.
type PkgEntry struct {
	Ecosystem string
	Name      string
	Affected  Affected
}

// Parsed is one OSV record turned into what the store keeps.
type Parsed struct {
	Record    Record
	Packages  []PkgEntry
	Withdrawn bool
}

// ParseOSV parses one OSV record in JSON or YAML (chosen by the file name's
// extension; JSON when in doubt). name is used in errors only.
func ParseOSV(name string, data []byte) (*Parsed, error) {
	var rec osvRecord
	if len(data) > MaxRecordBytes {
		return nil, fmt.Errorf("%s: OSV record of %d bytes is over the %s limit for one OSV record", name, len(data), FormatBytes(MaxRecordBytes))
	}
	lower := strings.ToLower(name)
	if strings.HasSuffix(lower, ".yaml") || strings.HasSuffix(lower, ".yml") {
		if err := yamlToJSON(data, &rec); err != nil {
			return nil, fmt.Errorf("%s: invalid OSV YAML: %w", name, err)
		}
	} else if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("%s: invalid OSV JSON: %w", name, err)
	}
	p, err := convert(&rec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// yamlToJSON decodes YAML generically and re-encodes it as JSON so one set
// of struct tags serves both encodings.
func yamlToJSON(data []byte, out *osvRecord) error {
	var v any
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&v); err != nil {
		return err
	}
	j, err := json.Marshal(yamlJSONable(v))
	if err != nil {
		return err
	}
	return json.Unmarshal(j, out)
}

// yamlJSONable turns map[string]any trees with non-string keys or
// timestamps into values encoding/json accepts.
func yamlJSONable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = yamlJSONable(x)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[fmt.Sprint(k)] = yamlJSONable(x)
		}
		return m
	case []any:
		for i, x := range t {
			t[i] = yamlJSONable(x)
		}
		return t
	case time.Time:
		return t.UTC().Format(time.RFC3339Nano)
	default:
		return v
	}
}

var errNoID = errors.New("OSV record has no id")

func convert(rec *osvRecord) (*Parsed, error) {
	if rec.ID == "" {
		return nil, errNoID
	}
	p := &Parsed{Withdrawn: rec.Withdrawn != ""}
	p.Record = Record{
		ID:        rec.ID,
		Aliases:   cleanIDs(rec.Aliases, rec.ID),
		Related:   cleanIDs(rec.Related, rec.ID),
		Summary:   summaryOf(rec),
		Published: parseTime(rec.Published),
		Modified:  parseTime(rec.Modified),
		Severity:  severityOf(rec),
	}
	for i, r := range rec.References {
		if i == 20 {
			break
		}
		p.Record.References = append(p.Record.References, r.URL)
	}
	for i, a := range rec.Affected {
		if a.Package.Ecosystem == "" || a.Package.Name == "" {
			// OSV allows package-less entries (a GIT range plus upstream
			// tags, as in osv.dev's CVE conversions): nothing to match.
			continue
		}
		e := PkgEntry{Ecosystem: a.Package.Ecosystem, Name: a.Package.Name}
		e.Affected.RecordID = rec.ID
		e.Affected.Versions = a.Versions
		for j, r := range a.Ranges {
			rg, ok, err := convertRange(a.Package.Ecosystem, r)
			if err != nil {
				return nil, fmt.Errorf("record %s: affected[%d].ranges[%d]: %w", rec.ID, i, j, err)
			}
			if ok {
				e.Affected.Ranges = append(e.Affected.Ranges, rg)
			}
		}
		if len(e.Affected.Ranges) == 0 && len(e.Affected.Versions) == 0 {
			continue // GIT-only: nothing to match package versions against
		}
		if version.Base(a.Package.Ecosystem) == "Go" {
			imports, err := parseGoImports(a.EcosystemSpecific)
			if err != nil {
				return nil, fmt.Errorf("record %s: affected[%d].%w", rec.ID, i, err)
			}
			e.Affected.Imports = imports
		}
		p.Packages = append(p.Packages, e)
	}
	return p, nil
}

func convertRange(ecosystem string, r osvRange) (Range, bool, error) {
	var rg Range
	switch r.Type {
	case "ECOSYSTEM":
		rg.Type = RangeEcosystem
	case "SEMVER":
		rg.Type = RangeSemver
	case "GIT":
		return rg, false, nil
	default:
		return rg, false, fmt.Errorf("unknown range type %q", r.Type)
	}
	for _, e := range r.Events {
		switch {
		case e.Introduced != "":
			rg.Events = append(rg.Events, Event{Introduced, e.Introduced})
		case e.Fixed != "":
			rg.Events = append(rg.Events, Event{Fixed, e.Fixed})
		case e.LastAffected != "":
			rg.Events = append(rg.Events, Event{LastAffected, e.LastAffected})
		case e.Limit != "":
			rg.Events = append(rg.Events, Event{Limit, e.Limit})
		}
	}
	if rg.Type == RangeSemver || version.Base(ecosystem) == "Go" {
		for i := range rg.Events {
			rg.Events[i].Version = strings.TrimPrefix(rg.Events[i].Version, "v")
		}
	}
	rg.Sorted = sortEvents(ecosystem, &rg)
	return rg, len(rg.Events) > 0, nil
}

func cleanIDs(ids []string, self string) []string {
	var out []string
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && id != self {
			out = append(out, id)
		}
	}
	return out
}

func summaryOf(rec *osvRecord) string {
	if s := strings.TrimSpace(rec.Summary); s != "" {
		return s
	}
	d := strings.TrimSpace(rec.Details)
	if i := strings.IndexByte(d, '\n'); i >= 0 {
		d = d[:i]
	}
	if len(d) > 160 {
		d = d[:157] + "..."
	}
	return d
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() <= 1 {
				return time.Time{}
			}
			return t.UTC()
		}
	}
	return time.Time{}
}
