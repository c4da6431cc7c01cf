package check

import (
	"context"
	"fmt"
	"slices"
)

// Reader turns files of one input kind into Objects. Each input package
// (internal/check/dockerfile, …/kubernetes, …/terraform) provides one; the
// CLI registers them in a Registry and routes every PATH argument to the
// first Reader whose Detect accepts it.
type Reader interface {
	// Input is the kind of input the Reader produces.
	Input() Input
	// Detect reports whether the file at path is of this input kind,
	// judged by its content: head is the file's first bytes (at most
	// HeadSize), so Detect does no I/O of its own. The name may help
	// (*.tf) but content decides where it can.
	Detect(path string, head []byte) bool
	// Read reads the files Detect accepted. What cannot be read is a Gap
	// in the returned Set, not an error; an error means the Reader could
	// not run at all (context cancelled).
	Read(ctx context.Context, paths []string) (Set, error)
}

// HeadSize is how many leading bytes of a file Detect is given.
const HeadSize = 8 << 10

// Registry is the ordered list of Readers the CLI knows. Order matters:
// the first Reader whose Detect accepts a file gets it.
type Registry struct {
	readers []Reader
}

// Register adds r after the Readers already registered. Registering a
// second Reader for the same Input is an error (its files would be read
// twice or never).
func (g *Registry) Register(r Reader) error {
	if slices.ContainsFunc(g.readers, func(o Reader) bool { return o.Input() == r.Input() }) {
		return fmt.Errorf("check: a reader for input %q is already registered", r.Input())
	}
	g.readers = append(g.readers, r)
	return nil
}

// Readers returns the registered Readers in order.
func (g *Registry) Readers() []Reader { return slices.Clone(g.readers) }

// Detect returns the first Reader that accepts the file, or nil.
func (g *Registry) Detect(path string, head []byte) Reader {
	for _, r := range g.readers {
		if r.Detect(path, head) {
			return r
		}
	}
	return nil
}
