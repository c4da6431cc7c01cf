package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/check/rules"
	"github.com/sightline-sec/sightline/internal/check/terraform"
	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/report"
	"github.com/sightline-sec/sightline/internal/suppress"
	"github.com/sightline-sec/sightline/internal/textfit"
	"github.com/sightline-sec/sightline/internal/workload/kube"
)

const checkLong = `Check Dockerfiles, Kubernetes manifests, Terraform and AWS snapshots against
one catalogue of rules written in CEL: the built-in packs (CIS Docker
Benchmark items, the Kubernetes Pod Security Standards and hardening items,
AWS configuration and exposure rules) and your own (--rules: rule files, or
Kubernetes ValidatingAdmissionPolicy objects). docs/check.md has the rule
format and every field of the output.

PATH arguments are files or directories; each file's kind is detected by its
content (a Dockerfile with FROM, YAML or JSON with apiVersion and kind,
Terraform .tf or a 'terraform show -json' plan). A file that looks like an
input but cannot be read, a rule that cannot be evaluated on an object, and
an object a rule's result depended on unknown values of are reported and
counted (gaps, unknown) — never a pass. --k8s reads manifests, Helm charts
and Kustomize directories; --kubeconfig/--context a live cluster; --aws an
AWS snapshot (sightline collect aws).

Suppress a finding with a comment '# sightline:ignore RULE-ID reason' (the
reason is required) on or above the object, or with an entry (id: RULE-ID,
reason, optional object glob and expires) in the ignore file
(.sightline.yaml, or --ignore-file).

The gate: --fail-on SEVERITY exits 1 when a finding is at or above it. It
never passes over what it could not check: gaps, unknown results of rules at
or above SEVERITY, or nothing checked at all fail it too, unless
--allow-unchecked (still reported).

Exit codes: 0 done (no gate hit), 1 --fail-on hit (a finding, or what could
not be checked), 2 usage or input error (a bad rule file names file:line),
3 internal error.`

const checkExample = `  sightline check .
  sightline check Dockerfile deploy/ infra/ --fail-on high
  sightline check --k8s ./charts/web --rules ./policies --format sarif > check.sarif
  sightline check infra/ --var-file prod.tfvars --var region=eu-west-1
  sightline check --kubeconfig ~/.kube/config --context prod --format json
  sightline check --aws ./snap --fail-on critical --allow-unchecked
  sightline check --list-rules --format json`

// checkFlags are the options of `sightline check`.
type checkFlags struct {
	k8s            []string
	namespace      string   // --k8s: namespace of objects naming none, Helm release namespace
	set            []string // --k8s: Helm values
	kubeconfig     string
	kubeContext    string
	aws            string
	rules          []string
	noBuiltin      bool
	failOn         string
	allowUnchecked bool
	ignoreFile     string
	listRules      bool
	varFiles       []string // Terraform -var-file
	vars           []string // Terraform -var NAME=VALUE
}

// terraformOptions are --var-file and --var as the Terraform input takes
// them; a --var without "=" is a usage error.
func (f *checkFlags) terraformOptions() (terraform.Options, error) {
	o := terraform.Options{VarFiles: f.varFiles}
	for _, v := range f.vars {
		name, val, ok := strings.Cut(v, "=")
		if !ok || strings.TrimSpace(name) == "" {
			return o, cliutil.Usagef("--var %q: want NAME=VALUE, as terraform -var takes it", v)
		}
		if o.Vars == nil {
			o.Vars = map[string]string{}
		}
		o.Vars[strings.TrimSpace(name)] = val
	}
	for _, p := range f.varFiles {
		// Read it now: a var file that does not parse is a usage error,
		// as a missing one is, not a gap found after the work.
		fi, err := os.Stat(p)
		if err == nil && !fi.Mode().IsRegular() {
			err = fmt.Errorf("not a file")
		}
		if err != nil {
			return o, cliutil.Usagef("--var-file %s: %v", p, unwrapPathErr(err))
		}
		if _, diags := hclparse.NewParser().ParseHCLFile(p); diags.HasErrors() {
			return o, cliutil.Usagef("--var-file %s", diags.Error())
		}
	}
	return o, nil
}

