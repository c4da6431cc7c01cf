package exposure

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"unicode/utf8"

	"github.com/sightline-sec/sightline/internal/workload"
)

// WriteJSON streams rep as the sightline.exposure/v1 document, a block of
// results at a time so a large estate's output is never held in memory
// twice.
//
// Results are encoded by appendResult, a hand-written encoder that
// produces exactly what encoding/json (Encoder with SetEscapeHTML(false))
// prints for a Result, at a fraction of the cost: on the 100k-interface
// benchmark estate (476 MB of JSON) reflection-based encoding took ~1.1 s
// of CPU. TestAppendResultMatchesEncodingJSON and its fuzzer hold the two
// to byte equality. Strings that need escaping beyond the plain ASCII fast
// path are handed to encoding/json itself.
func WriteJSON(w io.Writer, rep *Report) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintf(bw, "{\n  \"schema\": %q,\n  \"results\": [", rep.Schema)
	// Blocks of results are encoded on GOMAXPROCS workers and written in
	// order; at most 2×GOMAXPROCS encoded blocks are held at a time.
	rs := rep.Results
	nblocks := (len(rs) + jsonBlock - 1) / jsonBlock
	workers := runtime.GOMAXPROCS(0)
	pending := make(chan chan []byte, 2*workers)
	// A fixed set of buffers circulates: encoded, written, reused; so the
	// write allocates no garbage per block.
	free := make(chan []byte, 3*workers)
	for i := 0; i < cap(free); i++ {
		free <- nil
	}
	go func() {
		defer close(pending)
		sem := make(chan struct{}, workers)
		for b := 0; b < nblocks; b++ {
			done := make(chan []byte, 1)
			pending <- done
			sem <- struct{}{}
			buf := <-free
			go func(b int) {
				defer func() { <-sem }()
				done <- encodeBlock(buf[:0], rs, b*jsonBlock, min((b+1)*jsonBlock, len(rs)))
			}(b)
		}
	}()
	var werr error
	for done := range pending {
		buf := <-done
		if werr == nil {
			_, werr = bw.Write(buf)
		}
		free <- buf
	}
	if werr != nil {
		return werr
	}
	bw.WriteString("\n  ],\n  \"gaps\": [")
	if err := writeGaps(bw, rep.Gaps); err != nil {
		return err
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}

// writeGaps writes the gaps one per line, as encoding/json prints them
// (few: the hand-written encoder is for results only).
func writeGaps(w io.Writer, gaps []workload.Gap) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for i := range gaps {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    ")
		if err := enc.Encode(&gaps[i]); err != nil {
			return err
		}
		b.Truncate(b.Len() - 1) // Encode's newline
	}
	_, err := w.Write(b.Bytes())
	return err
}

// jsonBlock is how many results one encoding job takes (~4 MB of JSON).
const jsonBlock = 4096

// encodeBlock appends results [lo, hi) to buf as they appear in the
// document.
func encodeBlock(buf []byte, rs []Result, lo, hi int) []byte {
	for i := lo; i < hi; i++ {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, "\n    "...)
		buf = appendResult(buf, &rs[i])
		buf = append(buf, '\n')
	}
	return buf
}

// appendResult appends r's JSON (the struct tags of Result, in field
// order) to b.
func appendResult(b []byte, r *Result) []byte {
	b = append(b, `{"resource":`...)
	b = appendString(b, r.Resource)
	b = append(b, `,"resource_type":`...)
	b = appendString(b, r.ResourceType)
	if r.Account != "" {
		b = append(b, `,"account":`...)
		b = appendString(b, r.Account)
	}
	if r.Region != "" {
		b = append(b, `,"region":`...)
		b = appendString(b, r.Region)
	}
	b = append(b, `,"protocol":`...)
	b = appendString(b, r.Protocol)
	b = append(b, `,"from_port":`...)
	b = strconv.AppendInt(b, int64(r.FromPort), 10)
	b = append(b, `,"to_port":`...)
	b = strconv.AppendInt(b, int64(r.ToPort), 10)
	b = append(b, `,"verdict":`...)
	b = appendString(b, r.Verdict)
	b = append(b, `,"sources":`...)
	b = appendStrings(b, r.Sources)
	if r.Width != "" {
		b = append(b, `,"width":`...)
		b = appendString(b, r.Width)
	}
	if r.Via != "" {
		b = append(b, `,"via":`...)
		b = appendString(b, r.Via)
	}
	b = append(b, `,"path":`...)
	if r.Path == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Path {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendHop(b, &r.Path[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"blocked_by":`...)
	if r.BlockedBy == nil {
		b = append(b, "null"...)
	} else {
		b = appendHop(b, r.BlockedBy)
	}
	if len(r.BlockedByAll) > 0 {
		b = append(b, `,"blocked_by_all":[`...)
		for i := range r.BlockedByAll {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendHop(b, &r.BlockedByAll[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"missing":`...)
	b = appendStrings(b, r.Missing)
	return append(b, '}')
}

func appendHop(b []byte, h *Hop) []byte {
	b = append(b, `{"kind":`...)
	b = appendString(b, h.Kind)
	b = append(b, `,"id":`...)
	b = appendString(b, h.ID)
	b = append(b, `,"detail":`...)
	b = appendString(b, h.Detail)
	return append(b, '}')
}

func appendStrings(b []byte, s []string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, x := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, x)
	}
	return append(b, ']')
}

// appendString quotes s as encoding/json does without HTML escaping:
// printable ASCII other than '"' and '\\' and valid UTF-8 other than
// U+2028/U+2029 are copied; strings holding anything else (control
// characters, quotes, backslashes, invalid UTF-8, U+2028/U+2029, which
// encoding/json escapes or replaces) go through encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			return appendStringSlow(b, s)
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			return appendStringSlow(b, s)
		}
		i += size
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendStringSlow(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})...)
}
