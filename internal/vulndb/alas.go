package vulndb

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// Amazon Linux Security Advisories (ALAS) as Amazon Linux repositories
// publish them: the yum/dnf `updateinfo.xml` (gzip'd as
// repodata/updateinfo.xml.gz, located through repodata/repomd.xml) of each
// release's core repository and of its extra repositories (AL2
// amazon-linux-extras topics, AL2023 kernel-livepatch and nvidia).
//
// Format (real samples: testdata/vulndb/alas): <updates><update
// type="security"> with <id>ALAS2-2018-939</id>, <title>, <issued
// date>, <updated date>, <severity> (critical/important/medium/low, any
// case), <references><reference type="cve" id="CVE-…" href>, and
// <pkglist><collection short="amazon-linux-2"><package name epoch version
// release arch>. Only type="security" updates are read.
//
// Mapping to the store:
//   - ecosystem from the collection's short name: "amazon-linux-ami" and
//     "amazon-linux" → "Amazon Linux:1", "amazon-linux-2[---topic]" →
//     "Amazon Linux:2", likewise 2022 and 2023 (inventory.RPMEcosystem
//     gives installed packages the same names);
//   - per binary package: introduced "0", fixed = the package's EVR (epoch
//     kept unless 0); architectures folded as foldFixes describes;
//   - an AL2 extras topic named with a version ("kernel-5.15",
//     "golang1.19", "postgresql11") ships that version line only, next to
//     the core package of the same name (core kernel 4.14): fixes of
//     packages whose version is in that line get introduced = the topic's
//     version, so a core kernel 4.14 is not reported by a kernel-5.15
//     advisory. Other fixes (topics without a version: "docker",
//     "kernel-livepatch", "nvidia") start at "0";
//   - CVE ids of the references become aliases (KEV, EPSS and alias merge
//     join through them), RHSA references become related;
//   - severity is the advisory's own rating; summary the title without
//     its "Amazon Linux 2 - ALAS…:" prefix; dates are UTC.

// KindALAS is the source kind of ALAS updateinfo data.
const KindALAS = "alas"

// maxUpdatePackages bounds the packages of one advisory (the largest real
// ones, kernel updates, list a few hundred across architectures).
const maxUpdatePackages = 100_000

type uiUpdate struct {
	Type     string `xml:"type,attr"`
	ID       string `xml:"id"`
	Title    string `xml:"title"`
	Issued   uiDate `xml:"issued"`
	Updated  uiDate `xml:"updated"`
	Severity string `xml:"severity"`
	Refs     []struct {
		Type string `xml:"type,attr"`
		ID   string `xml:"id,attr"`
		Href string `xml:"href,attr"`
	} `xml:"references>reference"`
	Collections []struct {
		Short    string      `xml:"short,attr"`
		Packages []uiPackage `xml:"package"`
	} `xml:"pkglist>collection"`
}

type uiDate struct {
	Date string `xml:"date,attr"`
}

type uiPackage struct {
	Name    string `xml:"name,attr"`
	Epoch   string `xml:"epoch,attr"`
	Version string `xml:"version,attr"`
	Release string `xml:"release,attr"`
	Arch    string `xml:"arch,attr"`
}

// ParseUpdateinfo reads one updateinfo.xml stream (already decompressed)
// and returns its security advisories. name is used in errors only. The
// stream is decoded one <update> at a time (each ≤ 16 MiB); more than
// 512 MiB, malformed XML, an advisory without an id or with an unknown
// collection is an error naming the input.
func ParseUpdateinfo(ctx context.Context, name string, r io.Reader) ([]*Parsed, error) {
	br := &budgetReader{r: r, total: MaxUpdateinfoBytes + 1, elem: -1}
	dec := xml.NewDecoder(br)
	var out []*Parsed
	seenRoot := false
	fail := func(err error) ([]*Parsed, error) {
		return nil, br.explain(name, "updateinfo", MaxUpdateinfoBytes, err)
	}
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
		case !seenRoot && se.Name.Local != "updates":
			return nil, fmt.Errorf("%s: not an updateinfo.xml (root element <%s>, want <updates>)", name, se.Name.Local)
		case !seenRoot:
			seenRoot = true
			continue
		case se.Name.Local != "update":
			if err := dec.Skip(); err != nil {
				return fail(err)
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var u uiUpdate
		br.elem = MaxFeedElementBytes
		err = dec.DecodeElement(&u, &se)
		br.elem = -1
		if err != nil {
			return fail(err)
		}
		p, err := convertUpdate(&u)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if p != nil {
			out = append(out, p)
		}
	}
	if !seenRoot {
		return nil, fmt.Errorf("%s: not an updateinfo.xml (no <updates> element)", name)
	}
	return out, nil
}

