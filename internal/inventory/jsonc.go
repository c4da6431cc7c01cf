package inventory

import (
	"bufio"
	"io"
)

// jsoncReader turns JSONC (JSON with // and /* */ comments and trailing
// commas, the syntax of bun.lock and of VS Code's settings) into JSON as a
// stream: comments become a space, a comma followed (after white space and
// comments) by '}' or ']' is dropped. Strings pass through untouched.
// Linear time, constant memory; malformed input stays malformed for the
// JSON decoder to report.
type jsoncReader struct {
	r       *bufio.Reader
	out     []byte // ready to be returned, from off
	off     int
	pending []byte // a comma and the white space after it, held until the next significant byte
	inStr   bool
	escape  bool
	err     error
}

func newJSONCReader(r io.Reader) io.Reader { return &jsoncReader{r: bufio.NewReaderSize(r, 64<<10)} }

func (j *jsoncReader) Read(p []byte) (int, error) {
	if j.off == len(j.out) {
		j.out, j.off = j.out[:0], 0
		for len(j.out) < len(p) && j.err == nil {
			j.step()
		}
		if j.err != nil {
			j.flush() // a trailing comma at EOF: let the decoder see it
		}
	}
	if j.off < len(j.out) {
		n := copy(p, j.out[j.off:])
		j.off += n
		return n, nil
	}
	return 0, j.err
}

// step consumes one byte (or one comment) and appends what it stands for.
func (j *jsoncReader) step() {
	c, err := j.r.ReadByte()
	if err != nil {
		j.err = err
		return
	}
	if j.inStr {
		j.out = append(j.out, c)
		switch {
		case j.escape:
			j.escape = false
		case c == '\\':
			j.escape = true
		case c == '"':
			j.inStr = false
		}
		return
	}
	switch c {
	case ' ', '\t', '\n', '\r':
		if j.pending != nil {
			j.pending = append(j.pending, c)
		} else {
			j.out = append(j.out, c)
		}
		return
	case '/':
		if j.comment() {
			return
		}
	case '}', ']':
		if j.pending != nil {
			j.pending = j.pending[1:] // drop the trailing comma, keep its white space
		}
	}
	j.flush()
	if c == ',' {
		j.pending = append(j.pending[:0], c)
		return
	}
	if c == '"' {
		j.inStr = true
	}
	j.out = append(j.out, c)
}

func (j *jsoncReader) flush() {
	j.out = append(j.out, j.pending...)
	j.pending = nil
}

// comment skips a comment after a '/' and reports whether there was one;
// it stands for white space.
func (j *jsoncReader) comment() bool {
	next, err := j.r.Peek(1)
	if err != nil || (next[0] != '/' && next[0] != '*') {
		return false
	}
	j.r.ReadByte()
	if next[0] == '/' {
		for {
			c, err := j.r.ReadByte()
			if err != nil || c == '\n' {
				break
			}
		}
	} else {
		prev := byte(0)
		for {
			c, err := j.r.ReadByte()
			if err != nil || (prev == '*' && c == '/') {
				break
			}
			prev = c
		}
	}
	if j.pending != nil {
		j.pending = append(j.pending, ' ')
	} else {
		j.out = append(j.out, ' ')
	}
	return true
}
