package textfit

import (
	"bytes"
	"strings"
	"testing"
)

func TestWrapNeverExceedsWidth(t *testing.T) {
	s := "missing: ec2 describe-network-acls in 111122223333/eu-west-1 not collected (gap in manifest.json): " +
		"UnauthorizedOperation: https://example.invalid/a/very/long/url/that/has/no/spaces/at/all/and/keeps/going"
	for _, w := range []int{1, 5, 20, 33, 80} {
		lines := Wrap(s, w)
		if len(lines) == 0 {
			t.Fatalf("width %d: no lines", w)
		}
		if got := strings.Join(strings.Fields(strings.Join(lines, " ")), " "); strings.ReplaceAll(got, " ", "") != strings.ReplaceAll(s, " ", "") {
			t.Errorf("width %d: text changed:\n%q", w, got)
		}
		for _, l := range lines {
			if Len(l) > w {
				t.Errorf("width %d: line %q is %d long", w, l, Len(l))
			}
		}
	}
	if got := Wrap("  ", 10); got != nil {
		t.Errorf("blank text: %q", got)
	}
}

// TestWrapSplitsIdentifiersBetweenParts: a long identifier is cut after a
// separator, not inside a part (the assess table showed
// "nlb/k8s-shop-web-7f3e9a1c2" / "b;").
func TestWrapSplitsIdentifiersBetweenParts(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width int
		want  string
	}{
		{"tcp/8080 via nlb/k8s-shop-web-7f3e9a1c2b; 2 workload(s)", 26, "tcp/8080 via|nlb/k8s-shop-web-|7f3e9a1c2b; 2 workload(s)"},
		// No separator in the second half of the line: cut at width.
		{"abcdefghij-klmnopqrstuvwxyz", 8, "abcdefgh|ij-klmno|pqrstuvw|xyz"},
	} {
		if got := strings.Join(Wrap(tc.in, tc.width), "|"); got != tc.want {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}

func TestCut(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
		mid  string
	}{
		{"abcdef", 10, "abcdef", "abcdef"},
		{"abcdef", 4, "abc…", "a…ef"},
		{"abcdef", 1, "…", "…"},
		{"abcdef", 0, "", ""},
	}
	for _, c := range cases {
		if got := Cut(c.in, c.n); got != c.want {
			t.Errorf("Cut(%q,%d)=%q want %q", c.in, c.n, got, c.want)
		}
		if got := CutMiddle(c.in, c.n); got != c.mid {
			t.Errorf("CutMiddle(%q,%d)=%q want %q", c.in, c.n, got, c.mid)
		}
	}
}

func TestTableFitsWidth(t *testing.T) {
	arn := "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/web-alb/50dc6c495c0c9188"
	tb := Table{Header: []string{"RESOURCE", "TYPE", "PORTS", "VERDICT", "WHY"}}
	tb.Add(arn, "elbv2_application", "tcp/443", "exposed", "the internet (IPv4)")
	tb.Add("i-0web000000000001", "ec2_instance", "tcp/0-65535", "unknown",
		"missing: ec2 describe-network-acls in 111122223333/eu-west-1 not collected (gap in manifest.json): UnauthorizedOperation: You are not authorized to perform this operation.")
	for _, w := range []int{40, 60, 80, 120} {
		tb.Width = w
		var buf bytes.Buffer
		if err := tb.Write(&buf); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
			if Len(l) > w {
				t.Errorf("width %d: line of %d: %q", w, Len(l), l)
			}
		}
		if !strings.Contains(buf.String(), "perform") {
			t.Errorf("width %d: wrapped text lost:\n%s", w, buf.String())
		}
	}
	// Wide enough: nothing is shortened.
	tb.Width = 200
	var buf bytes.Buffer
	tb.Write(&buf)
	if !strings.Contains(buf.String(), arn) {
		t.Errorf("width 200 shortened the ARN:\n%s", buf.String())
	}
}

