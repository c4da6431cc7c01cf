package rules

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
	"go.yaml.in/yaml/v3"

	"github.com/sightline-sec/sightline/internal/check"
)

// ValidatingAdmissionPolicy support: a policy
// (https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/)
// in a --rules file becomes one rule per spec.validations[] entry, for
// Kubernetes objects. The expression is what Kubernetes evaluates: true
// admits, so false is a violation. What a static check cannot honour (a
// parameter resource, the admission request, the authorizer, the
// namespace object, namespace and object selectors) is a load error
// naming it, never ignored.

const (
	vapAPIVersion = "admissionregistration.k8s.io/v1"
	vapKind       = "ValidatingAdmissionPolicy"
	// SeverityAnnotation on a policy sets its rules' severity (default
	// medium: a VAP carries none).
	SeverityAnnotation = "sightline/severity"
)

// vapRefused are the VAP variables sightline check has no value for.
var vapRefused = map[string]string{
	"params":          "a parameter resource (spec.paramKind)",
	"request":         "the admission request",
	"authorizer":      "the authorizer",
	"namespaceObject": "the namespace object",
}

func vapVariables() []cel.EnvOption {
	opts := []cel.EnvOption{
		cel.Variable("object", cel.DynType),
		cel.Variable("oldObject", cel.DynType),
		cel.Variable("variables", cel.MapType(cel.StringType, cel.DynType)),
		// Declared so that a use is reported by name, not as an
		// undeclared reference.
		cel.Variable("params", cel.DynType),
		cel.Variable("request", cel.DynType),
		cel.Variable("authorizer", cel.DynType),
		cel.Variable("namespaceObject", cel.DynType),
	}
	return opts
}

type vapExpr struct {
	Name       string    `yaml:"name"`
	Expression yaml.Node `yaml:"expression"`
}

type vapValidation struct {
	Expression        yaml.Node `yaml:"expression"`
	Message           string    `yaml:"message"`
	MessageExpression yaml.Node `yaml:"messageExpression"`
}

type vapResourceRule struct {
	Resources []yaml.Node `yaml:"resources"`
}

type vapPolicy struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name        string            `yaml:"name"`
		Annotations map[string]string `yaml:"annotations"`
	} `yaml:"metadata"`
	Spec struct {
		MatchConstraints struct {
			ResourceRules        []vapResourceRule `yaml:"resourceRules"`
			ExcludeResourceRules []vapResourceRule `yaml:"excludeResourceRules"`
			NamespaceSelector    yaml.Node         `yaml:"namespaceSelector"`
			ObjectSelector       yaml.Node         `yaml:"objectSelector"`
		} `yaml:"matchConstraints"`
		MatchConditions []vapExpr       `yaml:"matchConditions"`
		Variables       []vapExpr       `yaml:"variables"`
		Validations     []vapValidation `yaml:"validations"`
	} `yaml:"spec"`
}

// addKubernetesObject accepts a ValidatingAdmissionPolicy (one rule per
// validation), skips its binding with a warning and refuses other kinds.
func (s *Set) addKubernetesObject(c *compiler, file string, root *yaml.Node) error {
	var p vapPolicy
	if err := root.Decode(&p); err != nil {
		return fileError(file, root.Line, "Kubernetes object: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	switch {
	case p.Kind == "ValidatingAdmissionPolicyBinding":
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s:%d: ValidatingAdmissionPolicyBinding %s ignored: sightline check applies each policy to every object it matches",
			file, root.Line, p.Metadata.Name))
		return nil
	case p.Kind != vapKind:
		return fileError(file, root.Line, "kind %q is not a rule: a --rules file holds a rules: list or ValidatingAdmissionPolicy objects", p.Kind)
	case p.APIVersion != vapAPIVersion:
		return fileError(file, root.Line, "ValidatingAdmissionPolicy apiVersion %q: sightline reads %s", p.APIVersion, vapAPIVersion)
	case p.Metadata.Name == "":
		return fileError(file, root.Line, "ValidatingAdmissionPolicy has no metadata.name")
	case len(p.Spec.Validations) == 0:
		return fileError(file, root.Line, "ValidatingAdmissionPolicy %s has no spec.validations (audit annotations alone are not rules)", p.Metadata.Name)
	}
	rules, err := c.vapRules(file, root.Line, &p)
	if err != nil {
		return err
	}
	for i, r := range rules {
		if err := s.add(c, file, p.Spec.Validations[i].Expression.Line, r); err != nil {
			return err
		}
	}
	return nil
}

