// Package netset is exact set algebra over packet fields for the exposure
// engine: address sets (IPv4 and IPv6 in one 128-bit space), port sets and
// two-dimensional spaces (destination port × source address).
//
// Design: IPv4 addresses are stored in their IPv4-mapped IPv6 form
// (::ffff:a.b.c.d, RFC 4291 §2.5.5.2), so one sorted list of disjoint
// uint128 intervals holds both families. An IPv6 prefix never matches IPv4
// traffic in AWS (security-group and NACL rules are per family), so
// FromPrefix removes the IPv4-mapped block from IPv6 prefixes such as ::/0.
// Every set is an immutable value: operations return new slices and never
// modify their inputs, so sets can be shared freely between caches.
//
// No operation loops over individual addresses or ports; cost is linear in
// the number of intervals.
package netset

import (
	"math/bits"
	"net/netip"
	"strings"
)

// U128 is an unsigned 128-bit integer (an IPv6 address or a mapped IPv4 one).
type U128 struct{ Hi, Lo uint64 }

// Cmp returns -1, 0 or +1.
func (a U128) Cmp(b U128) int {
	switch {
	case a.Hi < b.Hi:
		return -1
	case a.Hi > b.Hi:
		return 1
	case a.Lo < b.Lo:
		return -1
	case a.Lo > b.Lo:
		return 1
	}
	return 0
}

func (a U128) less(b U128) bool { return a.Cmp(b) < 0 }

// Inc returns a+1 and whether it overflowed.
func (a U128) Inc() (U128, bool) {
	lo, c := bits.Add64(a.Lo, 1, 0)
	hi, c2 := bits.Add64(a.Hi, 0, c)
	return U128{hi, lo}, c2 != 0
}

// Dec returns a-1 and whether it underflowed.
func (a U128) Dec() (U128, bool) {
	lo, b := bits.Sub64(a.Lo, 1, 0)
	hi, b2 := bits.Sub64(a.Hi, 0, b)
	return U128{hi, lo}, b2 != 0
}

var maxU128 = U128{^uint64(0), ^uint64(0)}

// FromAddr converts an address (IPv4 becomes IPv4-mapped).
func FromAddr(a netip.Addr) U128 {
	b := a.As16()
	var hi, lo uint64
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[i+8])
	}
	return U128{hi, lo}
}

// Addr converts back; addresses in the IPv4-mapped block become IPv4.
func (a U128) Addr() netip.Addr {
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[7-i] = byte(a.Hi >> (8 * i))
		b[15-i] = byte(a.Lo >> (8 * i))
	}
	return netip.AddrFrom16(b).Unmap()
}

// mask returns the value with the low n bits set (n in 0..128).
func mask(n int) U128 {
	switch {
	case n <= 0:
		return U128{}
	case n >= 128:
		return maxU128
	case n >= 64:
		return U128{^uint64(0) >> (128 - n), ^uint64(0)}
	}
	return U128{0, ^uint64(0) >> (64 - n)}
}

// Range is an inclusive interval of addresses.
type Range struct{ Lo, Hi U128 }

// Set is a sorted list of disjoint, non-adjacent address intervals.
// The zero value is the empty set.
type Set struct{ r []Range }

// v4Mapped is ::ffff:0.0.0.0/96.
var v4Mapped = Range{U128{0, 0xffff_0000_0000}, U128{0, 0xffff_ffff_ffff}}

// V4All is every IPv4 address (0.0.0.0/0); V6All every IPv6 address (::/0)
// except the IPv4-mapped block.
var (
	V4All = Set{[]Range{v4Mapped}}
	V6All = MustParse("::/0")
)

// prefixRange returns the interval of a prefix (IPv4 mapped).
func prefixRange(p netip.Prefix) Range {
	p = p.Masked()
	bitsLen := p.Bits()
	if p.Addr().Is4() {
		bitsLen += 96
	}
	lo := FromAddr(p.Addr())
	m := mask(128 - bitsLen)
	return Range{lo, U128{lo.Hi | m.Hi, lo.Lo | m.Lo}}
}

