package vulndb

import (
	"encoding/json"
	"strings"

	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
)

// severityOf computes base scores from the record's CVSS vectors (with
// github.com/pandatix/go-cvss; scores published next to vectors are not
// trusted) and picks up the ecosystem's own rating: GHSA's
// database_specific.severity, Ubuntu's priority, or an
// ecosystem_specific severity/urgency.
func severityOf(rec *osvRecord) Severity {
	var s Severity
	sevs := append([]osvSeverity(nil), rec.Severity...)
	for _, a := range rec.Affected {
		sevs = append(sevs, a.Severity...)
	}
	for _, sv := range sevs {
		switch sv.Type {
		case "CVSS_V2":
			setCVSS(&s.CVSSv2, sv.Score, scoreV2)
		case "CVSS_V3":
			setCVSS(&s.CVSSv3, sv.Score, scoreV3)
		case "CVSS_V4":
			setCVSS(&s.CVSSv4, sv.Score, scoreV4)
		case "Ubuntu":
			if s.Ecosystem == "" {
				s.Ecosystem = strings.ToLower(sv.Score)
			}
		}
	}
	if s.Ecosystem == "" {
		s.Ecosystem = ratingIn(rec.DatabaseSpecific, "severity")
	}
	for _, a := range rec.Affected {
		if s.Ecosystem != "" {
			break
		}
		for _, raw := range []json.RawMessage{a.EcosystemSpecific, a.DatabaseSpecific} {
			if s.Ecosystem = firstNonEmpty(ratingIn(raw, "severity"), ratingIn(raw, "urgency")); s.Ecosystem != "" {
				break
			}
		}
	}
	s.finish()
	return s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ratingIn reads a string field of a JSON object, lower-cased.
func ratingIn(raw json.RawMessage, key string) string {
	if len(raw) == 0 {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	v, _ := m[key].(string)
	return strings.ToLower(strings.TrimSpace(v))
}

func setCVSS(dst **CVSS, vector string, score func(string) (float64, bool)) {
	if *dst != nil {
		return
	}
	if sc, ok := score(vector); ok {
		*dst = &CVSS{Vector: vector, Score: sc}
	}
}

func scoreV2(v string) (float64, bool) {
	c, err := gocvss20.ParseVector(strings.TrimPrefix(strings.TrimPrefix(v, "("), "CVSS:2.0/"))
	if err != nil {
		return 0, false
	}
	return c.BaseScore(), true
}

func scoreV3(v string) (float64, bool) {
	switch {
	case strings.HasPrefix(v, "CVSS:3.1/"):
		c, err := gocvss31.ParseVector(v)
		if err != nil {
			return 0, false
		}
		return c.BaseScore(), true
	case strings.HasPrefix(v, "CVSS:3.0/"):
		c, err := gocvss30.ParseVector(v)
		if err != nil {
			return 0, false
		}
		return c.BaseScore(), true
	}
	return 0, false
}

func scoreV4(v string) (float64, bool) {
	c, err := gocvss40.ParseVector(v)
	if err != nil {
		return 0, false
	}
	return c.Score(), true
}

// finish derives Score and Level (see the Severity doc comment).
func (s *Severity) finish() {
	for _, c := range []*CVSS{s.CVSSv2, s.CVSSv3, s.CVSSv4} {
		if c != nil && c.Score > s.Score {
			s.Score = c.Score
		}
	}
	s.Level = levelOf(s.Score, s.Ecosystem)
}

func levelOf(score float64, eco string) string {
	switch {
	case score >= 9:
		return "critical"
	case score >= 7:
		return "high"
	case score >= 4:
		return "medium"
	case score > 0:
		return "low"
	}
	switch eco {
	case "critical":
		return "critical"
	case "high", "important":
		return "high"
	case "moderate", "medium":
		return "medium"
	case "low", "negligible", "unimportant":
		return "low"
	}
	return "unknown"
}

// Attributed returns s with Source set to id when s carries a rating of
// its own and names no source yet (records stored before Source existed,
// or fresh from the importer).
func (s Severity) Attributed(id string) Severity {
	if s.Source == "" && LevelRank(s.Level) > 0 {
		s.Source = id
	}
	return s
}

// MergeSeverity fills what s lacks from o and re-derives Score and Level;
// used when several aliasing records are reported as one. Source follows
// the data that decides Level: o's when o raised the score, or when o's
// ecosystem rating is the only rating there is.
func MergeSeverity(s, o Severity) Severity {
	before, beforeRank := s.Score, LevelRank(s.Level)
	if s.CVSSv2 == nil {
		s.CVSSv2 = o.CVSSv2
	}
	if s.CVSSv3 == nil {
		s.CVSSv3 = o.CVSSv3
	}
	if s.CVSSv4 == nil {
		s.CVSSv4 = o.CVSSv4
	}
	if s.Ecosystem == "" {
		s.Ecosystem = o.Ecosystem
	}
	s.Score = 0
	s.finish()
	switch {
	case LevelRank(s.Level) == 0:
		s.Source = ""
	case s.Score > before, beforeRank == 0:
		s.Source = o.Source
	}
	return s
}

// LevelRank orders severity levels for sorting and gates: unknown 0,
// low 1, medium (or "moderate") 2, high 3, critical 4. Case is ignored.
func LevelRank(level string) int {
	switch strings.ToLower(level) {
	case "critical":
		return 4
	case "high":
		return 3
	case "medium", "moderate":
		return 2
	case "low":
		return 1
	}
	return 0
}
