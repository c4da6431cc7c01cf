package risk_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/htmltest"
	"github.com/sightline-sec/sightline/internal/risk"
	"github.com/sightline-sec/sightline/internal/workload"
)

// hostileStore is the name of a public bucket in pathsFixture: markup
// that must be shown, never run.
const hostileStore = `<script>alert(1)</script>`

// pathsFixture is a small estate's assessment: the api task exposed
// (its own proven path through a load balancer) with three findings,
// the worker exposure unknown with one finding, the batch job internal
// only; the data behind api (a bucket by identity, proven; a database by
// network, conditional) and behind worker (a table, unknown); and the
// account's stores: a public bucket with a hostile name, one public under
// a condition, one whose exposure is unknown. name is the api workload's
// name (the fuzz test varies it).
func pathsFixture(name string) (*risk.Report, risk.DataBehind, []risk.StoreRef) {
	api := risk.WorkloadRef{ID: "ecs:prod/service/" + name, Name: name, Kind: "ecs_service", Container: "app", Join: "digest", Class: risk.ReachWide}
	worker := risk.WorkloadRef{ID: "ecs:prod/service/worker", Name: "worker", Kind: "ecs_service", Container: "w", Join: "digest", Class: risk.ReachUnknown}
	batch := risk.WorkloadRef{ID: "ecs:prod/service/batch", Name: "batch", Kind: "ecs_service", Container: "b", Join: "digest", Class: risk.ReachInternal}
	reach := risk.Reachability{Verdict: "exposed", Width: "wide", Class: risk.ReachWide, Workload: api.ID, Container: "app", Port: "tcp/8080",
		Path: []workload.Hop{
			{Kind: "load_balancer", ID: "alb/shop-api", Detail: "internet-facing ALB alb/shop-api listener HTTPS 443"},
			{Kind: "security_group", ID: "sg-0api", Detail: "sg-0api admits tcp/8080 from sg-0alb"},
		}}
	row := func(rank int, id, level string, cvss float64, kev bool, pkg string, w ...risk.WorkloadRef) risk.Risk {
		r := risk.Risk{Rank: rank, Score: float64(80 - 5*rank), ID: id, Severity: risk.Severity{Level: level, CVSS: cvss, KEV: kev},
			Package: risk.Package{Name: pkg, Version: "1.0", PURL: "pkg:deb/debian/" + pkg + "@1.0"},
			Image:   risk.Image{Ref: "111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/api:2.1"}, Workloads: w}
		if w[0].ID == api.ID {
			r.Reachability = reach
		}
		return r
	}
	rep := &risk.Report{Schema: risk.Schema, Risks: []risk.Risk{
		row(1, "CVE-2024-0001", "critical", 9.8, true, "openssl", api),
		row(2, "CVE-2024-0002", "high", 7.5, false, "curl", api, batch),
		row(3, "CVE-2024-0003", "medium", 5.3, false, "zlib", worker),
		row(4, "CVE-2024-0004", "low", 0, false, "tar", api),
	}, Coverage: risk.Coverage{ScanResults: 2, Images: 2, Workloads: 3,
		ImagesNotScanned: []risk.ImageGap{{Ref: "redis:7", Workloads: []string{"ecs:prod/service/cache"}}}}}
	behind := risk.DataBehind{
		api.ID: {
			{Store: "arn:aws:s3:::customer-exports", Name: "customer-exports", Kind: "s3_bucket", Via: "identity", Verdict: risk.DataYes,
				Detail: "role api-task can s3:GetObject on customer-exports",
				Proof:  []string{"task role arn:aws:iam::111122223333:role/api-task", "policy api-read allows s3:GetObject on arn:aws:s3:::customer-exports/*"}},
			{Store: "arn:aws:rds:eu-west-1:111122223333:db:orders", Name: "orders", Kind: "rds_instance", Via: "network", Verdict: risk.DataConditional,
				Detail: "reaches orders tcp/5432 through sg-0db when pl-0shop lists the task subnet",
				Proof:  []string{"sg-0api egress all", "sg-0db admits tcp/5432 from pl-0shop"}},
		},
		worker.ID: {
			{Store: "arn:aws:dynamodb:eu-west-1:111122223333:table/carts", Name: "carts", Kind: "dynamodb_table", Via: "identity", Verdict: risk.DataUnknown,
				Detail: "role worker may use carts", Missing: []string{"dynamodb get-resource-policy carts: AccessDenied"}},
		},
	}
	stores := []risk.StoreRef{
		{ID: "arn:aws:s3:::customer-exports", Name: "customer-exports", Kind: "s3_bucket", Internet: "not_exposed"},
		{ID: "arn:aws:rds:eu-west-1:111122223333:db:orders", Name: "orders", Kind: "rds_instance", Internet: "not_exposed"},
		{ID: "arn:aws:s3:::public-assets", Name: hostileStore, Kind: "s3_bucket", Internet: "exposed",
			Proof: []string{"bucket policy statement PublicRead allows s3:GetObject to * " + hostileStore}},
		{ID: "arn:aws:s3:::partner-drop", Name: "partner-drop", Kind: "s3_bucket", Internet: "conditional",
			Proof: []string{"bucket policy allows s3:PutObject to * when aws:SourceVpce is vpce-0partner"}},
		{ID: "arn:aws:s3:::old-logs", Name: "old-logs", Kind: "s3_bucket", Internet: "unknown",
			Missing: []string{"s3 get-bucket-policy old-logs: AccessDenied"}},
	}
	return rep, behind, stores
}

