package dockerfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/command"

	"github.com/sightline-sec/sightline/internal/check"
)

// Detect reports whether the file at path, whose first bytes are head
// (what the caller read, any length; 4 KiB is plenty), is a Dockerfile.
//
// By name: Dockerfile, Containerfile, Dockerfile.<x>, Containerfile.<x>,
// <x>.Dockerfile, <x>.Containerfile (any case; not <x>.dockerignore) — if
// the first instruction in head is a Dockerfile instruction. By content,
// for any other name: the first instruction is a well-formed FROM or ARG
// line (fromLine, argLine) and head has a FROM line, as BuildKit requires
// of every Dockerfile. Files with a NUL byte in head are never
// Dockerfiles.
func Detect(path string, head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	first, firstOK, hasFrom := firstInstruction(head)
	if byName(filepath.Base(path)) {
		_, ok := command.Commands[first]
		return ok
	}
	return firstOK && hasFrom
}

func byName(base string) bool {
	b := strings.ToLower(base)
	if strings.HasSuffix(b, ".dockerignore") {
		return false
	}
	for _, n := range []string{"dockerfile", "containerfile"} {
		if b == n || strings.HasPrefix(b, n+".") || strings.HasSuffix(b, "."+n) {
			return true
		}
	}
	return false
}

// fromLine and argLine match FROM and ARG lines as the Dockerfile reference
// writes them: FROM [--flag=v…] image [AS name]; ARG name[=value]. Prose
// starting with "From" does not match.
var (
	fromLine = regexp.MustCompile(`(?i)^FROM\s+(--\S+\s+)*[\w.\-/:@${}]+(\s+AS\s+[\w.\-${}]+)?\s*$`)
	argLine  = regexp.MustCompile(`(?i)^ARG\s+[A-Za-z_]\w*(=\S*)?(\s+[A-Za-z_]\w*(=\S*)?)*\s*$`)
)

// firstInstruction is the lower-cased first word of the first line that
// is neither blank nor a comment (parser directives are comments), whether
// that line is a well-formed FROM or ARG line, and whether any line is a
// well-formed FROM line.
func firstInstruction(head []byte) (string, bool, bool) {
	first, firstOK, hasFrom := "", false, false
	text := strings.TrimPrefix(string(head), "\ufeff") // a UTF-8 byte-order mark, as BuildKit strips it
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		isFrom := fromLine.MatchString(line)
		if first == "" {
			word, _, _ := strings.Cut(strings.ReplaceAll(line, "\t", " "), " ")
			first = strings.ToLower(word)
			firstOK = isFrom || argLine.MatchString(line)
		}
		hasFrom = hasFrom || isFrom
	}
	return first, firstOK, hasFrom
}

// Read parses the Dockerfiles at paths (files, as chosen by Detect) into a
// Set: one Object per file that parses, and a Gap naming the file (and
// line, when known) for each file that cannot be read or parsed, or that
// parsed with parts left unchecked. The error is non-nil only when ctx is
// done.
func Read(ctx context.Context, paths []string) (check.Set, error) {
	var set check.Set
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return set, err
		}
		obj, gaps, err := readFile(p)
		set.Gaps = append(set.Gaps, gaps...)
		if err != nil {
			set.Gaps = append(set.Gaps, errGap(p, err))
			continue
		}
		set.Objects = append(set.Objects, obj)
	}
	return set, nil
}

// readFile reads at most MaxSize+1 bytes, so a huge file costs no more
// than the limit.
func readFile(p string) (check.Object, []check.Gap, error) {
	f, err := os.Open(p)
	if err != nil {
		return check.Object{}, nil, err
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return check.Object{}, nil, fmt.Errorf("read %s: %w", p, err)
	}
	return Parse(p, src)
}

func errGap(p string, err error) check.Gap {
	g := check.Gap{Input: check.InputDockerfile, Location: check.Location{File: p}, Reason: err.Error()}
	var pe *ParseError
	if errors.As(err, &pe) {
		g.Location.Line = pe.Line
		g.Reason = pe.Err.Error() // every gap is shown and counted as not checked
	}
	return g
}

// Reader is the check.Reader for Dockerfiles, for the CLI's registry.
type Reader struct{}

var _ check.Reader = Reader{}

// Input is check.InputDockerfile.
func (Reader) Input() check.Input { return check.InputDockerfile }

// Detect is the package-level Detect.
func (Reader) Detect(path string, head []byte) bool { return Detect(path, head) }

// Read is the package-level Read.
func (Reader) Read(ctx context.Context, paths []string) (check.Set, error) { return Read(ctx, paths) }
