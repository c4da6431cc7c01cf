package terraform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Bounds on what one module directory may hold: bad input is an error,
// never unbounded work.
const (
	maxFileBytes = 4 << 20 // one .tf file
	maxFiles     = 2000    // .tf files in one module directory
)

// module is one Terraform module directory (the *.tf files of a directory
// are one module: https://developer.hashicorp.com/terraform/language/files).
type module struct {
	dir       string
	files     map[string][]string // file → its lines, for inline ignore comments
	variables map[string]*hclsyntax.Block
	locals    map[string]*hclsyntax.Attribute
	resources []*resourceBlock
	calls     []*moduleCall
	outputs   map[string]*hclsyntax.Attribute
	// skipped are files the reader does not evaluate (*.tf.json), reported as gaps.
	skipped []string
}

// resourceBlock is a resource or data block.
type resourceBlock struct {
	data      bool
	typ, name string
	file      string
	block     *hclsyntax.Block
}

// moduleCall is a module block.
type moduleCall struct {
	name   string
	file   string
	block  *hclsyntax.Block
	source string
}

func (r *resourceBlock) key() string {
	if r.data {
		return "data." + r.typ + "." + r.name
	}
	return r.typ + "." + r.name
}

// loadModule parses the *.tf files of dir. A file that does not parse is
// an error naming the file and line (hcl diagnostics carry both).
func loadModule(ctx context.Context, dir string) (*module, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading Terraform module %s: %w", dir, err)
	}
	m := &module{dir: dir, files: map[string][]string{}, variables: map[string]*hclsyntax.Block{},
		locals: map[string]*hclsyntax.Attribute{}, outputs: map[string]*hclsyntax.Attribute{}}
	var names []string
	for _, e := range ents {
		n := e.Name()
		switch {
		case e.IsDir():
		case strings.HasSuffix(n, ".tf"):
			names = append(names, n)
		case strings.HasSuffix(n, ".tf.json"):
			m.skipped = append(m.skipped, filepath.Join(dir, n))
		}
	}
	if len(names) > maxFiles {
		return nil, fmt.Errorf("terraform module %s: %d .tf files, more than the %d read", dir, len(names), maxFiles)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		path := filepath.Join(dir, n)
		src, err := readBounded(path)
		if err != nil {
			return nil, err
		}
		if err := m.addFile(path, src); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func readBounded(path string) ([]byte, error) { return readLimit(path, maxFileBytes) }

// readLimit reads a file of at most limit bytes.
func readLimit(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d read", path, st.Size(), limit)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return src, nil
}

// diagError turns hcl error diagnostics into one error naming file and line.
func diagError(diags hcl.Diagnostics) error {
	var msgs []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if d.Subject != nil {
			msg = fmt.Sprintf("%s:%d: %s", d.Subject.Filename, d.Subject.Start.Line, msg)
		}
		msgs = append(msgs, msg)
		if len(msgs) == 3 {
			break
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}

// addFile parses one file's top-level blocks into m.
func (m *module) addFile(path string, src []byte) error {
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return diagError(diags)
	}
	m.files[path] = strings.Split(string(src), "\n")
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return fmt.Errorf("%s: not native HCL syntax", path)
	}
	if len(body.Attributes) > 0 {
		for _, a := range body.Attributes {
			return fmt.Errorf("%s:%d: unexpected top-level argument %q", path, a.SrcRange.Start.Line, a.Name)
		}
	}
	for _, b := range body.Blocks {
		if err := m.addBlock(path, b); err != nil {
			return err
		}
	}
	return nil
}

func (m *module) addBlock(path string, b *hclsyntax.Block) error {
	need := func(n int) error {
		if len(b.Labels) != n {
			return fmt.Errorf("%s:%d: %s block needs %d label(s), has %d", path, b.TypeRange.Start.Line, b.Type, n, len(b.Labels))
		}
		return nil
	}
	switch b.Type {
	case "variable":
		if err := need(1); err != nil {
			return err
		}
		m.variables[b.Labels[0]] = b
	case "locals":
		for n, a := range b.Body.Attributes {
			m.locals[n] = a
		}
	case "output":
		if err := need(1); err != nil {
			return err
		}
		if a, ok := b.Body.Attributes["value"]; ok {
			m.outputs[b.Labels[0]] = a
		}
	case "resource", "data":
		if err := need(2); err != nil {
			return err
		}
		m.resources = append(m.resources, &resourceBlock{data: b.Type == "data", typ: b.Labels[0], name: b.Labels[1], file: path, block: b})
	case "module":
		if err := need(1); err != nil {
			return err
		}
		mc := &moduleCall{name: b.Labels[0], file: path, block: b}
		if a, ok := b.Body.Attributes["source"]; ok {
			if v, d := a.Expr.Value(nil); !d.HasErrors() && v.Type().FriendlyName() == "string" && v.IsKnown() && !v.IsNull() {
				mc.source = v.AsString()
			}
		}
		m.calls = append(m.calls, mc)
	}
	return nil
}

// localSource reports whether a module source is a local path
// (https://developer.hashicorp.com/terraform/language/modules/sources#local-paths).
func localSource(s string) bool {
	return strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") || s == "." || s == ".."
}