func convertUpdate(u *uiUpdate) (*Parsed, error) {
	if u.Type != "" && u.Type != "security" {
		return nil, nil
	}
	id := strings.TrimSpace(u.ID)
	if id == "" {
		return nil, errors.New("updateinfo <update> without <id>")
	}
	p := &Parsed{Record: Record{
		ID:        id,
		Summary:   alasSummary(u.Title, id),
		Published: parseFeedTime(u.Issued.Date),
		Modified:  parseFeedTime(u.Updated.Date),
	}}
	if p.Record.Modified.IsZero() {
		p.Record.Modified = p.Record.Published
	}
	p.Record.Severity.Ecosystem = strings.ToLower(strings.TrimSpace(u.Severity))
	p.Record.Severity.finish()
	for _, r := range u.Refs {
		switch rid := strings.TrimSpace(r.ID); {
		case strings.EqualFold(r.Type, "cve") && strings.HasPrefix(rid, "CVE-"):
			p.Record.Aliases = append(p.Record.Aliases, rid)
		case rid != "" && rid != id:
			p.Record.Related = append(p.Record.Related, rid)
		}
		if r.Href != "" && len(p.Record.References) < 20 {
			p.Record.References = append(p.Record.References, r.Href)
		}
	}
	var fixes []rpmFix
	n := 0
	for _, c := range u.Collections {
		eco, intro, ok := alasCollection(c.Short, id)
		if !ok {
			return nil, fmt.Errorf("advisory %s: unknown collection %q (want amazon-linux[-ami], amazon-linux-2[---topic], -2022, -2023)", id, c.Short)
		}
		for _, pk := range c.Packages {
			if n++; n > maxUpdatePackages {
				return nil, fmt.Errorf("advisory %s lists more than %d packages", id, maxUpdatePackages)
			}
			if pk.Version == "" {
				continue
			}
			fixes = append(fixes, rpmFix{eco: eco, name: pk.Name, arch: pk.Arch,
				evr: EVRString(pk.Epoch, pk.Version, pk.Release), introduced: topicFloor(intro, pk.Version)})
		}
	}
	p.Packages = foldFixes(id, fixes)
	return p, nil
}

var (
	alasCollectionRe = regexp.MustCompile(`^amazon-linux-(\d+)(?:---(.+))?$`)
	topicVersionRe   = regexp.MustCompile(`^[A-Za-z][A-Za-z_-]*?-?(\d+(?:\.\d+)*)$`)
)

// alasCollection maps an updateinfo collection to the ecosystem and the
// introduced version of its fixes (see the file comment).
func alasCollection(short, id string) (eco, introduced string, ok bool) {
	switch short {
	case "amazon-linux-ami", "amazon-linux":
		return "Amazon Linux:1", "0", true
	case "":
		return alasEcosystemFromID(id)
	}
	m := alasCollectionRe.FindStringSubmatch(short)
	if m == nil {
		return "", "", false
	}
	introduced = "0"
	if m[1] == "2" && m[2] != "" {
		if v := topicVersionRe.FindStringSubmatch(m[2]); v != nil {
			introduced = v[1]
		}
	}
	return "Amazon Linux:" + m[1], introduced, true
}

// topicFloor applies an extras topic's version as the introduced version
// of a package only when the package's own version is in that line
// ("5.15.43" in kernel-5.15, "1.19.10" in golang1.19); a package whose
// version does not start with it (corretto8 ships java-1.8.0-…
// 1.8.0_302) keeps "0".
func topicFloor(topic, ver string) string {
	if topic == "0" || !(ver == topic || strings.HasPrefix(ver, topic+".") || strings.HasPrefix(ver, topic+"_")) {
		return "0"
	}
	return topic
}

// alasEcosystemFromID is the fallback for a collection without a short
// name: ALAS-… is AL1, ALAS2-…/ALAS2KERNEL-… AL2, ALAS2022-… and
// ALAS2023-… their releases.
func alasEcosystemFromID(id string) (string, string, bool) {
	switch {
	case strings.HasPrefix(id, "ALAS2023"):
		return "Amazon Linux:2023", "0", true
	case strings.HasPrefix(id, "ALAS2022"):
		return "Amazon Linux:2022", "0", true
	case strings.HasPrefix(id, "ALAS2-"):
		return "Amazon Linux:2", "0", true
	case strings.HasPrefix(id, "ALAS-"):
		return "Amazon Linux:1", "0", true
	}
	return "", "", false
}

// alasSummary: "Amazon Linux 2 2017.12 - ALAS2-2018-939: critical priority
// package update for kernel" → "critical priority package update for
// kernel".
func alasSummary(title, id string) string {
	t := strings.Join(strings.Fields(title), " ")
	if i := strings.Index(t, id+":"); i >= 0 {
		return strings.TrimSpace(t[i+len(id)+1:])
	}
	return t
}

// parseFeedTime reads the dates of updateinfo ("2018-01-11 21:05",
// "2023-02-17 20:41:00") and OVAL ("2007-06-26") as UTC.
func parseFeedTime(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
