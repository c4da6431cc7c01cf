package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/check/terraform"
)

// realDockerfiles are the real Online Boutique Dockerfiles the dockerfile
// input keeps (internal/check/dockerfile/testdata/PROVENANCE.md).
var realDockerfiles = filepath.Join("..", "..", "internal", "check", "dockerfile", "testdata", "real", "microservices-demo")

// `sightline check DIR` finds Dockerfiles by name and content through the
// built-in registry and runs the built-in Dockerfile pack on them.
func TestCheckCLIDockerfiles(t *testing.T) {
	out, stderr, code := runCheckWith(t, defaultCheckInputs(terraform.Options{}), "json", checkFlags{}, realDockerfiles)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Summary struct {
			Objects map[string]int
		}
		Findings []struct {
			RuleID   string `json:"rule_id"`
			Location struct {
				File string
				Line int
			}
		}
		Gaps []any
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.Objects["dockerfile"] != 13 || len(doc.Gaps) != 0 {
		t.Fatalf("objects %v gaps %v", doc.Summary.Objects, doc.Gaps)
	}
	found := map[string]bool{}
	for _, f := range doc.Findings {
		found[f.RuleID+" "+filepath.ToSlash(strings.TrimPrefix(f.Location.File, realDockerfiles))+":"+strconv.Itoa(f.Location.Line)] = true
	}
	for _, want := range []string{
		"SL-DF-007 /src/checkoutservice/Dockerfile:33",
		"SL-DF-010 /src/cartservice/src/Dockerfile.debug:27",
		"SL-DF-011 /src/cartservice/src/Dockerfile.debug:27",
		"SL-DF-001 /src/emailservice/Dockerfile:33",
	} {
		if !found[want] {
			t.Errorf("missing finding %s in %v", want, found)
		}
	}
	if found["SL-DF-001 /src/cartservice/src/Dockerfile:36"] {
		t.Error("cartservice sets USER 1000 and must not be flagged")
	}
	// The gate: the worst finding is medium.
	if _, _, code := runCheckWith(t, defaultCheckInputs(terraform.Options{}), "table", checkFlags{failOn: "high"}, realDockerfiles); code != 0 {
		t.Errorf("--fail-on high: exit %d", code)
	}
	if _, _, code := runCheckWith(t, defaultCheckInputs(terraform.Options{}), "table", checkFlags{failOn: "medium"}, realDockerfiles); code != 1 {
		t.Errorf("--fail-on medium: exit %d", code)
	}
}

// A file named like a Dockerfile that the Dockerfile reader does not
// accept is handed to it anyway, so its gap says why and where ("unknown
// instruction" at line 1, a NUL byte) instead of "no reader of this build
// accepted it", which is wrong: this build has one.
func TestCheckDockerfileRefusedSaysWhy(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"Dockerfile.typo": "FRM alpine:3.20\nRUN true\n",
		"Dockerfile.bin":  "FROM alpine\n\x00\x01\x02",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, stderr, code := runCheckWith(t, defaultCheckInputs(terraform.Options{}), "json", checkFlags{}, dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Gaps []struct {
			Location struct {
				File string
				Line int
			}
			Reason string
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, g := range doc.Gaps {
		got[filepath.Base(g.Location.File)] = fmt.Sprintf("%d %s", g.Location.Line, g.Reason)
	}
	if !strings.Contains(got["Dockerfile.typo"], `unknown instruction "FRM"`) || !strings.Contains(got["Dockerfile.bin"], "not a text file") || len(got) != 2 {
		t.Errorf("gaps %v", got)
	}
}
