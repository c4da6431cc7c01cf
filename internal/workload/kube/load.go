package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// LoadOptions configure LoadManifests.
type LoadOptions struct {
	// Values are Helm --set style assignments ("a.b=c,d=e") applied over a
	// chart's default values; optional.
	Values []string
	// Namespace is the namespace of objects that name none, and the Helm
	// release namespace; "" means "default".
	Namespace string
	// Logf, when set, receives progress lines (one per input rendered).
	Logf func(string, ...any)
}

func (o LoadOptions) namespace() string {
	if o.Namespace == "" {
		return "default"
	}
	return o.Namespace
}

func (o LoadOptions) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// kustomizationNames are the file names that make a directory a
// Kustomization (kustomize api konfig.RecognizedKustomizationFileNames).
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// LoadManifests reads Kubernetes objects from files and directories:
//
//   - a file is a multi-document YAML stream (or one JSON document); Lists
//     are unwrapped;
//   - a directory holding Chart.yaml, or a packaged chart (.tgz) given
//     as a path, is a Helm chart, rendered with the
//     Helm SDK (default values, then opts.Values; release "release-name",
//     namespace opts.Namespace, as `helm template` does);
//   - a directory holding a kustomization file is built with the Kustomize
//     API (krusty, load restrictions RootOnly, plugins disabled, remote
//     resources refused);
//   - any other directory is walked recursively for *.yaml, *.yml and
//     *.json files (hidden directories and symbolic links are skipped).
//
// What cannot be read — a document that does not parse, a chart that does
// not render, a file over MaxFileBytes — is a Gap naming the file and line.
// LoadManifests returns an error only when a path given cannot be read at
// all, the context ends, or nothing usable was read while something failed
// (every document a Gap): then the error names the first failures. An
// input with no objects at all yields Objects with a Gap saying so.
func LoadManifests(ctx context.Context, paths []string, opts LoadOptions) (*Objects, error) {
	objs := &Objects{Inputs: map[string]string{}}
	d, err := newDecoder(ctx, objs, opts)
	if err != nil {
		return nil, err
	}
	l := &loader{ctx: ctx, d: d, opts: opts}
	for _, p := range paths {
		if err := l.path(p); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("kubernetes manifests: %w", err)
	}
	if d.read == 0 {
		if len(objs.Gaps) > 0 {
			return nil, nothingRead(paths, objs)
		}
		d.gap(strings.Join(paths, ", "), "read manifests", "no Kubernetes objects found")
	}
	logIgnored(opts, objs.Ignored)
	return objs, nil
}

// logIgnored reports the kinds read but not modelled, so that a CRD-heavy
// input does not look empty.
func logIgnored(opts LoadOptions, ignored map[string]int) {
	if len(ignored) == 0 {
		return
	}
	kinds := make([]string, 0, len(ignored))
	for k := range ignored {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for i, k := range kinds {
		kinds[i] = fmt.Sprintf("%s ×%d", k, ignored[k])
	}
	opts.logf("kubernetes objects read but not modelled: %s", strings.Join(kinds, ", "))
}

func nothingRead(paths []string, objs *Objects) error {
	var b strings.Builder
	for i, g := range objs.Gaps {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(objs.Gaps)-3)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s: %s", g.Input, g.What, g.Reason)
	}
	return fmt.Errorf("no Kubernetes object could be read from %s: %s", strings.Join(paths, ", "), b.String())
}

type loader struct {
	ctx   context.Context
	d     *decoder
	opts  LoadOptions
	files int
}

// path reads one path given by the user: an error when it cannot be read.
func (l *loader) path(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("kubernetes manifests: %w", err)
	}
	if !fi.IsDir() {
		if isChartArchive(p) {
			return l.render(p, "helm")
		}
		return l.file(p)
	}
	if lfi, err := os.Lstat(p); err == nil && lfi.Mode()&fs.ModeSymlink != 0 {
		// A directory given through a symbolic link is followed (links met
		// while walking are not).
		p += string(filepath.Separator)
	}
	return l.dir(p)
}

