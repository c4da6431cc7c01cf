package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sightline-sec/sightline/internal/risk"
)

// missionPaths builds the attack paths of the mission scenario's assess
// report (frontend-a and frontend-b exposed, api-b internal only) with
// hand-made data behind the frontends: a bucket frontend-b's role reads
// (proven), a database its security group reaches under a condition, a
// table frontend-a's role may use but whose policy could not be read
// (unknown), and the account's stores: one public bucket, one public
// when a condition holds, one whose exposure is unknown.
func missionPaths(t *testing.T, rep *risk.Report) *risk.PathReport {
	t.Helper()
	const (
		fb      = "k8s:eks/shop/Pod/frontend-b"
		fa      = "k8s:eks/shop/Pod/frontend-a"
		exports = "arn:aws:s3:::customer-exports"
		orders  = "arn:aws:rds:eu-west-1:111122223333:db:orders"
		carts   = "arn:aws:dynamodb:eu-west-1:111122223333:table/carts"
	)
	behind := risk.DataBehind{
		fb: {
			{Store: exports, Name: "customer-exports", Kind: "s3_bucket", Via: "identity", Verdict: risk.DataYes,
				Detail: "role frontend can s3:GetObject on customer-exports",
				Proof:  []string{"pod frontend-b uses service account shop/frontend", "IRSA role arn:aws:iam::111122223333:role/frontend", "policy frontend-read allows s3:GetObject on arn:aws:s3:::customer-exports/*"}},
			{Store: orders, Name: "orders", Kind: "rds_instance", Via: "network", Verdict: risk.DataConditional,
				Detail: "reaches orders tcp/5432 through sg-0db when the prefix list holds the pod subnet",
				Proof:  []string{"node sg-0nodes egress all", "sg-0db admits tcp/5432 from pl-0shop"}},
		},
		fa: {
			{Store: carts, Name: "carts", Kind: "dynamodb_table", Via: "identity", Verdict: risk.DataUnknown,
				Detail: "role frontend may use carts", Missing: []string{"dynamodb/get-resource-policy.json (AccessDenied)"}},
		},
	}
	stores := []risk.StoreRef{
		{ID: exports, Name: "customer-exports", Kind: "s3_bucket", Internet: "not_exposed"},
		{ID: orders, Name: "orders", Kind: "rds_instance", Internet: "not_exposed"},
		{ID: carts, Name: "carts", Kind: "dynamodb_table", Internet: "not_exposed"},
		{ID: "arn:aws:s3:::public-assets", Name: "public-assets", Kind: "s3_bucket", Internet: "exposed",
			Proof: []string{"bucket policy statement PublicRead allows s3:GetObject to *", "no public access block"}},
		{ID: "arn:aws:s3:::partner-drop", Name: "partner-drop", Kind: "s3_bucket", Internet: "conditional",
			Proof: []string{"bucket policy allows s3:PutObject to * when aws:SourceVpce is vpce-0partner"}},
		{ID: "arn:aws:s3:::old-logs", Name: "old-logs", Kind: "s3_bucket", Internet: "unknown",
			Missing: []string{"s3/get-bucket-policy old-logs (AccessDenied)"}},
	}
	return risk.BuildPaths(rep, behind, stores, "6 stores read; 1 bucket policy denied")
}

type pathsLog struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID   string
					Help struct{ Text, Markdown string }
				}
			}
		}
		Results []struct {
			RuleID              string `json:"ruleId"`
			RuleIndex           int    `json:"ruleIndex"`
			Level               string `json:"level"`
			Message             struct{ Text string }
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Locations           []struct {
				LogicalLocations []struct {
					Name               string
					FullyQualifiedName string `json:"fullyQualifiedName"`
					Kind               string
				} `json:"logicalLocations"`
			}
			Properties struct {
				Rank    int
				Verdict string
			}
			CodeFlows []struct {
				ThreadFlows []struct {
					Locations []struct {
						Kinds      []string `json:"kinds"`
						Properties struct {
							Proof   []string
							Missing []string
							Verdict string
						}
						Location struct {
							Message struct{ Text string }
						}
					}
				} `json:"threadFlows"`
			} `json:"codeFlows"`
		}
		Properties struct {
			Schema   string
			Coverage risk.PathsCoverage
		}
	}
}

func writePathsSARIF(t *testing.T, pr *risk.PathReport) ([]byte, pathsLog) {
	t.Helper()
	var b bytes.Buffer
	if err := WritePathsSARIF(&b, pr, "test"); err != nil {
		t.Fatal(err)
	}
	var log pathsLog
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), log
}

