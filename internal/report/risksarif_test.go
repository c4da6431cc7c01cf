package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sightline-sec/sightline/internal/risk"
)

// missionReport is the assess report of the risk package's mission
// scenario (its golden JSON): exposed rows and rows blocked by a
// security group.
func missionReport(t *testing.T) *risk.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "risk", "testdata", "golden", "mission.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep risk.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

// TestRiskSARIF: the assess SARIF validates against the SARIF 2.1.0
// schema, has one result per row in rank order, an error level for the
// exposed critical row and a note for the blocked ones, and a code flow
// that ends at the advisory (exposed) or the blocking control (blocked).
func TestRiskSARIF(t *testing.T) {
	rep := missionReport(t)
	var b bytes.Buffer
	if err := WriteRiskSARIF(&b, rep, "test"); err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema(t, "sarif-schema-2.1.0.json").Validate(doc); err != nil {
		t.Fatalf("the assess SARIF does not validate: %v", err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID     string `json:"ruleId"`
				Level      string `json:"level"`
				Message    struct{ Text string }
				Properties struct{ Rank int }
				CodeFlows  []struct {
					ThreadFlows []struct {
						Locations []struct {
							Kinds    []string `json:"kinds"`
							Location struct {
								Message struct{ Text string }
							}
						}
					} `json:"threadFlows"`
				} `json:"codeFlows"`
			}
		}
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	res := log.Runs[0].Results
	if len(res) != len(rep.Risks) {
		t.Fatalf("%d results for %d rows", len(res), len(rep.Risks))
	}
	blocked := 0
	for i, r := range rep.Risks {
		g := res[i]
		if g.RuleID != r.ID || g.Properties.Rank != r.Rank || !strings.Contains(g.Message.Text, r.Package.Name) {
			t.Errorf("result %d: %s rank %d %q", i, g.RuleID, g.Properties.Rank, g.Message.Text)
		}
		if len(g.CodeFlows) != 1 {
			t.Errorf("result %d: %d code flows", i, len(g.CodeFlows))
			continue
		}
		locs := g.CodeFlows[0].ThreadFlows[0].Locations
		last := locs[len(locs)-1]
		switch r.Reachability.Class {
		case risk.ReachWide:
			if last.Location.Message.Text != r.ID || (r.Severity.Level == "critical" && g.Level != "error") {
				t.Errorf("exposed result %d: level %s, flow ends at %q", i, g.Level, last.Location.Message.Text)
			}
		case risk.ReachInternal:
			blocked++
			if g.Level != "note" || !strings.HasPrefix(last.Location.Message.Text, "blocked by security_group") ||
				!strings.Contains(g.Message.Text, "blocked by") {
				t.Errorf("blocked result %d: level %s, flow ends at %q, message %q", i, g.Level, last.Location.Message.Text, g.Message.Text)
			}
		}
	}
	if blocked == 0 {
		t.Error("the mission report has no blocked row: the test proves nothing")
	}
}
