// Package suppress decides which findings of a scan count: the ignore file
// (.sightline.yaml), OpenVEX statements, --ignore-unfixed, and the CI gates
// (--fail-on, --fail-on-fixable) that turn the remaining findings into an
// exit code.
//
// Design choices (docs/report.md has the user-facing version):
//   - Suppressed findings are moved, not deleted: they go to
//     scan.Result.Suppressed with a scan.Suppression saying which file and
//     which rule hid them, so --show-suppressed can still print them and the
//     table can count them.
//   - An ignore entry's id matches the finding's id or any alias, so a team
//     can write the CVE id once and it covers GHSA-, GO-, DSA- records of the
//     same flaw.
//   - Expiry dates are inclusive (the entry still suppresses on that day, in
//     UTC) and an expired entry is reported as a warning instead of failing
//     the run: the finding comes back and the gate decides.
//   - OpenVEX is read with the OpenVEX project's own library
//     (github.com/openvex/go-vex), which also reads the older v0.0.1
//     documents; the latest statement for a vulnerability and product wins,
//     as the OpenVEX spec orders them.
package suppress

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// DefaultIgnoreFile is read from the working directory when --ignore-file is
// not given and the file exists.
const DefaultIgnoreFile = ".sightline.yaml"

// IgnoreFile is a parsed ignore file.
type IgnoreFile struct {
	Path    string
	Entries []IgnoreEntry
}

// IgnoreEntry suppresses one advisory, optionally only on one package.
type IgnoreEntry struct {
	// ID is an advisory id or alias (CVE-…, GHSA-…, GO-…, DSA-…).
	ID string `yaml:"id"`
	// Package limits the entry to one package: a name ("libc6"), a source
	// package name ("glibc") or a PURL ("pkg:npm/lodash", with or without
	// version and qualifiers). Empty: every package.
	Package string `yaml:"package,omitempty"`
	// Reason is required: a reviewer must see why the risk was accepted.
	Reason string `yaml:"reason"`
	// Expires (YYYY-MM-DD, inclusive, UTC) ends the suppression.
	Expires string `yaml:"expires,omitempty"`

	line    int
	expires time.Time // zero: never
}

// Line is the entry's line in the file (for messages).
func (e IgnoreEntry) Line() int { return e.line }

type ignoreDoc struct {
	Ignore []yaml.Node `yaml:"ignore"`
}

// maxIgnoreFile bounds what we read: an ignore file is hand-written.
const maxIgnoreFile = 4 << 20

// LoadIgnoreFile reads and validates an ignore file. Errors name the file
// and, where known, the line.
func LoadIgnoreFile(path string) (*IgnoreFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading ignore file %s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxIgnoreFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading ignore file %s: %w", path, err)
	}
	if len(b) > maxIgnoreFile {
		return nil, fmt.Errorf("ignore file %s: larger than %d bytes", path, maxIgnoreFile)
	}
	ig, err := ParseIgnore(b)
	if err != nil {
		return nil, fmt.Errorf("ignore file %s: %w", path, err)
	}
	ig.Path = path
	return ig, nil
}

// ParseIgnore parses ignore-file content. Unknown keys are errors, so a
// misspelt "expire:" cannot silently make an entry permanent.
func ParseIgnore(b []byte) (*IgnoreFile, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var doc ignoreDoc
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	ig := &IgnoreFile{}
	for i := range doc.Ignore {
		n := &doc.Ignore[i]
		var e IgnoreEntry
		if err := decodeStrict(n, &e); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		e.line = n.Line
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		ig.Entries = append(ig.Entries, e)
	}
	return ig, nil
}

// decodeStrict decodes one node rejecting unknown keys (Node.Decode does
// not honour KnownFields, so re-encode through a strict decoder).
func decodeStrict(n *yaml.Node, v any) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("ignore entry must be a mapping with id, reason, optional package and expires")
	}
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return nil
}

func (e *IgnoreEntry) validate() error {
	e.ID = strings.TrimSpace(e.ID)
	if e.ID == "" {
		return errors.New("entry has no id")
	}
	if strings.TrimSpace(e.Reason) == "" {
		return fmt.Errorf("entry %s has no reason (say why the risk is accepted)", e.ID)
	}
	if e.Expires != "" {
		t, err := time.Parse(time.DateOnly, e.Expires)
		if err != nil {
			return fmt.Errorf("entry %s: expires %q is not a YYYY-MM-DD date", e.ID, e.Expires)
		}
		e.expires = t
	}
	if strings.HasPrefix(e.Package, "pkg:") {
		if _, err := parsePURL(e.Package); err != nil {
			return fmt.Errorf("entry %s: package %q: %w", e.ID, e.Package, err)
		}
	}
	return nil
}

// Expired reports whether the entry no longer suppresses at now: the
// expiry day itself still counts (UTC).
func (e IgnoreEntry) Expired(now time.Time) bool {
	if e.expires.IsZero() {
		return false
	}
	return !now.UTC().Before(e.expires.AddDate(0, 0, 1))
}