// TestPathsSARIF: the paths SARIF validates against the SARIF 2.1.0
// schema and has one result per path in rank order, its rule by kind,
// its level by verdict, the store's ARN and the workload's ID as logical
// locations, and one code flow step per hop carrying the hop's detail,
// proof and missing data.
func TestPathsSARIF(t *testing.T) {
	pr := missionPaths(t, missionReport(t))
	raw, log := writePathsSARIF(t, pr)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema(t, "sarif-schema-2.1.0.json").Validate(doc); err != nil {
		t.Fatalf("the paths SARIF does not validate: %v", err)
	}
	run := log.Runs[0]
	if run.Properties.Schema != risk.PathsSchema || len(run.Properties.Coverage.StoresUnknown) != 1 {
		t.Errorf("run properties: schema %q, coverage %+v", run.Properties.Schema, run.Properties.Coverage)
	}
	for _, r := range run.Tool.Driver.Rules {
		if r.Help.Text == "" || r.Help.Markdown == "" {
			t.Errorf("rule %s has no help", r.ID)
		}
	}
	if len(run.Results) != len(pr.Paths) {
		t.Fatalf("%d results for %d paths", len(run.Results), len(pr.Paths))
	}
	levels := map[string]int{}
	kinds := map[string]int{}
	for i, p := range pr.Paths {
		g := run.Results[i]
		wantRule := map[string]string{risk.PathWorkload: PathRuleWorkloadData, risk.PathStore: PathRulePublicStore}[p.Kind]
		wantLevel := map[string]string{"proven": "error", "conditional": "warning", "unknown": "note"}[p.Verdict]
		if g.RuleID != wantRule || run.Tool.Driver.Rules[g.RuleIndex].ID != wantRule || g.Level != wantLevel || g.Properties.Rank != p.Rank {
			t.Errorf("result %d (%s %s): rule %s #%d, level %s, rank %d", i, p.Kind, p.Verdict, g.RuleID, g.RuleIndex, g.Level, g.Properties.Rank)
		}
		levels[g.Level]++
		kinds[p.Kind]++
		locs := g.Locations[0].LogicalLocations
		last := locs[len(locs)-1]
		if last.Kind != "data_store" || last.FullyQualifiedName != p.Store.ID || !strings.HasPrefix(last.FullyQualifiedName, "arn:aws:") {
			t.Errorf("result %d: store location %+v, want ARN %s", i, last, p.Store.ID)
		}
		if p.Workload != nil && (len(locs) != 2 || locs[0].FullyQualifiedName != p.Workload.ID || locs[0].Kind != "workload") {
			t.Errorf("result %d: workload location %+v, want %s", i, locs, p.Workload.ID)
		}
		if !strings.Contains(g.Message.Text, p.Store.Name) {
			t.Errorf("result %d: message %q does not name the store", i, g.Message.Text)
		}
		steps := g.CodeFlows[0].ThreadFlows[0].Locations
		if len(steps) != len(p.Hops) {
			t.Fatalf("result %d: %d steps for %d hops", i, len(steps), len(p.Hops))
		}
		for j, h := range p.Hops {
			s := steps[j]
			if s.Location.Message.Text != h.Detail || s.Kinds[0] != h.Kind || s.Properties.Verdict != h.Verdict ||
				strings.Join(s.Properties.Proof, "\n") != strings.Join(h.Proof, "\n") ||
				strings.Join(s.Properties.Missing, "\n") != strings.Join(h.Missing, "\n") {
				t.Errorf("result %d step %d: %+v, want hop %+v", i, j, s, h)
			}
		}
	}
	// The fixture has every verdict and both kinds: the checks above
	// covered each mapping.
	if levels["error"] == 0 || levels["warning"] == 0 || levels["note"] == 0 || kinds[risk.PathWorkload] == 0 || kinds[risk.PathStore] == 0 {
		t.Errorf("fixture lacks a level or kind: %v %v", levels, kinds)
	}
}

// TestPathsSARIFFingerprints: the fingerprints are distinct per path and
// stay put when the ranking changes (a vulnerability fixed lowers the
// workload's score and reorders the paths), so a code-scanning alert
// follows its path across runs.
func TestPathsSARIFFingerprints(t *testing.T) {
	rep := missionReport(t)
	_, before := writePathsSARIF(t, missionPaths(t, rep))
	// Fix the top row: frontend-b loses its best finding.
	rep.Risks = rep.Risks[1:]
	after := missionPaths(t, rep)
	_, again := writePathsSARIF(t, after)
	key := func(log pathsLog) map[string]string {
		m := map[string]string{}
		for _, r := range log.Runs[0].Results {
			locs := r.Locations[0].LogicalLocations
			id := ""
			for _, l := range locs {
				id += l.FullyQualifiedName + " "
			}
			for _, s := range r.CodeFlows[0].ThreadFlows[0].Locations {
				id += s.Kinds[0] + " "
			}
			fp := r.PartialFingerprints["sightlinePath/v1"]
			if fp == "" {
				t.Errorf("result %q has no fingerprint", id)
			}
			if prev, dup := m[fp]; dup {
				t.Errorf("paths %q and %q share fingerprint %s", prev, id, fp)
			}
			m[fp] = id
		}
		return m
	}
	b, a := key(before), key(again)
	if len(b) != len(a) {
		t.Fatalf("%d paths before, %d after", len(b), len(a))
	}
	for fp, id := range b {
		if a[fp] != id {
			t.Errorf("path %q: fingerprint %s is %q after the ranking changed", id, fp, a[fp])
		}
	}
	moved := false
	for i, r := range before.Runs[0].Results {
		if again.Runs[0].Results[i].PartialFingerprints["sightlinePath/v1"] != r.PartialFingerprints["sightlinePath/v1"] {
			moved = true
		}
	}
	if !moved {
		t.Error("fixing the top row did not reorder the paths: the test proves nothing about ranks")
	}
}

// TestPathsSARIFBadInput: a nil report or a path of an unknown kind or
// verdict is an error naming the path, not a log with a silent result.
func TestPathsSARIFBadInput(t *testing.T) {
	var b bytes.Buffer
	if err := WritePathsSARIF(&b, nil, "test"); err == nil {
		t.Error("nil report: no error")
	}
	pr := missionPaths(t, missionReport(t))
	pr.Paths[1].Kind = "lateral"
	if err := WritePathsSARIF(&b, pr, "test"); err == nil || !strings.Contains(err.Error(), `#2 has kind "lateral"`) {
		t.Errorf("unknown kind: %v", err)
	}
	pr = missionPaths(t, missionReport(t))
	pr.Paths[0].Verdict = "maybe"
	if err := WritePathsSARIF(&b, pr, "test"); err == nil || !strings.Contains(err.Error(), `#1: verdict "maybe"`) {
		t.Errorf("unknown verdict: %v", err)
	}
}
