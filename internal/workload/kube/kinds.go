package kube

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/workload"
)

// entryKinds are kinds, by API group, that open a way into the cluster
// Sightline does not follow: service-mesh and Gateway API gateways and
// routes, OpenShift Routes, ingress-controller CRDs, and the AWS Load
// Balancer Controller's TargetGroupBinding (which binds an existing target
// group to a Service). The routes they open are missing from the verdicts.
var entryKinds = map[string]map[string]bool{
	"networking.istio.io":       {"Gateway": true, "VirtualService": true},
	"gateway.networking.k8s.io": {"Gateway": true, "HTTPRoute": true, "GRPCRoute": true, "TLSRoute": true, "TCPRoute": true, "UDPRoute": true, "ListenerSet": true},
	"route.openshift.io":        {"Route": true},
	"traefik.io":                {"IngressRoute": true, "IngressRouteTCP": true, "IngressRouteUDP": true},
	"traefik.containo.us":       {"IngressRoute": true, "IngressRouteTCP": true, "IngressRouteUDP": true},
	"projectcontour.io":         {"HTTPProxy": true},
	"getambassador.io":          {"Mapping": true, "TCPMapping": true, "Host": true, "Listener": true},
	"configuration.konghq.com":  {"TCPIngress": true, "UDPIngress": true},
	"elbv2.k8s.aws":             {"TargetGroupBinding": true},
}

// filterKinds are kinds that filter traffic and are not analysed: network
// plugins' own policy kinds. Verdicts ignore them, so they may call
// exposed what such a policy stops.
var filterKinds = map[string]map[string]bool{
	"cilium.io":                        {"CiliumNetworkPolicy": true, "CiliumClusterwideNetworkPolicy": true},
	"crd.projectcalico.org":            {"NetworkPolicy": true, "GlobalNetworkPolicy": true},
	"projectcalico.org":                {"NetworkPolicy": true, "GlobalNetworkPolicy": true},
	"security.istio.io":                {"AuthorizationPolicy": true},
	"policy.networking.k8s.io":         {"AdminNetworkPolicy": true, "BaselineAdminNetworkPolicy": true},
	"networking.k8s.aws":               {"PolicyEndpoint": true},
	"vpcresources.k8s.aws":             {"SecurityGroupPolicy": true},
	"networking.gke.io":                {"GCPBackendPolicy": true},
	"k8s.ovn.org":                      {"AdminPolicyBasedExternalRoute": true},
	"network.openshift.io":             {"EgressNetworkPolicy": true},
	"policy.linkerd.io":                {"Server": true, "AuthorizationPolicy": true, "ServerAuthorization": true},
	"security.antrea.tanzu.vmware.com": {"ClusterNetworkPolicy": true, "NetworkPolicy": true},
	"crd.antrea.io":                    {"ClusterNetworkPolicy": true, "NetworkPolicy": true},
}

// groupOf is the API group of an apiVersion ("" for the core group "v1").
func groupOf(apiVersion string) string {
	g, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return ""
	}
	return g
}

// ignoredGaps turns the kinds read but not modelled into Gaps, one per
// apiVersion/Kind with its count and where the first was read, so that an
// input of Istio or Gateway API objects only does not read as a clean
// "0 workloads".
func ignoredGaps(objs *Objects) []workload.Gap {
	keys := make([]string, 0, len(objs.Ignored))
	for k := range objs.Ignored {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []workload.Gap
	for _, k := range keys {
		i := strings.LastIndexByte(k, '/')
		apiVersion, kind := k[:i], k[i+1:]
		n := objs.Ignored[k]
		g := workload.Gap{Source: workload.SourceKubernetes, Input: objs.IgnoredAt[k],
			What: fmt.Sprintf("model %s %s (%d object%s)", apiVersion, kind, n, plural(n))}
		switch group := groupOf(apiVersion); {
		case entryKinds[group][kind]:
			g.Reason = "a way traffic gets into the cluster that is not analysed: the routes it opens to workloads are missing from the verdicts, which may call not_exposed or unknown a port it exposes"
		case filterKinds[group][kind]:
			g.Reason = "a traffic filter that is not analysed (only networking.k8s.io/v1 NetworkPolicy is): verdicts ignore it, and may call exposed a port it stops"
		default:
			g.Reason = "read but not modelled (not a workload, Service, Ingress or NetworkPolicy kind)"
		}
		out = append(out, g)
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// unknownKind words the gap of a kind its (built-in) API group does not
// have, naming the closest modelled kind when one is a small edit away.
func unknownKind(apiVersion, kind string) string {
	msg := fmt.Sprintf("unknown kind %q in %s: the API server would reject it (no matches for kind); the object is not read", kind, apiVersion)
	best, dist := "", 3
	for k := range modelledKinds {
		if d := editDistance(strings.ToLower(k), strings.ToLower(kind)); d < dist || (d == dist && best != "" && k < best) {
			best, dist = k, d
		}
	}
	if best != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", best)
	}
	return msg
}

// editDistance is the Levenshtein distance (kind names are short).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
