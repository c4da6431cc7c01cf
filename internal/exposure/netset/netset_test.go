package netset

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// randSet builds a set of random IPv4 prefixes inside 10.0.0.0/24 so that
// membership can be checked exhaustively address by address.
func randSet(r *rand.Rand) Set {
	var s Set
	for n := r.IntN(4); n > 0; n-- {
		a := netip.AddrFrom4([4]byte{10, 0, 0, byte(r.IntN(256))})
		s = s.Union(FromPrefix(netip.PrefixFrom(a, 24+r.IntN(9))))
	}
	return s
}

func member(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func TestSetAlgebraExhaustive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 300; iter++ {
		a, b := randSet(r), randSet(r)
		u, i, d := a.Union(b), a.Intersect(b), a.Subtract(b)
		pa, pb := a.Prefixes(), b.Prefixes()
		for x := 0; x < 256; x++ {
			ad := netip.AddrFrom4([4]byte{10, 0, 0, byte(x)})
			inA, inB := member(pa, ad), member(pb, ad)
			if inA != a.ContainsAddr(ad) {
				t.Fatalf("prefix rendering of %v disagrees at %v", a, ad)
			}
			if u.ContainsAddr(ad) != (inA || inB) || i.ContainsAddr(ad) != (inA && inB) ||
				d.ContainsAddr(ad) != (inA && !inB) {
				t.Fatalf("algebra wrong at %v: a=%v b=%v", ad, a, b)
			}
		}
	}
}

func TestFamilies(t *testing.T) {
	all6 := MustParse("::/0")
	if all6.ContainsAddr(netip.MustParseAddr("1.2.3.4")) {
		t.Fatal("::/0 must not match IPv4")
	}
	if !MustParse("0.0.0.0/0").ContainsAddr(netip.MustParseAddr("1.2.3.4")) {
		t.Fatal("0/0 must match IPv4")
	}
	both := V4All.Union(V6All)
	if !both.Superset(all6) || !both.ContainsAddr(netip.MustParseAddr("1.2.3.4")) {
		t.Fatalf("union of families: %s", both)
	}
	if got := MustParse("0.0.0.0/0").String(); got != "0.0.0.0/0" {
		t.Fatalf("render 0/0: %s", got)
	}
	if InternetV4.ContainsAddr(netip.MustParseAddr("10.1.2.3")) || !InternetV4.ContainsAddr(netip.MustParseAddr("8.8.8.8")) {
		t.Fatal("InternetV4 wrong")
	}
	if !InternetV6.ContainsAddr(netip.MustParseAddr("2600::1")) || InternetV6.ContainsAddr(netip.MustParseAddr("fd00::1")) {
		t.Fatal("InternetV6 wrong")
	}
}

func TestSpaceAlgebra(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	randSpace := func() Space {
		var s Space
		for n := r.IntN(4); n > 0; n-- {
			lo := uint16(r.IntN(40))
			s = s.Union(Box(randSet(r), lo, lo+uint16(r.IntN(10))))
		}
		return s
	}
	for iter := 0; iter < 200; iter++ {
		a, b := randSpace(), randSpace()
		u, i, d := a.Union(b), a.Intersect(b), a.Subtract(b)
		for p := uint16(0); p < 55; p++ {
			sa, sb := a.At(p), b.At(p)
			if !u.At(p).Equal(sa.Union(sb)) || !i.At(p).Equal(sa.Intersect(sb)) || !d.At(p).Equal(sa.Subtract(sb)) {
				t.Fatalf("space algebra wrong at port %d", p)
			}
		}
		// canonical form: rebuilding from segments gives an equal space
		var re Space
		for _, g := range u.Segments() {
			re = re.Union(Box(g.Addrs, g.Ports.Lo, g.Ports.Hi))
		}
		if !re.Equal(u) {
			t.Fatal("space representation is not canonical")
		}
	}
}
