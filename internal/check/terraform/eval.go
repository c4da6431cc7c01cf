package terraform

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/sightline-sec/sightline/internal/check"
)

// refMark marks an unknown value that is an attribute of another
// resource, known only after apply (aws_vpc.main.id): the network builder
// follows such references to link resources; rules see an unknown.
type refMark struct{ Addr, Attr string }

// whyMark marks an unknown value with the reason it is unknown.
type whyMark string

// Bounds that keep bad input from taking unbounded time: nested local
// modules (which also catches cycles) and instances of one resource.
const (
	maxModuleDepth = 8
	maxInstances   = 10000
	// maxModuleCalls bounds the module instances of one configuration.
	maxModuleCalls = 1000
)

// evaluator evaluates one module instance: the root module or one
// instance of a local module call.
type evaluator struct {
	ctx    context.Context
	m      *module
	prefix string // "" or "module.vpc." / "module.vpc[0]."
	depth  int
	funcs  map[string]function.Function
	vars   map[string]cty.Value
	locals map[string]cty.Value
	res    map[string]map[string]cty.Value // managed: type → name → value
	data   map[string]map[string]cty.Value // data: type → name → value
	mods   map[string]cty.Value
	// typeObj caches the object value of a resource type (or "data.<type>").
	typeObj map[string]cty.Value
	// refAttrs: node key → attribute names other expressions read from it.
	refAttrs map[string]map[string]bool
	nodes    map[string]func()
	out      *result
	parent   *evaluator
}

// onPath reports whether dir is the directory of this module instance or
// of one that calls it.
func (e *evaluator) onPath(dir string) bool {
	for x := e; x != nil; x = x.parent {
		if filepath.Clean(x.m.dir) == filepath.Clean(dir) {
			return true
		}
	}
	return false
}

// result is what evaluating a configuration produced.
type result struct {
	set     check.Set
	modules int                          // module instances evaluated
	refs    map[string]map[string]string // object name → path → referenced resource address
}

func newEvaluator(ctx context.Context, m *module, prefix string, depth int, vars map[string]cty.Value, out *result) *evaluator {
	return &evaluator{ctx: ctx, m: m, prefix: prefix, depth: depth, funcs: functions(), vars: vars,
		locals: map[string]cty.Value{}, res: map[string]map[string]cty.Value{}, data: map[string]map[string]cty.Value{},
		mods: map[string]cty.Value{}, typeObj: map[string]cty.Value{}, refAttrs: map[string]map[string]bool{}, out: out}
}

// run evaluates every local, resource, data source and module call in
// dependency order and returns the module's outputs.
func (e *evaluator) run() (cty.Value, error) {
	deps := map[string][]string{}
	e.nodes = map[string]func(){}
	for n, a := range e.m.locals {
		a := a
		key := "local." + n
		e.nodes[key] = func() { e.locals[n] = e.eval(a.Expr, e.evalCtx(nil)) }
		deps[key] = nil
	}
	for _, r := range e.m.resources {
		r := r
		e.nodes[r.key()] = func() { e.resource(r) }
	}
	for _, c := range e.m.calls {
		c := c
		e.nodes["module."+c.name] = func() { e.moduleCall(c) }
	}
	for n, a := range e.m.locals {
		deps["local."+n] = e.depsOf(exprTraversals(a.Expr))
	}
	for _, r := range e.m.resources {
		deps[r.key()] = e.depsOf(bodyTraversals(r.block.Body))
	}
	for _, c := range e.m.calls {
		deps["module."+c.name] = e.depsOf(bodyTraversals(c.block.Body))
	}
	keys := make([]string, 0, len(e.nodes))
	for k := range e.nodes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(k string) error
	visit = func(k string) error {
		if state[k] != 0 {
			return nil // done, or a cycle: evaluated with what is known so far
		}
		if err := e.ctx.Err(); err != nil {
			return err
		}
		state[k] = 1
		for _, d := range deps[k] {
			if err := visit(d); err != nil {
				return err
			}
		}
		e.nodes[k]()
		state[k] = 2
		return nil
	}
	for _, k := range keys {
		if err := visit(k); err != nil {
			return cty.NilVal, err
		}
	}
	outs := map[string]cty.Value{}
	for n, a := range e.m.outputs {
		outs[n] = e.eval(a.Expr, e.evalCtx(nil))
	}
	return cty.ObjectVal(outs), nil
}

