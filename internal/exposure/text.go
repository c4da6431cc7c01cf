package exposure

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/sightline-sec/sightline/internal/exposure/netset"
	"github.com/sightline-sec/sightline/internal/textfit"
	"github.com/sightline-sec/sightline/internal/workload"
)

// This file renders results for people: the `sightline exposure` table
// and the --why proof. JSON (jsonout.go) keeps every id and CIDR whole;
// here ids are shortened (ShortID) and source sets worded as people say
// them (DescribeSources), and every line fits the terminal width.

// ShortID is how the table names a resource: load balancer ARNs by type
// and name ("alb/web", "nlb/edge", "elb/legacy" for Classic), ECS task
// ARNs by cluster and the task id's first 8 characters
// ("task/prod/0a1b2c3d"), other ARNs by their resource part
// ("targetgroup/app-tg/6d0e…"); plain ids (i-…, eni-…) unchanged.
// `exposure --why` accepts the short form too.
func ShortID(id string) string {
	if !strings.HasPrefix(id, "arn:") {
		return id
	}
	parts := strings.SplitN(id, ":", 6)
	if len(parts) < 6 {
		return id
	}
	res := parts[5]
	seg := strings.Split(res, "/")
	switch {
	case parts[2] == "elasticloadbalancing" && seg[0] == "loadbalancer" && len(seg) == 4:
		kind := map[string]string{"app": "alb", "net": "nlb", "gwy": "gwlb"}[seg[1]]
		if kind == "" {
			kind = seg[1]
		}
		return kind + "/" + seg[2]
	case parts[2] == "elasticloadbalancing" && seg[0] == "loadbalancer" && len(seg) == 2:
		return "elb/" + seg[1]
	case parts[2] == "ecs" && seg[0] == "task" && len(seg) == 3 && len(seg[2]) > 8:
		return "task/" + seg[1] + "/" + seg[2][:8]
	}
	return res
}

// arnInText finds ARNs inside proof details, to shorten them there too.
var arnInText = regexp.MustCompile(`arn:aws[a-z-]*:[^\s,;()]+`)

func shortenARNs(s string) string {
	return arnInText.ReplaceAllStringFunc(s, ShortID)
}

// maxListed is how many CIDRs a sentence lists before "and N more".
const maxListed = 3

// family is one address family's share of the internet.
type family struct {
	name     string
	all, net netset.Set
}

var families = []family{{"IPv4", netset.V4All, netset.InternetV4}, {"IPv6", netset.V6All, netset.InternetV6}}

// DescribeSources words a source set as people say it: "the internet
// (IPv4)", "the internet (IPv4) except 81.2.69.0/24", "81.2.69.0/24,
// 89.160.20.128/25", choosing per family whichever of the set or its
// complement within the public internet (netset.InternetV4/V6) takes
// fewer CIDRs. Addresses that cannot be internet sources
// (netset.NonPublic) widen or narrow CIDRs freely. Long lists end in
// "and N more"; --format json lists every CIDR.
func DescribeSources(s netset.Set) string {
	var full []string
	var parts []string
	for _, f := range families {
		sf := s.Intersect(f.all)
		if sf.IsEmpty() {
			continue
		}
		pub := sf.Intersect(f.net)
		if pub.IsEmpty() { // only private or reserved sources (peered networks)
			parts = append(parts, listCIDRs(sf.Compact(netset.Set{})))
			continue
		}
		missing := f.net.Subtract(sf)
		if missing.IsEmpty() {
			full = append(full, f.name)
			continue
		}
		listed := pub.Compact(netset.NonPublic)
		except := missing.Compact(netset.NonPublic)
		if len(except) < len(listed) {
			parts = append(parts, "the internet ("+f.name+") except "+listCIDRs(except))
		} else {
			parts = append(parts, listCIDRs(listed))
		}
	}
	if len(full) > 0 {
		parts = append([]string{"the internet (" + strings.Join(full, " and ") + ")"}, parts...)
	}
	return strings.Join(parts, "; ")
}

