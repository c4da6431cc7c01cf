package dockerfile

import (
	// go-digest validates sha256 digests only when the hash is linked in.
	_ "crypto/sha256"

	"fmt"
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Base kinds of a stage (stages[i].base_kind).
const (
	baseImage   = "image"   // an image from a registry
	baseStage   = "stage"   // an earlier stage of this Dockerfile
	baseScratch = "scratch" // the empty image
	baseUnknown = "unknown" // a variable without a value, or not a valid reference
)

// from starts a new stage. BuildKit expands FROM with the ARGs declared
// before the first FROM (https://docs.docker.com/reference/dockerfile/#understand-how-arg-and-from-interact);
// the expanded reference is parsed like `docker pull` does
// (github.com/distribution/reference, docker.io/library/ for short names).
func (b *builder) from(i int, n *parser.Node) error {
	args := nodeArgs("from", n)
	if len(args) == 0 {
		return b.errAt(n.StartLine, "FROM requires an image argument")
	}
	idx := len(b.stages)
	name := ""
	if len(args) >= 3 && strings.EqualFold(args[1], "as") {
		name = strings.ToLower(args[2])
	}
	s := &stage{baseStage: -1, m: map[string]any{
		"index":       int64(idx),
		"name":        name,
		"base":        args[0],
		"line":        int64(n.StartLine),
		"platform":    flagValue(n.Flags, "platform"),
		"user":        "",
		"healthcheck": "",
	}}
	b.lines[fmt.Sprintf("stages[%d]", idx)] = n.StartLine
	b.lines[fmt.Sprintf("stages[%d].base", idx)] = n.StartLine
	b.resolveBase(idx, n.StartLine, args[0], s)
	b.stages = append(b.stages, s)
	return nil
}

func (b *builder) resolveBase(idx, line int, base string, s *stage) {
	res, err := b.lex.ProcessWordWithMatches(base, mapEnv(b.globalArgs))
	expanded := res.Result
	s.m["base_expanded"] = expanded
	s.m["base_stage"] = int64(-1)
	s.m["base_parts"] = map[string]any{}
	kind, why, invalid := b.baseKind(expanded, err, res.Unmatched, s)
	s.m["base_kind"] = kind
	if kind != baseUnknown {
		return
	}
	p := fmt.Sprintf("stages[%d]", idx)
	b.unknown = append(b.unknown, p+".base_expanded", p+".base_parts", p+".base_kind")
	if invalid {
		// BuildKit would refuse this FROM: say so, beside the unknown.
		b.gaps = append(b.gaps, gapAt(b.name, line,
			fmt.Sprintf("base image of stage %d (%q) is not known: %s; rules on the base image cannot decide", idx, base, why)))
	}
}

// baseKind classifies an expanded FROM reference. invalid is set when the
// reference itself is wrong (not when it depends on an unset ARG, which a
// build with --build-arg would set).
func (b *builder) baseKind(expanded string, err error, unmatched map[string]struct{}, s *stage) (kind, why string, invalid bool) {
	if err != nil {
		return baseUnknown, err.Error(), true
	}
	if len(unmatched) > 0 {
		return baseUnknown, "it uses " + strings.Join(keys(unmatched), ", ") + " with no default value", false
	}
	low := strings.ToLower(expanded)
	for j := len(b.stages) - 1; j >= 0; j-- {
		if b.stages[j].m["name"] == low && low != "" {
			s.baseStage = j
			s.m["base_stage"] = int64(j)
			return baseStage, "", false
		}
	}
	if low == "scratch" {
		return baseScratch, "", false
	}
	named, perr := reference.ParseNormalizedNamed(expanded)
	if perr != nil {
		return baseUnknown, "not a valid image reference: " + perr.Error(), true
	}
	parts := map[string]any{
		"registry":   reference.Domain(named),
		"repository": reference.Path(named),
		"tag":        "",
		"digest":     "",
	}
	if t, ok := named.(reference.Tagged); ok {
		parts["tag"] = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		parts["digest"] = d.Digest().String()
	}
	s.m["base_parts"] = parts
	return baseImage, "", false
}

func keys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// mapEnv is a shell.EnvGetter over the global ARG defaults.
type mapEnv map[string]string

func (m mapEnv) Get(k string) (string, bool) { v, ok := m[k]; return v, ok }
func (m mapEnv) Keys() []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// flagValue is the value of --name=value among an instruction's flags, ""
// when absent.
func flagValue(flags []string, name string) string {
	for _, f := range flags {
		if v, ok := strings.CutPrefix(f, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

// effective follows a stage's chain of stage bases (FROM builder) to the
// last value get returns non-empty, with the stage that set it: a USER or
// HEALTHCHECK in an earlier stage is inherited by stages built FROM it.
// unknown is set when the chain ends at a base that is not known (FROM
// $ARG without a default): that base could be a stage that sets the value.
func (b *builder) effective(idx int, get func(*stage) string) (v string, at int, unknown bool) {
	for seen := 0; idx >= 0 && seen <= len(b.stages); seen++ {
		s := b.stages[idx]
		if v := get(s); v != "" {
			return v, idx, false
		}
		if s.m["base_kind"] == baseUnknown {
			return "", -1, true
		}
		idx = s.baseStage
	}
	return "", -1, false
}

// finalChain lists the stages whose layers end up in the final image: the
// final stage and the stages it is built FROM, final first.
func (b *builder) finalChain() []int {
	var out []int
	for idx := len(b.stages) - 1; idx >= 0 && len(out) <= len(b.stages); idx = b.stages[idx].baseStage {
		out = append(out, idx)
	}
	return out
}

// vars are the derived values rules read as `vars` (see the package doc).
func (b *builder) vars() map[string]any {
	last := len(b.stages) - 1
	user, us, userUnknown := b.effective(last, func(s *stage) string { return s.user })
	health, hs, healthUnknown := b.effective(last, func(s *stage) string { return s.health })
	if userUnknown {
		b.unknown = append(b.unknown, "vars.final_user", "vars.final_user_root", "vars.final_user_index")
	}
	if healthUnknown {
		b.unknown = append(b.unknown, "vars.final_healthcheck", "vars.final_healthcheck_index")
	}
	userLine, userIdx := int64(0), int64(-1)
	if us >= 0 {
		userLine, userIdx = int64(b.stages[us].userLine), int64(b.stages[us].userIndex)
	}
	healthIdx := int64(-1)
	if hs >= 0 {
		healthIdx = int64(b.stages[hs].healthIdx)
	}
	chain := b.finalChain()
	inFinal := map[int64]bool{}
	chainAny := make([]any, len(chain))
	for i, c := range chain {
		chainAny[i] = int64(c)
		inFinal[int64(c)] = true
	}
	for i, s := range b.stages {
		s.m["in_final_image"] = inFinal[int64(i)]
	}
	for _, r := range b.runs {
		rm := r.(map[string]any)
		rm["in_final_image"] = inFinal[rm["stage"].(int64)]
	}
	name, _, _ := strings.Cut(user, ":")
	return map[string]any{
		"final_stage":             b.stages[last].m,
		"final_stage_index":       int64(last),
		"final_chain":             chainAny,
		"final_user":              user,
		"final_user_stage":        int64(us),
		"final_user_line":         userLine,
		"final_user_index":        userIdx,
		"final_user_root":         name == "root" || name == "0",
		"final_healthcheck":       health,
		"final_healthcheck_stage": int64(hs),
		"final_healthcheck_index": healthIdx,
		"runs":                    orEmpty(b.runs),
	}
}
