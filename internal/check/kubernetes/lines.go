package kubernetes

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/sightline-sec/sightline/internal/check"
)

// maxLineEntries bounds the Lines map of one document: a document with
// more fields than this keeps the first maxLineEntries (findings beyond
// fall back to a parent path's line, then the object's line). Real
// objects have hundreds of fields; the bound stops a hostile document from
// costing more memory than its own size several times over.
const maxLineEntries = 100_000

// yamlTree is one YAML document parsed with go.yaml.in/yaml/v3 for what
// sigs.k8s.io/yaml (which builds the Data) does not keep: the line of
// every field and the comments.
type yamlTree struct {
	root *yaml.Node // the document's top node (a mapping for an object)
	// offset is added to a node's line to make it a line of the source
	// file (the document's first byte is on line offset+1).
	offset   int
	comments map[string]bool
}

// parseTree parses one document (the text of RawDocument.YAML). An error
// means the document is YAML sigs.k8s.io/yaml accepted but yaml.v3 does
// not (YAML 1.1 vs 1.2 corner cases): the caller keeps the object without
// field lines.
//
// A document with a lone carriage return (a line break to YAML, not to
// the "\n"-counting document splitter) is refused too: its lines would be
// counted two ways, and a wrong line is worse than none.
func parseTree(doc []byte, startLine int) (*yamlTree, error) {
	if i := bytes.IndexByte(doc, '\r'); i >= 0 && bytes.Contains(bytes.ReplaceAll(doc, []byte("\r\n"), nil), []byte("\r")) {
		return nil, errors.New("lone carriage return in the document; field lines not recorded")
	}
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		return nil, err
	}
	t := &yamlTree{offset: startLine - 1, comments: map[string]bool{}}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		t.root = n.Content[0]
	}
	t.collectComments(&n, 0)
	return t, nil
}

// collectComments records every comment yaml.v3 saw, so that an ignore
// comment found by scanning the text is known to be a real comment (not
// "# sightline:ignore" inside a quoted string or block scalar).
func (t *yamlTree) collectComments(n *yaml.Node, depth int) {
	if n == nil || depth > maxDepth {
		return
	}
	for _, c := range []string{n.HeadComment, n.LineComment, n.FootComment} {
		for _, l := range strings.Split(c, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				t.comments[l] = true
			}
		}
	}
	for _, c := range n.Content {
		t.collectComments(c, depth+1)
	}
}

// maxDepth bounds the recursion over nodes; sigs.k8s.io/yaml has already
// refused documents nested deeper than 10000 (go.yaml.in/yaml/v2).
const maxDepth = 10_000

// Lines maps every field path under n to the 1-based line of its key (for
// a map entry) or item (for a list item), in the path syntax of
// check.Object.Lines: dotted keys, [i] for list indexes, ["k.e.y"] for a
// key holding '.', '[', ']' or '"' (the syntax the rule engine parses). An
// alias (*anchor) gets the alias's line and is not followed: an anchor
// expanded many times ("billion laughs") would otherwise cost far more
// than the text; fields reached through it fall back to the alias's line.
func (t *yamlTree) Lines(n *yaml.Node) map[string]int {
	out := map[string]int{}
	t.walk(n, "", out, 0)
	return out
}

func (t *yamlTree) walk(n *yaml.Node, path string, out map[string]int, depth int) {
	if n == nil || depth > maxDepth || len(out) >= maxLineEntries {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Value == "<<" {
				continue // complex keys and merge keys have no path of their own
			}
			p := joinKey(path, k.Value)
			if _, dup := out[p]; !dup {
				out[p] = k.Line + t.offset
			}
			t.walk(v, p, out, depth+1)
			if len(out) >= maxLineEntries {
				return
			}
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			out[p] = item.Line + t.offset
			t.walk(item, p, out, depth+1)
			if len(out) >= maxLineEntries {
				return
			}
		}
	}
}

// joinKey appends a map key to path as the rule engine's formatPath does.
func joinKey(path, key string) string {
	if key == "" || strings.ContainsAny(key, ".[]\"") {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// child returns the value of key in the mapping node n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// ignoreRe matches an inline suppression, on a line of its own or at the
// end of a line: "# sightline:ignore RULE-ID reason…". A YAML comment
// starts with '#' at the start of a line or after white space
// (https://yaml.org/spec/1.2.2/#66-comments).
var ignoreRe = regexp.MustCompile(`(?:^|[ \t])(#\s*sightline:ignore\b[ \t]*(\S*)[ \t]*(.*?))\s*$`)

// Ignores returns the suppression comments in doc (the document's text)
// whose lines lie in [from, to] (lines of doc, 1-based; to <= 0 = to the
// end). A comment without a rule ID is kept with an empty RuleID, so the
// engine can warn about it rather than it vanishing.
func (t *yamlTree) Ignores(doc []byte, from, to int) []check.Ignore {
	var out []check.Ignore
	for i, line := range bytes.Split(doc, []byte("\n")) {
		n := i + 1
		if n < from || (to > 0 && n > to) || !bytes.Contains(line, []byte("sightline:ignore")) {
			continue
		}
		m := ignoreRe.FindSubmatch(line)
		if m == nil || (t != nil && !t.comments[strings.TrimSpace(string(m[1]))]) {
			continue
		}
		out = append(out, check.Ignore{RuleID: string(m[2]), Reason: string(m[3]), Line: n + t.lineOffset()})
	}
	return out
}

func (t *yamlTree) lineOffset() int {
	if t == nil {
		return 0
	}
	return t.offset
}

// nodeSpan is the first and last line (of the document text) a node and
// its children cover; used to tell which List item a comment belongs to.
func nodeSpan(n *yaml.Node) (first, last int) {
	first, last = n.Line, n.Line
	var visit func(*yaml.Node, int)
	visit = func(c *yaml.Node, depth int) {
		if c == nil || depth > maxDepth {
			return
		}
		if c.Line > last {
			last = c.Line + strings.Count(c.Value, "\n")
		}
		for _, cc := range c.Content {
			visit(cc, depth+1)
		}
	}
	visit(n, 0)
	return first, last
}
