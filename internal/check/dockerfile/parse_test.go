package dockerfile

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/sightline-sec/sightline/internal/check"
)

func parseFile(t *testing.T, path string) (check.Object, []check.Gap) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	obj, gaps, err := Parse(path, src)
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	return obj, gaps
}

func realFiles(t testing.TB) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir("testdata/real", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "Dockerfile") {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 20 {
		t.Fatalf("found %d real Dockerfiles in testdata, want ≥ 20", len(out))
	}
	return out
}

// Every real Dockerfile parses; each instruction has its line in Lines and
// in Data; only the Windows one (powershell SHELL) has a gap.
func TestParseRealDockerfiles(t *testing.T) {
	for _, p := range realFiles(t) {
		obj, gaps := parseFile(t, p)
		if obj.Input != check.InputDockerfile || obj.Type != "Dockerfile" || obj.Name != p || obj.Location.File != p {
			t.Errorf("%s: object header %v %q %q %v", p, obj.Input, obj.Type, obj.Name, obj.Location)
		}
		ins := obj.Data["instructions"].([]any)
		if len(ins) == 0 {
			t.Fatalf("%s: no instructions", p)
		}
		for i, in := range ins {
			m := in.(map[string]any)
			key := "instructions[" + itoa(i) + "]"
			if int64(obj.Lines[key]) != m["line"].(int64) || m["line"].(int64) < 1 || m["end_line"].(int64) < m["line"].(int64) {
				t.Errorf("%s: %s line %v, Lines %d, end %v", p, key, m["line"], obj.Lines[key], m["end_line"])
			}
		}
		windows := strings.Contains(p, "windows")
		if windows != (len(gaps) == 1) || len(gaps) > 1 {
			t.Errorf("%s: gaps %v", p, gaps)
		}
		if windows && !strings.Contains(gaps[0].Reason, "non-POSIX") {
			t.Errorf("%s: escape %q gap %v", p, obj.Data["escape"], gaps)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestStagesOfMultiStageBuild(t *testing.T) {
	obj, _ := parseFile(t, "testdata/real/microservices-demo/src/emailservice/Dockerfile")
	stages := obj.Data["stages"].([]any)
	want := []struct {
		name, kind string
		baseStage  int64
		line       int64
	}{{"base", "image", -1, 18}, {"builder", "stage", 0, 20}, {"", "stage", 0, 33}}
	if len(stages) != len(want) {
		t.Fatalf("%d stages, want %d", len(stages), len(want))
	}
	for i, w := range want {
		s := stages[i].(map[string]any)
		if s["name"] != w.name || s["base_kind"] != w.kind || s["base_stage"] != w.baseStage || s["line"] != w.line {
			t.Errorf("stage %d: %v %v %v %v, want %+v", i, s["name"], s["base_kind"], s["base_stage"], s["line"], w)
		}
	}
	parts := stages[0].(map[string]any)["base_parts"].(map[string]any)
	wantParts := map[string]any{"registry": "docker.io", "repository": "library/python", "tag": "3.14.6-alpine",
		"digest": "sha256:26730869004e2b9c4b9ad09cab8625e81d256d1ce97e72df5520e806b1709f92"}
	if !reflect.DeepEqual(parts, wantParts) {
		t.Errorf("base_parts %v", parts)
	}
	if got := stages[0].(map[string]any)["platform"]; got != "$BUILDPLATFORM" {
		t.Errorf("platform %v", got)
	}
	v := obj.Vars
	if !reflect.DeepEqual(v["final_chain"], []any{int64(2), int64(0)}) || v["final_user"] != "" || v["final_healthcheck"] != "" {
		t.Errorf("vars %v %q %q", v["final_chain"], v["final_user"], v["final_healthcheck"])
	}
	if stages[1].(map[string]any)["in_final_image"] != false || stages[0].(map[string]any)["in_final_image"] != true {
		t.Error("in_final_image wrong")
	}
	if obj.Lines["stages[2]"] != 33 || obj.Lines["stages[2].base"] != 33 {
		t.Errorf("stage lines %v", obj.Lines)
	}
}

func TestFinalUser(t *testing.T) {
	obj, _ := parseFile(t, "testdata/real/microservices-demo/src/cartservice/src/Dockerfile")
	v := obj.Vars
	if v["final_user"] != "1000" || v["final_user_line"] != int64(43) || v["final_user_root"] != false {
		t.Errorf("final user %v line %v root %v", v["final_user"], v["final_user_line"], v["final_user_root"])
	}
	idx := v["final_user_index"].(int64)
	in := obj.Data["instructions"].([]any)[idx].(map[string]any)
	if in["cmd"] != "user" || in["line"] != int64(43) {
		t.Errorf("final_user_index points at %v", in)
	}
	// USER and HEALTHCHECK are inherited through FROM <stage>.
	obj, _ = parseFile(t, "testdata/handwritten/secure.Dockerfile")
	if obj.Vars["final_user"] != "app" || obj.Vars["final_user_stage"] != int64(0) || obj.Vars["final_healthcheck"] != "cmd" {
		t.Errorf("inherited user %v stage %v health %v", obj.Vars["final_user"], obj.Vars["final_user_stage"], obj.Vars["final_healthcheck"])
	}
	obj, _ = parseFile(t, "testdata/handwritten/insecure.Dockerfile")
	st := obj.Data["stages"].([]any)[0].(map[string]any)
	if st["user"] != "root" || st["healthcheck"] != "none" || obj.Vars["final_user"] != "root" || obj.Vars["final_user_root"] != true ||
		obj.Vars["final_healthcheck_index"] != int64(14) {
		t.Errorf("insecure: stage user %v health %v final %v %v %v", st["user"], st["healthcheck"],
			obj.Vars["final_user"], obj.Vars["final_user_root"], obj.Vars["final_healthcheck_index"])
	}
}

// FROM ${ARG} is expanded with the global ARG defaults, as BuildKit does.
func TestBaseFromGlobalArg(t *testing.T) {
	obj, gaps := parseFile(t, "testdata/real/docker-nginx/modules/Dockerfile.alpine")
	if len(gaps) != 0 || len(obj.Unknown) != 0 {
		t.Fatalf("gaps %v unknown %v", gaps, obj.Unknown)
	}
	for _, s := range obj.Data["stages"].([]any) {
		m := s.(map[string]any)
		if m["base"] != "${NGINX_FROM_IMAGE}" || m["base_expanded"] != "nginx:mainline-alpine" || m["base_kind"] != "image" {
			t.Errorf("stage %v: %v → %v (%v)", m["index"], m["base"], m["base_expanded"], m["base_kind"])
		}
	}
}

// A base image that depends on an ARG without a default is unknown: paths
// in Object.Unknown (the base, and the final USER/HEALTHCHECK it could
// set), never a guess. An invalid reference is also a Gap at the FROM.
func TestUnknownBase(t *testing.T) {
	src := "# hand-written\nARG IMAGE\nFROM ${IMAGE}:1.0\nRUN true\n"
	obj, gaps, err := Parse("x/Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"stages[0].base_parts", "stages[0].base_kind", "vars.final_user", "vars.final_healthcheck"} {
		if !slices.Contains(obj.Unknown, p) {
			t.Errorf("unknown %v lacks %s", obj.Unknown, p)
		}
	}
	if len(gaps) != 0 {
		t.Errorf("gaps %v", gaps)
	}
	if k := obj.Data["stages"].([]any)[0].(map[string]any)["base_kind"]; k != "unknown" {
		t.Errorf("base_kind %v", k)
	}
	// A USER in the final stage is known whatever the base.
	obj, _, err = Parse("x/Dockerfile", []byte("ARG IMAGE\nFROM $IMAGE\nUSER 1000\n"))
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(obj.Unknown, "vars.final_user") || obj.Vars["final_user"] != "1000" {
		t.Errorf("unknown %v user %v", obj.Unknown, obj.Vars["final_user"])
	}
	_, gaps, err = Parse("x/Dockerfile", []byte("FROM UPPER/Case:1\n"))
	if err != nil || len(gaps) != 1 || gaps[0].Location.Line != 1 || !strings.Contains(gaps[0].Reason, "not a valid image reference") {
		t.Errorf("invalid reference: err %v gaps %v", err, gaps)
	}
}

type cmdView struct{ Name, Sub, WrappedBy string }

func runView(obj check.Object) map[int64][]cmdView {
	out := map[int64][]cmdView{}
	for _, r := range obj.Vars["runs"].([]any) {
		rm := r.(map[string]any)
		var cs []cmdView
		for _, c := range rm["commands"].([]any) {
			cm := c.(map[string]any)
			cs = append(cs, cmdView{cm["name"].(string), cm["subcommand"].(string), cm["wrapped_by"].(string)})
		}
		out[rm["line"].(int64)] = cs
	}
	return out
}

func TestRunCommandsHeredocsExecForm(t *testing.T) {
	obj, gaps := parseFile(t, "testdata/handwritten/heredoc.Dockerfile")
	if len(gaps) != 0 {
		t.Fatalf("gaps %v", gaps)
	}
	want := map[int64][]cmdView{
		3:  {{"apk", "update", ""}, {"apk", "add", ""}, {"curl", "https://example.com/x.sh", ""}, {"sh", "", ""}},
		8:  {{"python3", "", ""}}, // the here-document is python's stdin, not shell
		12: {{"sudo", "apk", ""}, {"apk", "add", "sudo"}},
		13: {{"apk", "add", ""}},
		15: {{"wget", "https://example.com/y.sh", ""}, {"bash", "", ""}},
	}
	if got := runView(obj); !reflect.DeepEqual(got, want) {
		t.Errorf("runs\n got %v\nwant %v", got, want)
	}
	runs := obj.Vars["runs"].([]any)
	pipes := runs[0].(map[string]any)["pipelines"].([]any)
	if len(pipes) != 1 || len(pipes[0].([]any)) != 2 {
		t.Errorf("pipelines %v", pipes)
	}
	if runs[2].(map[string]any)["form"] != "exec" {
		t.Error("exec form not recorded")
	}
}

func TestRunCommandsReal(t *testing.T) {
	obj, _ := parseFile(t, "testdata/real/docker-nginx/mainline/debian/Dockerfile")
	found := false
	for _, cs := range runView(obj) {
		for _, c := range cs {
			// apt-get -o Acquire::GzipIndexes=false update: the option's value is not the subcommand.
			if c.Name == "apt-get" && c.Sub == "update" {
				found = true
			}
			if c.Name == "apt-get" && strings.HasPrefix(c.Sub, "Acquire") {
				t.Errorf("option value taken as subcommand: %v", c)
			}
		}
	}
	if !found {
		t.Error("apt-get update not found")
	}
	obj, _ = parseFile(t, "testdata/handwritten/insecure.Dockerfile")
	names := map[string]bool{}
	for _, cs := range runView(obj) {
		for _, c := range cs {
			names[c.Name+" "+c.Sub] = true
		}
	}
	for _, want := range []string{"pip install", "apt-get update", "apk add", "sudo bash", "bash "} {
		if !names[want] {
			t.Errorf("missing command %q in %v", want, names)
		}
	}
}

func TestEnvArgValues(t *testing.T) {
	obj, _ := parseFile(t, "testdata/handwritten/insecure.Dockerfile")
	env := obj.Data["env"].([]any)
	if len(env) != 2 {
		t.Fatalf("env %v", env)
	}
	pw, key := env[0].(map[string]any), env[1].(map[string]any)
	if pw["name"] != "DB_PASSWORD" || pw["value"] != `"s3cr3t"` || pw["value_unquoted"] != "s3cr3t" || pw["references_var"] != false {
		t.Errorf("DB_PASSWORD %v", pw)
	}
	if key["name"] != "API_KEY" || key["references_var"] != true {
		t.Errorf("API_KEY %v", key)
	}
	args := obj.Data["args"].([]any)
	if a := args[0].(map[string]any); a["name"] != "NPM_TOKEN" || a["has_value"] != true || a["stage"] != int64(0) {
		t.Errorf("arg %v", a)
	}
	obj, _ = parseFile(t, "testdata/handwritten/secure.Dockerfile")
	if a := obj.Data["args"].([]any)[0].(map[string]any); a["has_value"] != false {
		t.Errorf("ARG without value: %v", a)
	}
	if obj.Data["syntax"] != "" {
		// the syntax directive is on line 2, after a comment: not a directive
		t.Errorf("syntax %q", obj.Data["syntax"])
	}
	adds := 0
	for _, in := range obj.Data["instructions"].([]any) {
		m := in.(map[string]any)
		if m["cmd"] == "copy" {
			adds++
			if !reflect.DeepEqual(m["sources"], []any{"app.py"}) || m["dest"] != "/app/" {
				t.Errorf("copy sources %v dest %v", m["sources"], m["dest"])
			}
		}
	}
	if adds != 1 {
		t.Errorf("%d COPY", adds)
	}
}

func TestDirectives(t *testing.T) {
	src := "# syntax=docker/dockerfile:1.7\n# escape=`\nFROM alpine:3.20\nRUN echo a `\n  b\n"
	obj, _, err := Parse("d", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if obj.Data["syntax"] != "docker/dockerfile:1.7" || obj.Data["escape"] != "`" {
		t.Errorf("syntax %q escape %q", obj.Data["syntax"], obj.Data["escape"])
	}
	in := obj.Data["instructions"].([]any)[1].(map[string]any)
	if in["line"] != int64(4) || in["end_line"] != int64(5) {
		t.Errorf("continued RUN lines %v-%v", in["line"], in["end_line"])
	}
}

// CRLF line endings (Windows checkouts) read like LF ones.
func TestCRLF(t *testing.T) {
	src := "FROM alpine:3.20\r\nRUN apk add git \\\r\n    && echo ok\r\nUSER 1000\r\n"
	obj, gaps, err := Parse("crlf/Dockerfile", []byte(src))
	if err != nil || len(gaps) != 0 {
		t.Fatal(err, gaps)
	}
	if obj.Vars["final_user"] != "1000" || obj.Lines["instructions[2]"] != 4 {
		t.Errorf("user %q lines %v", obj.Vars["final_user"], obj.Lines)
	}
	got := runView(obj)[2]
	want := []cmdView{{"apk", "add", ""}, {"echo", "ok", ""}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("commands %v, want %v", got, want)
	}
}

func TestIgnores(t *testing.T) {
	obj, _ := parseFile(t, "testdata/handwritten/ignore.Dockerfile")
	want := []check.Ignore{
		{RuleID: "SL-DF-012", Reason: "the index is needed by the entrypoint", Line: 3, Covers: 4},
		{RuleID: "SL-DF-009", Reason: "legacy build script, tracked in #123", Line: 7, Covers: 8},
		{RuleID: "SL-DF-014", Reason: "comment inside a continued RUN", Line: 8, Covers: 9},
		// After the last instruction: covers a line with none, so nothing.
		{RuleID: "SL-DF-001", Reason: "", Line: 12, Covers: 13},
	}
	if !reflect.DeepEqual(obj.Ignores, want) {
		t.Errorf("ignores\n got %+v\nwant %+v", obj.Ignores, want)
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"binary", "FROM alpine\nRUN true\n\x00\x01\x02", 3, "not a text file"},
		{"invalid utf8", "FROM alpine\n\xff\xfe", 2, "not a text file"},
		{"empty", "", 1, "no instructions"},
		{"comments only", "# just a comment\n", 1, "no instructions"},
		{"no FROM", "ARG X=1\n", 1, "no FROM"},
		{"RUN before FROM", "# c\nRUN true\nFROM alpine\n", 2, "RUN before the first FROM"},
		{"yaml", "apiVersion: v1\nkind: Pod\n", 1, "unknown instruction"},
		{"unterminated heredoc", "FROM alpine\nRUN <<EOF\necho\n", 2, "unterminated heredoc"},
		{"bad escape", "# escape=x\nFROM alpine\n", 1, "escape"},
		{"ENV without value", "FROM alpine\nENV A\n", 2, "ENV"},
		{"FROM without image", "FROM\n", 1, "FROM"},
		{"long line", "FROM alpine\nRUN " + strings.Repeat("a", 70000) + "\n", 2, "longer than"},
	}
	for _, c := range cases {
		_, _, err := Parse("bad/Dockerfile", []byte(c.src))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: err %v, want *ParseError", c.name, err)
			continue
		}
		if pe.File != "bad/Dockerfile" || pe.Line != c.line || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %q (line %d), want line %d containing %q", c.name, err, pe.Line, c.line, c.msg)
		}
	}
	big := bytes.Repeat([]byte("# padding\n"), MaxSize/10+1)
	_, _, err := Parse("big", append([]byte("FROM alpine\n"), big...))
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("over MaxSize: %v", err)
	}
}

