package risk_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/risk"
	"github.com/sightline-sec/sightline/internal/workload"
)

// hostileReport has markup in every string an input controls: workload
// and container names, image reference, hop IDs and details, package
// name, advisory summary, missing data.
func hostileReport() *risk.Report {
	x := `<script>alert(1)</script>`
	attr := `"><img src=x onerror=alert(2)>`
	return &risk.Report{Schema: risk.Schema, Risks: []risk.Risk{
		{Rank: 1, Score: 80, ID: "CVE-2024-0001" + x, Summary: "summary " + x,
			Severity: risk.Severity{Level: "critical", CVSS: 9.8, AttackVector: "network"},
			Package:  risk.Package{Name: "pkg" + x, Version: "1.0" + attr, PURL: "pkg:npm/x@1"},
			Image:    risk.Image{Ref: "registry.example/" + x + ":1" + attr, Join: "digest", Scanned: "img" + x},
			Workloads: []risk.WorkloadRef{{ID: "docker:host/" + x, Name: x, Kind: "container", Container: "c" + x,
				Join: "digest", Class: risk.ReachWide}},
			Reachability: risk.Reachability{Verdict: "exposed", Width: "wide", Class: risk.ReachWide, Workload: "docker:host/" + x,
				Container: "c" + x, Port: "tcp/80", Via: "published " + x, Sources: []string{"0.0.0.0/0" + attr},
				Path:    []workload.Hop{{Kind: "published" + attr, ID: "0.0.0.0:80" + x, Detail: "</style><style>body{display:none}</style>" + x}},
				Missing: []string{}},
			PortEvidence: risk.PortEvidence{Match: "declared", Detail: "detail" + x},
			Runtime:      risk.Runtime{State: "unknown", Evidence: "ev" + x},
			Reasons:      []string{"reason " + x},
			Fix:          risk.Fix{State: "fixed", Action: "upgrade " + x},
		},
		{Rank: 2, Score: 20, ID: "CVE-2024-0002", Severity: risk.Severity{Level: "high", AttackVector: "network"},
			Package: risk.Package{Name: "p2", Version: "2"},
			Image:   risk.Image{Ref: "r2", Join: "tag"},
			Reachability: risk.Reachability{Verdict: "unknown", Class: risk.ReachUnknown, Port: "tcp/81",
				Path: []workload.Hop{}, Missing: []string{"ec2/describe-security-groups.json " + x}},
			Reasons: []string{"r"},
		},
	}, Fixes: []risk.FixGroup{{Summary: "upgrade " + x}}}
}

// TestHTMLEscapesHostileNames: markup in names is shown as text, never
// parsed: no script element, no injected attribute, no closed style.
func TestHTMLEscapesHostileNames(t *testing.T) {
	var b bytes.Buffer
	if err := risk.WriteHTML(&b, hostileReport()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"<script", "<img", "alert(2)>", "</style><style>"} {
		if strings.Contains(strings.ToLower(out), bad) {
			t.Errorf("the report contains %q unescaped", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(2)&gt;", "missing data"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks the escaped text %q", want)
		}
	}
	if strings.Count(out, "<style>") != 1 || strings.Count(out, "</style>") != 1 {
		t.Errorf("the report has more than its own style element")
	}
}

