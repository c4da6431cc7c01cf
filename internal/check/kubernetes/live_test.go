package kubernetes

import (
	"context"
	"sort"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sightline-sec/sightline/internal/kubetest"
	"github.com/sightline-sec/sightline/internal/workload/kube"
	"github.com/sightline-sec/sightline/internal/workload/kube/live"
)

// TestReadClusterGoat: the kubernetes-goat workloads are created on a real
// kube-apiserver (which defaults and stores them), listed back with
// ReadCluster, and the rules find the privileged containers and the
// runtime-socket mounts on the objects as the cluster holds them.
func TestReadClusterGoat(t *testing.T) {
	srv := kubetest.StartT(t, kubetest.Options{})
	ctx := context.Background()
	objs, err := kube.LoadManifests(ctx, []string{goat}, kube.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range objs.Deployments {
		if _, err := cs.AppsV1().Deployments("default").Create(ctx, &d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range objs.DaemonSets {
		if _, err := cs.AppsV1().DaemonSets("default").Create(ctx, &d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	set, err := ReadCluster(ctx, live.Options{Config: srv.Config, Context: "goat"})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string][]string{}
	for _, f := range loadRules(t).Evaluate(ctx, set).Findings {
		if f.RuleID == "SL-K8S-PSS-003" || f.RuleID == "SL-K8S-001" {
			found[f.RuleID] = append(found[f.RuleID], f.Location.Resource)
		}
	}
	for _, v := range found {
		sort.Strings(v)
	}
	want := []string{
		"goat: default/DaemonSet/docker-bench-security",
		"goat: default/Deployment/health-check-deployment",
		"goat: default/Deployment/system-monitor-deployment",
	}
	for _, id := range []string{"SL-K8S-PSS-003", "SL-K8S-001"} {
		if !equalMaps(map[string][]string{id: found[id]}, map[string][]string{id: want}) {
			t.Errorf("%s found on %v, want %v (gaps %v)", id, found[id], want, set.Gaps)
		}
	}
}
