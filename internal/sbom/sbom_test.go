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

// TestComponentWithoutPURLIsReported: warned about, and kept without an
// ecosystem so a scan counts it as not checked instead of dropping it.
func TestComponentWithoutPURLIsReported(t *testing.T) {
	in := `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
	 {"type":"library","name":"left-pad","version":"1.3.0"},
	 {"type":"library","name":"lodash","version":"4.17.15","purl":"pkg:npm/lodash@4.17.15"}]}`
	doc, err := Parse(context.Background(), strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Packages) != 2 || doc.Packages[0].Name != "left-pad" || doc.Packages[0].Ecosystem != "" ||
		len(doc.Warnings) != 1 || !strings.Contains(doc.Warnings[0], `"left-pad" 1.3.0 has no purl`) {
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
