// Package kubernetes is the Kubernetes input of `sightline check`: it
// turns Kubernetes objects — from manifest files and directories, Helm
// charts and Kustomize directories (read and rendered by
// internal/workload/kube, with its bounds), a live cluster
// (internal/workload/kube/live) or one admission request — into
// check.Objects for the rule engine.
//
// Every object is kept as the API gives it (Data: apiVersion, kind,
// metadata, spec, …, any kind, custom resources included), with:
//
//   - Type = kind, Name = "namespace/Kind/name" ("Kind/name" for
//     cluster-scoped kinds), Location = file and first line of the
//     document;
//   - Lines: the line of every field path, from the YAML text
//     ("spec.template.spec.containers[0].securityContext.privileged" →
//     24), so a finding points at the line to change;
//   - Vars: podSpec, podSpecPath, podMeta, podMetaPath and containers, the
//     pod template of every kind that makes Pods, so one rule covers Pods
//     and all workload controllers;
//   - Ignores: the "# sightline:ignore RULE-ID reason" comments in the
//     document.
//
// docs/check-kubernetes.md documents the data shape and the built-in
// rules.
package kubernetes

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/workload"
	"github.com/sightline-sec/sightline/internal/workload/kube"
)

// Reader reads Kubernetes manifests for `sightline check` (the
// check.Reader of the kubernetes input).
type Reader struct {
	// Namespace is the namespace of objects that name none and the Helm
	// release namespace; "" = "default".
	Namespace string
	// Values are Helm --set style values applied to charts.
	Values []string
	// Logf receives progress lines; optional.
	Logf func(string, ...any)
}

// Input is check.InputKubernetes.
func (Reader) Input() check.Input { return check.InputKubernetes }

// Detect reports whether a file is Kubernetes input (see Detect).
func (Reader) Detect(path string, head []byte) bool { return Detect(path, head) }

// Read reads paths (see Read).
func (r Reader) Read(ctx context.Context, paths []string) (check.Set, error) {
	return Read(ctx, paths, r.options())
}

func (r Reader) options() kube.LoadOptions {
	return kube.LoadOptions{Namespace: r.Namespace, Values: r.Values, Logf: r.Logf}
}

var (
	yamlAPIVersion = regexp.MustCompile(`(?m)^apiVersion:[ \t]*["']?[A-Za-z0-9]`)
	yamlKind       = regexp.MustCompile(`(?m)^kind:[ \t]*["']?[A-Z]`)
	jsonAPIVersion = regexp.MustCompile(`"apiVersion"\s*:\s*"`)
	jsonKindRe     = regexp.MustCompile(`"kind"\s*:\s*"`)
)

