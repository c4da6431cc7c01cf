package live

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net/url"
	"reflect"
	"time"

	smithy "github.com/aws/smithy-go"
	"github.com/aws/smithy-go/document"
)

// Shape is what every SDK output and type offers: the SDK's own schema-driven
// serializer. We drive it with cliSerializer to print what the AWS CLI
// prints, using the Smithy model's member names (the CLI's names: PascalCase
// for EC2, camelCase for ECS/EKS/ECR) rather than Go field names.
type Shape interface {
	Serialize(s smithy.ShapeSerializer)
}

// RenderCLI returns v as the AWS CLI v2 would print it with --output json:
// members named as in the API model, nil members omitted, timestamps in ISO
// 8601 (Python isoformat, UTC: "2024-05-01T12:34:56+00:00", microseconds
// only when non-zero), blobs base64, 4-space indentation, and IAM policy
// documents URL-decoded into JSON objects (botocore's json_decode_policies
// handler does this for every IAM response the CLI prints).
//
// Known difference: the SDK drops zero-valued non-pointer numbers and false
// non-pointer booleans (members with a model default), which the CLI would
// print as 0/false. Readers must treat those members as defaulting to zero.
//
// Outputs of services without Serialize (EC2, Redshift, S3 in this SDK
// release) go through the reflection renderer in clireflect.go.
func RenderCLI(v any) ([]byte, error) {
	var root any
	if sh, ok := v.(Shape); ok {
		s := &cliSerializer{}
		sh.Serialize(s)
		if s.err != nil {
			return nil, s.err
		}
		root = s.root
	} else {
		root, _ = reflectValue(reflect.ValueOf(v))
	}
	if root == nil {
		root = map[string]any{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("encoding CLI JSON: %w", err)
	}
	return buf.Bytes(), nil
}

// frame is one open container: a struct/union/map (obj) or a list.
type frame struct {
	schema *smithy.Schema
	obj    map[string]any
	list   []any
	isList bool
	key    string // pending map key from WriteKey
	hasKey bool
}

// cliSerializer builds a tree of map[string]any / []any / scalars.
type cliSerializer struct {
	stack []*frame
	root  any
	err   error
}

var _ smithy.ShapeSerializer = (*cliSerializer)(nil)

func (s *cliSerializer) Bytes() []byte { return nil }

// put places a finished value into the innermost container.
func (s *cliSerializer) put(schema *smithy.Schema, v any) {
	if len(s.stack) == 0 {
		s.root = v
		return
	}
	top := s.stack[len(s.stack)-1]
	switch {
	case top.isList:
		top.list = append(top.list, v)
	case top.hasKey:
		top.obj[top.key] = v
		top.hasKey = false
	case schema != nil && schema.MemberName() != "":
		top.obj[schema.MemberName()] = v
	default:
		s.fail(fmt.Errorf("CLI JSON: value without a member name inside %v", top.schema.ID()))
	}
}

func (s *cliSerializer) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

func (s *cliSerializer) push(schema *smithy.Schema, isList bool) {
	f := &frame{schema: schema, isList: isList}
	if isList {
		f.list = []any{}
	} else {
		f.obj = map[string]any{}
	}
	s.stack = append(s.stack, f)
}

func (s *cliSerializer) pop() {
	if len(s.stack) == 0 {
		s.fail(fmt.Errorf("CLI JSON: close without open"))
		return
	}
	f := s.stack[len(s.stack)-1]
	s.stack = s.stack[:len(s.stack)-1]
	if f.isList {
		s.put(f.schema, f.list)
	} else {
		s.put(f.schema, f.obj)
	}
}

func (s *cliSerializer) WriteInt8(sc *smithy.Schema, v int8)   { s.put(sc, int64(v)) }
func (s *cliSerializer) WriteInt16(sc *smithy.Schema, v int16) { s.put(sc, int64(v)) }
func (s *cliSerializer) WriteInt32(sc *smithy.Schema, v int32) { s.put(sc, int64(v)) }
func (s *cliSerializer) WriteInt64(sc *smithy.Schema, v int64) { s.put(sc, v) }
func (s *cliSerializer) WriteFloat32(sc *smithy.Schema, v float32) {
	s.WriteFloat64(sc, float64(v))
}

// WriteFloat64 writes finite numbers; JSON has no NaN/Infinity, so those
// become the strings botocore would print.
func (s *cliSerializer) WriteFloat64(sc *smithy.Schema, v float64) {
	switch {
	case math.IsNaN(v):
		s.put(sc, "NaN")
	case math.IsInf(v, 1):
		s.put(sc, "Infinity")
	case math.IsInf(v, -1):
		s.put(sc, "-Infinity")
	default:
		s.put(sc, v)
	}
}
func (s *cliSerializer) WriteBool(sc *smithy.Schema, v bool) { s.put(sc, v) }

// WriteString decodes IAM policy documents like botocore does; everything
// else is written as is (enums are strings already).
func (s *cliSerializer) WriteString(sc *smithy.Schema, v string) {
	if sc != nil && sc.TargetID().Name == "policyDocumentType" {
		if doc, ok := decodePolicy(v); ok {
			s.put(sc, doc)
			return
		}
	}
	s.put(sc, v)
}

// decodePolicy mirrors botocore.handlers.json_decode_policies: URL-decode,
// then parse as JSON; on failure the string is kept.
func decodePolicy(v string) (any, bool) {
	un, err := url.QueryUnescape(v)
	if err != nil {
		un = v
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader([]byte(un)))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	return doc, true
}

func (s *cliSerializer) WriteBigInt(sc *smithy.Schema, v *big.Int) {
	s.put(sc, json.Number(v.String()))
}
func (s *cliSerializer) WriteBigFloat(sc *smithy.Schema, v *big.Float) {
	s.put(sc, json.Number(v.Text('g', -1)))
}
func (s *cliSerializer) WriteBlob(sc *smithy.Schema, v []byte) {
	s.put(sc, base64.StdEncoding.EncodeToString(v))
}
func (s *cliSerializer) WriteTime(sc *smithy.Schema, v time.Time) { s.put(sc, FormatCLITime(v)) }

// FormatCLITime renders t as AWS CLI v2 does with its default
// cli_timestamp_format=iso8601: Python's datetime.isoformat() of the parsed
// timestamp. We always use UTC (the CLI uses the local zone for epoch-second
// protocols such as ECS and EKS; run it with TZ=UTC to compare).
func FormatCLITime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 != 0 {
		return t.Format("2006-01-02T15:04:05.000000+00:00")
	}
	return t.Format("2006-01-02T15:04:05+00:00")
}

