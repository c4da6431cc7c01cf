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
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sightline-sec/sightline/internal/suggest"
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
	// Object limits an entry for a `sightline check` rule ID to the
	// objects whose name, file or resource ID matches this pattern
	// (path.Match: "prod/Deployment/*", "deploy/*.yaml"). An entry with
	// an object is a check entry: it never suppresses a scan finding.
	Object string `yaml:"object,omitempty"`

	line    int
	expires time.Time // zero: never
}

// Line is the entry's line in the file (for messages).
func (e IgnoreEntry) Line() int { return e.line }

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
// misspelt "expire:" cannot silently make an entry permanent. Errors give
// the line and, for a misspelt key, the key meant ("line 4: unknown key
// "expire" (did you mean "expires"?)"), never the Go types behind them.
func ParseIgnore(b []byte) (*IgnoreFile, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	ig := &IgnoreFile{}
	if len(doc.Content) == 0 { // empty file
		return ig, nil
	}
	root := doc.Content[0]
	fields, err := mapping(root, "the ignore file", []string{"ignore"})
	if err != nil {
		return nil, err
	}
	list := fields["ignore"]
	if list == nil {
		return ig, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("line %d: ignore must be a list of entries (- id: …)", list.Line)
	}
	for _, n := range list.Content {
		e, err := decodeEntry(n)
		if err != nil {
			return nil, err
		}
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		ig.Entries = append(ig.Entries, e)
	}
	return ig, nil
}

// entryKeys are the keys of an ignore entry, as IgnoreEntry's yaml tags.
var entryKeys = []string{"id", "package", "reason", "expires", "object"}

// decodeEntry reads one ignore entry: a mapping of known keys to text.
func decodeEntry(n *yaml.Node) (IgnoreEntry, error) {
	e := IgnoreEntry{line: n.Line}
	fields, err := mapping(n, "an ignore entry", entryKeys)
	if err != nil {
		return e, err
	}
	for key, v := range fields {
		if v.Kind != yaml.ScalarNode {
			return e, fmt.Errorf("line %d: %s must be text, not a list or mapping", v.Line, key)
		}
		switch key {
		case "id":
			e.ID = v.Value
		case "package":
			e.Package = v.Value
		case "reason":
			e.Reason = v.Value
		case "expires":
			e.Expires = v.Value
		case "object":
			e.Object = v.Value
		}
	}
	return e, nil
}

// mapping returns the values of a mapping node by key, refusing keys not
// in known (with a "did you mean" for typos) and repeated keys.
func mapping(n *yaml.Node, what string, known []string) (map[string]*yaml.Node, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: %s must be a mapping with keys %s", n.Line, what, strings.Join(known, ", "))
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(known, k.Value) {
			return nil, fmt.Errorf("line %d: unknown key %q in %s%s (known keys: %s)", k.Line, k.Value, what,
				suggest.Hint(k.Value, known), strings.Join(known, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, fmt.Errorf("line %d: key %q given twice", k.Line, k.Value)
		}
		out[k.Value] = v
	}
	return out, nil
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
	if e.Object != "" {
		if e.Package != "" {
			return fmt.Errorf("entry %s: give package (a scan entry) or object (a check entry), not both", e.ID)
		}
		if _, err := path.Match(e.Object, ""); err != nil {
			return fmt.Errorf("entry %s: object %q is not a valid pattern (path.Match syntax: *, ?, [a-z])", e.ID, e.Object)
		}
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

// MatchesCheck reports whether the entry covers a `sightline check`
// finding: the id is the rule ID (case-insensitive, as for advisories),
// the entry has no package (package entries are scan entries), and its
// object pattern, if any, matches the object's name, file or resource.
func (e IgnoreEntry) MatchesCheck(ruleID, object, file, resource string) bool {
	if !strings.EqualFold(e.ID, ruleID) || e.Package != "" {
		return false
	}
	if e.Object == "" {
		return true
	}
	for _, s := range []string{object, file, resource} {
		if s == "" {
			continue
		}
		if ok, _ := path.Match(e.Object, s); ok {
			return true
		}
	}
	return false
}
