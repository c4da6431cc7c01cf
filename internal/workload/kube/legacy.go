package kube

import (
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// legacyKinds are the older API versions of modelled kinds that old charts
// and manifests still carry (all removed from the API server by
// Kubernetes 1.25, see the Kubernetes "Deprecated API Migration Guide").
// Their fields read here are laid out as in the current version, except
// Ingress backends (serviceName/servicePort), which are converted.
var legacyKinds = map[string]func([]byte) (runtime.Object, error){
	"apps/v1beta1/Deployment":           decodeAs[appsv1.Deployment],
	"apps/v1beta2/Deployment":           decodeAs[appsv1.Deployment],
	"extensions/v1beta1/Deployment":     decodeAs[appsv1.Deployment],
	"apps/v1beta1/StatefulSet":          decodeAs[appsv1.StatefulSet],
	"apps/v1beta2/StatefulSet":          decodeAs[appsv1.StatefulSet],
	"apps/v1beta2/DaemonSet":            decodeAs[appsv1.DaemonSet],
	"extensions/v1beta1/DaemonSet":      decodeAs[appsv1.DaemonSet],
	"apps/v1beta2/ReplicaSet":           decodeAs[appsv1.ReplicaSet],
	"extensions/v1beta1/ReplicaSet":     decodeAs[appsv1.ReplicaSet],
	"batch/v1beta1/CronJob":             decodeAs[batchv1.CronJob],
	"extensions/v1beta1/Ingress":        decodeLegacyIngress,
	"networking.k8s.io/v1beta1/Ingress": decodeLegacyIngress,
	"extensions/v1beta1/NetworkPolicy":  decodeAs[networkingv1.NetworkPolicy],
}

// decodeAs decodes JSON into the current version's type.
func decodeAs[T any, P interface {
	*T
	runtime.Object
}](js []byte) (runtime.Object, error) {
	var v T
	if err := json.Unmarshal(js, &v); err != nil {
		return nil, err
	}
	return P(&v), nil
}

// decodeLegacyIngress converts an extensions/v1beta1 or
// networking.k8s.io/v1beta1 Ingress (same layout) to networking/v1:
// backend.serviceName/servicePort become backend.service.name/port, and
// spec.backend becomes spec.defaultBackend.
func decodeLegacyIngress(js []byte) (runtime.Object, error) {
	var old networkingv1beta1.Ingress
	if err := json.Unmarshal(js, &old); err != nil {
		return nil, err
	}
	ing := &networkingv1.Ingress{ObjectMeta: old.ObjectMeta}
	ing.Spec.IngressClassName = old.Spec.IngressClassName
	if old.Spec.Backend != nil {
		b := convertBackend(*old.Spec.Backend)
		ing.Spec.DefaultBackend = &b
	}
	for _, t := range old.Spec.TLS {
		ing.Spec.TLS = append(ing.Spec.TLS, networkingv1.IngressTLS{Hosts: t.Hosts, SecretName: t.SecretName})
	}
	for _, r := range old.Spec.Rules {
		rule := networkingv1.IngressRule{Host: r.Host}
		if r.HTTP != nil {
			rule.HTTP = &networkingv1.HTTPIngressRuleValue{}
			for _, p := range r.HTTP.Paths {
				rule.HTTP.Paths = append(rule.HTTP.Paths, networkingv1.HTTPIngressPath{
					Path: p.Path, Backend: convertBackend(p.Backend),
				})
			}
		}
		ing.Spec.Rules = append(ing.Spec.Rules, rule)
	}
	for _, l := range old.Status.LoadBalancer.Ingress {
		ing.Status.LoadBalancer.Ingress = append(ing.Status.LoadBalancer.Ingress, networkingv1.IngressLoadBalancerIngress{IP: l.IP, Hostname: l.Hostname})
	}
	return ing, nil
}

func convertBackend(b networkingv1beta1.IngressBackend) networkingv1.IngressBackend {
	out := networkingv1.IngressBackend{Resource: b.Resource}
	if b.ServiceName != "" {
		out.Service = &networkingv1.IngressServiceBackend{Name: b.ServiceName}
		if b.ServicePort.Type == intstr.String {
			out.Service.Port.Name = b.ServicePort.StrVal
		} else {
			out.Service.Port.Number = b.ServicePort.IntVal
		}
	}
	return out
}

// legacy decodes an older apiVersion of a modelled kind, if known.
func (d *decoder) legacy(loc, apiVersion, kind string, js []byte) bool {
	dec := legacyKinds[apiVersion+"/"+kind]
	if dec == nil {
		return false
	}
	obj, err := dec(js)
	if err != nil {
		d.gap(loc, "decode "+kind, fmt.Sprintf("%s %s: %v", apiVersion, kind, err))
		return true
	}
	d.opts.logf("%s: %s %s read as the current API version", loc, apiVersion, kind)
	d.read++
	d.add(loc, obj)
	return true
}
