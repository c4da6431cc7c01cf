package live

import (
	"context"
	"fmt"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"

	"github.com/sightline-sec/sightline/internal/workload/kube"
)

// kind describes one resource to list: its plural name (as in RBAC rules
// and gaps), whether it is namespaced, its group/version/kind (list items
// come without TypeMeta; it is set so objects look as in manifests), the
// typed client call and the list's items.
type kind[T any, L pageList] struct {
	resource   string
	namespaced bool
	gvk        schema.GroupVersionKind
	list       func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (L, error)
	items      func(L) []T
}

// pageList is a typed list (*corev1.PodList, …): metav1.ListMeta gives it
// GetContinue.
type pageList interface{ GetContinue() string }

// object is the pointer type of a listed item.
type object[T any] interface {
	*T
	metav1.Object
	runtime.Object
}

var (
	kindNamespaces = kind[corev1.Namespace, *corev1.NamespaceList]{"namespaces", false, corev1.SchemeGroupVersion.WithKind("Namespace"),
		func(ctx context.Context, cs kubernetes.Interface, _ string, o metav1.ListOptions) (*corev1.NamespaceList, error) {
			return cs.CoreV1().Namespaces().List(ctx, o)
		}, func(l *corev1.NamespaceList) []corev1.Namespace { return l.Items }}
	kindNodes = kind[corev1.Node, *corev1.NodeList]{"nodes", false, corev1.SchemeGroupVersion.WithKind("Node"),
		func(ctx context.Context, cs kubernetes.Interface, _ string, o metav1.ListOptions) (*corev1.NodeList, error) {
			return cs.CoreV1().Nodes().List(ctx, o)
		}, func(l *corev1.NodeList) []corev1.Node { return l.Items }}
	kindPods = kind[corev1.Pod, *corev1.PodList]{"pods", true, corev1.SchemeGroupVersion.WithKind("Pod"),
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (*corev1.PodList, error) {
			return cs.CoreV1().Pods(ns).List(ctx, o)
		}, func(l *corev1.PodList) []corev1.Pod { return l.Items }}
	kindServices = kind[corev1.Service, *corev1.ServiceList]{"services", true, corev1.SchemeGroupVersion.WithKind("Service"),
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (*corev1.ServiceList, error) {
			return cs.CoreV1().Services(ns).List(ctx, o)
		}, func(l *corev1.ServiceList) []corev1.Service { return l.Items }}
	kindServiceAccounts = kind[corev1.ServiceAccount, *corev1.ServiceAccountList]{"serviceaccounts", true, corev1.SchemeGroupVersion.WithKind("ServiceAccount"),
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (*corev1.ServiceAccountList, error) {
			return cs.CoreV1().ServiceAccounts(ns).List(ctx, o)
		}, func(l *corev1.ServiceAccountList) []corev1.ServiceAccount { return l.Items }}
	kindDeployments = kind[appsv1.Deployment, *appsv1.DeploymentList]{"deployments", true, appsv1.SchemeGroupVersion.WithKind("Deployment"),
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (*appsv1.DeploymentList, error) {
			return cs.AppsV1().Deployments(ns).List(ctx, o)
		}, func(l *appsv1.DeploymentList) []appsv1.Deployment { return l.Items }}
	kindStatefulSets = kind[appsv1.StatefulSet, *appsv1.StatefulSetList]{"statefulsets", true, appsv1.SchemeGroupVersion.WithKind("StatefulSet"),
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (*appsv1.StatefulSetList, error) {
			return cs.AppsV1().StatefulSets(ns).List(ctx, o)
		}, func(l *appsv1.StatefulSetList) []appsv1.StatefulSet { return l.Items }}
	kindDaemonSets = kind[appsv1.DaemonSet, *appsv1.DaemonSetList]{"daemonsets", true, appsv1.SchemeGroupVersion.WithKind("DaemonSet"),
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (*appsv1.DaemonSetList, error) {
			return cs.AppsV1().DaemonSets(ns).List(ctx, o)
		}, func(l *appsv1.DaemonSetList) []appsv1.DaemonSet { return l.Items }}
	kindReplicaSets = kind[appsv1.ReplicaSet, *appsv1.ReplicaSetList]{"replicasets", true, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"),
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (*appsv1.ReplicaSetList, error) {
			return cs.AppsV1().ReplicaSets(ns).List(ctx, o)
		}, func(l *appsv1.ReplicaSetList) []appsv1.ReplicaSet { return l.Items }}
	kindJobs = kind[batchv1.Job, *batchv1.JobList]{"jobs", true, batchv1.SchemeGroupVersion.WithKind("Job"),
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (*batchv1.JobList, error) {
			return cs.BatchV1().Jobs(ns).List(ctx, o)
		}, func(l *batchv1.JobList) []batchv1.Job { return l.Items }}
	kindCronJobs = kind[batchv1.CronJob, *batchv1.CronJobList]{"cronjobs", true, batchv1.SchemeGroupVersion.WithKind("CronJob"),
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (*batchv1.CronJobList, error) {
			return cs.BatchV1().CronJobs(ns).List(ctx, o)
		}, func(l *batchv1.CronJobList) []batchv1.CronJob { return l.Items }}
	kindIngresses = kind[networkingv1.Ingress, *networkingv1.IngressList]{"ingresses", true, networkingv1.SchemeGroupVersion.WithKind("Ingress"),
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (*networkingv1.IngressList, error) {
			return cs.NetworkingV1().Ingresses(ns).List(ctx, o)
		}, func(l *networkingv1.IngressList) []networkingv1.Ingress { return l.Items }}
	kindNetworkPolicies = kind[networkingv1.NetworkPolicy, *networkingv1.NetworkPolicyList]{"networkpolicies", true, networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy"),
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (*networkingv1.NetworkPolicyList, error) {
			return cs.NetworkingV1().NetworkPolicies(ns).List(ctx, o)
		}, func(l *networkingv1.NetworkPolicyList) []networkingv1.NetworkPolicy { return l.Items }}
)