// dir renders a chart or kustomization, or walks a plain directory.
func (l *loader) dir(root string) error {
	if kind := dirKind(root); kind != "" {
		return l.render(root, kind)
	}
	return filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if cerr := l.ctx.Err(); cerr != nil {
			return fmt.Errorf("kubernetes manifests: %w", cerr)
		}
		if err != nil {
			l.d.gap(p, "read directory", err.Error())
			if e != nil && e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p == root {
			return nil
		}
		if e.Type()&fs.ModeSymlink != 0 {
			l.d.gap(p, "read file", "symbolic link not followed")
			return nil
		}
		if e.IsDir() {
			if strings.HasPrefix(e.Name(), ".") {
				return fs.SkipDir
			}
			if kind := dirKind(p); kind != "" {
				if err := l.render(p, kind); err != nil {
					return err
				}
				return fs.SkipDir
			}
			return nil
		}
		if !isManifestName(e.Name()) {
			return nil
		}
		return l.file(p)
	})
}

func isManifestName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// isChartArchive: a packaged Helm chart (`helm package`), rendered when
// given as a path (not when met while walking a directory).
func isChartArchive(p string) bool {
	n := strings.ToLower(p)
	return strings.HasSuffix(n, ".tgz") || strings.HasSuffix(n, ".tar.gz")
}

// dirKind says whether a directory is a Helm chart or a kustomization.
func dirKind(dir string) string {
	if fileExists(filepath.Join(dir, "Chart.yaml")) {
		return "helm"
	}
	for _, n := range kustomizationNames {
		if fileExists(filepath.Join(dir, n)) {
			return "kustomize"
		}
	}
	return ""
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// file reads one manifest file (bounded by MaxFileBytes).
func (l *loader) file(p string) error {
	if err := l.ctx.Err(); err != nil {
		return fmt.Errorf("kubernetes manifests: %w", err)
	}
	l.files++
	if l.files > MaxFiles {
		if l.files == MaxFiles+1 {
			l.d.gap(p, "read files", fmt.Sprintf("more than %d files; the rest were not read", MaxFiles))
		}
		return nil
	}
	data, err := readBounded(p, MaxFileBytes)
	if err != nil {
		l.d.gap(p, "read file", err.Error())
		return nil
	}
	l.d.stream(p, data, strings.EqualFold(filepath.Ext(p), ".json"), true)
	return nil
}

// readBounded reads at most limit bytes of a regular file. It opens with
// O_NONBLOCK: opening a FIFO named like a manifest would otherwise block
// until some writer appears (for ever, and deaf to Ctrl-C); the mode check
// below then refuses it.
func readBounded(p string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes; not read", limit)
	}
	return data, nil
}

// render renders a chart or kustomization and decodes its output.
func (l *loader) render(dir, kind string) error {
	var (
		out map[string][]byte
		src string
		err error
	)
	switch kind {
	case "helm":
		src = "chart " + dir + " (Helm)"
		out, err = renderHelm(l.ctx, dir, l.opts)
	default:
		src = "kustomization " + dir
		out, err = renderKustomize(l.ctx, dir)
	}
	if cerr := l.ctx.Err(); cerr != nil {
		return fmt.Errorf("kubernetes manifests: %s: %w", src, cerr)
	}
	if err != nil {
		l.d.gap(src, "render", err.Error())
		return nil
	}
	names := make([]string, 0, len(out))
	total := 0
	for n, b := range out {
		names = append(names, n)
		total += len(b)
	}
	if total > MaxFileBytes {
		l.d.gap(src, "render", fmt.Sprintf("rendered output larger than %d bytes; not read", MaxFileBytes))
		return nil
	}
	sort.Strings(names)
	l.opts.logf("rendered %s: %d bytes", src, total)
	l.d.rendered = true
	defer func() { l.d.rendered, l.d.renderedFrom = false, "" }()
	for _, n := range names {
		where := src
		if n != "" {
			where = src + " " + n
		}
		l.d.renderedFrom = renderedFrom(dir, kind, n)
		l.d.stream(where, out[n], false, n != "")
	}
	return nil
}

// renderedFrom is the file a rendered output comes from: for a chart
// directory the template ("chart/templates/web.yaml" as Helm names it →
// DIR/templates/web.yaml; a subchart's "chart/charts/db/templates/x.yaml" →
// DIR/charts/db/templates/x.yaml), for a packaged chart the archive, for a
// kustomization its kustomization file.
func renderedFrom(dir, kind, name string) string {
	if kind != "helm" {
		for _, n := range kustomizationNames {
			if p := filepath.Join(dir, n); fileExists(p) {
				return p
			}
		}
		return dir
	}
	if isChartArchive(dir) {
		return dir
	}
	if i := strings.IndexByte(name, '/'); i >= 0 {
		return filepath.Join(dir, filepath.FromSlash(name[i+1:]))
	}
	return dir
}
