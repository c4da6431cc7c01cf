package kubetest

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestStart starts the real pair, checks the admin can write and a plain
// user is denied by RBAC, then that Stop ends both processes.
func TestStart(t *testing.T) {
	s := StartT(t, Options{Users: []string{"nobody"}})
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(s.Config)
	v, err := cs.Discovery().ServerVersion()
	if err != nil || v.GitVersion != Version {
		t.Fatalf("server version %v, %v; want %s", v, err, Version)
	}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "t"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("admin create: %v", err)
	}
	_, err = kubernetes.NewForConfigOrDie(s.ConfigFor("nobody")).CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err == nil || !strings.Contains(err.Error(), `User "nobody" cannot list resource "pods"`) {
		t.Errorf("nobody listing pods: %v, want an RBAC denial", err)
	}
	if s.ConfigFor("someone-else") != nil {
		t.Errorf("ConfigFor an unknown user is not nil")
	}
	s.Stop()
	for _, p := range s.procs {
		if !p.exited() {
			t.Errorf("%s still running after Stop", p.name)
		}
	}
	if _, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); err == nil {
		t.Errorf("server still answers after Stop")
	}
}

// TestMissingBinaries: without the binaries Start fails (never skips) and
// says how to get them.
func TestMissingBinaries(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ETCD_BIN", filepath.Join(dir, "etcd"))
	t.Setenv("KUBE_APISERVER_BIN", filepath.Join(dir, "kube-apiserver"))
	_, err := Start(Options{})
	if err == nil {
		t.Fatal("Start succeeded without binaries")
	}
	for _, want := range []string{"apt-get install -y etcd-server", "tools/kube-apiserver/build.sh"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
