package terraform

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/check"
)

func load(t *testing.T, dir string, varFiles ...string) check.Set {
	t.Helper()
	set, err := LoadDir(context.Background(), dir, Options{VarFiles: varFiles})
	if err != nil {
		t.Fatalf("LoadDir(%s): %v", dir, err)
	}
	return set
}

func object(t *testing.T, set check.Set, name string) *check.Object {
	t.Helper()
	for i := range set.Objects {
		if set.Objects[i].Name == name {
			return &set.Objects[i]
		}
	}
	var names []string
	for _, o := range set.Objects {
		names = append(names, o.Name)
	}
	t.Fatalf("no object %s; have %v", name, names)
	return nil
}

// row returns the exposure row of o covering proto/port.
func row(t *testing.T, o *check.Object, proto string, port int64) map[string]any {
	t.Helper()
	rows, _ := o.Vars["exposure"].([]any)
	for _, r := range rows {
		m := r.(map[string]any)
		if m["protocol"] == proto && m["from_port"].(int64) <= port && port <= m["to_port"].(int64) && m["resource_type"] != "region" {
			return m
		}
	}
	t.Fatalf("%s: no exposure row for %s/%d in %v", o.Name, proto, port, rows)
	return nil
}

func anyContains(list any, sub string) bool {
	l, _ := list.([]any)
	for _, x := range l {
		if s, _ := x.(string); strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

const cloudgoat = "testdata/cloudgoat/cloud_breach_s3"
const instance = "aws_instance.ec2-vulnerable-proxy-server"

// Without the scenario's variables the SSH whitelist is unknown: the
// verdicts are unknown and name the variable, never a pass.
func TestCloudGoatWhitelistUnknown(t *testing.T) {
	set := load(t, cloudgoat)
	o := object(t, set, instance)
	if o.Location.File != filepath.Join(cloudgoat, "ec2.tf") || o.Location.Line != 96 {
		t.Errorf("location = %+v, want ec2.tf:96", o.Location)
	}
	if o.Lines["root_block_device[0].volume_size"] != 111 {
		t.Errorf("line of root_block_device[0].volume_size = %d, want 111", o.Lines["root_block_device[0].volume_size"])
	}
	for _, p := range []string{"subnet_id", "vpc_security_group_ids[0]", "ami"} {
		if !slices.Contains(o.Unknown, p) {
			t.Errorf("Unknown %v lacks %s", o.Unknown, p)
		}
	}
	r := row(t, o, "tcp", 22)
	if r["verdict"] != "unknown" || !anyContains(r["missing"], "var.cg_whitelist has no value") {
		t.Errorf("tcp/22 = %v %v, want unknown naming var.cg_whitelist", r["verdict"], r["missing"])
	}
}

// With the whitelist opened to the internet (hand-written tfvars), SSH is
// exposed, with the proof through gateway, route, ACL and security group.
func TestCloudGoatSSHOpen(t *testing.T) {
	set := load(t, cloudgoat, "testdata/handwritten/vars-open.tfvars")
	o := object(t, set, instance)
	r := row(t, o, "tcp", 22)
	if r["verdict"] != "exposed" || r["width"] != "wide" {
		t.Fatalf("tcp/22 = %v width %v, want exposed wide; missing %v", r["verdict"], r["width"], r["missing"])
	}
	for _, hop := range []string{"internet_gateway aws_internet_gateway.cg-internet-gateway", "route_table aws_route_table.cg-public-subnet-route-table",
		"network_acl aws_vpc.cg-vpc#default-acl", "aws_security_group.cg-ec2-ssh-security-group allows tcp 22 from 0.0.0.0/0"} {
		if !anyContains(r["proof"], hop) {
			t.Errorf("proof lacks %q: %v", hop, r["proof"])
		}
	}
	if anyContains(r["proof"], "100.64.") {
		t.Errorf("placeholder address left in proof: %v", r["proof"])
	}
	if r := row(t, o, "tcp", 3389); r["verdict"] != "not_exposed" || r["blocked_by"] == "" {
		t.Errorf("tcp/3389 = %v blocked by %q, want not_exposed by the security groups", r["verdict"], r["blocked_by"])
	}
}

// A one-address whitelist is a narrow exposure.
func TestCloudGoatSSHWhitelisted(t *testing.T) {
	set := load(t, cloudgoat, "testdata/handwritten/vars-whitelist.tfvars")
	r := row(t, object(t, set, instance), "tcp", 22)
	if r["verdict"] != "exposed" || r["width"] != "narrow" || !anyContains(r["sources"], "1.2.3.4/32") {
		t.Errorf("tcp/22 = %v %v %v, want exposed narrow from 1.2.3.4/32", r["verdict"], r["width"], r["sources"])
	}
}

// Local modules nested two deep, dynamic blocks, count from locals and
// lookups: the terraform-aws-security-group examples.
func TestSecurityGroupModuleExamples(t *testing.T) {
	set := load(t, "testdata/terraform-aws-security-group/examples/dynamic")
	o := object(t, set, "module.http_sg.module.sg.aws_security_group_rule.ingress_rules[0]")
	if o.Data["type"] != "ingress" || o.Data["from_port"] != "80" || o.Data["protocol"] != "tcp" {
		t.Errorf("ingress rule = %v", o.Data)
	}
	if !strings.HasSuffix(o.Location.File, filepath.Join("terraform-aws-security-group", "main.tf")) {
		t.Errorf("location %v, want the module's main.tf", o.Location)
	}
	if why, _ := o.Vars["unknown"].(map[string]any)["security_group_id"].(string); !strings.Contains(why, "known after apply: module.http_sg.module.sg.aws_security_group.this_name_prefix[0].id") {
		t.Errorf("security_group_id reason = %q", why)
	}

	set = load(t, "testdata/terraform-aws-security-group/examples/complete")
	found := false
	for _, g := range set.Gaps {
		if strings.Contains(g.Reason, `module module.vpc not evaluated: remote source "terraform-aws-modules/vpc/aws"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("no gap for the registry module: %v", set.Gaps)
	}
	o = object(t, set, "module.main_sg.aws_security_group_rule.ingress_rules[0]")
	if o.Data["from_port"] != "443" || !slices.Equal(o.Data["cidr_blocks"].([]any), []any{"10.10.0.0/16"}) {
		t.Errorf("main_sg ingress rule = %v", o.Data)
	}
}

// The hand-written feature configuration: count, for_each, dynamic
// blocks, functions, unknown functions, unknown counts, inline ignores.
func TestFeatures(t *testing.T) {
	set := load(t, "testdata/handwritten/features")
	if o := object(t, set, "aws_subnet.public[1]"); o.Data["cidr_block"] != "10.20.1.0/24" {
		t.Errorf("cidrsubnet: %v", o.Data["cidr_block"])
	}
	a := object(t, set, `aws_instance.web["a"]`)
	b := object(t, set, `aws_instance.web["b"]`)
	tokens := func(o *check.Object) any {
		return o.Data["metadata_options"].([]any)[0].(map[string]any)["http_tokens"]
	}
	if tokens(a) != "required" || tokens(b) != "optional" {
		t.Errorf("each.key: %v %v", tokens(a), tokens(b))
	}
	if why := a.Vars["unknown"].(map[string]any)["user_data"].(string); !strings.Contains(why, "timestamp") {
		t.Errorf("user_data reason %q does not name the function", why)
	}
	if len(a.Ignores) != 1 || a.Ignores[0].RuleID != "SL-AWS-002" || a.Ignores[0].Line != 68 {
		t.Errorf("instance ignores = %+v", a.Ignores)
	}
	sg := object(t, set, "aws_security_group.admin")
	if len(sg.Ignores) != 1 || sg.Ignores[0].RuleID != "SL-AWS-001" || sg.Ignores[0].Reason != "bastion reached over SSH by design" {
		t.Errorf("sg ignores = %+v", sg.Ignores)
	}
	if n := len(sg.Data["ingress"].([]any)); n != 3 {
		t.Errorf("dynamic + static ingress blocks = %d, want 3", n)
	}
	if !slices.Contains(sg.Unknown, "ingress[2].cidr_blocks[0]") {
		t.Errorf("unknown %v lacks the unset variable's CIDR", sg.Unknown)
	}
	// RDP open through the local module's VPC and gateway; the unknown
	// CIDR of the 443 rule keeps 443 unknown, never not_exposed.
	if r := row(t, a, "tcp", 3389); r["verdict"] != "exposed" {
		t.Errorf("tcp/3389 = %v %v", r["verdict"], r["missing"])
	}
	if r := row(t, a, "tcp", 443); r["verdict"] != "unknown" || !anyContains(r["missing"], "var.secret_cidr") {
		t.Errorf("tcp/443 = %v %v, want unknown naming var.secret_cidr", r["verdict"], r["missing"])
	}
	object(t, set, "aws_ebs_volume.data[*]")
	var gaps []string
	for _, g := range set.Gaps {
		gaps = append(gaps, g.Reason)
	}
	joined := strings.Join(gaps, "\n")
	for _, want := range []string{`module module.remote not evaluated: remote source "terraform-aws-modules/vpc/aws"`, "count of aws_ebs_volume.data is unknown"} {
		if !strings.Contains(joined, want) {
			t.Errorf("gaps lack %q:\n%s", want, joined)
		}
	}
}

func TestMalformedNamesFileAndLine(t *testing.T) {
	dir := t.TempDir()
	src := "resource \"aws_instance\" \"x\" {\n  ami = \"a\"\n  tags = {\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "bad.tf"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadDir(context.Background(), dir, Options{})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "bad.tf")+":") {
		t.Fatalf("err = %v, want one naming bad.tf and a line", err)
	}
}

// The TerraGoat plan from checkov's tests: SSH open to the internet on a
// subnet that maps public addresses.
func TestPlanCheckov(t *testing.T) {
	set, err := LoadPlan(context.Background(), "testdata/plans/checkov-runner-plan.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := object(t, set, "aws_instance.web_host")
	if o.Location.Resource != "aws_instance.web_host" || o.Location.Line != 0 {
		t.Errorf("location = %+v", o.Location)
	}
	// Set in the configuration, known after apply: unknown. Computed by
	// the provider without a configured value: absent, listed as computed.
	if !slices.Contains(o.Unknown, "subnet_id") || !slices.Contains(o.Unknown, "vpc_security_group_ids[0]") || slices.Contains(o.Unknown, "id") {
		t.Errorf("unknown = %v", o.Unknown)
	}
	if _, ok := o.Data["id"]; ok || !slices.Contains(o.Vars["computed"].([]any), any("id")) {
		t.Errorf("id: data %v computed %v", o.Data["id"], o.Vars["computed"])
	}
	r := row(t, o, "tcp", 22)
	if r["verdict"] != "exposed" || !anyContains(r["proof"], "aws_security_group.web-node allows tcp 22 from 0.0.0.0/0") {
		t.Errorf("tcp/22 = %v %v %v", r["verdict"], r["proof"], r["missing"])
	}
	if r := row(t, o, "tcp", 3389); r["verdict"] != "not_exposed" {
		t.Errorf("tcp/3389 = %v", r["verdict"])
	}
}

func TestPlanEncodingsAndErrors(t *testing.T) {
	set, err := LoadPlan(context.Background(), "testdata/plans/checkov-tfplan_win_utf16.json", Options{})
	if err != nil {
		t.Fatalf("UTF-16 plan: %v", err)
	}
	if len(set.Objects) == 0 {
		t.Errorf("UTF-16 plan: no objects")
	}
	set, err = LoadPlan(context.Background(), "testdata/plans/trivy-plan.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if o := object(t, set, "aws_security_group.sg"); o.Type != "aws_security_group" || o.Vars["mode"] != "plan" {
		t.Errorf("sg = %+v", o)
	}
	_, err = ParsePlan(context.Background(), "x.json", []byte("{\n\"format_version\": \"1.0\",\n  bad"), Options{})
	if err == nil || !strings.Contains(err.Error(), "x.json: line 3") {
		t.Errorf("err = %v, want x.json: line 3", err)
	}
	if !IsPlan([]byte(`{"format_version":"1.2","planned_values":{}}`)) || IsPlan([]byte(`resource "a" "b" {}`)) {
		t.Error("IsPlan")
	}
}

// The Reader: .tf files grouped by directory, modules called by another
// directory not read as roots, plans by content, bad files as gaps.
func TestReader(t *testing.T) {
	r := &Reader{}
	if !r.Detect("x/main.tf", nil) || !r.Detect("p.json", []byte(`{"format_version":"1.1","terraform_version":"1.5.0","planned_values":{}}`)) || r.Detect("p.json", []byte(`{"a":1}`)) {
		t.Fatal("Detect")
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "main.tf"), []byte("resource \"a\" {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := r.Read(context.Background(), []string{
		"testdata/handwritten/features/main.tf",
		"testdata/handwritten/features/modules/net/main.tf",
		"testdata/plans/trivy-plan.json",
		filepath.Join(bad, "main.tf"),
	})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]int{}
	for _, o := range set.Objects {
		names[o.Name]++
	}
	if names["module.net.aws_vpc.this"] != 1 || names["aws_vpc.this"] != 0 || names["aws_s3_bucket.planbucket"] != 1 {
		t.Errorf("objects %v", names)
	}
	found := false
	for _, g := range set.Gaps {
		if strings.Contains(g.Reason, filepath.Join(bad, "main.tf")+":1") {
			found = true
		}
	}
	if !found {
		t.Errorf("no gap naming the bad file and line: %+v", set.Gaps)
	}
}

// for_each over a map whose keys are known and values are not expands
// into one instance per key, the values unknown.
func TestForEachKnownKeys(t *testing.T) {
	dir := t.TempDir()
	src := `# hand-written
variable "x" {}
resource "aws_ecr_repository" "r" {
  for_each = { api = var.x, web = "MUTABLE" }
  name                 = each.key
  image_tag_mutability = each.value
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	set := load(t, dir)
	api := object(t, set, `aws_ecr_repository.r["api"]`)
	web := object(t, set, `aws_ecr_repository.r["web"]`)
	if !slices.Contains(api.Unknown, "image_tag_mutability") || web.Data["image_tag_mutability"] != "MUTABLE" || api.Data["name"] != "api" {
		t.Errorf("api %v %v, web %v", api.Data, api.Unknown, web.Data)
	}
}

// Variable precedence: default < terraform.tfvars < *.auto.tfvars (lexical)
// < var files < -var values.
func TestVariablePrecedence(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"main.tf": `# hand-written
variable "a" { default = "default" }
variable "b" { default = "default" }
variable "c" { default = "default" }
variable "d" { default = "default" }
variable "e" { default = "default" }
variable "n" { type = number }
resource "aws_ecr_repository" "r" {
  name = join(",", [var.a, var.b, var.c, var.d, var.e, tostring(var.n + 1)])
}
`,
		"terraform.tfvars":     "b = \"tfvars\"\nc = \"tfvars\"\nd = \"tfvars\"\ne = \"tfvars\"\n",
		"x.auto.tfvars":        "c = \"auto-x\"\n",
		"y.auto.tfvars.json":   `{"c": "auto-y", "d": "auto-y"}`,
		"extra/given.tfvars":   "d = \"var-file\"\ne = \"var-file\"\n",
		"extra/ignored.tfvars": "a = \"never read\"\n",
	}
	for n, c := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, n)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := LoadDir(context.Background(), dir, Options{VarFiles: []string{filepath.Join(dir, "extra/given.tfvars")}, Vars: map[string]string{"e": "cli", "n": "41"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := object(t, set, "aws_ecr_repository.r").Data["name"]; got != "default,tfvars,auto-y,var-file,cli,42" {
		t.Errorf("name = %v", got)
	}
}

// Functions that could build unbounded values fail instead: the value is
// unknown, naming the bound.
func TestFunctionBounds(t *testing.T) {
	dir := t.TempDir()
	src := `# hand-written
resource "aws_ecr_repository" "r" {
  name        = format("%999999999d", 1)
  description = indent(99999999, "x\ny")
  size        = length(setproduct(range(1000), range(1000)))
  tags        = { c = format("%05d", 7) }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	o := object(t, load(t, dir), "aws_ecr_repository.r")
	reasons := o.Vars["unknown"].(map[string]any)
	for p, want := range map[string]string{"name": "format width", "description": "indent above", "size": "setproduct of more than"} {
		if why, _ := reasons[p].(string); !strings.Contains(why, want) {
			t.Errorf("%s: reason %q, want %q", p, why, want)
		}
	}
	if o.Data["tags"].(map[string]any)["c"] != "00007" {
		t.Errorf("format within bounds: %v", o.Data["tags"])
	}
}

// A route table association whose subnet is unknown may be any subnet's
// without an explicit association: their verdicts are unknown, not
// decided by the main table.
func TestUnknownAssociationSubnet(t *testing.T) {
	dir := t.TempDir()
	src := `# hand-written
variable "subnet" {}
resource "aws_vpc" "v" { cidr_block = "10.0.0.0/16" }
resource "aws_internet_gateway" "g" { vpc_id = aws_vpc.v.id }
resource "aws_subnet" "s" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_route_table" "public" {
  vpc_id = aws_vpc.v.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.g.id
  }
}
resource "aws_route_table_association" "a" {
  subnet_id      = var.subnet
  route_table_id = aws_route_table.public.id
}
resource "aws_security_group" "ssh" {
  vpc_id = aws_vpc.v.id
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_instance" "i" {
  subnet_id                   = aws_subnet.s.id
  associate_public_ip_address = true
  vpc_security_group_ids      = [aws_security_group.ssh.id]
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r := row(t, object(t, load(t, dir), "aws_instance.i"), "tcp", 22)
	if r["verdict"] != "unknown" || !anyContains(r["missing"], "aws_route_table_association.a associates aws_route_table.public with a subnet that is unknown") {
		t.Errorf("tcp/22 = %v %v", r["verdict"], r["missing"])
	}
}

// A plan that does not parse is a gap whose reason does not repeat the
// file its location names ("plan.json: plan.json: line 1: …").
func TestReaderPlanGapNamesFileOnce(t *testing.T) {
	p := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(p, []byte(`{"format_version": "1.2", "planned_values": {"root_module": `), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := (&Reader{}).Read(context.Background(), []string{p})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Gaps) != 1 || set.Gaps[0].Location.File != p || strings.Contains(set.Gaps[0].Reason, p) {
		t.Errorf("gaps %+v", set.Gaps)
	}
}

// A directory that calls itself, or directories that call each other in a
// cycle, are still read (with a gap for the cycle): they were excluded as
// "called by another directory" and nothing was read, without a gap.
func TestReaderModuleCyclesAreRead(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, src string) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	self := write("self/main.tf", "module \"self\" {\n  source = \"./\"\n}\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x\"\n}\n")
	a := write("a/main.tf", "module \"b\" {\n  source = \"../b\"\n}\nresource \"aws_s3_bucket\" \"a\" {\n  bucket = \"a\"\n}\n")
	b := write("b/main.tf", "module \"a\" {\n  source = \"../a\"\n}\n")
	for _, paths := range [][]string{{self}, {a, b}} {
		set, err := (&Reader{}).Read(context.Background(), paths)
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Objects) == 0 || len(set.Gaps) == 0 {
			t.Errorf("%v: objects %d, gaps %+v; want the bucket read and the cycle a gap", paths, len(set.Objects), set.Gaps)
		}
	}
}

// A .tf.json file is a gap, as documented, not a file skipped without a
// trace: Detect takes it and its directory names it.
func TestReaderTFJSONIsAGap(t *testing.T) {
	p := filepath.Join(t.TempDir(), "main.tf.json")
	if err := os.WriteFile(p, []byte(`{"resource": {"aws_s3_bucket": {"b": {"bucket": "x"}}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &Reader{}
	if !r.Detect(p, []byte(`{"resource": {}}`)) {
		t.Fatal("Detect refused main.tf.json")
	}
	set, err := r.Read(context.Background(), []string{p})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Gaps) != 1 || !strings.Contains(set.Gaps[0].Reason, ".tf.json") {
		t.Errorf("gaps %+v", set.Gaps)
	}
}