func newCheckCmd(g *cliutil.Globals) *cobra.Command {
	var f checkFlags
	c := &cobra.Command{
		Use:     "check [PATH…] [--k8s PATH… [--set K=V] [--namespace N]|--kubeconfig FILE [--context C]] [--aws DIR] [--rules PATH…] [--fail-on SEVERITY]",
		Short:   "Check Dockerfiles, Kubernetes, Terraform and AWS against CEL rules (built-in packs and your own)",
		Long:    checkLong,
		Example: checkExample,
		Args:    cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			tf, err := f.terraformOptions()
			if err != nil {
				return err
			}
			return runCheck(cmd.Context(), g, &f, args, defaultCheckInputs(tf))
		},
	}
	fl := c.Flags()
	fl.StringArrayVar(&f.k8s, "k8s", nil, "Kubernetes manifests: a YAML file, a directory, a Helm chart or a Kustomize directory (repeatable)")
	fl.StringVar(&f.namespace, "namespace", "", "--k8s: the namespace of objects that name none, and the Helm release namespace (default \"default\")")
	fl.StringArrayVar(&f.set, "set", nil, "--k8s: a Helm value for the charts, as helm install --set takes it (a.b=c,d=e; repeatable)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "check a live Kubernetes cluster through this kubeconfig (read-only list calls)")
	fl.StringVar(&f.kubeContext, "context", "", "the kubeconfig context of the live cluster (default: the current context)")
	fl.StringVar(&f.aws, "aws", "", "AWS snapshot directory (sightline collect aws; docs/aws-snapshot.md)")
	fl.StringArrayVar(&f.rules, "rules", nil, "rule file or directory, or a ValidatingAdmissionPolicy file (repeatable; a rule with a built-in's ID replaces it)")
	fl.BoolVar(&f.noBuiltin, "no-builtin-rules", false, "run only the --rules rules, not the built-in packs")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when a finding is at or above this severity: info|low|medium|high|critical")
	fl.BoolVar(&f.allowUnchecked, "allow-unchecked", false,
		"let --fail-on pass although something could not be checked (gaps, unknown results; still reported)")
	fl.BoolVar(&f.listRules, "list-rules", false, "print the rules that would run (built-in and --rules; json: with their CEL source) and exit")
	fl.StringArrayVar(&f.varFiles, "var-file", nil, "Terraform: a .tfvars file, as terraform -var-file takes it, applied after terraform.tfvars and *.auto.tfvars (repeatable)")
	fl.StringArrayVar(&f.vars, "var", nil, "Terraform: NAME=VALUE, as terraform -var takes it, applied last (repeatable)")
	fl.StringVar(&f.ignoreFile, "ignore-file", "",
		"ignore file (YAML: id: RULE-ID, reason, object, expires; docs/check.md); default "+suppress.DefaultIgnoreFile+" in the working directory if present")
	return c
}

// checkInputs are the inputs `sightline check` can read in this build.
type checkInputs struct {
	// files detects and reads PATH arguments (and --k8s files when k8s
	// is nil).
	files *check.Registry
	// k8s reads --k8s paths (manifests, charts, Kustomize directories).
	k8s func(ctx context.Context, paths []string) (check.Set, error)
	// k8sWith is k8s with --namespace and --set; nil: those flags are
	// refused.
	k8sWith func(namespace string, values []string) func(ctx context.Context, paths []string) (check.Set, error)
	// cluster reads a live cluster.
	cluster func(ctx context.Context, kubeconfig, kubeContext string) (check.Set, error)
	// aws reads an AWS snapshot directory.
	aws func(ctx context.Context, dir string) (check.Set, error)
}

func (f *checkFlags) validate(args []string) (rules.Severity, error) {
	if f.listRules {
		if f.noBuiltin && len(f.rules) == 0 {
			return "", cliutil.Usagef("--no-builtin-rules needs --rules: there would be no rule to list")
		}
		return "", nil
	}
	if len(args) == 0 && len(f.k8s) == 0 && f.kubeconfig == "" && f.kubeContext == "" && f.aws == "" {
		return "", cliutil.Usagef("nothing to check: give PATH arguments, --k8s, --kubeconfig/--context or --aws")
	}
	if len(f.k8s) > 0 && (f.kubeconfig != "" || f.kubeContext != "") {
		return "", cliutil.Usagef("give --k8s PATH… or a live cluster (--kubeconfig FILE, --context C), not both")
	}
	if f.noBuiltin && len(f.rules) == 0 {
		return "", cliutil.Usagef("--no-builtin-rules needs --rules: there would be no rule to run")
	}
	if (f.namespace != "" || len(f.set) > 0) && len(f.k8s) == 0 {
		return "", cliutil.Usagef("--namespace and --set apply to --k8s manifests and charts: give --k8s PATH")
	}
	if err := kube.CheckValues(f.set); err != nil {
		return "", cliutil.Usagef("--set: %v (write KEY=VALUE, as helm install --set takes it)", err)
	}
	if f.allowUnchecked && f.failOn == "" {
		return "", cliutil.Usagef("--allow-unchecked applies to the --fail-on gate: give --fail-on")
	}
	if f.failOn == "" {
		return "", nil
	}
	sev, err := rules.ParseSeverity(f.failOn)
	if err != nil {
		return "", cliutil.Usagef("--fail-on: %v", err)
	}
	return sev, nil
}

