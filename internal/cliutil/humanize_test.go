package cliutil

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestHumanizeRealDecoderErrors feeds Humanize the messages the real
// decoders produce and checks no Go type is left.
func TestHumanizeRealDecoderErrors(t *testing.T) {
	type component struct{ Name string }
	type bom struct {
		Components []component `json:"components" yaml:"components"`
		Version    int         `json:"version" yaml:"version"`
		When       time.Time   `json:"when"`
	}
	cases := []struct {
		err  func() error
		want string
	}{
		{func() error { var b bom; return json.Unmarshal([]byte(`{"components":"x"}`), &b) }, `field "components": got a string, want a list`},
		{func() error { var b bom; return json.Unmarshal([]byte(`{"version":"2"}`), &b) }, `field "version": got a string, want a number`},
		{func() error { var b bom; return json.Unmarshal([]byte(`{"components":[{"Name":5}]}`), &b) }, `field "components.Name": got a number, want a string`},
		{func() error { var n []int; return json.Unmarshal([]byte(`{}`), &n) }, `got an object, want a list`},
		{func() error {
			var b bom
			d := yaml.NewDecoder(strings.NewReader("componentz: []\n"))
			d.KnownFields(true)
			return d.Decode(&b)
		}, `line 1: unknown key "componentz"`},
		{func() error { var b bom; return yaml.Unmarshal([]byte("version: abc\n"), &b) }, "line 1: got \"abc\", want a number"},
	}
	for _, c := range cases {
		err := c.err()
		if err == nil {
			t.Fatalf("no error for %q", c.want)
		}
		got := Humanize("reading x.json: " + err.Error())
		if !strings.Contains(got, c.want) || strings.Contains(got, "Go ") || strings.Contains(got, "cliutil.") || strings.Contains(got, "[]") {
			t.Errorf("Humanize(%q) = %q, want %q", err, got, c.want)
		}
	}
	// Text after the type is kept: the check gate joins parts with "; "
	// ("… of type []v1.Container); no rule was evaluated" lost its "); ").
	var b bom
	err := json.Unmarshal([]byte(`{"components":"x"}`), &b)
	if got := Humanize("(first: " + err.Error() + "); no rule was evaluated"); !strings.HasSuffix(got, `want a list); no rule was evaluated`) {
		t.Errorf("text after the type: %q", got)
	}
	if got := Humanize("plain message"); got != "plain message" {
		t.Errorf("changed plain text: %q", got)
	}
}
