package live

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/sightline-sec/sightline/internal/kubetest"
)

// TestCollectExpiredContinue makes the API server expire a continue token
// for real: its own server compacts etcd every second and has no watch
// cache (which would serve page two from its own snapshot), and the client
// waits (after a write) before asking for page two. The server answers
// 410 Gone; Collect lists again from the start and returns every pod once.
// The same server does not serve NetworkPolicies and Ingresses (as a
// cluster without those APIs): their lists are gaps with the server's 404
// message.
func TestCollectExpiredContinue(t *testing.T) {
	s := kubetest.StartT(t, kubetest.Options{APIServerArgs: []string{
		"--etcd-compaction-interval=1s", "--watch-cache=false", "--runtime-config=networking.k8s.io/v1/networkpolicies=false,networking.k8s.io/v1/ingresses=false"}})
	ctx := context.Background()
	admin := kubernetes.NewForConfigOrDie(s.Config)
	const n = 600 // two pages of 500
	if err := createPods(ctx, admin, "default", n); err != nil {
		t.Fatal(err)
	}

	cfg := rest.CopyConfig(s.Config)
	var once sync.Once
	delayed := false
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripper(func(r *http.Request) (*http.Response, error) {
			if strings.HasSuffix(r.URL.Path, "/pods") && r.URL.Query().Get("continue") != "" {
				once.Do(func() {
					delayed = true
					// A write moves the revision on; two compaction
					// intervals later the token's revision is compacted.
					_, err := admin.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "late"},
						Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
					if err != nil {
						t.Errorf("late pod: %v", err)
					}
					time.Sleep(3500 * time.Millisecond)
				})
			}
			return rt.RoundTrip(r)
		})
	}
	var logs []string
	var mu sync.Mutex
	objs := collect(t, Options{Config: cfg, Logf: func(f string, a ...any) {
		mu.Lock()
		logs = append(logs, fmt.Sprintf(f, a...))
		mu.Unlock()
	}})
	if !delayed {
		t.Fatal("the pod list had no second page")
	}
	restarted := false
	for _, l := range logs {
		restarted = restarted || strings.Contains(l, "continue token expired")
	}
	if !restarted {
		t.Errorf("no restart logged (the token did not expire?): %v", logs)
	}
	seen := map[string]int{}
	for _, p := range objs.Pods {
		seen[p.Name]++
	}
	if len(seen) != n+1 || seen["late"] != 1 {
		t.Errorf("%d distinct pods (late: %d), want %d", len(seen), seen["late"], n+1)
	}
	for name, c := range seen {
		if c != 1 {
			t.Errorf("pod %s listed %d times", name, c)
		}
	}
	var gaps []string
	for _, g := range objs.Gaps {
		gaps = append(gaps, g.What+": "+g.Reason)
	}
	want := []string{
		"list ingresses (all namespaces): the server could not find the requested resource",
		"list networkpolicies (all namespaces): the server could not find the requested resource",
	}
	if strings.Join(gaps, "\n") != strings.Join(want, "\n") {
		t.Errorf("gaps:\n%s\nwant:\n%s", strings.Join(gaps, "\n"), strings.Join(want, "\n"))
	}
}