func TestDetect(t *testing.T) {
	df := []byte("# syntax=docker/dockerfile:1\nFROM alpine:3.20\nRUN true\n")
	argFirst := []byte("ARG V=1\n\nFROM python:${V}\n")
	cases := []struct {
		path string
		head []byte
		want bool
	}{
		{"a/Dockerfile", df, true},
		{"a/Containerfile", df, true},
		{"a/Dockerfile.debug", df, true},
		{"a/api.Dockerfile", df, true},
		{"a/dockerfile", []byte("RUN only\n"), true}, // by name: any instruction first
		{"a/Dockerfile.dockerignore", []byte("node_modules\n"), false},
		{"a/Dockerfile.md", []byte("# Title\nSome prose.\n"), false},
		{"a/build.txt", df, true}, // by content
		{"a/build.txt", argFirst, true},
		{"a/script.sh", []byte("#!/bin/sh\nfrom=1\necho $from\n"), false},
		{"a/notes.txt", []byte("From the start, we\n"), false},
		{"a/pod.yaml", []byte("apiVersion: v1\nkind: Pod\n"), false},
		{"a/Dockerfile", []byte("FROM alpine\x00"), false},
		{"a/build.txt", []byte("\xef\xbb\xbfFROM alpine:3.20\r\nRUN true\r\n"), true}, // BOM, CRLF
	}
	for _, c := range cases {
		if got := Detect(c.path, c.head); got != c.want {
			t.Errorf("Detect(%s, %q) = %v, want %v", c.path, c.head, got, c.want)
		}
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "Dockerfile")
	bad := filepath.Join(dir, "Dockerfile.bad")
	if err := os.WriteFile(good, []byte("FROM alpine:3.20\nUSER 1000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("FROM alpine\nRUN <<EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := Read(context.Background(), []string{good, bad, filepath.Join(dir, "missing")})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Objects) != 1 || set.Objects[0].Name != good {
		t.Fatalf("objects %v", set.Objects)
	}
	if len(set.Gaps) != 2 || set.Gaps[0].Location != (check.Location{File: bad, Line: 2}) ||
		set.Gaps[1].Location.File != filepath.Join(dir, "missing") {
		t.Errorf("gaps %+v", set.Gaps)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, []string{good}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
}

// RUN <<EOT bash (the form Docker's documentation shows) runs the body as
// the script, like RUN <<EOT and RUN bash <<EOT; its commands were not
// seen (curl | sh and apt-get install inside passed). A body given to
// "bash -c …", a script file or another program stays data.
func TestHeredocShellAfterMarker(t *testing.T) {
	for _, c := range []struct {
		args   string
		script bool
	}{
		{"<<EOT", true},
		{"<<EOT bash", true},
		{"<<-EOT sh -e", true},
		{`<<"EOT" bash -o pipefail -ex`, true},
		{"bash <<EOT", true},
		{"/bin/sh -eu <<EOT", true},
		{"<<EOT bash -c 'echo hi'", false},
		{"<<EOT bash install.sh", false},
		{"<<EOT python3", false},
		{"python3 <<EOT", false},
	} {
		got := scriptOf(strings.Fields(c.args), []parser.Heredoc{{Name: "EOT", Content: "apt-get install -y curl\n"}})
		if isScript := got == "apt-get install -y curl\n\n"; isScript != c.script {
			t.Errorf("RUN %s: script %q, want the body as the script: %v", c.args, got, c.script)
		}
	}
}
