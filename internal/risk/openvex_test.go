package risk_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openvex/go-vex/pkg/vex"

	"github.com/sightline-sec/sightline/internal/risk"
	"github.com/sightline-sec/sightline/internal/workload"
)

func missionReport(t *testing.T) *risk.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden", "mission.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep risk.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

// TestOpenVEXMission: the rows behind a closed security group get a
// not_affected statement naming the control; exposed rows get none; the
// document parses with go-vex and every statement validates.
func TestOpenVEXMission(t *testing.T) {
	rep := missionReport(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var b bytes.Buffer
	var def bytes.Buffer
	if err := risk.WriteOpenVEX(&def, rep, risk.VEXOptions{Now: now, ToolVersion: "test"}); err != nil {
		t.Fatal(err)
	}
	if d, err := vex.Parse(def.Bytes()); err != nil || len(d.Statements) != 0 {
		t.Fatalf("by default a blocked network path states nothing (peers may still reach the port): %v, %+v", err, d)
	}
	if err := risk.WriteOpenVEX(&b, rep, risk.VEXOptions{Now: now, ToolVersion: "test", NetworkBlocked: true}); err != nil {
		t.Fatal(err)
	}
	checkVEXDocument(t, b.Bytes())
	doc, err := vex.Parse(b.Bytes())
	if err != nil {
		t.Fatalf("go-vex cannot parse the document: %v", err)
	}
	want := 0
	for _, r := range rep.Risks {
		if r.Reachability.Class == risk.ReachInternal && r.Severity.AttackVector == risk.VectorNetwork && r.Reachability.BlockedBy != nil {
			want++
		}
	}
	if want == 0 || len(doc.Statements) != want {
		t.Fatalf("%d statements, want %d (one per network-vector row blocked from the internet)", len(doc.Statements), want)
	}
	for _, s := range doc.Statements {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", s.Vulnerability.Name, err)
		}
		if s.Status != vex.StatusNotAffected || s.Justification != "" || !strings.Contains(s.ImpactStatement, "blocks tcp/") {
			t.Errorf("%s: %s %q %q", s.Vulnerability.Name, s.Status, s.Justification, s.ImpactStatement)
		}
		if !strings.HasPrefix(s.Products[0].ID, "pkg:oci/") {
			t.Errorf("product %q is not an OCI purl", s.Products[0].ID)
		}
	}
	if !doc.Timestamp.Equal(now) || !strings.HasPrefix(doc.ID, risk.VEXIDPrefix) || len(doc.ID) != len(risk.VEXIDPrefix)+64 {
		t.Errorf("metadata: %v %q", doc.Timestamp, doc.ID)
	}
	var again bytes.Buffer
	if err := risk.WriteOpenVEX(&again, rep, risk.VEXOptions{Now: now, ToolVersion: "test", NetworkBlocked: true}); err != nil || !bytes.Equal(again.Bytes(), b.Bytes()) {
		t.Error("two runs differ")
	}
}

