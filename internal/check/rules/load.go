package rules

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/suggest"
)

// builtinFS holds the built-in packs. The README keeps the embed valid
// while no pack exists yet.
//
//go:embed builtin
var builtinFS embed.FS

// maxRuleFile bounds one rule file: rules are hand-written.
const maxRuleFile = 4 << 20

// Options select the rules Load returns.
type Options struct {
	// Paths are user rule files or directories (every *.yaml, *.yml and
	// *.json file below a directory, in lexical order).
	Paths []string
	// NoBuiltin leaves out the packs shipped in the binary.
	NoBuiltin bool
	// Builtin replaces the embedded packs (tests); nil: the embedded ones.
	// Files are read from its "builtin" directory.
	Builtin fs.FS
	// CostLimit bounds one evaluation (CEL cost units); 0: CostLimit.
	CostLimit uint64
}

// Set is the loaded rules, in load order (built-in packs by file name,
// then user paths in the order given), and what Load warned about.
type Set struct {
	rules    []*Rule
	Warnings []string
}

// Rules returns the rules, disabled ones included (Rule.Disabled).
func (s *Set) Rules() []*Rule { return slices.Clone(s.rules) }

// Enabled returns the rules that run.
func (s *Set) Enabled() []*Rule {
	var out []*Rule
	for _, r := range s.rules {
		if !r.Disabled {
			out = append(out, r)
		}
	}
	return out
}

// Select returns a Set of only the rules with the given IDs (for a pack's
// tests: evaluate one rule on its positive and negative cases). An ID
// that is not loaded is an error.
func (s *Set) Select(ids ...string) (*Set, error) {
	out := &Set{}
	for _, id := range ids {
		r := s.Rule(id)
		if r == nil {
			return nil, fmt.Errorf("rules: no rule %s is loaded", id)
		}
		out.rules = append(out.rules, r)
	}
	return out, nil
}

// Rule returns the rule with the ID, or nil.
func (s *Set) Rule(id string) *Rule {
	for _, r := range s.rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// Load reads, validates and compiles the built-in packs and the user's
// rule paths. A user rule with a built-in's ID replaces it (its fields are
// the user's; `disabled: true` with only an id turns the built-in off).
// Errors name the file and line ("rules.yaml:12: severity "hgih": …").
func Load(ctx context.Context, opts Options) (*Set, error) {
	c, err := newCompiler(opts.CostLimit)
	if err != nil {
		return nil, err
	}
	s := &Set{}
	if !opts.NoBuiltin {
		bfs := opts.Builtin
		if bfs == nil {
			bfs = builtinFS
		}
		if err := s.loadBuiltin(ctx, c, bfs); err != nil {
			return nil, err
		}
	}
	for _, p := range opts.Paths {
		files, err := ruleFiles(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			b, err := readLimited(f)
			if err != nil {
				return nil, err
			}
			if err := s.addFile(c, f, b, false); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

func (s *Set) loadBuiltin(ctx context.Context, c *compiler, bfs fs.FS) error {
	entries, err := fs.ReadDir(bfs, "builtin")
	if err != nil {
		return fmt.Errorf("built-in rules: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || !isRuleFileName(e.Name()) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name := path.Join("builtin", e.Name())
		b, err := fs.ReadFile(bfs, name)
		if err != nil {
			return fmt.Errorf("built-in rules: %w", err)
		}
		if err := s.addFile(c, name, b, true); err != nil {
			return fmt.Errorf("built-in rules: %w", err)
		}
	}
	return nil
}

func isRuleFileName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// ruleFiles expands a --rules path: a file as given, a directory to its
// rule files below it in lexical order.
func ruleFiles(p string) ([]string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("rules %s: %w", p, err)
	}
	if !fi.IsDir() {
		return []string{p}, nil
	}
	var files []string
	err = filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && isRuleFileName(f) {
			files = append(files, f)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rules %s: %w", p, err)
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("rules %s: directory holds no *.yaml, *.yml or *.json file", p)
	}
	return files, nil
}

func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxRuleFile+1))
	if err != nil {
		return nil, fmt.Errorf("rules %s: %w", name, err)
	}
	if len(b) > maxRuleFile {
		return nil, fmt.Errorf("rules %s: larger than %d bytes", name, maxRuleFile)
	}
	return b, nil
}

// fileError is an error at a line of a rule file.
func fileError(file string, line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, args...))
}

