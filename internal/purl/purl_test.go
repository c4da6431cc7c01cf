package purl

import (
	"slices"
	"strings"
	"testing"

	"github.com/package-url/packageurl-go"
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
		{"pkg:npm/minimist@1.2.0?source=PUBLIC_REGISTRY", "", "minimist", "1.2.0", "npm", "npm", "", ""},
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

// TestNameCase: a golang purl keeps the case it was written with (the
// issue's GO-2023-2006 case), the proxy's escaped form is decoded, and an
// all-lower-case golang or npm name is marked NameCaseUnknown.
func TestNameCase(t *testing.T) {
	cases := []struct {
		purl, name string
		unknown    bool
	}{
		{"pkg:golang/github.com/1Panel-dev/1Panel@v1.4.3", "github.com/1Panel-dev/1Panel", false},
		{"pkg:golang/github.com/1Panel-dev/1Panel@v1.4.3?type=module#cmd/x", "github.com/1Panel-dev/1Panel", false},
		{"pkg://golang/github.com/Azure/azure-sdk-for-go/sdk/azidentity@v1.6.0", "github.com/Azure/azure-sdk-for-go/sdk/azidentity", false},
		{"pkg:golang/github.com/1%21panel-dev/1%21panel@v1.4.3", "github.com/1Panel-dev/1Panel", false},
		{"pkg:golang/github.com/1panel-dev/1panel@v1.4.3", "github.com/1panel-dev/1panel", true},
		{"pkg:golang/stdlib@1.22.1", "stdlib", false},
		{"pkg:npm/Haraka@2.8.8", "Haraka", false},
		{"pkg:npm/haraka@2.8.8", "haraka", true},
		{"pkg:nuget/jQuery@3.3.1", "jQuery", false},
		{"pkg:maven/org.apache.jmeter/ApacheJMeter@5.0", "org.apache.jmeter:ApacheJMeter", false},
		{"pkg:nuget/runtimepack.Microsoft.NETCore.App.Runtime.linux-x64@8.0.0", "Microsoft.NETCore.App.Runtime.linux-x64", false},
		{"pkg:nuget/runtimepack.Microsoft.AspNetCore.App.Runtime.linux-musl-x64@6.0.5", "Microsoft.AspNetCore.App.Runtime.linux-musl-x64", false},
	}
	for _, c := range cases {
		p, err := ToPackage(c.purl, "")
		if err != nil {
			t.Errorf("%s: %v", c.purl, err)
			continue
		}
		if p.Name != c.name || p.NameCaseUnknown != c.unknown {
			t.Errorf("%s: name %q unknown %v; want %q %v", c.purl, p.Name, p.NameCaseUnknown, c.name, c.unknown)
		}
	}
}

func TestCaseHint(t *testing.T) {
	p, _ := ToPackage("pkg:golang/github.com/1panel-dev/1panel@v1.4.3", "")
	CaseHint(&p, "1panel", "github.com/1Panel-dev/1Panel")
	if p.Name != "github.com/1Panel-dev/1Panel" || p.NameCaseUnknown {
		t.Errorf("hint not applied: %+v", p)
	}
	q, _ := ToPackage("pkg:golang/github.com/1panel-dev/1panel@v1.4.3", "")
	CaseHint(&q, "github.com/1panel-dev/1panel", "github.com/1Panel-dev/other")
	if q.Name != "github.com/1panel-dev/1panel" || !q.NameCaseUnknown {
		t.Errorf("hint that tells nothing was applied: %+v", q)
	}
}

// FuzzToPackage: any string either fails or gives a package; for golang
// purls the name differs from packageurl-go's (lower-cased) path only in
// case, unless it was in the proxy's "!" escaped form.
func FuzzToPackage(f *testing.F) {
	for _, s := range []string{
		"pkg:golang/github.com/1Panel-dev/1Panel@v1.4.3", "pkg:golang/github.com/1%21panel-dev/1%21panel@v1",
		"pkg:npm/%40babel/core@7.24.0", "pkg:golang/a@b@c", "pkg:golang/%zz@1", "pkg:golang//x//Y@1?q=1#s",
		"pkg:nuget/runtimepack.X@1", "pkg:golang/@1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ToPackage(s, "")
		if err != nil || p.Type != "go-module" {
			return
		}
		u, err := packageurl.FromString(s)
		if err != nil {
			t.Fatalf("%q: ToPackage accepted what packageurl-go refuses: %v", s, err)
		}
		lib := strings.TrimPrefix(u.Namespace+"/"+u.Name, "/")
		if !strings.EqualFold(p.Name, lib) && !strings.Contains(lib, "!") {
			t.Fatalf("%q: name %q, packageurl-go %q", s, p.Name, lib)
		}
	})
}
