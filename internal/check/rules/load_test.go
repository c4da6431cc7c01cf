package rules

import (
	"context"
	"os"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadErrorsNameFileAndLine(t *testing.T) {
	cases := []struct{ name, content, want string }{
		{"severity", "rules:\n  - id: X-1\n    title: t\n    severity: hgih\n    inputs: [kubernetes]\n    violations: 'true'\n",
			`:4: severity "hgih": want one of info, low, medium, high, critical`},
		{"unknown key", "rules:\n  - id: X-1\n    titel: t\n", `:3: unknown key "titel" in a rule (did you mean "title"?)`},
		{"bad id", "rules:\n  - id: 'X 1'\n    title: t\n    severity: low\n    inputs: [kubernetes]\n    violations: 'true'\n", `:2: rule id "X 1"`},
		{"input", "rules:\n  - id: X-1\n    title: t\n    severity: low\n    inputs: [kubernets]\n    violations: 'true'\n",
			`:2: rule X-1: unknown input "kubernets" (did you mean "kubernetes"?)`},
		{"cel syntax", "rules:\n  - id: X-1\n    title: t\n    severity: low\n    inputs: [kubernetes]\n    violations: |\n      object.spec.x ==\n        && true\n",
			`:8: rule X-1: CEL 2:`},
		{"cel type", "rules:\n  - id: X-1\n    title: t\n    severity: low\n    inputs: [kubernetes]\n    violations: name + 1\n",
			`:6: rule X-1: CEL 1:`},
		{"result type", "rules:\n  - id: X-1\n    title: t\n    severity: low\n    inputs: [kubernetes]\n    violations: name\n",
			`rule X-1: violations must give a bool or a list`},
		{"duplicate", "rules:\n  - id: X-1\n    title: t\n    severity: low\n    inputs: [aws]\n    violations: 'true'\n  - id: X-1\n    title: t\n    severity: low\n    inputs: [aws]\n    violations: 'true'\n",
			`:7: rule X-1 is defined twice (first at `},
		{"yaml", "rules:\n  - id: [\n", `yaml.yaml: `},
		{"no rules", "rule: []\n", `:1: unknown key "rule" in a rules file (did you mean "rules"?)`},
		{"other kind", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", `:1: kind "Pod" is not a rule`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := t.TempDir() + "/yaml.yaml"
			writeFile(t, f, c.content)
			_, err := Load(context.Background(), Options{Paths: []string{f}, NoBuiltin: true})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), f) {
				t.Fatalf("error = %v, want it to name %s and contain %q", err, f, c.want)
			}
		})
	}
}

func TestLoadDirectory(t *testing.T) {
	s := loadTest(t, "testdata/rules")
	if len(s.Rules()) != 3 {
		t.Fatalf("rules = %d, want 3", len(s.Rules()))
	}
	if _, err := Load(context.Background(), Options{Paths: []string{t.TempDir()}, NoBuiltin: true}); err == nil {
		t.Fatal("an empty rules directory loaded without error")
	}
}

func TestDisableUnknownRuleWarns(t *testing.T) {
	f := t.TempDir() + "/off.yaml"
	writeFile(t, f, "rules:\n  - id: SL-DF-999\n    disabled: true\n")
	s, err := Load(context.Background(), Options{Paths: []string{f}, NoBuiltin: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rules()) != 0 || len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], f+":2: disabled: true for SL-DF-999, which is not a loaded rule") {
		t.Fatalf("rules %d warnings %v", len(s.Rules()), s.Warnings)
	}
}
