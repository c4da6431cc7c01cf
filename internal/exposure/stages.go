package exposure

import (
	"github.com/sightline-sec/sightline/internal/exposure/netset"
)

// stage is one control on the way from the internet to a port: what still
// passes after it, and how to explain its decision for one packet.
type stage struct {
	kind, id string
	space    netset.Space // (dst port × src addr) still passing after this stage
	missing  []string     // data missing for this control: what it stops is unknown
	why      func(a netset.U128, lo, hi uint16) string
}

// template is a result without its resource fields.
type template struct {
	proto      int
	lo, hi     uint16
	verdict    string
	sources    netset.Set
	path       []Hop
	blocked    *Hop
	blockedAll []Hop // per family, when families are stopped by different controls
	missing    []string
	// rendered sources, width and deduplicated missing list, filled once
	// per cached template and shared by its results
	srcText    []string
	width      string
	missingOut []string
}

// portsMinus returns the port ranges in a but not in b.
func portsMinus(a, b []netset.PortRange) []netset.PortRange {
	var out []netset.PortRange
	j := 0
	for _, r := range a {
		lo := uint32(r.Lo)
		hi := uint32(r.Hi)
		for j < len(b) && uint32(b[j].Hi) < lo {
			j++
		}
		for k := j; k < len(b) && uint32(b[k].Lo) <= hi; k++ {
			if uint32(b[k].Lo) > lo {
				out = append(out, netset.PortRange{Lo: uint16(lo), Hi: b[k].Lo - 1})
			}
			lo = uint32(b[k].Hi) + 1
		}
		if lo <= hi {
			out = append(out, netset.PortRange{Lo: uint16(lo), Hi: uint16(hi)})
		}
	}
	return out
}

// pathAt explains every stage up to n for one packet.
func pathAt(stages []stage, n int, a netset.U128, lo, hi uint16) []Hop {
	out := make([]Hop, 0, n)
	for _, s := range stages[:n] {
		out = append(out, Hop{Kind: s.kind, ID: s.id, Detail: s.why(a, lo, hi)})
	}
	return out
}

// evaluate turns a stage chain into templates that partition the ports of
// start: exposed segments of the final space, and for every port that
// some stage stops entirely, a not_exposed result naming that stage (or an
// unknown one naming the missing data).
func evaluate(proto int, start netset.Space, stages []stage) []template {
	var out []template
	prev := start
	var missingSoFar []string
	for k, s := range stages {
		lost := portsMinus(prev.Ports(), s.space.Ports())
		for _, pr := range lost {
			rep, _ := prev.At(pr.Lo).Min()
			t := template{proto: proto, lo: pr.Lo, hi: pr.Hi, path: pathAt(stages, k, rep, pr.Lo, pr.Hi)}
			if len(s.missing) > 0 {
				t.verdict = Unknown
				t.missing = append(append([]string{}, missingSoFar...), s.missing...)
			} else {
				t.verdict = NotExposed
				t.blocked = &Hop{Kind: s.kind, ID: s.id, Detail: s.why(rep, pr.Lo, pr.Hi)}
				if famMask(stages[0].space.At(pr.Lo)) != famMask(prev.At(pr.Lo)) {
					// some family stopped before this stage: name each
					t.blockedAll = familyBlocks(stages, pr.Lo, pr.Hi)
				}
				t.missing = missingSoFar
			}
			out = append(out, t)
		}
		missingSoFar = append(missingSoFar, s.missing...)
		prev = s.space
	}
	for _, g := range prev.Segments() {
		rep, _ := g.Addrs.Min()
		out = append(out, template{proto: proto, lo: g.Ports.Lo, hi: g.Ports.Hi, verdict: Exposed,
			sources: g.Addrs, path: pathAt(stages, len(stages), rep, g.Ports.Lo, g.Ports.Hi), missing: missingSoFar})
	}
	return out
}

// evalPort runs a stage chain for one port only and returns the sources
// that pass, with either the proof path or the first blocking stage.
func evalPort(start netset.Set, stages []stage, port uint16) (netset.Set, []Hop, *Hop, []string) {
	prev := start
	var missing []string
	for k, s := range stages {
		cur := s.space.At(port)
		if cur.IsEmpty() {
			rep, _ := prev.Min()
			if len(s.missing) > 0 {
				return cur, pathAt(stages, k, rep, port, port), nil, append(missing, s.missing...)
			}
			return cur, pathAt(stages, k, rep, port, port), &Hop{Kind: s.kind, ID: s.id, Detail: s.why(rep, port, port)}, missing
		}
		missing = append(missing, s.missing...)
		prev = cur
	}
	rep, _ := prev.Min()
	return prev, pathAt(stages, len(stages), rep, port, port), nil, missing
}

// famMask says which families a set of internet addresses holds (bit 0
// IPv4, bit 1 IPv6) without allocating: IPv4 addresses are stored
// IPv4-mapped (::ffff:0:0/96), below every IPv6 internet address
// (2000::/3).
func famMask(s netset.Set) uint8 {
	r := s.Ranges()
	if len(r) == 0 {
		return 0
	}
	var m uint8
	if r[0].Lo.Hi < v6Start {
		m |= 1
	}
	if r[len(r)-1].Hi.Hi >= v6Start {
		m |= 2
	}
	return m
}

// v6Start is the high 64 bits of 2000::, the lowest IPv6 internet address.
const v6Start = 0x2000 << 48

// addrFamilies are the address families blocked_by_all distinguishes.
var addrFamilies = [...]netset.Set{netset.InternetV4, netset.InternetV6}

// familyBlocks returns the control stopping each address family at port
// lo (IPv4 first), when different families are stopped by different
// controls; nil otherwise. Families the first stage (the resource's own
// addresses) already excludes are not counted: a resource without an
// IPv6 address is not "blocked" for IPv6 clients. A family stopped where
// data is missing is unknown, not blocked, and is left out too (its
// reason is in missing). For a port range the first port is the sample,
// as for blocked_by.
func familyBlocks(stages []stage, lo, hi uint16) []Hop {
	if len(stages) < 2 {
		return nil
	}
	// First the stopping stage of each family (cheap set operations),
	// then the proof text only when two families differ (most rows: one
	// family, or the same control for both).
	var idx [len(addrFamilies)]int
	var reps [len(addrFamilies)]netset.U128
	n := 0
	for f, fam := range addrFamilies {
		idx[f] = -1
		cur := stages[0].space.At(lo).Intersect(fam)
		if cur.IsEmpty() {
			continue
		}
		for k := 1; k < len(stages); k++ {
			next := stages[k].space.At(lo).Intersect(fam)
			if next.IsEmpty() {
				if len(stages[k].missing) == 0 {
					idx[f], n = k, n+1
					reps[f], _ = cur.Min()
				}
				break
			}
			cur = next
		}
	}
	if n < 2 || idx[0] == idx[1] {
		return nil
	}
	a, b := &stages[idx[0]], &stages[idx[1]]
	if a.kind == b.kind && a.id == b.id {
		return nil
	}
	return []Hop{{Kind: a.kind, ID: a.id, Detail: a.why(reps[0], lo, hi)}, {Kind: b.kind, ID: b.id, Detail: b.why(reps[1], lo, hi)}}
}