func runCheck(ctx context.Context, g *cliutil.Globals, f *checkFlags, args []string, in *checkInputs) error {
	failOn, err := f.validate(args)
	if err != nil {
		return err
	}
	if f.listRules && g.Format == "sarif" {
		return cliutil.Usagef("--list-rules prints a table or JSON (--format table|json)")
	}
	t0 := time.Now()
	rs, err := rules.Load(ctx, rules.Options{Paths: f.rules, NoBuiltin: f.noBuiltin})
	if err != nil {
		return inputError(err)
	}
	for _, w := range rs.Warnings {
		g.Warnf("check: %s", w)
	}
	if f.listRules {
		return listRules(g, rs)
	}
	ig, err := loadCheckIgnore(f.ignoreFile)
	if err != nil {
		return cliutil.Usage(err)
	}
	g.Logf("check: %d rules loaded in %v", len(rs.Enabled()), time.Since(t0).Round(time.Millisecond))
	t1 := time.Now()
	set, reads, skipped, err := readCheckInputs(ctx, f, args, in)
	if err != nil {
		return err
	}
	g.Logf("check: %d objects, %d gaps read in %v", len(set.Objects), len(set.Gaps), time.Since(t1).Round(time.Millisecond))
	t2 := time.Now()
	res := rs.Evaluate(ctx, set)
	if err := ctx.Err(); err != nil {
		return err
	}
	res.ApplyIgnoreFile(ig, time.Now())
	g.Logf("check: %d evaluations in %v", res.Stats.Evaluations, time.Since(t2).Round(time.Millisecond))
	ver, _, _ := buildInfo()
	rep := report.NewCheckReport(res, rs, reads, skipped, ver)
	// Gap reasons often carry a decoder's error, which names Go types; say
	// it in the input's terms in every format, as the CLI's errors do.
	for i := range rep.Gaps {
		rep.Gaps[i].Reason = cliutil.Humanize(rep.Gaps[i].Reason)
	}
	gateErr := checkGate(rep, failOn, f.allowUnchecked)
	if err := writeCheck(g, rep); err != nil {
		return err
	}
	for _, w := range rep.Warnings {
		g.Warnf("check: %s", w)
	}
	if rep.Gate == nil {
		if u := uncheckedSummary(rep, ""); u != "" {
			g.Warnf("check: not checked: %s", u)
		}
	} else if rep.Gate.Passed && rep.Gate.Reason != "" {
		g.Warnf("check: %s", rep.Gate.Reason)
	}
	return gateErr
}

// listRules prints the enabled rules: a table (id, severity, inputs,
// title, where defined), or with json the rule objects.
func listRules(g *cliutil.Globals, rs *rules.Set) error {
	enabled := rs.Enabled()
	if g.Format != "table" {
		return writeJSON(g.Stdout, map[string]any{"schema": report.CheckSchema, "rules": enabled})
	}
	t := textfit.Table{Header: []string{"RULE", "SEVERITY", "INPUTS", "SOURCE", "TITLE"}, Width: g.Width(), Squeeze: []int{3},
		Cut: map[int]func(string, int) string{3: textfit.CutLeft}}
	for _, r := range enabled {
		ins := make([]string, len(r.Inputs))
		for i, in := range r.Inputs {
			ins[i] = string(in)
		}
		t.Add(r.ID, string(r.Severity), strings.Join(ins, ","), r.Source, r.Title)
	}
	if err := t.Write(g.Stdout); err != nil {
		return err
	}
	_, err := fmt.Fprintf(g.Stdout, "%d rule(s) enabled, %d disabled.\n", len(enabled), len(rs.Rules())-len(enabled))
	return err
}

