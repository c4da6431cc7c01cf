package dockerfile

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/check/rules"
)

const (
	md = "testdata/real/microservices-demo/src/"
	hw = "testdata/handwritten/"
	cg = "testdata/real/cloudgoat/aws/ecs_privesc_evade_protection/assets/ssrf-web/Dockerfile"
)

// ruleCases: for each built-in Dockerfile rule, files and the exact lines
// of its findings there (none = a negative case). Every rule has a
// positive and a negative case; real files are used wherever the data set
// has the pattern (testdata/PROVENANCE.md), hand-written ones otherwise.
var ruleCases = []struct {
	rule, file string
	lines      []int
}{
	// 4.1 non-root USER
	{"SL-DF-001", "testdata/real/python/3.14/slim-trixie/Dockerfile", []int{7}}, // no USER: the final FROM
	{"SL-DF-001", md + "emailservice/Dockerfile", []int{33}},
	{"SL-DF-001", hw + "insecure.Dockerfile", []int{17}},  // USER root
	{"SL-DF-001", md + "cartservice/src/Dockerfile", nil}, // USER 1000
	{"SL-DF-001", hw + "secure.Dockerfile", nil},          // USER inherited from stage base
	// 4.6 HEALTHCHECK
	{"SL-DF-002", md + "checkoutservice/Dockerfile", []int{33}},
	{"SL-DF-002", hw + "insecure.Dockerfile", []int{16}}, // HEALTHCHECK NONE
	{"SL-DF-002", hw + "secure.Dockerfile", nil},
	// 4.7 update alone
	{"SL-DF-003", hw + "insecure.Dockerfile", []int{5, 12}},
	{"SL-DF-003", md + "emailservice/Dockerfile", nil}, // apk update && apk add
	{"SL-DF-003", "testdata/real/python/3.14/slim-trixie/Dockerfile", nil},
	{"SL-DF-003", "testdata/real/docker-nginx/mainline/debian/Dockerfile", nil},
	// 4.9 COPY instead of ADD
	{"SL-DF-004", hw + "insecure.Dockerfile", []int{7}}, // not the URL, not the tar archive
	{"SL-DF-004", md + "adservice/Dockerfile", nil},
	{"SL-DF-005", hw + "insecure.Dockerfile", []int{8}}, // not the one with --checksum
	{"SL-DF-005", md + "adservice/Dockerfile", nil},
	{"SL-DF-015", hw + "insecure.Dockerfile", []int{10}}, // ADD vendor.tar.gz, not the remote .tar.gz
	{"SL-DF-015", md + "adservice/Dockerfile", nil},
	// 4.10 secrets
	{"SL-DF-006", hw + "insecure.Dockerfile", []int{3, 4}},                   // not API_KEY=$VAR
	{"SL-DF-006", "testdata/real/python/3.13/slim-bookworm/Dockerfile", nil}, // ENV GPG_KEY <fingerprint>
	{"SL-DF-006", hw + "secure.Dockerfile", nil},                             // ARG NPM_TOKEN without value
	{"SL-DF-006", hw + "secret-file.Dockerfile", []int{6}},                   // *_FILE=/path is a path; API_TOKEN_FILE=hunter2 is not
	// pinned base image
	{"SL-DF-007", md + "checkoutservice/Dockerfile", []int{33}}, // gcr.io/distroless/static
	{"SL-DF-007", hw + "insecure.Dockerfile", []int{2}},         // ubuntu:latest
	{"SL-DF-007", md + "adservice/Dockerfile", nil},
	{"SL-DF-007", "testdata/real/python/3.14/slim-trixie/Dockerfile", nil},
	{"SL-DF-008", "testdata/real/python/3.14/slim-trixie/Dockerfile", []int{7}},
	{"SL-DF-008", "testdata/real/docker-nginx/modules/Dockerfile.alpine", []int{2, 64}}, // FROM ${NGINX_FROM_IMAGE}
	{"SL-DF-008", md + "adservice/Dockerfile", nil},
	{"SL-DF-008", md + "emailservice/Dockerfile", nil}, // FROM base: the digest-pinned stage
	// sudo
	{"SL-DF-009", hw + "insecure.Dockerfile", []int{11}},
	{"SL-DF-009", hw + "heredoc.Dockerfile", []int{12}}, // exec form ["/bin/sh", "-c", "sudo …"]
	{"SL-DF-009", "testdata/real/docker-node/24/bookworm-slim/Dockerfile", nil},
	// package-manager cache hygiene (final image only)
	{"SL-DF-010", md + "cartservice/src/Dockerfile.debug", []int{27}},
	{"SL-DF-010", hw + "insecure.Dockerfile", []int{6}},
	{"SL-DF-010", "testdata/real/python/3.14/slim-trixie/Dockerfile", nil},
	{"SL-DF-010", md + "shoppingassistantservice/Dockerfile", nil},
	{"SL-DF-011", md + "cartservice/src/Dockerfile.debug", []int{27}},
	{"SL-DF-011", "testdata/real/python/3.14/slim-trixie/Dockerfile", nil},      // apt-get dist-clean
	{"SL-DF-011", "testdata/real/docker-nginx/mainline/debian/Dockerfile", nil}, // rm -rf /var/lib/apt/lists/*
	{"SL-DF-011", "testdata/real/docker-nginx/modules/Dockerfile", nil},         // rm -rf /var/lib/apt/lists/
	{"SL-DF-011", hw + "secure.Dockerfile", nil},                                // cache mount
	{"SL-DF-012", hw + "insecure.Dockerfile", []int{13}},
	{"SL-DF-012", hw + "heredoc.Dockerfile", []int{12, 13}},
	{"SL-DF-012", "testdata/real/docker-nginx/modules/Dockerfile.alpine", nil}, // apk add without --no-cache only in the builder stage
	{"SL-DF-012", md + "currencyservice/Dockerfile", nil},
	{"SL-DF-012", cg, nil}, // apk --no-cache add
	{"SL-DF-012", "testdata/real/python/3.14/alpine3.24/Dockerfile", nil},
	{"SL-DF-013", cg, []int{3}},                          // pip3 install awscli
	{"SL-DF-013", hw + "insecure.Dockerfile", []int{14}}, // not python3 -m pip … --no-cache-dir
	{"SL-DF-013", md + "emailservice/Dockerfile", nil},   // pip install only in the builder stage
	{"SL-DF-013", hw + "secure.Dockerfile", nil},         // ENV PIP_NO_CACHE_DIR=1
	{"SL-DF-016", hw + "rhel.Dockerfile", []int{3, 6}},   // not dnf … && dnf clean all, not the cache mount
	{"SL-DF-016", "testdata/real/python/3.14/slim-trixie/Dockerfile", nil},
	// curl | sh
	{"SL-DF-014", hw + "insecure.Dockerfile", []int{11}},
	{"SL-DF-014", hw + "heredoc.Dockerfile", []int{3, 15}},
	{"SL-DF-014", hw + "secure.Dockerfile", nil},                                // download, verify, run
	{"SL-DF-014", "testdata/real/docker-node/24/bookworm-slim/Dockerfile", nil}, // curl, then gpg/sha256sum
	{"SL-DF-014", "testdata/real/docker-nginx/mainline/alpine/Dockerfile", nil},
}

