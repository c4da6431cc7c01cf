package vulndb

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// Oracle Linux Security Advisories (ELSA) from Oracle's OVAL export,
// https://linux.oracle.com/security/oval/com.oracle.elsa-all.xml.bz2 (OVAL
// 5.3, generator "Oracle Errata System"; real samples:
// testdata/vulndb/oval).
//
// Each <definition class="patch"> is one ELSA. Its fixes are read from the
// criteria tree's comments, which Oracle generates in fixed phrasing and
// which are all that definitions-only exports carry (the referenced
// tests/objects/states are skipped unread):
//
//	"Oracle Linux 8 is installed"              → ecosystem "Oracle Linux:8"
//	"Oracle Linux arch is aarch64"             → the fixes below are per arch
//	"openssl is earlier than 1:1.1.1k-5.el8_5" → fix (epoch 0 dropped)
//	"openssl is ksplice-based"                 → ecosystem "Oracle Linux:8:ksplice"
//	"openssl is signed with the Oracle Linux 8 key" (ignored)
//
// A criterion applies to its own criteria node and everything below it,
// so one definition can fix several releases (OL5, OL6, OL7) and several
// architectures at different EVRs. OR-ed rebuilds of one package are
// vulnerable below the highest EVR; architectures fold as foldFixes
// describes. Ksplice fixes ("2:1.1.1g-15.ksplice1.el8_3") only apply to
// Ksplice user-space packages, whose release carries ".ksplice" and which
// the inventory files under the ":ksplice" ecosystem, so they never
// judge a regular openssl. The ELSA id comes from the "elsa" reference
// (ids can carry a "-1" suffix: ELSA-2018-1196-1), CVE references and
// <advisory><cve> become aliases, <advisory><severity> the severity.

// KindOVAL is the source kind of OVAL data.
const KindOVAL = "oval"

// DefaultOracleOVALURL is Oracle's full ELSA OVAL export.
const DefaultOracleOVALURL = "https://linux.oracle.com/security/oval/com.oracle.elsa-all.xml.bz2"

type ovalDefinition struct {
	ID        string   `xml:"id,attr"`
	Class     string   `xml:"class,attr"`
	Title     string   `xml:"metadata>title"`
	Platforms []string `xml:"metadata>affected>platform"`
	Refs      []struct {
		Source string `xml:"source,attr"`
		RefID  string `xml:"ref_id,attr"`
		RefURL string `xml:"ref_url,attr"`
	} `xml:"metadata>reference"`
	Severity string       `xml:"metadata>advisory>severity"`
	Issued   uiDate       `xml:"metadata>advisory>issued"`
	CVEs     []string     `xml:"metadata>advisory>cve"`
	Criteria ovalCriteria `xml:"criteria"`
}

type ovalCriteria struct {
	Criteria  []ovalCriteria `xml:"criteria"`
	Criterion []struct {
		Comment string `xml:"comment,attr"`
	} `xml:"criterion"`
}

// ovalSkip are the top-level sections whose content the parser does not
// need; they hold most of the file's bytes.
var ovalSkip = map[string]bool{"tests": true, "objects": true, "states": true, "variables": true, "generator": true}

