// Package pkgname says how each advisory ecosystem compares package names.
//
// The advisory index stores every package under Key(ecosystem, name), and
// every lookup goes through the same Key, so a name matches exactly when
// the ecosystem's own registry would call the two names the same package.
// The rules, one per ecosystem, are in the table `ruleOf` below with their
// sources; an ecosystem not in the table compares names exactly.
//
//	PyPI       PEP 503: lower case, runs of "-", "_", "." are one "-"
//	NuGet      IDs are case-insensitive (NuGet package ID rules)
//	Packagist  vendor/name is case-insensitive (Composer schema: lower case)
//	crates.io  case-insensitive and "-" = "_" (crates.io refuses a name
//	           that collides under this folding, so it is a unique key)
//	Go         module paths are case-sensitive (go.dev/ref/mod#module-path);
//	           the proxy's "!x" escaped form is read as "X"
//	npm, Maven (groupId:artifactId), RubyGems, Hex, Pub, Hackage, CRAN and
//	the distributions' package names compare exactly (case-sensitive).
//
// Some producers lowercase names of case-sensitive ecosystems because the
// purl specification asks them to (its golang and npm types are defined
// as lower case). For those ecosystems (CaseLost) the index also records
// which stored names differ from their lower-case form, so a caller that
// knows a name's case was lost can find them (see vulndb.DB.CaseVariants).
package pkgname

import (
	"strings"

	"golang.org/x/mod/module"
)

// rule is how one ecosystem compares names.
type rule struct {
	normal   func(string) string // nil: names compare exactly
	caseLost bool                // case-sensitive, but purl producers may lowercase it
}

// ruleOf is the table: one case per ecosystem that has a rule of its own;
// every other ecosystem compares names exactly. OSV gives none of these
// ecosystems a release suffix, so the name is matched whole (the distros,
// which have suffixes, "Debian:12", all compare exactly). A switch on the
// whole name, not a map or version.Base first, because it is on the path
// of every lookup.
// Sources:
//   - PyPI: PEP 503 "Normalized Names" (packaging.python.org).
//   - NuGet: package IDs are case-insensitive (learn.microsoft.com,
//     "Package ID"); nuget.org stores and compares them that way.
//   - Packagist: Composer's schema requires lower-case names and
//     Packagist resolves them case-insensitively.
//   - crates.io: names are unique ignoring case and "-"/"_" (crates.io
//     publish rules, cargo#2775, RFC 940).
//   - Go: module paths are case-sensitive; the module proxy protocol
//     escapes each upper-case letter as "!" + lower case
//     (go.dev/ref/mod#goproxy-protocol), decoded by golang.org/x/mod.
//   - npm: names are case-sensitive; new names must be lower case
//     (package.json "name"), legacy ones ("JSONStream") are not.
func ruleOf(ecosystem string) rule {
	switch ecosystem {
	case "PyPI":
		return rule{normal: PEP503}
	case "NuGet", "Packagist":
		return rule{normal: lowerASCII}
	case "crates.io":
		return rule{normal: crateName}
	case "Go":
		return rule{normal: goModulePath, caseLost: true}
	case "npm":
		return rule{caseLost: true}
	}
	return rule{}
}

// Key returns the form under which name is stored and looked up in
// ecosystem (the OSV ecosystem name, with its release suffix if any). It is idempotent:
// Key(e, Key(e, n)) == Key(e, n). It allocates only when the name changes.
func Key(ecosystem, name string) string {
	if r := ruleOf(ecosystem); r.normal != nil {
		return r.normal(name)
	}
	return name
}

// CaseLost reports whether ecosystem has case-sensitive names that purl
// producers may have lowercased (Go, npm).
func CaseLost(ecosystem string) bool {
	return ruleOf(ecosystem).caseLost
}

// Fold is the case-insensitive form of a key of a CaseLost ecosystem.
func Fold(name string) string { return strings.ToLower(name) }

// PEP503 normalises a Python project name: lower case, and every run of
// "-", "_" and "." becomes a single "-" (PEP 503, "Normalized Names").
func PEP503(name string) string {
	if isPEP503(name) {
		return name
	}
	b := make([]byte, 0, len(name))
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' || c == '.' {
			if !sep {
				b = append(b, '-')
			}
			sep = true
			continue
		}
		sep = false
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

func isPEP503(name string) bool {
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= 'A' && c <= 'Z', c == '_', c == '.':
			return false
		case c == '-' && i > 0 && name[i-1] == '-':
			return false
		}
	}
	return true
}

// lowerASCII lowercases A-Z only: NuGet IDs and Composer names are ASCII,
// and .NET's ordinal-ignore-case comparison folds exactly these.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// crateName folds case and "_" to "-", the equivalence crates.io enforces.
func crateName(s string) string {
	s = lowerASCII(s)
	if strings.IndexByte(s, '_') < 0 {
		return s
	}
	return strings.ReplaceAll(s, "_", "-")
}

// goModulePath decodes the proxy's escaped form ("github.com/!burnt!sushi"
// → "github.com/BurntSushi"); "!" is not allowed in module paths, so a
// path that contains one and decodes is unambiguous. Anything else is
// kept as it is.
func goModulePath(s string) string {
	if strings.IndexByte(s, '!') < 0 {
		return s
	}
	if p, err := module.UnescapePath(s); err == nil {
		return p
	}
	return s
}