func TestHang(t *testing.T) {
	prefix := "  CRITICAL  9.8  GHSA-xvch-5gv4-984h  "
	text := "fixed in 1.2.6, 1.3.0-rc.1, 2.0.0-alpha.1+build.5, 3.0.0 [KEV, EPSS 97.5%] " + strings.Repeat("x", 70)
	for _, w := range []int{40, 60, 80} {
		lines := Hang(prefix, text, 19, w)
		if !strings.HasPrefix(lines[0], prefix) {
			t.Errorf("width %d: first line %q", w, lines[0])
		}
		for i, l := range lines {
			if Len(l) > w {
				t.Errorf("width %d: line %d of %d: %q", w, i, Len(l), l)
			}
			if i > 0 && !strings.HasPrefix(l, strings.Repeat(" ", 19)) {
				t.Errorf("width %d: continuation %q not indented", w, l)
			}
		}
		if got := strings.ReplaceAll(strings.Join(lines, ""), " ", ""); got != strings.ReplaceAll(prefix+text, " ", "") {
			t.Errorf("width %d: text changed: %q", w, got)
		}
	}
}

// FuzzHang: any prefix, text, indent and width terminate, keep every
// non-space character, and give lines no longer than width unless the
// prefix itself is longer.
func FuzzHang(f *testing.F) {
	f.Add("  HIGH  ", "fixed in 1.2.3, 4.5.6 [KEV]", 4, 20)
	f.Add("", "x", 0, 1)
	f.Add("abc", "aaaaaaaaaaaaaaaaaaaaaaaa b", 30, 5)
	f.Fuzz(func(t *testing.T, prefix, text string, cont, width int) {
		if cont < 0 || cont > 200 || width < -5 || width > 300 || len(text) > 2000 || len(prefix) > 200 {
			return
		}
		lines := Hang(prefix, text, cont, width)
		w := max(width, 1)
		for i, l := range lines {
			if Len(l) > w && !(i == 0 && Len(prefix) >= w) {
				t.Fatalf("line %d of %d > %d: %q", i, Len(l), w, l)
			}
		}
		// Invalid UTF-8 may come back as U+FFFD where a word was split.
		valid := func(s string) string { return strings.Join(strings.Fields(string([]rune(s))), "") }
		if a, b := valid(strings.Join(lines, "")), valid(prefix+text); a != b {
			t.Fatalf("text changed: %q vs %q", a, b)
		}
	})
}

func TestCutLeft(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"us-central1-docker.pkg.dev/google-samples/microservices-demo/adservice:v0.10.6", 19, "…/adservice:v0.10.6"},
		{"short", 5, "short"},
		{"abcdef", 1, "…"},
		{"abcdef", 0, ""},
	} {
		if got := CutLeft(c.s, c.n); got != c.want || Len(got) > max(c.n, 0) {
			t.Errorf("CutLeft(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}

func TestTableCutPerColumn(t *testing.T) {
	tb := Table{Header: []string{"IMAGE", "WHY"}, Width: 30, MinLast: 10, Cut: map[int]func(string, int) string{0: CutLeft}}
	tb.Add("registry.example.com/team/adservice:v1", "x")
	var b strings.Builder
	if err := tb.Write(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "…team/adservice:v1  x") {
		t.Errorf("the image's tail is not kept:\n%s", b.String())
	}
}

// TestVisible: control characters, ANSI escapes, newlines and bidi
// overrides from input never reach the terminal raw, in table cells,
// wrapped text or hanging lines.
func TestVisible(t *testing.T) {
	evil := "GHSA-\x1b[2J\x1b[31mEVIL\nX\u202e\x7f\u0085"
	want := `GHSA-\x1b[2J\x1b[31mEVIL\x0aX\u202e\x7f\x85`
	if got := Visible(evil); got != want {
		t.Errorf("Visible = %q, want %q", got, want)
	}
	if Visible("plain — text…") != "plain — text…" {
		t.Error("Visible changed printable text")
	}
	var b strings.Builder
	tb := Table{Header: []string{"ID", "WHY"}, Width: 200}
	tb.Add(evil, "why\x1b[0m")
	if err := tb.Write(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String() + strings.Join(Hang("- ", "a "+evil, 2, 200), "\n") + strings.Join(Wrap("b "+evil, 200), "\n")
	if strings.ContainsFunc(strings.ReplaceAll(out, "\n", ""), invisible) || strings.Count(b.String(), "\n") != 2 {
		t.Errorf("raw control characters or extra lines in output:\n%q", out)
	}
	if !strings.Contains(b.String(), want) || !strings.Contains(out, `GHSA-\x1b[2J\x1b[31mEVIL`) {
		t.Errorf("escapes not shown:\n%q", out)
	}
}
