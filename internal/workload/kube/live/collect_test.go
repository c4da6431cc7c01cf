package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/sightline-sec/sightline/internal/workload"
	"github.com/sightline-sec/sightline/internal/workload/kube"
)

func collect(t *testing.T, opts Options) *kube.Objects {
	t.Helper()
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	objs, err := Collect(ctx, opts)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return objs
}

func find[T any](items []T, name func(*T) string, want string) *T {
	for i := range items {
		if name(&items[i]) == want {
			return &items[i]
		}
	}
	return nil
}

func TestCollectShop(t *testing.T) {
	shop(t)
	objs := collect(t, Options{Config: srv.Config, Context: "kubetest"})

	if objs.Cluster != "kubetest" || !objs.Live {
		t.Errorf("Cluster %q Live %v, want kubetest true", objs.Cluster, objs.Live)
	}
	if len(objs.Gaps) != 0 {
		t.Errorf("admin listing has gaps: %+v", objs.Gaps)
	}
	if objs.Enforcement != Enforced || objs.Plugin != "calico" || !strings.Contains(objs.EnforcementEvidence, "DaemonSet kube-system/calico-node") {
		t.Errorf("enforcement %q plugin %q evidence %q, want enforced calico from kube-system/calico-node", objs.Enforcement, objs.Plugin, objs.EnforcementEvidence)
	}

	pod := find(objs.Pods, func(p *corev1.Pod) string { return p.Namespace + "/" + p.Name }, "shop/frontend-5d8f7c9b6-x2x7q")
	if pod == nil {
		t.Fatalf("pod shop/frontend-5d8f7c9b6-x2x7q not listed")
	}
	if pod.Kind != "Pod" || pod.APIVersion != "v1" {
		t.Errorf("pod TypeMeta %q %q, want v1 Pod", pod.APIVersion, pod.Kind)
	}
	if pod.ManagedFields != nil {
		t.Errorf("managedFields kept")
	}
	if pod.Spec.NodeName != "ip-10-0-1-10.eu-west-1.compute.internal" || pod.Status.PodIP != podIP ||
		len(pod.Status.PodIPs) != 1 || pod.Status.PodIPs[0].IP != podIP {
		t.Errorf("pod node %q IP %q IPs %v", pod.Spec.NodeName, pod.Status.PodIP, pod.Status.PodIPs)
	}
	if len(pod.Status.ContainerStatuses) != 1 || pod.Status.ContainerStatuses[0].ImageID != imageID {
		t.Errorf("containerStatuses %+v, want imageID %s", pod.Status.ContainerStatuses, imageID)
	}
	if len(pod.OwnerReferences) != 1 || pod.OwnerReferences[0].Kind != "ReplicaSet" || pod.OwnerReferences[0].Name != "frontend-5d8f7c9b6" {
		t.Errorf("pod owners %+v", pod.OwnerReferences)
	}
	if pod.Spec.ServiceAccountName != "frontend" || pod.Spec.Containers[0].Ports[0].Name != "http" {
		t.Errorf("pod spec lost: sa %q ports %+v", pod.Spec.ServiceAccountName, pod.Spec.Containers[0].Ports)
	}
	if p := find(objs.Pods, func(p *corev1.Pod) string { return p.Namespace + "/" + p.Name }, "default/debug"); p == nil || !p.Spec.HostNetwork {
		t.Errorf("pod default/debug (hostNetwork) missing or changed: %v", p)
	}

	for _, c := range []struct {
		kind string
		keys []string
	}{
		{"Deployment", names(objs.Deployments)},
		{"ReplicaSet", names(objs.ReplicaSets)},
		{"StatefulSet", names(objs.StatefulSets)},
		{"Job", names(objs.Jobs)},
		{"CronJob", names(objs.CronJobs)},
		{"DaemonSet", names(objs.DaemonSets)},
		{"Service", names(objs.Services)},
		{"Ingress", names(objs.Ingresses)},
		{"NetworkPolicy", names(objs.NetworkPolicies)},
		{"ServiceAccount", names(objs.ServiceAccounts)},
		{"Namespace", names(objs.Namespaces)},
		{"Node", names(objs.Nodes)},
	} {
		want := map[string][]string{
			"Deployment":     {"shop/frontend"},
			"ReplicaSet":     {"shop/frontend-5d8f7c9b6"},
			"StatefulSet":    {"shop/cache"},
			"Job":            {"shop/migrate"},
			"CronJob":        {"shop/report"},
			"DaemonSet":      {"kube-system/calico-node"},
			"Service":        {"shop/frontend", "shop/frontend-np", "shop/frontend-lb", "default/kubernetes"},
			"Ingress":        {"shop/web"},
			"NetworkPolicy":  {"shop/default-deny", "shop/allow-frontend"},
			"ServiceAccount": {"shop/frontend"},
			"Namespace":      {"/shop", "/default", "/kube-system"},
			"Node":           {"/ip-10-0-1-10.eu-west-1.compute.internal"},
		}[c.kind]
		for _, w := range want {
			if !slices.Contains(c.keys, w) {
				t.Errorf("%s %s not listed (got %v)", c.kind, w, c.keys)
			}
			if objs.Inputs[c.kind+"/"+w] != "context kubetest" {
				t.Errorf("Inputs[%s/%s] = %q", c.kind, w, objs.Inputs[c.kind+"/"+w])
			}
		}
	}

	lb := find(objs.Services, func(s *corev1.Service) string { return s.Namespace + "/" + s.Name }, "shop/frontend-lb")
	if lb == nil || len(lb.Status.LoadBalancer.Ingress) != 1 || lb.Status.LoadBalancer.Ingress[0].Hostname != lbHost ||
		!slices.Equal(lb.Spec.LoadBalancerSourceRanges, []string{"203.0.113.0/24"}) || lb.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
		t.Errorf("LoadBalancer service: %+v", lb)
	}
	if np := find(objs.Services, func(s *corev1.Service) string { return s.Name }, "frontend-np"); np == nil || np.Spec.Ports[0].NodePort != 30080 || np.Spec.Ports[0].TargetPort.StrVal != "http" {
		t.Errorf("NodePort service: %+v", np)
	}
	node := &objs.Nodes[slices.IndexFunc(objs.Nodes, func(n corev1.Node) bool { return n.Spec.ProviderID == providerID })]
	if len(node.Status.Addresses) != 3 || node.Status.Addresses[0].Address != "10.0.1.10" {
		t.Errorf("node addresses %+v", node.Status.Addresses)
	}
	sa := find(objs.ServiceAccounts, func(s *corev1.ServiceAccount) string { return s.Namespace + "/" + s.Name }, "shop/frontend")
	if sa == nil || sa.Annotations["eks.amazonaws.com/role-arn"] != roleARN {
		t.Errorf("service account IRSA annotation: %+v", sa)
	}
	pol := find(objs.NetworkPolicies, func(p *networkingv1.NetworkPolicy) string { return p.Name }, "allow-frontend")
	if pol == nil || pol.Spec.Ingress[0].From[0].IPBlock.Except[0] != "10.0.0.0/8" || *pol.Spec.Ingress[0].Ports[0].EndPort != 8090 {
		t.Errorf("network policy allow-frontend: %+v", pol)
	}
}

