package dockerfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/sightline-sec/sightline/internal/check"
)

// MaxSize is the largest Dockerfile Parse accepts, in bytes. Real
// Dockerfiles are a few KiB (the largest official-image Dockerfile we test,
// python's Windows one, is under 10 KiB); 1 MiB leaves room for generated
// ones while bounding memory and time on a file that is not a Dockerfile.
const MaxSize = 1 << 20

// ParseError is a Dockerfile that could not be read, with the 1-based line
// the problem is on (0 when it concerns the whole file).
type ParseError struct {
	File string
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads one Dockerfile (name is how findings refer to it, usually
// its path) into a check.Object of Input "dockerfile" and Type
// "Dockerfile"; the shape of Data and Vars is in the package doc.
//
// Gaps are what was parsed but could not be checked in full (a RUN whose
// shell text does not parse, RUN instructions under a non-POSIX SHELL); the
// Object is still valid. A file that is not a buildable Dockerfile (binary,
// over MaxSize, a syntax error, no FROM, an instruction before the first
// FROM other than ARG) is a *ParseError naming the file and line.
func Parse(name string, src []byte) (check.Object, []check.Gap, error) {
	if err := checkBytes(src); err != nil {
		return check.Object{}, nil, &ParseError{File: name, Line: lineOf(src, err), Err: err}
	}
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		line, cause := locate(err)
		return check.Object{}, nil, &ParseError{File: name, Line: line, Err: cause}
	}
	b := newBuilder(name, src, res)
	if err := b.build(); err != nil {
		return check.Object{}, nil, err
	}
	return b.object(), b.gaps, nil
}

// errBinary is returned for content with a NUL byte or invalid UTF-8: such
// a file is not a Dockerfile, and the BuildKit parser would read it as
// garbage instructions rather than fail.
var errBinary = errors.New("not a text file (NUL byte or invalid UTF-8)")

type sizeError struct{}

func (sizeError) Error() string {
	return fmt.Sprintf("file is larger than the %d-byte limit for a Dockerfile", MaxSize)
}

// maxLine is the longest line the BuildKit parser's scanner accepts
// (bufio.MaxScanTokenSize less the newline); checked here so the error
// names the line, which the parser's own error does not.
const maxLine = bufio.MaxScanTokenSize - 1

type lineError struct{ line int }

func (e lineError) Error() string {
	return fmt.Sprintf("line longer than %d bytes", maxLine)
}

func checkBytes(src []byte) error {
	if len(src) > MaxSize {
		return sizeError{}
	}
	if bytes.IndexByte(src, 0) >= 0 || !utf8.Valid(src) {
		return errBinary
	}
	for i, rest := 1, src; len(rest) > 0; i++ {
		n := bytes.IndexByte(rest, '\n')
		if n < 0 {
			n = len(rest)
		}
		if n > maxLine {
			return lineError{i}
		}
		rest = rest[min(n+1, len(rest)):]
	}
	return nil
}

// lineOf is the line of the first NUL or invalid UTF-8 byte for errBinary,
// the long line for lineError, 0 otherwise.
func lineOf(src []byte, err error) int {
	var le lineError
	if errors.As(err, &le) {
		return le.line
	}
	if !errors.Is(err, errBinary) {
		return 0
	}
	bad := bytes.IndexByte(src, 0)
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n <= 1 {
			if bad < 0 || i < bad {
				bad = i
			}
			break
		}
		i += n
	}
	if bad < 0 {
		return 0
	}
	return bytes.Count(src[:bad], []byte("\n")) + 1
}

// locate returns the 1-based start line of a BuildKit parser error and
// the error without BuildKit's location and stack wrappers. The parser
// records 0-based lines for scanner errors and 1-based ones for
// instruction errors; both are mapped to a line a reader can find (≥ 1).
func locate(err error) (int, error) {
	var le *parser.LocationError
	if !errors.As(err, &le) {
		return 0, err
	}
	cause := le.Unwrap()
	if cause == nil {
		cause = err
	}
	if len(le.Locations) == 0 || len(le.Locations[0]) == 0 {
		return 0, cause
	}
	return max(le.Locations[0][0].Start.Line, 1), cause
}
