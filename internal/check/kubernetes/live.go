package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/workload/kube"
	"github.com/sightline-sec/sightline/internal/workload/kube/live"
)

// FromLive turns the objects listed from a running cluster
// (live.Collect, which lists workloads, Services, Ingresses,
// NetworkPolicies, Nodes, Namespaces and ServiceAccounts read-only) into
// Objects, shaped as the manifest reader shapes them. List items carry no
// apiVersion and kind (the API server sets them on the list only), so
// FromLive sets them. Location.Resource is "<cluster>: <Name>"; the
// collector's gaps (RBAC denials, …) become Gaps.
func FromLive(objs *kube.Objects) check.Set {
	var set check.Set
	c := liveConv{cluster: objs.Cluster, set: &set}
	convertAll(c, "v1", "Pod", objs.Pods)
	convertAll(c, "apps/v1", "Deployment", objs.Deployments)
	convertAll(c, "apps/v1", "StatefulSet", objs.StatefulSets)
	convertAll(c, "apps/v1", "DaemonSet", objs.DaemonSets)
	convertAll(c, "apps/v1", "ReplicaSet", objs.ReplicaSets)
	convertAll(c, "batch/v1", "Job", objs.Jobs)
	convertAll(c, "batch/v1", "CronJob", objs.CronJobs)
	convertAll(c, "v1", "Service", objs.Services)
	convertAll(c, "networking.k8s.io/v1", "Ingress", objs.Ingresses)
	convertAll(c, "networking.k8s.io/v1", "NetworkPolicy", objs.NetworkPolicies)
	convertAll(c, "v1", "Node", objs.Nodes)
	convertAll(c, "v1", "Namespace", objs.Namespaces)
	convertAll(c, "v1", "ServiceAccount", objs.ServiceAccounts)
	for _, g := range objs.Gaps {
		set.Gaps = append(set.Gaps, fromWorkloadGap(g))
	}
	return set
}

type liveConv struct {
	cluster string
	set     *check.Set
}

func convertAll[T any](c liveConv, apiVersion, kind string, items []T) {
	for i := range items {
		c.add(apiVersion, kind, &items[i])
	}
}

// add converts one typed object through its JSON form (the form the API
// serves, so Data is what a rule sees in an admission request too).
func (c liveConv) add(apiVersion, kind string, obj any) {
	src := source{file: "", namespace: ""}
	js, err := json.Marshal(obj)
	if err != nil {
		c.set.Gaps = append(c.set.Gaps, c.gap(kind, err))
		return
	}
	data, err := decodeJSON(js)
	if err != nil {
		c.set.Gaps = append(c.set.Gaps, c.gap(kind, err))
		return
	}
	data["apiVersion"], data["kind"] = apiVersion, kind
	o, err := newObject(src, data)
	if err != nil {
		c.set.Gaps = append(c.set.Gaps, c.gap(kind, err))
		return
	}
	o.Location.Resource = o.Name
	if c.cluster != "" {
		o.Location.Resource = c.cluster + ": " + o.Name
	}
	c.set.Objects = append(c.set.Objects, o)
}

func (c liveConv) gap(kind string, err error) check.Gap {
	return check.Gap{Input: check.InputKubernetes, Location: check.Location{Resource: c.cluster}, Reason: "read " + kind + ": " + err.Error()}
}

// ReadCluster lists a running cluster read-only (live.Collect, with its
// kubeconfig, context and concurrency options) and returns its objects as
// FromLive does. The error is non-nil when the cluster cannot be reached
// or refuses the credentials; a list that fails (an RBAC denial) is a Gap.
func ReadCluster(ctx context.Context, opts live.Options) (check.Set, error) {
	objs, err := live.Collect(ctx, opts)
	if err != nil {
		return check.Set{}, fmt.Errorf("kubernetes cluster: %w", err)
	}
	return FromLive(objs), nil
}