func fixturePaths(t *testing.T) *risk.PathReport {
	t.Helper()
	rep, behind, stores := pathsFixture("api")
	return risk.BuildPaths(rep, behind, stores, "5 stores read (s3, rds, dynamodb); 1 bucket policy denied")
}

func writePathsHTML(t *testing.T, pr *risk.PathReport) string {
	t.Helper()
	var b bytes.Buffer
	if err := risk.WritePathsHTML(&b, pr); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var (
	cardRe  = regexp.MustCompile(`(?s)<article class="path v-([a-z]+)" id="path-(\d+)">(.*?)</article>`)
	lineRe  = regexp.MustCompile(`<line class="v-([a-z]+)"[^>]*/><text class="hop"[^>]*>([^<]*)</text>`)
	boxRe   = regexp.MustCompile(`<g class="([a-z]+)"><title>`)
	countRe = regexp.MustCompile(`<td>([^<]*)</td><td class="num">(\d+)</td><td class="num">(\d+)</td><td class="num">(\d+)</td><td class="num">(\d+)</td>`)
)

// TestPathsHTML: the page has one card per path in rank order, each with
// an SVG picture of its boxes (internet, the workload when there is one,
// the store) and one arrow per hop labelled with the hop's kind and drawn
// by its verdict, the hops' proof under the picture; the summary counts
// the paths by kind and verdict; the coverage names the data stores note
// and the store whose exposure is unknown.
func TestPathsHTML(t *testing.T) {
	pr := fixturePaths(t)
	out := writePathsHTML(t, pr)
	cards := cardRe.FindAllStringSubmatch(out, -1)
	if len(cards) != len(pr.Paths) || len(pr.Paths) < 5 {
		t.Fatalf("%d cards for %d paths (fixture should give 5)", len(cards), len(pr.Paths))
	}
	want := map[string][]int{}
	for i, p := range pr.Paths {
		c := cards[i]
		if c[1] != p.Verdict || c[2] != fmt.Sprint(p.Rank) {
			t.Errorf("card %d: verdict %s rank %s, want %s #%d", i, c[1], c[2], p.Verdict, p.Rank)
		}
		body := c[3]
		if strings.Count(body, `<svg class="pic"`) != 1 || strings.Contains(body, `width="0"`) {
			t.Errorf("card %d: not one sized SVG picture", i)
		}
		var boxes []string
		for _, m := range boxRe.FindAllStringSubmatch(body, -1) {
			boxes = append(boxes, m[1])
		}
		wantBoxes := "internet store"
		if p.Workload != nil {
			wantBoxes = "internet workload store"
			for _, v := range p.Vulnerabilities {
				if !strings.Contains(body, `">`+v.ID+" "+v.Severity) {
					t.Errorf("card %d: the workload box does not list %s", i, v.ID)
				}
			}
		}
		if strings.Join(boxes, " ") != wantBoxes {
			t.Errorf("card %d (%s): boxes %v, want %s", i, p.Kind, boxes, wantBoxes)
		}
		arrows := lineRe.FindAllStringSubmatch(body, -1)
		if len(arrows) != len(p.Hops) {
			t.Fatalf("card %d: %d arrows for %d hops", i, len(arrows), len(p.Hops))
		}
		for j, h := range p.Hops {
			if arrows[j][1] != h.Verdict || arrows[j][2] != h.Kind {
				t.Errorf("card %d arrow %d: %s %s, want %s %s", i, j, arrows[j][1], arrows[j][2], h.Verdict, h.Kind)
			}
			for _, proof := range h.Proof {
				if !strings.Contains(body, "<li>"+template(proof)+"</li>") {
					t.Errorf("card %d: proof line %q not listed", i, proof)
				}
			}
			for _, m := range h.Missing {
				if !strings.Contains(body, "missing: "+template(m)) {
					t.Errorf("card %d: missing %q not listed", i, m)
				}
			}
		}
		if p.Store.Internet == "" && !strings.Contains(body, "internet exposure not known (the store is not among the stores read)") {
			t.Errorf("card %d: store %s not read, and the card does not say so", i, p.Store.ID)
		}
		kind := map[string]int{risk.PathWorkload: 0, risk.PathStore: 1}[p.Kind]
		if want[p.Verdict] == nil {
			want[p.Verdict] = make([]int, 2)
		}
		want[p.Verdict][kind]++
	}
	// Dashed arrows exist only for conditional or unknown hops, and the
	// fixture has all three verdicts: both styles were checked.
	for _, v := range []string{"yes", "conditional", "unknown"} {
		if !strings.Contains(out, `<line class="v-`+v+`"`) {
			t.Errorf("no %s arrow in the page: the fixture lost a verdict", v)
		}
	}
	rows := countRe.FindAllStringSubmatch(out, -1)
	if len(rows) != 2 {
		t.Fatalf("%d rows in the kind × verdict table, want 2", len(rows))
	}
	for k, r := range rows {
		for vi, v := range []string{"proven", "conditional", "unknown"} {
			n := 0
			if want[v] != nil {
				n = want[v][k]
			}
			if r[2+vi] != fmt.Sprint(n) {
				t.Errorf("table row %q %s: %s, want %d", r[1], v, r[2+vi], n)
			}
		}
	}
	if !strings.Contains(out, fmt.Sprintf("<b>%d</b>attack paths", len(pr.Paths))) {
		t.Error("the summary does not count every path")
	}
	for _, s := range []string{"data stores: 5 stores read (s3, rds, dynamodb); 1 bucket policy denied",
		"<b>old-logs</b>", "missing: s3 get-bucket-policy old-logs: AccessDenied",
		"not scanned (vulnerabilities unknown): redis:7", "2 internet-exposed (or unknown) vulnerable workload(s), 2 with data behind them"} {
		if !strings.Contains(out, s) {
			t.Errorf("the coverage lacks %q", s)
		}
	}
}

// template is s as html/template escapes it in text.
func template(s string) string {
	r := strings.NewReplacer("<", "&lt;", ">", "&gt;", "&", "&amp;", `"`, "&#34;", "'", "&#39;", "+", "&#43;")
	return r.Replace(s)
}

// TestPathsHTMLEscapes: a public bucket named <script>…</script> is
// shown as text in its card, its picture and the proof, never parsed.
func TestPathsHTMLEscapes(t *testing.T) {
	out := writePathsHTML(t, fixturePaths(t))
	if strings.Contains(strings.ToLower(out), "<script") {
		t.Error("the page contains an unescaped <script")
	}
	if n := strings.Count(out, "&lt;script&gt;alert(1)&lt;/script&gt;"); n < 4 {
		t.Errorf("the hostile store name is shown escaped %d times, want at least 4 (title, picture, proof, store line)", n)
	}
	if strings.Count(out, "<style>") != 1 || strings.Count(out, "</style>") != 1 {
		t.Error("the page has more than its own style element")
	}
}

// TestPathsHTMLEmpty: with no data behind any workload and no public
// store the page says no path was found and still lists the coverage: an
// empty page never reads as a clean estate without its gaps.
func TestPathsHTMLEmpty(t *testing.T) {
	rep, _, _ := pathsFixture("api")
	out := writePathsHTML(t, risk.BuildPaths(rep, nil, nil, ""))
	for _, s := range []string{"<b>0</b>attack paths", "No attack path found",
		"data stores: not read (no AWS snapshot): paths to data are unknown, not absent"} {
		if !strings.Contains(out, s) {
			t.Errorf("the empty page lacks %q", s)
		}
	}
	if strings.Contains(out, "<article") {
		t.Error("the empty page has a path card")
	}
}

// TestPathsHTMLBadInput: a nil report, or a path of an unknown kind or
// verdict, is an error naming the path.
func TestPathsHTMLBadInput(t *testing.T) {
	var b bytes.Buffer
	if err := risk.WritePathsHTML(&b, nil); err == nil {
		t.Error("nil report: no error")
	}
	pr := fixturePaths(t)
	pr.Paths[1].Kind = "lateral"
	if err := risk.WritePathsHTML(&b, pr); err == nil || !strings.Contains(err.Error(), `#2 has kind "lateral"`) {
		t.Errorf("unknown kind: %v", err)
	}
	pr = fixturePaths(t)
	pr.Paths[0].Verdict = "maybe"
	if err := risk.WritePathsHTML(&b, pr); err == nil || !strings.Contains(err.Error(), `#1: verdict "maybe"`) {
		t.Errorf("unknown verdict: %v", err)
	}
}

// FuzzPathsHTMLNoMarkupInjection: whatever the entry workload is named,
// the page has exactly the markup of the same page with the plain name:
// every '<' of a name is escaped.
func FuzzPathsHTMLNoMarkupInjection(f *testing.F) {
	for _, s := range []string{"<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`, "</style>", "</svg><svg onload=x>", "]]><!--", "{{.}}"} {
		f.Add(s)
	}
	render := func(t *testing.T, s string) int {
		rep, behind, stores := pathsFixture(s)
		var b bytes.Buffer
		if err := risk.WritePathsHTML(&b, risk.BuildPaths(rep, behind, stores, s)); err != nil {
			t.Fatal(err)
		}
		return strings.Count(b.String(), "<")
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := render(t, s), render(t, "api"); got != want {
			t.Errorf("name %q adds %d '<' to the page", s, got-want)
		}
	})
}

