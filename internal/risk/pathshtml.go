package risk

import (
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// The paths HTML page (docs/paths.md "HTML"): one self-contained file
// (inline CSS and SVG, no script, no network) with the counts of paths by
// kind and verdict, the coverage (what was not checked, stores whose
// exposure is unknown), then one card per path: a picture of the path
// (internet → workload with its top vulnerabilities → store, or internet
// → store), each arrow labelled with the hop's kind and verdict (solid
// when proven, dashed when conditional or unknown), and each hop's proof
// under the picture. Every string from the inputs goes through
// html/template's contextual escaping, so a hostile store or workload
// name is shown, never run.

//go:embed pathshtml.tmpl
var pathsHTMLSource string

var pathsHTMLTmpl = template.Must(template.Must(template.New("paths").Funcs(template.FuncMap{
	"score": func(f float64) string { return fmt.Sprintf("%.1f", f) },
	"img":   shortRef,
	"lower": strings.ToLower,
	"inc":   func(i int) int { return i + 1 },
}).Parse(htmlBaseSource)).Parse(pathsHTMLSource))

// PathsHTMLCards is how many paths (top ranks) get a card; the summary
// counts every path and the page says how many more the JSON holds, so
// that an estate with thousands of workload × store pairs still makes a
// page a browser opens.
const PathsHTMLCards = 1000

type phPage struct {
	Title         string
	Total         int
	More          int
	Verdicts      []htmlCount
	Kinds         []phKindRow
	Coverage      []string
	StoresUnknown []StoreRef
	Paths         []phPath
}

// phKindRow is one line of the kind × verdict table.
type phKindRow struct {
	Label string
	N     []int // proven, conditional, unknown
	Total int
}

type phPath struct {
	*AttackPath
	Title string // internet → workload → store
	Open  bool
	Pic   *phPicture
	More  int // vulnerabilities not listed
}

// phPicture is the SVG of one path: boxes left to right joined by
// labelled arrows.
type phPicture struct {
	Width, Height int
	Label         string // aria-label: the path as text
	Boxes         []phBox
	Arrows        []phArrow
}

type phBox struct {
	X, Y, W, H int
	Class      string // internet, workload, store
	Kind       string // the small upper line
	Label      string
	Title      string // tooltip: the full name or ID
	TX, TY     int    // kind line anchor; the label is 18 px below
	Lines      []phLine
}

// phLine is one vulnerability listed in the workload box.
type phLine struct {
	Y     int
	Text  string
	Level string // critical … unknown: the text colour
}

type phArrow struct {
	X1, X2, Y int
	Verdict   string // yes, conditional, unknown: solid or dashed, colour
	Kind      string // the hop kind, above the arrow
	MX        int    // label anchor (middle)
}

const (
	phMargin     = 8
	phHead       = 56 // a box's kind and label lines
	phLineH      = 16
	phGap        = 170 // room for an arrow and its labels
	phInternetW  = 120
	phWorkloadW  = 260
	phStoreW     = 250
	phMaxVulnRow = 5
)

// WritePathsHTML writes the self-contained HTML page of the paths view.
func WritePathsHTML(w io.Writer, r *PathReport) error {
	if r == nil {
		return errors.New("paths HTML: no path report")
	}
	p := phPage{Title: "Sightline attack paths", Total: len(r.Paths), Coverage: phCoverageLines(r),
		StoresUnknown: r.Coverage.StoresUnknown}
	verdicts := []string{"proven", "conditional", "unknown"}
	vIndex := map[string]int{"proven": 0, "conditional": 1, "unknown": 2}
	kinds := []phKindRow{{Label: "internet → vulnerable workload → data store", N: make([]int, 3)},
		{Label: "internet → public data store", N: make([]int, 3)}}
	kIndex := map[string]int{PathWorkload: 0, PathStore: 1}
	byVerdict := make([]int, 3)
	for i := range r.Paths {
		ap := &r.Paths[i]
		vi, ok := vIndex[ap.Verdict]
		if !ok {
			return fmt.Errorf("paths HTML: path #%d: verdict %q is not proven, conditional or unknown", ap.Rank, ap.Verdict)
		}
		ki, ok := kIndex[ap.Kind]
		if !ok {
			return fmt.Errorf("paths HTML: path #%d has kind %q, not %q or %q", ap.Rank, ap.Kind, PathWorkload, PathStore)
		}
		byVerdict[vi]++
		kinds[ki].N[vi]++
		kinds[ki].Total++
		if i >= PathsHTMLCards {
			p.More++
			continue
		}
		hp := phPath{AttackPath: ap, Title: phTitle(ap), Open: i < 3, Pic: phDraw(ap)}
		if ap.Workload != nil {
			hp.More = max(0, ap.VulnerabilityCount-len(ap.Vulnerabilities))
		}
		p.Paths = append(p.Paths, hp)
	}
	for i, v := range verdicts {
		p.Verdicts = append(p.Verdicts, htmlCount{Key: v, Label: v, N: byVerdict[i]})
	}
	p.Kinds = kinds
	return pathsHTMLTmpl.Execute(w, &p)
}

// phCoverageLines say what the paths were searched over and what was
// not checked: the exposed workloads, the assessment's own gaps, the data
// stores read. Never a clean page over data that was not read.
func phCoverageLines(r *PathReport) []string {
	c := r.Coverage
	head := fmt.Sprintf("%d internet-exposed (or unknown) vulnerable workload(s), %d with data behind them; %d workload(s), %d image(s) run, %d scan result(s)",
		c.ExposedWorkloads, c.WithData, c.Assess.Workloads, c.Assess.Images, c.Assess.ScanResults)
	rep := &Report{Coverage: c.Assess}
	if NoDB(rep) {
		head = "NOT CHECKED: no advisory database (run sightline db update): vulnerable workloads unknown, not absent; " + head
	}
	out := append([]string{head}, coverageLines(rep)[1:]...)
	if c.DataStores != "" {
		out = append(out, "data stores: "+c.DataStores)
	} else {
		out = append(out, "data stores: not read (no AWS snapshot): paths to data are unknown, not absent")
	}
	if n := len(c.StoresUnknown); n > 0 {
		out = append(out, fmt.Sprintf("%d data store(s) whose internet exposure is unknown (listed below): a public store among them would be a path", n))
	}
	return out
}

// phTitle is the path's chain of names.
func phTitle(p *AttackPath) string {
	parts := []string{"internet"}
	if p.Workload != nil {
		parts = append(parts, p.WorkloadName)
	}
	return strings.Join(append(parts, phStoreName(p.Store)), " → ")
}

func phStoreName(s StoreRef) string {
	if s.Name != "" {
		return s.Name
	}
	return s.ID
}

// phDraw lays a path out left to right: the internet, the workload (its
// top vulnerabilities listed inside, in assess rank order) when the path has
// one, and the store; an arrow per hop, labelled with its kind and drawn
// by its verdict.
func phDraw(p *AttackPath) *phPicture {
	pic := &phPicture{Label: phTitle(p)}
	x := phMargin
	add := func(b phBox) {
		b.X, b.Y = x, phMargin
		if b.H == 0 {
			b.H = phHead
		}
		b.TX, b.TY = b.X+10, b.Y+20
		pic.Boxes = append(pic.Boxes, b)
		x += b.W + phGap
	}
	add(phBox{W: phInternetW, Class: "internet", Kind: "source", Label: "internet", Title: "anyone on the internet"})
	if wl := p.Workload; wl != nil {
		b := phBox{W: phWorkloadW, Class: "workload", Kind: cut("workload "+strings.ReplaceAll(wl.Kind, "_", " "), 36), Label: cut(p.WorkloadName, 32),
			Title: wl.ID + " (" + p.Image + ")"}
		vs := p.Vulnerabilities[:min(len(p.Vulnerabilities), phMaxVulnRow)]
		for i, v := range vs {
			t := v.ID + " " + phLevelOr(v.Severity)
			if v.CVSS > 0 {
				t += fmt.Sprintf(" %.1f", v.CVSS)
			}
			if v.KEV {
				t += " KEV"
			}
			b.Lines = append(b.Lines, phLine{Y: phMargin + 44 + i*phLineH, Text: cut(t, 38), Level: phLevel(v.Severity)})
		}
		if more := p.VulnerabilityCount - len(vs); more > 0 {
			b.Lines = append(b.Lines, phLine{Y: phMargin + 44 + len(vs)*phLineH, Text: fmt.Sprintf("+%d more", more), Level: "more"})
		}
		// The label's baseline is 38 px down; the lines follow 16 px
		// apart with 10 px below the last.
		b.H = max(phHead, 50+len(b.Lines)*phLineH)
		add(b)
	}
	kind := p.Store.Kind
	if kind == "" {
		kind = "data store"
	}
	add(phBox{W: phStoreW, Class: "store", Kind: cut(strings.ReplaceAll(kind, "_", " "), 36), Label: cut(phStoreName(p.Store), 30),
		Title: p.Store.ID})
	y := phMargin + phHead/2
	for i, h := range p.Hops {
		if i+1 >= len(pic.Boxes) {
			break // more hops than boxes: the proof list below has them all
		}
		from, to := pic.Boxes[i], pic.Boxes[i+1]
		a := phArrow{X1: from.X + from.W, X2: to.X - 4, Y: y, Verdict: phArrowVerdict(h.Verdict), Kind: h.Kind}
		a.MX = (a.X1 + a.X2) / 2
		pic.Arrows = append(pic.Arrows, a)
	}
	pic.Width = x - phGap + phMargin
	pic.Height = phHead
	for _, b := range pic.Boxes {
		pic.Height = max(pic.Height, b.H)
	}
	pic.Height += 2 * phMargin
	return pic
}

// phArrowVerdict is a hop verdict as a CSS class suffix; anything but yes
// or conditional is drawn as unknown (dashed), never as proven.
func phArrowVerdict(v string) string {
	switch v {
	case DataYes, DataConditional:
		return v
	}
	return DataUnknown
}

func phLevel(l string) string {
	switch l = strings.ToLower(l); l {
	case "critical", "high", "medium", "low":
		return l
	}
	return "unknown"
}

func phLevelOr(l string) string {
	if l == "" {
		return "unknown"
	}
	return l
}
