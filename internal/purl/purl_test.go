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

// TestRPMPURLs: rpm purls as osv-scalibr, syft and Trivy write them map to
// the ecosystems and EVRs the inventory gives the same packages (the
// openssl-libs of the real AL2023 image, epoch 1; qemu-kvm epoch 10 of
// ALAS2-2018-942; Oracle Linux 8.3 as its os-release names it).
func TestRPMPURLs(t *testing.T) {
	cases := []struct{ purl, osEco, version, eco, arch string }{
		{"pkg:rpm/amzn/openssl-libs@3.0.8-1.amzn2023.0.4?arch=x86_64&distro=amzn-2023&epoch=1&sourcerpm=openssl-3.0.8-1.amzn2023.0.4.src.rpm", "",
			"1:3.0.8-1.amzn2023.0.4", "Amazon Linux:2023", "x86_64"},
		{"pkg:rpm/amazonlinux/openssl-libs@3.0.8-1.amzn2023.0.4?arch=x86_64&distro=amazonlinux-2023&epoch=1", "", "1:3.0.8-1.amzn2023.0.4", "Amazon Linux:2023", "x86_64"},
		{"pkg:rpm/amazon/qemu-kvm@1.5.3-141.amzn2.5.3?epoch=10&distro=amazon-2", "", "10:1.5.3-141.amzn2.5.3", "Amazon Linux:2", ""},
		{"pkg:rpm/amzn/httpd@2.2.21-1.18.amzn1?distro=amzn-2018.03", "", "2.2.21-1.18.amzn1", "Amazon Linux:1", ""},
		{"pkg:rpm/ol/rsyslog@8.24.0-57.0.1.el7_9.3?arch=x86_64&distro=ol-7.9", "", "8.24.0-57.0.1.el7_9.3", "Oracle Linux:7", "x86_64"},
		{"pkg:rpm/ol/openssl@1.1.1g-15.ksplice1.el8_3?epoch=2&distro=ol-8.3", "", "2:1.1.1g-15.ksplice1.el8_3", "Oracle Linux:8:ksplice", ""},
		{"pkg:rpm/ol/bind@30:9.3.3-8.el5?distro=ol-5", "", "30:9.3.3-8.el5", "Oracle Linux:5", ""}, // epoch already in the version
		{"pkg:rpm/photon/openssl@3.0.9-1.ph5?distro=photon-5.0", "", "3.0.9-1.ph5", "Photon OS:5.0", ""},
		{"pkg:rpm/ol/bash@4.2.46-34.el7", "Oracle Linux:7", "4.2.46-34.el7", "Oracle Linux:7", ""}, // the SBOM's OS
		{"pkg:rpm/ol/bash@4.2.46-34.el7", "Amazon Linux:2", "4.2.46-34.el7", "", ""},               // another distro's OS
		{"pkg:rpm/centos/bash@4.2.46-34.el7?distro=centos-7", "", "4.2.46-34.el7", "", ""},         // no advisory source
		{"pkg:rpm/redhat/openssl@3.0.7-27.el9?epoch=1", "Red Hat:enterprise_linux:9::baseos", "1:3.0.7-27.el9", "Red Hat:enterprise_linux:9::baseos", ""},
		{"pkg:rpm/redhat/openssl@3.0.7-27.el9", "Debian:12", "3.0.7-27.el9", "", ""}, // a Debian SBOM OS is not Red Hat's
	}
	for _, c := range cases {
		p, err := ToPackage(c.purl, c.osEco)
		if err != nil {
			t.Errorf("%s: %v", c.purl, err)
			continue
		}
		if p.Version != c.version || p.Ecosystem != c.eco || p.Arch != c.arch {
			t.Errorf("%s (os %q): version %q ecosystem %q arch %q, want %q %q %q", c.purl, c.osEco, p.Version, p.Ecosystem, p.Arch, c.version, c.eco, c.arch)
		}
	}
}

func TestOSEcosystem(t *testing.T) {
	for _, c := range [][3]string{
		{"debian", "12", "Debian:12"}, {"alpine", "3.20.1", "Alpine:v3.20"}, {"ubuntu", "24.04", "Ubuntu:24.04:LTS"},
		{"rocky", "9.4", "Rocky Linux:9"}, {"plan9", "4", ""}, {"almalinux", "9.4", "AlmaLinux:9"},
		{"amzn", "2023", "Amazon Linux:2023"}, {"amzn", "2018.03", "Amazon Linux:1"}, {"ol", "8.3", "Oracle Linux:8"},
		{"photon", "5.0", "Photon OS:5.0"}, {"centos", "7", ""}, {"fedora", "39", ""},
	} {
		if got := OSEcosystem(c[0], c[1]); got != c[2] {
			t.Errorf("%s %s: %q, want %q", c[0], c[1], got, c[2])
		}
	}
}