func writeCheck(g *cliutil.Globals, rep *report.CheckReport) error {
	switch g.Format {
	case "json":
		return report.WriteCheckJSON(g.Stdout, rep)
	case "sarif":
		wd, _ := os.Getwd()
		return report.WriteCheckSARIF(g.Stdout, rep, wd)
	}
	return report.WriteCheckTable(g.Stdout, rep, g.Width())
}

// checkFormats are the --format values of check.
var checkFormats = []string{"table", "json", "sarif"}

// loadCheckIgnore reads --ignore-file (which must exist) or the default
// file when present; nil, nil: none.
func loadCheckIgnore(path string) (*suppress.IgnoreFile, error) {
	if path != "" {
		return suppress.LoadIgnoreFile(path)
	}
	if _, err := os.Stat(suppress.DefaultIgnoreFile); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return suppress.LoadIgnoreFile(suppress.DefaultIgnoreFile)
}

// checkGate decides --fail-on and records it in rep.Gate: a finding at
// or above failOn fails; so does what could not be checked (gaps,
// unknown results of rules at or above failOn, nothing evaluated),
// unless allowUnchecked.
func checkGate(rep *report.CheckReport, failOn rules.Severity, allowUnchecked bool) error {
	if failOn == "" {
		return nil
	}
	gate := &report.CheckGate{FailOn: string(failOn), AllowUnchecked: allowUnchecked, Passed: true}
	rep.Gate = gate
	hits := 0
	var first *rules.Finding
	for i := range rep.Findings {
		if rep.Findings[i].Severity.Rank() >= failOn.Rank() {
			if hits == 0 {
				first = &rep.Findings[i]
			}
			hits++
		}
	}
	if hits > 0 {
		gate.Passed = false
		gate.Reason = fmt.Sprintf("%d finding(s) at or above %s (first: %s %s at %s)", hits, failOn,
			first.RuleID, first.Object, report.LocationText(first.Location))
		return cliutil.Threshold(errors.New(gate.Reason))
	}
	u := uncheckedSummary(rep, failOn)
	if u == "" {
		return nil
	}
	if allowUnchecked {
		gate.Reason = "passed with --allow-unchecked over what it could not check: " + u
		return nil
	}
	gate.Passed = false
	gate.Reason = "the gate cannot pass over what it could not check: " + u + " (--allow-unchecked accepts that)"
	return cliutil.Threshold(errors.New(gate.Reason))
}

// uncheckedSummary says what could not be checked, "" when nothing: gaps,
// unknown results (of rules at or above failOn when given), and a run
// that evaluated nothing.
func uncheckedSummary(rep *report.CheckReport, failOn rules.Severity) string {
	var parts []string
	if n := len(rep.Gaps); n > 0 {
		parts = append(parts, fmt.Sprintf("%d gap(s) (first: %s)", n, gapText(rep.Gaps[0])))
	}
	unknown := 0
	for _, u := range rep.Unknown {
		if failOn == "" || u.Severity.Rank() >= failOn.Rank() {
			unknown++
		}
	}
	if unknown > 0 {
		parts = append(parts, fmt.Sprintf("%d unknown result(s)", unknown))
	}
	if rep.Summary.Evaluations == 0 {
		parts = append(parts, "no rule was evaluated on any object")
	}
	return strings.Join(parts, "; ")
}

func gapText(g check.Gap) string {
	if l := report.LocationText(g.Location); l != "" {
		return l + ": " + g.Reason
	}
	return g.Reason
}