func (c *compiler) vapRules(file string, line int, p *vapPolicy) ([]*Rule, error) {
	name := p.Metadata.Name
	mc := p.Spec.MatchConstraints
	if !emptySelector(&mc.NamespaceSelector) {
		return nil, fileError(file, mc.NamespaceSelector.Line, "ValidatingAdmissionPolicy %s: matchConstraints.namespaceSelector cannot be honoured (sightline check has no namespace labels)", name)
	}
	if !emptySelector(&mc.ObjectSelector) {
		return nil, fileError(file, mc.ObjectSelector.Line, "ValidatingAdmissionPolicy %s: matchConstraints.objectSelector cannot be honoured by sightline check", name)
	}
	kinds, errAt, err := vapKinds(mc.ResourceRules)
	if err != nil {
		return nil, fileError(file, errAt, "ValidatingAdmissionPolicy %s: matchConstraints.resourceRules: %v", name, err)
	}
	excluded, errAt, err := vapKinds(mc.ExcludeResourceRules)
	if err != nil {
		return nil, fileError(file, errAt, "ValidatingAdmissionPolicy %s: matchConstraints.excludeResourceRules: %v", name, err)
	}
	if len(excluded) > 0 {
		if len(kinds) == 0 {
			return nil, fileError(file, line, "ValidatingAdmissionPolicy %s: excludeResourceRules with resources \"*\" cannot be honoured", name)
		}
		kinds = slices.DeleteFunc(kinds, func(k string) bool { return slices.Contains(excluded, k) })
	}
	sev := Severity("medium")
	if v, ok := p.Metadata.Annotations[SeverityAnnotation]; ok {
		if sev, err = ParseSeverity(v); err != nil {
			return nil, fileError(file, line, "ValidatingAdmissionPolicy %s: annotation %s: %v", name, SeverityAnnotation, err)
		}
	}
	shared := &vapProgram{}
	for _, v := range p.Spec.Variables {
		np, err := c.vapExprProgram(file, name, "spec.variables "+v.Name, v.Expression)
		if err != nil {
			return nil, err
		}
		np.name = v.Name
		shared.vars = append(shared.vars, np)
	}
	for _, m := range p.Spec.MatchConditions {
		np, err := c.vapExprProgram(file, name, "spec.matchConditions "+m.Name, m.Expression)
		if err != nil {
			return nil, err
		}
		np.name = m.Name
		shared.conds = append(shared.conds, np)
	}
	var out []*Rule
	for i, v := range p.Spec.Validations {
		r, err := c.vapRule(file, p, i, v, shared)
		if err != nil {
			return nil, err
		}
		r.Types, r.Severity = kinds, sev
		out = append(out, r)
	}
	return out, nil
}

// emptySelector: absent, null or {} (matches everything).
func emptySelector(n *yaml.Node) bool {
	return n.Kind == 0 || n.Tag == "!!null" || (n.Kind == yaml.MappingNode && len(n.Content) == 0)
}

func (c *compiler) vapRule(file string, p *vapPolicy, i int, v vapValidation, shared *vapProgram) (*Rule, error) {
	name := p.Metadata.Name
	what := fmt.Sprintf("spec.validations[%d]", i)
	expr, err := c.vapExprProgram(file, name, what+".expression", v.Expression)
	if err != nil {
		return nil, err
	}
	vp := *shared
	vp.expr = expr
	vp.message = v.Message
	if v.MessageExpression.Value != "" {
		m, err := c.vapExprProgram(file, name, what+".messageExpression", v.MessageExpression)
		if err != nil {
			return nil, err
		}
		vp.msgExpr = m
	}
	src := strings.TrimSpace(v.Expression.Value)
	title := v.Message
	if title == "" {
		// Kubernetes' default message for a failed validation.
		title = "failed expression: " + src
	}
	return &Rule{
		ID:          fmt.Sprintf("VAP/%s/%d", name, i+1),
		Title:       title,
		Standard:    "ValidatingAdmissionPolicy " + name,
		Inputs:      []check.Input{check.InputKubernetes},
		Violations:  src,
		Remediation: "Change the object so that the policy's expression holds: " + src,
		prog:        &program{vap: &vp},
	}, nil
}

