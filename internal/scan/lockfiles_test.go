package scan

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/image/imagetest"
	"github.com/sightline-sec/sightline/internal/inventory"
)

// lp is one expected package: name, version, dev.
type lp struct {
	name, version string
	dev           bool
}

// lockfileCase is one peer fixture (testdata/lockfiles/<dir>, provenance in
// testdata/lockfiles/PROVENANCE.md) and the packages the peer's own test
// expects, as we list them. Every place where we deliberately differ from
// the peer says why.
type lockfileCase struct {
	dir, ecosystem string
	want           []lp
	// unversioned are packages we list without a version (git, branch,
	// unpinned): not matched, counted as unchecked.
	unversioned []string
}

var lockfileCases = []lockfileCase{
	{dir: "pipenv", ecosystem: "PyPI", want: []lp{ // Trivy pipenvNormal
		{"certifi", "2019.3.9", false}, {"chardet", "3.0.4", false}, {"idna", "2.8", false},
		{"pyyaml", "5.1", false}, {"requests", "2.21.0", false}, {"urllib3", "1.24.2", false},
	}},
	{dir: "poetry", ecosystem: "PyPI", want: []lp{ // Syft TestParsePoetryLock (dev-deps)
		// Syft lists these without a dev marker; the lockfile says
		// category = "dev" for each, so they are dev here.
		{"added-value", "0.14.2", true}, {"alabaster", "0.7.12", true},
		{"appnope", "0.1.0", true}, {"asciitree", "0.3.3", true},
	}},
	{dir: "pylock", ecosystem: "PyPI", want: []lp{ // Trivy pylock happy path
		{"attrs", "25.4.0", false}, {"certifi", "2025.10.5", false}, {"charset-normalizer", "3.4.3", false},
		{"ham", "3.0.0", false}, {"idna", "3.10", false}, {"requests", "2.32.5", false},
		{"spam", "1.0.0", false}, {"spam", "1.1.0", false}, {"urllib3", "2.5.0", false},
	}},
	{dir: "uv", ecosystem: "PyPI", want: []lp{ // Trivy uvNormal, dev flags included
		// Trivy also lists the project itself (normal 0.1.0, source
		// virtual = "."): it is local code, not a PyPI package.
		{"anyio", "4.7.0", false}, {"certifi", "2024.12.14", false}, {"charset-normalizer", "3.4.0", false},
		{"colorama", "0.4.6", true}, {"exceptiongroup", "1.2.2", false}, {"h11", "0.14.0", false},
		{"httpcore", "1.0.7", false}, {"httpx", "0.28.1", false}, {"idna", "3.10", false},
		{"iniconfig", "2.0.0", true}, {"orjson", "3.10.12", false}, {"packaging", "24.2", true},
		{"pluggy", "1.5.0", true}, {"pytest", "8.3.4", true}, {"requests", "2.32.0", false},
		{"sniffio", "1.3.1", false}, {"socksio", "1.0.0", false}, {"tomli", "2.2.1", true},
		{"typing-extensions", "4.12.2", false}, {"urllib3", "2.2.3", false},
	}},
	{dir: "pip", ecosystem: "PyPI", want: []lp{ // Trivy requirementsOperator
		{"Django", "2.3.4", false}, {"SomeProject", "5.4", false},
	}, unversioned: []string{"keyring", "coverage", "Mopidy-Dirble", "numpyNew", "numpy", "requests"}},
	{dir: "gomod", ecosystem: "Go", want: []lp{ // Trivy GoModReplacedWithLocalPath
		// x/xerrors is replaced by ./xerrors (local code): not listed, as Trivy.
		{"github.com/aquasecurity/go-dep-parser", "0.0.0-20211224170007-df43bca6b6ff", false},
		{"gopkg.in/yaml.v3", "3.0.0-20210107192922-496545a6307b", false},
	}},
	{dir: "gemfile", ecosystem: "RubyGems", want: []lp{ // Trivy bundler NormalLibs
		{"coderay", "1.1.2", false}, {"concurrent-ruby", "1.1.5", false}, {"dotenv", "2.7.2", false},
		{"faker", "1.9.3", false}, {"i18n", "1.6.0", false}, {"method_source", "0.9.2", false},
		{"pry", "0.12.2", false},
	}},
	{dir: "cocoapods", ecosystem: "", want: []lp{ // Trivy cocoapods happy path
		// No OSV ecosystem covers CocoaPods: listed with ecosystem "" (unchecked).
		{"AppCenter", "4.2.0", false}, {"AppCenter/Analytics", "4.2.0", false},
		{"AppCenter/Core", "4.2.0", false}, {"AppCenter/Crashes", "4.2.0", false},
		{"KeychainAccess", "4.2.1", false},
	}},
	{dir: "swift", ecosystem: "SwiftURL", want: []lp{ // Trivy swift happy path v2
		{"github.com/Quick/Nimble", "9.2.1", false}, {"github.com/Quick/Quick", "7.2.0", false},
		{"github.com/ReactiveCocoa/ReactiveSwift", "7.1.1", false},
		{"github.com/mattgallagher/CwlCatchException", "2.1.2", false},
		{"github.com/mattgallagher/CwlPreconditionTesting", "2.1.2", false},
		// Trivy lists swift-ogg as 0.0.1, its *branch* name: a branch is
		// not a release version, so it is not matched as one.
	}, unversioned: []string{"github.com/element-hq/swift-ogg"}},
	{dir: "bun", ecosystem: "npm", want: []lp{ // Trivy bun normalPkgs, dev flags included
		{"@types/bun", "1.2.13", true}, {"@types/node", "22.15.18", true}, {"bun-types", "1.2.13", true},
		{"typescript", "5.8.3", false}, {"undici-types", "6.21.0", false}, {"zod", "3.24.4", false},
	}},
	{dir: "bun-ws", ecosystem: "npm", want: []lp{ // Trivy bun multipleWsPkgs
		// Trivy also lists the workspace members my-app and my-lib
		// ("workspace:" packages): local code, not npm packages.
		{"chalk", "5.0.1", false}, {"lodash", "4.17.21", false},
	}},
	{dir: "bun-nested", ecosystem: "npm", want: []lp{ // Trivy bun_nested.lock
		{"glob", "10.4.5", false}, {"minimatch", "9.0.5", false},
	}, unversioned: []string{"adm-zip"}}, // a git dependency
	{dir: "npm-workspace", ecosystem: "npm", want: []lp{ // Trivy npmV3WithWorkspacePkgs
		// Trivy also lists the workspace members function1 and nested_func
		// (entries outside node_modules, and their links): local code.
		{"debug", "2.5.2", false}, {"debug", "2.6.9", false}, {"ms", "0.7.2", false}, {"ms", "2.0.0", false},
	}},
	{dir: "npm-dev", ecosystem: "npm", want: []lp{ // Trivy package-lock_v3_with-same-dev-and-non-dev
		// Trivy leaves dev packages out by default; we keep and mark them.
		// minimist is both a dev (bundled in fsevents) and a production
		// dependency: not dev.
		{"fsevents", "1.2.9", true}, {"minimist", "0.0.8", false}, {"mkdirp", "0.5.1", true},
		{"node-pre-gyp", "0.12.0", true},
	}},
	{dir: "yarn", ecosystem: "npm", want: []lp{ // Trivy yarn with local dependency
		// local-package (file:vendor/…tar.gz) is local code: not listed, as Trivy.
		{"asap", "2.0.6", false}, {"jquery", "3.4.1", false}, {"promise", "8.0.3", false},
	}},
	{dir: "yarn-berry", ecosystem: "npm", want: []lp{ // Trivy yarn v2 with protocols in dependency section
		{"debug", "4.3.4", false}, {"ms", "2.1.2", false},
	}},
	{dir: "pnpm", ecosystem: "npm", want: []lp{ // Syft pnpm-v9
		{"@babel/core", "7.24.7", false}, {"@babel/helper-plugin-utils", "7.24.7", false},
		{"is-positive", "3.1.0", false}, {"rollup", "4.18.0", false},
	}},
	{dir: "composer", ecosystem: "Packagist", want: []lp{ // osv-scalibr two-packages (osv-scanner)
		{"sentry/sdk", "2.0.4", false}, {"theseer/tokenizer", "1.1.3", true},
	}},
	{dir: "conan", ecosystem: "ConanCenter", want: []lp{ // Trivy conan v2
		// Trivy leaves build_requires out; they are build-time tools, so
		// we keep and mark them dev.
		{"matrix", "1.3", false}, {"sound32", "1.0", false},
		{"automake", "1.16.5", true}, {"autoconf", "2.71", true},
	}},
	{dir: "mix", ecosystem: "Hex", want: []lp{ // Trivy mix happy path
		{"bunt", "0.2.0", false}, {"credo", "1.6.6", false}, {"file_system", "0.2.10", false},
		{"jason", "1.3.0", false},
	}, unversioned: []string{"esaml"}}, // a git dependency; Trivy leaves it out
	{dir: "pub", ecosystem: "Pub", want: []lp{ // Trivy pub happy path
		// Trivy lists flutter_test (source: sdk) at the Flutter version:
		// an SDK package is not a pub.dev package, so it is not listed.
		{"crypto", "3.0.2", false}, {"uuid", "3.0.6", false},
	}},
	{dir: "gradle", ecosystem: "Maven", want: []lp{ // Trivy gradle lockfile happy path
		// Trivy leaves junit (test configurations only) out; we mark it dev.
		{"cglib:cglib-nodep", "2.1.2", false}, {"junit:junit", "4.13.2", true},
		{"org.springframework:spring-asm", "3.1.3.RELEASE", false},
		{"org.springframework:spring-beans", "5.0.5.RELEASE", false},
	}},
	{dir: "pom", ecosystem: "Maven", want: []lp{ // osv-scalibr pomxml with-scope (osv-scanner)
		{"abc:xyz", "1.2.3", false}, {"junit:junit", "4.12", true},
	}},
	{dir: "nuget-config", ecosystem: "NuGet", want: []lp{ // Trivy nuget config with development dependency
		// Trivy leaves developmentDependency="true" out; we mark it dev.
		{"Microsoft.Net.Compilers", "1.0.0", true}, {"Newtonsoft.Json", "8.0.3", false},
	}},
	{dir: "nuget-lock", ecosystem: "NuGet", want: []lp{ // Trivy packages_lock_subdependencies
		{"Microsoft.Extensions.ApiDescription.Server", "3.0.0", false}, {"Microsoft.OpenApi", "1.1.4", false},
		{"Newtonsoft.Json", "12.0.3", false}, {"NuGet.Frameworks", "5.7.0", false},
		{"Swashbuckle.AspNetCore", "5.5.1", false}, {"Swashbuckle.AspNetCore.Swagger", "5.5.1", false},
		{"Swashbuckle.AspNetCore.SwaggerGen", "5.5.1", false}, {"Swashbuckle.AspNetCore.SwaggerUI", "5.5.1", false},
	}},
	{dir: "conda-meta", ecosystem: "", want: []lp{ // Trivy conda meta
		// No OSV ecosystem covers conda packages: ecosystem "" (unchecked).
		{"_libgcc_mutex", "0.1", false},
	}},
}

