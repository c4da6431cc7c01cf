package main

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sightline-sec/sightline/internal/image/imagetest"
	"github.com/sightline-sec/sightline/internal/risk"
)

// dataScenario is testdata/aws/scenarios/datastores (make_scenarios.py,
// scenario 18).
var dataScenario = filepath.Join("..", "..", "testdata", "aws", "scenarios", "datastores")

// dataEstate scans two images with the same vulnerable Debian packages
// (they differ by one label, so by digest) and returns the datastores
// scenario with the api task running the first and the resizer the
// second, plus their scan result files.
func dataEstate(t *testing.T) (*cli, string, []string) {
	t.Helper()
	c := assessDB(t)
	var files []string
	repl := map[string]string{}
	for _, svc := range []struct{ name, placeholder string }{
		{"api", "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"},
		{"resizer", "sha256:1f1e2d3c4b5a69788796a5b4c3d2e1f01f1e2d3c4b5a69788796a5b4c3d2e1f1"},
	} {
		img := imagetest.Image(t, v1.Config{ExposedPorts: map[string]struct{}{"8080/tcp": {}}, Labels: map[string]string{"service": svc.name}},
			imagetest.Step{Layer: imagetest.Layer(t, vulnerableDebian(t)), CreatedBy: "debian 12.2"})
		res := c.ok("scan", "image", "--offline", "--format", "json", "docker-archive:"+writeDockerArchive(t, img, ""))
		f := filepath.Join(t.TempDir(), svc.name+".json")
		if err := os.WriteFile(f, []byte(res), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		repl[svc.placeholder] = decodeResult(t, res).Target.Digest

	}
	return c, copyReplacing(t, dataScenario, repl), files
}

// TestAssessDataBehind is issue 11's "done when": the exposed api task
// whose role reads a bucket and whose security group the database admits
// shows both stores behind it, with proofs, and its CVE ranks above the
// same CVE on the exposed resizer, which has no data behind it.
func TestAssessDataBehind(t *testing.T) {
	c, snap, files := dataEstate(t)
	rep := decodeAssess(t, c.ok("assess", "--aws", snap, "--scan-results", files[0], "--scan-results", files[1], "--format", "json"))
	rank := map[string]risk.Risk{}
	for _, r := range rep.Risks {
		svc := strings.TrimSuffix(path.Base(r.Image.Ref), ":2.1")
		if _, ok := rank[r.ID+" "+svc]; !ok {
			rank[r.ID+" "+svc] = r
		}
	}
	var checked int
	for key, api := range rank {
		id, name, _ := strings.Cut(key, " ")
		if name != "api" {
			continue
		}
		rs, ok := rank[id+" resizer"]
		if !ok {
			t.Fatalf("%s: on api but not on resizer", id)
		}
		checked++
		if api.Rank >= rs.Rank || api.ScoreParts.Data != 2*risk.Weights.DataStore || rs.ScoreParts.Data != 0 {
			t.Errorf("%s: api #%d data %.1f, resizer #%d data %.1f %+v", id, api.Rank, api.ScoreParts.Data, rs.Rank, rs.ScoreParts.Data, rs.DataBehind)
		}
	}
	if checked == 0 {
		t.Fatalf("no CVE found on both services: %d rows, coverage %+v, first %+v", len(rep.Risks), rep.Coverage, rep.Risks[:min(2, len(rep.Risks))])
	}
	var top risk.Risk
	for _, r := range rep.Risks {
		if strings.Contains(r.Image.Ref, "/shop/api:") {
			top = r
			break
		}
	}
	got := map[string]risk.DataAccess{}
	for _, a := range top.DataBehind {
		got[a.Name+" "+a.Via] = a
	}
	bucket, db := got["customer-exports identity"], got["db-prod network"]
	if bucket.Verdict != risk.DataYes || !strings.Contains(bucket.Detail, "role api-task can s3:GetObject, s3:ListBucket on customer-exports") ||
		!strings.Contains(strings.Join(bucket.Proof, "\n"), "inline read-exports statement 0 (ReadExports) Allow") {
		t.Errorf("bucket behind api: %+v", bucket)
	}
	if db.Verdict != risk.DataYes || !strings.Contains(db.Detail, "reaches db-prod tcp/5432 through sg-0db") ||
		!strings.Contains(strings.Join(db.Proof, "\n"), "sg-0db") {
		t.Errorf("database behind api: %+v", db)
	}
	reasons := strings.Join(top.Reasons, "\n")
	if !strings.Contains(reasons, "data behind: role api-task can s3:GetObject") || !strings.Contains(reasons, "data behind: reaches db-prod tcp/5432") {
		t.Errorf("reasons:\n%s", reasons)
	}
	if !strings.Contains(rep.Coverage.DataStores, "5 data store(s) read, 3 exposed to the internet") {
		t.Errorf("coverage.data_stores %q", rep.Coverage.DataStores)
	}
}

// TestPathsDataBehind: `sightline paths` on the same estate lists the
// api's two paths (bucket by identity, database by network) with their
// hops proven, ranked above the public stores' own paths only when the
// entry's score says so, and the public stores with their proofs.
func TestPathsDataBehind(t *testing.T) {
	c, snap, files := dataEstate(t)
	out := c.ok("paths", "--aws", snap, "--scan-results", files[0], "--scan-results", files[1], "--format", "json")
	var pr risk.PathReport
	if err := json.Unmarshal([]byte(out), &pr); err != nil {
		t.Fatal(err)
	}
	got := map[string]risk.AttackPath{}
	for _, p := range pr.Paths {
		k := p.Kind + " " + p.Store.Name
		if p.Workload != nil {
			k += " " + strings.TrimSuffix(path.Base(p.Image), ":2.1")
		}
		got[k] = p
	}
	for _, k := range []string{"workload customer-exports api", "workload db-prod api"} {
		p, ok := got[k]
		if !ok || p.Verdict != "proven" || len(p.Hops) != 2 || p.Hops[0].Kind != "exposure" || len(p.Hops[0].Proof) == 0 || len(p.Hops[1].Proof) == 0 {
			t.Errorf("%s: %+v", k, p)
		}
	}
	if p := got["workload db-prod api"]; p.Hops[1].Kind != "network" || !strings.Contains(p.Hops[1].Detail, "through sg-0db") {
		t.Errorf("db-prod hop: %+v", p.Hops)
	}
	// The resizer has no data behind it but the public ones.
	for k := range got {
		if strings.HasSuffix(k, " resizer") && !strings.Contains(k, "legacy-mysql") && !strings.Contains(k, "public-assets") {
			t.Errorf("resizer path %s", k)
		}
	}
	for _, k := range []string{"data_store legacy-mysql", "data_store public-assets", "data_store thumbnailer"} {
		p, ok := got[k]
		if !ok || p.Verdict != "proven" || len(p.Hops) != 1 || len(p.Hops[0].Proof) == 0 {
			t.Errorf("%s: %+v", k, p)
		}
	}
	// Through the api, the bucket and database rank above the stores the
	// internet reaches by itself: the entry adds a high CVE to the data.
	if got["workload db-prod api"].Score <= got["data_store legacy-mysql"].Score {
		t.Errorf("db-prod via api %.1f, legacy-mysql public %.1f", got["workload db-prod api"].Score, got["data_store legacy-mysql"].Score)
	}
	table := c.ok("paths", "--aws", snap, "--scan-results", files[0], "--scan-results", files[1])
	if !strings.Contains(table, "internet → ") || !strings.Contains(table, "path(s): ") {
		t.Errorf("table:\n%s", table)
	}
}

// TestAssessRoleNotObtainable: a task role whose trust policy does not
// admit ECS tasks gives the task nothing: the bucket leaves the data
// behind it (the database, reached over the network, stays) and the row
// says why.
func TestAssessRoleNotObtainable(t *testing.T) {
	c, snap, files := dataEstate(t)
	p := filepath.Join(snap, "111122223333", "global", "iam", "get-account-authorization-details.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// Only the api-task role's trust changes (it comes first in the file).
	s := strings.Replace(string(b), `"ecs-tasks.amazonaws.com"`, `"lambda.amazonaws.com"`, 1)
	if s == string(b) {
		t.Fatal("trust policy not found")
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := decodeAssess(t, c.ok("assess", "--aws", snap, "--scan-results", files[0], "--scan-results", files[1], "--format", "json"))
	if got := strings.Join(rep.Coverage.RolesNotObtained, "\n"); !strings.HasPrefix(got, "service prod/api (task 1c4d5e6f): role api-task is named but cannot be obtained") {
		t.Errorf("coverage.roles_not_obtained %q", got)
	}
	for _, r := range rep.Risks {
		if !strings.Contains(r.Image.Ref, "/shop/api:") {
			continue
		}
		var names []string
		for _, a := range r.DataBehind {
			names = append(names, a.Name+" "+a.Via)
		}
		if strings.Join(names, ",") != "db-prod network" || r.ScoreParts.Data != risk.Weights.DataStore {
			t.Errorf("%s: data behind %v (%.1f)", r.ID, names, r.ScoreParts.Data)
		}
		if !strings.Contains(strings.Join(r.Reasons, "\n"), "role api-task is named but cannot be obtained") {
			t.Errorf("%s: reasons %q", r.ID, r.Reasons)
		}
		return
	}
	t.Fatal("no row for the api image")
}

// TestDataBehindMissingInterface: when the database's interface is not in
// the snapshot, the api's network path to it is unknown (named), not left
// out; a public EKS endpoint is a data-store path of its own.
func TestDataBehindMissingInterface(t *testing.T) {
	c, snap, files := dataEstate(t)
	reg := filepath.Join(snap, "111122223333", "eu-west-1")
	p := filepath.Join(reg, "ec2", "describe-network-interfaces.json")
	var doc struct{ NetworkInterfaces []map[string]any }
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var kept []map[string]any
	for _, e := range doc.NetworkInterfaces {
		if e["NetworkInterfaceId"] != "eni-0rdsprod" {
			kept = append(kept, e)
		}
	}
	doc.NetworkInterfaces = kept
	write := func(path string, v any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(p, doc)
	// The EKS API reference's describe-cluster shape, public to the world.
	write(filepath.Join(reg, "eks", "list-clusters.json"), map[string]any{"clusters": []string{"prod-eks"}})
	write(filepath.Join(reg, "eks", "describe-cluster", "prod-eks.json"), map[string]any{"cluster": map[string]any{
		"name": "prod-eks", "arn": "arn:aws:eks:eu-west-1:111122223333:cluster/prod-eks", "status": "ACTIVE",
		"endpoint": "https://0F1E2D3C4B5A69788796A5B4C3D2E1F0.gr7.eu-west-1.eks.amazonaws.com",
		"resourcesVpcConfig": map[string]any{"subnetIds": []string{"subnet-0prv1a"}, "vpcId": "vpc-0a1b2c3d4e5f60001",
			"endpointPublicAccess": true, "endpointPrivateAccess": true, "publicAccessCidrs": []string{"0.0.0.0/0"}}}})
	out, stderr, code := c.run("paths", "--aws", snap, "--scan-results", files[0], "--scan-results", files[1], "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var pr risk.PathReport
	if err := json.Unmarshal([]byte(out), &pr); err != nil {
		t.Fatal(err)
	}
	var db, eks *risk.AttackPath
	for i := range pr.Paths {
		switch pr.Paths[i].Store.Name {
		case "db-prod":
			if strings.Contains(pr.Paths[i].Image, "/resizer:") {
				// db-prod's own description names sg-0db, which admits
				// only the api's group: blocked for certain, not unknown.
				t.Errorf("resizer → db-prod listed: %+v", pr.Paths[i].Hops)
				continue
			}
			db = &pr.Paths[i]
		case "prod-eks":
			eks = &pr.Paths[i]
		}
	}
	if db == nil || db.Verdict != "unknown" || db.Hops[1].Verdict != risk.DataUnknown ||
		!strings.Contains(strings.Join(db.Hops[1].Missing, "\n"), "no network interface in ec2/describe-network-interfaces.json matches") {
		t.Errorf("db-prod path: %+v", db)
	}
	if eks == nil || eks.Kind != risk.PathStore || eks.Verdict != "proven" || !strings.Contains(eks.Hops[0].Detail, "answers 0.0.0.0/0") {
		t.Errorf("EKS path: %+v", eks)
	}
}

// TestDataBehindSnapshotSubdirs: --aws may name one account's directory
// (IAM and S3 under its global directory are read) or one region's (S3,
// listed under global, is then said to be unknown, not absent).
func TestDataBehindSnapshotSubdirs(t *testing.T) {
	c, snap, files := dataEstate(t)
	acct := decodeAssess(t, c.ok("assess", "--aws", filepath.Join(snap, "111122223333"), "--scan-results", files[0], "--scan-results", files[1], "--format", "json"))
	if acct.Coverage.Identity != "IAM evaluated for 2 workload role(s)" || !strings.HasPrefix(acct.Coverage.DataStores, "5 data store(s) read") {
		t.Errorf("account directory: identity %q, data stores %q", acct.Coverage.Identity, acct.Coverage.DataStores)
	}
	reg := decodeAssess(t, c.ok("assess", "--aws", filepath.Join(snap, "111122223333", "eu-west-1"), "--scan-results", files[0], "--scan-results", files[1], "--format", "json"))
	if reg.Coverage.Identity != "IAM evaluated for 2 workload role(s)" || !reg.Coverage.DataStoresIncomplete ||
		!strings.Contains(strings.Join(reg.Coverage.DataStoresMissing, "\n"), "the snapshot read has no global region directory") {
		t.Errorf("region directory: identity %q, data stores %q %q", reg.Coverage.Identity, reg.Coverage.DataStores, reg.Coverage.DataStoresMissing)
	}
}

// TestDataBehindStoreWithoutPort: a DB instance whose description has no
// endpoint (port unknown) is an unknown store and an unknown network
// path, not a store quietly left with no path.
func TestDataBehindStoreWithoutPort(t *testing.T) {
	c, snap, files := dataEstate(t)
	p := filepath.Join(snap, "111122223333", "eu-west-1", "rds", "describe-db-instances.json")
	var doc struct{ DBInstances []map[string]any }
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, db := range doc.DBInstances {
		if db["DBInstanceIdentifier"] == "db-prod" {
			delete(db, "Endpoint")
		}
	}
	if b, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var pr risk.PathReport
	if err := json.Unmarshal([]byte(c.ok("paths", "--aws", snap, "--scan-results", files[0], "--scan-results", files[1], "--format", "json")), &pr); err != nil {
		t.Fatal(err)
	}
	unknown := false
	for _, s := range pr.Coverage.StoresUnknown {
		unknown = unknown || s.Name == "db-prod" && strings.Contains(strings.Join(s.Missing, "\n"), "port is not in the data")
	}
	found := false
	for _, p := range pr.Paths {
		if p.Store.Name == "db-prod" && strings.Contains(p.Image, "/api:") {
			found = p.Verdict == "unknown" && strings.Contains(p.Hops[1].Detail, "its port is not in the data")
		}
	}
	if !unknown || !found {
		t.Errorf("db-prod without a port: stores_unknown %v, unknown api path %v", unknown, found)
	}
}
