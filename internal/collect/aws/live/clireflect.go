package live

import (
	"encoding/base64"
	"reflect"
	"strings"
	"time"
)

// Services still on the SDK's older code generator (EC2, Redshift, S3 in
// this SDK release) have no Serialize method. Their API models name every
// member in PascalCase, and the SDK's Go field names are those member names,
// so a reflection walk over exported fields yields the CLI's keys. The
// rules match the schema path: nil members omitted, zero-valued non-pointer
// scalars and empty enums omitted, timestamps as the CLI prints them.

var (
	timeType = reflect.TypeOf(time.Time{})
	// skipFields are SDK plumbing, not API members.
	skipFields = map[string]bool{"ResultMetadata": true}
)

// reflectValue converts an SDK value into a JSON tree; ok=false means the
// member is absent and must be omitted.
func reflectValue(v reflect.Value) (any, bool) {
	switch v.Kind() {
	case reflect.Invalid:
		return nil, false
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, false
		}
		if v.Kind() == reflect.Interface {
			return unionValue(v.Elem())
		}
		// A pointer marks presence: *false and *0 are printed.
		if sv, ok := scalar(v.Elem()); ok {
			return sv, true
		}
		return reflectValue(v.Elem())
	case reflect.Struct:
		if v.Type() == timeType {
			return FormatCLITime(v.Interface().(time.Time)), true
		}
		return structValue(v), true
	case reflect.Slice:
		if v.IsNil() {
			return nil, false
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return base64.StdEncoding.EncodeToString(v.Bytes()), true
		}
		out := make([]any, 0, v.Len())
		for i := 0; i < v.Len(); i++ {
			item, ok := reflectValue(v.Index(i))
			if !ok {
				item = nil
			}
			out = append(out, item)
		}
		return out, true
	case reflect.Map:
		if v.IsNil() {
			return nil, false
		}
		out := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			item, ok := reflectValue(it.Value())
			if !ok {
				item = nil
			}
			out[it.Key().String()] = item
		}
		return out, true
	case reflect.String:
		if v.Len() == 0 && v.Type().PkgPath() != "" {
			return nil, false // unset enum
		}
		return v.String(), true
	case reflect.Bool:
		if !v.Bool() {
			return nil, false
		}
		return true, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.Int() == 0 {
			return nil, false
		}
		return v.Int(), true
	case reflect.Float32, reflect.Float64:
		if v.Float() == 0 {
			return nil, false
		}
		return v.Float(), true
	}
	return nil, false
}

// scalar returns a bool, number or string as is, zero or not.
func scalar(v reflect.Value) (any, bool) {
	switch v.Kind() {
	case reflect.Bool:
		return v.Bool(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), true
	case reflect.Float32, reflect.Float64:
		return v.Float(), true
	case reflect.String:
		return v.String(), true
	}
	return nil, false
}

func structValue(v reflect.Value) map[string]any {
	out := map[string]any{}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous || skipFields[f.Name] {
			continue
		}
		if val, ok := reflectValue(v.Field(i)); ok {
			out[f.Name] = val
		}
	}
	return out
}

// unionValue renders a union member type (Go type <Union>Member<Name> with a
// Value field) as {"<Name>": value}, as the CLI prints a tagged union.
func unionValue(v reflect.Value) (any, bool) {
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if i := strings.Index(t.Name(), "Member"); i > 0 {
		if f, ok := t.FieldByName("Value"); ok {
			inner, ok := reflectValue(reflect.Indirect(v).FieldByIndex(f.Index))
			if !ok {
				return nil, false
			}
			return map[string]any{t.Name()[i+len("Member"):]: inner}, true
		}
	}
	return reflectValue(v)
}
