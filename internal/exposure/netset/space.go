package netset

import "sort"

// MaxPort is the largest TCP/UDP port.
const MaxPort = 65535

// PortRange is an inclusive port interval.
type PortRange struct{ Lo, Hi uint16 }

// seg is one port interval with the (non-empty) source set admitted there.
type seg struct {
	lo, hi uint32
	a      Set
}

// Space is a set of (destination port, source address) pairs for one
// protocol, held as sorted disjoint port segments each with a non-empty
// address set; adjacent segments with equal address sets are merged, so the
// representation is canonical.
type Space struct{ segs []seg }

// Box is the space addrs × [lo, hi].
func Box(addrs Set, lo, hi uint16) Space {
	if addrs.IsEmpty() || lo > hi {
		return Space{}
	}
	return Space{[]seg{{uint32(lo), uint32(hi), addrs}}}
}

// IsEmpty reports whether the space holds nothing.
func (s Space) IsEmpty() bool { return len(s.segs) == 0 }

// Equal reports equality (representation is canonical).
func (s Space) Equal(t Space) bool {
	if len(s.segs) != len(t.segs) {
		return false
	}
	for i := range s.segs {
		a, b := s.segs[i], t.segs[i]
		if a.lo != b.lo || a.hi != b.hi || !a.a.Equal(b.a) {
			return false
		}
	}
	return true
}

// Segment is an exported view of one port segment.
type Segment struct {
	Ports PortRange
	Addrs Set
}

// Segments lists the port segments in order.
func (s Space) Segments() []Segment {
	out := make([]Segment, len(s.segs))
	for i, g := range s.segs {
		out[i] = Segment{PortRange{uint16(g.lo), uint16(g.hi)}, g.a}
	}
	return out
}

// At returns the source set admitted at one port.
func (s Space) At(port uint16) Set {
	p := uint32(port)
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].hi >= p })
	if i < len(s.segs) && s.segs[i].lo <= p {
		return s.segs[i].a
	}
	return Set{}
}

// Ports returns the ports at which some source is admitted.
func (s Space) Ports() []PortRange {
	var out []PortRange
	for _, g := range s.segs {
		if n := len(out); n > 0 && uint32(out[n-1].Hi)+1 == g.lo {
			out[n-1].Hi = uint16(g.hi)
			continue
		}
		out = append(out, PortRange{uint16(g.lo), uint16(g.hi)})
	}
	return out
}

// Addrs returns every source admitted at some port.
func (s Space) Addrs() Set {
	var out Set
	for _, g := range s.segs {
		out = out.Union(g.a)
	}
	return out
}

// RestrictPorts keeps ports in [lo, hi].
func (s Space) RestrictPorts(lo, hi uint16) Space {
	var out []seg
	for _, g := range s.segs {
		l, h := max(g.lo, uint32(lo)), min(g.hi, uint32(hi))
		if l <= h {
			out = append(out, seg{l, h, g.a})
		}
	}
	return Space{out}
}

// RestrictAddrs intersects every segment's sources with a.
func (s Space) RestrictAddrs(a Set) Space {
	var out []seg
	for _, g := range s.segs {
		out = appendSeg(out, seg{g.lo, g.hi, g.a.Intersect(a)})
	}
	return Space{out}
}

// Union returns s ∪ t.
func (s Space) Union(t Space) Space {
	if s.IsEmpty() {
		return t
	}
	if t.IsEmpty() {
		return s
	}
	return combine(s, t, Set.Union)
}

// Intersect returns s ∩ t.
func (s Space) Intersect(t Space) Space {
	if s.IsEmpty() || t.IsEmpty() {
		return Space{}
	}
	return combine(s, t, Set.Intersect)
}

// Subtract returns s \ t.
func (s Space) Subtract(t Space) Space {
	if s.IsEmpty() || t.IsEmpty() {
		return s
	}
	return combine(s, t, Set.Subtract)
}

// combine sweeps the union of both segment boundaries and applies op to
// the two address sets of each elementary port interval.
func combine(s, t Space, op func(Set, Set) Set) Space {
	cuts := make([]uint32, 0, 2*(len(s.segs)+len(t.segs)))
	for _, g := range s.segs {
		cuts = append(cuts, g.lo, g.hi+1)
	}
	for _, g := range t.segs {
		cuts = append(cuts, g.lo, g.hi+1)
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i] < cuts[j] })
	var out []seg
	i, j := 0, 0
	for k := 0; k+1 < len(cuts); k++ {
		lo, hi := cuts[k], cuts[k+1]-1
		if cuts[k] == cuts[k+1] {
			continue
		}
		for i < len(s.segs) && s.segs[i].hi < lo {
			i++
		}
		for j < len(t.segs) && t.segs[j].hi < lo {
			j++
		}
		var a, b Set
		if i < len(s.segs) && s.segs[i].lo <= lo {
			a = s.segs[i].a
		}
		if j < len(t.segs) && t.segs[j].lo <= lo {
			b = t.segs[j].a
		}
		if a.IsEmpty() && b.IsEmpty() {
			continue
		}
		out = appendSeg(out, seg{lo, hi, op(a, b)})
	}
	return Space{out}
}

// appendSeg appends a segment, dropping empty ones and merging an equal
// adjacent neighbour (canonical form).
func appendSeg(out []seg, g seg) []seg {
	if g.a.IsEmpty() {
		return out
	}
	if n := len(out); n > 0 && out[n-1].hi+1 == g.lo && out[n-1].a.Equal(g.a) {
		out[n-1].hi = g.hi
		return out
	}
	return append(out, g)
}