func (s *cliSerializer) WriteUnion(schema, variant *smithy.Schema) { s.push(schema, false) }
func (s *cliSerializer) CloseUnion()                               { s.pop() }
func (s *cliSerializer) WriteStruct(sc *smithy.Schema)             { s.push(sc, false) }
func (s *cliSerializer) CloseStruct()                              { s.pop() }
func (s *cliSerializer) WriteList(sc *smithy.Schema)               { s.push(sc, true) }
func (s *cliSerializer) CloseList()                                { s.pop() }
func (s *cliSerializer) WriteMap(sc *smithy.Schema)                { s.push(sc, false) }
func (s *cliSerializer) CloseMap()                                 { s.pop() }
func (s *cliSerializer) WriteNil(sc *smithy.Schema)                { s.put(sc, nil) }

func (s *cliSerializer) WriteKey(_ *smithy.Schema, key string) {
	if len(s.stack) == 0 || s.stack[len(s.stack)-1].isList {
		s.fail(fmt.Errorf("CLI JSON: map key %q outside a map", key))
		return
	}
	top := s.stack[len(s.stack)-1]
	top.key, top.hasKey = key, true
}

// WriteDocument writes a Smithy document (free-form JSON) as JSON.
func (s *cliSerializer) WriteDocument(sc *smithy.Schema, v document.Value) {
	s.put(sc, documentValue(v))
}

func documentValue(v document.Value) any {
	switch vv := v.(type) {
	case document.Boolean:
		return bool(vv)
	case document.Number:
		return json.Number(vv)
	case document.String:
		return string(vv)
	case document.Blob:
		return base64.StdEncoding.EncodeToString(vv)
	case document.Timestamp:
		return FormatCLITime(time.Time(vv))
	case document.List:
		out := make([]any, 0, len(vv))
		for _, it := range vv {
			out = append(out, documentValue(it))
		}
		return out
	case document.Map:
		out := make(map[string]any, len(vv))
		for k, it := range vv {
			out[k] = documentValue(it)
		}
		return out
	case document.Structure:
		out := make(map[string]any, len(vv.Members))
		for k, it := range vv.Members {
			out[k] = documentValue(it)
		}
		return out
	case document.Opaque:
		return vv.Value
	case *document.Opaque:
		return vv.Value
	default:
		return nil
	}
}
