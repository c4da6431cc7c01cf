package rules

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"

	"github.com/sightline-sec/sightline/internal/check"
)

// Evaluate runs every enabled rule on every Object it applies to, in
// parallel over Objects (GOMAXPROCS workers). The input's Gaps are passed
// through; a rule that fails at run time (a type error, the cost limit) is
// a Gap naming the rule and the Object; a result that depended on an
// Object.Unknown path is an Unknown. Inline ignores are applied; the
// ignore file is applied by the caller (Result.ApplyIgnoreFile). When ctx
// is cancelled the evaluations not done are one Gap.
func (s *Set) Evaluate(ctx context.Context, set check.Set) Result {
	enabled := s.Enabled()
	res := Result{Gaps: slices.Clone(set.Gaps)}
	res.Stats = Stats{Objects: map[check.Input]int{}, Rules: len(enabled), Disabled: len(s.rules) - len(enabled)}
	for i := range set.Objects {
		res.Stats.Objects[set.Objects[i].Input]++
	}
	outs := make([]objectResult, len(set.Objects))
	applied := make([]bool, len(enabled))
	var mu sync.Mutex
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			seen := make([]bool, len(enabled))
			for i := range work {
				outs[i] = evalObject(ctx, enabled, &set.Objects[i], seen)
			}
			mu.Lock()
			for j, ok := range seen {
				applied[j] = applied[j] || ok
			}
			mu.Unlock()
		})
	}
	for i := range set.Objects {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	skipped := 0
	for i := range outs {
		o := &outs[i]
		if !o.done {
			skipped++
			continue
		}
		res.Findings = append(res.Findings, o.findings...)
		res.Suppressed = append(res.Suppressed, o.suppressed...)
		res.Unknown = append(res.Unknown, o.unknown...)
		res.Gaps = append(res.Gaps, o.gaps...)
		res.Warnings = append(res.Warnings, o.warnings...)
		res.Stats.Evaluations += o.evaluations
	}
	for _, ok := range applied {
		if ok {
			res.Stats.RulesApplied++
		}
	}
	if skipped > 0 {
		res.Gaps = append(res.Gaps, check.Gap{Reason: fmt.Sprintf(
			"evaluation stopped (%v): %d of %d objects not checked", context.Cause(ctx), skipped, len(set.Objects))})
	}
	res.Warnings = append(res.Warnings, s.unknownIgnoreWarnings(set)...)
	return res
}

// objectResult is what the rules gave on one Object.
type objectResult struct {
	done        bool
	findings    []Finding
	suppressed  []Finding
	unknown     []Unknown
	gaps        []check.Gap
	warnings    []string
	evaluations int
}

// evalObject runs the rules on one Object; seen[j] is set for each rule
// that applied.
func evalObject(ctx context.Context, rules []*Rule, o *check.Object, seen []bool) objectResult {
	out := objectResult{}
	act, err := activation(o)
	if err != nil {
		out.gaps = append(out.gaps, check.Gap{Input: o.Input, Location: o.Location,
			Reason: fmt.Sprintf("%s: unknown paths: %v", o.Name, err)})
		out.done = true
		return out
	}
	for j, r := range rules {
		if !r.AppliesTo(o) {
			continue
		}
		if ctx.Err() != nil {
			return objectResult{} // not done: counted as one Gap
		}
		seen[j] = true
		out.evaluations++
		vs, unk, err := r.prog.eval(ctx, act, r)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return objectResult{}
			}
			out.gaps = append(out.gaps, check.Gap{Input: o.Input, Location: o.Location,
				Reason: fmt.Sprintf("rule %s could not be evaluated on %s: %v", r.ID, o.Name, err)})
		case unk != nil:
			out.unknown = append(out.unknown, Unknown{RuleID: r.ID, Title: r.Title, Severity: r.Severity,
				Input: o.Input, Type: o.Type, Object: o.Name, Location: o.Location, Paths: unk, Reasons: unknownReasons(o, unk)})
		default:
			for _, v := range vs {
				f := newFinding(r, o, v)
				if sup := inlineSuppression(o, r.ID, f.Location.Line); sup != nil {
					f.Suppressed = sup
					out.suppressed = append(out.suppressed, f)
					continue
				}
				out.findings = append(out.findings, f)
			}
		}
	}
	out.warnings = reasonlessIgnoreWarnings(o)
	out.done = true
	return out
}

