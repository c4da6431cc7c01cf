package dockerfile

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"mvdan.cc/sh/v3/syntax"

	"github.com/sightline-sec/sightline/internal/check"
)

// posixShells are the shells whose RUN text is split into commands with
// the mvdan.cc/sh parser (bash dialect, a superset of POSIX sh). The default
// RUN shell on Linux is ["/bin/sh", "-c"]
// (https://docs.docker.com/reference/dockerfile/#shell-and-exec-form).
var posixShells = map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true, "zsh": true, "ksh": true, "busybox": true}

// run is the vars.runs entry of one RUN instruction.
func (b *builder) run(i int, n *parser.Node, in map[string]any, s *stage) map[string]any {
	r := map[string]any{
		"index":            int64(i),
		"stage":            in["stage"],
		"line":             int64(n.StartLine),
		"form":             "shell",
		"script":           "",
		"parsed":           true,
		"error":            "",
		"commands":         []any{},
		"pipelines":        []any{},
		"mounts":           mounts(n.Flags),
		"pip_no_cache_env": s.pipNoCache,
	}
	args := nodeArgs("run", n)
	if n.Attributes["json"] {
		r["form"] = "exec"
		if len(args) >= 3 && posixShells[path.Base(args[0])] && strings.HasPrefix(args[1], "-") && strings.Contains(args[1], "c") {
			b.splitScript(r, args[2], n.StartLine)
		} else if len(args) > 0 {
			r["script"] = strings.Join(args, " ")
			r["commands"] = commandsOf(args)
		}
		return r
	}
	if len(s.shell) > 0 && !posixShells[path.Base(strings.ToLower(s.shell[0]))] {
		r["parsed"] = false
		r["error"] = "RUN under non-POSIX SHELL " + s.shell[0]
		r["script"] = strings.Join(args, " ")
		b.nonPOSIX = append(b.nonPOSIX, n.StartLine)
		return r
	}
	b.splitScript(r, scriptOf(args, n.Heredocs), n.StartLine)
	return r
}

// heredocOnly matches a RUN whose command is only here-documents; its
// content is then the script
// (https://docs.docker.com/reference/dockerfile/#here-documents).
var heredocOnly = regexp.MustCompile(`^\s*(<<-?\s*["']?\w+["']?\s*)+$`)

// scriptOf is the shell text of a shell-form RUN. When the command is only
// here-documents, or a shell reading one (RUN bash <<EOF), the bodies are
// the script. Otherwise the bodies are data for the command (RUN python3
// <<EOF) and are appended as here-documents, so the text parses as shell
// with the bodies as data.
func scriptOf(args []string, hs []parser.Heredoc) string {
	text := strings.Join(args, " ")
	if len(hs) == 0 {
		return text
	}
	var sb strings.Builder
	if heredocOnly.MatchString(text) || shellReadsStdin(strings.Fields(heredocMarker.ReplaceAllString(text, " "))) {
		for _, h := range hs {
			sb.WriteString(h.Content)
			sb.WriteString("\n")
		}
		return sb.String()
	}
	sb.WriteString(text)
	sb.WriteString("\n")
	for _, h := range hs {
		sb.WriteString(h.Content)
		if !strings.HasSuffix(h.Content, "\n") && h.Content != "" {
			sb.WriteString("\n")
		}
		sb.WriteString(h.Name)
		sb.WriteString("\n")
	}
	return sb.String()
}

// heredocMarker matches a here-document operator and its word (<<EOT,
// <<-"EOT").
var heredocMarker = regexp.MustCompile(`<<-?\s*["']?\w+["']?`)

// shellReadsStdin says whether a command (the RUN's words with the
// here-document operators removed) is a POSIX shell reading its script
// from standard input: "bash", "sh -e", "bash -o pipefail" (RUN <<EOT
// bash, the form Docker's documentation shows, and RUN bash <<EOT), not
// "bash -c …" or "bash script.sh", whose here-documents are data.
func shellReadsStdin(words []string) bool {
	if len(words) == 0 || !posixShells[path.Base(words[0])] {
		return false
	}
	for i := 1; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "-o" || w == "+o":
			i++ // the option's name
		case strings.HasPrefix(w, "--"):
		case strings.HasPrefix(w, "-") || strings.HasPrefix(w, "+"):
			if strings.Contains(w, "c") {
				return false // -c: the script is the next word
			}
		default:
			return false // a script file
		}
	}
	return true
}

// splitScript parses script as shell and records its commands and
// pipelines in r. A script that does not parse is recorded with
// parsed=false and a Gap: its commands are not guessed.
func (b *builder) splitScript(r map[string]any, script string, line int) {
	r["script"] = script
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(script), "")
	if err != nil {
		r["parsed"] = false
		r["error"] = err.Error()
		b.gaps = append(b.gaps, gapAt(b.name, line,
			fmt.Sprintf("RUN shell text does not parse (%v); rules on its commands did not see it", err)))
		return
	}
	var cmds, pipes []any
	inPipe := map[*syntax.BinaryCmd]bool{}
	syntax.Walk(f, func(node syntax.Node) bool {
		switch x := node.(type) {
		case *syntax.CallExpr:
			cmds = append(cmds, commandsOf(words(x.Args))...)
		case *syntax.BinaryCmd:
			if isPipe(x) && !inPipe[x] {
				pipes = append(pipes, pipeline(x, inPipe))
			}
		}
		return true
	})
	r["commands"] = orEmpty(cmds)
	r["pipelines"] = orEmpty(pipes)
}

