package match

import (
	"context"
	"testing"

	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// FuzzFromPURL: any string gives a Query or an error, never a panic; a
// Query always names an ecosystem with a version ordering.
func FuzzFromPURL(f *testing.F) {
	for _, s := range []string{
		"pkg:golang/golang.org/x/text@v0.3.5",
		"pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12",
		"pkg:deb/debian/libssl3@3.0.11-1~deb12u1?distro=bookworm&source=openssl",
		"pkg:apk/alpine/busybox@1.36.1-r2?distro=3.19.1&origin=busybox",
		"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
		"pkg:npm/%40babel/core@7.0.0", "pkg:pypi/Jinja2@2.10", "pkg:deb/ubuntu/bash@5.1?distro=ubuntu-22.04",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := FromPURL(s)
		if err != nil {
			return
		}
		if _, err := (&Matcher{}).parser(q.Ecosystem); err != nil {
			t.Fatalf("%q → ecosystem %q without ordering: %v", s, q.Ecosystem, err)
		}
	})
}

// FuzzMatchVersion: any version string against the real records gives
// results or an error, never a panic.
func FuzzMatchVersion(f *testing.F) {
	for _, v := range []string{"3.0.11-1~deb12u1", "1:2.3", "", "~~", "2.10", "v0.3.5", "0.0.0-20210101000000-abcdef012345"} {
		f.Add(v)
	}
	db := buildDB(f, vulndbtest.Testdata("vulndb/osv"), vulndbtest.Testdata("quickstart"))
	m := New(db)
	f.Fuzz(func(t *testing.T, v string) {
		for _, q := range []Query{
			{Ecosystem: "Debian:12", Name: "openssl", Version: v},
			{Ecosystem: "PyPI", Name: "jinja2", Version: v},
			{Ecosystem: "Maven", Name: "org.apache.logging.log4j:log4j-core", Version: v},
			{Ecosystem: "Go", Name: "golang.org/x/text", Version: v},
		} {
			_, _ = m.Match(context.Background(), q)
		}
	})
}

// FuzzCheckVersion: the version rules never panic, never accept control
// characters, and whatever they accept the ecosystem's ordering parses.
func FuzzCheckVersion(f *testing.F) {
	for _, v := range []string{"1.2.3", "v0.3.5", "1:2.38.1-5+deb12u3", "6.6.1p1-r0", "2.0.0-final", "0.0.0-20210101000000-abcdef012345",
		"notaversion", "1.0\x00", "3.0.0b1.post1", "1.0.0-BETA+AA", "v1.2.3+incompatible", "1!2.0.post1.dev3+local.7"} {
		f.Add(v)
	}
	ecos := []string{"Go", "npm", "PyPI", "Maven", "RubyGems", "crates.io", "NuGet", "Packagist", "Debian:12",
		"Alpine:v3.19", "Red Hat", "Hackage", "CRAN", "Pub", "Bitnami"}
	m := &Matcher{}
	f.Fuzz(func(t *testing.T, v string) {
		for _, eco := range ecos {
			if checkVersion(eco, v) != nil {
				continue
			}
			if !printable(v) {
				t.Fatalf("%s accepted %q with control bytes", eco, v)
			}
			parse, err := m.parser(eco)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := parse(v); err != nil {
				t.Fatalf("%s accepted %q but its ordering refuses it: %v", eco, v, err)
			}
		}
	})
}
