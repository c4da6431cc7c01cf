package risk

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/sightline-sec/sightline/internal/workload"
)

// The HTML report (docs/risk.md "HTML report"): one self-contained file
// (inline CSS and SVG, no script, no network) with the summary counts,
// the ranked rows with their reasons, an attack-path diagram per row, CSS
// filters by reachability and severity (checkboxes and the :has()
// selector), the fix groups and the coverage. Every string from the
// inputs goes through html/template's contextual escaping, so a hostile
// workload or image name is shown, never run.

//go:embed html.tmpl
var htmlSource string

// htmlBaseSource is the CSS the assess and paths pages share
// (htmlbase.tmpl), parsed into both templates.
//
//go:embed htmlbase.tmpl
var htmlBaseSource string

var htmlTmpl = template.Must(template.Must(template.New("report").Funcs(template.FuncMap{
	"reach": func(c string) string { return reachShort[c] },
	"join":  strings.Join,
	"img":   shortRef,
	"score": func(f float64) string { return fmt.Sprintf("%.1f", f) },
}).Parse(htmlBaseSource)).Parse(htmlSource))

// HTMLDiagrams is how many rows (top ranks) get an attack-path diagram;
// the rest list their path as text, so that a report of 100k rows stays
// a file a browser opens.
const HTMLDiagrams = 200

// HTMLRows is how many rows (top ranks) the HTML report lists; the
// summary counts every row and the page says how many more the JSON
// holds (100k rows made a 311 MB page).
const HTMLRows = 2000

type htmlPage struct {
	Title    string
	Total    int
	More     int // rows not listed (beyond HTMLRows)
	Classes  []htmlCount
	Levels   []htmlCount
	KEV      int
	Risks    []htmlRisk
	Fixes    []FixGroup
	Coverage []string
}

type htmlCount struct {
	Key, Label string
	N          int
}

type htmlRisk struct {
	*Risk
	Why     string
	Level   string
	Open    bool
	Diagram *svgDiagram
	Steps   []string // the path as text, for rows without a diagram
}

type svgDiagram struct {
	Width, Height int
	Nodes         []svgNode
	Edges         []svgEdge
	Caption       string
	Tone          string // exposed, blocked, unknown: the caption's colour
}

// svgEdge is an arrow between boxes; Class "cut" (dashed, no arrow head)
// leads past a blocking control to what it protects.
type svgEdge struct {
	Points, Class string
}

type svgNode struct {
	X, Y, W, H  int
	Kind, Label string
	Title       string
	Class       string // internet, hop, target, pkg, vuln, blocked, missing; "behind" added past a block
	TX, TY, TY2 int    // text anchors: kind line, label line
}

// WriteHTML writes the self-contained HTML report.
func WriteHTML(w io.Writer, rep *Report) error {
	p := htmlPage{Title: "Sightline risk report", Total: len(rep.Risks), Fixes: rep.Fixes, Coverage: coverageLines(rep)}
	classes := map[string]int{}
	levels := map[string]int{}
	for i := range rep.Risks {
		r := &rep.Risks[i]
		classes[r.Reachability.Class]++
		lv := levelOf(r)
		levels[lv]++
		if r.Severity.KEV {
			p.KEV++
		}
		if i >= HTMLRows {
			p.More++
			continue
		}
		hr := htmlRisk{Risk: r, Why: shortWhy(r), Level: lv, Open: i < 3}
		if i < HTMLDiagrams {
			hr.Diagram = diagram(r)
		} else {
			hr.Steps = pathText(r)
		}
		p.Risks = append(p.Risks, hr)
	}
	for _, c := range classOrder {
		p.Classes = append(p.Classes, htmlCount{Key: c, Label: reachShort[c], N: classes[c]})
	}
	for _, l := range []string{"critical", "high", "medium", "low", "unknown"} {
		p.Levels = append(p.Levels, htmlCount{Key: l, Label: l, N: levels[l]})
	}
	return htmlTmpl.Execute(w, &p)
}

func levelOf(r *Risk) string {
	switch l := strings.ToLower(r.Severity.Level); l {
	case "critical", "high", "medium", "low":
		return l
	}
	return "unknown"
}

// pathText is the path of r as lines of text.
func pathText(r *Risk) []string {
	var out []string
	for _, h := range r.Reachability.Path {
		out = append(out, h.Kind+" "+h.ID+": "+h.Detail)
	}
	if b := r.Reachability.BlockedBy; b != nil {
		out = append(out, "BLOCKED by "+b.Kind+" "+b.ID+": "+b.Detail)
	}
	for _, m := range r.Reachability.Missing {
		out = append(out, "missing: "+m)
	}
	return out
}

const (
	nodeW, nodeH   = 200, 50
	gapX, gapY     = 26, 34
	perRow, margin = 5, 8
)