// FromPrefix returns the set of a prefix. IPv6 prefixes exclude the
// IPv4-mapped block (see the package comment).
func FromPrefix(p netip.Prefix) Set {
	s := Set{[]Range{prefixRange(p)}}
	if p.Addr().Is6() && !p.Addr().Is4In6() {
		s = s.Subtract(Set{[]Range{v4Mapped}})
	}
	return s
}

// Parse parses a CIDR ("10.0.0.0/8", "::/0") or a bare address.
func Parse(s string) (Set, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return Set{}, err
		}
		return FromPrefix(netip.PrefixFrom(a, a.BitLen())), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return Set{}, err
	}
	return FromPrefix(p), nil
}

// MustParse is Parse for constants; it panics on a bad literal.
func MustParse(cidrs ...string) Set {
	var out Set
	for _, c := range cidrs {
		s, err := Parse(c)
		if err != nil {
			panic(err)
		}
		out = out.Union(s)
	}
	return out
}

// Single is the set holding one address.
func Single(a netip.Addr) Set {
	u := FromAddr(a)
	return Set{[]Range{{u, u}}}
}

// IsEmpty reports whether the set has no address.
func (s Set) IsEmpty() bool { return len(s.r) == 0 }

// Ranges returns the intervals (do not modify).
func (s Set) Ranges() []Range { return s.r }

// Equal reports set equality.
func (s Set) Equal(t Set) bool {
	if len(s.r) != len(t.r) {
		return false
	}
	for i := range s.r {
		if s.r[i] != t.r[i] {
			return false
		}
	}
	return true
}

// Contains reports membership of one address.
func (s Set) Contains(a U128) bool {
	lo, hi := 0, len(s.r)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case a.less(s.r[m].Lo):
			hi = m
		case s.r[m].Hi.less(a):
			lo = m + 1
		default:
			return true
		}
	}
	return false
}

// ContainsAddr is Contains for a netip.Addr.
func (s Set) ContainsAddr(a netip.Addr) bool { return s.Contains(FromAddr(a)) }

// Min returns the smallest address of a non-empty set.
func (s Set) Min() (U128, bool) {
	if len(s.r) == 0 {
		return U128{}, false
	}
	return s.r[0].Lo, true
}

// Superset reports whether s ⊇ t.
func (s Set) Superset(t Set) bool { return t.Subtract(s).IsEmpty() }

// Union returns s ∪ t.
func (s Set) Union(t Set) Set {
	if len(s.r) == 0 {
		return t
	}
	if len(t.r) == 0 {
		return s
	}
	out := make([]Range, 0, len(s.r)+len(t.r))
	i, j := 0, 0
	for i < len(s.r) || j < len(t.r) {
		var next Range
		if j >= len(t.r) || (i < len(s.r) && s.r[i].Lo.less(t.r[j].Lo)) {
			next = s.r[i]
			i++
		} else {
			next = t.r[j]
			j++
		}
		out = appendMerge(out, next)
	}
	return Set{out}
}

// appendMerge appends r to a sorted list, merging overlap and adjacency.
func appendMerge(out []Range, r Range) []Range {
	if n := len(out); n > 0 {
		last := &out[n-1]
		end, ovf := last.Hi.Inc()
		if ovf || !end.less(r.Lo) {
			if last.Hi.less(r.Hi) {
				last.Hi = r.Hi
			}
			return out
		}
	}
	return append(out, r)
}

// Intersect returns s ∩ t.
func (s Set) Intersect(t Set) Set {
	var out []Range
	i, j := 0, 0
	for i < len(s.r) && j < len(t.r) {
		a, b := s.r[i], t.r[j]
		lo, hi := a.Lo, a.Hi
		if lo.less(b.Lo) {
			lo = b.Lo
		}
		if b.Hi.less(hi) {
			hi = b.Hi
		}
		if !hi.less(lo) {
			out = append(out, Range{lo, hi})
		}
		if a.Hi.less(b.Hi) {
			i++
		} else {
			j++
		}
	}
	return Set{out}
}

