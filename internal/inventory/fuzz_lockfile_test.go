package inventory

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ownParserPaths are the files our own parsers read, one per parser.
var ownParserPaths = []string{
	"package-lock.json", "composer.lock", "bun.lock", "gradle.lockfile",
	"opt/conda/conda-meta/x-1-0.json", "go.mod", "poetry.lock", "yarn.lock",
	"packages.config", "uv.lock", "pnpm-lock.yaml", "pubspec.lock",
	"Pipfile.lock", "pdm.lock", "pom.xml", "Podfile.lock", "Gemfile.lock",
}

// FuzzOwnParsers: no input makes one of our parsers panic or return a
// record without a name; a failure is a reported skip.
func FuzzOwnParsers(f *testing.F) {
	for i, p := range ownParserPaths {
		f.Add(uint8(i), []byte(`{"packages": {"node_modules/a": {"version": "1"}}}`))
		_ = p
	}
	for _, dir := range []string{"npm-dev", "yarn-berry", "pnpm", "bun", "uv", "pub", "gradle", "nuget-config", "poetry", "cocoapods"} {
		matches, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "lockfiles", dir, "*"))
		for _, m := range matches {
			b, err := os.ReadFile(m)
			if err != nil || len(b) > 4096 {
				continue
			}
			for i, p := range ownParserPaths {
				if p == filepath.Base(m) {
					f.Add(uint8(i), b)
				}
			}
		}
	}
	x, err := NewExtractor()
	if err != nil {
		f.Fatal(err)
	}
	x.FileTimeout = 0
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		p := ownParserPaths[int(which)%len(ownParserPaths)]
		recs, skips, err := x.Extract(context.Background(), p, 0o644, b)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range skips {
			if strings.Contains(s.Detail, "panicked") {
				t.Fatalf("%s: %s", p, s)
			}
		}
		for _, r := range recs {
			if r.Name == "" {
				t.Fatalf("%s: record without a name: %+v", p, r)
			}
		}
	})
}

// FuzzJSONC: valid JSON passes through the JSONC filter unchanged, and no
// input makes it panic or loop.
func FuzzJSONC(f *testing.F) {
	f.Add([]byte(`{"a": [1, 2, {"b": "c,]}"}], "d": "\"//not a comment"}`))
	f.Add([]byte("{\"a\": 1, // c\n /* d */ \"e\": [1,],}"))
	f.Add([]byte(`"unterminated \`))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := io.ReadAll(newJSONCReader(bytes.NewReader(b)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("/")) && !bytes.Contains(b, []byte(",")) && !bytes.Equal(out, b) {
			t.Fatalf("JSON without comments or commas changed: %q → %q", b, out)
		}
		if len(out) > len(b)+1 {
			t.Fatalf("output longer than input: %q → %q", b, out)
		}
	})
}

func TestJSONC(t *testing.T) {
	for in, want := range map[string]string{
		`{"a": [1, 2,], "b": {"c": 1,},}`:             `{"a": [1, 2], "b": {"c": 1}}`,
		"{\"a\": \"x,]\", // c\n\"b\": 1 /* z */,\n}": "{\"a\": \"x,]\",  \"b\": 1  \n}",
		`{"s": "a\"//b", "t": [],}`:                   `{"s": "a\"//b", "t": []}`,
	} {
		out, err := io.ReadAll(newJSONCReader(strings.NewReader(in)))
		if err != nil || string(out) != want {
			t.Errorf("%q → %q (%v), want %q", in, out, err, want)
		}
	}
}