// readCheckInputs reads every input given: PATH arguments by detection,
// --k8s, a live cluster, an AWS snapshot. It returns the objects and
// gaps, what each input read, and how many files under directories were
// skipped as no input. A PATH that does not exist is a usage error.
func readCheckInputs(ctx context.Context, f *checkFlags, args []string, in *checkInputs) (check.Set, []report.CheckInputRead, int, error) {
	var set check.Set
	reads := map[check.Input]*report.CheckInputRead{}
	note := func(input check.Input, source string, objects int) {
		r := reads[input]
		if r == nil {
			r = &report.CheckInputRead{Input: input}
			reads[input] = r
		}
		r.Sources = append(r.Sources, source)
		r.Objects += objects
	}
	groups, gaps, skipped, err := detectFiles(args, in.files)
	if err != nil {
		return set, nil, 0, err
	}
	set.Gaps = append(set.Gaps, gaps...)
	// The inputs read their files concurrently (they share nothing); the
	// results are added in detection order, so output order is stable.
	got := make([]check.Set, len(groups))
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for i, gr := range groups {
		wg.Go(func() { got[i], errs[i] = gr.reader.Read(ctx, gr.files) })
	}
	wg.Wait()
	for i, gr := range groups {
		if errs[i] != nil {
			return set, nil, 0, inputError(fmt.Errorf("reading %s input: %w", gr.reader.Input(), errs[i]))
		}
		set.Add(got[i])
		for _, file := range gr.files {
			note(gr.reader.Input(), file, 0)
		}
		reads[gr.reader.Input()].Objects += len(got[i].Objects)
	}
	sources, err := checkSources(ctx, f, in)
	if err != nil {
		return set, nil, 0, err
	}
	for _, s := range sources {
		if s.read == nil {
			return set, nil, 0, cliutil.Usagef("%s: the %s input is not part of this build of sightline check", s.flag, s.input)
		}
		got, err := s.read()
		if err != nil {
			// A source that sorted its error (a cluster that cannot be
			// reached: 3) keeps its code; others are bad input (2), or
			// 3 when the run was interrupted.
			var ce *cliutil.Error
			if errors.As(err, &ce) {
				return set, nil, 0, err
			}
			return set, nil, 0, inputError(fmt.Errorf("%s %s: %w", s.flag, s.name, err))
		}
		set.Add(got)
		note(s.input, s.name, len(got.Objects))
	}
	out := make([]report.CheckInputRead, 0, len(reads))
	for _, r := range reads {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Input < out[j].Input })
	return set, out, skipped, nil
}

// checkSource is one non-file source: --k8s, a live cluster, --aws.
type checkSource struct {
	flag, name string
	input      check.Input
	read       func() (check.Set, error) // nil: the input is not built in
}

// checkSources lists the non-file sources given; paths that do not exist
// are usage errors.
func checkSources(ctx context.Context, f *checkFlags, in *checkInputs) ([]checkSource, error) {
	var out []checkSource
	if len(f.k8s) > 0 {
		for _, p := range f.k8s {
			if _, err := os.Stat(p); err != nil {
				return nil, cliutil.Usagef("--k8s %s: %v", p, unwrapPathErr(err))
			}
		}
		s := checkSource{flag: "--k8s", name: strings.Join(f.k8s, ", "), input: check.InputKubernetes}
		read := in.k8s
		if f.namespace != "" || len(f.set) > 0 {
			if in.k8s != nil && in.k8sWith == nil {
				return nil, cliutil.Usagef("--namespace and --set are not supported by this build's Kubernetes input")
			}
			if in.k8sWith != nil {
				read = in.k8sWith(f.namespace, f.set)
			}
		}
		if read != nil {
			s.read = func() (check.Set, error) { return read(ctx, f.k8s) }
		}
		out = append(out, s)
	}
	if f.kubeconfig != "" || f.kubeContext != "" {
		s := checkSource{flag: "--kubeconfig/--context", name: "cluster " + firstNonEmpty(f.kubeContext, "(current context)"),
			input: check.InputKubernetes}
		if in.cluster != nil {
			s.read = func() (check.Set, error) { return in.cluster(ctx, f.kubeconfig, f.kubeContext) }
		}
		out = append(out, s)
	}
	if f.aws != "" {
		if fi, err := os.Stat(f.aws); err != nil {
			return nil, cliutil.Usagef("--aws %s: %v", f.aws, unwrapPathErr(err))
		} else if !fi.IsDir() {
			return nil, cliutil.Usagef("--aws %s: not a directory: want an AWS snapshot directory (sightline collect aws)", f.aws)
		}
		s := checkSource{flag: "--aws", name: f.aws, input: check.InputAWS}
		if in.aws != nil {
			s.read = func() (check.Set, error) { return in.aws(ctx, f.aws) }
		}
		out = append(out, s)
	}
	return out, nil
}

// fileGroup is the files one Reader accepted, in walk order.
type fileGroup struct {
	reader check.Reader
	files  []string
}

