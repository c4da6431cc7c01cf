package live

import (
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// Enforcement values (as workload.Cluster.PolicyEnforcement).
const (
	Enforced    = "enforced"
	NotEnforced = "not_enforced"
	Unknown     = "unknown"
)

// systemNamespaces are where network plugins install their node agents:
// kube-system for most, calico-system for the Tigera operator's Calico,
// kube-flannel for upstream flannel, cilium for some Cilium installs.
var systemNamespaces = []string{"kube-system", "calico-system", "kube-flannel", "cilium"}

// plugins maps a node-agent DaemonSet name to the network plugin and
// whether it enforces NetworkPolicy. Kubernetes stores NetworkPolicies
// whether or not anything enforces them: "Network policies are implemented
// by the network plugin … Creating a NetworkPolicy resource without a
// controller that implements it will have no effect"
// (https://kubernetes.io/docs/concepts/services-networking/network-policies/#prerequisites).
// Enforcing plugins are listed first: a cluster running two (e.g. the AWS
// VPC CNI for addresses and Calico for policy) is enforced.
var plugins = []struct {
	daemonSet string
	plugin    string
	enforces  func(ds *appsv1.DaemonSet) (bool, string)
}{
	{"calico-node", "calico", always("Calico enforces NetworkPolicy")},
	{"canal", "canal", always("Canal runs Calico's policy engine on flannel")},
	{"cilium", "cilium", always("Cilium enforces NetworkPolicy")},
	{"anetd", "cilium", always("GKE Dataplane V2 (Cilium) enforces NetworkPolicy")},
	{"antrea-agent", "antrea", always("Antrea enforces NetworkPolicy")},
	{"kube-router", "kube-router", kubeRouter},
	{"weave-net", "weave-net", weaveNet},
	{"azure-npm", "azure-npm", always("Azure Network Policy Manager enforces NetworkPolicy")},
	{"aws-node", "aws-vpc-cni", awsNode},
	{"kube-flannel-ds", "flannel", never("flannel does not implement NetworkPolicy")},
	{"kube-flannel", "flannel", never("flannel does not implement NetworkPolicy")},
}

func always(why string) func(*appsv1.DaemonSet) (bool, string) {
	return func(*appsv1.DaemonSet) (bool, string) { return true, why }
}

func never(why string) func(*appsv1.DaemonSet) (bool, string) {
	return func(*appsv1.DaemonSet) (bool, string) { return false, why }
}

// awsNode: the Amazon VPC CNI enforces NetworkPolicy only through its
// network policy agent (container aws-eks-nodeagent, image
// aws-network-policy-agent, in aws-node since v1.14) started with
// --enable-network-policy=true (the add-on's enableNetworkPolicy setting);
// the agent is present but idle by default
// (https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html).
// ENABLE_NETWORK_POLICY=true in a container's environment counts as well.
func awsNode(ds *appsv1.DaemonSet) (bool, string) {
	agent := false
	for _, c := range allContainers(ds) {
		if strings.Contains(c.Image, "aws-network-policy-agent") || c.Name == "aws-eks-nodeagent" {
			agent = true
			if slices.Contains(c.Args, "--enable-network-policy=true") {
				return true, "the AWS VPC CNI network policy agent runs with --enable-network-policy=true"
			}
		}
		for _, e := range c.Env {
			if e.Name == "ENABLE_NETWORK_POLICY" && strings.EqualFold(e.Value, "true") {
				return true, fmt.Sprintf("container %s sets ENABLE_NETWORK_POLICY=true", c.Name)
			}
		}
	}
	if agent {
		return false, "the AWS VPC CNI network policy agent is present but not enabled (--enable-network-policy is not true)"
	}
	return false, "the AWS VPC CNI runs without its network policy agent"
}

// kubeRouter enforces unless its firewall is turned off (--run-firewall
// defaults to true).
func kubeRouter(ds *appsv1.DaemonSet) (bool, string) {
	for _, c := range allContainers(ds) {
		if slices.Contains(c.Args, "--run-firewall=false") {
			return false, "kube-router runs with --run-firewall=false"
		}
	}
	return true, "kube-router's firewall enforces NetworkPolicy"
}

// weaveNet enforces through its weave-npc container.
func weaveNet(ds *appsv1.DaemonSet) (bool, string) {
	for _, c := range allContainers(ds) {
		if c.Name == "weave-npc" || strings.Contains(c.Image, "weave-npc") {
			return true, "Weave Net's weave-npc container enforces NetworkPolicy"
		}
	}
	return false, "Weave Net runs without its weave-npc policy controller"
}

func allContainers(ds *appsv1.DaemonSet) []corev1.Container {
	spec := ds.Spec.Template.Spec
	return append(slices.Clone(spec.InitContainers), spec.Containers...)
}

// DetectEnforcement tells from the cluster's DaemonSets whether
// NetworkPolicies are enforced: Enforced when a plugin that enforces them
// runs, NotEnforced when only plugins that do not were found, Unknown when
// no known plugin was found or the DaemonSets of a system namespace could
// not be listed (denied holds the namespaces whose DaemonSets were denied;
// "" = all). plugin names the plugin; evidence is the proof text.
func DetectEnforcement(daemonSets []appsv1.DaemonSet, denied []string) (enforcement, plugin, evidence string) {
	var not []string
	var notPlugin string
	for _, p := range plugins {
		for i := range daemonSets {
			ds := &daemonSets[i]
			if ds.Name != p.daemonSet || !slices.Contains(systemNamespaces, ds.Namespace) {
				continue
			}
			ok, why := p.enforces(ds)
			where := fmt.Sprintf("DaemonSet %s/%s", ds.Namespace, ds.Name)
			if ok {
				return Enforced, p.plugin, where + ": " + why
			}
			if notPlugin == "" {
				notPlugin = p.plugin
			}
			not = append(not, where+": "+why)
		}
	}
	var blind []string
	for _, ns := range denied {
		if ns == "" {
			blind = []string{"all namespaces"}
			break
		}
		if slices.Contains(systemNamespaces, ns) {
			blind = append(blind, ns)
		}
	}
	if len(blind) > 0 {
		why := "DaemonSets could not be listed in " + strings.Join(blind, ", ")
		if len(not) > 0 {
			why += "; found " + strings.Join(not, "; ")
		}
		return Unknown, notPlugin, why
	}
	if len(not) > 0 {
		return NotEnforced, notPlugin, strings.Join(not, "; ")
	}
	return Unknown, "", "no known network plugin DaemonSet (" + knownDaemonSets() + ") in " + strings.Join(systemNamespaces, ", ")
}

func knownDaemonSets() string {
	var names []string
	for _, p := range plugins {
		names = append(names, p.daemonSet)
	}
	return strings.Join(names, ", ")
}
