package exposure

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/sightline-sec/sightline/internal/exposure/netset"
	"github.com/sightline-sec/sightline/internal/netmodel"
)

// hostileGroup is one security group with n rules on distinct /32
// sources and ports (a hostile snapshot: nothing merges).
func hostileGroup(n int) *netmodel.Group {
	g := &netmodel.Group{ID: "sg-hostile"}
	for i := 0; i < n; i++ {
		a := netip.AddrFrom4([4]byte{byte(11 + i>>16), byte(i >> 8), byte(i), 1})
		g.Inbound = append(g.Inbound, netmodel.GroupRule{Protocols: netmodel.TCP, Ports: netmodel.Ports{Lo: uint16(i % 60000), Hi: uint16(i%60000 + 3)},
			Prefixes: []netip.Prefix{netip.PrefixFrom(a, 32)}, Source: a.String()})
	}
	return g
}

// BenchmarkSGUnion measures compiling one group of 10k/50k/200k rules
// (was quadratic: 10k 1.7 s, 50k 46 s).
func BenchmarkSGUnion(b *testing.B) {
	for _, n := range []int{10000, 50000, 200000} {
		g := hostileGroup(n)
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				compileSG(g)
			}
		})
	}
}

// TestSGUnionExact: the tree union equals the rule-by-rule answer.
func TestSGUnionExact(t *testing.T) {
	g := compileSG(hostileGroup(3000))
	for i := 0; i < 3000; i += 97 {
		a := netip.AddrFrom4([4]byte{byte(11 + i>>16), byte(i >> 8), byte(i), 1})
		if !g.inSpace[tcp].At(uint16(i%60000 + 2)).ContainsAddr(a) {
			t.Fatalf("rule %d not admitted", i)
		}
		if g.inSpace[tcp].At(uint16(i%60000 + 2)).ContainsAddr(a.Next()) {
			t.Fatalf("rule %d admits a neighbour", i)
		}
	}
}

// BenchmarkSGUnionFold is the previous algorithm (one growing
// accumulator), kept to measure the ratio in the same session.
func BenchmarkSGUnionFold(b *testing.B) {
	for _, n := range []int{10000} {
		g := compileSG(hostileGroup(n))
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var sp netset.Space
				for _, r := range g.in {
					sp = sp.Union(netset.Box(r.addrs, r.lo, r.hi))
				}
			}
		})
	}
}