// TestCollectMatchesAdminList compares Collect's pods and services with a
// plain list by the admin, so nothing is dropped or duplicated by paging
// or concurrency (Concurrency 1 and 8).
func TestCollectMatchesAdminList(t *testing.T) {
	shop(t)
	cs := kubernetes.NewForConfigOrDie(srv.Config)
	pods, err := cs.CoreV1().Pods("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, p := range pods.Items {
		want = append(want, p.Namespace+"/"+p.Name)
	}
	slices.Sort(want)
	for _, conc := range []int{1, 8} {
		cfg := rest.CopyConfig(srv.Config)
		var inflight inFlight
		cfg.WrapTransport = inflight.wrap
		objs := collect(t, Options{Config: cfg, Concurrency: conc})
		if inflight.max < 1 || inflight.max > conc {
			t.Errorf("concurrency %d: %d requests were in flight at once", conc, inflight.max)
		}
		if inflight.total < 14 {
			t.Errorf("concurrency %d: only %d requests (want /version + 13 lists)", conc, inflight.total)
		}
		got := names(objs.Pods)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("concurrency %d: pods %d, admin list %d", conc, len(got), len(want))
		}
		if objs.Cluster != srv.Host {
			t.Errorf("Cluster %q, want the host %q when no context is named", objs.Cluster, srv.Host)
		}
	}
}

