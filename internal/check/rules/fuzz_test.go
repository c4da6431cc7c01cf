package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadRules feeds arbitrary bytes to the rule-file parser (rules
// lists and ValidatingAdmissionPolicy objects): it must return rules or
// an error naming the file, never panic.
func FuzzLoadRules(f *testing.F) {
	for _, dir := range []string{"testdata/rules", "testdata/vap"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("rules:\n  - id: X\n    disabled: true\n"))
	f.Add([]byte("rules: [{id: A-1, title: t, severity: low, inputs: [aws], violations: '[\"m\", {\"message\": \"x\", \"path\": \"a[0]\"}]'}]"))
	c, err := newCompiler(0)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &Set{}
		err := s.addFile(c, "fuzz.yaml", data, false)
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
		if err == nil {
			for _, r := range s.rules {
				if r.prog == nil && !r.Disabled {
					t.Fatalf("rule %s loaded without a program", r.ID)
				}
			}
		}
	})
}

// FuzzParsePath: a path that parses formats back to one that parses to
// the same steps.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"spec.containers[0].image", `metadata.annotations["a.b/c"]`, "a[1][2].b", "vars.x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		steps, err := parsePath(p)
		if err != nil {
			return
		}
		again, err := parsePath(formatPath(steps))
		if err != nil || len(again) != len(steps) {
			t.Fatalf("%q -> %q does not parse back: %v", p, formatPath(steps), err)
		}
		for i := range steps {
			if steps[i] != again[i] {
				t.Fatalf("%q: step %d %+v != %+v", p, i, steps[i], again[i])
			}
		}
	})
}
