package terraform

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf16"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/sightline-sec/sightline/internal/check"
)

// maxPlanBytes bounds a plan file.
const maxPlanBytes = 256 << 20

// LoadPlan reads a plan as `terraform show -json PLAN` prints it
// (https://developer.hashicorp.com/terraform/internals/json-format), with
// hashicorp/terraform-json: one Object per managed resource instance of
// planned_values (child modules included). Values the plan marks in
// after_unknown are unknown paths; the configuration's references let the
// network builder link a resource to the one whose id it will take.
func LoadPlan(ctx context.Context, path string, opt Options) (check.Set, error) {
	src, err := readLimit(path, maxPlanBytes)
	if err != nil {
		return check.Set{}, err
	}
	return ParsePlan(ctx, path, src, opt)
}

// ParsePlan reads plan JSON already in memory; path names it in errors
// and locations.
func ParsePlan(ctx context.Context, path string, src []byte, opt Options) (check.Set, error) {
	src, err := utf8JSON(src)
	if err != nil {
		return check.Set{}, errorf(path, err)
	}
	var p tfjson.Plan
	if err := json.Unmarshal(src, &p); err != nil {
		return check.Set{}, errorf(path, jsonError(src, err))
	}
	if p.PlannedValues == nil || p.PlannedValues.RootModule == nil {
		return check.Set{}, errorf(path, fmt.Errorf("no planned_values.root_module: not the output of `terraform show -json` of a plan"))
	}
	unknown := map[string]any{}
	for _, rc := range p.ResourceChanges {
		if rc != nil && rc.Change != nil {
			unknown[rc.Address] = rc.Change.AfterUnknown
		}
	}
	exprs := map[string]map[string]*tfjson.Expression{}
	if p.Config != nil {
		configExprs(p.Config.RootModule, "", exprs)
	}
	out := &result{refs: map[string]map[string]string{}}
	var walk func(m *tfjson.StateModule) error
	walk = func(m *tfjson.StateModule) error {
		for _, r := range m.Resources {
			if err := ctx.Err(); err != nil {
				return err
			}
			if r == nil || r.Mode != tfjson.ManagedResourceMode {
				continue
			}
			o, refs := planObject(path, r, unknown[r.Address], exprs[configAddr(r.Address)])
			if len(refs) > 0 {
				out.refs[o.Name] = refs
			}
			out.set.Objects = append(out.set.Objects, o)
		}
		for _, c := range m.ChildModules {
			if c != nil {
				if err := walk(c); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(p.PlannedValues.RootModule); err != nil {
		return check.Set{}, err
	}
	linkBuckets(&out.set, out.refs)
	if !opt.NoExposure {
		if err := addExposure(ctx, &out.set, out.refs, "plan "+path); err != nil {
			return check.Set{}, err
		}
	}
	return out.set, nil
}

// utf8JSON accepts the encodings `terraform show -json > file` produces
// on Windows shells (UTF-16 with a byte-order mark) and a UTF-8 BOM.
func utf8JSON(b []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return b[3:], nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		var order binary.ByteOrder = binary.LittleEndian
		if b[0] == 0xFE {
			order = binary.BigEndian
		}
		b = b[2:]
		if len(b)%2 != 0 {
			return nil, fmt.Errorf("UTF-16 input with an odd number of bytes")
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = order.Uint16(b[2*i:])
		}
		return []byte(string(utf16.Decode(u))), nil
	}
	return b, nil
}

// jsonError adds the line of a JSON syntax error.
func jsonError(src []byte, err error) error {
	if se, ok := err.(*json.SyntaxError); ok {
		line := bytes.Count(src[:min(int(se.Offset), len(src))], []byte("\n")) + 1
		return fmt.Errorf("line %d: %w", line, err)
	}
	return err
}

var indexRe = regexp.MustCompile(`\[[^\]]*\]`)

// configAddr is the configuration address of an instance address:
// module.a["x"].aws_b.c[0] → module.a.aws_b.c.
func configAddr(addr string) string { return indexRe.ReplaceAllString(addr, "") }

func configExprs(m *tfjson.ConfigModule, prefix string, out map[string]map[string]*tfjson.Expression) {
	if m == nil {
		return
	}
	for _, r := range m.Resources {
		if r != nil && r.Mode == tfjson.ManagedResourceMode {
			out[prefix+r.Address] = r.Expressions
		}
	}
	names := make([]string, 0, len(m.ModuleCalls))
	for n := range m.ModuleCalls {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if c := m.ModuleCalls[n]; c != nil {
			configExprs(c.Module, prefix+"module."+n+".", out)
		}
	}
}

// planObject converts one planned resource instance.
func planObject(file string, r *tfjson.StateResource, afterUnknown any, exprs map[string]*tfjson.Expression) (check.Object, map[string]string) {
	data, _ := check.Normalize(r.AttributeValues).(map[string]any)
	if data == nil {
		data = map[string]any{}
	}
	o := check.Object{Input: check.InputTerraform, Type: r.Type, Name: r.Address,
		Location: check.Location{File: file, Resource: r.Address}, Data: data,
		Vars: map[string]any{"address": r.Address, "module": moduleOf(r.Address), "mode": "plan"}}
	var unk []string
	unknownPaths(afterUnknown, "", &unk)
	modPrefix := moduleOf(r.Address)
	if modPrefix != "" {
		modPrefix += "."
	}
	refs := map[string]string{}
	reasons := map[string]any{}
	for _, p := range unk {
		setNil(data, p)
		reasons[p] = "known after apply"
		if ref := exprRef(exprs, p); ref != "" {
			refs[p] = modPrefix + ref
			reasons[p] = "known after apply: " + modPrefix + ref
		}
	}
	// A whole list of references known only after apply
	// ([aws_security_group.a.id, aws_security_group.b.id]): one element
	// per reference, so the network builder can follow each.
	var kept, added []string
	for _, p := range unk {
		ids := []string(nil)
		if !strings.ContainsAny(p, ".[") && (strings.HasSuffix(p, "_ids") || strings.HasSuffix(p, "s")) {
			ids = listRefs(exprs[p])
		}
		if len(ids) == 0 {
			kept = append(kept, p)
			continue
		}
		data[p] = make([]any, len(ids))
		delete(refs, p)
		delete(reasons, p)
		for i, id := range ids {
			ep := fmt.Sprintf("%s[%d]", p, i)
			added = append(added, ep)
			refs[ep] = modPrefix + id
			reasons[ep] = "known after apply: " + modPrefix + id
		}
	}
	unk = append(kept, added...)
	sort.Strings(unk)
	o.Unknown = unk
	// Attributes the configuration does not set are computed by the
	// provider (its defaults, ids, addresses): like the HCL reader, which
	// never sees them, they are absent from Data rather than unknown, and
	// listed in Vars.computed. Attributes the configuration sets to a
	// value known only after apply stay unknown.
	if exprs != nil {
		var computed []any
		kept := unk[:0]
		for _, p := range unk {
			if configSets(exprs, p) {
				kept = append(kept, p)
				continue
			}
			computed = append(computed, p)
			deletePath(data, p)
			delete(reasons, p)
		}
		o.Unknown = kept
		if len(reasons) == 0 {
			delete(o.Vars, "unknown")
		}
		if len(computed) > 0 {
			o.Vars["computed"] = computed
		}
	}
	return o, refs
}

func moduleOf(addr string) string {
	parts := strings.Split(addr, ".")
	var mod []string
	for i := 0; i+1 < len(parts) && parts[i] == "module"; i += 2 {
		mod = append(mod, parts[i], parts[i+1])
	}
	return strings.Join(mod, ".")
}

// unknownPaths collects the paths after_unknown marks true.
func unknownPaths(v any, path string, out *[]string) {
	switch x := v.(type) {
	case bool:
		if x && path != "" {
			*out = append(*out, path)
		}
	case map[string]any:
		for k, e := range x {
			unknownPaths(e, joinPath(path, k), out)
		}
	case []any:
		for i, e := range x {
			unknownPaths(e, fmt.Sprintf("%s[%d]", path, i), out)
		}
	}
}

// setNil makes sure an unknown path exists in data (as null) so that rules
// reading it see the unknown rather than an absent field.
func setNil(data map[string]any, path string) {
	if identRe.MatchString(path) {
		if _, ok := data[path]; !ok {
			data[path] = nil
		}
	}
}

// exprRef returns the resource attribute a top-level or nested-block
// attribute of the configuration refers to, when it refers to exactly one
// resource attribute ("aws_vpc.main.id").
func exprRef(exprs map[string]*tfjson.Expression, path string) string {
	parts := splitPath(path)
	var e *tfjson.Expression
	cur := exprs
	for i := 0; i < len(parts); i++ {
		x, ok := cur[parts[i]]
		if !ok || x == nil || x.ExpressionData == nil {
			return ""
		}
		if i == len(parts)-1 {
			e = x
			break
		}
		// nested block: name, index, attr
		if i+1 < len(parts) && len(x.NestedBlocks) > 0 {
			var idx int
			if _, err := fmt.Sscanf(parts[i+1], "%d", &idx); err != nil || idx >= len(x.NestedBlocks) {
				return ""
			}
			cur = x.NestedBlocks[idx]
			i++
			continue
		}
		return ""
	}
	if e == nil {
		return ""
	}
	ids := attrRefs(e.References)
	if len(ids) != 1 {
		return ""
	}
	return ids[0]
}

var (
	attrRefRe = regexp.MustCompile(`^[a-z0-9_]+\.[A-Za-z0-9_-]+(\[[^\]]+\])?\.[a-z0-9_]+$`)
	resRefRe  = regexp.MustCompile(`^[a-z0-9_]+\.[A-Za-z0-9_-]+(\[[^\]]+\])?$`)
)

// attrRefs returns the references of the form type.name[index].attr (a
// bare type.name[index], as older Terraform versions list them, stands
// for its id); nil when some reference is of another kind (a variable, a
// local, a module output) that could stand for other values.
func attrRefs(refs []string) []string {
	var out []string
	covered := map[string]bool{}
	for _, r := range refs {
		if attrRefRe.MatchString(r) && !otherRoot(r) {
			out = append(out, r)
			base := r[:strings.LastIndexByte(r, '.')]
			covered[base] = true
			if i := strings.IndexByte(base, '['); i > 0 {
				covered[base[:i]] = true
			}
		}
	}
	for _, r := range refs {
		switch {
		case covered[r] || (attrRefRe.MatchString(r) && !otherRoot(r)):
		case resRefRe.MatchString(r) && !otherRoot(r):
			out = append(out, r+".id")
		default:
			return nil
		}
	}
	return out
}

func otherRoot(r string) bool {
	for _, p := range []string{"var.", "local.", "data.", "module.", "each.", "count.", "path.", "self."} {
		if strings.HasPrefix(r, p) {
			return true
		}
	}
	return false
}

// listRefs returns the references of a list attribute written as a list
// of resource attributes.
func listRefs(e *tfjson.Expression) []string {
	if e == nil || e.ExpressionData == nil {
		return nil
	}
	return attrRefs(e.References)
}

// configSets reports whether the configuration sets the attribute at path
// (top-level, or inside a nested block); list elements count as their
// attribute.
func configSets(exprs map[string]*tfjson.Expression, path string) bool {
	parts := splitPath(path)
	cur := exprs
	for i := 0; i < len(parts); i++ {
		x, ok := cur[parts[i]]
		if !ok || x == nil || x.ExpressionData == nil {
			return false
		}
		if len(x.NestedBlocks) == 0 || i+1 >= len(parts) {
			return true
		}
		var idx int
		if _, err := fmt.Sscanf(parts[i+1], "%d", &idx); err != nil || idx >= len(x.NestedBlocks) {
			return true
		}
		if i+2 >= len(parts) {
			return true
		}
		cur = x.NestedBlocks[idx]
		i++
	}
	return true
}

// deletePath removes the value at path from data when it is a map member.
func deletePath(data map[string]any, path string) {
	parts := splitPath(path)
	var cur any = data
	for i, p := range parts {
		switch c := cur.(type) {
		case map[string]any:
			if i == len(parts)-1 {
				if c[p] == nil {
					delete(c, p)
				}
				return
			}
			cur = c[p]
		case []any:
			var idx int
			if _, err := fmt.Sscanf(p, "%d", &idx); err != nil || idx >= len(c) || i == len(parts)-1 {
				return
			}
			cur = c[idx]
		default:
			return
		}
	}
}
