package inventory

import (
	"bytes"
	"fmt"
	"strings"
)

// lockGen writes a syntactically real file of its kind with n packages (the
// formats' own layouts, as their tools write them), for the scaling
// benchmarks and the cancellation test. Names and versions are generated:
// these files only measure parsing, nothing is matched against them.
type lockGen struct {
	kind, path string
	gen        func(n int) []byte
}

func pkgName(i int) string { return fmt.Sprintf("pkg-%07d", i) }

var lockGens = []lockGen{
	{"npm-v3", "app/package-lock.json", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("{\n  \"name\": \"app\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n    \"\": {\"name\": \"app\", \"version\": \"1.0.0\"}")
		for i := range n {
			fmt.Fprintf(&b, ",\n    \"node_modules/%s\": {\n      \"version\": \"1.%d.0\",\n      \"resolved\": \"https://registry.npmjs.org/%s/-/%s-1.%d.0.tgz\",\n      \"integrity\": \"sha512-%s\",\n      \"dev\": %v,\n      \"dependencies\": {\"%s\": \"^1.0.0\"}\n    }",
				pkgName(i), i%50, pkgName(i), pkgName(i), i%50, strings.Repeat("A", 86), i%3 == 0, pkgName(i+1))
		}
		b.WriteString("\n  }\n}\n")
		return b.Bytes()
	}},
	{"npm-v1", "app/package-lock.json", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("{\n  \"lockfileVersion\": 1,\n  \"requires\": true,\n  \"dependencies\": {")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "\n    \"%s\": {\n      \"version\": \"1.%d.0\",\n      \"resolved\": \"https://registry.npmjs.org/%s/-/%s-1.%d.0.tgz\",\n      \"integrity\": \"sha512-%s\",\n      \"requires\": {\"x\": \"^1\"}\n    }",
				pkgName(i), i%50, pkgName(i), pkgName(i), i%50, strings.Repeat("A", 86))
		}
		b.WriteString("\n  }\n}\n")
		return b.Bytes()
	}},
	{"yarn-v1", "app/yarn.lock", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("# yarn lockfile v1\n\n")
		for i := range n {
			fmt.Fprintf(&b, "%s@^1.%d.0:\n  version \"1.%d.0\"\n  resolved \"https://registry.yarnpkg.com/%s/-/%s-1.%d.0.tgz#%s\"\n  integrity sha512-%s\n  dependencies:\n    %s \"^1.0.0\"\n\n",
				pkgName(i), i%50, i%50, pkgName(i), pkgName(i), i%50, strings.Repeat("a", 40), strings.Repeat("A", 86), pkgName(i+1))
		}
		return b.Bytes()
	}},
	{"pnpm-v9", "app/pnpm-lock.yaml", func(n int) []byte {
		var b bytes.Buffer
		fmt.Fprintf(&b, "lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n      %s:\n        specifier: ^1.0.0\n        version: 1.0.0\n\npackages:\n", pkgName(0))
		for i := range n {
			fmt.Fprintf(&b, "  %s@1.%d.0:\n    resolution: {integrity: sha512-%s}\n\n", pkgName(i), i%50, strings.Repeat("A", 86))
		}
		b.WriteString("snapshots:\n")
		for i := range n {
			fmt.Fprintf(&b, "  %s@1.%d.0:\n    dependencies:\n      %s: 1.%d.0\n\n", pkgName(i), i%50, pkgName(i+1), (i+1)%50)
		}
		return b.Bytes()
	}},
	{"bun", "app/bun.lock", func(n int) []byte {
		var b bytes.Buffer
		fmt.Fprintf(&b, "{\n  \"lockfileVersion\": 1,\n  \"workspaces\": {\n    \"\": {\n      \"name\": \"app\",\n      \"dependencies\": {\n        \"%s\": \"^1\",\n      },\n    },\n  },\n  \"packages\": {\n", pkgName(0))
		for i := range n {
			fmt.Fprintf(&b, "    \"%s\": [\"%s@1.%d.0\", \"\", { \"dependencies\": { \"%s\": \"^1\" } }, \"sha512-%s\"],\n\n", pkgName(i), pkgName(i), i%50, pkgName(i+1), strings.Repeat("A", 86))
		}
		b.WriteString("  }\n}\n")
		return b.Bytes()
	}},
	{"composer", "app/composer.lock", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("{\n    \"content-hash\": \"x\",\n    \"packages\": [")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "\n        {\n            \"name\": \"vendor/%s\",\n            \"version\": \"v1.%d.0\",\n            \"source\": {\"type\": \"git\", \"url\": \"https://github.com/vendor/%s.git\", \"reference\": \"%s\"},\n            \"dist\": {\"type\": \"zip\", \"url\": \"https://api.github.com/repos/vendor/%s/zipball/x\"},\n            \"type\": \"library\"\n        }",
				pkgName(i), i%50, pkgName(i), strings.Repeat("f", 40), pkgName(i))
		}
		b.WriteString("\n    ],\n    \"packages-dev\": []\n}\n")
		return b.Bytes()
	}},
	{"pipfile", "app/Pipfile.lock", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("{\n    \"_meta\": {\"pipfile-spec\": 6},\n    \"default\": {")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "\n        \"%s\": {\n            \"hashes\": [\"sha256:%s\"],\n            \"version\": \"==1.%d.0\"\n        }", pkgName(i), strings.Repeat("f", 64), i%50)
		}
		b.WriteString("\n    },\n    \"develop\": {}\n}\n")
		return b.Bytes()
	}},
	{"poetry", "app/poetry.lock", func(n int) []byte {
		var b bytes.Buffer
		for i := range n {
			fmt.Fprintf(&b, "[[package]]\nname = \"%s\"\nversion = \"1.%d.0\"\ndescription = \"x\"\noptional = false\npython-versions = \">=3.8\"\ngroups = [\"main\"]\nfiles = [\n    {file = \"%s-1.0.tar.gz\", hash = \"sha256:%s\"},\n]\n\n", pkgName(i), i%50, pkgName(i), strings.Repeat("f", 64))
		}
		return b.Bytes()
	}},
	{"uv", "app/uv.lock", func(n int) []byte {
		var b bytes.Buffer
		fmt.Fprintf(&b, "version = 1\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { virtual = \".\" }\ndependencies = [\n    { name = \"%s\" },\n]\n\n", pkgName(0))
		for i := range n {
			fmt.Fprintf(&b, "[[package]]\nname = \"%s\"\nversion = \"1.%d.0\"\nsource = { registry = \"https://pypi.org/simple\" }\ndependencies = [\n    { name = \"%s\" },\n]\nsdist = { url = \"https://files.pythonhosted.org/%s.tar.gz\", hash = \"sha256:%s\", size = 1 }\n\n", pkgName(i), i%50, pkgName(i+1), pkgName(i), strings.Repeat("f", 64))
		}
		return b.Bytes()
	}},
	{"pylock", "app/pylock.toml", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("lock-version = \"1.0\"\ncreated-by = \"pip\"\n\n")
		for i := range n {
			fmt.Fprintf(&b, "[[packages]]\nname = \"%s\"\nversion = \"1.%d.0\"\n\n[[packages.wheels]]\nname = \"%s-1.0-py3-none-any.whl\"\nurl = \"https://files.pythonhosted.org/%s.whl\"\n\n[packages.wheels.hashes]\nsha256 = \"%s\"\n\n", pkgName(i), i%50, pkgName(i), pkgName(i), strings.Repeat("f", 64))
		}
		return b.Bytes()
	}},
	{"requirements", "app/requirements.txt", func(n int) []byte {
		var b bytes.Buffer
		for i := range n {
			fmt.Fprintf(&b, "%s==1.%d.0 --hash=sha256:%s\n", pkgName(i), i%50, strings.Repeat("f", 64))
		}
		return b.Bytes()
	}},
	{"gemfile", "app/Gemfile.lock", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("GEM\n  remote: https://rubygems.org/\n  specs:\n")
		for i := range n {
			fmt.Fprintf(&b, "    %s (1.%d.0)\n      %s (~> 1.0)\n", pkgName(i), i%50, pkgName(i+1))
		}
		b.WriteString("\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  pkg-0000000\n\nBUNDLED WITH\n   2.4.10\n")
		return b.Bytes()
	}},
	{"gradle", "app/gradle.lockfile", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("# This is a Gradle generated file for dependency locking.\n")
		for i := range n {
			fmt.Fprintf(&b, "org.example.group%d:%s:1.%d.0=compileClasspath,runtimeClasspath,testCompileClasspath,testRuntimeClasspath\n", i%100, pkgName(i), i%50)
		}
		b.WriteString("empty=annotationProcessor\n")
		return b.Bytes()
	}},
	{"pom", "app/pom.xml", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("<project>\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>g</groupId>\n  <artifactId>a</artifactId>\n  <version>1</version>\n  <dependencies>\n")
		for i := range n {
			fmt.Fprintf(&b, "    <dependency>\n      <groupId>org.example.g%d</groupId>\n      <artifactId>%s</artifactId>\n      <version>1.%d.0</version>\n    </dependency>\n", i%100, pkgName(i), i%50)
		}
		b.WriteString("  </dependencies>\n</project>\n")
		return b.Bytes()
	}},
	{"nuget-lock", "app/packages.lock.json", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("{\n  \"version\": 1,\n  \"dependencies\": {\n    \"net8.0\": {")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "\n      \"%s\": {\n        \"type\": \"Transitive\",\n        \"resolved\": \"1.%d.0\",\n        \"contentHash\": \"%s\"\n      }", pkgName(i), i%50, strings.Repeat("A", 88))
		}
		b.WriteString("\n    }\n  }\n}\n")
		return b.Bytes()
	}},
	{"packages-config", "app/packages.config", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<packages>\n")
		for i := range n {
			fmt.Fprintf(&b, "  <package id=\"%s\" version=\"1.%d.0\" targetFramework=\"net46\" />\n", pkgName(i), i%50)
		}
		b.WriteString("</packages>\n")
		return b.Bytes()
	}},
	{"conan", "app/conan.lock", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("{\n    \"version\": \"0.5\",\n    \"requires\": [")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "\n        \"%s/1.%d.0#%s%%1675278904.0791488\"", pkgName(i), i%50, strings.Repeat("f", 32))
		}
		b.WriteString("\n    ],\n    \"build_requires\": [],\n    \"python_requires\": []\n}\n")
		return b.Bytes()
	}},
	{"mix", "app/mix.lock", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("%{\n")
		for i := range n {
			fmt.Fprintf(&b, "  \"%s\": {:hex, :%s, \"1.%d.0\", \"%s\", [:mix], [], \"hexpm\", \"%s\"},\n", pkgName(i), strings.ReplaceAll(pkgName(i), "-", "_"), i%50, strings.Repeat("f", 64), strings.Repeat("e", 64))
		}
		b.WriteString("}\n")
		return b.Bytes()
	}},
	{"pubspec", "app/pubspec.lock", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("packages:\n")
		for i := range n {
			fmt.Fprintf(&b, "  %s:\n    dependency: transitive\n    description:\n      name: %s\n      url: \"https://pub.dev\"\n    source: hosted\n    version: \"1.%d.0\"\n", strings.ReplaceAll(pkgName(i), "-", "_"), strings.ReplaceAll(pkgName(i), "-", "_"), i%50)
		}
		b.WriteString("sdks:\n  dart: \">=3.0.0 <4.0.0\"\n")
		return b.Bytes()
	}},
	{"swift", "app/Package.resolved", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("{\n  \"pins\" : [")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "\n    {\n      \"identity\" : \"%s\",\n      \"kind\" : \"remoteSourceControl\",\n      \"location\" : \"https://github.com/example/%s.git\",\n      \"state\" : {\n        \"revision\" : \"%s\",\n        \"version\" : \"1.%d.0\"\n      }\n    }", pkgName(i), pkgName(i), strings.Repeat("f", 40), i%50)
		}
		b.WriteString("\n  ],\n  \"version\" : 2\n}\n")
		return b.Bytes()
	}},
	{"cocoapods", "app/Podfile.lock", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("PODS:\n")
		for i := range n {
			fmt.Fprintf(&b, "  - %s (1.%d.0):\n    - %s (~> 1.0)\n", pkgName(i), i%50, pkgName(i+1))
		}
		b.WriteString("\nCOCOAPODS: 1.11.2\n")
		return b.Bytes()
	}},
	{"cargo", "app/Cargo.lock", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("version = 3\n\n")
		for i := range n {
			fmt.Fprintf(&b, "[[package]]\nname = \"%s\"\nversion = \"1.%d.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"%s\"\n\n", pkgName(i), i%50, strings.Repeat("f", 64))
		}
		return b.Bytes()
	}},
	{"gomod", "app/go.mod", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("module example.com/app\n\ngo 1.22\n\nrequire (\n")
		for i := range n {
			fmt.Fprintf(&b, "\texample.com/%s v1.%d.0 // indirect\n", pkgName(i), i%50)
		}
		b.WriteString(")\n")
		return b.Bytes()
	}},
	{"deps-json", "app/app.deps.json", func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("{\n  \"runtimeTarget\": {\"name\": \".NETCoreApp,Version=v8.0\"},\n  \"targets\": {\".NETCoreApp,Version=v8.0\": {}},\n  \"libraries\": {")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "\n    \"%s/1.%d.0\": {\n      \"type\": \"package\",\n      \"serviceable\": true,\n      \"sha512\": \"sha512-%s\"\n    }", pkgName(i), i%50, strings.Repeat("A", 86))
		}
		b.WriteString("\n  }\n}\n")
		return b.Bytes()
	}},
	{"dpkg", "var/lib/dpkg/status", func(n int) []byte {
		var b bytes.Buffer
		for i := range n {
			fmt.Fprintf(&b, "Package: %s\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 100\nMaintainer: Debian <debian@example.org>\nArchitecture: amd64\nSource: src-%s (1.%d-1)\nVersion: 1.%d-1\nDepends: libc6 (>= 2.34)\nDescription: generated package %d\n long description line\n\n", pkgName(i), pkgName(i), i%50, i%50, i)
		}
		return b.Bytes()
	}},
	{"apk", "lib/apk/db/installed", func(n int) []byte {
		var b bytes.Buffer
		for i := range n {
			fmt.Fprintf(&b, "C:Q1%s=\nP:%s\nV:1.%d.0-r0\nA:x86_64\nS:1000\nI:4000\nT:generated\nU:https://example.org\nL:MIT\no:%s\nm:Maintainer <m@example.org>\nt:1700000000\nc:%s\nD:so:libc.musl-x86_64.so.1\nF:usr/lib\nR:%s.so\n\n", strings.Repeat("A", 26), pkgName(i), i%50, pkgName(i), strings.Repeat("f", 40), pkgName(i))
		}
		return b.Bytes()
	}},
}

// genSize returns the generator's output grown until it reaches about
// size bytes (one probe of 1000 packages sets the per-package size).
func genSize(g lockGen, size int) []byte {
	probe := len(g.gen(1000))
	n := max(1, size*1000/probe)
	return g.gen(n)
}