// diagram lays the path of r out as boxes in rows of perRow, read left to
// right: the internet, each hop, then the container, the package and the
// advisory; a blocking control (red) stops the flow, and what it protects
// is drawn faded behind a dashed line; missing data is dashed.
func diagram(r *Risk) *svgDiagram {
	rc := &r.Reachability
	type box struct{ kind, label, title, class string }
	var boxes []box
	switch rc.Class {
	case ReachNotRunning:
		return nil
	case ReachNotReachable:
		boxes = append(boxes, box{"workload", shortFront(rc.Workload), rc.Workload + " declares no port", "blocked"})
	default:
		boxes = append(boxes, box{"source", "internet", "clients: " + sourcesText(rc.Sources), "internet"})
	}
	for _, h := range rc.Path {
		boxes = append(boxes, box{h.Kind, shortFront(h.ID), hopTitle(h), "hop"})
	}
	switch {
	case rc.BlockedBy != nil:
		boxes = append(boxes, box{"blocked by " + rc.BlockedBy.Kind, shortFront(rc.BlockedBy.ID), hopTitle(*rc.BlockedBy), "blocked"})
	case rc.Verdict == "unknown":
		for _, m := range rc.Missing {
			boxes = append(boxes, box{"missing data", m, m, "missing"})
		}
		if len(rc.Missing) == 0 {
			boxes = append(boxes, box{"missing data", "(not named)", "", "missing"})
		}
	}
	if rc.Class != ReachNotReachable {
		boxes = append(boxes, box{"container " + rc.Port, rc.Container, rc.Workload + " / " + rc.Container, "target"})
	}
	boxes = append(boxes,
		box{"package", r.Package.Name + " " + r.Package.Version, r.Package.PURL, "pkg"},
		box{"vulnerability", r.ID, r.Summary, "vuln"})
	d := &svgDiagram{Caption: diagramCaption(r), Tone: "exposed"}
	switch {
	case rc.BlockedBy != nil || rc.Class == ReachNotReachable:
		d.Tone = "blocked"
	case rc.Verdict == "unknown":
		d.Tone = "unknown"
	}
	behind := false
	for i, b := range boxes {
		row, col := i/perRow, i%perRow
		edge := "flow"
		if behind {
			edge, b.class = "cut", b.class+" behind"
		}
		if b.class == "blocked" {
			behind = true
		}
		n := svgNode{X: margin + col*(nodeW+gapX), Y: margin + row*(nodeH+gapY), W: nodeW, H: nodeH,
			Kind: cut(b.kind, 30), Label: cut(b.label, 27), Title: b.title, Class: b.class}
		n.TX, n.TY, n.TY2 = n.X+10, n.Y+19, n.Y+37
		if i > 0 {
			prev := d.Nodes[i-1]
			if col > 0 {
				y := prev.Y + nodeH/2
				d.Edges = append(d.Edges, svgEdge{fmt.Sprintf("%d,%d %d,%d", prev.X+nodeW, y, n.X-3, y), edge})
			} else {
				mid := prev.Y + nodeH + gapY/2
				d.Edges = append(d.Edges, svgEdge{fmt.Sprintf("%d,%d %d,%d %d,%d %d,%d", prev.X+nodeW/2, prev.Y+nodeH,
					prev.X+nodeW/2, mid, n.X+nodeW/2, mid, n.X+nodeW/2, n.Y-3), edge})
			}
		}
		d.Nodes = append(d.Nodes, n)
	}
	rows := (len(boxes) + perRow - 1) / perRow
	cols := min(len(boxes), perRow)
	d.Width = 2*margin + cols*nodeW + (cols-1)*gapX
	d.Height = 2*margin + rows*nodeH + (rows-1)*gapY
	return d
}

func diagramCaption(r *Risk) string {
	rc := &r.Reachability
	switch {
	case rc.BlockedBy != nil:
		return "Blocked: " + rc.BlockedBy.Detail
	case rc.Class == ReachNotReachable:
		return "Not reachable: the container declares no port."
	case rc.Verdict == "unknown":
		return "Unknown: " + strings.Join(rc.Missing, "; ")
	}
	return fmt.Sprintf("Exposed (%s) on %s via %s from %s", rc.Width, rc.Port, shortFront(outermostFront(rc)), sourcesText(rc.Sources))
}

func sourcesText(s []string) string {
	if len(s) == 0 {
		return "any"
	}
	return strings.Join(s, ", ")
}

func hopTitle(h workload.Hop) string {
	return h.Kind + " " + h.ID + ": " + h.Detail
}

// shortRef drops the registry host from an image reference
// (111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1.4.2 →
// shop/api:1.4.2); the cell's title keeps the whole reference.
func shortRef(ref string) string {
	if host, rest, ok := strings.Cut(ref, "/"); ok && strings.ContainsAny(host, ".:") {
		return rest
	}
	return ref
}

// cut shortens s to n runes with an ellipsis.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
