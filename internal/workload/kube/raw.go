package kube

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/sightline-sec/sightline/internal/workload"
)

// RawDocument is one YAML or JSON document as ReadDocuments read it, before
// any typing: what a policy check needs (every field as written, every
// kind, the text for line numbers), where LoadManifests keeps only what the
// workload model uses.
type RawDocument struct {
	// Source names where the document was read: a file path, or a rendered
	// chart or kustomization with its template ("chart ./shop (Helm)
	// templates/web.yaml", "kustomization ./overlay").
	Source string
	// File is the path of the file read; "" for rendered output.
	File string
	// Line is the 1-based line in Source where the document's content
	// begins; 0 when Source has no lines of its own (Kustomize output).
	Line int
	// Rendered is true for Helm and Kustomize output: YAML holds the
	// rendered text, whose lines are those of the rendered template.
	Rendered bool
	// RenderedFrom is, for rendered output, the file it comes from: the
	// template of a chart directory (DIR/templates/web.yaml), a packaged
	// chart's archive, or a kustomization's kustomization file.
	RenderedFrom string
	// YAML is the document's text (from its "---" separator on; the lines
	// of YAML start at StartLine).
	YAML []byte
	// StartLine is the line of Source the first byte of YAML is on.
	StartLine int
	// JSON is the document converted to JSON (sigs.k8s.io/yaml, as kubectl
	// does); never "null" (documents holding only comments are skipped).
	JSON []byte
}

// ReadDocuments reads the same paths as LoadManifests, with the same
// bounds and the same rendering of Helm charts and Kustomize directories,
// and calls yield with every document, of any kind, in the order read.
// Lists are not unwrapped (the caller sees the List as written). What
// cannot be read is a Gap; the error is non-nil when a path cannot be read
// at all, the context ends, yield returns an error (returned as is), or
// nothing usable was read while something failed.
func ReadDocuments(ctx context.Context, paths []string, opts LoadOptions, yield func(RawDocument) error) ([]workload.Gap, error) {
	objs := &Objects{Inputs: map[string]string{}}
	d, err := newDecoder(ctx, objs, opts)
	if err != nil {
		return nil, err
	}
	d.raw = yield
	l := &loader{ctx: ctx, d: d, opts: opts}
	for _, p := range paths {
		if err := l.path(p); err != nil {
			return nil, err
		}
		if d.rawErr != nil {
			return nil, d.rawErr
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
	return objs.Gaps, nil
}

// rawDocument converts one document and hands it to d.raw.
func (d *decoder) rawDocument(where string, line int, hasLines bool, loc string, body []byte) {
	js, err := yaml.YAMLToJSON(body)
	if err != nil {
		msg := err.Error()
		if hasLines {
			msg = fileLines(msg, line-leadingLines(body))
		}
		d.gap(loc, "parse document", msg)
		return
	}
	if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return
	}
	doc := RawDocument{Source: where, YAML: body, JSON: js, StartLine: line - leadingLines(body), Line: line}
	if !hasLines {
		doc.Line, doc.StartLine = 0, 0
	}
	doc.Rendered, doc.RenderedFrom = d.rendered, d.renderedFrom
	if !doc.Rendered {
		doc.File = where
	}
	d.read++
	if err := d.raw(doc); err != nil {
		d.rawErr = err
	}
}

// leadingLines counts the lines of body before its first content line (as
// firstContentLine finds it), so that StartLine + i is the line of body's
// line i.
func leadingLines(body []byte) int {
	return firstContentLine(body, 1) - 1
}

// yamlLineRe matches the document-relative line of a YAML parser error
// ("yaml: line 7: did not find expected ',' or '}'").
var yamlLineRe = regexp.MustCompile(`\byaml: line (\d+):`)

// fileLines rewrites the document-relative line of a YAML parser error
// into the file's line, the document's first line being start: the gap is
// already located at the document's start, and "multi.yaml:11: … yaml:
// line 7" sent users to line 7 of the file.
func fileLines(msg string, start int) string {
	return yamlLineRe.ReplaceAllStringFunc(msg, func(m string) string {
		n, err := strconv.Atoi(yamlLineRe.FindStringSubmatch(m)[1])
		if err != nil || start < 1 {
			return m
		}
		return fmt.Sprintf("yaml: line %d:", start+n-1)
	})
}