// listKind lists one kind cluster-wide, falling back to one list per
// namespace when the cluster-wide list is forbidden. Failures are recorded
// as gaps; the error returned is the cluster-wide one, for callers that
// need to know (namespaces).
func listKind[T any, PT object[T], L pageList](ctx context.Context, c *collector, k kind[T, L]) ([]T, error) {
	items, err := listPages[T, PT](ctx, c, k, metav1.NamespaceAll)
	if err == nil {
		return items, nil
	}
	what := "list " + k.resource
	if k.namespaced {
		what += " (all namespaces)"
	}
	if !k.namespaced || !apierrors.IsForbidden(err) || len(c.namespaces) == 0 || ctx.Err() != nil {
		c.gap(what, err)
		c.deny(k.resource, "")
		return nil, err
	}
	// Forbidden cluster-wide: try each namespace (Roles grant per namespace).
	type result struct {
		items []T
		err   error
	}
	results := make([]result, len(c.namespaces))
	var wg sync.WaitGroup
	for i, ns := range c.namespaces {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i].items, results[i].err = listPages[T, PT](ctx, c, k, ns)
		}()
	}
	wg.Wait()
	var denied []int
	for i, r := range results {
		if r.err != nil {
			denied = append(denied, i)
			continue
		}
		items = append(items, r.items...)
	}
	switch {
	case len(denied) == len(c.namespaces):
		c.gap(what, err)
		c.deny(k.resource, "")
	case c.nsFromContext:
		// Only the context's namespace was tried: the rest of the cluster
		// is unread, which must not look like "nothing there".
		c.gapReason(what, fmt.Sprintf("%s (listed namespace %s only: the kubeconfig context's namespace, as namespaces cannot be listed)",
			reasonOf(err), c.namespaces[0]))
		c.deny(k.resource, "")
	default:
		for _, i := range denied {
			c.gap(fmt.Sprintf("list %s in namespace %s", k.resource, c.namespaces[i]), results[i].err)
			c.deny(k.resource, c.namespaces[i])
		}
		c.logf("kubernetes: list %s: cluster-wide list forbidden; listed %d of %d namespaces one by one",
			k.resource, len(c.namespaces)-len(denied), len(c.namespaces))
	}
	return items, nil
}

// listPages follows metadata.continue until the list is complete. An
// expired continue token (410 Gone) restarts the list once: pages of the
// old snapshot cannot be mixed with a new one.
func listPages[T any, PT object[T], L pageList](ctx context.Context, c *collector, k kind[T, L], ns string) ([]T, error) {
	restarted := false
	var out []T
	opts := metav1.ListOptions{Limit: pageSize}
	for {
		select {
		case c.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		l, err := k.list(ctx, c.cs, ns, opts)
		<-c.sem
		if err != nil {
			if apierrors.IsResourceExpired(err) && opts.Continue != "" && !restarted {
				restarted = true
				out, opts.Continue = nil, ""
				c.logf("kubernetes: list %s%s: continue token expired (%s); listing again from the start", k.resource, inNS(ns), reasonOf(err))
				continue
			}
			return nil, err
		}
		page := k.items(l)
		for i := range page {
			tidy(PT(&page[i]), k.gvk)
		}
		out = append(out, page...)
		if opts.Continue = l.GetContinue(); opts.Continue == "" {
			return out, nil
		}
	}
}

// lastApplied is kubectl's copy of the applied manifest: often as large as
// the object, and redundant with it.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// tidy sets the item's kind (list items come without one) and drops
// managedFields and the last-applied annotation.
func tidy[PT interface {
	metav1.Object
	runtime.Object
}](o PT, gvk schema.GroupVersionKind) {
	o.GetObjectKind().SetGroupVersionKind(gvk)
	o.SetManagedFields(nil)
	if a := o.GetAnnotations(); a[lastApplied] != "" {
		delete(a, lastApplied)
	}
}

// inputs maps every object ("Kind/namespace/name"; namespace empty for
// Nodes and Namespaces) to the context it was listed from.
func inputs(o *kube.Objects, input string) map[string]string {
	m := map[string]string{}
	add := func(kind string, objs []metav1.Object) {
		for _, x := range objs {
			m[kind+"/"+x.GetNamespace()+"/"+x.GetName()] = input
		}
	}
	add("Namespace", metas(o.Namespaces))
	add("Node", metas(o.Nodes))
	add("Pod", metas(o.Pods))
	add("Deployment", metas(o.Deployments))
	add("StatefulSet", metas(o.StatefulSets))
	add("DaemonSet", metas(o.DaemonSets))
	add("ReplicaSet", metas(o.ReplicaSets))
	add("Job", metas(o.Jobs))
	add("CronJob", metas(o.CronJobs))
	add("Service", metas(o.Services))
	add("Ingress", metas(o.Ingresses))
	add("NetworkPolicy", metas(o.NetworkPolicies))
	add("ServiceAccount", metas(o.ServiceAccounts))
	return m
}

func metas[T any, PT interface {
	*T
	metav1.Object
}](items []T) []metav1.Object {
	out := make([]metav1.Object, len(items))
	for i := range items {
		out[i] = PT(&items[i])
	}
	return out
}

func inNS(ns string) string {
	if ns == "" {
		return ""
	}
	return " in namespace " + ns
}
