package main

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/check/terraform"
)

// goatManifests are real insecure manifests (kubernetes-goat, MIT; see
// their PROVENANCE.md).
var goatManifests = filepath.Join("..", "..", "internal", "check", "kubernetes", "testdata", "kubernetes-goat")

// TestCheckKubernetesGoat is issue 10's done-when for Kubernetes through
// the CLI with the built-in inputs and rules: `sightline check` on a real
// insecure manifest set finds every privileged container and every host
// mount of the container runtime socket, at file and line, and the gate
// fails.
func TestCheckKubernetesGoat(t *testing.T) {
	out, stderr, code := runCheckWith(t, defaultCheckInputs(terraform.Options{}), "json", checkFlags{failOn: "high"}, goatManifests)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (gate): %s", code, stderr)
	}
	var doc struct {
		Findings []struct {
			RuleID   string `json:"rule_id"`
			Object   string
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
	got := map[string][]string{}
	for _, f := range doc.Findings {
		if f.RuleID == "SL-K8S-PSS-003" || f.RuleID == "SL-K8S-001" {
			got[f.RuleID] = append(got[f.RuleID], f.Object+" "+filepath.Base(filepath.Dir(f.Location.File))+":"+strconv.Itoa(f.Location.Line))
		}
	}
	for _, v := range got {
		sort.Strings(v)
	}
	want := map[string]string{
		"SL-K8S-PSS-003": "default/DaemonSet/docker-bench-security docker-bench-security:45 default/Deployment/health-check-deployment health-check:25 default/Deployment/system-monitor-deployment system-monitor:39",
		"SL-K8S-001":     "default/DaemonSet/docker-bench-security docker-bench-security:91 default/Deployment/health-check-deployment health-check:32 default/Deployment/system-monitor-deployment system-monitor:29",
	}
	for id, w := range want {
		if g := strings.Join(got[id], " "); g != w {
			t.Errorf("%s: %s\nwant %s", id, g, w)
		}
	}
	if len(doc.Gaps) != 0 {
		t.Errorf("gaps %v", doc.Gaps)
	}
}
