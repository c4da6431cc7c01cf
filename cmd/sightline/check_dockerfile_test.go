package main

import (
	"encoding/json"
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
