// Package live lists a running Kubernetes cluster's workloads, Services,
// Ingresses, NetworkPolicies, Nodes, Namespaces and ServiceAccounts through
// client-go into kube.Objects, which kube.Build turns into the workload
// model.
//
// Design choices:
//   - Read-only: only `list` calls (and GET /version to tell an unreachable
//     server from a denied list). The ClusterRole the collector needs is in
//     docs/workloads-kubernetes-live.md.
//   - Paging: every list asks for pages of 500 (kubectl's default chunk
//     size) and follows metadata.continue; a continue token that expired
//     (410 Gone) restarts that list once from the beginning, as the API
//     documents ("Retrieving large results sets in chunks",
//     https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks).
//   - Concurrency: every kind is listed in its own goroutine, but at most
//     Options.Concurrency calls are in flight at once.
//   - Never a silent zero: a list that fails (RBAC denial, a resource the
//     server does not serve, a timeout) becomes a workload.Gap with the
//     server's message, and the other lists go on. A cluster-wide list that
//     is forbidden is retried namespace by namespace (the namespaces listed,
//     or the kubeconfig context's namespace when namespaces cannot be
//     listed): a user with Roles in some namespaces gets those, and one gap
//     per namespace that stays denied (or one cluster-wide gap when every
//     namespace is denied).
//   - Only an API server that cannot be reached, or that rejects the
//     credentials (401, or a kubeconfig that gives none: system:anonymous),
//     is an error.
//   - Memory: managedFields and the kubectl last-applied-configuration
//     annotation are dropped from every object (they can be larger than the
//     object and nothing reads them).
package live

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sightline-sec/sightline/internal/workload"
	"github.com/sightline-sec/sightline/internal/workload/kube"
)

// Options configure Collect.
type Options struct {
	// Kubeconfig is the kubeconfig file; "" = $KUBECONFIG or ~/.kube/config,
	// or the in-cluster service account when running in a pod with neither.
	Kubeconfig string
	// Context is the kubeconfig context; "" = the current context.
	Context string
	// Concurrency bounds the list calls in flight (0 = 4).
	Concurrency int
	// Logf receives progress and one line per gap (stderr in the CLI).
	Logf func(string, ...any)
	// Config, when set, is used instead of a kubeconfig (tests, embedding);
	// Context then only names the cluster ("" = Config.Host).
	Config *rest.Config
}

// pageSize is the Limit of every list call (kubectl's --chunk-size default).
const pageSize = 500

// Collect lists the cluster's objects. The error is non-nil only when the
// kubeconfig cannot be read, the API server cannot be reached or it does
// not accept the credentials (or ctx ends); every other failure is a Gap in
// the result.
func Collect(ctx context.Context, opts Options) (*kube.Objects, error) {
	cfg, cluster, ns, err := restConfig(opts)
	if err != nil {
		return nil, err
	}
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	// API warnings (deprecations) go to Logf, not to klog on stderr.
	cfg.WarningHandler = warnings(logf)
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes context %q (%s): client: %w", cluster, cfg.Host, err)
	}
	if err := probe(ctx, cs, cluster, cfg.Host); err != nil {
		return nil, err
	}
	conc := opts.Concurrency
	if conc <= 0 {
		conc = 4
	}
	c := &collector{
		cs:        cs,
		cluster:   cluster,
		input:     "context " + cluster,
		sem:       make(chan struct{}, conc),
		logf:      logf,
		contextNS: ns,
		denied:    map[string][]string{},
	}
	start := time.Now()
	objs, err := c.run(ctx)
	if err != nil {
		return nil, err
	}
	logf("kubernetes: listed %d pods, %d services, %d network policies, %d nodes from context %q in %s (%d gaps)",
		len(objs.Pods), len(objs.Services), len(objs.NetworkPolicies), len(objs.Nodes), cluster,
		time.Since(start).Round(time.Millisecond), len(objs.Gaps))
	return objs, nil
}