// TestHTMLDiagram: an exposed row's diagram runs internet → hop →
// container → package → advisory; an unknown row shows its missing
// data; a blocked row ends at the control, drawn as blocked.
func TestHTMLDiagram(t *testing.T) {
	rep := hostileReport()
	rep.Risks = append(rep.Risks, risk.Risk{Rank: 3, ID: "CVE-2024-0003", Package: risk.Package{Name: "p3", Version: "3"},
		Image: risk.Image{Ref: "r3"}, Reasons: []string{"r"},
		Reachability: risk.Reachability{Verdict: "not_exposed", Class: risk.ReachInternal, Port: "tcp/8080", Container: "api",
			Path:      []workload.Hop{{Kind: "internet_gateway", ID: "igw-1", Detail: "igw"}},
			BlockedBy: &workload.Hop{Kind: "security_group", ID: "sg-0closed", Detail: "sg-0closed admits tcp/443 only"}, Missing: []string{}}})
	var b bytes.Buffer
	if err := risk.WriteHTML(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	sections := strings.Split(out, `<tbody class="`)
	if len(sections) != 4 {
		t.Fatalf("%d row sections, want 3", len(sections)-1)
	}
	order := func(s string, parts ...string) {
		t.Helper()
		at := 0
		for _, p := range parts {
			i := strings.Index(s[at:], p)
			if i < 0 {
				t.Errorf("%q missing or out of order in:\n%s", p, s)
				return
			}
			at += i + len(p)
		}
	}
	order(sections[1], `class="internet"`, ">internet<", `class="hop"`, `class="target"`, `class="pkg"`, `class="vuln"`)
	order(sections[2], `class="missing"`, "missing data", `class="vuln"`)
	order(sections[3], `class="caption blocked"`, "Blocked: sg-0closed admits tcp/443 only", `class="hop"`, `class="blocked"`, "sg-0closed", `class="target behind"`)
	if strings.Count(sections[3], `<polyline class="cut"`) != 3 || strings.Contains(sections[1], `class="cut"`) {
		t.Error("the flow past the blocking control is not cut (dashed) for its three boxes, or an exposed path is cut")
	}
	if !strings.Contains(out, `body:has(#f-c-internet_wide:not(:checked)) tbody.c-internet_wide{display:none}`) {
		t.Error("no CSS filter rule for the reachability classes")
	}
}

// FuzzHTMLNoMarkupInjection: whatever a workload, container, image, hop
// or package is named, the report has exactly the markup of the same
// report with empty names: every '<' of a name is escaped.
func FuzzHTMLNoMarkupInjection(f *testing.F) {
	for _, s := range []string{"<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`, "</style>", "]]><!--", "\x00<svg/onload=x>", "{{.}}"} {
		f.Add(s)
	}
	render := func(t *testing.T, s string) int {
		rep := &risk.Report{Risks: []risk.Risk{{Rank: 1, ID: "CVE-1" + s, Package: risk.Package{Name: s, Version: s},
			Image: risk.Image{Ref: s}, Workloads: []risk.WorkloadRef{{ID: s, Container: s, Class: risk.ReachInternal}},
			Reasons: []string{s},
			Reachability: risk.Reachability{Verdict: "not_exposed", Class: risk.ReachInternal, Container: s, Workload: s, Port: s,
				Path:      []workload.Hop{{Kind: s, ID: s, Detail: s}},
				BlockedBy: &workload.Hop{Kind: s, ID: s, Detail: s}}}},
			Fixes: []risk.FixGroup{{Summary: s}}}
		var b bytes.Buffer
		if err := risk.WriteHTML(&b, rep); err != nil {
			t.Fatal(err)
		}
		return strings.Count(b.String(), "<")
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := render(t, s), render(t, ""); got != want {
			t.Errorf("name %q adds %d '<' to the report", s, got-want)
		}
	})
}

// TestHTMLBounded: a report of more than HTMLRows rows lists the top
// HTMLRows, counts all in the summary and says how many more there are.
func TestHTMLBounded(t *testing.T) {
	one := hostileReport().Risks[1]
	rep := &risk.Report{}
	for i := range risk.HTMLRows + 5 {
		r := one
		r.Rank = i + 1
		rep.Risks = append(rep.Risks, r)
	}
	var b bytes.Buffer
	if err := risk.WriteHTML(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, "<tbody "); n != risk.HTMLRows {
		t.Errorf("%d rows listed, want %d", n, risk.HTMLRows)
	}
	if !strings.Contains(out, "<b>5 more rows</b>") || !strings.Contains(out, fmt.Sprintf("<b>%d</b>risk rows", risk.HTMLRows+5)) {
		t.Error("the page does not count every row or say how many more there are")
	}
	if n := strings.Count(out, "<svg "); n != risk.HTMLDiagrams {
		t.Errorf("%d diagrams, want %d", n, risk.HTMLDiagrams)
	}
}
