package dockerfile

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/sightline-sec/sightline/internal/check"
)

// FuzzParse: Parse never panics; an error is a *ParseError naming the file
// and a line inside it; an Object's lines are inside the file.
func FuzzParse(f *testing.F) {
	for _, p := range []string{
		"testdata/handwritten/heredoc.Dockerfile",
		"testdata/handwritten/ignore.Dockerfile",
		"testdata/real/microservices-demo/src/emailservice/Dockerfile",
		"testdata/real/docker-nginx/modules/Dockerfile.alpine",
	} {
		src, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte("# escape=`\nFROM a AS b\nRUN x `\n y\nFROM b\nUSER 0\n"))
	f.Add([]byte("ARG A\nFROM $A\nRUN <<E cat\n$(x\nE\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		var obj check.Object
		var err error
		done := make(chan struct{})
		go func() { obj, _, err = Parse("fuzz/Dockerfile", src); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("Parse took over 5 s on %q", src)
		}
		lines := bytes.Count(src, []byte("\n")) + 1
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "fuzz/Dockerfile" || pe.Line < 0 || pe.Line > lines {
				t.Fatalf("error %v (%T) line outside 0..%d", err, err, lines)
			}
			return
		}
		for k, l := range obj.Lines {
			if l < 1 || l > lines {
				t.Fatalf("Lines[%s] = %d outside 1..%d", k, l, lines)
			}
		}
		for _, ig := range obj.Ignores {
			if ig.Line < 0 || ig.Line > lines {
				t.Fatalf("ignore line %d outside 0..%d", ig.Line, lines)
			}
		}
		if obj.Vars["final_stage"] == nil {
			t.Fatal("no final_stage")
		}
	})
}
