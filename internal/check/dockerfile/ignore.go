package dockerfile

import (
	"bytes"
	"regexp"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/sightline-sec/sightline/internal/check"
)

// ignoreRe matches a suppression comment on a line of its own:
// "# sightline:ignore RULE-ID reason…". Dockerfile comments are whole
// lines (https://docs.docker.com/reference/dockerfile/#format), so there is
// no end-of-line form.
var ignoreRe = regexp.MustCompile(`^\s*#\s*sightline:ignore\s+(\S+)\s*(.*?)\s*$`)

// ignores finds the suppression comments in src. Each covers the next
// instruction: Ignore.Line is set to the line just before that
// instruction's first line (the comment's own line when the comment is
// directly above it), so the engine's "covers the next line" rule holds
// even with other comments or blank lines in between. A comment inside a
// continued instruction (the parser drops such lines) covers that
// instruction. A comment after the last instruction keeps its own line and
// covers nothing.
func ignores(src []byte, nodes []*parser.Node) []check.Ignore {
	var out []check.Ignore
	n := 0
	for line := range bytes.Lines(src) {
		n++
		if !bytes.Contains(line, []byte("sightline:ignore")) {
			continue
		}
		m := ignoreRe.FindSubmatch(line)
		if m == nil {
			continue
		}
		// The whole file is one Object: the comment covers the findings
		// of the instruction it precedes, not the file (a trailing
		// comment covers a line with no instruction: nothing).
		l := coverLine(n, nodes)
		out = append(out, check.Ignore{RuleID: string(m[1]), Reason: string(m[2]), Line: l, Covers: l + 1})
	}
	return out
}

func coverLine(comment int, nodes []*parser.Node) int {
	for _, n := range nodes {
		if n.StartLine <= comment && comment <= n.EndLine {
			return n.StartLine - 1
		}
		if n.StartLine > comment {
			return n.StartLine - 1
		}
	}
	return comment
}
