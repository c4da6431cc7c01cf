package suppress

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sightline-sec/sightline/internal/report/reporttest"
	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func fixture(t *testing.T) *scan.Result {
	t.Helper()
	r, err := reporttest.Fixture()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// keys lists "ID pkg" of findings, sorted, for comparisons.
func keys(fs []scan.Finding) []string {
	var k []string
	for _, f := range fs {
		k = append(k, f.ID+" "+f.Package.Name)
	}
	slices.Sort(k)
	return k
}

func TestIgnoreFileScopes(t *testing.T) {
	path := writeFile(t, ".sightline.yaml", `
ignore:
  # alias of GHSA-xvch-5gv4-984h
  - id: CVE-2021-44906
    reason: minimist only parses our own fixed argv
  # source package name: covers libc6 (Source: glibc)
  - id: cve-2019-1010022
    package: glibc
    reason: Debian rates it unimportant (ASLR bypass needs another bug)
    expires: 2026-11-27
  # PURL scope: ncurses-base only, libtinfo6 stays
  - id: CVE-2023-50495
    package: pkg:deb/debian/ncurses-base?distro=debian-12
    reason: terminfo data only
  # expired: lodash finding comes back, with a warning
  - id: GHSA-p6mc-m468-83gw
    package: lodash
    reason: waiting for upstream
    expires: 2025-01-31
  # scope that matches nothing in the image
  - id: GO-2021-0113
    package: pkg:golang/golang.org/x/net
    reason: wrong module on purpose
`)
	ig, err := LoadIgnoreFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res := fixture(t)
	warnings := Apply(res, Options{Ignore: ig, Now: now})
	want := []string{"CVE-2019-1010022 libc6", "CVE-2023-50495 ncurses-base", "GHSA-xvch-5gv4-984h minimist"}
	if got := keys(res.Suppressed); !slices.Equal(got, want) {
		t.Errorf("suppressed %v, want %v", got, want)
	}
	if len(res.Findings) != 8 {
		t.Errorf("%d findings left, want 8", len(res.Findings))
	}
	for _, f := range res.Suppressed {
		if f.Suppression == nil || f.Suppression.Kind != KindIgnore || !strings.HasPrefix(f.Suppression.Source, path+":") || f.Suppression.Reason == "" {
			t.Errorf("%s: suppression %+v", f.ID, f.Suppression)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "GHSA-p6mc-m468-83gw expired on 2025-01-31") ||
		!strings.Contains(warnings[0], path+":16") || !strings.Contains(warnings[0], "1 finding(s) back") {
		t.Errorf("warnings %q", warnings)
	}
	// The day after the inclusive expiry, glibc's entry stops suppressing.
	res = fixture(t)
	Apply(res, Options{Ignore: ig, Now: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)})
	if slices.Contains(keys(res.Suppressed), "CVE-2019-1010022 libc6") {
		t.Error("entry still suppresses after its expiry day")
	}
}

func TestIgnoreFileErrors(t *testing.T) {
	cases := map[string]struct{ content, want string }{
		"no reason":   {"ignore:\n  - id: CVE-2021-44906\n", "line 2: entry CVE-2021-44906 has no reason"},
		"bad date":    {"ignore:\n  - id: CVE-2021-44906\n    reason: x\n    expires: 31/12/2026\n", `expires "31/12/2026" is not a YYYY-MM-DD date`},
		"unknown key": {"ignore:\n  - id: CVE-2021-44906\n    reason: x\n    expire: 2026-12-31\n", `line 4: unknown key "expire" in an ignore entry (did you mean "expires"?)`},
		"no id":       {"ignore:\n  - reason: x\n", "entry has no id"},
		"not yaml":    {"ignore: [\n", "did not find expected"},
		"top key":     {"ignores:\n  - id: x\n", `line 1: unknown key "ignores" in the ignore file (did you mean "ignore"?)`},
		"twice":       {"ignore:\n  - id: x\n    reason: a\n    reason: b\n", `line 4: key "reason" given twice`},
		"list value":  {"ignore:\n  - id: [a, b]\n    reason: x\n", "line 2: id must be text"},
		"not a list":  {"ignore: CVE-1\n", "line 1: ignore must be a list"},
		"bad purl":    {"ignore:\n  - id: CVE-1\n    reason: x\n    package: 'pkg:'\n", `package "pkg:"`},
		"scalar":      {"ignore:\n  - CVE-2021-44906\n", "must be a mapping"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := writeFile(t, "ignore.yaml", c.content)
			_, err := LoadIgnoreFile(p)
			if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.want) ||
				strings.Contains(err.Error(), "IgnoreEntry") {
				t.Fatalf("error %v, want one naming %s and containing %q", err, p, c.want)
			}
		})
	}
	if _, err := LoadIgnoreFile(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestEmptyIgnoreFile(t *testing.T) {
	ig, err := LoadIgnoreFile(writeFile(t, "empty.yaml", "# nothing ignored yet\n"))
	if err != nil || len(ig.Entries) != 0 {
		t.Fatalf("%v %v", ig, err)
	}
}

func vexPath(name string) string { return filepath.Join(reporttest.Dir(), "vex", name) }

func TestVEX(t *testing.T) {
	v, err := LoadVEX(vexPath("fixture.openvex.json"))
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := LoadVEX(vexPath("legacy-v0.0.1.openvex.json"))
	if err != nil {
		t.Fatal(err)
	}
	res := fixture(t)
	Apply(res, Options{VEX: []*VEX{v, legacy}, Now: now})
	// lodash CVE-2021-23337: not_affected via alias and a versionless purl.
	// util-linux: not_affected through the image product's subcomponent.
	// x/text GO-2022-1059: fixed (legacy v0.0.1 document).
	// Not suppressed: under_investigation (GHSA-p6mc), and minimist whose
	// later "affected" statement overrides the earlier not_affected.
	want := []string{"CVE-2022-0563 util-linux", "GHSA-35jh-r3h4-6jhm lodash", "GO-2022-1059 golang.org/x/text"}
	if got := keys(res.Suppressed); !slices.Equal(got, want) {
		t.Fatalf("suppressed %v, want %v", got, want)
	}
	for _, f := range res.Suppressed {
		if f.Suppression.Kind != KindVEX || !strings.HasSuffix(f.Suppression.Source, ".openvex.json") {
			t.Errorf("%s: %+v", f.ID, f.Suppression)
		}
		if f.ID == "GHSA-35jh-r3h4-6jhm" && f.Suppression.Reason != "not_affected (vulnerable_code_not_in_execute_path): the app never calls _.template" {
			t.Errorf("reason %q", f.Suppression.Reason)
		}
	}
}

func TestVEXImageProductNeedsMatchingDigest(t *testing.T) {
	v, err := LoadVEX(vexPath("fixture.openvex.json"))
	if err != nil {
		t.Fatal(err)
	}
	res := fixture(t)
	res.Target.Digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	Apply(res, Options{VEX: []*VEX{v}, Now: now})
	if slices.Contains(keys(res.Suppressed), "CVE-2022-0563 util-linux") {
		t.Error("statement about another image digest suppressed a finding")
	}
}

// TestTargetIDsDropTransportPrefix: a VEX product names the image as
// registries do, never with our "registry:" input prefix.
func TestTargetIDsDropTransportPrefix(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	ids := targetIDs(scan.Target{Name: "registry:ghcr.io/org/app:1.4", Digest: d})
	want := []string{"registry:ghcr.io/org/app:1.4", "ghcr.io/org/app:1.4", d,
		"pkg:oci/app@sha256:" + strings.Repeat("ab", 32) + "?repository_url=ghcr.io%2Forg%2Fapp&tag=1.4"}
	if !slices.Equal(ids, want) {
		t.Errorf("targetIDs = %q, want %q", ids, want)
	}
}

func TestVEXErrors(t *testing.T) {
	cases := map[string]struct {
		path, want string
	}{
		"invalid statement": {vexPath("invalid-status.openvex.json"), "statement 1 (CVE-2021-23337): either justification or impact statement must be defined"},
		"not openvex":       {writeFile(t, "bom.json", `{"bomFormat":"CycloneDX","specVersion":"1.6"}`), "not an OpenVEX document"},
		"not json":          {writeFile(t, "x.json", `{"@context": `), "not JSON"},
		"bad status":        {writeFile(t, "s.json", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"status":"maybe"}]}`), `invalid status value "maybe"`},
		"missing":           {filepath.Join(t.TempDir(), "none.json"), "none.json"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := LoadVEX(c.path)
			if err == nil || !strings.Contains(err.Error(), c.path) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one naming %s and containing %q", err, c.path, c.want)
			}
		})
	}
}

func TestIgnoreUnfixed(t *testing.T) {
	res := fixture(t)
	Apply(res, Options{IgnoreUnfixed: true, Now: now})
	want := []string{"CVE-2019-1010022 libc6", "CVE-2022-0563 util-linux", "CVE-2023-44487 nginx", "CVE-2023-50495 libtinfo6", "CVE-2023-50495 ncurses-base"}
	if got := keys(res.Suppressed); !slices.Equal(got, want) {
		t.Fatalf("suppressed %v, want %v", got, want)
	}
	if res.Suppressed[0].Suppression.Kind != KindUnfixed {
		t.Errorf("kind %q", res.Suppressed[0].Suppression.Kind)
	}
}

// TestGate: counts read off the fixture's real records. Its two Go
// findings (GO-2021-0113, GO-2022-1059) carry no severity and no alias
// record is loaded: they count as --unknown-as (default critical) at
// every threshold, so --fail-on low no longer passes over them.
func TestGate(t *testing.T) {
	cases := []struct {
		gate          Gate
		ignoreUnfixed bool
		want          int
	}{
		{Gate{}, false, 0},
		{Gate{FailOn: "critical"}, false, 4}, // CVE-2019-1010022 9.8, GHSA-xvch 9.8, and the two GO findings
		{Gate{FailOn: "critical", FailOnFixable: true}, false, 3},
		{Gate{FailOn: "critical"}, true, 3},
		{Gate{FailOn: "high"}, false, 7}, // + CVE-2023-44487 nginx 7.5 and the lodash GHSAs
		{Gate{FailOn: "medium"}, false, 11},
		{Gate{FailOn: "low"}, false, 11}, // issue 7: the GO findings count
		{Gate{FailOn: "any"}, false, 11},
		{Gate{FailOnFixable: true}, false, 6},
		{Gate{FailOn: "high", FailOnFixable: true}, false, 5},
		{Gate{FailOn: "critical", UnknownAs: "none"}, false, 2},
		{Gate{FailOn: "low", UnknownAs: "none"}, false, 9},
		{Gate{FailOn: "any", UnknownAs: "none"}, false, 11}, // any is any
		{Gate{FailOn: "high", UnknownAs: "medium"}, false, 5},
		{Gate{FailOn: "medium", UnknownAs: "medium"}, false, 11},
	}
	for _, c := range cases {
		res := fixture(t)
		Apply(res, Options{IgnoreUnfixed: c.ignoreUnfixed, Now: now})
		hit, msg := c.gate.Check(res.Findings)
		if len(hit) != c.want || (c.want > 0) != (msg != "") {
			t.Errorf("%+v unfixed=%v: %d hit (%q), want %d", c.gate, c.ignoreUnfixed, len(hit), msg, c.want)
		}
	}
	_, msg := Gate{FailOn: "critical", FailOnFixable: true, UnknownAs: "none"}.Check(fixture(t).Findings)
	if msg != "1 fixable finding(s) at or above critical: GHSA-xvch-5gv4-984h (minimist)" {
		t.Errorf("message %q", msg)
	}
	_, msg = Gate{FailOn: "high"}.Check(fixture(t).Findings)
	if !strings.Contains(msg, "2 of unknown severity, counted as critical") {
		t.Errorf("message %q does not say unknown severities were counted", msg)
	}
	for _, bad := range []Gate{{FailOn: "severe"}, {FailOn: "high", UnknownAs: "bogus"}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestGateCoverage: a gate never passes silently over what the scan could
// not check.
func TestGateCoverage(t *testing.T) {
	complete := &scan.Coverage{DB: "ok", Packages: 3, Checked: 3}
	unchecked := &scan.Coverage{DB: "ok", Packages: 14, Checked: 0, Unchecked: 14, Ecosystems: []scan.EcosystemCoverage{
		{Ecosystem: "Alpine:v3.10", Packages: 14, Unchecked: map[string]int{scan.UncheckedNotLoaded: 14}}}}
	layer := 0
	skipped := &scan.Coverage{DB: "ok", Packages: 1, Checked: 1,
		SkippedFiles: []scan.SkippedFile{{Path: "/var/lib/dpkg/status", Layer: &layer, Reason: scan.SkipTooLarge}}}
	noDB := &scan.Coverage{DB: "none", Packages: 0}
	cases := []struct {
		gate     Gate
		cov      *scan.Coverage
		fail     bool
		contains string
	}{
		{Gate{}, unchecked, false, ""},
		{Gate{FailOn: "any"}, complete, false, ""},
		{Gate{FailOn: "any"}, unchecked, true, "14 of 14 packages not checked (Alpine:v3.10: 14 no records in the database)"},
		{Gate{FailOnFixable: true}, skipped, true, "1 file skipped (/var/lib/dpkg/status: too_large)"},
		{Gate{FailOn: "critical"}, noDB, true, "no advisory database"},
		{Gate{FailOn: "any", AllowUnchecked: true}, unchecked, false, "--allow-unchecked"},
	}
	for _, c := range cases {
		fail, msg := c.gate.CheckCoverage(c.cov)
		if fail != c.fail || !strings.Contains(msg, c.contains) || (c.contains == "") != (msg == "") {
			t.Errorf("%+v on %+v: fail=%v %q; want fail=%v containing %q", c.gate, c.cov, fail, msg, c.fail, c.contains)
		}
	}
}

func TestIgnoreEntryObjectForCheck(t *testing.T) {
	ig, err := ParseIgnore([]byte(`ignore:
  - id: SL-K8S-002
    object: "prod/Deployment/*"
    reason: tokens are needed by the operator
  - id: sl-df-001
    reason: base image runs as root by design
`))
	if err != nil {
		t.Fatal(err)
	}
	scoped, all := ig.Entries[0], ig.Entries[1]
	if !scoped.MatchesCheck("SL-K8S-002", "prod/Deployment/web", "k8s/web.yaml", "") ||
		scoped.MatchesCheck("SL-K8S-002", "dev/Deployment/web", "k8s/web.yaml", "") ||
		scoped.MatchesCheck("SL-K8S-003", "prod/Deployment/web", "", "") {
		t.Error("object-scoped entry matched wrongly")
	}
	if !all.MatchesCheck("SL-DF-001", "images/api/Dockerfile", "images/api/Dockerfile", "") {
		t.Error("rule IDs match case-insensitively, as advisory ids do")
	}
	// A check entry never suppresses a scan finding of the same id.
	if scoped.matches(&scan.Finding{Vulnerability: vulndb.Vulnerability{ID: "SL-K8S-002"}}, nil) {
		t.Error("object entry suppressed a scan finding")
	}
	for _, bad := range []string{
		"ignore:\n  - id: X\n    object: \"[\"\n    reason: r\n",
		"ignore:\n  - id: X\n    object: a\n    package: b\n    reason: r\n",
	} {
		if _, err := ParseIgnore([]byte(bad)); err == nil || !strings.Contains(err.Error(), "line 2: entry X") {
			t.Errorf("%q: error %v", bad, err)
		}
	}
}
