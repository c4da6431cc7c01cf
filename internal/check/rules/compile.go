package rules

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
)

// CostLimit bounds one evaluation of one rule on one Object, in CEL cost
// units (https://github.com/google/cel-go, cel.CostLimit: roughly one unit
// per operation, more for string and list work). Kubernetes allows 1e6
// per validation expression; a rule over a large object (a ConfigMap, a
// Terraform module's resources) gets ten times that.
const CostLimit = 10_000_000

// DefaultCostLimit is CostLimit as the type Options.CostLimit takes.
const DefaultCostLimit uint64 = CostLimit

// EvalTimeout bounds the wall time of one evaluation of one rule on one
// Object. The cost limit bounds CEL's own operations, but extension
// functions (lists.range, string and regex work) are charged less than
// they take: a nested comprehension over lists.range(5000) ran 11 s under
// the limit. Past the timeout the rule's result on that Object is a gap
// naming both. The comprehension loops check it every interruptEvery
// iterations.
const EvalTimeout = time.Second

// interruptEvery is how many comprehension iterations pass between checks
// of the context (cel.InterruptCheckFrequency).
const interruptEvery = 100

// compiler holds the CEL environments rules compile in.
type compiler struct {
	env       *cel.Env // variables object, vars, type, name
	vap       *cel.Env // ValidatingAdmissionPolicy variables
	costLimit uint64
}

// libraries are the CEL extensions rules may use: the cel-go ext packages
// (strings, lists, sets, math, encoders, regex, two-variable
// comprehensions, bindings) and optional types (`a.?b.orValue(c)`), the
// library Kubernetes' CEL also builds on.
func libraries() []cel.EnvOption {
	return []cel.EnvOption{
		cel.OptionalTypes(),
		cel.CrossTypeNumericComparisons(true),
		ext.Strings(), ext.Lists(), ext.Sets(), ext.Math(), ext.Encoders(),
		ext.Regex(), ext.TwoVarComprehensions(), ext.Bindings(),
	}
}

func newCompiler(costLimit uint64) (*compiler, error) {
	if costLimit == 0 {
		costLimit = DefaultCostLimit
	}
	env, err := cel.NewEnv(append(libraries(),
		cel.Variable("object", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("vars", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("type", cel.StringType),
		cel.Variable("name", cel.StringType),
	)...)
	if err != nil {
		return nil, fmt.Errorf("rules: CEL environment: %w", err)
	}
	vap, err := cel.NewEnv(append(libraries(), vapVariables()...)...)
	if err != nil {
		return nil, fmt.Errorf("rules: CEL environment: %w", err)
	}
	return &compiler{env: env, vap: vap, costLimit: costLimit}, nil
}

// exprError is a CEL compile error at a line of the expression (1-based).
type exprError struct {
	line int
	msg  string
}

func (e *exprError) Error() string { return e.msg }

// errLine is the file line of a compile error: the expression's first
// line plus the CEL line, or fallback when the error has none.
func errLine(err error, exprStart, fallback int) int {
	var ee *exprError
	if errors.As(err, &ee) && ee.line > 0 && exprStart > 0 {
		return exprStart + ee.line - 1
	}
	return fallback
}

// compileAST compiles src in env, turning CEL issues into an exprError
// that carries the first issue's line.
func compileAST(env *cel.Env, src string) (*cel.Ast, error) {
	ast, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		line := 0
		if errs := iss.Errors(); len(errs) > 0 {
			line = errs[0].Location.Line()
		}
		return nil, &exprError{line: line, msg: cleanIssues(iss.Err().Error())}
	}
	return ast, nil
}

// cleanIssues trims cel-go's "ERROR: <input>:1:5:" prefixes to "1:5:".
func cleanIssues(s string) string {
	s = strings.ReplaceAll(s, "ERROR: <input>:", "CEL ")
	return strings.ReplaceAll(s, "\n", " ")
}

// programs builds the normal and the partial-evaluation program of ast.
func (c *compiler) programs(env *cel.Env, ast *cel.Ast) (main, partial cel.Program, err error) {
	opts := []cel.ProgramOption{cel.CostLimit(c.costLimit), cel.InterruptCheckFrequency(interruptEvery)}
	// OptOptimize folds constant parts (list literals of `in`) once, at
	// load.
	main, err = env.Program(ast, append(opts, cel.EvalOptions(cel.OptOptimize))...)
	if err != nil {
		return nil, nil, err
	}
	partial, err = env.Program(ast, append(opts, cel.EvalOptions(cel.OptOptimize, cel.OptPartialEval))...)
	return main, partial, err
}

// compileRule compiles a rule's violations expression; its result must be
// a bool or a list (checked at load where the type is known, again at run
// time for dyn).
func (c *compiler) compileRule(r *Rule) (*program, error) {
	ast, err := compileAST(c.env, r.Violations)
	if err != nil {
		return nil, err
	}
	if err := checkOutput(ast.OutputType()); err != nil {
		return nil, err
	}
	main, partial, err := c.programs(c.env, ast)
	if err != nil {
		return nil, fmt.Errorf("CEL program: %w", err)
	}
	return &program{main: main, partial: partial}, nil
}

func checkOutput(t *cel.Type) error {
	switch t.Kind() {
	case cel.BoolType.Kind(), cel.DynType.Kind(), cel.AnyType.Kind():
		return nil
	case cel.ListType(cel.DynType).Kind():
		return nil
	}
	return fmt.Errorf("violations must give a bool or a list of messages, not %s", t)
}
