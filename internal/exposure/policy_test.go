package exposure

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/exposure/netset"
	"github.com/sightline-sec/sightline/internal/netmodel"
)

// TestPolicyPriorityAndDeny checks the ordered stateful list semantics
// (GCP firewall rules, Azure NSGs): lowest priority number decides, deny
// wins at equal priority, no match denies.
func TestPolicyPriorityAndDeny(t *testing.T) {
	pf := func(s string) []netip.Prefix { return []netip.Prefix{netip.MustParsePrefix(s)} }
	p := compilePolicy(&netmodel.Policy{ID: "fw-1", Rules: []netmodel.PolicyRule{
		{Name: "allow-all-web", Priority: 1000, Allow: true, Protocols: netmodel.TCP, Ports: netmodel.Ports{Lo: 80, Hi: 443}, Prefixes: pf("0.0.0.0/0")},
		{Name: "deny-bad", Priority: 500, Allow: false, Protocols: netmodel.AllProtocols, Ports: netmodel.AllPorts, Prefixes: pf("198.51.0.0/16")},
		{Name: "tie-allow", Priority: 200, Allow: true, Protocols: netmodel.TCP, Ports: netmodel.Ports{Lo: 22, Hi: 22}, Prefixes: pf("203.0.0.0/8")},
		{Name: "tie-deny", Priority: 200, Allow: false, Protocols: netmodel.TCP, Ports: netmodel.Ports{Lo: 22, Hi: 22}, Prefixes: pf("203.0.113.0/24")},
	}})
	at := func(ip string, port uint16) bool {
		return p.space[tcp].At(port).ContainsAddr(netip.MustParseAddr(ip))
	}
	cases := []struct {
		ip   string
		port uint16
		want bool
	}{
		{"8.8.8.8", 443, true},     // allow-all-web
		{"198.51.7.1", 443, false}, // deny-bad (500) beats allow (1000)
		{"8.8.8.8", 8080, false},   // no match: implied deny
		{"203.0.113.9", 22, false}, // equal priority: deny wins
		{"203.1.1.1", 22, true},    // tie-allow only
	}
	for _, c := range cases {
		if got := at(c.ip, c.port); got != c.want {
			t.Errorf("%s tcp/%d: admitted %v, want %v", c.ip, c.port, got, c.want)
		}
	}
	if !p.space[udp].At(53).IsEmpty() {
		t.Errorf("udp/53 admitted by a tcp-only allow list: %v", p.space[udp].At(53))
	}
	// The stage explains the deciding rule.
	m := &regionModel{policies: map[string]*policy{"fw-1": p}}
	st := m.policyStage([]string{"fw-1"}, tcp, netset.Box(netset.Internet, 0, netset.MaxPort))
	if d := st.why(netset.FromAddr(netip.MustParseAddr("198.51.7.1")), 443, 443); !strings.Contains(d, "deny-bad (priority 500) denies") {
		t.Errorf("why: %s", d)
	}
	if st.space.At(443).ContainsAddr(netip.MustParseAddr("198.51.7.1")) || !st.space.At(443).ContainsAddr(netip.MustParseAddr("8.8.8.8")) {
		t.Error("stage space disagrees with the policy")
	}
	// A policy the model lacks makes the stage unknown, never open.
	st = m.policyStage([]string{"fw-absent"}, tcp, netset.Box(netset.Internet, 0, netset.MaxPort))
	if len(st.missing) == 0 || !st.space.IsEmpty() {
		t.Errorf("absent policy: missing %v, space empty %v", st.missing, st.space.IsEmpty())
	}
}
