package live

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
)

// TestDocumentedClusterRole binds the ClusterRole printed in
// docs/workloads-kubernetes-live.md to a user: Collect must then read
// everything (no gap), so the documented grant is exactly enough.
func TestDocumentedClusterRole(t *testing.T) {
	shop(t)
	role := documentedClusterRole(t)
	role.Name = "reader"
	bindClusterRole(t, "reader", role)
	objs := collect(t, Options{Config: srv.ConfigFor("reader"), Context: "reader"})
	if len(objs.Gaps) != 0 {
		t.Errorf("the documented ClusterRole leaves gaps: %+v", objs.Gaps)
	}
	if len(objs.Pods) == 0 || len(objs.Nodes) == 0 || len(objs.NetworkPolicies) == 0 || objs.Enforcement != Enforced {
		t.Errorf("reader got %d pods, %d nodes, %d policies, enforcement %q", len(objs.Pods), len(objs.Nodes), len(objs.NetworkPolicies), objs.Enforcement)
	}
}

// TestViewClusterRole checks the doc's claim that the built-in view
// ClusterRole lacks only Nodes. view is an aggregated role that the
// controller-manager fills from system:aggregate-to-view (no
// controller-manager runs here), so the test binds the latter, which holds
// the same rules.
func TestViewClusterRole(t *testing.T) {
	shop(t)
	bindClusterRole(t, "viewer", &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "system:aggregate-to-view"}})
	objs := collect(t, Options{Config: srv.ConfigFor("viewer"), Context: "viewer"})
	if len(objs.Gaps) != 1 || objs.Gaps[0].What != "list nodes" {
		t.Errorf("view: gaps %+v, want only list nodes", objs.Gaps)
	}
}

// documentedClusterRole is the first YAML document of the doc's first
// ```yaml block.
func documentedClusterRole(t *testing.T) *rbacv1.ClusterRole {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "docs", "workloads-kubernetes-live.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(doc), "```yaml\n")
	if ok {
		block, _, ok = strings.Cut(block, "```")
	}
	if !ok {
		t.Fatal("no ```yaml block in the doc")
	}
	var role rbacv1.ClusterRole
	if err := yaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(block)), 4096).Decode(&role); err != nil {
		t.Fatalf("doc ClusterRole: %v", err)
	}
	if role.Kind != "ClusterRole" || len(role.Rules) == 0 {
		t.Fatalf("doc's first YAML document is %s with %d rules, want the ClusterRole", role.Kind, len(role.Rules))
	}
	for _, r := range role.Rules {
		for _, v := range r.Verbs {
			if v != "list" {
				t.Errorf("documented rule %v grants %q: only list is needed", r.Resources, v)
			}
		}
	}
	return &role
}

// bindClusterRole creates role (unless it is built in, i.e. has no rules)
// and binds it to user cluster-wide, then waits for RBAC to see it.
func bindClusterRole(t *testing.T, user string, role *rbacv1.ClusterRole) {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(srv.Config)
	ctx := context.Background()
	if len(role.Rules) > 0 {
		role.ResourceVersion = ""
		if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user + "-" + role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitAllowed(t, user)
}
