package kube

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The API server validates every object before storing it
// (k8s.io/kubernetes pkg/apis/core/validation, apps/validation,
// networking/validation, with the helpers of
// k8s.io/apimachinery/pkg/util/validation used here). A manifest that
// breaks those rules is rejected by `kubectl apply`, so nothing runs from
// it: what the API server would reject is a Gap naming file and line, and
// the field is not modelled (no rows such as tcp/-1 or tcp/99999).

// rejected words the reason of a validation gap.
func rejected(field string, errs []string) string {
	return fmt.Sprintf("the API server rejects it (%s: %s); not modelled", field, strings.Join(errs, "; "))
}

// nameErrors checks metadata.name and metadata.namespace. Per the API
// conventions ("Object Names and IDs"), most names are DNS-1123
// subdomains, Service names DNS-1035 labels (they become DNS labels),
// Namespace names DNS-1123 labels; a namespace is a DNS-1123 label. A
// name with "/" or ":" also breaks the IDs and --why addresses built from
// it.
func nameErrors(kind, name, namespace string) []string {
	var errs []string
	if name == "" {
		return []string{"metadata.name: required"}
	}
	switch kind {
	case "Service":
		errs = prefixed("metadata.name", name, validation.IsDNS1035Label(name))
	case "Namespace":
		errs = prefixed("metadata.name", name, validation.IsDNS1123Label(name))
	default:
		errs = prefixed("metadata.name", name, validation.IsDNS1123Subdomain(name))
	}
	if namespace != "" {
		errs = append(errs, prefixed("metadata.namespace", namespace, validation.IsDNS1123Label(namespace))...)
	}
	return errs
}

func prefixed(field, value string, errs []string) []string {
	for i := range errs {
		errs[i] = fmt.Sprintf("%s %q: %s", field, value, errs[i])
	}
	return errs
}

// protocolErrors: Supported values "TCP", "UDP", "SCTP" (ContainerPort,
// ServicePort, NetworkPolicyPort).
func protocolErrors(p corev1.Protocol) []string {
	switch p {
	case "", corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		return nil
	}
	return []string{fmt.Sprintf("protocol %q: supported values: TCP, UDP, SCTP", p)}
}

// containerPortErrors: ContainerPort "must be a valid port number,
// 0 < x < 65536"; hostPort the same when set; name an IANA_SVC_NAME;
// hostIP an IP address; with hostNetwork, hostPort equal to containerPort
// (core validation, validateContainerPorts and validateHostNetwork).
func containerPortErrors(p corev1.ContainerPort, hostNetwork bool) []string {
	var errs []string
	for _, e := range validation.IsValidPortNum(int(p.ContainerPort)) {
		errs = append(errs, fmt.Sprintf("containerPort %d: %s", p.ContainerPort, e))
	}
	if p.HostPort != 0 {
		for _, e := range validation.IsValidPortNum(int(p.HostPort)) {
			errs = append(errs, fmt.Sprintf("hostPort %d: %s", p.HostPort, e))
		}
		if hostNetwork && p.HostPort != p.ContainerPort {
			errs = append(errs, fmt.Sprintf("hostPort %d: must match containerPort %d when hostNetwork is true", p.HostPort, p.ContainerPort))
		}
	}
	if p.Name != "" {
		for _, e := range validation.IsValidPortName(p.Name) {
			errs = append(errs, fmt.Sprintf("name %q: %s", p.Name, e))
		}
	}
	if p.HostIP != "" {
		if _, err := netip.ParseAddr(p.HostIP); err != nil {
			errs = append(errs, fmt.Sprintf("hostIP %q: must be a valid IP address", p.HostIP))
		}
	}
	return append(errs, protocolErrors(p.Protocol)...)
}

// servicePortErrors: port 1–65535; nodePort 0 (allocated) or a valid
// port; targetPort 0 (defaults to port), a valid port number or an
// IANA_SVC_NAME (core validation, validateServicePort).
func servicePortErrors(sp corev1.ServicePort) []string {
	var errs []string
	for _, e := range validation.IsValidPortNum(int(sp.Port)) {
		errs = append(errs, fmt.Sprintf("port %d: %s", sp.Port, e))
	}
	if sp.NodePort != 0 {
		for _, e := range validation.IsValidPortNum(int(sp.NodePort)) {
			errs = append(errs, fmt.Sprintf("nodePort %d: %s", sp.NodePort, e))
		}
	}
	switch tp := sp.TargetPort; {
	case tp.Type == intstr.String:
		for _, e := range validation.IsValidPortName(tp.StrVal) {
			errs = append(errs, fmt.Sprintf("targetPort %q: %s", tp.StrVal, e))
		}
	case tp.IntVal != 0:
		for _, e := range validation.IsValidPortNum(int(tp.IntVal)) {
			errs = append(errs, fmt.Sprintf("targetPort %d: %s", tp.IntVal, e))
		}
	}
	return append(errs, protocolErrors(sp.Protocol)...)
}

// selectorErrors: matchExpressions operators are In, NotIn, Exists and
// DoesNotExist, In/NotIn with values and Exists/DoesNotExist without
// (metav1 validation, ValidateLabelSelector; LabelSelectorAsSelector
// applies the same rules).
func selectorErrors(field string, s *metav1.LabelSelector) []string {
	if s == nil {
		return nil
	}
	if _, err := metav1.LabelSelectorAsSelector(s); err != nil {
		return []string{field + ": " + err.Error()}
	}
	return nil
}

// policyErrors checks a NetworkPolicy's selectors and ports (networking
// validation, ValidateNetworkPolicySpec: ports valid numbers or
// IANA_SVC_NAMEs, endPort only with a numeric port and not below it).
func policyErrors(np *networkingv1.NetworkPolicy) []string {
	errs := selectorErrors("spec.podSelector", &np.Spec.PodSelector)
	for i, r := range np.Spec.Ingress {
		for j, f := range r.From {
			errs = append(errs, selectorErrors(fmt.Sprintf("spec.ingress[%d].from[%d].podSelector", i, j), f.PodSelector)...)
			errs = append(errs, selectorErrors(fmt.Sprintf("spec.ingress[%d].from[%d].namespaceSelector", i, j), f.NamespaceSelector)...)
		}
		for j, p := range r.Ports {
			field := fmt.Sprintf("spec.ingress[%d].ports[%d]", i, j)
			if p.Protocol != nil {
				for _, e := range protocolErrors(*p.Protocol) {
					errs = append(errs, field+" "+e)
				}
			}
			if p.Port != nil {
				if p.Port.Type == intstr.String {
					for _, e := range validation.IsValidPortName(p.Port.StrVal) {
						errs = append(errs, fmt.Sprintf("%s.port %q: %s", field, p.Port.StrVal, e))
					}
				} else {
					for _, e := range validation.IsValidPortNum(int(p.Port.IntVal)) {
						errs = append(errs, fmt.Sprintf("%s.port %d: %s", field, p.Port.IntVal, e))
					}
				}
			}
			if p.EndPort != nil {
				switch {
				case p.Port == nil || p.Port.Type == intstr.String:
					errs = append(errs, field+".endPort: may not be specified without a numeric port")
				case *p.EndPort < p.Port.IntVal:
					errs = append(errs, fmt.Sprintf("%s.endPort %d: must be greater than or equal to port %d", field, *p.EndPort, p.Port.IntVal))
				case len(validation.IsValidPortNum(int(*p.EndPort))) > 0:
					errs = append(errs, fmt.Sprintf("%s.endPort %d: must be between 1 and 65535, inclusive", field, *p.EndPort))
				}
			}
		}
	}
	return errs
}