// Detect reports whether the file at path is Kubernetes input, judged by
// its first bytes: a .yaml/.yml/.json file with top-level apiVersion and
// kind (a Helm template too: Read renders its chart), a Helm chart's
// Chart.yaml, or a kustomization file.
func Detect(path string, head []byte) bool {
	base := filepath.Base(path)
	if base == "Chart.yaml" || slices.Contains(kustomizationNames, base) {
		return true
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	switch strings.ToLower(filepath.Ext(base)) {
	case ".yaml", ".yml":
		return yamlAPIVersion.Match(head) && yamlKind.Match(head)
	case ".json":
		t := bytes.TrimSpace(head)
		return len(t) > 0 && t[0] == '{' && jsonAPIVersion.Match(head) && jsonKindRe.Match(head)
	}
	return false
}

// kustomizationNames are the file names that make a directory a
// Kustomization (kustomize konfig.RecognizedKustomizationFileNames).
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// maxChartDepth is how many directories up from a template file Read looks
// for the chart's Chart.yaml (templates/ and one level of subdirectory
// under it, as real charts use).
const maxChartDepth = 3

// Read reads files and directories (as kube.LoadManifests does: plain
// manifests, Helm charts, Kustomize directories) into Objects. A
// Chart.yaml or kustomization file stands for its directory, which is
// rendered; a file under a chart (a template) is read by rendering its
// chart; files under a kustomization given too are read through it only.
// What cannot be read is a Gap; the error is non-nil only when ctx ends.
func Read(ctx context.Context, paths []string, opts kube.LoadOptions) (check.Set, error) {
	roots := inputRoots(paths)
	var set check.Set
	err := readAll(ctx, roots, opts, &set)
	if err == nil || ctx.Err() != nil {
		return set, ctxErr(ctx, err)
	}
	// One path failed as a whole (missing, or nothing in it parses): read
	// the paths one by one so that each failure is a Gap of its own and
	// the others are still read.
	set = check.Set{}
	for _, p := range roots {
		var one check.Set
		if err := readAll(ctx, []string{p}, opts, &one); err != nil {
			if ctx.Err() != nil {
				return set, ctx.Err()
			}
			one = check.Set{Gaps: []check.Gap{{Input: check.InputKubernetes, Location: check.Location{File: p}, Reason: err.Error()}}}
		}
		set.Add(one)
	}
	return set, nil
}

func ctxErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// readAll reads paths with kube.ReadDocuments into set. Documents are
// read and split in one goroutine (kube's reader) and converted — JSON
// decoding, the yaml.v3 parse for lines and comments, vars — by
// GOMAXPROCS workers; results keep the order documents were read in.
func readAll(ctx context.Context, paths []string, opts kube.LoadOptions, set *check.Set) error {
	type result struct {
		objs []check.Object
		gaps []check.Gap
	}
	type job struct {
		doc kube.RawDocument
		out *result
	}
	types, err := kube.NewTypeChecker()
	if err != nil {
		return err
	}
	jobs := make(chan job, 64)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for j := range jobs {
				j.out.objs, j.out.gaps = fromDocument(j.doc, opts.Namespace)
				j.out.objs, j.out.gaps = typeChecked(types, j.out.objs, j.out.gaps)
			}
		})
	}
	var results []*result // appended by the reading goroutine only
	gaps, err := kube.ReadDocuments(ctx, paths, opts, func(d kube.RawDocument) error {
		r := &result{}
		results = append(results, r)
		jobs <- job{doc: d, out: r}
		return nil
	})
	close(jobs)
	wg.Wait()
	if err != nil {
		return err
	}
	for _, r := range results {
		set.Objects = append(set.Objects, r.objs...)
		set.Gaps = append(set.Gaps, r.gaps...)
	}
	for _, g := range gaps {
		set.Gaps = append(set.Gaps, fromWorkloadGap(g))
	}
	return nil
}

// typeChecked drops the objects the API server would reject because a
// field has the wrong type (`privileged: "true"`, `containers:` as a map):
// rules read such an object wrongly (the string "true" is not true), and
// nothing runs from it anyway. Each is a gap naming it and the field, so a
// --fail-on gate does not pass over it.
func typeChecked(types *kube.TypeChecker, objs []check.Object, gaps []check.Gap) ([]check.Object, []check.Gap) {
	kept := objs[:0]
	for _, o := range objs {
		apiVersion, _ := o.Data["apiVersion"].(string)
		js, err := json.Marshal(o.Data)
		if err == nil {
			err = types.Check(js, apiVersion, o.Type)
		}
		if err != nil {
			gaps = append(gaps, check.Gap{Input: check.InputKubernetes, Location: o.Location,
				Reason: fmt.Sprintf("%s: the API server rejects it, not checked: %v", o.Name, err)})
			continue
		}
		kept = append(kept, o)
	}
	return kept, gaps
}

// fromDocument turns one raw document into Objects.
func fromDocument(d kube.RawDocument, namespace string) ([]check.Object, []check.Gap) {
	src := source{file: d.Source, line: d.Line, withLines: d.Line > 0 && !d.Rendered, namespace: namespace}
	if d.File != "" {
		src.file = d.File
	}
	if d.Rendered && d.RenderedFrom != "" {
		// Rendered output: the location is the file it comes from (a real
		// path, as SARIF needs), without lines — the rendered text's lines
		// are not the template's; the resource says what was rendered.
		src.file = d.RenderedFrom
		src.resource = d.Source
		if d.Line > 0 {
			src.resource = fmt.Sprintf("%s, line %d of the rendered output", d.Source, d.Line)
		}
	}
	data, err := decodeJSON(d.JSON)
	if err != nil {
		return nil, []check.Gap{gapAt(src, err.Error())}
	}
	// A document yaml.v3 cannot parse (YAML 1.1 corner cases the
	// Kubernetes parser accepts) keeps its object, without field lines or
	// ignores.
	tree, _ := parseTree(d.YAML, d.StartLine)
	objs, gaps := documentObjects(src, data, d.YAML, tree)
	if !src.withLines {
		// Helm and Kustomize output: its comments (ignores) count, its
		// lines are not the source file's.
		for i := range objs {
			objs[i].Lines, objs[i].Location.Line = nil, 0
			objs[i].Location.Resource = src.resource
			for j := range objs[i].Ignores {
				objs[i].Ignores[j].Line = 0
			}
		}
		for i := range gaps {
			gaps[i].Location.Line = 0
		}
	}
	return objs, gaps
}

