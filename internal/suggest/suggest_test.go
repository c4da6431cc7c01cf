package suggest

import "testing"

func TestClosest(t *testing.T) {
	keys := []string{"id", "package", "reason", "expires"}
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"expire", "expires", true},
		{"reasn", "reason", true},
		{"pkg", "", false},
		{"Package", "package", true},
		{"exp", "expires", true}, // prefix
		{"zzzzzz", "", false},
	}
	for _, c := range cases {
		got, ok := Closest(c.in, keys)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	if h := Hint("sarif", []string{"table", "json"}); h != "" {
		t.Errorf("Hint: %q", h)
	}
	if h := Hint("jsn", []string{"table", "json"}); h != ` (did you mean "json"?)` {
		t.Errorf("Hint: %q", h)
	}
}
