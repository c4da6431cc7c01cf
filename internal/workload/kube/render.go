package kube

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	chartloader "helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/strvals"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

const (
	// MaxRenderSourceBytes bounds the files of one chart or kustomization
	// directory (Helm's own archive bound is 100 MiB; real charts are well
	// under 1 MiB).
	MaxRenderSourceBytes = 64 << 20
	// RenderTimeout bounds one Helm or Kustomize rendering: templates can
	// loop (`range until`), and neither library takes a context. On
	// timeout the rendering goroutine is abandoned and a Gap recorded.
	RenderTimeout = time.Minute
	// maxKustomizeDepth bounds the chain of kustomizations followed when
	// checking for remote resources.
	maxKustomizeDepth = 32
)

// helmReleaseName is the release name `helm template` uses by default.
const helmReleaseName = "release-name"

// renderHelm renders a chart directory offline (no cluster: `lookup`
// returns nothing, Capabilities are Helm's defaults), as `helm template`
// does, and returns the rendered manifests by template path, NOTES.txt
// and empty outputs left out.
//
// dir may also be a packaged chart (.tgz), whose decompressed size Helm's
// loader bounds (loader.MaxDecompressedChartSize, 100 MiB).
func renderHelm(ctx context.Context, dir string, opts LoadOptions) (map[string][]byte, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		err = dirSizeWithin(dir, MaxRenderSourceBytes)
	} else if fi.Size() > MaxRenderSourceBytes {
		err = fmt.Errorf("chart archive larger than %d bytes; not rendered", MaxRenderSourceBytes)
	}
	if err != nil {
		return nil, err
	}
	vals, err := parseValues(opts.Values)
	if err != nil {
		return nil, err
	}
	return withTimeout(ctx, func() (map[string][]byte, error) {
		chrt, err := chartloader.Load(dir)
		if err != nil {
			return nil, fmt.Errorf("load chart: %w", err)
		}
		if err := checkDependencies(chrt); err != nil {
			return nil, err
		}
		if err := chartutil.ProcessDependenciesWithMerge(chrt, vals); err != nil {
			return nil, fmt.Errorf("chart dependencies: %w", err)
		}
		rv, err := chartutil.ToRenderValues(chrt, vals, chartutil.ReleaseOptions{
			Name: helmReleaseName, Namespace: opts.namespace(), IsInstall: true, Revision: 1,
		}, chartutil.DefaultCapabilities)
		if err != nil {
			return nil, fmt.Errorf("chart values: %w", err)
		}
		rendered, err := engine.Render(chrt, rv)
		if err != nil {
			return nil, fmt.Errorf("render chart: %w", err)
		}
		out := make(map[string][]byte, len(rendered))
		for name, s := range rendered {
			if strings.HasSuffix(name, "NOTES.txt") || strings.TrimSpace(s) == "" {
				continue
			}
			out[name] = []byte(s)
		}
		return out, nil
	})
}

// CheckValues reports the first of values (Helm --set assignments,
// "a.b=c,d=e") that does not parse, so a CLI can refuse it before reading
// anything.
func CheckValues(values []string) error {
	_, err := parseValues(values)
	return err
}

func parseValues(values []string) (map[string]any, error) {
	vals := map[string]any{}
	for _, s := range values {
		if err := strvals.ParseInto(s, vals); err != nil {
			return nil, fmt.Errorf("value %q: %w", s, err)
		}
	}
	return vals, nil
}

