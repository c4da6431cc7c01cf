package exposure

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/exposure/netset"
	"github.com/sightline-sec/sightline/internal/textfit"
)

func TestDescribeSources(t *testing.T) {
	cases := []struct {
		set  netset.Set
		want string
	}{
		{netset.MustParse("0.0.0.0/0"), "the internet (IPv4)"},
		{netset.MustParse("0.0.0.0/0", "::/0"), "the internet (IPv4 and IPv6)"},
		{netset.MustParse("::/0"), "the internet (IPv6)"},
		{netset.InternetV4, "the internet (IPv4)"},
		{netset.MustParse("81.2.69.0/24"), "81.2.69.0/24"},
		{netset.MustParse("81.2.69.0/24", "89.160.20.128/25"), "81.2.69.0/24, 89.160.20.128/25"},
		{netset.MustParse("0.0.0.0/0").Subtract(netset.MustParse("81.2.69.0/24")), "the internet (IPv4) except 81.2.69.0/24"},
		{netset.MustParse("1.0.0.0/8", "3.0.0.0/8", "5.0.0.0/8", "7.0.0.0/8", "9.0.0.0/8"), "1.0.0.0/8, 3.0.0.0/8, 5.0.0.0/8 and 2 more"},
		{netset.MustParse("10.1.0.0/16"), "10.1.0.0/16"},
	}
	for _, c := range cases {
		if got := DescribeSources(c.set); got != c.want {
			t.Errorf("DescribeSources(%v) = %q, want %q", c.set, got, c.want)
		}
	}
}

// TestPeeredVPCSourcesWording is issue 7's case: the source set of the
// peered-vpc scenario is every address but one partner range, which the
// table cut off as 24 CIDRs; it reads as the internet except that range.
func TestPeeredVPCSourcesWording(t *testing.T) {
	rs := analyzeScenario(t, "peered-vpc")
	r := find(rs, expect{resource: "i-0pa0000000000001", proto: "tcp", port: 443})
	if r == nil || len(r.Sources) < 20 {
		t.Fatalf("result %+v", r)
	}
	if got := why(r); got != "from the internet (IPv4) except 81.2.69.0/24" {
		t.Errorf("why = %q", got)
	}
}

func TestShortID(t *testing.T) {
	cases := map[string]string{
		"arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/web-alb/50dc6c495c0c9188":  "alb/web-alb",
		"arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/net/edge-nlb/3dcb8f47d6e4b2a1": "nlb/edge-nlb",
		"arn:aws:ecs:eu-west-1:111122223333:task/prod/0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d":                  "task/prod/0a1b2c3d",
		"arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/app-tg/6d0ecf831eec9f09":        "targetgroup/app-tg/6d0ecf831eec9f09",
		"i-0app000000000001": "i-0app000000000001",
		"arn:broken":         "arn:broken",
	}
	for in, want := range cases {
		if got := ShortID(in); got != want {
			t.Errorf("ShortID(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTextFitsWidth: the table and every --why proof of every scenario fit
// 80 columns (issue 7: lines of 247), and narrower terminals too.
func TestTextFitsWidth(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join("..", "..", "testdata", "aws", "scenarios"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		rs := analyzeScenario(t, d.Name())
		for _, width := range []int{80, 60} {
			var buf bytes.Buffer
			if err := WriteTable(&buf, rs, true, width); err != nil {
				t.Fatal(err)
			}
			if err := WriteWhy(&buf, rs, width); err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(buf.String(), "\n") {
				n++
				if textfit.Len(l) > width {
					t.Errorf("%s width %d: line of %d: %q", d.Name(), width, textfit.Len(l), l)
				}
			}
		}
	}
	if n < 500 {
		t.Errorf("only %d lines checked", n)
	}
}

// TestWhyExplainsSampleAddress: proofs name one sample source address;
// the text says which and why.
func TestWhyExplainsSampleAddress(t *testing.T) {
	rs := analyzeScenario(t, "alb-private")
	r := find(rs, expect{resource: "i-0app000000000001", proto: "tcp", port: 8080, via: "web-alb"})
	if r == nil {
		t.Fatal("no result")
	}
	var buf bytes.Buffer
	WriteWhy(&buf, []Result{*r}, 80)
	out := buf.String()
	if !strings.Contains(out, "1.0.0.0, the lowest source address") || !strings.Contains(out, "sources: the internet (IPv4)") {
		t.Errorf("proof:\n%s", out)
	}
}

// TestTableShowsEveryMissingReason: the table lists all missing reasons
// (wrapped), not only the first.
func TestTableShowsEveryMissingReason(t *testing.T) {
	var b strings.Builder
	rs := []Result{{Resource: "i-1", Protocol: "tcp", ToPort: 65535, Verdict: Unknown,
		Missing: []string{"ec2/describe-vpcs.json missing from snap", "ec2/describe-network-acls.json missing from snap"}}}
	if err := WriteTable(&b, rs, false, 80); err != nil {
		t.Fatal(err)
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	for _, want := range []string{"describe-vpcs.json", "describe-network-acls.json"} {
		if !strings.Contains(out, want) {
			t.Fatalf("table lacks %q:\n%s", want, b.String())
		}
	}
}

// Results decoded from JSON carry Sources as CIDR strings only: several
// of them must read as the engine's set does (they were joined with ","
// and parsed as one CIDR, which failed, so the table showed a raw list).
func TestDescribeSourcesFromJSON(t *testing.T) {
	r := Result{Sources: []string{"0.0.0.0/1", "128.0.0.0/1", "::/0"}}
	if got, want := r.describeSources(), "the internet (IPv4 and IPv6)"; got != want {
		t.Errorf("describeSources(%v) = %q, want %q", r.Sources, got, want)
	}
}