// depsOf maps traversals to the nodes they read, recording the attributes
// read from resources (so that their values carry them).
func (e *evaluator) depsOf(ts []hcl.Traversal) []string {
	var out []string
	for _, t := range ts {
		key, attr := nodeOf(t)
		if key == "" {
			continue
		}
		if _, ok := e.nodes[key]; !ok {
			continue
		}
		out = append(out, key)
		if attr != "" {
			if e.refAttrs[key] == nil {
				e.refAttrs[key] = map[string]bool{}
			}
			e.refAttrs[key][attr] = true
		}
	}
	return out
}

// nodeOf names the node a traversal reads and the attribute it reads
// from a resource (skipping an instance index).
func nodeOf(t hcl.Traversal) (key, attr string) {
	names := []string{t.RootName()}
	var rest []hcl.Traverser
	for i, s := range t[1:] {
		a, ok := s.(hcl.TraverseAttr)
		if !ok {
			rest = t[1+i:]
			break
		}
		names = append(names, a.Name)
	}
	at := func(i int) string {
		if len(names) > i {
			return names[i]
		}
		if len(names) == i && len(rest) > 1 {
			if _, ok := rest[0].(hcl.TraverseIndex); ok {
				if a, ok := rest[1].(hcl.TraverseAttr); ok {
					return a.Name
				}
			}
		}
		return ""
	}
	switch names[0] {
	case "var", "count", "each", "path", "terraform", "self":
		return "", ""
	case "local", "module":
		if len(names) < 2 {
			return "", ""
		}
		return names[0] + "." + names[1], ""
	case "data":
		if len(names) < 3 {
			return "", ""
		}
		return "data." + names[1] + "." + names[2], at(3)
	}
	if len(names) < 2 {
		return "", ""
	}
	return names[0] + "." + names[1], at(2)
}

// exprTraversals returns the variables an expression reads.
func exprTraversals(x hcl.Expression) []hcl.Traversal {
	if x == nil {
		return nil
	}
	return x.Variables()
}

// bodyTraversals returns the variables a block body reads, nested blocks
// included.
func bodyTraversals(b *hclsyntax.Body) []hcl.Traversal {
	var out []hcl.Traversal
	for _, a := range b.Attributes {
		out = append(out, a.Expr.Variables()...)
	}
	for _, blk := range b.Blocks {
		out = append(out, bodyTraversals(blk.Body)...)
	}
	return out
}

// evalCtx returns the evaluation context of the module instance, with
// extra variables (count, each, a dynamic block's iterator) in a child.
func (e *evaluator) evalCtx(extra map[string]cty.Value) *hcl.EvalContext {
	return e.evalCtxFor(nil, extra)
}

// rootsOf returns the root names traversals read.
func rootsOf(ts []hcl.Traversal) map[string]bool {
	out := map[string]bool{}
	for _, t := range ts {
		out[t.RootName()] = true
	}
	return out
}

// evalCtxFor is evalCtx with only the resource types in roots (all when
// roots is nil): building the value of every type for every expression
// would make reading a configuration quadratic in its size.
func (e *evaluator) evalCtxFor(roots map[string]bool, extra map[string]cty.Value) *hcl.EvalContext {
	vars := map[string]cty.Value{
		"var":       objOrEmpty(e.vars),
		"local":     objOrEmpty(e.locals),
		"module":    objOrEmpty(e.mods),
		"path":      cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal(e.m.dir), "root": cty.StringVal(e.m.dir), "cwd": cty.StringVal(".")}),
		"terraform": cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal("default")}),
	}
	if roots == nil || roots["data"] {
		dataObj := map[string]cty.Value{}
		for typ := range e.data {
			dataObj[typ] = e.typeValue("data."+typ, e.data[typ])
		}
		vars["data"] = objOrEmpty(dataObj)
	}
	for typ := range e.res {
		if roots == nil || roots[typ] {
			vars[typ] = e.typeValue(typ, e.res[typ])
		}
	}
	ctx := &hcl.EvalContext{Variables: vars, Functions: e.funcs}
	if len(extra) == 0 {
		return ctx
	}
	child := ctx.NewChild()
	child.Variables = extra
	return child
}