// fromWorkloadGap converts a gap of the manifest reader; its Input is
// "file:line" or a rendered source's name.
func fromWorkloadGap(g workload.Gap) check.Gap {
	loc := check.Location{File: g.Input}
	if i := strings.LastIndexByte(g.Input, ':'); i > 0 {
		if n, err := strconv.Atoi(g.Input[i+1:]); err == nil && n > 0 {
			loc = check.Location{File: g.Input[:i], Line: n}
		}
	}
	reason := g.Reason
	if g.What != "" {
		reason = g.What + ": " + g.Reason
	}
	return check.Gap{Input: check.InputKubernetes, Location: loc, Reason: reason}
}

// inputRoots maps the paths given to what kube.ReadDocuments reads:
// Chart.yaml and kustomization files become their directories, a file
// inside a chart becomes the chart, files under a kustomization being
// rendered are dropped (nested kustomizations excepted), and duplicates go.
func inputRoots(paths []string) []string {
	var roots, kustomize []string
	seen := map[string]bool{}
	add := func(p string) {
		if p = filepath.Clean(p); !seen[p] {
			seen[p] = true
			roots = append(roots, p)
		}
	}
	for _, p := range paths {
		base := filepath.Base(p)
		switch {
		case base == "Chart.yaml":
			add(filepath.Dir(p))
		case slices.Contains(kustomizationNames, base):
			add(filepath.Dir(p))
			kustomize = append(kustomize, filepath.Clean(filepath.Dir(p)))
		default:
			if chart := chartOf(p); chart != "" {
				add(chart)
			} else {
				add(p)
			}
		}
	}
	// Charts and kustomizations being rendered take in the files under
	// them (a chart's subcharts, a kustomization's resources).
	parents := kustomize
	for _, r := range roots {
		if isChartDir(r) {
			parents = append(parents, r)
		}
	}
	// A kustomization under another one is a root of its own: an overlay
	// is built separately, not through the parent (which names only its
	// resources), so dropping it would leave its objects unchecked without
	// a trace. A Component (kind: Component) is not: it cannot be built
	// alone and is checked through the kustomizations that list it.
	// Kustomization files are small (read at most 1 MiB each).
	// A nested kustomization that a parent lists as a resource (or base)
	// is built through the parent, and is not read again.
	listed := map[string]bool{}
	files := map[string]kustomizationFile{} // each read once
	for _, d := range kustomize {
		k := readKustomization(d)
		files[d] = k
		for _, r := range append(k.Resources, k.Bases...) {
			listed[filepath.Clean(filepath.Join(d, r))] = true
		}
	}
	out := make([]string, 0, len(roots))
	for _, p := range roots {
		k, isKustomization := files[p]
		nested := isKustomization && k.Kind != "Component" && !listed[p]
		if nested || !slices.ContainsFunc(parents, func(d string) bool { return under(p, d) }) {
			out = append(out, p)
		}
	}
	return out
}

// kustomizationFile is what inputRoots reads of a kustomization.
type kustomizationFile struct {
	Kind      string   `yaml:"kind"` // "Component" for a Kustomize Component
	Resources []string `yaml:"resources"`
	Bases     []string `yaml:"bases"`
}

// readKustomization reads the kustomization file of dir (zero when it
// cannot be read: rendering reports that).
func readKustomization(dir string) kustomizationFile {
	var k kustomizationFile
	for _, n := range kustomizationNames {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil || len(b) > 1<<20 {
			continue
		}
		if yaml.Unmarshal(b, &k) != nil {
			return kustomizationFile{}
		}
		return k
	}
	return k
}

// chartOf returns the chart directory a file lies in (a Chart.yaml at most
// maxChartDepth directories up), or "".
// under says whether path p is strictly inside directory d. A prefix test
// missed every file when d is "." (`sightline check .` in a kustomization
// or chart directory read each resource twice: directly and rendered).
func under(p, d string) bool {
	rel, err := filepath.Rel(d, p)
	if err != nil || rel == "." {
		return false
	}
	return rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func chartOf(p string) string {
	if fi, err := os.Stat(p); err != nil || fi.IsDir() {
		return ""
	}
	dir := filepath.Dir(p)
	for range maxChartDepth {
		if isChartDir(dir) {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			break
		}
		dir = up
	}
	return ""
}

func isChartDir(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, "Chart.yaml"))
	return err == nil && fi.Mode().IsRegular()
}

// Reader is the check.Reader of the kubernetes input.
var _ check.Reader = Reader{}
