package risk

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
)

// WriteJSON writes the report as indented JSON, one row at a time, so
// that a report of 100k rows is never held twice in memory (the
// encoding/json Encoder buffers a whole value). The bytes are those of
// an Encoder with SetIndent("", "  ") and SetEscapeHTML(false).
func WriteJSON(w io.Writer, rep *Report) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var buf bytes.Buffer
	encoders := map[string]*json.Encoder{}
	write := func(prefix string, v any) error {
		enc := encoders[prefix]
		if enc == nil {
			enc = json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent(prefix, "  ")
			encoders[prefix] = enc
		}
		buf.Reset()
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, err := bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		return err
	}
	bw.WriteString("{\n  \"schema\": ")
	if err := write("  ", rep.Schema); err != nil {
		return err
	}
	bw.WriteString(",\n  \"risks\": [")
	for i := range rep.Risks {
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n    ")
		if err := write("    ", &rep.Risks[i]); err != nil {
			return err
		}
	}
	if len(rep.Risks) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("],\n  \"fixes\": ")
	if err := write("  ", rep.Fixes); err != nil {
		return err
	}
	bw.WriteString(",\n  \"coverage\": ")
	if err := write("  ", &rep.Coverage); err != nil {
		return err
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}