// addFile parses one file: YAML documents that are either a rules
// document (`rules:`) or Kubernetes objects (ValidatingAdmissionPolicy).
func (s *Set) addFile(c *compiler, file string, b []byte, builtin bool) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	docs := 0
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		if len(doc.Content) == 0 {
			continue
		}
		docs++
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode {
			return fileError(file, root.Line, "want a mapping with a rules: list, or a ValidatingAdmissionPolicy object")
		}
		if hasKey(root, "apiVersion") || hasKey(root, "kind") {
			if builtin {
				return fileError(file, root.Line, "built-in packs hold rules: lists, not Kubernetes objects")
			}
			if err := s.addKubernetesObject(c, file, root); err != nil {
				return err
			}
			continue
		}
		if err := s.addRulesDoc(c, file, root, builtin); err != nil {
			return err
		}
	}
	if docs == 0 && !builtin {
		return fmt.Errorf("%s: no rules in the file (empty)", file)
	}
	return nil
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

func (s *Set) addRulesDoc(c *compiler, file string, root *yaml.Node, builtin bool) error {
	fields, err := mapping(file, root, "a rules file", []string{"rules"})
	if err != nil {
		return err
	}
	list := fields["rules"]
	if list == nil {
		return fileError(file, root.Line, "no rules: list")
	}
	if list.Kind != yaml.SequenceNode {
		return fileError(file, list.Line, "rules must be a list of rules (- id: …)")
	}
	for _, n := range list.Content {
		r, err := decodeRule(file, n)
		if err != nil {
			return err
		}
		r.Builtin = builtin
		if err := s.add(c, file, n.Line, r); err != nil {
			return err
		}
	}
	return nil
}

// add validates, compiles and records r, replacing a built-in of the same
// ID when r is a user rule.
func (s *Set) add(c *compiler, file string, line int, r *Rule) error {
	r.Source = fmt.Sprintf("%s:%d", file, line)
	i := slices.IndexFunc(s.rules, func(o *Rule) bool { return o.ID == r.ID })
	var replaced *Rule
	if i >= 0 {
		old := s.rules[i]
		if old.Builtin == r.Builtin {
			return fileError(file, line, "rule %s is defined twice (first at %s)", r.ID, old.Source)
		}
		replaced = old
	}
	if r.Disabled && replaced == nil && r.Violations == "" && r.ID != "" {
		// Turning off a rule that is not loaded (a typo, or
		// --no-builtin-rules): said, not an error.
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s:%d: disabled: true for %s, which is not a loaded rule (nothing turned off)", file, line, r.ID))
		return nil
	}
	if r.Disabled && replaced != nil && r.Violations == "" {
		// `- id: SL-…  disabled: true` turns the built-in off.
		off := *replaced
		off.Disabled, off.Source, off.Builtin = true, r.Source, false
		s.rules[i] = &off
		return nil
	}
	if err := validate(file, line, r); err != nil {
		return err
	}
	if r.prog == nil && (!r.Disabled || r.Violations != "") {
		p, err := c.compileRule(r)
		if err != nil {
			return fileError(file, errLine(err, r.exprLine, line), "rule %s: %v", r.ID, err)
		}
		r.prog = p
	}
	if replaced != nil {
		s.rules[i] = r
		return nil
	}
	s.rules = append(s.rules, r)
	return nil
}

// ruleKeys are the keys of a rule, in documentation order.
var ruleKeys = []string{"id", "title", "severity", "standard", "references", "rationale", "remediation",
	"inputs", "types", "disabled", "violations"}

func decodeRule(file string, n *yaml.Node) (*Rule, error) {
	fields, err := mapping(file, n, "a rule", ruleKeys)
	if err != nil {
		return nil, err
	}
	r := &Rule{}
	for _, key := range ruleKeys {
		v := fields[key]
		if v == nil {
			continue
		}
		if err := decodeField(file, r, key, v); err != nil {
			return nil, err
		}
	}
	if v := fields["violations"]; v != nil {
		r.exprLine = v.Line
		if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			r.exprLine++ // the expression starts on the line after "|"
		}
	}
	return r, nil
}