func (e *evaluator) typeValue(key string, m map[string]cty.Value) cty.Value {
	if v, ok := e.typeObj[key]; ok {
		return v
	}
	v := objOrEmpty(m)
	e.typeObj[key] = v
	return v
}

func objOrEmpty(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

// eval evaluates an expression; a failure (unknown function, reference to
// something undeclared, type error) makes the value unknown, its reason
// the diagnostic with file and line.
func (e *evaluator) eval(x hcl.Expression, ctx *hcl.EvalContext) cty.Value {
	v, diags := x.Value(ctx)
	if diags.HasErrors() {
		return cty.DynamicVal.Mark(whyMark(diagError(diags).Error()))
	}
	return v
}

// instKey is one instance of a counted or for_each resource or module.
type instKey struct {
	suffix string               // "", "[0]", `["a"]`, "[*]"
	key    string               // the for_each key
	keyed  bool                 // a for_each instance
	extra  map[string]cty.Value // count / each
}

// expand evaluates count and for_each
// (https://developer.hashicorp.com/terraform/language/meta-arguments/count,
// …/for_each). An unknown count or for_each gives one instance "[*]"
// evaluated with an unknown index or key, and a gap.
func (e *evaluator) expand(b *hclsyntax.Body, addr, file string) []instKey {
	if a, ok := b.Attributes["count"]; ok {
		v, _ := e.eval(a.Expr, e.evalCtx(nil)).Unmark()
		n, ok := countOf(v)
		if !ok {
			e.gap(file, a.SrcRange.Start.Line, addr, "count of "+addr+" is unknown; its instances are evaluated once as "+addr+"[*] with an unknown count.index")
			return []instKey{{suffix: "[*]", extra: map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": cty.UnknownVal(cty.Number)})}}}
		}
		out := make([]instKey, 0, n)
		for i := 0; i < n; i++ {
			out = append(out, instKey{suffix: fmt.Sprintf("[%d]", i), extra: map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": cty.NumberIntVal(int64(i))})}})
		}
		return out
	}
	if a, ok := b.Attributes["for_each"]; ok {
		// Values keep their marks (each.value may be a reference to follow).
		v, _ := e.eval(a.Expr, e.evalCtx(nil)).Unmark()
		// The keys must be known: a map's or object's are once the value
		// is; a set's are its elements.
		known := v.IsKnown() && !v.IsNull() && v.CanIterateElements()
		if known && !(v.Type().IsMapType() || v.Type().IsObjectType()) {
			plain, _ := v.UnmarkDeep()
			known = plain.IsWhollyKnown()
		}
		if !known {
			e.gap(file, a.SrcRange.Start.Line, addr, "for_each of "+addr+" is unknown; its instances are evaluated once as "+addr+"[*] with an unknown each.key and each.value")
			return []instKey{{suffix: "[*]", extra: map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": cty.UnknownVal(cty.String), "value": cty.DynamicVal})}}}
		}
		var out []instKey
		for it := v.ElementIterator(); it.Next(); {
			k, val := it.Element()
			if v.Type().IsSetType() || v.Type().IsListType() || v.Type().IsTupleType() {
				k = val
			}
			k, _ = k.UnmarkDeep()
			ks, err := convert.Convert(k, cty.String)
			if err != nil || ks.IsNull() {
				e.gap(file, a.SrcRange.Start.Line, addr, "for_each of "+addr+" has a key that is not a string; instances not evaluated")
				return nil
			}
			out = append(out, instKey{suffix: fmt.Sprintf("[%q]", ks.AsString()), key: ks.AsString(), keyed: true,
				extra: map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": ks, "value": val})}})
		}
		return out
	}
	return []instKey{{}}
}

func countOf(v cty.Value) (int, bool) {
	if !v.IsKnown() || v.IsNull() {
		return 0, false
	}
	n, err := convert.Convert(v, cty.Number)
	if err != nil {
		return 0, false
	}
	i, acc := n.AsBigFloat().Int64()
	if acc != 0 || i < 0 || i > maxInstances {
		return 0, false
	}
	return int(i), true
}

func (e *evaluator) gap(file string, line int, addr, reason string) {
	e.out.set.Gaps = append(e.out.set.Gaps, check.Gap{Input: check.InputTerraform,
		Location: check.Location{File: file, Line: line, Resource: addr}, Reason: reason})
}

// resource evaluates every instance of a resource or data block.
func (e *evaluator) resource(r *resourceBlock) {
	base := e.prefix + r.key()
	roots := rootsOf(bodyTraversals(r.block.Body))
	keys := e.expand(r.block.Body, base, r.file)
	var insts []cty.Value
	byKey := map[string]cty.Value{}
	for _, k := range keys {
		addr := base + k.suffix
		lines := map[string]int{}
		cfg := e.evalBody(r.block.Body, e.evalCtxFor(roots, k.extra), "", lines, true)
		val := e.instanceValue(addr, cfg, r.key(), r.data)
		insts = append(insts, val)
		if k.keyed {
			byKey[k.key] = val
		}
		if !r.data {
			e.object(r, addr, cfg, lines)
		}
	}
	var v cty.Value
	_, counted := r.block.Body.Attributes["count"]
	switch {
	case len(keys) == 1 && keys[0].suffix == "[*]":
		v = cty.DynamicVal.Mark(whyMark("the instances of " + base + " are unknown (count or for_each unknown)"))
	case counted:
		v = cty.TupleVal(insts)
		if len(insts) == 0 {
			v = cty.EmptyTupleVal
		}
	case len(byKey) > 0 || r.block.Body.Attributes["for_each"] != nil:
		v = objOrEmpty(byKey)
	default:
		v = insts[0]
	}
	store := e.res
	tkey := r.typ
	if r.data {
		store, tkey = e.data, "data."+r.typ
	}
	if store[r.typ] == nil {
		store[r.typ] = map[string]cty.Value{}
	}
	store[r.typ][r.name] = v
	delete(e.typeObj, tkey)
}

// instanceValue is what other expressions see of a resource instance: its
// configuration, plus every attribute they read that the configuration
// does not set (and id, arn), unknown — known after apply.
func (e *evaluator) instanceValue(addr string, cfg cty.Value, key string, data bool) cty.Value {
	attrs := map[string]cty.Value{}
	if cfg.IsKnown() && !cfg.IsNull() && cfg.Type().IsObjectType() {
		for k, v := range cfg.AsValueMap() {
			attrs[k] = v
		}
	}
	add := func(a string) {
		if _, ok := attrs[a]; ok {
			return
		}
		if data {
			attrs[a] = cty.DynamicVal.Mark(whyMark(addr + "." + a + " is read from the provider at plan time"))
			return
		}
		attrs[a] = cty.DynamicVal.Mark(refMark{Addr: addr, Attr: a})
	}
	add("id")
	add("arn")
	for a := range e.refAttrs[key] {
		add(a)
	}
	return cty.ObjectVal(attrs)
}

// evalBody evaluates a block body without a schema: attributes as they
// are, nested blocks as lists of objects by block type (the shape of
// `terraform show -json`), dynamic blocks expanded.
func (e *evaluator) evalBody(b *hclsyntax.Body, ctx *hcl.EvalContext, path string, lines map[string]int, top bool) cty.Value {
	attrs := map[string]cty.Value{}
	for name, a := range b.Attributes {
		if top && (name == "count" || name == "for_each" || name == "depends_on" || name == "provider") {
			continue
		}
		p := joinPath(path, name)
		lines[p] = a.SrcRange.Start.Line
		attrs[name] = e.eval(a.Expr, ctx)
	}
	groups := map[string][]cty.Value{}
	unknown := map[string]cty.Value{}
	for _, blk := range b.Blocks {
		switch blk.Type {
		case "lifecycle", "provisioner", "connection":
			continue
		case "dynamic":
			e.dynamic(blk, ctx, path, lines, groups, unknown)
			continue
		}
		p := fmt.Sprintf("%s[%d]", joinPath(path, blk.Type), len(groups[blk.Type]))
		lines[p] = blk.TypeRange.Start.Line
		if _, ok := lines[joinPath(path, blk.Type)]; !ok {
			lines[joinPath(path, blk.Type)] = blk.TypeRange.Start.Line // the list: its first block
		}
		groups[blk.Type] = append(groups[blk.Type], e.evalBody(blk.Body, ctx, p, lines, false))
	}
	for t, vs := range groups {
		attrs[t] = cty.TupleVal(vs)
	}
	for t, v := range unknown {
		attrs[t] = v
	}
	return cty.ObjectVal(attrs)
}

// dynamic expands a dynamic block
// (https://developer.hashicorp.com/terraform/language/expressions/dynamic-blocks).
// An unknown for_each makes the whole block list unknown.
func (e *evaluator) dynamic(blk *hclsyntax.Block, ctx *hcl.EvalContext, path string, lines map[string]int, groups map[string][]cty.Value, unknown map[string]cty.Value) {
	if len(blk.Labels) != 1 {
		return
	}
	label := blk.Labels[0]
	iter := label
	if a, ok := blk.Body.Attributes["iterator"]; ok {
		if kw := hcl.ExprAsKeyword(a.Expr); kw != "" {
			iter = kw
		}
	}
	var content *hclsyntax.Block
	for _, c := range blk.Body.Blocks {
		if c.Type == "content" {
			content = c
		}
	}
	fa, ok := blk.Body.Attributes["for_each"]
	if content == nil || !ok {
		return
	}
	// Iterator values keep their marks (references to follow).
	fe, marks := e.eval(fa.Expr, ctx).Unmark()
	known := fe.IsKnown() && !fe.IsNull() && fe.CanIterateElements()
	if known && !(fe.Type().IsMapType() || fe.Type().IsObjectType()) {
		plain, _ := fe.UnmarkDeep()
		known = plain.IsWhollyKnown()
	}
	if !known {
		if len(marks) == 0 {
			marks = cty.NewValueMarks(whyMark(fmt.Sprintf("%s:%d: for_each of dynamic %q is unknown", blk.TypeRange.Filename, fa.SrcRange.Start.Line, label)))
		}
		unknown[label] = cty.DynamicVal.WithMarks(marks)
		lines[joinPath(path, label)] = blk.TypeRange.Start.Line
		return
	}
	for it := fe.ElementIterator(); it.Next(); {
		k, v := it.Element()
		child := ctx.NewChild()
		child.Variables = map[string]cty.Value{iter: cty.ObjectVal(map[string]cty.Value{"key": k, "value": v})}
		p := fmt.Sprintf("%s[%d]", joinPath(path, label), len(groups[label]))
		lines[p] = content.TypeRange.Start.Line
		groups[label] = append(groups[label], e.evalBody(content.Body, child, p, lines, false))
	}
}

// moduleCall evaluates a module block: a local module recursively (bounded
// depth), anything else as an unknown value and a gap.
func (e *evaluator) moduleCall(c *moduleCall) {
	base := e.prefix + "module." + c.name
	line := c.block.TypeRange.Start.Line
	unknown := func(reason string) {
		e.gap(c.file, line, base, reason)
		e.mods[c.name] = cty.DynamicVal.Mark(whyMark(reason))
	}
	switch {
	case c.source == "":
		unknown("module " + base + " not evaluated: its source is missing or not a literal string")
		return
	case !localSource(c.source):
		unknown(fmt.Sprintf("module %s not evaluated: remote source %q", base, c.source))
		return
	case e.depth >= maxModuleDepth:
		unknown(fmt.Sprintf("module %s not evaluated: nested deeper than %d modules", base, maxModuleDepth))
		return
	}
	dir := filepath.Join(e.m.dir, filepath.FromSlash(c.source))
	if e.onPath(dir) {
		unknown(fmt.Sprintf("module %s not evaluated: %s calls itself (a module cycle)", base, dir))
		return
	}
	if e.out.modules >= maxModuleCalls {
		unknown(fmt.Sprintf("module %s not evaluated: more than %d module instances", base, maxModuleCalls))
		return
	}
	child, err := loadModule(e.ctx, dir)
	if err != nil {
		unknown(fmt.Sprintf("module %s not evaluated: %v", base, err))
		return
	}
	addSkipped(e, child)
	keys := e.expand(c.block.Body, base, c.file)
	var insts []cty.Value
	byKey := map[string]cty.Value{}
	for _, k := range keys {
		ctx := e.evalCtx(k.extra)
		in := map[string]cty.Value{}
		for n, a := range c.block.Body.Attributes {
			switch n {
			case "source", "version", "count", "for_each", "providers", "depends_on":
				continue
			}
			in[n] = e.eval(a.Expr, ctx)
		}
		vars := moduleVars(child, in, base+k.suffix)
		e.out.modules++
		ce := newEvaluator(e.ctx, child, base+k.suffix+".", e.depth+1, vars, e.out)
		ce.parent = e
		outs, err := ce.run()
		if err != nil {
			outs = cty.DynamicVal.Mark(whyMark(err.Error()))
		}
		insts = append(insts, outs)
		if k.keyed {
			byKey[k.key] = outs
		}
	}
	_, counted := c.block.Body.Attributes["count"]
	switch {
	case len(keys) == 1 && keys[0].suffix == "[*]":
		e.mods[c.name] = cty.DynamicVal.Mark(whyMark("the instances of " + base + " are unknown"))
	case counted:
		e.mods[c.name] = cty.TupleVal(insts)
		if len(insts) == 0 {
			e.mods[c.name] = cty.EmptyTupleVal
		}
	case c.block.Body.Attributes["for_each"] != nil:
		e.mods[c.name] = objOrEmpty(byKey)
	default:
		e.mods[c.name] = insts[0]
	}
}

func addSkipped(e *evaluator, m *module) {
	for _, f := range m.skipped {
		e.gap(f, 0, "", "JSON-syntax Terraform file (.tf.json) not read")
	}
}

// moduleVars gives each declared variable its value: the given input, else
// its default, else unknown naming it. Values are converted to the
// variable's type constraint when they can be.
func moduleVars(m *module, given map[string]cty.Value, where string) map[string]cty.Value {
	out := map[string]cty.Value{}
	for n, b := range m.variables {
		v, ok := given[n]
		if !ok {
			if a, has := b.Body.Attributes["default"]; has {
				dv, diags := a.Expr.Value(nil)
				if diags.HasErrors() {
					dv = cty.DynamicVal.Mark(whyMark(diagError(diags).Error()))
				}
				v, ok = dv, true
			}
		}
		if !ok {
			v = cty.DynamicVal.Mark(whyMark(fmt.Sprintf("var.%s has no value (%s: no default, not set)", n, where)))
		}
		out[n] = typed(b, v)
	}
	return out
}

// typed converts v to the variable's type constraint (with optional
// attribute defaults) when it can; otherwise v stays as it is.
func typed(b *hclsyntax.Block, v cty.Value) cty.Value {
	a, ok := b.Body.Attributes["type"]
	if !ok || !v.IsWhollyKnown() {
		return v
	}
	ty, defs, diags := typeexpr.TypeConstraintWithDefaults(a.Expr)
	if diags.HasErrors() {
		return v
	}
	uv, marks := v.UnmarkDeep()
	if defs != nil {
		uv = defs.Apply(uv)
	}
	cv, err := convert.Convert(uv, ty)
	if err != nil {
		return v
	}
	return cv.WithMarks(marks)
}