// Subtract returns s \ t.
func (s Set) Subtract(t Set) Set {
	if len(s.r) == 0 || len(t.r) == 0 {
		return s
	}
	var out []Range
	j := 0
	for _, a := range s.r {
		lo := a.Lo
		done := false
		for j < len(t.r) && t.r[j].Hi.less(lo) {
			j++
		}
		for k := j; k < len(t.r) && !a.Hi.less(t.r[k].Lo); k++ {
			b := t.r[k]
			if lo.less(b.Lo) {
				end, _ := b.Lo.Dec()
				out = append(out, Range{lo, end})
			}
			next, ovf := b.Hi.Inc()
			if ovf || a.Hi.less(next) {
				done = true
				break
			}
			lo = next
		}
		if !done {
			out = append(out, Range{lo, a.Hi})
		}
	}
	return Set{out}
}

// Prefixes renders the set as the minimal list of CIDR prefixes, IPv4 first.
func (s Set) Prefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, r := range s.r {
		out = appendRangePrefixes(out, r)
	}
	return out
}

// Strings renders Prefixes as strings.
func (s Set) Strings() []string {
	ps := s.Prefixes()
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func (s Set) String() string { return strings.Join(s.Strings(), ",") }

func trailingZeros(a U128) int {
	if a.Lo != 0 {
		return bits.TrailingZeros64(a.Lo)
	}
	if a.Hi != 0 {
		return 64 + bits.TrailingZeros64(a.Hi)
	}
	return 128
}

// appendRangePrefixes splits one interval into aligned CIDR blocks.
func appendRangePrefixes(out []netip.Prefix, r Range) []netip.Prefix {
	lo := r.Lo
	for {
		k := trailingZeros(lo)
		for k > 0 {
			m := mask(k)
			end := U128{lo.Hi | m.Hi, lo.Lo | m.Lo}
			if !r.Hi.less(end) {
				break
			}
			k--
		}
		out = append(out, toPrefix(lo, 128-k))
		m := mask(k)
		end := U128{lo.Hi | m.Hi, lo.Lo | m.Lo}
		if !end.less(r.Hi) {
			return out
		}
		lo, _ = end.Inc()
	}
}

func toPrefix(a U128, bitsLen int) netip.Prefix {
	addr := a.Addr()
	if addr.Is4() {
		if bitsLen < 96 { // a block wider than the IPv4-mapped /96
			var b [16]byte
			for i := 0; i < 8; i++ {
				b[7-i] = byte(a.Hi >> (8 * i))
				b[15-i] = byte(a.Lo >> (8 * i))
			}
			return netip.PrefixFrom(netip.AddrFrom16(b), bitsLen)
		}
		return netip.PrefixFrom(addr, bitsLen-96)
	}
	return netip.PrefixFrom(addr, bitsLen)
}

// Internet is the set of public unicast source addresses: what can arrive
// from the internet through an internet gateway. IPv4: 0.0.0.0/0 minus the
// IANA IPv4 Special-Purpose Address Registry blocks that are not globally
// reachable (RFC 6890, RFC 1918, RFC 6598) and multicast/reserved (224/4,
// 240/4). IPv6: global unicast 2000::/3 (RFC 4291 §2.4) minus the
// documentation prefix 2001:db8::/32 (RFC 3849).
var (
	InternetV4 = MustParse("0.0.0.0/0").Subtract(MustParse(
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4"))
	InternetV6 = MustParse("2000::/3").Subtract(MustParse("2001:db8::/32"))
	Internet   = InternetV4.Union(InternetV6)
)

// NonPublic is every address that cannot be an internet source.
var NonPublic = V4All.Union(V6All).Subtract(Internet)

// Compact renders s as CIDR prefixes, per family choosing the shorter of
// s itself or s widened by addresses in dontCare (addresses that cannot be
// sources anyway, such as NonPublic). The result covers s and nothing
// outside s ∪ dontCare, so "every public address" renders as 0.0.0.0/0.
func (s Set) Compact(dontCare Set) []string {
	var out []string
	for _, fam := range []Set{V4All, V6All} {
		sf := s.Intersect(fam)
		if sf.IsEmpty() {
			continue
		}
		a := sf.Prefixes()
		dc := dontCare.Intersect(fam)
		if fam.Equal(V6All) { // the IPv4-mapped block is never an IPv6 source
			dc = dc.Union(V4All)
		}
		if b := sf.Union(dc).Prefixes(); len(b) < len(a) {
			a = b
		}
		for _, p := range a {
			out = append(out, p.String())
		}
	}
	return out
}