// TestCollectManyPods measures Collect on 2,000 pods (four pages of 500;
// SIGHTLINE_LIVE_PODS=N for another count) and checks every one comes back
// once, with its status.
func TestCollectManyPods(t *testing.T) {
	n := 2000
	if v := os.Getenv("SIGHTLINE_LIVE_PODS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("SIGHTLINE_LIVE_PODS=%q: want a positive count", v)
		}
	}
	cs := kubernetes.NewForConfigOrDie(srv.Config)
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bulk"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := createPods(ctx, cs, "bulk", n); err != nil {
		t.Fatal(err)
	}
	t.Logf("created %d pods in %s", n, time.Since(start).Round(time.Millisecond))

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start = time.Now()
	objs := collect(t, Options{Config: srv.Config})
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	seen := map[string]int{}
	for _, p := range objs.Pods {
		if p.Namespace == "bulk" {
			seen[p.Name]++
			if p.Status.PodIP == "" || p.Status.ContainerStatuses[0].ImageID == "" {
				t.Fatalf("pod %s lost its status", p.Name)
			}
		}
	}
	if len(seen) != n {
		t.Errorf("listed %d distinct bulk pods, want %d", len(seen), n)
	}
	for name, c := range seen {
		if c != 1 {
			t.Errorf("pod %s listed %d times", name, c)
		}
	}
	t.Logf("MEASURE Collect: %d pods (%d in bulk) listed in %s; live heap after %d MiB (%+d MiB), %d MiB allocated",
		len(objs.Pods), n, took.Round(time.Millisecond), after.HeapAlloc>>20,
		(int64(after.HeapAlloc)-int64(before.HeapAlloc))>>20, (after.TotalAlloc-before.TotalAlloc)>>20)
	runtime.KeepAlive(objs)
}

// inFlight counts the requests a client has open at once.
type inFlight struct {
	mu              sync.Mutex
	now, max, total int
}

func (f *inFlight) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		f.mu.Lock()
		f.now++
		f.total++
		f.max = max(f.max, f.now)
		f.mu.Unlock()
		defer func() { f.mu.Lock(); f.now--; f.mu.Unlock() }()
		return rt.RoundTrip(r)
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// createPods creates n running pods with status, 16 at a time.
func createPods(ctx context.Context, cs kubernetes.Interface, ns string, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	work := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				p, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-%05d", i), Labels: map[string]string{"app": "web"}},
					Spec: corev1.PodSpec{NodeName: "ip-10-0-1-10.eu-west-1.compute.internal",
						Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27", Ports: []corev1.ContainerPort{{ContainerPort: 80}}}}},
				}, metav1.CreateOptions{})
				if err == nil {
					ip := fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)
					p.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
						ContainerStatuses: []corev1.ContainerStatus{{Name: "web", Image: "nginx:1.27", ImageID: imageID}}}
					_, err = cs.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	return <-errs
}