// restConfig loads the client configuration and names the cluster: the
// kubeconfig context, "in-cluster", or Options.Context/Config.Host for an
// explicit Config. ns is the context's namespace (the per-namespace
// fallback uses it when namespaces cannot be listed).
func restConfig(opts Options) (cfg *rest.Config, cluster, ns string, err error) {
	if opts.Config != nil {
		cfg = rest.CopyConfig(opts.Config)
		cluster = opts.Context
		if cluster == "" {
			cluster = cfg.Host
		}
		return tune(cfg), cluster, "", nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	where := "$KUBECONFIG or ~/.kube/config"
	if opts.Kubeconfig != "" {
		rules.ExplicitPath = opts.Kubeconfig
		where = opts.Kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: opts.Context})
	cfg, err = cc.ClientConfig()
	if err != nil {
		if opts.Context != "" {
			return nil, "", "", fmt.Errorf("kubeconfig %s, context %q: %w", where, opts.Context, err)
		}
		return nil, "", "", fmt.Errorf("kubeconfig %s: %w", where, err)
	}
	raw, _ := cc.RawConfig()
	cluster = opts.Context
	if cluster == "" {
		cluster = raw.CurrentContext
	}
	if kctx := raw.Contexts[cluster]; kctx != nil {
		ns = kctx.Namespace
	}
	if cluster == "" {
		// The deferred loader fell back to the pod's service account.
		cluster = "in-cluster"
		if n, _, err := cc.Namespace(); err == nil {
			ns = n // the pod's namespace
		}
	}
	return tune(cfg), cluster, ns, nil
}

// tune raises client-go's default client-side rate limit (5 QPS, burst 10),
// which would make paging a large cluster take minutes; the calls are reads
// bounded by Concurrency.
func tune(cfg *rest.Config) *rest.Config {
	if cfg.QPS == 0 {
		cfg.QPS = 50
	}
	if cfg.Burst == 0 {
		cfg.Burst = 100
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "sightline"
	}
	return cfg
}

// probe asks for /version: an error here means the server cannot be reached
// or rejects the credentials (401), the only failures Collect returns.
// /version is readable by every user, even unauthenticated ones (RBAC role
// system:public-info-viewer), so a 403 here is not expected and is not fatal.
func probe(ctx context.Context, cs kubernetes.Interface, cluster, host string) error {
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := cs.Discovery().RESTClient().Get().AbsPath("/version").DoRaw(pctx)
	switch {
	case err == nil, apierrors.IsForbidden(err):
		return nil
	case apierrors.IsUnauthorized(err):
		return envError{fmt.Errorf("kubernetes API server %s (context %q) rejected the credentials: %v", host, cluster, err)}
	case ctx.Err() != nil:
		return ctx.Err()
	case strings.Contains(err.Error(), "getting credentials:"):
		// client-go runs the kubeconfig's exec credential plugin before
		// it dials, and reports its failure as "getting credentials: exec:
		// …" (k8s.io/client-go/plugin/pkg/client/auth/exec): the server
		// was never asked.
		return envError{fmt.Errorf("kubernetes context %q: the kubeconfig's credential plugin failed (the API server %s was not contacted): %s",
			cluster, host, credentialsError(err))}
	default:
		return envError{fmt.Errorf("kubernetes API server %s (context %q) is not reachable: %v", host, cluster, err)}
	}
}

// ErrEnvironment marks the errors of Collect that come from the
// environment rather than the input: the API server cannot be reached or
// rejects the credentials, or the credential plugin fails (errors.Is).
// The CLI exits 3 for them and 2 for an unreadable kubeconfig.
var ErrEnvironment = errors.New("kubernetes environment")

type envError struct{ error }

func (e envError) Unwrap() error        { return e.error }
func (e envError) Is(target error) bool { return target == ErrEnvironment }

// credentialsError is the credential plugin's part of a client-go error
// ("exec: executable aws not found …"), without the request URL.
func credentialsError(err error) string {
	s := err.Error()
	if _, after, ok := strings.Cut(s, "getting credentials: "); ok {
		return after
	}
	return s
}

// collector is one Collect run.
type collector struct {
	cs        kubernetes.Interface
	cluster   string
	input     string
	sem       chan struct{}
	logf      func(string, ...any)
	contextNS string
	// namespaces are the names the per-namespace fallback tries;
	// nsFromContext is true when they are only the context's namespace
	// (namespaces could not be listed).
	namespaces    []string
	nsFromContext bool

	mu   sync.Mutex
	gaps []workload.Gap
	// denied maps a resource to the namespaces it could not be listed in
	// ("" = cluster-wide).
	denied map[string][]string
}

