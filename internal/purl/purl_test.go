package purl

import (
	"slices"
	"testing"
)

func TestToPackage(t *testing.T) {
	cases := []struct{ purl, osEco, name, version, eco, typ, src, srcVer string }{
		{"pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12&upstream=glibc", "", "libc6", "2.36-9+deb12u14", "Debian:12", "deb", "glibc", "2.36-9+deb12u14"},
		{"pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?distro=bookworm&upstream=util-linux%402.38.1-5%2Bdeb12u3", "", "bsdutils", "1:2.38.1-5+deb12u3", "Debian:12", "deb", "util-linux", "2.38.1-5+deb12u3"},
		{"pkg:deb/debian/bash@5.2.15-2%2Bb8", "Debian:12", "bash", "5.2.15-2+b8", "Debian:12", "deb", "", ""},
		{"pkg:deb/debian/bash@5.2.15-2%2Bb8", "Alpine:v3.20", "bash", "5.2.15-2+b8", "", "deb", "", ""},
		{"pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.18?distro=ubuntu-22.04", "", "openssl", "3.0.2-0ubuntu1.18", "Ubuntu:22.04:LTS", "deb", "", ""},
		{"pkg:deb/ubuntu/openssl@3.0.10?distro=mantic", "", "openssl", "3.0.10", "Ubuntu:23.10", "deb", "", ""},
		{"pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64&distro=3.20.1&upstream=busybox", "", "busybox", "1.36.1-r29", "Alpine:v3.20", "apk", "busybox", "1.36.1-r29"},
		{"pkg:apk/alpine/ssl_client@1.30.1-r5?distro=alpine-3.10.9&source=busybox", "", "ssl_client", "1.30.1-r5", "Alpine:v3.10", "apk", "busybox", "1.30.1-r5"},
		{"pkg:apk/wolfi/glibc@2.40-r3", "", "glibc", "2.40-r3", "Wolfi", "apk", "", ""},
		{"pkg:rpm/rocky/openssl@3.0.7-27.el9?distro=rocky-9.4", "", "openssl", "3.0.7-27.el9", "Rocky Linux:9", "rpm", "", ""},
		{"pkg:golang/golang.org/x/text@v0.3.5", "", "golang.org/x/text", "v0.3.5", "Go", "go-module", "", ""},
		{"pkg:golang/stdlib@1.22.1", "", "stdlib", "1.22.1", "Go", "go-stdlib", "", ""},
		{"pkg:npm/lodash@4.17.15", "", "lodash", "4.17.15", "npm", "npm", "", ""},
		{"pkg:npm/%40babel/core@7.24.0", "", "@babel/core", "7.24.0", "npm", "npm", "", ""},
		{"pkg:pypi/jinja2@2.10", "", "jinja2", "2.10", "PyPI", "python", "", ""},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "", "org.apache.logging.log4j:log4j-core", "2.14.1", "Maven", "maven", "", ""},
		{"pkg:gem/rails@6.1.4", "", "rails", "6.1.4", "RubyGems", "gem", "", ""},
		{"pkg:cargo/tokio@1.0.0", "", "tokio", "1.0.0", "crates.io", "cargo", "", ""},
		{"pkg:composer/laravel/framework@8.0.0", "", "laravel/framework", "8.0.0", "Packagist", "composer", "", ""},
		{"pkg:nuget/Newtonsoft.Json@12.0.1", "", "Newtonsoft.Json", "12.0.1", "NuGet", "nuget", "", ""},
		{"pkg:apk/alpine/libcrypto3@3.1.4-r5?distro=alpine-3.19.1&origin=openssl", "", "libcrypto3", "3.1.4-r5", "Alpine:v3.19", "apk", "openssl", "3.1.4-r5"},
		{"pkg:deb/debian/bash@4.3-11?distro=jessie", "", "bash", "4.3-11", "Debian:8", "deb", "", ""},
	}
	for _, c := range cases {
		p, err := ToPackage(c.purl, c.osEco)
		if err != nil {
			t.Errorf("%s: %v", c.purl, err)
			continue
		}
		got := []string{p.Name, p.Version, p.Ecosystem, p.Type, p.SourceName, p.SourceVersion}
		want := []string{c.name, c.version, c.eco, c.typ, c.src, c.srcVer}
		if !slices.Equal(got, want) {
			t.Errorf("%s (os %q): got %q, want %q", c.purl, c.osEco, got, want)
		}
	}
	for _, bad := range []string{"", "npm/lodash", "pkg:", "pkg:npm/"} {
		if _, err := ToPackage(bad, ""); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestOSEcosystem(t *testing.T) {
	for _, c := range [][3]string{
		{"debian", "12", "Debian:12"}, {"alpine", "3.20.1", "Alpine:v3.20"}, {"ubuntu", "24.04", "Ubuntu:24.04:LTS"},
		{"rocky", "9.4", "Rocky Linux:9"}, {"plan9", "4", ""},
	} {
		if got := OSEcosystem(c[0], c[1]); got != c[2] {
			t.Errorf("%s %s: %q, want %q", c[0], c[1], got, c[2])
		}
	}
}