// TestCollectRBACDenials connects as a user whose only grant is a Role
// listing pods in namespace shop, through a kubeconfig file whose context
// names that namespace: Collect succeeds with shop's pods and a gap for
// every other list.
func TestCollectRBACDenials(t *testing.T) {
	shop(t)
	grant(t, "restricted", nil, []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}}})
	kc := writeKubeconfig(t, "restricted")

	objs := collect(t, Options{Kubeconfig: kc, Context: "restricted@kubetest"})
	if objs.Cluster != "restricted@kubetest" {
		t.Errorf("Cluster %q", objs.Cluster)
	}
	if got := names(objs.Pods); len(got) != 1 || got[0] != "shop/frontend-5d8f7c9b6-x2x7q" {
		t.Errorf("pods %v, want shop's one pod (per-namespace fallback)", got)
	}
	gaps := map[string]workload.Gap{}
	for _, g := range objs.Gaps {
		gaps[g.What] = g
		if g.Source != workload.SourceKubernetes || g.Input != "context restricted@kubetest" {
			t.Errorf("gap %+v: wrong source or input", g)
		}
		if strings.Contains(g.What, "secret") {
			t.Errorf("gap %q: secrets are never listed", g.What)
		}
	}
	for _, what := range []string{
		"list namespaces", "list nodes", "list networkpolicies (all namespaces)", "list services (all namespaces)",
		"list daemonsets (all namespaces)", "list deployments (all namespaces)", "list serviceaccounts (all namespaces)",
		"list ingresses (all namespaces)", "list cronjobs (all namespaces)",
	} {
		g, ok := gaps[what]
		if !ok {
			t.Errorf("no gap %q (gaps: %v)", what, objs.Gaps)
			continue
		}
		if !strings.Contains(g.Reason, `User "restricted" cannot list resource`) {
			t.Errorf("gap %q reason %q, want the server's forbidden message", what, g.Reason)
		}
	}
	// Pods were listed in the context's namespace only: the rest of the
	// cluster is a gap, not a silent zero.
	if g := gaps["list pods (all namespaces)"]; !strings.Contains(g.Reason, "listed namespace shop only") {
		t.Errorf("pods gap %+v, want it to say only namespace shop was listed", g)
	}
	if objs.Enforcement != Unknown || !strings.Contains(objs.EnforcementEvidence, "could not be listed") {
		t.Errorf("enforcement %q (%s), want unknown: DaemonSets denied", objs.Enforcement, objs.EnforcementEvidence)
	}

	// The same through $KUBECONFIG and the file's current context.
	t.Setenv("KUBECONFIG", kc)
	if objs := collect(t, Options{}); objs.Cluster != "restricted@kubetest" || len(objs.Pods) != 1 {
		t.Errorf("via $KUBECONFIG: cluster %q, %d pods", objs.Cluster, len(objs.Pods))
	}
}

// TestCollectPartialNamespaces: a user who can list namespaces and
// DaemonSets cluster-wide but pods only in shop gets one gap per other
// namespace for pods, and enforcement is still told.
func TestCollectPartialNamespaces(t *testing.T) {
	shop(t)
	grant(t, "partial",
		[]rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"list"}},
			{APIGroups: []string{"apps"}, Resources: []string{"daemonsets"}, Verbs: []string{"list"}}},
		[]rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}}})
	objs := collect(t, Options{Config: srv.ConfigFor("partial"), Context: "partial"})
	if got := names(objs.Pods); len(got) != 1 || got[0] != "shop/frontend-5d8f7c9b6-x2x7q" {
		t.Errorf("pods %v, want shop's one pod", got)
	}
	var podGaps []string
	for _, g := range objs.Gaps {
		if strings.HasPrefix(g.What, "list pods") {
			podGaps = append(podGaps, g.What)
		}
	}
	for _, ns := range []string{"default", "kube-system"} {
		if !slices.Contains(podGaps, "list pods in namespace "+ns) {
			t.Errorf("no gap for pods in %s (pod gaps %v)", ns, podGaps)
		}
	}
	if slices.Contains(podGaps, "list pods in namespace shop") || slices.Contains(podGaps, "list pods (all namespaces)") {
		t.Errorf("pod gaps %v name a namespace that was listed", podGaps)
	}
	if objs.Enforcement != Enforced || objs.Plugin != "calico" {
		t.Errorf("enforcement %q plugin %q, want enforced calico", objs.Enforcement, objs.Plugin)
	}
}

func TestCollectUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := "https://" + l.Addr().String()
	l.Close() // nothing listens there now
	_, err = Collect(context.Background(), Options{Config: &rest.Config{Host: host}, Context: "gone"})
	if err == nil || !strings.Contains(err.Error(), host) || !strings.Contains(err.Error(), `context "gone"`) || !strings.Contains(err.Error(), "not reachable") {
		t.Errorf("unreachable server: err = %v, want one line naming %s and the context", err, host)
	}
	if err != nil && strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err)
	}
}