// ParseOVAL reads one OVAL definitions stream (already decompressed) with
// Oracle ELSA definitions. name is used in errors only. Definitions are
// decoded one at a time (each ≤ 16 MiB) and the stream is bounded to
// 8 GiB; malformed XML or a definition without an id is an error naming
// the input.
func ParseOVAL(ctx context.Context, name string, r io.Reader) ([]*Parsed, error) {
	br := &budgetReader{r: r, total: MaxOVALBytes + 1, elem: -1}
	dec := xml.NewDecoder(br)
	var out []*Parsed
	seenRoot := false
	fail := func(err error) ([]*Parsed, error) { return nil, br.explain(name, "OVAL", MaxOVALBytes, err) }
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch {
		case !seenRoot && se.Name.Local != "oval_definitions":
			return nil, fmt.Errorf("%s: not an OVAL definitions file (root element <%s>, want <oval_definitions>)", name, se.Name.Local)
		case !seenRoot:
			seenRoot = true
			continue
		case ovalSkip[se.Name.Local]:
			if err := dec.Skip(); err != nil {
				return fail(err)
			}
			continue
		case se.Name.Local != "definition":
			continue // <definitions>: descend
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var d ovalDefinition
		br.elem = MaxFeedElementBytes
		err = dec.DecodeElement(&d, &se)
		br.elem = -1
		if err != nil {
			return fail(err)
		}
		p, err := convertDefinition(&d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if p != nil {
			out = append(out, p)
		}
	}
	if !seenRoot {
		return nil, fmt.Errorf("%s: not an OVAL definitions file (no <oval_definitions> element)", name)
	}
	return out, nil
}

var (
	elsaIDRe      = regexp.MustCompile(`^(ELSA-\d{4}-\d+(?:-\d+)?)`)
	installedRe   = regexp.MustCompile(`^Oracle Linux (\d+) is installed$`)
	archRe        = regexp.MustCompile(`^Oracle Linux arch is ([a-z0-9_]+)$`)
	earlierRe     = regexp.MustCompile(`^(\S+) is earlier than (\S+)$`)
	kspliceRe     = regexp.MustCompile(`^(\S+) is ksplice-based$`)
	platformRe    = regexp.MustCompile(`^Oracle Linux (\d+)$`)
	titleSeverity = regexp.MustCompile(`\((LOW|MODERATE|IMPORTANT|CRITICAL)\)\s*$`)
)

func convertDefinition(d *ovalDefinition) (*Parsed, error) {
	if d.Class != "" && d.Class != "patch" {
		return nil, nil
	}
	title := strings.Join(strings.Fields(d.Title), " ")
	id := ""
	for _, r := range d.Refs {
		if strings.EqualFold(r.Source, "elsa") && r.RefID != "" {
			id = strings.TrimSpace(r.RefID)
			break
		}
	}
	if id == "" {
		id = elsaIDRe.FindString(title)
	}
	if id == "" {
		return nil, fmt.Errorf("OVAL definition %q has no ELSA id (no elsa reference, title %q)", d.ID, title)
	}
	p := &Parsed{Record: Record{ID: id, Summary: alasSummary(title, id), Published: parseFeedTime(d.Issued.Date)}}
	p.Record.Modified = p.Record.Published
	sev := strings.ToLower(strings.TrimSpace(d.Severity))
	if m := titleSeverity.FindStringSubmatch(title); sev == "" && m != nil {
		sev = strings.ToLower(m[1])
	}
	p.Record.Severity.Ecosystem = sev
	p.Record.Severity.finish()
	aliases := map[string]bool{}
	for _, r := range d.Refs {
		if strings.EqualFold(r.Source, "CVE") && strings.HasPrefix(r.RefID, "CVE-") {
			aliases[strings.TrimSpace(r.RefID)] = true
		}
		if r.RefURL != "" && len(p.Record.References) < 20 {
			p.Record.References = append(p.Record.References, r.RefURL)
		}
	}
	for _, c := range d.CVEs {
		if c = strings.TrimSpace(c); strings.HasPrefix(c, "CVE-") {
			aliases[c] = true
		}
	}
	for a := range aliases {
		p.Record.Aliases = append(p.Record.Aliases, a)
	}
	slices.Sort(p.Record.Aliases)
	var fixes []rpmFix
	eco := ""
	if len(d.Platforms) == 1 {
		if m := platformRe.FindStringSubmatch(strings.TrimSpace(d.Platforms[0])); m != nil {
			eco = "Oracle Linux:" + m[1]
		}
	}
	walkCriteria(d.Criteria, eco, "", &fixes)
	p.Packages = foldFixes(id, fixes)
	return p, nil
}

// walkCriteria collects the fixes of one criteria node: its own
// criterion comments set the release and architecture for the node and
// its descendants, and name the packages fixed at this level.
func walkCriteria(c ovalCriteria, eco, arch string, out *[]rpmFix) {
	type pkg struct{ name, evr string }
	var pkgs []pkg
	ksplice := map[string]bool{}
	for _, cr := range c.Criterion {
		comment := strings.TrimSpace(cr.Comment)
		if m := installedRe.FindStringSubmatch(comment); m != nil {
			eco = "Oracle Linux:" + m[1]
		} else if m := archRe.FindStringSubmatch(comment); m != nil {
			arch = m[1]
		} else if m := earlierRe.FindStringSubmatch(comment); m != nil {
			pkgs = append(pkgs, pkg{m[1], normalizeEVR(m[2])})
		} else if m := kspliceRe.FindStringSubmatch(comment); m != nil {
			ksplice[m[1]] = true
		}
	}
	for _, p := range pkgs {
		if eco == "" {
			continue // no release named: nothing to key the fix by
		}
		e := eco
		if ksplice[p.name] || strings.Contains(p.evr, ".ksplice") {
			e += ":ksplice"
		}
		*out = append(*out, rpmFix{eco: e, name: p.name, arch: arch, evr: p.evr, introduced: "0"})
	}
	for _, child := range c.Criteria {
		walkCriteria(child, eco, arch, out)
	}
}

// budgetReader bounds a whole stream (total) and, while elem ≥ 0, the
// bytes read for the element being decoded: encoding/xml holds a decoded
// element in memory, so one hostile element must not grow without bound.
// The decoder reads ahead in 4 KiB blocks, so elem is approximate to that.
type budgetReader struct {
	r           io.Reader
	total, elem int64
	hit         string // which limit stopped the stream
}

var errBudget = errors.New("size limit reached")

func (b *budgetReader) Read(p []byte) (int, error) {
	switch {
	case b.total <= 0:
		b.hit = "stream"
		return 0, errBudget
	case b.elem == 0:
		b.hit = "element"
		return 0, errBudget
	}
	if int64(len(p)) > b.total {
		p = p[:b.total]
	}
	if b.elem > 0 && int64(len(p)) > b.elem {
		p = p[:b.elem]
	}
	n, err := b.r.Read(p)
	b.total -= int64(n)
	if b.elem > 0 {
		b.elem -= int64(n)
	}
	return n, err
}

// explain names the input and tells a size-limit stop from bad XML.
func (b *budgetReader) explain(name, what string, limit int64, err error) error {
	switch b.hit {
	case "stream":
		return fmt.Errorf("%s: %s larger than the %s limit", name, what, FormatBytes(limit))
	case "element":
		return fmt.Errorf("%s: one %s element is larger than the %s limit", name, what, FormatBytes(MaxFeedElementBytes))
	}
	return fmt.Errorf("%s: invalid %s XML: %w", name, what, err)
}