func lockfilesDir() string { return filepath.Join("..", "..", "testdata", "lockfiles") }

// TestLockfilesPeerFixtures: `scan fs` on each peer fixture finds exactly
// the peer's expected packages (name, version, ecosystem, dev), apart from
// the differences each case explains, with no warning.
func TestLockfilesPeerFixtures(t *testing.T) {
	ctx := context.Background()
	s := newScanner(t, "")
	for _, c := range lockfileCases {
		t.Run(c.dir, func(t *testing.T) {
			res, err := s.ScanFS(ctx, filepath.Join(lockfilesDir(), c.dir))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Warnings) > 0 {
				t.Errorf("warnings: %q", res.Warnings)
			}
			checkLockfilePackages(t, c, res.Packages)
		})
	}
}

func checkLockfilePackages(t *testing.T, c lockfileCase, pkgs []inventory.Package) {
	t.Helper()
	var got, want []string
	for _, p := range pkgs {
		if p.Version == "" {
			if !slices.Contains(c.unversioned, p.Name) {
				t.Errorf("unexpected unversioned package %s", p.Name)
			}
			continue
		}
		if p.Ecosystem != c.ecosystem {
			t.Errorf("%s: ecosystem %q, want %q", p.Name, p.Ecosystem, c.ecosystem)
		}
		got = append(got, fmt.Sprintf("%s@%s dev=%v", p.Name, p.Version, p.Dev))
	}
	for _, w := range c.want {
		want = append(want, fmt.Sprintf("%s@%s dev=%v", w.name, w.version, w.dev))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("packages:\n got  %s\n want %s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
}

// TestLockfilesInImage: the same fixtures inside an image layer give the
// same packages as `scan fs` (image scans read lockfiles too).
func TestLockfilesInImage(t *testing.T) {
	ctx := context.Background()
	files := imagetest.Tree(t, lockfilesDir(), "srv")
	img := imagetest.Image(t, imagetest.AppConfig, imagetest.Step{Layer: imagetest.Layer(t, files), CreatedBy: "COPY . /srv"})
	im, err := image.Open(ctx, writeArchive(t, img), image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	res, err := newScanner(t, t.TempDir()).ScanImage(ctx, im)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range lockfileCases {
		var in []inventory.Package
		for _, p := range res.Packages {
			for _, l := range p.Locations {
				if strings.HasPrefix(l, "/srv/"+c.dir+"/") {
					in = append(in, p)
					break
				}
			}
		}
		t.Run(c.dir, func(t *testing.T) { checkLockfilePackages(t, c, in) })
	}
}

// TestSkipDev: --skip-dev leaves dev packages out and says how many.
func TestSkipDev(t *testing.T) {
	s := newScanner(t, "")
	s.SkipDev = true
	res, err := s.ScanFS(context.Background(), filepath.Join(lockfilesDir(), "npm-dev"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Packages) != 1 || res.Packages[0].Name != "minimist" {
		t.Errorf("packages %+v, want only minimist (in production and dev trees)", res.Packages)
	}
	if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.HasPrefix(w, "3 development/test-only packages") }) {
		t.Errorf("warnings %q: want the 3 dev packages counted", res.Warnings)
	}
}
