package inventory

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/purl"
)

// selfContainedDeps is the "libraries" shape the .NET SDK writes into a
// self-contained app's .deps.json (dotnet/sdk DependencyContextBuilder:
// runtime packs get type "runtimepack" and the name "runtimepack." + their
// NuGet ID). Written here, not copied: no real self-contained publish
// output is available in this environment.
const selfContainedDeps = `{
  "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0/linux-x64", "signature": ""},
  "targets": {".NETCoreApp,Version=v8.0/linux-x64": {}},
  "libraries": {
    "app/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
    "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0": {"type": "runtimepack", "serviceable": false, "sha512": ""},
    "runtimepack.Microsoft.AspNetCore.App.Runtime.linux-x64/8.0.0": {"type": "runtimepack", "serviceable": false, "sha512": ""},
    "Newtonsoft.Json/13.0.1": {"type": "package", "serviceable": true, "sha512": "sha512-x", "path": "newtonsoft.json/13.0.1"}
  }
}`

// TestRuntimePackNames: the runtime packs are reported under the NuGet IDs
// their advisories use, not the SDK's "runtimepack." library names.
func TestRuntimePackNames(t *testing.T) {
	x, err := NewExtractor()
	if err != nil {
		t.Fatal(err)
	}
	recs, skips, err := x.Extract(context.Background(), "app/app.deps.json", 0o644, []byte(selfContainedDeps))
	if len(skips) > 0 || err != nil {
		t.Fatal(skips, err)
	}
	got := map[string]string{}
	for _, r := range recs {
		got[r.Name] = r.PURL
	}
	for name, p := range map[string]string{
		"Microsoft.NETCore.App.Runtime.linux-x64":    "pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@8.0.0",
		"Microsoft.AspNetCore.App.Runtime.linux-x64": "pkg:nuget/Microsoft.AspNetCore.App.Runtime.linux-x64@8.0.0",
		"Newtonsoft.Json":                            "pkg:nuget/Newtonsoft.Json@13.0.1",
	} {
		if got[name] != p {
			t.Errorf("%s: purl %q, want %q (all: %v)", name, got[name], p, got)
		}
	}
	for name := range got {
		if strings.HasPrefix(name, "runtimepack.") {
			t.Errorf("runtime pack kept the SDK prefix: %s", name)
		}
	}
}

// TestLanguagePURLQualifiers: osv-scalibr adds npm "source=…" qualifiers
// (UNKNOWN, LOCAL, PUBLIC_REGISTRY) that the purl specification does not
// define; our purls carry none of them. Real npm metadata from the test
// image (testdata/image/nodeapp).
func TestLanguagePURLQualifiers(t *testing.T) {
	x, err := NewExtractor()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..", "testdata", "image", "nodeapp")
	// package-lock.json is read by our own parser (npmlock.go), which
	// adds no qualifier; node_modules package.json by osv-scalibr's.
	for _, rel := range []string{"node_modules/minimist/package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		p := "srv/app/" + rel
		if rel != "package-lock.json" && !scalibrAddsSource(x, p, b) {
			t.Fatalf("%s: osv-scalibr no longer adds a source qualifier; this test checks nothing", rel)
		}
		recs, _, _ := x.Extract(context.Background(), p, 0o644, b)
		if len(recs) == 0 {
			t.Fatalf("%s: no packages", rel)
		}
		for _, r := range recs {
			if strings.Contains(r.PURL, "?") {
				t.Errorf("%s: %s has qualifiers", rel, r.PURL)
			}
		}
	}
}

func scalibrAddsSource(x *Extractor, p string, b []byte) bool {
	for _, pl := range x.plugins {
		sp, ok := pl.(scalibrPlugin)
		if !ok {
			continue
		}
		e := sp.e
		if !e.FileRequired(fileAPI{p: p, info: fileInfo{name: filepath.Base(p), size: int64(len(b)), mode: 0o644}}) {
			continue
		}
		inv, _ := e.Extract(context.Background(), &filesystem.ScanInput{
			FS: fstest.MapFS{p: &fstest.MapFile{Data: b}}, Path: p, Reader: bytes.NewReader(b)})
		for _, pk := range inv.Packages {
			if u := pk.PURL(); u != nil && strings.Contains(u.String(), "?source=") {
				return true
			}
		}
	}
	return false
}

// TestLanguagePURL: spec qualifiers stay (maven classifier/type, general
// ones), others go; a Go module keeps its path's case (osv-scalibr
// lowercases it, as the purl spec's golang type says; module paths are
// case-sensitive and GO-2023-2006 names github.com/1Panel-dev/1Panel).
func TestLanguagePURL(t *testing.T) {
	cases := []struct {
		u    purl.PackageURL
		name string
		want string
	}{
		{purl.PackageURL{Type: purl.TypeGolang, Namespace: "github.com/1panel-dev", Name: "1panel", Version: "v1.4.3"},
			"github.com/1Panel-dev/1Panel", "pkg:golang/github.com/1Panel-dev/1Panel@v1.4.3"},
		{purl.PackageURL{Type: purl.TypeGolang, Name: "stdlib", Version: "v1.22.1"}, "stdlib", "pkg:golang/stdlib@v1.22.1"},
		{purl.PackageURL{Type: purl.TypeNPM, Name: "minimist", Version: "1.2.0",
			Qualifiers: purl.QualifiersFromMap(map[string]string{"source": "PUBLIC_REGISTRY"})}, "minimist", "pkg:npm/minimist@1.2.0"},
		{purl.PackageURL{Type: purl.TypeMaven, Namespace: "org.apache.jmeter", Name: "ApacheJMeter", Version: "5.0",
			Qualifiers: purl.QualifiersFromMap(map[string]string{"classifier": "sources", "type": "jar", "source": "x"})},
			"org.apache.jmeter:ApacheJMeter", "pkg:maven/org.apache.jmeter/ApacheJMeter@5.0?classifier=sources&type=jar"},
		{purl.PackageURL{Type: purl.TypePyPi, Name: "flask-oidc", Version: "0.1.2",
			Qualifiers: purl.QualifiersFromMap(map[string]string{"file_name": "flask_oidc-0.1.2.whl"})},
			"flask-oidc", "pkg:pypi/flask-oidc@0.1.2?file_name=flask_oidc-0.1.2.whl"},
	}
	for _, c := range cases {
		u := c.u
		if got := languagePURL(&u, c.name); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
