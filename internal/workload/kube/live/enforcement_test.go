package live

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func ds(ns, name string, containers ...corev1.Container) appsv1.DaemonSet {
	d := appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	d.Spec.Template.Spec.Containers = containers
	return d
}

// The aws-node DaemonSet as the VPC CNI add-on v1.14+ ships it: the
// network policy agent container is present, enabled only by its flag.
func awsNodeDS(enable string) appsv1.DaemonSet {
	return ds("kube-system", "aws-node",
		corev1.Container{Name: "aws-node", Image: "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.19.2"},
		corev1.Container{Name: "aws-eks-nodeagent", Image: "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon/aws-network-policy-agent:v1.1.6",
			Args: []string{"--enable-ipv6=false", "--enable-network-policy=" + enable, "--enable-cloudwatch-logs=false"}})
}

func TestDetectEnforcement(t *testing.T) {
	kubeProxy := ds("kube-system", "kube-proxy", corev1.Container{Name: "kube-proxy"})
	for _, c := range []struct {
		name     string
		ds       []appsv1.DaemonSet
		denied   []string
		want     string
		plugin   string
		evidence string
	}{
		{"calico", []appsv1.DaemonSet{kubeProxy, ds("kube-system", "calico-node")}, nil, Enforced, "calico", "kube-system/calico-node"},
		{"calico operator namespace", []appsv1.DaemonSet{ds("calico-system", "calico-node")}, nil, Enforced, "calico", "calico-system/calico-node"},
		{"cilium", []appsv1.DaemonSet{ds("kube-system", "cilium")}, nil, Enforced, "cilium", "kube-system/cilium"},
		{"antrea", []appsv1.DaemonSet{ds("kube-system", "antrea-agent")}, nil, Enforced, "antrea", "antrea-agent"},
		{"kube-router", []appsv1.DaemonSet{ds("kube-system", "kube-router", corev1.Container{Name: "kube-router", Args: []string{"--run-router=true"}})}, nil, Enforced, "kube-router", "firewall"},
		{"kube-router no firewall", []appsv1.DaemonSet{ds("kube-system", "kube-router", corev1.Container{Name: "kube-router", Args: []string{"--run-firewall=false"}})}, nil, NotEnforced, "kube-router", "--run-firewall=false"},
		{"weave with npc", []appsv1.DaemonSet{ds("kube-system", "weave-net", corev1.Container{Name: "weave"}, corev1.Container{Name: "weave-npc"})}, nil, Enforced, "weave-net", "weave-npc"},
		{"aws-node agent enabled", []appsv1.DaemonSet{awsNodeDS("true")}, nil, Enforced, "aws-vpc-cni", "--enable-network-policy=true"},
		{"aws-node agent idle", []appsv1.DaemonSet{awsNodeDS("false")}, nil, NotEnforced, "aws-vpc-cni", "not enabled"},
		{"aws-node env", []appsv1.DaemonSet{ds("kube-system", "aws-node", corev1.Container{Name: "aws-node", Env: []corev1.EnvVar{{Name: "ENABLE_NETWORK_POLICY", Value: "true"}}})}, nil, Enforced, "aws-vpc-cni", "ENABLE_NETWORK_POLICY=true"},
		{"aws-node old", []appsv1.DaemonSet{ds("kube-system", "aws-node", corev1.Container{Name: "aws-node"})}, nil, NotEnforced, "aws-vpc-cni", "without its network policy agent"},
		{"aws-node plus calico", []appsv1.DaemonSet{awsNodeDS("false"), ds("calico-system", "calico-node")}, nil, Enforced, "calico", "calico-node"},
		{"flannel alone", []appsv1.DaemonSet{ds("kube-flannel", "kube-flannel-ds")}, nil, NotEnforced, "flannel", "flannel does not implement"},
		{"nothing known", []appsv1.DaemonSet{kubeProxy}, nil, Unknown, "", "no known network plugin"},
		{"name outside system namespaces", []appsv1.DaemonSet{ds("shop", "calico-node")}, nil, Unknown, "", "no known network plugin"},
		{"daemonsets denied", nil, []string{""}, Unknown, "", "could not be listed in all namespaces"},
		{"kube-system denied, flannel seen", []appsv1.DaemonSet{ds("kube-flannel", "kube-flannel-ds")}, []string{"kube-system"}, Unknown, "flannel", "could not be listed in kube-system"},
		{"app namespace denied", []appsv1.DaemonSet{ds("kube-flannel", "kube-flannel-ds")}, []string{"shop"}, NotEnforced, "flannel", "kube-flannel/kube-flannel-ds"},
	} {
		got, plugin, evidence := DetectEnforcement(c.ds, c.denied)
		if got != c.want || plugin != c.plugin || !strings.Contains(evidence, c.evidence) {
			t.Errorf("%s: got %q %q %q, want %q %q containing %q", c.name, got, plugin, evidence, c.want, c.plugin, c.evidence)
		}
	}
}
