package inventory

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// extractAs runs the extractor set on content as if it were at path p and
// returns "name@version[ dev]" per record, sorted; any skip fails the test.
func extractAs(t *testing.T, p string, content []byte) []string {
	t.Helper()
	x, err := NewExtractor()
	if err != nil {
		t.Fatal(err)
	}
	recs, skips, err := x.Extract(context.Background(), p, 0o644, content)
	if err != nil || len(skips) > 0 {
		t.Fatalf("extract %s: %v %v", p, skips, err)
	}
	var out []string
	for _, r := range recs {
		s := r.Name + "@" + r.Version
		if r.Dev {
			s += " dev"
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func readInventory(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "inventory", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNPMLockSemantics checks the ecosystem's meanings on osv-scalibr's
// package-lock.json cases (testdata/inventory/npm).
func TestNPMLockSemantics(t *testing.T) {
	for _, c := range []struct {
		file string
		want []string
	}{
		// An alias ("string-width-cjs": "npm:string-width@4.2.0") is the real package.
		{"alias.v1.json", []string{"@babel/code-frame@7.0.0", "string-width@4.2.0", "string-width@5.1.2"}},
		{"alias.v2.json", []string{"@babel/code-frame@7.0.0", "string-width@4.2.0", "string-width@5.1.2"}},
		// "other_package": "file:deps/other_package" is local code.
		{"files.v1.json", []string{"lodash@1.3.1"}},
		// deps/etag (reached through file:) is local; the registry package
		// installed below it is not.
		{"files.v2.json", []string{"abbrev@1.0.9 dev", "abbrev@2.3.4 dev"}},
		// v1 nests dependencies; every level is a package.
		{"nested-dependencies.v1.json", []string{"postcss-calc@7.0.1", "postcss@6.0.23", "postcss@7.0.16",
			"supports-color@5.5.0", "supports-color@6.1.0"}},
		{"one-package-dev.v1.json", []string{"wrappy@1.0.2 dev"}},
		// ajv is in the dev tree at one path and in production at others:
		// the records say so per path (packages() merges them to non-dev).
		{"same-package-different-groups.v2.json", []string{"ajv@5.5.2", "ajv@5.5.2 dev", "eslint@1.2.3 dev", "table@1.0.0"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			got := extractAs(t, "app/package-lock.json", readInventory(t, "npm/"+c.file))
			if !slices.Equal(got, c.want) {
				t.Errorf("got %q\nwant %q", got, c.want)
			}
		})
	}
	// Packages built from git carry no registry version; registry ones do.
	got := extractAs(t, "package-lock.json", readInventory(t, "npm/commits.v2.json"))
	for _, w := range []string{"is-number-1@ dev", "raven-js@", "slick-carousel@ dev", "ansi-styles@1.0.0", "postcss-calc@7.0.1"} {
		if !slices.Contains(got, w) {
			t.Errorf("commits.v2.json: %q missing from %q", w, got)
		}
	}
	// Lockfiles inside node_modules are not read (npm ignores them).
	x, _ := NewExtractor()
	if x.Required("app/node_modules/x/package-lock.json", 0o644, 10) {
		t.Error("a package-lock.json under node_modules is wanted")
	}
}

// TestYarnLockProtocols: Berry protocols mean what yarn means by them.
// The lockfile is written in Berry's format for the test (entries modelled
// on yarn 4's output for `yarn patch`, workspaces, portal:, file:, aliases).
func TestYarnLockProtocols(t *testing.T) {
	lock := `__metadata:
  version: 8
  cacheKey: 10c0

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  languageName: unknown
  linkType: soft

"lib@workspace:packages/lib":
  version: 0.0.0-use.local
  resolution: "lib@workspace:packages/lib"
  languageName: unknown
  linkType: soft

"lodash@npm:4.17.21":
  version: 4.17.21
  resolution: "lodash@npm:4.17.21"
  languageName: node
  linkType: hard

"lodash@patch:lodash@npm%3A4.17.21#~/.yarn/patches/lodash-npm-4.17.21-6382451519.patch":
  version: 4.17.21
  resolution: "lodash@patch:lodash@npm%3A4.17.21#~/.yarn/patches/lodash-npm-4.17.21-6382451519.patch::version=4.17.21&hash=2c6e9e"
  languageName: node
  linkType: hard

"strip-ansi-cjs@npm:strip-ansi@^6.0.1":
  version: 6.0.1
  resolution: "strip-ansi@npm:6.0.1"
  languageName: node
  linkType: hard

"vendored@file:./vendor/vendored.tgz::locator=app%40workspace%3A.":
  version: 1.0.0
  resolution: "vendored@file:./vendor/vendored.tgz#./vendor/vendored.tgz::hash=1f2b3c&locator=app%40workspace%3A."
  languageName: node
  linkType: hard

"sibling@portal:../sibling::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "sibling@portal:../sibling::locator=app%40workspace%3A."
  languageName: node
  linkType: soft

"fork@https://github.com/someone/fork.git#commit=0123456789abcdef0123456789abcdef01234567":
  version: 2.0.0
  resolution: "fork@https://github.com/someone/fork.git#commit=0123456789abcdef0123456789abcdef01234567"
  languageName: node
  linkType: hard
`
	got := extractAs(t, "yarn.lock", []byte(lock))
	want := []string{"fork@", "lodash@4.17.21", "strip-ansi@6.0.1"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q (workspace:, file:, portal: are local; patch: is lodash 4.17.21; the alias is strip-ansi; git has no version)", got, want)
	}
}

// TestPnpmV9Dev: pnpm 9 lockfiles carry no dev flag; the snapshot graph
// decides. The lockfile follows pnpm 9's format (importers, packages,
// snapshots with peer suffixes).
func TestPnpmV9Dev(t *testing.T) {
	lock := `lockfileVersion: '9.0'

importers:
  .:
    dependencies:
      debug:
        specifier: ^4.3.4
        version: 4.3.4(supports-color@8.1.1)
      local-lib:
        specifier: link:../lib
        version: link:../lib
    devDependencies:
      mocha:
        specifier: ^10.0.0
        version: 10.0.0

packages:
  debug@4.3.4:
    resolution: {integrity: sha512-AAAA}
  ms@2.1.2:
    resolution: {integrity: sha512-BBBB}
  supports-color@8.1.1:
    resolution: {integrity: sha512-CCCC}
  mocha@10.0.0:
    resolution: {integrity: sha512-DDDD}
  he@1.2.0:
    resolution: {integrity: sha512-EEEE}

snapshots:
  debug@4.3.4(supports-color@8.1.1):
    dependencies:
      ms: 2.1.2
      supports-color: 8.1.1
  ms@2.1.2: {}
  supports-color@8.1.1: {}
  mocha@10.0.0:
    dependencies:
      debug: 4.3.4(supports-color@8.1.1)
      he: 1.2.0
  he@1.2.0: {}
`
	got := extractAs(t, "pnpm-lock.yaml", []byte(lock))
	want := []string{"debug@4.3.4", "he@1.2.0 dev", "mocha@10.0.0 dev", "ms@2.1.2", "supports-color@8.1.1"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestGoModToolchain: the toolchain line is the Go the module asks for and
// is listed as stdlib; the go line (a minimum language version) is not.
func TestGoModToolchain(t *testing.T) {
	got := extractAs(t, "go.mod", []byte("module m\n\ngo 1.22\n\ntoolchain go1.22.4\n\nrequire golang.org/x/text v0.3.5\n"))
	if want := []string{"golang.org/x/text@0.3.5", "stdlib@1.22.4"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	got = extractAs(t, "go.mod", []byte("module m\n\ngo 1.22\n\nrequire golang.org/x/text v0.3.5\n"))
	if want := []string{"golang.org/x/text@0.3.5"}; !slices.Equal(got, want) {
		t.Errorf("without toolchain: got %q, want %q", got, want)
	}
}

// TestParsersRejectGarbage: a damaged lockfile is a reported skip naming
// the parser, never a panic or a silent empty result.
func TestParsersRejectGarbage(t *testing.T) {
	x, err := NewExtractor()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"package-lock.json", "composer.lock", "bun.lock", "pnpm-lock.yaml",
		"uv.lock", "poetry.lock", "go.mod", "gradle.lockfile", "packages.config", "pubspec.lock",
		"opt/conda/conda-meta/x-1-0.json"} {
		_, skips, err := x.Extract(context.Background(), p, 0o644, []byte("{\x00 not [ a lockfile: ]]"))
		if err != nil {
			t.Fatal(err)
		}
		if len(skips) != 1 || skips[0].Reason != SkipParseError || skips[0].Parser == "" {
			t.Errorf("%s: skips %v, want one parse_error naming the parser", p, skips)
		}
	}
}

// TestGemfileLockSources: PATH gems are local code, GIT gems have no
// registry version, a native gem's platform is not part of its version
// (Bundler's lockfile layout).
func TestGemfileLockSources(t *testing.T) {
	lock := "GIT\n  remote: https://github.com/rails/rails.git\n  revision: 0123456789abcdef0123456789abcdef01234567\n  specs:\n    rails (7.1.0.alpha)\n      actionpack (= 7.1.0.alpha)\n\n" +
		"PATH\n  remote: .\n  specs:\n    myapp (0.1.0)\n      rack (>= 2)\n\n" +
		"GEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.15.4-x86_64-linux)\n    rack (2.2.8)\n\n" +
		"PLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  myapp!\n  rails!\n\nBUNDLED WITH\n   2.4.19\n"
	got := extractAs(t, "Gemfile.lock", []byte(lock))
	if want := []string{"nokogiri@1.15.4", "rack@2.2.8", "rails@"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
