package cliutil

import (
	"regexp"
	"strings"
)

// Decoder errors name Go types ("cannot unmarshal string into Go struct
// field BOM.components of type []cyclonedx.Component"), which mean nothing
// to a user and change with our code. Humanize rewrites the messages of
// encoding/json and yaml.v3 into the input's own terms: the field path in
// the document and the kind of value it needs. It works on text because
// libraries wrap these errors with %v as often as with %w; it is applied
// to every error and warning the CLI prints (main's run, Warnf).
var (
	jsonField = regexp.MustCompile(`(?:json: )?cannot unmarshal (.+?) into Go struct field \w+\.(\S+) of type (` + goType + `)`)
	jsonValue = regexp.MustCompile(`(?:json: )?cannot unmarshal (.+?) into Go value of type (` + goType + `)`)
	yamlField = regexp.MustCompile(`field (\S+) not found in type \S+`)
	yamlValue = regexp.MustCompile("cannot unmarshal !!(\\w+) `(.*?)` into (" + goType + ")")
)

// goType matches a Go type name as decoders print it ([]v1.Container,
// *int64, map[string]string), and not the punctuation of the text around
// it ("… of type []v1.Container); next part").
const goType = `[\w.*\[\]]+`

// Humanize returns msg with decoder errors rewritten (see above); other
// text is unchanged.
func Humanize(msg string) string {
	msg = strings.ReplaceAll(msg, "yaml: unmarshal errors:\n  ", "")
	msg = jsonField.ReplaceAllStringFunc(msg, func(m string) string {
		s := jsonField.FindStringSubmatch(m)
		return `field "` + s[2] + `": got ` + jsonWords(s[1]) + ", want " + typeWords(s[3])
	})
	msg = jsonValue.ReplaceAllStringFunc(msg, func(m string) string {
		s := jsonValue.FindStringSubmatch(m)
		return "got " + jsonWords(s[1]) + ", want " + typeWords(s[2])
	})
	msg = yamlField.ReplaceAllString(msg, `unknown key "$1"`)
	msg = yamlValue.ReplaceAllStringFunc(msg, func(m string) string {
		s := yamlValue.FindStringSubmatch(m)
		return `got "` + s[2] + `", want ` + typeWords(s[3])
	})
	return msg
}

// jsonWords names a JSON value as encoding/json reports it ("string",
// "number 5", "array", …).
func jsonWords(v string) string {
	kind, val, _ := strings.Cut(v, " ")
	w := map[string]string{"string": "a string", "number": "a number", "bool": "true/false",
		"array": "a list", "object": "an object", "null": "null"}[kind]
	if w == "" {
		return v
	}
	if val != "" {
		w += " (" + val + ")"
	}
	return w
}

// typeWords names the kind of value a Go type takes, in JSON/YAML terms.
func typeWords(t string) string {
	t = strings.TrimLeft(t, "*")
	switch {
	case strings.HasPrefix(t, "["):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "an object"
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "float"):
		return "a number"
	case t == "time.Time":
		return "a date-time (RFC 3339)"
	case t == "interface" || t == "interface {}" || t == "any":
		return "a value"
	}
	return "an object"
}