// vapExprProgram compiles one VAP expression, refusing references to what
// a static check has no value for.
func (c *compiler) vapExprProgram(file, policy, what string, n yaml.Node) (*namedProgram, error) {
	src := n.Value
	if strings.TrimSpace(src) == "" {
		return nil, fileError(file, n.Line, "ValidatingAdmissionPolicy %s: %s is empty", policy, what)
	}
	start := n.Line
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		start++
	}
	ast, err := compileAST(c.vap, src)
	if err != nil {
		// The Kubernetes libraries (authorizer.group(…)) are not
		// declared: name the refused variable rather than its methods.
		if refs := c.parsedRefused(src); len(refs) > 0 {
			return nil, refusedError(file, policy, what, n.Line, refs)
		}
		return nil, fileError(file, errLine(err, start, n.Line), "ValidatingAdmissionPolicy %s: %s: %v", policy, what, err)
	}
	if refs := refusedRefs(ast); len(refs) > 0 {
		return nil, refusedError(file, policy, what, n.Line, refs)
	}
	main, partial, err := c.programs(c.vap, ast)
	if err != nil {
		return nil, fileError(file, n.Line, "ValidatingAdmissionPolicy %s: %s: %v", policy, what, err)
	}
	return &namedProgram{main: main, partial: partial}, nil
}

func refusedError(file, policy, what string, line int, refs []string) error {
	var why []string
	for _, r := range refs {
		why = append(why, fmt.Sprintf("%s (%s)", r, vapRefused[r]))
	}
	return fileError(file, line, "ValidatingAdmissionPolicy %s: %s uses %s, which sightline check cannot supply",
		policy, what, strings.Join(why, ", "))
}

// parsedRefused finds refused identifiers in an expression that parses
// but does not type-check.
func (c *compiler) parsedRefused(src string) []string {
	ast, iss := c.vap.Parse(src)
	if iss != nil && iss.Err() != nil {
		return nil
	}
	seen := map[string]bool{}
	celast.PreOrderVisit(ast.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() == celast.IdentKind {
			if _, ok := vapRefused[e.AsIdent()]; ok {
				seen[e.AsIdent()] = true
			}
		}
	}))
	out := slices.Collect(maps.Keys(seen))
	sort.Strings(out)
	return out
}

func refusedRefs(ast *cel.Ast) []string {
	seen := map[string]bool{}
	for _, ref := range ast.NativeRep().ReferenceMap() {
		if _, ok := vapRefused[ref.Name]; ok {
			seen[ref.Name] = true
		}
	}
	out := slices.Collect(maps.Keys(seen))
	sort.Strings(out)
	return out
}

