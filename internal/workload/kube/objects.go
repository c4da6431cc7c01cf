// Package kube reads Kubernetes workloads, Services, Ingresses and
// NetworkPolicies — from manifests (YAML files and directories, Helm
// charts, Kustomize directories) or from a live cluster (subpackage live)
// — and builds the provider-neutral workload model (internal/workload).
//
// LoadManifests reads files, directories, Helm charts (Helm SDK) and
// Kustomize directories (Kustomize API) into Objects, bounded (MaxFileBytes,
// MaxDocuments, MaxFiles, MaxRenderSourceBytes, RenderTimeout) and with a
// workload.Gap naming file and line for whatever does not parse; the live
// client (subpackage live) fills the same Objects. ReadDocuments reads the
// same inputs with the same bounds but hands over every raw document (any
// kind, with its text, file and line) for policy checks
// (internal/check/kubernetes). Build turns Objects into
// a workload.Inventory: workloads and containers, the routes (Service,
// NodePort, LoadBalancer, Ingress, hostPort, hostNetwork) in front of each
// container port, and NetworkPolicies. docs/workloads-kubernetes.md
// describes the choices and cites the Kubernetes behaviour behind them.
package kube

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/sightline-sec/sightline/internal/workload"
)

// Objects are the Kubernetes objects one input holds, typed as the API
// server serves them. Manifests and live clusters both fill it; Build turns
// it into a workload.Inventory.
type Objects struct {
	// Cluster is the kubeconfig context of a live cluster, "" for manifests.
	Cluster string
	// Live is true for objects listed from an API server (Pods carry
	// status, Nodes are present).
	Live bool

	Pods            []corev1.Pod
	Deployments     []appsv1.Deployment
	StatefulSets    []appsv1.StatefulSet
	DaemonSets      []appsv1.DaemonSet
	ReplicaSets     []appsv1.ReplicaSet
	Jobs            []batchv1.Job
	CronJobs        []batchv1.CronJob
	Services        []corev1.Service
	Ingresses       []networkingv1.Ingress
	NetworkPolicies []networkingv1.NetworkPolicy
	Nodes           []corev1.Node
	Namespaces      []corev1.Namespace
	// ServiceAccounts carry the IRSA role annotation
	// (eks.amazonaws.com/role-arn) that pods using them get.
	ServiceAccounts []corev1.ServiceAccount

	// Enforcement says whether the cluster's network plugin enforces
	// NetworkPolicies, with the values of workload.Cluster.PolicyEnforcement:
	// "enforced", "not_enforced" or "unknown" ("" = not looked at, as for
	// manifests, which Build treats as "unknown"). A NetworkPolicy has no
	// effect without a plugin that implements it
	// (https://kubernetes.io/docs/concepts/services-networking/network-policies/#prerequisites).
	Enforcement string
	// Plugin names the network plugin Enforcement was told from ("calico",
	// "cilium", "aws-vpc-cni", "flannel", …), "" when none was recognised.
	Plugin string
	// EnforcementEvidence is the proof text: which object showed the plugin
	// (e.g. "DaemonSet kube-system/calico-node"), or why it is unknown.
	EnforcementEvidence string

	// Ignored counts the objects read but not modelled, by
	// "apiVersion/Kind" (ConfigMaps, CRDs, …): read, not dropped silently.
	Ignored map[string]int
	// IgnoredAt is where the first object of each Ignored key was read;
	// Build turns Ignored into Gaps (see ignoredGaps).
	IgnoredAt map[string]string

	// Inputs maps "Kind/namespace/name" to where the object was read
	// ("deploy/app.yaml:12", "chart ./shop (Helm)", a kubeconfig context).
	Inputs map[string]string
	// Gaps are what could not be read (RBAC denials, unparsable documents).
	Gaps []workload.Gap
}
