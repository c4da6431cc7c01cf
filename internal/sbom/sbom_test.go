package sbom

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/report"
	"github.com/sightline-sec/sightline/internal/report/reporttest"
)

func sbomDir() string { return filepath.Join(reporttest.Dir(), "..", "sbom") }

func sortPkgs(ps []inventory.Package) []inventory.Package {
	out := slices.Clone(ps)
	slices.SortFunc(out, func(a, b inventory.Package) int {
		return cmp.Or(cmp.Compare(a.PURL, b.PURL), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRoundTrip: what our CycloneDX and SPDX renderers write, the readers
// give back unchanged — every inventory field, layer attribution included.
func TestRoundTrip(t *testing.T) {
	res, err := reporttest.Fixture()
	if err != nil {
		t.Fatal(err)
	}
	want := asJSON(t, sortPkgs(res.Packages))
	for _, format := range []string{"cyclonedx", "cyclonedx-vex", "spdx"} {
		var buf bytes.Buffer
		if err := report.Render(&buf, res, report.Options{Format: format, Now: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		doc, err := Parse(context.Background(), &buf)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if got := asJSON(t, sortPkgs(doc.Packages)); got != want {
			t.Errorf("%s round trip differs:\n got %s\nwant %s", format, got, want)
		}
		if doc.OS == nil || *doc.OS != *res.OS {
			t.Errorf("%s: OS %+v, want %+v", format, doc.OS, res.OS)
		}
		if doc.Name != res.Target.Name || len(doc.Warnings) != 0 {
			t.Errorf("%s: name %q warnings %q", format, doc.Name, doc.Warnings)
		}
	}
}

func TestThirdPartySBOMs(t *testing.T) {
	cases := []struct {
		file, format, name string
		want               []string // "name version ecosystem source"
	}{
		{"syft-alpine-3.10.spdx.json", "spdx", "alpine-3.10", []string{
			"busybox 1.30.1-r5 Alpine:v3.10 ", "libssl1.1 1.1.1k-r0 Alpine:v3.10 ", "ssl_client 1.30.1-r5 Alpine:v3.10 busybox",
		}},
		{"syft-tag-value.spdx", "spdx", "", []string{
			"busybox 1.31.1-r19 Alpine:v3.12 busybox", "com.mycompany.app:my-app 1 Maven ",
			"com.mycompany.app:my-app 1 Maven ", "original-my-app:original-my-app 1 Maven ",
		}},
		{"syft-identify-1.4.cdx.json", "cyclonedx", "go.mod", []string{
			"github.com/wagoodman/go-partybus v0.0.0-20230516145632-8ccac152c651 Go ",
		}},
		{"syft-identify-1.6.cdx.json", "cyclonedx", "go.mod", []string{
			"github.com/wagoodman/go-partybus v0.0.0-20230516145632-8ccac152c651 Go ",
		}},
		{"syft-identify-1.6.cdx.xml", "cyclonedx", "go.mod", []string{
			"github.com/wagoodman/go-partybus v0.0.0-20230516145632-8ccac152c651 Go ",
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			doc, err := Read(context.Background(), filepath.Join(sbomDir(), c.file))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range doc.Packages {
				got = append(got, strings.Join([]string{p.Name, p.Version, p.Ecosystem, p.SourceName}, " "))
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) || doc.Format != c.format || (c.name != "" && doc.Name != c.name) {
				t.Errorf("format %s name %q packages %q, want %s %q %q", doc.Format, doc.Name, got, c.format, c.name, c.want)
			}
		})
	}
	doc, err := Read(context.Background(), filepath.Join(sbomDir(), "syft-identify-1.6.cdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(doc.Packages[0].Locations, []string{"/go.mod"}) || doc.Packages[0].Type != "go-module" {
		t.Errorf("syft locations/type: %+v", doc.Packages[0])
	}
}

func TestFromPURL(t *testing.T) {
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
	}
	for _, c := range cases {
		p, err := FromPURL(c.purl, c.osEco)
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
		if _, err := FromPURL(bad, ""); err == nil {
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

func TestMalformed(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"empty.json":    "",
		"garbage.json":  "{ not json",
		"other.json":    `{"kind": "Deployment"}`,
		"spdx3.json":    `{"spdxVersion": "SPDX-3.0"}`,
		"badcdx.json":   `{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": "x"}`,
		"badspdx.json":  `{"spdxVersion": "SPDX-2.3", "packages": {}}`,
		"text.txt":      "hello world\n",
		"badtv.spdx":    "SPDXVersion: SPDX-2.3\nPackageName\n",
		"notcdx.xml":    "<html></html>",
		"deep.cdx.json": `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[` + strings.Repeat(`{"type":"library","name":"x","components":[`, 70) + strings.Repeat(`]}`, 70) + `]}`,
	}
	for name, content := range cases {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		doc, err := Read(context.Background(), p)
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: doc %+v, error %v (want an error naming the file)", name, doc, err)
		}
	}
	if _, err := Read(context.Background(), filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestComponentWithoutPURLIsReported(t *testing.T) {
	in := `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
	 {"type":"library","name":"left-pad","version":"1.3.0"},
	 {"type":"library","name":"lodash","version":"4.17.15","purl":"pkg:npm/lodash@4.17.15"}]}`
	doc, err := Parse(context.Background(), strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Packages) != 1 || len(doc.Warnings) != 1 || !strings.Contains(doc.Warnings[0], `"left-pad" 1.3.0 has no purl`) {
		t.Errorf("packages %+v warnings %q", doc.Packages, doc.Warnings)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"syft-alpine-3.10.spdx.json", "syft-tag-value.spdx", "syft-identify-1.6.cdx.json", "syft-identify-1.6.cdx.xml"} {
		b, err := os.ReadFile(filepath.Join(sbomDir(), name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, name := range []string{"plain.cdx-vex.json", "plain.spdx.json"} {
		b, err := os.ReadFile(filepath.Join(reporttest.Dir(), "golden", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","purl":"pkg:deb/debian/a@1?distro=debian-12"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := Parse(context.Background(), bytes.NewReader(b))
		if err == nil && doc == nil {
			t.Fatal("nil document without error")
		}
	})
}