// objActivation binds one Object's variables, with or without unknowns.
type objActivation struct {
	vars    map[string]any
	plain   interpreter.Activation
	partial interpreter.PartialActivation // nil: no unknowns
}

func activation(o *check.Object) (*objActivation, error) {
	data, vars := o.Data, o.Vars
	if data == nil {
		data = map[string]any{}
	}
	if vars == nil {
		vars = map[string]any{}
	}
	m := map[string]any{"object": data, "vars": vars, "type": o.Type, "name": o.Name}
	plain, err := interpreter.NewActivation(m)
	if err != nil {
		return nil, err
	}
	a := &objActivation{vars: m, plain: plain}
	if len(o.Unknown) > 0 {
		pats := make([]*interpreter.AttributePattern, 0, len(o.Unknown))
		for _, p := range o.Unknown {
			pat, err := unknownPattern(p)
			if err != nil {
				return nil, err
			}
			pats = append(pats, pat)
		}
		a.partial, err = cel.PartialVars(m, pats...)
		if err != nil {
			return nil, err
		}
	}
	return a, nil
}

// unknownPattern turns an Object.Unknown path into a CEL attribute
// pattern: "ingress[0].cidr_blocks" is object.ingress[0].cidr_blocks; a
// path starting "vars." is into Vars.
func unknownPattern(p string) (*interpreter.AttributePattern, error) {
	steps, err := parsePath(p)
	if err != nil {
		return nil, err
	}
	variable := "object"
	if len(steps) > 1 && steps[0].key == "vars" && steps[0].index < 0 {
		variable, steps = "vars", steps[1:]
	}
	pat := cel.AttributePattern(variable)
	for _, s := range steps {
		if s.index >= 0 {
			pat = pat.QualInt(int64(s.index))
		} else {
			pat = pat.QualString(s.key)
		}
	}
	return pat, nil
}

// violation is one item of a rule's result.
type violation struct {
	message, path, resource string
	proof                   []string
}

// eval runs the program on one Object: violations, or the unknown paths
// the result depended on, or an error.
func (p *program) eval(ctx context.Context, a *objActivation, r *Rule) (vs []violation, unk []string, err error) {
	limited, cancel := context.WithTimeout(ctx, EvalTimeout)
	defer cancel()
	defer func() {
		if err != nil && ctx.Err() == nil && limited.Err() != nil {
			err = fmt.Errorf("evaluation took longer than %s (rules.EvalTimeout): %w", EvalTimeout, err)
		}
	}()
	return p.evalIn(limited, a, r)
}

func (p *program) evalIn(ctx context.Context, a *objActivation, r *Rule) ([]violation, []string, error) {
	if p.vap != nil {
		return p.vap.eval(ctx, a, r)
	}
	prg := p.main
	var act interpreter.Activation = a.plain
	if a.partial != nil {
		prg, act = p.partial, a.partial
	}
	out, _, err := prg.ContextEval(ctx, act)
	if err != nil {
		return nil, nil, err
	}
	if types.IsUnknown(out) {
		return nil, unknownPaths(out), nil
	}
	vs, err := violations(out, r.Title)
	return vs, nil, err
}

// violations reads a rule's result: true is one violation titled by the
// rule, false or an empty list none, a list of strings or of
// {message, path, proof, resource} maps one each.
func violations(out ref.Val, title string) ([]violation, error) {
	switch v := out.(type) {
	case types.Bool:
		if v {
			return []violation{{message: title}}, nil
		}
		return nil, nil
	case traits.Lister:
		var vs []violation
		for it := v.Iterator(); it.HasNext() == types.True; {
			item, err := listItem(it.Next(), title)
			if err != nil {
				return nil, err
			}
			vs = append(vs, item)
		}
		return vs, nil
	}
	return nil, fmt.Errorf("result is %s, want a bool or a list", out.Type().TypeName())
}

func listItem(v ref.Val, title string) (violation, error) {
	switch x := v.(type) {
	case types.String:
		return violation{message: string(x)}, nil
	case traits.Mapper:
		vi := violation{message: title}
		for it := x.Iterator(); it.HasNext() == types.True; {
			k := it.Next()
			key, ok := k.(types.String)
			if !ok {
				return vi, fmt.Errorf("violation map key %v is not a string", k)
			}
			val := x.Get(k)
			if err := setField(&vi, string(key), val); err != nil {
				return vi, err
			}
		}
		return vi, nil
	}
	return violation{}, fmt.Errorf("violation item is %s, want a string or a map {message, path, proof, resource}", v.Type().TypeName())
}

