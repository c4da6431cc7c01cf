package suppress

import (
	"github.com/package-url/packageurl-go"
)

func parsePURL(s string) (packageurl.PackageURL, error) {
	return packageurl.FromString(s)
}

// purlCovers reports whether scope (from an ignore entry) covers the
// package purl p: same type, namespace and name; the scope's version, when
// given, must be equal; every qualifier the scope names must be present
// with the same value. So "pkg:npm/lodash" covers every lodash version and
// "pkg:deb/debian/libc6?distro=debian-12" covers libc6 on Debian 12 only.
func purlCovers(scope, p string) bool {
	s, err := packageurl.FromString(scope)
	if err != nil {
		return false
	}
	q, err := packageurl.FromString(p)
	if err != nil {
		return false
	}
	if s.Type != q.Type || s.Namespace != q.Namespace || s.Name != q.Name {
		return false
	}
	if s.Version != "" && s.Version != q.Version {
		return false
	}
	qm := q.Qualifiers.Map()
	for k, v := range s.Qualifiers.Map() {
		if qm[k] != v {
			return false
		}
	}
	return true
}