func isPipe(x *syntax.BinaryCmd) bool { return x.Op == syntax.Pipe || x.Op == syntax.PipeAll }

// pipeline flattens a | b | c (nested BinaryCmds) into the commands of each
// element, in order, marking the nested pipe nodes as seen.
func pipeline(x *syntax.BinaryCmd, seen map[*syntax.BinaryCmd]bool) []any {
	var out []any
	var visit func(st *syntax.Stmt)
	visit = func(st *syntax.Stmt) {
		if bc, ok := st.Cmd.(*syntax.BinaryCmd); ok && isPipe(bc) {
			seen[bc] = true
			visit(bc.X)
			visit(bc.Y)
			return
		}
		if ce, ok := st.Cmd.(*syntax.CallExpr); ok && len(ce.Args) > 0 {
			out = append(out, commandsOf(words(ce.Args))[0])
			return
		}
		out = append(out, map[string]any{"name": "", "args": []any{}, "argv": []any{}, "subcommand": "", "wrapped_by": ""})
	}
	seen[x] = true
	visit(x.X)
	visit(x.Y)
	return out
}

// words renders shell words as text: quotes removed from literal parts,
// parameter expansions and command substitutions kept as written.
func words(ws []*syntax.Word) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		out = append(out, wordText(w.Parts))
	}
	return out
}

func wordText(parts []syntax.WordPart) string {
	var sb strings.Builder
	for _, p := range parts {
		switch x := p.(type) {
		case *syntax.Lit:
			sb.WriteString(x.Value)
		case *syntax.SglQuoted:
			sb.WriteString(x.Value)
		case *syntax.DblQuoted:
			sb.WriteString(wordText(x.Parts))
		default:
			_ = syntax.NewPrinter().Print(&sb, p)
		}
	}
	return sb.String()
}

// commandsOf is the vars.runs[].commands entries for one simple command:
// the command itself and, when it is a wrapper (sudo, env), the command it
// runs, with wrapped_by set.
func commandsOf(argv []string) []any {
	if len(argv) == 0 {
		return nil
	}
	c := describe(argv, "")
	out := []any{c}
	if inner := unwrap(argv); inner != nil {
		out = append(out, describe(inner, c["name"].(string)))
	}
	return out
}

// describe describes one simple command. name is the program's base name,
// with pip's spellings (pip3, pip3.12, python -m pip) normalised to "pip";
// args are the words after the program (after "-m pip" for python);
// subcommand is the first argument that is not an option.
func describe(argv []string, wrappedBy string) map[string]any {
	name := path.Base(argv[0])
	args := argv[1:]
	switch {
	case strings.HasPrefix(name, "python") && len(args) >= 2 && args[0] == "-m" && strings.HasPrefix(args[1], "pip"):
		name, args = "pip", args[2:]
	case strings.HasPrefix(name, "pip"):
		name = "pip"
	}
	return map[string]any{
		"name":       name,
		"args":       strs(args),
		"argv":       strs(argv),
		"subcommand": subcommand(name, args),
		"wrapped_by": wrappedBy,
	}
}

// aptValueOpts are apt-get options that take a separate value
// (apt-get(8): -o, -c, -t).
var aptValueOpts = map[string]bool{"-o": true, "-c": true, "-t": true, "--option": true, "--config-file": true, "--target-release": true}

func subcommand(name string, args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if (name == "apt-get" || name == "apt") && aptValueOpts[a] {
			i++
			continue
		}
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}

// unwrap is the command a wrapper runs (sudo [opts] cmd…, env [opts]
// [VAR=v…] cmd…), nil when argv is not a wrapper.
func unwrap(argv []string) []string {
	switch path.Base(argv[0]) {
	case "sudo", "env":
	default:
		return nil
	}
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if strings.HasPrefix(a, "-") || strings.Contains(a, "=") {
			continue
		}
		return argv[i:]
	}
	return nil
}

// mounts lists a RUN's --mount flags as {type, target}
// (https://docs.docker.com/reference/dockerfile/#run---mount); type defaults
// to "bind" as in BuildKit.
func mounts(flags []string) []any {
	out := []any{}
	for _, f := range flags {
		v, ok := strings.CutPrefix(f, "--mount=")
		if !ok {
			continue
		}
		m := map[string]any{"type": "bind", "target": ""}
		for _, field := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(field, "=")
			switch strings.ToLower(k) {
			case "type":
				m["type"] = val
			case "target", "dst", "destination":
				m["target"] = val
			}
		}
		out = append(out, m)
	}
	return out
}

func gapAt(file string, line int, reason string) check.Gap {
	return check.Gap{Input: check.InputDockerfile, Location: check.Location{File: file, Line: line}, Reason: reason}
}