func decodeField(file string, r *Rule, key string, v *yaml.Node) error {
	switch key {
	case "references", "inputs", "types":
		list, err := stringList(file, key, v)
		if err != nil {
			return err
		}
		switch key {
		case "references":
			r.References = list
		case "types":
			r.Types = list
		case "inputs":
			for _, s := range list {
				r.Inputs = append(r.Inputs, check.Input(s))
			}
		}
		return nil
	}
	if v.Kind != yaml.ScalarNode {
		return fileError(file, v.Line, "%s must be text, not a list or mapping", key)
	}
	switch key {
	case "id":
		r.ID = strings.TrimSpace(v.Value)
	case "title":
		r.Title = strings.TrimSpace(v.Value)
	case "severity":
		r.Severity = Severity(v.Value)
		sev, err := ParseSeverity(v.Value)
		if err != nil {
			return fileError(file, v.Line, "%v", err)
		}
		r.Severity = sev
	case "standard":
		r.Standard = strings.TrimSpace(v.Value)
	case "rationale":
		r.Rationale = strings.TrimSpace(v.Value)
	case "remediation":
		r.Remediation = strings.TrimSpace(v.Value)
	case "disabled":
		switch v.Value {
		case "true":
			r.Disabled = true
		case "false":
		default:
			return fileError(file, v.Line, "disabled must be true or false, not %q", v.Value)
		}
	case "violations":
		r.Violations = v.Value
	}
	return nil
}

func stringList(file, key string, v *yaml.Node) ([]string, error) {
	if v.Kind != yaml.SequenceNode {
		return nil, fileError(file, v.Line, "%s must be a list ([a, b])", key)
	}
	out := make([]string, 0, len(v.Content))
	for _, it := range v.Content {
		if it.Kind != yaml.ScalarNode || strings.TrimSpace(it.Value) == "" {
			return nil, fileError(file, it.Line, "%s: items must be non-empty text", key)
		}
		out = append(out, strings.TrimSpace(it.Value))
	}
	return out, nil
}

// validate checks the fields of a decoded rule that will run.
func validate(file string, line int, r *Rule) error {
	if r.ID == "" {
		return fileError(file, line, "rule has no id")
	}
	if !idPattern.MatchString(r.ID) {
		return fileError(file, line, "rule id %q: want a letter then letters, digits, '.', '_', ':', '/' or '-' (at most 128, no spaces), e.g. ORG-K8S-001", r.ID)
	}
	if r.Title == "" {
		return fileError(file, line, "rule %s has no title", r.ID)
	}
	if r.Severity == "" {
		return fileError(file, line, "rule %s has no severity (one of %s)", r.ID, severityNames())
	}
	if len(r.Inputs) == 0 {
		return fileError(file, line, "rule %s has no inputs (one or more of %s)", r.ID, inputNames())
	}
	for _, in := range r.Inputs {
		if !slices.Contains(knownInputs, in) {
			return fileError(file, line, "rule %s: unknown input %q%s (known: %s)", r.ID, in,
				suggest.Hint(string(in), inputStrings()), inputNames())
		}
	}
	if strings.TrimSpace(r.Violations) == "" {
		return fileError(file, line, "rule %s has no violations expression", r.ID)
	}
	return nil
}

func inputStrings() []string {
	out := make([]string, len(knownInputs))
	for i, in := range knownInputs {
		out[i] = string(in)
	}
	return out
}

func inputNames() string { return strings.Join(inputStrings(), ", ") }

// mapping returns the values of a mapping node by key, refusing unknown
// keys (with a "did you mean") and repeated keys.
func mapping(file string, n *yaml.Node, what string, known []string) (map[string]*yaml.Node, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fileError(file, n.Line, "%s must be a mapping with keys %s", what, strings.Join(known, ", "))
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(known, k.Value) {
			return nil, fileError(file, k.Line, "unknown key %q in %s%s (known keys: %s)", k.Value, what,
				suggest.Hint(k.Value, known), strings.Join(known, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, fileError(file, k.Line, "key %q given twice", k.Value)
		}
		out[k.Value] = v
	}
	return out, nil
}
