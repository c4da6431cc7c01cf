package snapshot

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// Decoding. Snapshot files are large (describe-instances of a 100k-interface
// estate is ~200 MB), and decoding them was most of `sightline exposure`'s
// time with encoding/json. We decode with github.com/go-json-experiment/json,
// the Go team's implementation that becomes encoding/json/v2: it does not
// pre-validate the whole input and it decodes from a stream, so a list
// output is read element by element straight from the file without holding
// its bytes. Measured on the 100k estate (bench/exposure.sh, one core):
// security groups 168 MB 1.57 s → 0.52 s, instances 199 MB 1.75–1.96 s →
// 0.52 s, interfaces 94 MB 0.98 s → 0.36 s. github.com/goccy/go-json was
// faster still (0.18–0.40 s) but has open reports of panics on malformed
// input (goccy/go-json#575, #604), which a reader of user files cannot
// accept.
//
// decodeOpts keep encoding/json's (v1) semantics where they can differ for
// the plain structs of model.go: object names match fields
// case-insensitively (without v2's folding of '-' and '_'), invalid UTF-8
// is replaced rather than rejected, and a duplicate name's last value wins.
// Error messages differ from encoding/json's; every error still names the
// file (callers wrap it).
var decodeOpts = jsonv2.JoinOptions(
	jsonv2.MatchCaseInsensitiveNames(true),
	jsonv1.MatchCaseSensitiveDelimiter(true),
	jsontext.AllowInvalidUTF8(true),
	jsontext.AllowDuplicateNames(true),
)

// unmarshal decodes one complete JSON document into v.
func unmarshal(b []byte, v any) error { return jsonv2.Unmarshal(b, v, decodeOpts) }

// decodeList streams one AWS CLI list output, a JSON object whose member
// top holds an array, e.g. {"SecurityGroups": [...], "NextToken": ...}, and
// returns the array's elements. Other members are skipped. A document
// with members but without top is not the output of this operation: an
// error, as is any syntax error or trailing data. An empty object {} is an
// empty output (the AWS CLI prints {} for a response without members, and
// the collector writes what the CLI prints); "top": null counts as an empty
// list (the CLI never prints it, encoding/json accepts it).
func decodeList[T any](r io.Reader, top string) ([]T, error) {
	dec := jsontext.NewDecoder(bufio.NewReaderSize(r, 256<<10), decodeOpts)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var out []T
	found, members := false, 0
	for dec.PeekKind() != '}' {
		members++
		name, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		// Like encoding/json, a name matching top case-insensitively fills
		// the list (the last one wins); the shape check wants top exactly.
		if !strings.EqualFold(name.String(), top) {
			if err := dec.SkipValue(); err != nil {
				return nil, err
			}
			continue
		}
		found = found || name.String() == top
		if out, err = decodeArray[T](dec, top); err != nil {
			return nil, err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		if err == nil {
			err = errors.New("unexpected data after the top-level object")
		}
		return nil, err
	}
	if !found && members > 0 {
		return nil, fmt.Errorf("not the output of this operation: no %q field", top)
	}
	return out, nil
}

// decodeArray reads the value of member top: an array or null.
func decodeArray[T any](dec *jsontext.Decoder, top string) ([]T, error) {
	switch k := dec.PeekKind(); k {
	case 'n':
		_, err := dec.ReadToken()
		return nil, err
	case '[':
	case 0:
		_, err := dec.ReadToken() // reports the syntax or I/O error
		return nil, err
	default:
		return nil, fmt.Errorf("%q is a JSON %s, want an array", top, kindName(k))
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	out := []T{}
	for dec.PeekKind() != ']' {
		var v T
		if err := jsonv2.UnmarshalDecode(dec, &v); err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", top, len(out), err)
		}
		out = append(out, v)
	}
	_, err := dec.ReadToken()
	return out, err
}

// errEmptyFile reports a file without any JSON value: what `aws … > file`
// leaves when the call fails. The reader treats it as not collected.
var errEmptyFile = errors.New("empty file")

func expectDelim(dec *jsontext.Decoder, want jsontext.Kind) error {
	tok, err := dec.ReadToken()
	if err != nil {
		if err == io.EOF {
			return errEmptyFile
		}
		return err
	}
	if tok.Kind() != want {
		return fmt.Errorf("top-level value is a JSON %s, want an object", kindName(tok.Kind()))
	}
	return nil
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "value"
}
