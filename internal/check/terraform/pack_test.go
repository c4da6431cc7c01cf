package terraform

import (
	"context"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/check/rules"
)

// The built-in AWS pack (rules/builtin/aws.yaml) on real Terraform and
// plans: each rule with a positive and a negative case.

func evaluate(t *testing.T, set check.Set) rules.Result {
	t.Helper()
	rs, err := rules.Load(context.Background(), rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rs.Evaluate(context.Background(), set)
}

func findings(res rules.Result, id, object string) []rules.Finding {
	var out []rules.Finding
	for _, f := range res.Findings {
		if f.RuleID == id && f.Object == object {
			out = append(out, f)
		}
	}
	return out
}

func unknowns(res rules.Result, id, object string) []rules.Unknown {
	var out []rules.Unknown
	for _, u := range res.Unknown {
		if u.RuleID == id && u.Object == object {
			out = append(out, u)
		}
	}
	return out
}

func planSet(t *testing.T, path string) check.Set {
	t.Helper()
	set, err := LoadPlan(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// Done-when of issue 10: the open administrative port in real Terraform,
// with the proof path; a whitelisted port is not reported; an unknown
// whitelist is UNKNOWN, never a pass.
func TestPackAdminPortCloudGoat(t *testing.T) {
	res := evaluate(t, load(t, cloudgoat, "testdata/handwritten/vars-open.tfvars"))
	fs := findings(res, "SL-AWS-001", instance)
	if len(fs) != 1 {
		t.Fatalf("SL-AWS-001 findings = %+v", fs)
	}
	f := fs[0]
	if !strings.Contains(f.Message, "tcp 22 reachable from the internet (0.0.0.0/0, wide)") || f.Location.Line != 96 ||
		!strings.HasSuffix(f.Location.File, "ec2.tf") || f.Severity != "critical" || !strings.Contains(f.Standard, "EC2.53") {
		t.Errorf("finding = %+v", f)
	}
	proof := strings.Join(f.Proof, "\n")
	for _, want := range []string{"internet_gateway aws_internet_gateway.cg-internet-gateway", "aws_security_group.cg-ec2-ssh-security-group allows tcp 22 from 0.0.0.0/0"} {
		if !strings.Contains(proof, want) {
			t.Errorf("proof lacks %q:\n%s", want, proof)
		}
	}

	// The same instance's root volume does not ask for encryption.
	if fs := findings(res, "SL-AWS-011", instance); len(fs) != 1 || fs[0].Path != "root_block_device" || fs[0].Location.Line != 109 {
		t.Errorf("SL-AWS-011 = %+v", fs)
	}
	res = evaluate(t, load(t, cloudgoat, "testdata/handwritten/vars-whitelist.tfvars"))
	if fs := findings(res, "SL-AWS-001", instance); len(fs) != 0 {
		t.Errorf("whitelisted SSH reported: %+v", fs)
	}
	res = evaluate(t, load(t, cloudgoat))
	if fs, us := findings(res, "SL-AWS-001", instance), unknowns(res, "SL-AWS-001", instance); len(fs) != 0 || len(us) != 1 {
		t.Errorf("unknown whitelist: findings %+v unknown %+v, want one UNKNOWN", fs, us)
	}
}

// The TerraGoat plan: SSH open to the world on both instances (positive),
// the publicly accessible unencrypted database, the mutable ECR
// repository without scanning, the public EKS endpoint.
func TestPackCheckovPlan(t *testing.T) {
	res := evaluate(t, planSet(t, "testdata/plans/checkov-runner-plan.json"))
	for _, c := range []struct{ id, object string }{
		{"SL-AWS-001", "aws_instance.web_host"},
		{"SL-AWS-010", "aws_instance.web_host"},
		{"SL-AWS-011", "aws_ebs_volume.web_host_storage"},
		{"SL-AWS-012", "aws_db_instance.default"},
		{"SL-AWS-014", "aws_ecr_repository.repository"},
		{"SL-AWS-015", "aws_ecr_repository.repository"},
		{"SL-AWS-016", "aws_eks_cluster.eks_cluster"},
	} {
		if fs := findings(res, c.id, c.object); len(fs) == 0 {
			t.Errorf("%s on %s: no finding (unknown %+v)", c.id, c.object, unknowns(res, c.id, c.object))
		}
	}
	// Port 80 is open too, but it is not an administrative port; no
	// database port is open on the instances.
	for _, f := range findings(res, "SL-AWS-001", "aws_instance.web_host") {
		if strings.Contains(f.Message, "80") {
			t.Errorf("port 80 reported as administrative: %s", f.Message)
		}
	}
	if fs := findings(res, "SL-AWS-002", "aws_instance.web_host"); len(fs) != 0 {
		t.Errorf("SL-AWS-002 = %+v", fs)
	}
}

// Negatives from real configurations: IMDSv2 required
// (secrets_in_the_cloud), an encrypted, private database (glue_privesc).
func TestPackNegatives(t *testing.T) {
	res := evaluate(t, load(t, "testdata/cloudgoat/secrets_in_the_cloud"))
	n := 0
	for _, o := range load(t, "testdata/cloudgoat/secrets_in_the_cloud").Objects {
		if o.Type == "aws_instance" {
			n++
			if fs := findings(res, "SL-AWS-010", o.Name); len(fs) != 0 {
				t.Errorf("IMDSv2 required, still reported: %+v", fs)
			}
			// No root_block_device: the root volume's encryption is the
			// AMI's or the account default's, never asked for (as
			// checkov's CKV_AWS_8 also reports).
			if fs := findings(res, "SL-AWS-011", o.Name); len(fs) != 1 || !strings.Contains(fs[0].Message, "no root_block_device") {
				t.Errorf("instance without root_block_device: SL-AWS-011 = %+v", fs)
			}
		}
	}
	if n == 0 {
		t.Fatal("no instance in secrets_in_the_cloud")
	}
	res = evaluate(t, load(t, "testdata/cloudgoat/glue_privesc"))
	var dbs []string
	for _, f := range res.Findings {
		if f.RuleID == "SL-AWS-012" || f.RuleID == "SL-AWS-003" {
			dbs = append(dbs, f.RuleID+" "+f.Object)
		}
	}
	if len(dbs) != 0 {
		t.Errorf("encrypted private database reported: %v", dbs)
	}
	found := false
	for _, o := range load(t, "testdata/cloudgoat/glue_privesc").Objects {
		if o.Type == "aws_db_instance" {
			found = true
		}
	}
	if !found {
		t.Fatal("no aws_db_instance in glue_privesc")
	}
}

// S3 buckets: linked to their public access blocks across modules through
// the plan's configuration references (all four settings on: clean); a
// block whose bucket is a conditional the plan cannot resolve leaves its
// bucket UNKNOWN; a bucket without any block (trivy's plan) is reported.
func TestPackS3PublicAccessBlock(t *testing.T) {
	set := planSet(t, "testdata/plans/checkov-nested-modules-connections.json")
	res := evaluate(t, set)
	for _, b := range []string{"aws_s3_bucket.root_bucket", "module.s3_module.aws_s3_bucket.module_bucket", "module.s3_module.module.s3_submodule.aws_s3_bucket.submodule_bucket"} {
		if fs, us := findings(res, "SL-AWS-013", b), unknowns(res, "SL-AWS-013", b); len(fs)+len(us) != 0 {
			t.Errorf("%s: findings %+v unknown %+v, want clean", b, fs, us)
		}
	}
	if us := unknowns(res, "SL-AWS-013", "module.s3_bucket.aws_s3_bucket.this[0]"); len(us) != 1 {
		t.Errorf("module.s3_bucket bucket: unknown %+v, want UNKNOWN", us)
	}
	res = evaluate(t, planSet(t, "testdata/plans/trivy-plan.json"))
	if fs := findings(res, "SL-AWS-013", "aws_s3_bucket.planbucket"); len(fs) != 1 || !strings.Contains(fs[0].Message, "no aws_s3_bucket_public_access_block") {
		t.Errorf("trivy bucket: %+v", fs)
	}
}

// A row whose verdict is unknown (the 443 rule's CIDR is an unset
// variable) does not hide the ports that are exposed for sure.
func TestPackExposedNextToUnknown(t *testing.T) {
	res := evaluate(t, load(t, "testdata/handwritten/features"))
	fs := findings(res, "SL-AWS-001", `aws_instance.web["b"]`)
	if len(fs) == 0 {
		t.Fatalf("no SL-AWS-001 finding; unknown %+v", unknowns(res, "SL-AWS-001", `aws_instance.web["b"]`))
	}
	if fs := findings(res, "SL-AWS-010", `aws_instance.web["a"]`); len(fs) != 0 {
		t.Errorf("http_tokens required reported: %+v", fs)
	}
	if fs := findings(res, "SL-AWS-010", `aws_instance.web["b"]`); len(fs) != 1 {
		t.Errorf("http_tokens optional: %+v", fs)
	}
}

// A publicly accessible database: reported when the engine finds a path
// (hand-written: security group open on 5432, public subnets), not when
// its security group admits only the VPC (TerraGoat's plan: publicly
// accessible, yet unreachable — a flag check would report it).
func TestPackDatabaseReachable(t *testing.T) {
	res := evaluate(t, load(t, "testdata/handwritten/features"))
	fs := findings(res, "SL-AWS-003", "aws_db_instance.pg")
	if len(fs) != 2 || !strings.Contains(fs[0].Message, "database port 5432 reachable from the internet (0.0.0.0/0, wide)") {
		t.Fatalf("SL-AWS-003 = %+v", fs)
	}
	if fs := findings(res, "SL-AWS-012", "aws_db_instance.pg"); len(fs) != 0 {
		t.Errorf("encrypted storage reported: %+v", fs)
	}
	res = evaluate(t, planSet(t, "testdata/plans/checkov-runner-plan.json"))
	if fs, us := findings(res, "SL-AWS-003", "aws_db_instance.default"), unknowns(res, "SL-AWS-003", "aws_db_instance.default"); len(fs)+len(us) != 0 {
		t.Errorf("TerraGoat database: findings %+v unknown %+v, want neither", fs, us)
	}
}

// The load balancer's listener is exposed; the instance behind it is
// reached only through it, and its security group does not admit the
// target port from the load balancer.
func TestLoadBalancerExposure(t *testing.T) {
	set := load(t, "testdata/handwritten/features")
	if r := row(t, object(t, set, "aws_lb.web"), "tcp", 80); r["verdict"] != "exposed" || r["width"] != "wide" {
		t.Errorf("listener row = %v", r)
	}
	var via map[string]any
	for _, x := range object(t, set, `aws_instance.web["a"]`).Vars["exposure"].([]any) {
		if m := x.(map[string]any); m["via"] == "aws_lb.web" {
			via = m
		}
	}
	if via == nil || via["verdict"] != "not_exposed" || via["from_port"] != int64(8080) {
		t.Errorf("instance via load balancer = %v", via)
	}
}

// glue_privesc associates its subnets with route tables through for_each
// over a map of subnet ids: the instance's public subnet routes to the
// internet gateway, so SSH is reported (before the values of a for_each
// map kept their references, the subnet fell back to the main table and
// the port read as not exposed).
func TestPackForEachAssociations(t *testing.T) {
	set := load(t, "testdata/cloudgoat/glue_privesc", "testdata/handwritten/vars-open.tfvars")
	o := object(t, set, "aws_instance.linux_ec2")
	if r := row(t, o, "tcp", 22); r["verdict"] != "exposed" || !anyContains(r["proof"], "route_table aws_route_table.public_subnet") {
		t.Fatalf("tcp/22 = %v %v %v", r["verdict"], r["proof"], r["blocked_by"])
	}
	if fs := findings(evaluate(t, set), "SL-AWS-001", "aws_instance.linux_ec2"); len(fs) != 1 {
		t.Errorf("SL-AWS-001 = %+v", fs)
	}
}

// TerraGoat's classic ELB: port 80 open to the internet; the instance
// behind it on 8000 is not reached, its security group admitting only 22
// and 80 — a verdict that holds whatever private address it gets.
func TestClassicLoadBalancerPlan(t *testing.T) {
	set := planSet(t, "testdata/plans/checkov-runner-plan.json")
	if r := row(t, object(t, set, "aws_elb.weblb"), "tcp", 80); r["verdict"] != "exposed" {
		t.Errorf("elb row = %v", r)
	}
	var via map[string]any
	for _, x := range object(t, set, "aws_instance.web_host").Vars["exposure"].([]any) {
		if m := x.(map[string]any); m["via"] == "aws_elb.weblb" {
			via = m
		}
	}
	if via == nil || via["verdict"] != "not_exposed" || !strings.Contains(via["blocked_by"].(string), "security_group aws_security_group.web-node") {
		t.Errorf("instance via elb = %v", via)
	}
}
