package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
)

// streamJSON writes v — a struct or a pointer to one — exactly as
// json.Encoder with SetIndent("", "  ") and SetEscapeHTML(false) would,
// but writes each element of a top-level slice field separately, so the
// largest buffer holds one element instead of the whole document. A scan
// of 200k packages and 150k findings is a ~330 MB document; encoding/json
// builds it twice in memory (marshal, then indent) with doubling growth,
// which was 1.5 GB of the scan's 2.4 GiB peak RSS (docs/scan.md).
//
// order, when set for a field's JSON name, gives the order in which that
// slice's elements are written (indices into it), so a sorted view needs
// no sorted copy. The field rules are encoding/json's: the json tag name,
// "-", omitempty and omitzero; a struct with embedded fields or ",string"
// options is encoded in one piece (the layout rules for those are not
// reimplemented here).
func streamJSON(w io.Writer, v any, order map[string][]int) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	s := &jsonStream{w: bw}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false)
	if err := s.object(reflect.ValueOf(v), order); err != nil {
		return err
	}
	return bw.Flush()
}

type jsonStream struct {
	w   *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
}

// value writes one value at nesting depth (indentation of its first line
// is the caller's).
func (s *jsonStream) value(v any, depth int) error {
	s.buf.Reset()
	s.enc.SetIndent(strings.Repeat("  ", depth), "  ")
	if err := s.enc.Encode(v); err != nil {
		return err
	}
	_, err := s.w.Write(bytes.TrimSuffix(s.buf.Bytes(), []byte("\n")))
	return err
}

func (s *jsonStream) object(rv reflect.Value, order map[string][]int) error {
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			break
		}
		rv = rv.Elem()
	}
	fields, ok := streamable(rv)
	if !ok {
		if err := s.value(rv.Interface(), 0); err != nil {
			return err
		}
		return s.w.WriteByte('\n')
	}
	first := true
	for _, f := range fields {
		fv := rv.Field(f.index)
		if f.omitEmpty && emptyValue(fv) || f.omitZero && zeroValue(fv) {
			continue
		}
		if first {
			s.w.WriteString("{")
			first = false
		} else {
			s.w.WriteString(",")
		}
		s.w.WriteString("\n  ")
		if err := s.value(f.name, 1); err != nil {
			return err
		}
		s.w.WriteString(": ")
		var err error
		if fv.Kind() == reflect.Slice && !fv.IsNil() {
			err = s.slice(fv, order[f.name])
		} else {
			err = s.value(fv.Interface(), 1)
		}
		if err != nil {
			return err
		}
	}
	if first {
		s.w.WriteString("{}\n")
		return nil
	}
	_, err := s.w.WriteString("\n}\n")
	return err
}

// slice writes a non-nil slice at depth 1, in order when given.
func (s *jsonStream) slice(fv reflect.Value, order []int) error {
	n := fv.Len()
	if order != nil {
		n = len(order)
	}
	if n == 0 {
		_, err := s.w.WriteString("[]")
		return err
	}
	s.w.WriteString("[")
	for i := range n {
		j := i
		if order != nil {
			j = order[i]
		}
		if i > 0 {
			s.w.WriteString(",")
		}
		s.w.WriteString("\n    ")
		if err := s.value(fv.Index(j).Interface(), 2); err != nil {
			return err
		}
	}
	_, err := s.w.WriteString("\n  ]")
	return err
}

type streamField struct {
	index               int
	name                string
	omitEmpty, omitZero bool
}

// streamable lists the JSON fields of a struct value, or reports false
// when its layout needs encoding/json's full rules.
func streamable(rv reflect.Value) ([]streamField, bool) {
	if rv.Kind() != reflect.Struct {
		return nil, false
	}
	if _, ok := rv.Interface().(json.Marshaler); ok {
		return nil, false
	}
	if rv.CanAddr() {
		if _, ok := rv.Addr().Interface().(json.Marshaler); ok {
			return nil, false
		}
	}
	t := rv.Type()
	var out []streamField
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			return nil, false
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		f := streamField{index: i, name: name}
		for o := range strings.SplitSeq(opts, ",") {
			switch o {
			case "omitempty":
				f.omitEmpty = true
			case "omitzero":
				f.omitZero = true
			case "string":
				return nil, false
			}
		}
		out = append(out, f)
	}
	return out, true
}

// emptyValue is encoding/json's omitempty test.
func emptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64,
		reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// zeroValue is encoding/json's omitzero test: the value's IsZero method
// when it has one, else the language's zero value.
func zeroValue(v reflect.Value) bool {
	if z, ok := v.Interface().(interface{ IsZero() bool }); ok {
		if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
			return true
		}
		return z.IsZero()
	}
	return v.IsZero()
}