// checkDependencies fails, as `helm template` does (Helm's
// action.CheckDependencies), when Chart.yaml names a dependency that is
// not vendored under charts/: rendering without it would drop its objects
// silently.
func checkDependencies(chrt *chart.Chart) error {
	have := map[string]bool{}
	for _, d := range chrt.Dependencies() {
		have[d.Name()] = true
	}
	var missing []string
	for _, r := range chrt.Metadata.Dependencies {
		if !have[r.Name] {
			missing = append(missing, r.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("found in Chart.yaml, but missing in charts/ directory: %s (run `helm dependency build`)", strings.Join(missing, ", "))
	}
	return nil
}

// renderKustomize builds a kustomization directory with the Kustomize API
// as `kustomize build` does with its defaults (load restrictions RootOnly,
// plugins and Helm inflation disabled). Remote resources (git or HTTP
// URLs) are refused before building: kustomize would fetch them by running
// git, and Sightline reads only what it is given.
func renderKustomize(ctx context.Context, dir string) (map[string][]byte, error) {
	if err := dirSizeWithin(dir, MaxRenderSourceBytes); err != nil {
		return nil, err
	}
	if err := checkLocalKustomization(dir, map[string]bool{}, 0); err != nil {
		return nil, err
	}
	return withTimeout(ctx, func() (map[string][]byte, error) {
		k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
		m, err := k.Run(filesys.MakeFsOnDisk(), dir)
		if err != nil {
			return nil, fmt.Errorf("kustomize build: %w", err)
		}
		y, err := m.AsYaml()
		if err != nil {
			return nil, fmt.Errorf("kustomize output: %w", err)
		}
		return map[string][]byte{"": y}, nil
	})
}

// checkLocalKustomization refuses a kustomization (or one it includes)
// that names a resource, component or base not on the local disk.
func checkLocalKustomization(dir string, seen map[string]bool, depth int) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if seen[abs] {
		return nil
	}
	seen[abs] = true
	if depth > maxKustomizeDepth {
		return fmt.Errorf("kustomizations nested deeper than %d", maxKustomizeDepth)
	}
	var file string
	for _, n := range kustomizationNames {
		if p := filepath.Join(dir, n); fileExists(p) {
			file = p
			break
		}
	}
	if file == "" {
		return nil
	}
	data, err := readBounded(file, MaxFileBytes)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	var k types.Kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	refs := append(append([]string{}, k.Resources...), k.Components...)
	//lint:ignore SA1019 kustomize still loads the deprecated bases field, so it is checked too.
	refs = append(refs, k.Bases...)
	for _, r := range refs {
		p := r
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, r)
		}
		if looksRemote(r) {
			return fmt.Errorf("%s: resource %q is not a local file or directory (remote resources are not fetched)", file, r)
		}
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: resource %q is missing (local path %s not found)", file, r, p)
		}
		if err != nil {
			return fmt.Errorf("%s: resource %q: %w", file, r, err)
		}
		if fi.IsDir() {
			if err := checkLocalKustomization(p, seen, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// looksRemote reports whether a kustomization entry names a remote
// resource rather than a local path: a URL ("https://…", "git::…",
// "ssh://…"), an scp-like git address ("git@host:org/repo"), a go-getter
// query or subdirectory ("?ref=", "repo//dir"), or a path whose first
// element is a host name ("github.com/org/repo/dir"). Kustomize tries an
// entry as a local file or directory first and as a git repository
// otherwise (kustomize docs, "resources": "Each entry in this list must be
// a path to a file, or a path (or URL) referring to another
// kustomization"); an entry that looks local and does not exist is
// missing, not remote.
func looksRemote(r string) bool {
	if strings.Contains(r, "://") || strings.HasPrefix(r, "git::") || strings.HasPrefix(r, "git@") ||
		strings.Contains(r, "?ref=") || strings.Contains(r, "?version=") || strings.Contains(r, "?submodules=") {
		return true
	}
	first, rest, ok := strings.Cut(r, "/")
	if !ok || first == "." || first == ".." || !strings.Contains(first, ".") {
		return false
	}
	if strings.Contains(rest, "//") {
		return true
	}
	ext := strings.ToLower(filepath.Ext(r))
	return ext != ".yaml" && ext != ".yml" && ext != ".json"
}

// dirSizeWithin fails when the regular files under dir exceed limit bytes,
// or when dir holds a FIFO, socket or device: the renderers open every
// file they are pointed at, and opening a FIFO blocks until a writer comes.
func dirSizeWithin(dir string, limit int64) error {
	var total int64
	errTooBig := errors.New("too big")
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type()&(fs.ModeNamedPipe|fs.ModeSocket|fs.ModeDevice|fs.ModeCharDevice) != 0 {
			return fmt.Errorf("%s is not a regular file (%s); not rendered", p, e.Type())
		}
		if e.Type().IsRegular() {
			fi, err := e.Info()
			if err != nil {
				return err
			}
			total += fi.Size()
			if total > limit {
				return errTooBig
			}
		}
		return nil
	})
	if errors.Is(err, errTooBig) {
		return fmt.Errorf("directory holds more than %d bytes; not rendered", limit)
	}
	return err
}

// withTimeout runs render in a goroutine bounded by ctx and RenderTimeout.
func withTimeout(ctx context.Context, render func() (map[string][]byte, error)) (map[string][]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, RenderTimeout)
	defer cancel()
	type result struct {
		out map[string][]byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				ch <- result{err: fmt.Errorf("renderer panicked: %v", r)}
			}
		}()
		out, err := render()
		ch <- result{out, err}
	}()
	select {
	case r := <-ch:
		return r.out, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("rendering stopped: %w", ctx.Err())
	}
}