func listCIDRs(c []string) string {
	if len(c) <= maxListed {
		return strings.Join(c, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(c[:maxListed], ", "), len(c)-maxListed)
}

// portsText is "tcp/443" or "tcp/0-442".
func portsText(r *Result) string {
	if r.ToPort != r.FromPort {
		return fmt.Sprintf("%s/%d-%d", r.Protocol, r.FromPort, r.ToPort)
	}
	return fmt.Sprintf("%s/%d", r.Protocol, r.FromPort)
}

// why is the table's last column: who may connect, or what blocks, or
// what is missing.
func why(r *Result) string {
	switch {
	case r.Verdict == Exposed:
		s := "from " + r.describeSources()
		if r.Via != "" {
			s += ", via " + ShortID(r.Via)
		}
		if len(r.Missing) > 0 {
			// The sources are those the known hops admit; the missing
			// ones may narrow them.
			s += "; possibly narrower, missing: " + shortenARNs(r.Missing[0])
			if n := len(r.Missing) - 1; n > 0 {
				s += fmt.Sprintf(" (+%d more in --format json)", n)
			}
		}
		return s
	case r.BlockedBy != nil:
		s := "blocked by " + r.BlockedBy.Kind + " " + ShortID(r.BlockedBy.ID)
		if r.Via != "" {
			s += " (via " + ShortID(r.Via) + ")"
		}
		return s
	case len(r.Missing) > 0:
		// Every reason, not only the first: the last column wraps.
		parts := make([]string, len(r.Missing))
		for i, m := range r.Missing {
			parts[i] = shortenARNs(m)
		}
		return "missing: " + strings.Join(parts, "; ")
	}
	return ""
}

// describeSources works from SourceSet when the engine set it, else from
// the CIDR strings (results decoded from JSON).
func (r *Result) describeSources() string {
	if !r.SourceSet.IsEmpty() {
		return DescribeSources(r.SourceSet)
	}
	return SourcesText(r.Sources)
}

// WriteTable writes the results table, width columns wide (0 means
// textfit.DefaultWidth): exposed and unknown results, not_exposed ones
// too when all is set, then a count line.
func WriteTable(w io.Writer, rs []Result, all bool, width int) error {
	t := textfit.Table{Header: []string{"RESOURCE", "PORTS", "VERDICT", "SOURCES / WHY"}, Width: width}
	counts := map[string]int{}
	for i := range rs {
		r := &rs[i]
		counts[r.Verdict]++
		if r.Verdict == NotExposed && !all {
			continue
		}
		t.Add(ShortID(r.Resource), portsText(r), strings.ReplaceAll(r.Verdict, "_", " "), why(r))
	}
	if err := t.Write(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d exposed, %d not exposed, %d unknown results\n",
		counts[Exposed], counts[NotExposed], counts[Unknown])
	return err
}

// GapLines are the table footer's list of what the workload sources could
// not read (workload.Gap), wrapped to width columns; none without gaps.
// `sightline inventory` and `sightline exposure` print the same footer.
func GapLines(gaps []workload.Gap, width int) []string {
	if len(gaps) == 0 {
		return nil
	}
	if width <= 0 {
		width = textfit.DefaultWidth
	}
	lines := []string{fmt.Sprintf("%d gap(s): what could not be read (results may be incomplete):", len(gaps))}
	for _, gp := range gaps {
		lines = append(lines, textfit.Hang("  - ", GapText(gp), 4, width)...)
	}
	return lines
}

// GapText is one gap as a line of text: the input it is about (file:line,
// chart, context, endpoint) first, unless the text already names it.
func GapText(gp workload.Gap) string {
	s := gp.What + ": " + gp.Reason
	if gp.Input != "" && !strings.Contains(s, gp.Input) {
		s = gp.Input + ": " + s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\n", " "), "?")
}

// WriteGaps writes GapLines.
func WriteGaps(w io.Writer, gaps []workload.Gap, width int) error {
	var b strings.Builder
	for _, l := range GapLines(gaps, width) {
		b.WriteString(l + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteWhy writes the --why proof of each result, hop by hop, wrapped to
// width columns (0 means textfit.DefaultWidth).
func WriteWhy(w io.Writer, hits []Result, width int) error {
	if width <= 0 {
		width = textfit.DefaultWidth
	}
	var b strings.Builder
	line := func(indent int, s string) {
		for _, l := range textfit.Indent(s, indent, width) {
			b.WriteString(l + "\n")
		}
	}
	for n := range hits {
		r := &hits[n]
		if n > 0 {
			b.WriteString("\n")
		}
		via := "direct"
		if r.Via != "" {
			via = "via " + ShortID(r.Via)
		}
		head := fmt.Sprintf("%s %s (%s): %s", ShortID(r.Resource), portsText(r), via, strings.ToUpper(r.Verdict))
		if r.Width != "" {
			head += " (" + r.Width + ")"
		}
		line(0, head)
		if r.Resource != ShortID(r.Resource) {
			line(2, "resource: "+r.Resource)
		}
		if r.Verdict == Exposed {
			line(2, "sources: "+r.describeSources())
			if rep, ok := r.SourceSet.Min(); ok && mentions(r.Path, rep.Addr().String()) {
				line(2, fmt.Sprintf("(hops that name an address show %s, the lowest source address; "+
					"every source passes every hop, possibly by another rule of the same control)", rep.Addr()))
			}
		}
		for i, h := range r.Path {
			line(2, fmt.Sprintf("%d. %s %s", i+1, h.Kind, ShortID(h.ID)))
			line(5, shortenARNs(h.Detail))
		}
		if h := r.BlockedBy; h != nil {
			line(2, "✗ blocked by "+h.Kind+" "+ShortID(h.ID))
			line(5, shortenARNs(h.Detail))
		}
		for _, m := range r.Missing {
			line(2, "missing: "+shortenARNs(m))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mentions reports whether any hop's detail names addr as an address
// (not as the start of a CIDR).
func mentions(path []Hop, addr string) bool {
	for _, h := range path {
		for rest := h.Detail; ; {
			i := strings.Index(rest, addr)
			if i < 0 {
				break
			}
			end := i + len(addr)
			if i > 0 && (rest[i-1] == '.' || rest[i-1] == ':' || rest[i-1] >= '0' && rest[i-1] <= '9') {
				rest = rest[end:]
				continue
			}
			if end == len(rest) || (rest[end] != '/' && rest[end] != '.' && (rest[end] < '0' || rest[end] > '9')) {
				return true
			}
			rest = rest[end:]
		}
	}
	return false
}
