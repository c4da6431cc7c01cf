package exposure

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/exposure/netset"
	"github.com/sightline-sec/sightline/internal/netmodel"
)

// policy is a compiled ordered stateful list with priorities and deny
// (netmodel.Policy). GCP VPC firewall rules ("Firewall rules overview ›
// Priority": the rule with the lowest priority number that matches
// applies; at equal priority a deny rule takes precedence over an allow
// rule; the implied ingress rule denies everything) and Azure network
// security groups ("Network security groups › Security rules": rules are
// processed in priority order, lower numbers first, and processing stops
// at the first match) share these semantics. Both are stateful: return
// traffic of an allowed connection needs no rule.
type policy struct {
	id      string
	rules   []policyRule
	space   [nProto]netset.Space // (dst port × src addr) admitted inbound
	missing []string
}

type policyRule struct {
	firstMatchRule
	name     string
	priority int
}

func compilePolicy(pl *netmodel.Policy) *policy {
	p := &policy{id: pl.ID, missing: pl.Missing}
	for _, r := range pl.Rules {
		p.rules = append(p.rules, policyRule{name: r.Name, priority: r.Priority,
			firstMatchRule: firstMatchRule{allow: r.Allow, protos: protoMask(r.Protocols), lo: r.Ports.Lo, hi: r.Ports.Hi, addrs: prefixSet(r.Prefixes)}})
	}
	// Lowest priority number first; at equal priority deny before allow.
	sort.SliceStable(p.rules, func(i, j int) bool {
		a, b := p.rules[i], p.rules[j]
		if a.priority != b.priority {
			return a.priority < b.priority
		}
		return !a.allow && b.allow
	})
	for pr := 0; pr < nProto; pr++ {
		p.space[pr] = firstMatch(p.rules, pr)
	}
	return p
}

// match returns the rule deciding one packet (nil: none, implied deny).
func (p *policy) match(pr int, a netset.U128, port uint16) *policyRule {
	for i := range p.rules {
		r := &p.rules[i]
		if r.protos[pr] && port >= r.lo && port <= r.hi && r.addrs.Contains(a) {
			return r
		}
	}
	return nil
}

// policyStage intersects with the inbound decisions of every policy on
// an endpoint (each must allow: Azure applies the subnet's and the
// interface's security groups in turn).
func (m *regionModel) policyStage(ids []string, pr int, cur netset.Space) stage {
	var pols []*policy
	st := stage{kind: "firewall_policy", id: strings.Join(ids, ", ")}
	for _, id := range ids {
		p := m.policies[id]
		if p == nil {
			st.missing = append(st.missing, fmt.Sprintf("policy %s not in the model", id))
			continue
		}
		st.missing = append(st.missing, p.missing...)
		cur = cur.Intersect(p.space[pr])
		pols = append(pols, p)
	}
	if len(st.missing) > 0 {
		cur = netset.Space{}
	}
	st.space = cur
	st.why = func(a netset.U128, lo, _ uint16) string {
		var parts []string
		for _, p := range pols {
			r := p.match(pr, a, lo)
			switch {
			case r == nil:
				parts = append(parts, fmt.Sprintf("%s: no rule matches %s %s/%d (implied deny)", p.id, a.Addr(), protoNames[pr], lo))
			case r.allow:
				parts = append(parts, fmt.Sprintf("%s: rule %s (priority %d) allows %s %s/%d", p.id, r.name, r.priority, a.Addr(), protoNames[pr], lo))
			default:
				parts = append(parts, fmt.Sprintf("%s: rule %s (priority %d) denies %s %s/%d", p.id, r.name, r.priority, a.Addr(), protoNames[pr], lo))
			}
		}
		return strings.Join(parts, "; ")
	}
	return st
}
