package suppress

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/openvex/go-vex/pkg/vex"

	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/scan"
)

// VEX is one parsed OpenVEX document.
type VEX struct {
	Path string
	doc  *vex.VEX
}

// maxVEXFile bounds a VEX document read into memory.
const maxVEXFile = 64 << 20

// LoadVEX reads and validates an OpenVEX JSON document. Anything that is
// not OpenVEX (no openvex @context), or has an invalid statement, is an
// error naming the file.
func LoadVEX(path string) (*VEX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading VEX file %s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxVEXFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading VEX file %s: %w", path, err)
	}
	if len(b) > maxVEXFile {
		return nil, fmt.Errorf("VEX file %s: larger than %d bytes", path, maxVEXFile)
	}
	doc, err := parseVEX(b, path)
	if err != nil {
		return nil, fmt.Errorf("VEX file %s: %w", path, err)
	}
	return &VEX{Path: path, doc: doc}, nil
}

// ParseVEX parses an OpenVEX JSON document of the current version (older
// versions are read by LoadVEX, which has the file the library needs).
func ParseVEX(b []byte) (*vex.VEX, error) { return parseVEX(b, "") }

func parseVEX(b []byte, path string) (*vex.VEX, error) {
	var head struct {
		Context string `json:"@context"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if !strings.HasPrefix(head.Context, vex.Context) {
		return nil, fmt.Errorf("not an OpenVEX document (@context %q, want %s…)", head.Context, vex.Context)
	}
	var doc *vex.VEX
	var err error
	switch {
	case head.Context == vex.ContextLocator():
		doc, err = vex.Parse(b)
	case path != "":
		// Older document versions: the library converts them, but only
		// from a file (its version parsers are not exported).
		doc, err = vex.Open(path)
	default:
		err = fmt.Errorf("OpenVEX version %q can only be read from a file", head.Context)
	}
	if err != nil {
		return nil, err
	}
	for i := range doc.Statements {
		st := &doc.Statements[i]
		if err := st.Validate(); err != nil {
			return nil, fmt.Errorf("statement %d (%s): %w", i+1, st.Vulnerability.Name, err)
		}
	}
	return doc, nil
}

// statusSuppresses lists the statuses that hide a finding: the product is
// not affected, or the vulnerable code was fixed in it (e.g. a patch
// backported without a version change). under_investigation and affected
// keep the finding.
func statusSuppresses(s vex.Status) bool {
	return s == vex.StatusNotAffected || s == vex.StatusFixed
}

// match finds the effective statement for f (latest by timestamp among the
// statements naming f's id or an alias and f's package), and returns a
// suppression when its status hides the finding.
//
// Products match when they identify the package (its PURL, with OpenVEX
// purl rules: the statement's purl may omit version and qualifiers), or
// when they identify the scanned image (its name, digest, or a pkg:oci
// purl with that digest): without subcomponents the statement covers every
// package of the image, with subcomponents only the packages listed.
func (v *VEX) match(f *scan.Finding, target []string) *scan.Suppression {
	var best *vex.Statement
	var bestT time.Time
	ids := append([]string{f.ID}, f.Aliases...)
	for i := range v.doc.Statements {
		st := &v.doc.Statements[i]
		if !vulnMatches(st, ids) || !productMatches(st, f.Package.PURL, target) {
			continue
		}
		t := v.stmtTime(st)
		if best == nil || !t.Before(bestT) {
			best, bestT = st, t
		}
	}
	if best == nil || !statusSuppresses(best.Status) {
		return nil
	}
	reason := string(best.Status)
	if best.Justification != "" {
		reason += " (" + string(best.Justification) + ")"
	}
	if best.ImpactStatement != "" {
		reason += ": " + best.ImpactStatement
	} else if best.StatusNotes != "" {
		reason += ": " + best.StatusNotes
	}
	return &scan.Suppression{
		Kind: KindVEX, Reason: reason, Source: v.Path,
		Status: string(best.Status), Justification: string(best.Justification),
	}
}

func (v *VEX) stmtTime(st *vex.Statement) time.Time {
	switch {
	case st.LastUpdated != nil:
		return *st.LastUpdated
	case st.Timestamp != nil:
		return *st.Timestamp
	case v.doc.Timestamp != nil:
		return *v.doc.Timestamp
	}
	return time.Time{}
}

func vulnMatches(st *vex.Statement, ids []string) bool {
	for _, id := range ids {
		if st.Vulnerability.Matches(id) {
			return true
		}
	}
	return false
}

func productMatches(st *vex.Statement, purl string, target []string) bool {
	for i := range st.Products {
		p := &st.Products[i]
		if purl != "" && p.Component.Matches(purl) {
			return true
		}
		if !componentMatchesAny(&p.Component, target) {
			continue
		}
		if len(p.Subcomponents) == 0 {
			return true
		}
		for j := range p.Subcomponents {
			if purl != "" && p.Subcomponents[j].Matches(purl) {
				return true
			}
		}
	}
	return false
}

func componentMatchesAny(c *vex.Component, ids []string) bool {
	for _, id := range ids {
		if id != "" && c.Matches(id) {
			return true
		}
	}
	return false
}

// targetIDs are the identifiers a VEX product may use for the scanned image:
// the name as given and without our transport prefix ("registry:",
// "docker:", which no VEX author writes), the digest, and a pkg:oci purl
// with the digest and repository_url (the form OpenVEX examples and vexctl
// use).
func targetIDs(t scan.Target) []string {
	ids := []string{t.Name}
	bare := image.TrimTransport(t.Name)
	if bare != t.Name {
		ids = append(ids, bare)
	}
	if t.Digest == "" {
		return ids
	}
	ids = append(ids, t.Digest)
	repo := bare
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	tag := ""
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo, tag = repo[:i], repo[i+1:]
	}
	name := repo[strings.LastIndex(repo, "/")+1:]
	q := url.Values{"repository_url": {repo}}
	if tag != "" {
		q.Set("tag", tag)
	}
	ids = append(ids, "pkg:oci/"+strings.ToLower(name)+"@"+url.PathEscape(t.Digest)+"?"+q.Encode())
	return ids
}
