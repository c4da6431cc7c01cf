package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// step is one step of a field path: a map key, or a list index (>= 0).
type step struct {
	key   string
	index int
}

// parsePath reads the field-path syntax of check.Object.Lines and
// Object.Unknown: dotted keys with [i] list indexes, and ["k.e.y"] for a
// key holding dots or brackets:
//
//	spec.containers[0].securityContext.privileged
//	metadata.annotations["kubernetes.io/psp"]
func parsePath(p string) ([]step, error) {
	var steps []step
	i := 0
	for i < len(p) {
		switch p[i] {
		case '.':
			if i == 0 || i == len(p)-1 || p[i+1] == '.' {
				return nil, fmt.Errorf("path %q: empty key at %d", p, i)
			}
			i++
		case '[':
			if i+1 < len(p) && p[i+1] == '"' {
				q, err := strconv.QuotedPrefix(p[i+1:])
				if err != nil || i+1+len(q) >= len(p) || p[i+1+len(q)] != ']' {
					return nil, fmt.Errorf("path %q: bad quoted key at %d", p, i)
				}
				k, _ := strconv.Unquote(q)
				steps = append(steps, step{key: k, index: -1})
				i += len(q) + 2
				continue
			}
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("path %q: unclosed [", p)
			}
			inner := p[i+1 : i+end]
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 || inner != strconv.Itoa(n) {
				return nil, fmt.Errorf("path %q: list index %q is not a number >= 0", p, inner)
			}
			steps = append(steps, step{index: n})
			i += end + 1
		default:
			j := i
			for j < len(p) && p[j] != '.' && p[j] != '[' {
				j++
			}
			steps = append(steps, step{key: p[i:j], index: -1})
			i = j
		}
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("path is empty")
	}
	return steps, nil
}

// formatPath writes steps in the parsePath syntax.
func formatPath(steps []step) string {
	var b strings.Builder
	for _, s := range steps {
		switch {
		case s.index >= 0:
			fmt.Fprintf(&b, "[%d]", s.index)
		case strings.ContainsAny(s.key, ".[]\"") || s.key == "":
			fmt.Fprintf(&b, "[%s]", strconv.Quote(s.key))
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		}
	}
	return b.String()
}

// parentPath is the path one step up, "" at the top or for a bad path.
func parentPath(p string) string {
	steps, err := parsePath(p)
	if err != nil || len(steps) < 2 {
		return ""
	}
	return formatPath(steps[:len(steps)-1])
}
