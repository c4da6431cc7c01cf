package iam

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const acct = "123456789012"

// loadCG reads a CloudGoat estate (testdata/cloudgoat/PROVENANCE.md) through
// the snapshot layout: <root>/<account>/global/iam/<FileName>.
func loadCG(t *testing.T, scenario string) *Estate {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "cloudgoat", scenario+".json"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	dir := filepath.Join(root, acct, "global", "iam")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := LoadSnapshot(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func findEsc(s Summary, id string) *Escalation {
	for i := range s.Escalations {
		if s.Escalations[i].Pattern == id {
			return &s.Escalations[i]
		}
	}
	return nil
}

func arn(kind, name string) string { return "arn:aws:iam::" + acct + ":" + kind + "/" + name }

func TestCloudGoatPrivescByAttachment(t *testing.T) {
	e := loadCG(t, "iam_privesc_by_attachment")
	// Intended path: kerrigan passes the mighty role to a new EC2 instance.
	s := e.Capabilities(arn("user", "kerrigan"))
	x := findEsc(s, "PassRole+EC2")
	mighty := arn("role", "cg-ec2-mighty-role-cgidtest")
	if x == nil || x.Outcome != Allowed || !contains(x.AdminTargets, mighty) {
		t.Fatalf("kerrigan PassRole+EC2: %+v", x)
	}
	if len(x.Proof) == 0 || x.Proof[0].Policy != "arn:aws:iam::"+acct+":policy/cg-kerrigan-policy" {
		t.Fatalf("proof %v", x.Proof)
	}
	if s.Admin.Outcome == Allowed {
		t.Fatalf("kerrigan is not admin itself: %+v", s.Admin)
	}
	// The mighty role is admin ("*" on "*"); the meek role denies everything.
	if v := e.Capabilities(mighty).Admin; v.Outcome != Allowed {
		t.Fatalf("mighty admin %+v", v)
	}
	meek := e.Capabilities(arn("role", "cg-ec2-meek-role-cgidtest"))
	if meek.Admin.Outcome != ExplicitDeny || len(meek.Escalations) != 0 || len(meek.Data) != 0 {
		t.Fatalf("meek: %+v", meek)
	}
}

func TestCloudGoatPrivescByRollback(t *testing.T) {
	e := loadCG(t, "iam_privesc_by_rollback")
	raynor := arn("user", "raynor-cgidtest")
	s := e.Capabilities(raynor)
	x := findEsc(s, "SetDefaultPolicyVersion")
	pol := "arn:aws:iam::" + acct + ":policy/cg-raynor-policy-cgidtest"
	if x == nil || x.Outcome != Allowed || !contains(x.Targets, pol) || !strings.Contains(x.Detail, pol+` v3 allows "*" on "*"`) {
		t.Fatalf("raynor rollback: %+v", x)
	}
	if x.Proof[0].Sid != "IAMPrivilegeEscalationByRollback" || x.Proof[0].Version != "v1" {
		t.Fatalf("proof %v", x.Proof)
	}
	// Only v1 is in force: not admin, no CreatePolicyVersion, no S3 reads (v5 is not default).
	if s.Admin.Outcome == Allowed || findEsc(s, "CreatePolicyVersion") != nil || len(s.Data) != 0 {
		t.Fatalf("raynor: %+v", s)
	}
	if len(e.Policies[pol].Versions) != 5 {
		t.Fatalf("versions %d", len(e.Policies[pol].Versions))
	}
}

func TestCloudGoatLambdaPrivesc(t *testing.T) {
	e := loadCG(t, "lambda_privesc")
	chris := arn("user", "chris-cgidtest")
	manager := arn("role", "cg-lambdaManager-role-cgidtest")
	debug := arn("role", "cg-debug-role-cgidtest")
	s := e.Capabilities(chris)
	x := findEsc(s, "AssumeRole")
	// chris may assume the manager role (its trust names chris) but not the
	// debug role (trusted by lambda.amazonaws.com only).
	if x == nil || len(x.Targets) != 1 || x.Targets[0] != manager {
		t.Fatalf("chris AssumeRole: %+v", x)
	}
	if d := e.Evaluate(chris, "sts:AssumeRole", debug); d.Outcome != ImplicitDeny {
		t.Fatalf("chris → debug: %+v", d)
	}
	m := e.Capabilities(manager)
	y := findEsc(m, "PassRole+Lambda")
	if y == nil || y.Outcome != Allowed || !contains(y.AdminTargets, debug) || y.Proof[0].Sid != "lambdaManager" {
		t.Fatalf("manager PassRole+Lambda: %+v", y)
	}
	if findEsc(s, "PassRole+Lambda") != nil {
		t.Fatal("chris himself cannot create functions")
	}
	if e.Capabilities(debug).Admin.Outcome != Allowed {
		t.Fatal("debug role has AdministratorAccess")
	}
}

func TestCloudGoatPrivescByEC2(t *testing.T) {
	e := loadCG(t, "iam_privesc_by_ec2")
	dev := arn("user", "cg_dev_user_cgidtest")
	mgmt := arn("role", "cg_ec2_management_role_cgidtest")
	adminRole := arn("role", "cg_ec2_role_cgidtest")
	s := e.Capabilities(dev)
	x := findEsc(s, "AssumeRole")
	if x == nil || !contains(x.Targets, mgmt) {
		t.Fatalf("dev AssumeRole: %+v", x)
	}
	// ReadOnlyAccess is not in the snapshot: the user's other answers are unknown, not "denied".
	if len(s.Missing) != 1 || e.Evaluate(dev, "s3:GetObject", "arn:aws:s3:::b/k").Outcome != Unknown {
		t.Fatalf("dev missing: %v", s.Missing)
	}
	if d := e.Evaluate(dev, "ec2:DeleteTags", "*"); d.Outcome != Unknown || len(d.Proof) == 0 {
		t.Fatalf("dev DeleteTags: %+v", d)
	}
	// The management role may change an instance's user data, unless the
	// instance is tagged cg_admin_ec2_…: conditional on aws:ResourceTag/Name.
	m := e.Capabilities(mgmt)
	y := findEsc(m, "ModifyInstanceUserData")
	if y == nil || y.Outcome != Conditional || !contains(y.AdminTargets, adminRole) {
		t.Fatalf("mgmt user data: %+v", y)
	}
	if keys := y.Proof[0].ConditionKeys; len(keys) != 1 || keys[0] != "aws:ResourceTag/Name" {
		t.Fatalf("keys %v", keys)
	}
	// The admin role itself escalates nowhere new but is admin.
	if e.Capabilities(adminRole).Admin.Outcome != Allowed {
		t.Fatal("admin role")
	}
}