func loadRules(t testing.TB) *rules.Set {
	t.Helper()
	rs, err := rules.Load(context.Background(), rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestBuiltinRules(t *testing.T) {
	rs := loadRules(t)
	files := map[string]bool{}
	for _, c := range ruleCases {
		files[c.file] = true
	}
	paths := make([]string, 0, len(files))
	for f := range files {
		paths = append(paths, f)
	}
	set, err := Read(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Objects) != len(paths) {
		t.Fatalf("read %d of %d files: %v", len(set.Objects), len(paths), set.Gaps)
	}
	res := rs.Evaluate(context.Background(), set)
	if len(res.Unknown) != 0 || len(res.Gaps) != 0 {
		t.Errorf("unknown %v gaps %v", res.Unknown, res.Gaps)
	}
	got := map[[2]string][]int{}
	for _, f := range res.Findings {
		if f.Input != check.InputDockerfile || f.Type != "Dockerfile" || f.Standard == "" || f.Remediation == "" || f.Message == "" {
			t.Errorf("finding fields: %+v", f)
		}
		k := [2]string{f.RuleID, f.Location.File}
		got[k] = append(got[k], f.Location.Line)
	}
	positive, negative := map[string]bool{}, map[string]bool{}
	for _, c := range ruleCases {
		lines := got[[2]string{c.rule, c.file}]
		slices.Sort(lines)
		if !slices.Equal(lines, c.lines) {
			t.Errorf("%s on %s: lines %v, want %v", c.rule, c.file, lines, c.lines)
		}
		if len(c.lines) > 0 {
			positive[c.rule] = true
		} else {
			negative[c.rule] = true
		}
	}
	for _, r := range rs.Rules() {
		if !slices.Contains(r.Inputs, check.InputDockerfile) {
			continue
		}
		if !positive[r.ID] || !negative[r.ID] {
			t.Errorf("rule %s lacks a positive (%v) or negative (%v) case", r.ID, positive[r.ID], negative[r.ID])
		}
	}
}

// Inline suppressions reach the engine: the findings the comments name are
// suppressed with their reason; a comment without a reason is not
// honoured and is warned about.
func TestInlineSuppression(t *testing.T) {
	set, err := Read(context.Background(), []string{filepath.Join(hw, "ignore.Dockerfile")})
	if err != nil {
		t.Fatal(err)
	}
	res := loadRules(t).Evaluate(context.Background(), set)
	sup := map[string]int{}
	for _, f := range res.Suppressed {
		sup[f.RuleID] = f.Location.Line
	}
	if sup["SL-DF-012"] != 4 || sup["SL-DF-009"] != 8 || len(sup) != 2 {
		t.Errorf("suppressed %v", sup)
	}
	for _, f := range res.Findings {
		if f.RuleID == "SL-DF-012" || f.RuleID == "SL-DF-009" {
			t.Errorf("not suppressed: %+v", f)
		}
	}
	// A comment covers the instruction below it, not the whole file: the
	// same rule on another instruction still reports.
	dir := t.TempDir()
	two := filepath.Join(dir, "Dockerfile")
	src := "FROM alpine:3.20\n# sightline:ignore SL-DF-012 the index is needed here\nRUN apk add git\nRUN apk add curl\nUSER 1000\n"
	if err := os.WriteFile(two, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	set2, err := Read(context.Background(), []string{two})
	if err != nil {
		t.Fatal(err)
	}
	res2 := loadRules(t).Evaluate(context.Background(), set2)
	var left, hidden []int
	for _, f := range res2.Findings {
		if f.RuleID == "SL-DF-012" {
			left = append(left, f.Location.Line)
		}
	}
	for _, f := range res2.Suppressed {
		hidden = append(hidden, f.Location.Line)
	}
	if !slices.Equal(left, []int{4}) || !slices.Equal(hidden, []int{3}) {
		t.Errorf("SL-DF-012 reported at %v, suppressed at %v; want 4 and 3", left, hidden)
	}
	// the ignore without a reason does not suppress SL-DF-001
	if !slices.ContainsFunc(res.Findings, func(f rules.Finding) bool { return f.RuleID == "SL-DF-001" }) || len(res.Warnings) != 1 {
		t.Errorf("reasonless ignore: findings %v warnings %v", res.Findings, res.Warnings)
	}
}

// Rules that read an unknown base image (FROM $ARG without a default) give
// an unknown result naming the path, never a pass or a guess; rules that
// do not read it still decide.
func TestRulesOnUnknownBase(t *testing.T) {
	src := "# hand-written\nARG IMAGE\nFROM ${IMAGE}\nRUN sudo true\n"
	obj, gaps, err := Parse("x/Dockerfile", []byte(src))
	if err != nil || len(gaps) != 0 {
		t.Fatal(err, gaps)
	}
	res := loadRules(t).Evaluate(context.Background(), check.Set{Objects: []check.Object{obj}})
	unknown := map[string][]string{}
	for _, u := range res.Unknown {
		unknown[u.RuleID] = u.Paths
	}
	for _, id := range []string{"SL-DF-001", "SL-DF-002", "SL-DF-007", "SL-DF-008"} {
		if len(unknown[id]) == 0 {
			t.Errorf("%s: not unknown (unknown: %v)", id, unknown)
		}
	}
	var found []string
	for _, f := range res.Findings {
		found = append(found, f.RuleID)
	}
	if !slices.Equal(found, []string{"SL-DF-009"}) {
		t.Errorf("findings %v, want only SL-DF-009 (sudo)", found)
	}
}

// An inline ignore covers the next instruction only: a second instruction
// breaking the same rule further down is still a finding (the engine used
// to suppress every finding of the rule in the Dockerfile).
func TestInlineSuppressionNextInstructionOnly(t *testing.T) {
	p := filepath.Join(t.TempDir(), "Dockerfile")
	src := "FROM alpine:3.20\n# sightline:ignore SL-DF-012 the index is read by the entrypoint\nRUN apk add git\nRUN apk add \\\n    curl\n"
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := Read(context.Background(), []string{p})
	if err != nil {
		t.Fatal(err)
	}
	res := loadRules(t).Evaluate(context.Background(), set)
	var sup, found []int
	for _, f := range res.Suppressed {
		if f.RuleID == "SL-DF-012" {
			sup = append(sup, f.Location.Line)
		}
	}
	for _, f := range res.Findings {
		if f.RuleID == "SL-DF-012" {
			found = append(found, f.Location.Line)
		}
	}
	if !slices.Equal(sup, []int{3}) || !slices.Equal(found, []int{4}) {
		t.Errorf("SL-DF-012 suppressed at %v, found at %v; want suppressed [3], found [4]", sup, found)
	}
}

// A gap's reason does not repeat "not checked:": the table lists gaps under
// "Not checked" and SARIF prefixes its notifications with it, which gave
// "not checked: not checked: unterminated heredoc".
func TestGapReasonHasNoPrefix(t *testing.T) {
	p := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(p, []byte("FROM alpine\nRUN <<EOF\necho hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := Read(context.Background(), []string{p})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Gaps) != 1 || set.Gaps[0].Location.Line != 2 || strings.HasPrefix(set.Gaps[0].Reason, "not checked") {
		t.Errorf("gaps %+v", set.Gaps)
	}
}
