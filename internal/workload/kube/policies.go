package kube

import (
	"fmt"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/sightline-sec/sightline/internal/workload"
)

// policies adds the NetworkPolicies that restrict ingress. Per the
// NetworkPolicy API, policyTypes defaults to [Ingress] (plus Egress when
// egress rules are present), so a policy without policyTypes restricts
// ingress; an Egress-only policy does not, and is left out.
func (b *builder) policies() {
	for i := range b.objs.NetworkPolicies {
		np := &b.objs.NetworkPolicies[i]
		if !restrictsIngress(np) {
			continue
		}
		if errs := policyErrors(np); len(errs) > 0 {
			// Rejected by the API server: it never selects a pod.
			b.gap(b.objs.Inputs["NetworkPolicy/"+np.Namespace+"/"+np.Name], "read NetworkPolicy "+np.Namespace+"/"+np.Name, rejected("spec", errs))
			continue
		}
		p := workload.Policy{
			ID: b.id(np.Namespace, "NetworkPolicy", np.Name), Namespace: np.Namespace, Name: np.Name,
			PodSelector: np.Spec.PodSelector.MatchLabels, Expressions: expressions(np.Spec.PodSelector.MatchExpressions),
			Rules: []workload.PolicyRule{}, Input: b.objs.Inputs["NetworkPolicy/"+np.Namespace+"/"+np.Name],
		}
		if p.PodSelector == nil {
			p.PodSelector = map[string]string{} // {} selects every pod of the namespace
		}
		for _, r := range np.Spec.Ingress {
			p.Rules = append(p.Rules, policyRule(r))
		}
		b.inv.Policies = append(b.inv.Policies, p)
	}
	sort.SliceStable(b.inv.Policies, func(i, j int) bool { return b.inv.Policies[i].ID < b.inv.Policies[j].ID })
}

func restrictsIngress(np *networkingv1.NetworkPolicy) bool {
	if len(np.Spec.PolicyTypes) == 0 {
		return true
	}
	for _, t := range np.Spec.PolicyTypes {
		if t == networkingv1.PolicyTypeIngress {
			return true
		}
	}
	return false
}

func policyRule(r networkingv1.NetworkPolicyIngressRule) workload.PolicyRule {
	out := workload.PolicyRule{From: []workload.Peer{}, Ports: []workload.PolicyPort{}}
	for _, f := range r.From {
		switch {
		case f.IPBlock != nil:
			out.From = append(out.From, workload.Peer{CIDR: f.IPBlock.CIDR, Except: f.IPBlock.Except})
		default:
			out.From = append(out.From, workload.Peer{Selector: peerSelector(f)})
		}
	}
	for _, p := range r.Ports {
		pp := workload.PolicyPort{Protocol: "tcp"}
		if p.Protocol != nil {
			pp.Protocol = protocol(*p.Protocol)
		}
		if p.Port != nil {
			if p.Port.Type == intstr.String {
				pp.Name = p.Port.StrVal
			} else {
				pp.Port = int(p.Port.IntVal)
			}
		}
		if p.EndPort != nil {
			pp.EndPort = int(*p.EndPort)
		}
		out.Ports = append(out.Ports, pp)
	}
	return out
}

// peerSelector is the text of a pod/namespace selector peer. Per the API,
// a podSelector alone selects pods of the policy's namespace; a
// namespaceSelector alone every pod of the selected namespaces; both, the
// selected pods in the selected namespaces.
func peerSelector(f networkingv1.NetworkPolicyPeer) string {
	var parts []string
	if f.NamespaceSelector != nil {
		parts = append(parts, "namespaceSelector{"+selectorText(f.NamespaceSelector)+"}")
	}
	if f.PodSelector != nil {
		parts = append(parts, "podSelector{"+selectorText(f.PodSelector)+"}")
	}
	return strings.Join(parts, " ")
}

// selectorText renders a label selector as kubectl does ("a=b,c in (d,e)").
func selectorText(s *metav1.LabelSelector) string {
	keys := make([]string, 0, len(s.MatchLabels))
	for k := range s.MatchLabels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+s.MatchLabels[k])
	}
	parts = append(parts, expressions(s.MatchExpressions)...)
	return strings.Join(parts, ",")
}

// expressions renders matchExpressions ("tier in (a,b)", "!legacy").
func expressions(exprs []metav1.LabelSelectorRequirement) []string {
	var out []string
	for _, e := range exprs {
		switch e.Operator {
		case metav1.LabelSelectorOpExists:
			out = append(out, e.Key)
		case metav1.LabelSelectorOpDoesNotExist:
			out = append(out, "!"+e.Key)
		default:
			out = append(out, fmt.Sprintf("%s %s (%s)", e.Key, strings.ToLower(string(e.Operator)), strings.Join(e.Values, ",")))
		}
	}
	return out
}
