package terraform

import (
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/sightline-sec/sightline/internal/check"
)

// object turns one evaluated managed resource instance into a check.Object.
func (e *evaluator) object(r *resourceBlock, addr string, cfg cty.Value, lines map[string]int) {
	conv := &converter{unknown: map[string]string{}, refs: map[string]string{}}
	data, _ := conv.toData(cfg, "", nil).(map[string]any)
	if data == nil {
		data = map[string]any{}
	}
	line := r.block.TypeRange.Start.Line
	o := check.Object{
		Input:    check.InputTerraform,
		Type:     r.typ,
		Name:     addr,
		Location: check.Location{File: r.file, Line: line, Resource: addr},
		Data:     data,
		Vars:     map[string]any{"address": addr, "module": strings.TrimSuffix(e.prefix, "."), "mode": "hcl"},
		Lines:    lines,
		Ignores:  ignoresFor(e.m.files[r.file], r.file, line, r.block.Body.SrcRange.End.Line),
	}
	if len(conv.unknown) > 0 {
		reasons := map[string]any{}
		for p, why := range conv.unknown {
			o.Unknown = append(o.Unknown, p)
			reasons[p] = why
		}
		sort.Strings(o.Unknown)
		o.Vars["unknown"] = reasons
	}
	if len(conv.refs) > 0 {
		e.out.refs[addr] = conv.refs
	}
	e.out.set.Objects = append(e.out.set.Objects, o)
}

// converter turns cty values into the JSON-shaped values rules see,
// collecting the paths of unknown values with their reasons, and the
// resources unknown values refer to.
type converter struct {
	unknown map[string]string
	refs    map[string]string
}

// toData converts v at path; inherited are the marks of an enclosing
// value (functions put the marks of their arguments on their result).
func (c *converter) toData(v cty.Value, path string, inherited cty.ValueMarks) any {
	v, marks := v.Unmark()
	if len(marks) == 0 {
		marks = inherited
	}
	if !v.IsKnown() {
		c.unknown[path] = reason(marks)
		if r := singleRef(marks); r != "" {
			c.refs[path] = r
		}
		return nil
	}
	if v.IsNull() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return v.AsString()
	case ty == cty.Bool:
		return v.True()
	case ty == cty.Number:
		return number(v.AsBigFloat())
	case ty.IsObjectType() || ty.IsMapType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			out[k.AsString()] = c.toData(ev, joinPath(path, k.AsString()), marks)
		}
		return out
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		out := []any{}
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			_, ev := it.Element()
			out = append(out, c.toData(ev, fmt.Sprintf("%s[%d]", path, i), marks))
		}
		return out
	}
	c.unknown[path] = "value of type " + ty.FriendlyName() + " is not representable"
	return nil
}

func number(f *big.Float) any {
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact {
			return i
		}
	}
	x, _ := f.Float64()
	return x
}

// reason renders the marks of an unknown value.
func reason(marks cty.ValueMarks) string {
	var out []string
	for m := range marks {
		switch x := m.(type) {
		case refMark:
			out = append(out, "known after apply: "+x.Addr+"."+x.Attr)
		case whyMark:
			out = append(out, string(x))
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "unknown value"
	}
	return strings.Join(out, "; ")
}

// singleRef returns the attribute ("aws_vpc.main.id") an unknown value
// is, when exactly one reference marks it.
func singleRef(marks cty.ValueMarks) string {
	var ref string
	n := 0
	for m := range marks {
		if x, ok := m.(refMark); ok {
			n++
			ref = x.Addr + "." + x.Attr
		}
	}
	if n != 1 {
		return ""
	}
	return ref
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// joinPath appends a key to a dotted path; keys that are not identifiers
// are written ["key"].
func joinPath(path, key string) string {
	if !identRe.MatchString(key) {
		return fmt.Sprintf("%s[%q]", path, key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

var ignoreRe = regexp.MustCompile(`(?:#|//)\s*sightline:ignore\s+(\S+)\s*(.*)$`)

// ignoresFor returns the inline suppressions of a block spanning lines
// [start, end] of src: comments inside it, and the run of comment lines
// right above it.
func ignoresFor(lines []string, file string, start, end int) []check.Ignore {
	var out []check.Ignore
	add := func(i int) {
		if m := ignoreRe.FindStringSubmatch(lines[i]); m != nil {
			out = append(out, check.Ignore{RuleID: m[1], Reason: strings.TrimSpace(m[2]), Line: i + 1})
		}
	}
	for i := start - 2; i >= 0; i-- {
		t := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(t, "#") && !strings.HasPrefix(t, "//") {
			break
		}
		add(i)
	}
	for i := start - 1; i < end && i < len(lines); i++ {
		add(i)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}
