package live

import (
	"fmt"
	"os"
	"testing"

	"github.com/sightline-sec/sightline/internal/kubetest"
)

// srv is the real etcd + kube-apiserver every test of this package talks
// to, started once per test binary. Users (each test grants its own):
// restricted (a Role that lists pods in one namespace), partial
// (namespaces and DaemonSets cluster-wide, pods in one namespace), reader
// (the ClusterRole of the docs), viewer (the rules of the view role).
var srv *kubetest.Server

func TestMain(m *testing.M) {
	s, err := kubetest.Start(kubetest.Options{
		Users: []string{"restricted", "partial", "reader", "viewer"},
		Logf:  func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) },
	})
	if err != nil {
		// Fail, never skip: the live tests are the point of this package.
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	srv = s
	code := m.Run()
	srv.Stop()
	os.Exit(code)
}
