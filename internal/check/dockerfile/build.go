package dockerfile

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/command"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/sightline-sec/sightline/internal/check"
)

// builder turns one BuildKit parse result into the Object's Data, Vars and
// Lines. It is used once, by Parse.
type builder struct {
	name   string
	src    []byte
	res    *parser.Result
	lex    *shell.Lex
	escape string

	instructions []any
	stages       []*stage
	args, env    []any
	labels       []any
	runs         []any
	globalArgs   map[string]string
	lines        map[string]int
	unknown      []string
	gaps         []check.Gap
	nonPOSIX     []int // lines of RUNs under a non-POSIX SHELL
}

// stage is the running state of one build stage while instructions are
// read in order.
type stage struct {
	m          map[string]any
	instrs     []any
	baseStage  int
	user       string
	userLine   int
	userIndex  int
	health     string
	healthIdx  int
	shell      []string
	pipNoCache bool
}

func newBuilder(name string, src []byte, res *parser.Result) *builder {
	return &builder{
		name:       name,
		src:        src,
		res:        res,
		lex:        shell.NewLex(res.EscapeToken),
		escape:     string(res.EscapeToken),
		globalArgs: map[string]string{},
		lines:      map[string]int{},
	}
}

func (b *builder) errAt(line int, format string, a ...any) error {
	return &ParseError{File: b.name, Line: line, Err: fmt.Errorf(format, a...)}
}

// build reads the instructions in order. BuildKit itself rejects an
// unknown instruction and any instruction but ARG before the first FROM
// (https://docs.docker.com/reference/dockerfile/#format, "must begin with a
// FROM instruction"), so both are errors here too.
func (b *builder) build() error {
	for i, n := range b.res.AST.Children {
		cmd := strings.ToLower(n.Value)
		if _, ok := command.Commands[cmd]; !ok {
			return b.errAt(n.StartLine, "unknown instruction %q", n.Value)
		}
		if cmd != command.From && cmd != command.Arg && len(b.stages) == 0 {
			return b.errAt(n.StartLine, "%s before the first FROM instruction", strings.ToUpper(cmd))
		}
		if cmd == command.From {
			if err := b.from(i, n); err != nil {
				return err
			}
		}
		in := b.instruction(i, cmd, n)
		b.dispatch(i, cmd, n, in)
	}
	if len(b.stages) == 0 {
		return b.errAt(1, "no FROM instruction: not a buildable Dockerfile")
	}
	if len(b.nonPOSIX) > 0 {
		b.gaps = append(b.gaps, check.Gap{
			Input:    check.InputDockerfile,
			Location: check.Location{File: b.name, Line: b.nonPOSIX[0]},
			Reason: fmt.Sprintf("%d RUN instruction(s) run under a non-POSIX SHELL; their commands were not split, so rules on RUN commands did not see them",
				len(b.nonPOSIX)),
		})
	}
	return nil
}

// cur is the stage being read, or nil before the first FROM.
func (b *builder) cur() *stage {
	if len(b.stages) == 0 {
		return nil
	}
	return b.stages[len(b.stages)-1]
}

// instruction is the Data map of one instruction, also appended to its
// stage's instruction list.
func (b *builder) instruction(i int, cmd string, n *parser.Node) map[string]any {
	stageIdx := int64(len(b.stages) - 1)
	in := map[string]any{
		"index":    int64(i),
		"cmd":      cmd,
		"args":     strs(nodeArgs(cmd, n)),
		"flags":    strs(n.Flags),
		"json":     n.Attributes["json"],
		"original": n.Original,
		"line":     int64(n.StartLine),
		"end_line": int64(n.EndLine),
		"stage":    stageIdx,
		"heredocs": heredocs(n.Heredocs),
	}
	if cmd == command.Add || cmd == command.Copy {
		sources, dest := splitDest(nodeArgs(cmd, n))
		in["sources"], in["dest"] = strs(sources), dest
	}
	b.instructions = append(b.instructions, in)
	b.lines[fmt.Sprintf("instructions[%d]", i)] = n.StartLine
	if s := b.cur(); s != nil {
		s.instrs = append(s.instrs, in)
	}
	return in
}

// nodeArgs lists an instruction's arguments as the parser split them. ENV
// and LABEL become "KEY=value" (values as written, quotes kept); ONBUILD's
// single argument is the trigger instruction as written.
func nodeArgs(cmd string, n *parser.Node) []string {
	var out []string
	switch cmd {
	case command.Env, command.Label:
		for _, kv := range keyValues(n) {
			out = append(out, kv[0]+"="+kv[1])
		}
		return out
	case command.Onbuild:
		if n.Next != nil && len(n.Next.Children) > 0 {
			return []string{n.Next.Children[0].Original}
		}
		return nil
	}
	for a := n.Next; a != nil; a = a.Next {
		out = append(out, a.Value)
	}
	return out
}

// splitDest splits ADD/COPY arguments into sources and the destination
// (the last argument).
func splitDest(args []string) ([]string, string) {
	if len(args) == 0 {
		return nil, ""
	}
	return args[:len(args)-1], args[len(args)-1]
}

// keyValues reads ENV/LABEL's (key, value, separator) node triplets.
func keyValues(n *parser.Node) [][2]string {
	var out [][2]string
	for k := n.Next; k != nil && k.Next != nil; {
		out = append(out, [2]string{k.Value, k.Next.Value})
		if k.Next.Next == nil {
			break
		}
		k = k.Next.Next.Next
	}
	return out
}

