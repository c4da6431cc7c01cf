package scan

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/image/imagetest"
)

func inv(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(imagetest.Testdata(t), "..", "inventory", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func scanFiles(t *testing.T, files []imagetest.File) *Result {
	t.Helper()
	img := imagetest.Image(t, imagetest.AppConfig, imagetest.Step{Layer: imagetest.Layer(t, files), CreatedBy: "files"})
	res, err := newScanner(t, "").ScanImage(context.Background(), &image.Image{Image: img, Transport: image.OCILayout})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func wantPkg(t *testing.T, res *Result, typ, eco, name, version, loc string) {
	t.Helper()
	for _, p := range res.Packages {
		if p.Type == typ && p.Name == name && p.Version == version {
			if p.Ecosystem != eco || !strings.HasPrefix(p.PURL, "pkg:") || p.Locations[0] != loc {
				t.Errorf("%s %s: ecosystem %q purl %q locations %v; want %s at %s", typ, name, p.Ecosystem, p.PURL, p.Locations, eco, loc)
			}
			return
		}
	}
	t.Errorf("no %s package %s %s among %d", typ, name, version, len(res.Packages))
}

// TestEcosystems: one real file per format, each found with its ecosystem.
func TestEcosystems(t *testing.T) {
	osRel := inv(t, "../image/debian12/etc_os-release")
	res := scanFiles(t, []imagetest.File{
		{Path: "etc/os-release", Data: osRel},
		{Path: "var/lib/dpkg/status.d/foo", Data: inv(t, "statusd_foo")},
		{Path: "usr/lib/python3/dist-packages/attrs-22.2.0.dist-info/METADATA", Data: inv(t, "attrs-22.2.0.METADATA")},
		{Path: "app/lib/com.google.src.yolo-0.1.2.jar", Data: inv(t, "com.google.src.yolo-0.1.2.jar")},
		{Path: "usr/share/gems/specifications/rss-0.2.9.gemspec", Data: inv(t, "rss-0.2.9.gemspec")},
		{Path: "src/app/Cargo.lock", Data: inv(t, "Cargo.lock")},
		{Path: "var/www/composer.lock", Data: inv(t, "composer.lock")},
		{Path: "app/TestLibrary.deps.json", Data: inv(t, "app.deps.json")},
	})
	wantPkg(t, res, "deb", "Debian:12", "foo", "1.2.3", "/var/lib/dpkg/status.d/foo")
	wantPkg(t, res, "python", "PyPI", "attrs", "22.2.0", "/usr/lib/python3/dist-packages/attrs-22.2.0.dist-info/METADATA")
	wantPkg(t, res, "gem", "RubyGems", "rss", "0.2.9", "/usr/share/gems/specifications/rss-0.2.9.gemspec")
	wantPkg(t, res, "cargo", "crates.io", "zstd", "0.11.2", "/src/app/Cargo.lock")
	wantPkg(t, res, "composer", "Packagist", "sentry/sdk", "2.0.4", "/var/www/composer.lock")
	wantPkg(t, res, "nuget", "NuGet", "AWSSDK.Core", "3.7.10.6", "/app/TestLibrary.deps.json")
	var maven bool
	for _, p := range res.Packages {
		maven = maven || p.Type == "maven" && p.Ecosystem == "Maven" && strings.Contains(p.Name, "yolo") && p.Version == "0.1.2"
	}
	if !maven {
		t.Errorf("jar not inventoried: %+v", res.Packages)
	}
	for _, p := range res.Packages {
		if p.Name == "bar" {
			t.Errorf("status.d package with status deinstall listed: %+v", p)
		}
	}
}

func TestAlpineAndRPM(t *testing.T) {
	res := scanFiles(t, []imagetest.File{
		{Path: "etc/os-release", Data: []byte("ID=alpine\nVERSION_ID=3.18.0\n")},
		{Path: "lib/apk/db/installed", Data: inv(t, "apk_installed")},
	})
	if res.OS == nil || res.OS.Ecosystem != "Alpine:v3.18" || len(res.Packages) != 15 {
		t.Fatalf("alpine: os %+v, %d packages", res.OS, len(res.Packages))
	}
	wantPkg(t, res, "apk", "Alpine:v3.18", "alpine-baselayout-data", "3.4.3-r1", "/lib/apk/db/installed")
	for _, p := range res.Packages {
		if p.Name == "alpine-baselayout-data" && p.SourceName != "alpine-baselayout" {
			t.Errorf("apk origin: %+v", p)
		}
	}
	res = scanFiles(t, []imagetest.File{{Path: "var/lib/rpm/Packages", Data: inv(t, "rpm_Packages")}})
	if len(res.Packages) == 0 || res.Packages[0].Type != "rpm" || !strings.HasPrefix(res.Packages[0].PURL, "pkg:rpm/") {
		t.Fatalf("rpm: %+v", res.Packages)
	}
}
