package gobin

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// splitName turns a linker symbol name from funcnametab into the package
// path and the symbol in the Go vulnerability database's notation
// (golang.org/x/vuln: "Func" or "Type.Method", receiver pointer and type
// arguments dropped):
//
//	net/http.(*Client).Do                    → net/http, Client.Do
//	gopkg.in/yaml%2ev3.Unmarshal             → gopkg.in/yaml.v3, Unmarshal
//	sync/atomic.(*Pointer[go.shape.int]).Load → sync/atomic, Pointer.Load
//	example.com/m.F.func1 / .gowrap2 / -fm   → example.com/m, F
//
// A closure or go/defer wrapper of F only exists when F's code is in the
// binary, so it counts as F (golang.org/x/vuln keeps "F.func1", which no
// advisory names). ok is false for runtime-internal names ("go:…",
// "type:…"), names without a package, and names that are not printable
// UTF-8 (they cannot come from a Go toolchain).
func splitName(s string) (pkg, sym string, ok bool) {
	if strings.HasPrefix(s, "go:") || strings.HasPrefix(s, "type:") {
		return "", "", false
	}
	if strings.IndexByte(s, '[') >= 0 {
		s = dropTypeArgs(s)
	}
	if !printable(s) {
		return "", "", false
	}
	slash := strings.LastIndexByte(s, '/')
	dot := strings.IndexByte(s[slash+1:], '.')
	if dot < 0 {
		return "", "", false
	}
	dot += slash + 1
	pkg, rest := s[:dot], s[dot+1:]
	if strings.IndexByte(pkg, '%') >= 0 {
		p, err := url.PathUnescape(pkg)
		if err != nil || !printable(p) {
			return "", "", false
		}
		pkg = p
	}
	if strings.HasPrefix(rest, "(*") {
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return "", "", false
		}
		rest = rest[2:end] + rest[end+1:]
	}
	sym = strings.TrimSuffix(rest, "-fm")
	for {
		i := strings.LastIndexByte(sym, '.')
		if i < 0 || !generated(sym[i+1:]) {
			break
		}
		sym = sym[:i]
	}
	if pkg == "" || sym == "" {
		return "", "", false
	}
	return pkg, sym, true
}

// generated reports whether a name component is one the compiler makes
// up: closures (func1), go/defer wrappers (gowrap1, deferwrap1), their
// nesting indexes and numbered init functions (init.0), ABI wrappers.
func generated(c string) bool {
	for _, p := range []string{"func", "gowrap", "deferwrap"} {
		if strings.HasPrefix(c, p) && len(c) > len(p) && digits(c[len(p):]) {
			return true
		}
	}
	return digits(c) || c == "abi0" || c == "abiinternal"
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// dropTypeArgs removes every bracketed type-argument list (which may
// itself hold dots, slashes, spaces and brackets).
func dropTypeArgs(s string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '[':
			depth++
		case c == ']' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// printable reports whether s is valid UTF-8 without spaces or control
// characters, so the encoded set can use ' ' and '\n' as separators.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	return utf8.ValidString(s)
}