func heredocs(hs []parser.Heredoc) []any {
	out := make([]any, 0, len(hs))
	for _, h := range hs {
		out = append(out, map[string]any{"name": h.Name, "content": h.Content, "expand": h.Expand})
	}
	return out
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// dispatch records what an instruction changes in its stage and the
// derived lists (args, env, labels, runs).
func (b *builder) dispatch(i int, cmd string, n *parser.Node, in map[string]any) {
	s := b.cur()
	switch cmd {
	case command.Arg:
		b.argInstr(i, n)
	case command.Env:
		b.envInstr(i, n, s)
	case command.Label:
		for _, kv := range keyValues(n) {
			b.labels = append(b.labels, b.kv(i, n, kv[0], kv[1], true))
		}
	case command.User:
		s.user, s.userLine, s.userIndex = firstArg(n), n.StartLine, i
		s.m["user"] = s.user
	case command.Healthcheck:
		s.health, s.healthIdx = strings.ToLower(firstArg(n)), i
		s.m["healthcheck"] = s.health
	case command.Shell:
		s.shell = nodeArgs(cmd, n)
	case command.Run:
		b.runs = append(b.runs, b.run(i, n, in, s))
	}
}

func firstArg(n *parser.Node) string {
	if n.Next == nil {
		return ""
	}
	return n.Next.Value
}

// kv is the Data map of one ARG, ENV or LABEL entry. value is as written;
// value_unquoted has quotes and escapes removed without expanding
// variables; references_var says whether it refers to a variable ($X).
func (b *builder) kv(i int, n *parser.Node, key, value string, has bool) map[string]any {
	res, err := b.lex.ProcessWordWithMatches(value, emptyEnv{})
	unq := res.Result
	if err != nil {
		unq = value
	}
	return map[string]any{
		"name":           key,
		"value":          value,
		"value_unquoted": unq,
		"has_value":      has,
		"references_var": err != nil || len(res.Unmatched) > 0 || len(res.Matched) > 0,
		"line":           int64(n.StartLine),
		"index":          int64(i),
		"stage":          int64(len(b.stages) - 1),
	}
}

func (b *builder) argInstr(i int, n *parser.Node) {
	for a := n.Next; a != nil; a = a.Next {
		key, value, has := strings.Cut(a.Value, "=")
		e := b.kv(i, n, key, value, has)
		b.lines[fmt.Sprintf("args[%d]", len(b.args))] = n.StartLine
		b.args = append(b.args, e)
		if len(b.stages) == 0 && has {
			b.globalArgs[key] = e["value_unquoted"].(string)
		}
	}
}

func (b *builder) envInstr(i int, n *parser.Node, s *stage) {
	for _, kv := range keyValues(n) {
		e := b.kv(i, n, kv[0], kv[1], true)
		b.lines[fmt.Sprintf("env[%d]", len(b.env))] = n.StartLine
		b.env = append(b.env, e)
		// pip reads PIP_NO_CACHE_DIR from the environment
		// (https://pip.pypa.io/en/stable/topics/configuration/#environment-variables).
		if strings.EqualFold(kv[0], "PIP_NO_CACHE_DIR") {
			v := strings.ToLower(e["value_unquoted"].(string))
			s.pipNoCache = v != "" && v != "0" && v != "false" && v != "no" && v != "off"
		}
	}
}

// emptyEnv expands every variable to nothing: used to unquote values
// without substituting them.
type emptyEnv struct{}

func (emptyEnv) Get(string) (string, bool) { return "", false }
func (emptyEnv) Keys() []string            { return nil }

// object assembles the check.Object.
func (b *builder) object() check.Object {
	stages := make([]any, len(b.stages))
	for i, s := range b.stages {
		s.m["instructions"] = s.instrs
		stages[i] = s.m
	}
	syntax, directives := b.directives()
	data := map[string]any{
		"file":         b.name,
		"escape":       b.escape,
		"syntax":       syntax,
		"directives":   directives,
		"instructions": orEmpty(b.instructions),
		"stages":       stages,
		"args":         orEmpty(b.args),
		"env":          orEmpty(b.env),
		"labels":       orEmpty(b.labels),
	}
	vars := b.vars() // may add to b.unknown
	first := 1
	if len(b.res.AST.Children) > 0 {
		first = b.res.AST.Children[0].StartLine
	}
	return check.Object{
		Input:    check.InputDockerfile,
		Type:     "Dockerfile",
		Name:     b.name,
		Location: check.Location{File: b.name, Line: first},
		Data:     data,
		Vars:     vars,
		Lines:    b.lines,
		Unknown:  b.unknown,
		Ignores:  ignores(b.src, b.res.AST.Children),
	}
}

func orEmpty(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

// directives are the parser directives at the top of the file
// (https://docs.docker.com/reference/dockerfile/#parser-directives):
// "# key=value" lines before any other line, comment or blank line; keys
// are case-insensitive, and only syntax, escape and check are directives.
// The BuildKit parser already applied escape; this records what was
// written.
func (b *builder) directives() (string, map[string]any) {
	out := map[string]any{}
	src := bytes.TrimPrefix(b.src, []byte("\xef\xbb\xbf"))
	for line := range bytes.Lines(src) {
		m := directiveRe.FindSubmatch(line)
		if m == nil {
			break
		}
		key := strings.ToLower(string(m[1]))
		if key != "syntax" && key != "escape" && key != "check" {
			break
		}
		if _, dup := out[key]; dup {
			break
		}
		out[key] = string(m[2])
	}
	syntax, _ := out["syntax"].(string)
	return syntax, out
}

var directiveRe = regexp.MustCompile(`^\s*#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`)