func setField(vi *violation, key string, val ref.Val) error {
	switch key {
	case "message", "path", "resource":
		s, ok := val.(types.String)
		if !ok {
			return fmt.Errorf("violation %s is %s, want a string", key, val.Type().TypeName())
		}
		switch key {
		case "message":
			vi.message = string(s)
		case "path":
			vi.path = string(s)
		case "resource":
			vi.resource = string(s)
		}
	case "proof":
		l, ok := val.(traits.Lister)
		if !ok {
			return fmt.Errorf("violation proof is %s, want a list of strings", val.Type().TypeName())
		}
		for it := l.Iterator(); it.HasNext() == types.True; {
			s, ok := it.Next().(types.String)
			if !ok {
				return fmt.Errorf("violation proof items must be strings")
			}
			vi.proof = append(vi.proof, string(s))
		}
	default:
		return fmt.Errorf("violation key %q: want message, path, proof or resource", key)
	}
	return nil
}

// unknownPaths names the attributes an unknown result depended on.
func unknownPaths(out ref.Val) []string {
	u, ok := out.(*types.Unknown)
	if !ok {
		return []string{"?"}
	}
	var paths []string
	for _, id := range u.IDs() {
		trails, _ := u.GetAttributeTrails(id)
		for _, t := range trails {
			p := trailPath(t)
			if !slices.Contains(paths, p) {
				paths = append(paths, p)
			}
		}
	}
	slices.Sort(paths)
	if len(paths) == 0 {
		paths = []string{"?"}
	}
	return paths
}

// trailPath writes an attribute trail in the Object.Unknown syntax.
func trailPath(t *types.AttributeTrail) string {
	var b strings.Builder
	if t.Variable() != "object" {
		b.WriteString(t.Variable())
	}
	for _, q := range t.QualifierPath() {
		switch v := q.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(v)
		default:
			fmt.Fprintf(&b, "[%v]", v)
		}
	}
	return b.String()
}

func newFinding(r *Rule, o *check.Object, v violation) Finding {
	loc := o.Location
	if v.path != "" {
		if line := lineFor(o, v.path); line > 0 {
			loc.Line = line
		}
	}
	if v.resource != "" {
		loc.Resource = v.resource
	}
	msg := v.message
	if msg == "" {
		msg = r.Title
	}
	return Finding{RuleID: r.ID, Title: r.Title, Severity: r.Severity, Standard: r.Standard,
		Input: o.Input, Type: o.Type, Object: o.Name, Location: loc, Message: msg, Path: v.path,
		Proof: v.proof, Remediation: r.Remediation}
}

// lineFor is the line of path in o, or of its nearest parent the input
// knows a line for (a field the rule found missing is reported at the
// mapping that lacks it), or 0.
func lineFor(o *check.Object, path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if l, ok := o.Lines[p]; ok && l > 0 {
			return l
		}
	}
	return 0
}

// rebind returns an activation over m with the Object's unknown patterns,
// for programs that bind other variables (ValidatingAdmissionPolicy).
func (a *objActivation) rebind(m map[string]any) (interpreter.Activation, error) {
	if a.partial == nil {
		return interpreter.NewActivation(m)
	}
	return cel.PartialVars(m, a.partial.UnknownAttributePatterns()...)
}

// unknownReasons are the inputs' reasons for the unknown paths a result
// depended on: the reason of each Object.Unknown entry that is one of the
// paths, lies under one, or holds one (partial evaluation reports the
// attribute it stopped at, which may be a parent or a child of the entry).
func unknownReasons(o *check.Object, paths []string) []string {
	var out []string
	under := func(a, b string) bool {
		return a == b || strings.HasPrefix(a, b+".") || strings.HasPrefix(a, b+"[")
	}
	for _, u := range o.Unknown {
		for _, p := range paths {
			if under(u, p) || under(p, u) {
				if why := o.UnknownReason(u); why != "" && !slices.Contains(out, why) {
					out = append(out, why)
				}
				break
			}
		}
	}
	return out
}