var storeRectRe = regexp.MustCompile(`<g class="store"><title>[^<]*</title><rect x="\d+" y="\d+" width="(\d+)" height="(\d+)"`)

// TestPathsHTMLChromium renders the page in headless Chromium (as
// TestDemoHTMLChromium does for assess): the DOM the browser built has a
// card and a picture per path and no script element (the hostile store
// name stayed text), and the screenshot shows the pictures drawn at their
// size: the store boxes' fill (#e3f4e8, used nowhere else) covers at
// least half the area their rects declare, and the proven (#c62828) and
// conditional (#ef6c00) arrows are there.
func TestPathsHTMLChromium(t *testing.T) {
	htmltest.Chromium(t)
	pr := fixturePaths(t)
	page := filepath.Join(t.TempDir(), "paths.html")
	out := writePathsHTML(t, pr)
	if err := os.WriteFile(page, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := htmltest.DumpDOM(t, page)
	if n := strings.Count(dom, `<article class="path `); n != len(pr.Paths) {
		t.Errorf("the browser built %d path cards, want %d", n, len(pr.Paths))
	}
	if n := strings.Count(dom, `<svg class="pic"`); n != len(pr.Paths) {
		t.Errorf("the browser built %d path pictures, want %d", n, len(pr.Paths))
	}
	if strings.Contains(strings.ToLower(dom), "<script") || !strings.Contains(dom, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the browser parsed the hostile store name as markup")
	}
	img := htmltest.Screenshot(t, page, 1280, 3200)
	area := 0
	for _, m := range storeRectRe.FindAllStringSubmatch(out, -1) {
		w, _ := strconv.Atoi(m[1])
		h, _ := strconv.Atoi(m[2])
		area += w * h
	}
	if area == 0 {
		t.Fatal("no store box in the page")
	}
	colours, fill := htmltest.PixelStats(img, 0xe3f4e8)
	// PixelStats samples one pixel in four.
	if colours < 50 || fill < area/4/2 {
		t.Errorf("the pictures did not render: %d colours, %d store-fill samples for %d px² of store boxes (want ≥ %d)", colours, fill, area, area/4/2)
	}
	t.Logf("%d colours, %d store-fill samples for %d px² of store boxes", colours, fill, area)
	for _, c := range []uint32{0xc62828, 0xef6c00} {
		if _, n := htmltest.PixelStats(img, c); n == 0 {
			t.Errorf("no #%06x pixel: the proven or conditional arrows did not render", c)
		}
	}
}