// vapKinds maps resourceRules to kinds: nil for "*" (every kind). An
// error comes with the line of the resource it is about.
func vapKinds(rules []vapResourceRule) ([]string, int, error) {
	var kinds []string
	for _, r := range rules {
		for _, n := range r.Resources {
			res := n.Value
			if res == "*" || res == "*/*" {
				return nil, 0, nil
			}
			if strings.Contains(res, "/") {
				return nil, n.Line, fmt.Errorf("subresource %q cannot be checked on a stored object", res)
			}
			k, ok := resourceKinds[res]
			if !ok {
				return nil, n.Line, fmt.Errorf("resource %q: sightline does not know its kind (known: %s)", res, strings.Join(knownResources(), ", "))
			}
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
	}
	return kinds, 0, nil
}

// resourceKinds maps the plural resource names of built-in Kubernetes
// APIs to their kinds (kubectl api-resources).
var resourceKinds = map[string]string{
	"pods": "Pod", "podtemplates": "PodTemplate", "replicationcontrollers": "ReplicationController",
	"deployments": "Deployment", "replicasets": "ReplicaSet", "statefulsets": "StatefulSet",
	"daemonsets": "DaemonSet", "jobs": "Job", "cronjobs": "CronJob",
	"services": "Service", "endpoints": "Endpoints", "configmaps": "ConfigMap", "secrets": "Secret",
	"serviceaccounts": "ServiceAccount", "namespaces": "Namespace", "nodes": "Node",
	"persistentvolumes": "PersistentVolume", "persistentvolumeclaims": "PersistentVolumeClaim",
	"ingresses": "Ingress", "ingressclasses": "IngressClass", "networkpolicies": "NetworkPolicy",
	"roles": "Role", "rolebindings": "RoleBinding", "clusterroles": "ClusterRole",
	"clusterrolebindings": "ClusterRoleBinding", "poddisruptionbudgets": "PodDisruptionBudget",
	"horizontalpodautoscalers": "HorizontalPodAutoscaler", "limitranges": "LimitRange",
	"resourcequotas": "ResourceQuota", "storageclasses": "StorageClass",
	"validatingwebhookconfigurations": "ValidatingWebhookConfiguration",
	"mutatingwebhookconfigurations":   "MutatingWebhookConfiguration",
	"customresourcedefinitions":       "CustomResourceDefinition", "priorityclasses": "PriorityClass",
	"runtimeclasses": "RuntimeClass", "gateways": "Gateway", "httproutes": "HTTPRoute",
}

func knownResources() []string {
	out := slices.Collect(maps.Keys(resourceKinds))
	sort.Strings(out)
	return out
}

// namedProgram is one compiled VAP expression.
type namedProgram struct {
	name          string
	main, partial cel.Program
}

func (n *namedProgram) eval(ctx context.Context, act interpreter.Activation, partial bool) (ref.Val, error) {
	prg := n.main
	if partial {
		prg = n.partial
	}
	out, _, err := prg.ContextEval(ctx, act)
	return out, err
}

// vapProgram evaluates one validation with its policy's variables and
// match conditions.
type vapProgram struct {
	vars, conds []*namedProgram
	expr        *namedProgram
	message     string
	msgExpr     *namedProgram
}

func (p *vapProgram) eval(ctx context.Context, a *objActivation, r *Rule) ([]violation, []string, error) {
	m := map[string]any{"object": a.vars["object"], "oldObject": nil}
	variables := map[string]any{}
	m["variables"] = variables
	act, err := a.rebind(m)
	if err != nil {
		return nil, nil, err
	}
	partial := a.partial != nil
	// Variables are evaluated eagerly in order (a later one may use an
	// earlier one); an unknown one stays unknown inside the map.
	for _, v := range p.vars {
		val, err := v.eval(ctx, act, partial)
		if err != nil {
			return nil, nil, fmt.Errorf("variables.%s: %w", v.name, err)
		}
		variables[v.name] = val
	}
	for _, c := range p.conds {
		val, err := c.eval(ctx, act, partial)
		if err != nil {
			return nil, nil, fmt.Errorf("matchCondition %s: %w", c.name, err)
		}
		if types.IsUnknown(val) {
			return nil, unknownPaths(val), nil
		}
		if b, ok := val.(types.Bool); !ok || !bool(b) {
			if !ok {
				return nil, nil, fmt.Errorf("matchCondition %s gave %s, want a bool", c.name, val.Type().TypeName())
			}
			return nil, nil, nil // the policy does not apply
		}
	}
	val, err := p.expr.eval(ctx, act, partial)
	if err != nil {
		return nil, nil, err
	}
	if types.IsUnknown(val) {
		return nil, unknownPaths(val), nil
	}
	b, ok := val.(types.Bool)
	if !ok {
		return nil, nil, fmt.Errorf("expression gave %s, want a bool", val.Type().TypeName())
	}
	if b {
		return nil, nil, nil
	}
	return []violation{{message: p.violationMessage(ctx, act, partial, r.Title)}}, nil, nil
}

// violationMessage is messageExpression's result, else message, else the
// rule's title; a messageExpression that fails falls back as in
// Kubernetes.
func (p *vapProgram) violationMessage(ctx context.Context, act interpreter.Activation, partial bool, title string) string {
	if p.msgExpr != nil {
		if v, err := p.msgExpr.eval(ctx, act, partial); err == nil {
			if s, ok := v.(types.String); ok && strings.TrimSpace(string(s)) != "" {
				return string(s)
			}
		}
	}
	if p.message != "" {
		return p.message
	}
	return title
}
