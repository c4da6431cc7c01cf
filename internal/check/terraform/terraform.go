// Package terraform is the Terraform input of `sightline check`: a root
// module's HCL (variables, locals, count/for_each, local modules and a
// subset of the built-in functions evaluated where they can be) or a plan
// (`terraform show -json`), read into one check.Object per resource
// instance. What cannot be evaluated is an unknown path (Object.Unknown,
// with its reason in Vars.unknown), never a guess. The AWS network the
// configuration describes is built as an in-memory AWS snapshot and
// analysed by the exposure engine; each resource's results are in
// Vars.exposure (network.go). docs/check-terraform.md has the details.
package terraform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/sightline-sec/sightline/internal/check"
)

// Options are the inputs a Terraform run would take besides the files.
type Options struct {
	// VarFiles are -var-file files, applied after terraform.tfvars and
	// *.auto.tfvars in the module directory, in order.
	VarFiles []string
	// Vars are -var NAME=VALUE values (VALUE an HCL expression, or a plain
	// string when it does not parse as one), applied last.
	Vars map[string]string
	// NoExposure skips building the network and running the exposure
	// engine (Vars.exposure is then absent).
	NoExposure bool
}

// LoadDir reads the root module in dir. A file that does not parse is an
// error naming the file and line; what cannot be evaluated (remote
// modules, .tf.json files, unknown counts) is a Gap in the Set.
func LoadDir(ctx context.Context, dir string, opt Options) (check.Set, error) {
	m, err := loadModule(ctx, dir)
	if err != nil {
		return check.Set{}, err
	}
	given, err := rootVarValues(dir, opt)
	if err != nil {
		return check.Set{}, err
	}
	out := &result{refs: map[string]map[string]string{}}
	vars := moduleVars(m, given, "root module "+dir)
	e := newEvaluator(ctx, m, "", 0, vars, out)
	addSkipped(e, m)
	if _, err := e.run(); err != nil {
		return check.Set{}, err
	}
	linkBuckets(&out.set, out.refs)
	if !opt.NoExposure {
		if err := addExposure(ctx, &out.set, out.refs, "terraform "+dir); err != nil {
			return check.Set{}, err
		}
	}
	return out.set, nil
}

// rootVarValues reads the variable values Terraform would: terraform.tfvars
// (.json), *.auto.tfvars (.json) in lexical order, then -var-file files,
// then -var values
// (https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence).
func rootVarValues(dir string, opt Options) (map[string]cty.Value, error) {
	files := []string{}
	for _, n := range []string{"terraform.tfvars", "terraform.tfvars.json"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			files = append(files, filepath.Join(dir, n))
		}
	}
	auto, _ := filepath.Glob(filepath.Join(dir, "*.auto.tfvars"))
	autoJSON, _ := filepath.Glob(filepath.Join(dir, "*.auto.tfvars.json"))
	auto = append(auto, autoJSON...)
	sort.Strings(auto)
	files = append(files, auto...)
	files = append(files, opt.VarFiles...)
	out := map[string]cty.Value{}
	p := hclparse.NewParser()
	for _, f := range files {
		src, err := readBounded(f)
		if err != nil {
			return nil, err
		}
		var file *hcl.File
		var diags hcl.Diagnostics
		if strings.HasSuffix(f, ".json") {
			file, diags = p.ParseJSON(src, f)
		} else {
			file, diags = p.ParseHCL(src, f)
		}
		if diags.HasErrors() {
			return nil, diagError(diags)
		}
		attrs, diags := file.Body.JustAttributes()
		if diags.HasErrors() {
			return nil, diagError(diags)
		}
		for n, a := range attrs {
			v, diags := a.Expr.Value(nil)
			if diags.HasErrors() {
				return nil, diagError(diags)
			}
			out[n] = v
		}
	}
	names := make([]string, 0, len(opt.Vars))
	for n := range opt.Vars {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := opt.Vars[n]
		x, diags := hclsyntax.ParseExpression([]byte(s), "-var "+n, hcl.InitialPos)
		if !diags.HasErrors() {
			if v, d := x.Value(nil); !d.HasErrors() {
				out[n] = v
				continue
			}
		}
		out[n] = cty.StringVal(s)
	}
	return out, nil
}

// IsPlan reports whether data looks like `terraform show -json` output of
// a plan (a JSON object with format_version and planned_values).
func IsPlan(data []byte) bool {
	s := strings.TrimSpace(string(data[:min(len(data), 4096)]))
	return strings.HasPrefix(s, "{") && strings.Contains(string(data), `"planned_values"`) && strings.Contains(s, `"format_version"`)
}

// errorf wraps an error with the file it is about.
func errorf(file string, err error) error { return fmt.Errorf("%s: %w", file, err) }