// gap records one list that failed.
func (c *collector) gap(what string, err error) { c.gapReason(what, reasonOf(err)) }

// reasonOf is the API server's message for an API error, else the error.
func reasonOf(err error) string {
	var st apierrors.APIStatus
	if errors.As(err, &st) && st.Status().Message != "" {
		return st.Status().Message
	}
	return err.Error()
}

func (c *collector) gapReason(what, reason string) {
	c.mu.Lock()
	c.gaps = append(c.gaps, workload.Gap{Source: workload.SourceKubernetes, What: what, Reason: reason, Input: c.input})
	c.mu.Unlock()
	c.logf("kubernetes: gap: %s: %s", what, reason)
}

func (c *collector) deny(resource string, namespaces ...string) {
	c.mu.Lock()
	c.denied[resource] = append(c.denied[resource], namespaces...)
	c.mu.Unlock()
}

// run lists namespaces first (the fallback needs them), then every other
// kind concurrently.
func (c *collector) run(ctx context.Context) (*kube.Objects, error) {
	objs := &kube.Objects{Cluster: c.cluster, Live: true}
	var nsErr error
	objs.Namespaces, nsErr = listKind(ctx, c, kindNamespaces)
	if nsErr != nil && anonymous(nsErr) {
		return nil, fmt.Errorf("kubernetes context %q: the API server treats the client as system:anonymous (no credentials in the kubeconfig?): %v", c.cluster, nsErr)
	}
	for _, n := range objs.Namespaces {
		c.namespaces = append(c.namespaces, n.Name)
	}
	if nsErr != nil && c.contextNS != "" {
		c.namespaces, c.nsFromContext = []string{c.contextNS}, true
	}

	var wg sync.WaitGroup
	get := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	get(func() { objs.Nodes, _ = listKind(ctx, c, kindNodes) })
	get(func() { objs.Pods, _ = listKind(ctx, c, kindPods) })
	get(func() { objs.Deployments, _ = listKind(ctx, c, kindDeployments) })
	get(func() { objs.StatefulSets, _ = listKind(ctx, c, kindStatefulSets) })
	get(func() { objs.DaemonSets, _ = listKind(ctx, c, kindDaemonSets) })
	get(func() { objs.ReplicaSets, _ = listKind(ctx, c, kindReplicaSets) })
	get(func() { objs.Jobs, _ = listKind(ctx, c, kindJobs) })
	get(func() { objs.CronJobs, _ = listKind(ctx, c, kindCronJobs) })
	get(func() { objs.Services, _ = listKind(ctx, c, kindServices) })
	get(func() { objs.Ingresses, _ = listKind(ctx, c, kindIngresses) })
	get(func() { objs.NetworkPolicies, _ = listKind(ctx, c, kindNetworkPolicies) })
	get(func() { objs.ServiceAccounts, _ = listKind(ctx, c, kindServiceAccounts) })
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	objs.Enforcement, objs.Plugin, objs.EnforcementEvidence = DetectEnforcement(objs.DaemonSets, c.denied[kindDaemonSets.resource])
	c.logf("kubernetes: NetworkPolicy enforcement %s (%s)", objs.Enforcement, objs.EnforcementEvidence)

	objs.Inputs = inputs(objs, c.input)
	slices.SortFunc(c.gaps, func(a, b workload.Gap) int { return strings.Compare(a.What, b.What) })
	objs.Gaps = c.gaps
	if objs.Gaps == nil {
		objs.Gaps = []workload.Gap{}
	}
	return objs, nil
}

// anonymous reports a denial addressed to system:anonymous: the kubeconfig
// gave no credentials the server accepts, and anonymous access is on.
func anonymous(err error) bool {
	return apierrors.IsForbidden(err) && strings.Contains(err.Error(), `"system:anonymous"`)
}

// warnings passes the API server's Warning headers to Logf.
type warnings func(string, ...any)

func (w warnings) HandleWarningHeader(code int, agent, text string) {
	if code == 299 && text != "" {
		w("kubernetes: API server warning: %s", text)
	}
}