func TestCollectBadCredentials(t *testing.T) {
	bad := rest.CopyConfig(srv.Config)
	bad.BearerToken = "not-a-token"
	_, err := Collect(context.Background(), Options{Config: bad, Context: "bad"})
	if err == nil || !strings.Contains(err.Error(), "rejected the credentials") || !strings.Contains(err.Error(), srv.Host) {
		t.Errorf("bad token: err = %v", err)
	}
	anon := rest.CopyConfig(srv.Config)
	anon.BearerToken = ""
	_, err = Collect(context.Background(), Options{Config: anon, Context: "anon"})
	if err == nil || !strings.Contains(err.Error(), "system:anonymous") {
		t.Errorf("no credentials: err = %v, want an error naming system:anonymous", err)
	}
}

func TestCollectMissingKubeconfig(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "") // not in a pod
	path := filepath.Join(t.TempDir(), "nope")
	_, err := Collect(context.Background(), Options{Kubeconfig: path})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("missing kubeconfig: err = %v, want it named", err)
	}
}

// grant binds user to a ClusterRole with cluster rules and a Role in shop
// with ns rules.
func grant(t *testing.T, user string, cluster, ns []rbacv1.PolicyRule) {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(srv.Config)
	ctx := context.Background()
	subj := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}}
	c := metav1.CreateOptions{}
	if cluster != nil {
		if _, err := cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: user}, Rules: cluster}, c); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: user}, Subjects: subj,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: user}}, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.RbacV1().Roles("shop").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: user}, Rules: ns}, c); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().RoleBindings("shop").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: user}, Subjects: subj,
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: user}}, c); err != nil {
		t.Fatal(err)
	}
	// RBAC changes reach the authorizer's cache asynchronously.
	waitAllowed(t, user)
}

func waitAllowed(t *testing.T, user string) {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(srv.ConfigFor(user))
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := cs.CoreV1().Pods("shop").List(context.Background(), metav1.ListOptions{Limit: 1})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still cannot list pods in shop: %v", user, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writeKubeconfig writes a kubeconfig with two contexts: admin@kubetest and
// <user>@kubetest (namespace shop, current).
func writeKubeconfig(t *testing.T, user string) string {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, srv.CAData, 0o600); err != nil {
		t.Fatal(err)
	}
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kubetest
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: admin
  user:
    token: %s
- name: %s
  user:
    token: %s
contexts:
- name: admin@kubetest
  context: {cluster: kubetest, user: admin}
- name: %s@kubetest
  context: {cluster: kubetest, user: %s, namespace: shop}
current-context: %s@kubetest
`, srv.Host, ca, srv.Token("sightline-admin"), user, srv.Token(user), user, user, user)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func names[T any, PT interface {
	*T
	metav1.Object
}](items []T) []string {
	out := make([]string, len(items))
	for i := range items {
		o := PT(&items[i])
		out[i] = o.GetNamespace() + "/" + o.GetName()
	}
	return out
}

// A kubeconfig whose exec credential plugin is missing fails before any
// request: the error says so (not "not reachable") and is an environment
// error, as an unreachable server is.
func TestCollectCredentialPluginMissing(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := `apiVersion: v1
kind: Config
clusters:
- name: eks
  cluster:
    server: https://127.0.0.1:1
    insecure-skip-tls-verify: true
contexts:
- name: eks
  context: {cluster: eks, user: eks}
current-context: eks
users:
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: sightline-no-such-credential-plugin
      interactiveMode: Never
`
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Collect(context.Background(), Options{Kubeconfig: kc})
	if err == nil || !strings.Contains(err.Error(), "credential plugin failed") || !strings.Contains(err.Error(), "sightline-no-such-credential-plugin") ||
		strings.Contains(err.Error(), "not reachable") || !errors.Is(err, ErrEnvironment) {
		t.Errorf("missing credential plugin: err = %v", err)
	}
	l, lerr := net.Listen("tcp", "127.0.0.1:0")
	if lerr != nil {
		t.Fatal(lerr)
	}
	host := "https://" + l.Addr().String()
	l.Close()
	if _, err := Collect(context.Background(), Options{Config: &rest.Config{Host: host}, Context: "gone"}); !errors.Is(err, ErrEnvironment) {
		t.Errorf("unreachable: %v is not an environment error", err)
	}
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	if _, err := Collect(context.Background(), Options{Kubeconfig: filepath.Join(t.TempDir(), "nope")}); err == nil || errors.Is(err, ErrEnvironment) {
		t.Errorf("missing kubeconfig: %v must be an input error", err)
	}
}