// detectFiles walks the PATH arguments and routes each file to the
// Reader that accepts it. A file given by name that no Reader accepts is
// a Gap; so is a file under a directory that looks like an input (by
// name or content: see looksLike) when no Reader accepts it. Other files
// under directories are counted as skipped. Hidden directories
// (.git, .terraform) are not entered; a symbolic link to a file is read
// as the file, other links (to directories, dangling, looping) are
// counted as skipped.
func detectFiles(paths []string, reg *check.Registry) ([]fileGroup, []check.Gap, int, error) {
	var groups []fileGroup
	var gaps []check.Gap
	skipped := 0
	seen := map[string]bool{}
	add := func(file string, explicit bool) error {
		// One file named twice (dir and dir/app.yaml, ./x and /abs/x) is
		// read once: its findings would otherwise be counted twice.
		key := filepath.Clean(file)
		if abs, err := filepath.Abs(file); err == nil {
			key = abs
		}
		if seen[key] {
			return nil
		}
		seen[key] = true
		head, err := readHead(file)
		if err != nil {
			gaps = append(gaps, check.Gap{Location: check.Location{File: file}, Reason: err.Error()})
			return nil
		}
		kind := looksLike(file, head)
		r := reg.Detect(file, head)
		if r == nil && kind != "" {
			// It looks like an input whose reader did not accept it (a
			// Dockerfile with a NUL byte or an unknown first
			// instruction): that reader says why, with the line, in
			// its gap ("no reader of this build accepted it" said
			// neither).
			if i := slices.IndexFunc(reg.Readers(), func(x check.Reader) bool { return x.Input() == kind }); i >= 0 {
				r = reg.Readers()[i]
			}
		}
		if r != nil {
			i := slices.IndexFunc(groups, func(g fileGroup) bool { return g.reader.Input() == r.Input() })
			if i < 0 {
				groups = append(groups, fileGroup{reader: r})
				i = len(groups) - 1
			}
			groups[i].files = append(groups[i].files, file)
			return nil
		}
		switch {
		case kind != "":
			gaps = append(gaps, check.Gap{Input: kind, Location: check.Location{File: file},
				Reason: fmt.Sprintf("looks like %s input, but no reader of this build accepted it", kind)})
		case explicit:
			gaps = append(gaps, check.Gap{Location: check.Location{File: file},
				Reason: "not a recognised input (a Dockerfile, Kubernetes YAML/JSON with apiVersion and kind, Terraform .tf or plan JSON)"})
		default:
			skipped++
		}
		return nil
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, nil, 0, cliutil.Usagef("%s: %v", p, unwrapPathErr(err))
		}
		if !fi.IsDir() {
			if err := add(p, true); err != nil {
				return nil, nil, 0, err
			}
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				gaps = append(gaps, check.Gap{Location: check.Location{File: path}, Reason: unwrapPathErr(err).Error()})
				return nil
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			switch {
			case d.Type().IsRegular():
				files = append(files, path)
			case d.Type()&fs.ModeSymlink != 0:
				// A link to a file is read like the file (as Terraform
				// and docker build do); a link to a directory is not
				// followed (no loops), and neither it nor a dangling or
				// looping link is dropped silently: it is counted.
				if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
					files = append(files, path)
				} else {
					skipped++
				}
			default:
				skipped++ // a socket, a FIFO, a device
			}
			return nil
		})
		if err != nil {
			return nil, nil, 0, cliutil.Usagef("%s: %v", p, err)
		}
		for _, file := range files {
			if err := add(file, false); err != nil {
				return nil, nil, 0, err
			}
		}
	}
	return groups, gaps, skipped, nil
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readHead reads the first check.HeadSize bytes of a file.
func readHead(file string) ([]byte, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("cannot open: %v", unwrapPathErr(err))
	}
	defer fh.Close()
	buf := make([]byte, check.HeadSize)
	n, err := io.ReadFull(fh, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("cannot read: %v", err)
	}
	return buf[:n], nil
}

// looksLike is a coarse guess, used only when no Reader accepted a file,
// of the input the file would be: so that a Terraform file in a build
// without the Terraform input is a Gap, not a silently skipped file.
func looksLike(file string, head []byte) check.Input {
	base := strings.ToLower(filepath.Base(file))
	text := string(head)
	switch {
	case strings.HasSuffix(base, ".tf"):
		return check.InputTerraform
	case base == "dockerfile" || base == "containerfile" || strings.HasPrefix(base, "dockerfile.") ||
		strings.HasSuffix(base, ".dockerfile") || strings.HasSuffix(base, ".containerfile"):
		return check.InputDockerfile
	case strings.HasSuffix(base, ".json") && strings.Contains(text, `"format_version"`) &&
		(strings.Contains(text, `"planned_values"`) || strings.Contains(text, `"resource_changes"`)):
		return check.InputTerraform
	case isYAMLOrJSON(base) && strings.Contains(text, "apiVersion") && strings.Contains(text, "kind"):
		return check.InputKubernetes
	}
	return ""
}

func isYAMLOrJSON(base string) bool {
	switch filepath.Ext(base) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}