// TestOpenVEXNeverForUnknown: unknown reachability, unknown runtime,
// a row no workload runs, a local attack vector and a row with one
// exposed workload among blocked ones give no statement; a dormant
// package gives vulnerable_code_not_in_execute_path.
func TestOpenVEXNeverForUnknown(t *testing.T) {
	blocked := &workload.Hop{Kind: "security_group", ID: "sg-1", Detail: "closed"}
	base := func() risk.Risk {
		return risk.Risk{ID: "CVE-1", Severity: risk.Severity{AttackVector: risk.VectorNetwork},
			Package: risk.Package{Name: "p", PURL: "pkg:deb/debian/p@1"}, Image: risk.Image{Ref: "r:1", Digest: "sha256:ab"},
			Workloads:    []risk.WorkloadRef{{ID: "w", Class: risk.ReachInternal}},
			Reachability: risk.Reachability{Verdict: "not_exposed", Class: risk.ReachInternal, BlockedBy: blocked},
			Runtime:      risk.Runtime{State: "unknown"}}
	}
	now := time.Unix(0, 0)
	if _, ok := risk.VEXStatement(ptr(base()), now); !ok {
		t.Fatal("the blocked base row has no statement: the cases below prove nothing")
	}
	for name, mod := range map[string]func(*risk.Risk){
		"unknown reach": func(r *risk.Risk) {
			r.Reachability = risk.Reachability{Verdict: "unknown", Class: risk.ReachUnknown, Missing: []string{"x"}}
			r.Workloads[0].Class = risk.ReachUnknown
		},
		"not running":    func(r *risk.Risk) { r.Reachability.Class = risk.ReachNotRunning; r.Workloads = nil },
		"local vector":   func(r *risk.Risk) { r.Severity.AttackVector = risk.VectorLocal },
		"unknown vector": func(r *risk.Risk) { r.Severity.AttackVector = risk.VectorUnknown },
		"one exposed": func(r *risk.Risk) {
			r.Workloads = append(r.Workloads, risk.WorkloadRef{ID: "w2", Class: risk.ReachWide})
		},
		"no control named": func(r *risk.Risk) { r.Reachability.BlockedBy = nil },
		"exposed dormant unknown": func(r *risk.Risk) {
			r.Reachability = risk.Reachability{Verdict: "unknown", Class: risk.ReachUnknown}
			r.Runtime.State = "dormant"
		},
	} {
		r := base()
		mod(&r)
		if s, ok := risk.VEXStatement(&r, now); ok {
			t.Errorf("%s: a statement %+v", name, s)
		}
	}
	r := base()
	r.Reachability = risk.Reachability{Verdict: "exposed", Class: risk.ReachWide}
	r.Workloads[0].Class = risk.ReachWide
	r.Runtime = risk.Runtime{State: "dormant", Evidence: "pid 7 maps no file of p"}
	s, ok := risk.VEXStatement(&r, now)
	if !ok || s.Justification != vex.VulnerableCodeNotInExecutePath || !strings.Contains(s.ImpactStatement, "pid 7") || s.Validate() != nil {
		t.Errorf("dormant: %v %+v", ok, s)
	}
}

func ptr[T any](v T) *T { return &v }

// checkVEXDocument checks the fields the OpenVEX v0.2.0 JSON schema
// requires (no copy of the schema is available offline to validate
// against): @context, @id, author, timestamp, version, statements with
// vulnerability.name, products[].@id, status, and for not_affected a
// justification from the spec's list or an impact_statement.
func checkVEXDocument(t *testing.T, b []byte) {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"@context", "@id", "author", "timestamp"} {
		if s, _ := d[k].(string); s == "" {
			t.Errorf("document lacks %s", k)
		}
	}
	if d["@context"] != "https://openvex.dev/ns/v0.2.0" {
		t.Errorf("@context %v", d["@context"])
	}
	if v, _ := d["version"].(float64); v < 1 {
		t.Errorf("version %v", d["version"])
	}
	if _, err := time.Parse(time.RFC3339, d["timestamp"].(string)); err != nil {
		t.Errorf("timestamp: %v", err)
	}
	stmts, _ := d["statements"].([]any)
	for _, x := range stmts {
		s := x.(map[string]any)
		v, _ := s["vulnerability"].(map[string]any)
		if name, _ := v["name"].(string); name == "" {
			t.Errorf("statement without vulnerability.name: %v", s)
		}
		ps, _ := s["products"].([]any)
		if len(ps) == 0 || ps[0].(map[string]any)["@id"] == "" {
			t.Errorf("statement without products: %v", s)
		}
		j, _ := s["justification"].(string)
		is, _ := s["impact_statement"].(string)
		if s["status"] != "not_affected" || (j == "" && is == "") || (j != "" && !vex.Justification(j).Valid()) {
			t.Errorf("statement %v", s)
		}
	}
}
