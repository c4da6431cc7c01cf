package exposure

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"runtime"
	"testing"

	"github.com/sightline-sec/sightline/internal/netmodel"
)

// flowEstate is a region shaped like the caller's: nSrc workload
// interfaces and nDst data-store interfaces in two peered VPCs, spread
// over app and database subnets and security groups so that the distinct
// (subnet, groups) keys number a few hundred. Database groups admit their
// port from a handful of app groups by reference and from a few CIDRs;
// network ACLs carry ~10 rules including denies and narrow return rules.
func flowEstate(nSrc, nDst int, seed uint64) (*netmodel.Region, []string, []string, []int) {
	r := rand.New(rand.NewPCG(seed, 1))
	reg := &netmodel.Region{Account: "111122223333", Name: "eu-west-1",
		Origin: netmodel.Origin{Subnets: "ec2/describe-subnets.json", Groups: "ec2/describe-security-groups.json", Endpoints: "ec2/describe-network-interfaces.json"}}
	vpcs := []string{"vpc-a", "vpc-b"}
	for i, v := range vpcs {
		reg.Networks = append(reg.Networks, netmodel.Network{ID: v, Prefixes: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i), 0, 0}), 16)}, Gateway: "igw-" + v})
		other := 1 - i
		reg.RouteTables = append(reg.RouteTables, netmodel.RouteTable{ID: "rtb-" + v, Routes: []netmodel.Route{
			froute(fmt.Sprintf("10.%d.0.0/16", i), "local"), froute(fmt.Sprintf("10.%d.0.0/16", other), "pcx-ab"), froute("0.0.0.0/0", "igw-"+v)}})
	}
	const nACL = 20
	for i := 0; i < nACL; i++ {
		var in, out []netmodel.ACLRule
		for k := 0; k < 4; k++ {
			in = append(in, aclRule(10+k, r.IntN(4) != 0, netmodel.TCP, uint16(r.IntN(6000)), uint16(6000+r.IntN(60000)), fmt.Sprintf("10.%d.%d.0/24", r.IntN(2), r.IntN(256))))
			out = append(out, aclRule(10+k, r.IntN(4) != 0, netmodel.TCP, 1024, uint16(1024+r.IntN(64000)), fmt.Sprintf("10.%d.%d.0/24", r.IntN(2), r.IntN(256))))
		}
		all := aclAll("")
		reg.ACLs = append(reg.ACLs, netmodel.ACL{ID: fmt.Sprintf("acl-%02d", i), Inbound: append(in, all.Inbound...), Outbound: append(out, all.Outbound...)})
	}
	// 60 app subnets and 40 database subnets, 10.V.S.0/24.
	type sub struct {
		id  string
		vpc int
		n   int
	}
	var appSubs, dbSubs []sub
	for i := 0; i < 100; i++ {
		v := i % 2
		s := sub{id: fmt.Sprintf("subnet-%03d", i), vpc: v, n: i}
		reg.Subnets = append(reg.Subnets, netmodel.Subnet{ID: s.id, Network: vpcs[v], Prefixes: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(v), byte(i), 0}), 24)},
			RouteTable: "rtb-" + vpcs[v], ACL: fmt.Sprintf("acl-%02d", i%nACL)})
		if i < 60 {
			appSubs = append(appSubs, s)
		} else {
			dbSubs = append(dbSubs, s)
		}
	}
	ports := []int{5432, 3306, 6379, 5439, 1521, 27017}
	const nApp, nDB = 100, 50
	for i := 0; i < nApp; i++ {
		g := netmodel.Group{ID: fmt.Sprintf("sg-app%03d", i), Outbound: egressAll}
		if i%5 == 0 { // some app groups only egress to their stores' ports
			g.Outbound = []netmodel.GroupRule{sgRuleCIDR(netmodel.TCP, 5432, 5432, "10.0.0.0/8"), sgRuleCIDR(netmodel.TCP, 443, 443, "0.0.0.0/0")}
		}
		reg.Groups = append(reg.Groups, g)
	}
	dbPort := make([]int, nDB)
	for i := 0; i < nDB; i++ {
		dbPort[i] = ports[i%len(ports)]
		p := uint16(dbPort[i])
		g := netmodel.Group{ID: fmt.Sprintf("sg-db%03d", i), Outbound: egressAll}
		for k := 0; k < 5; k++ {
			g.Inbound = append(g.Inbound, sgRuleRef(netmodel.TCP, p, p, fmt.Sprintf("sg-app%03d", r.IntN(nApp))))
		}
		for k := 0; k < 3; k++ {
			g.Inbound = append(g.Inbound, sgRuleCIDR(netmodel.TCP, p, p, fmt.Sprintf("10.%d.%d.%d/28", r.IntN(2), r.IntN(60), 16*r.IntN(16))))
		}
		reg.Groups = append(reg.Groups, g)
	}
	var srcs, dsts []string
	var dstPort []int
	for i := 0; i < nSrc; i++ {
		s := appSubs[r.IntN(len(appSubs))]
		// each app subnet hosts three services (groups), some also in a shared group
		groups := []string{fmt.Sprintf("sg-app%03d", (3*s.n+r.IntN(3))%nApp)}
		if r.IntN(4) == 0 {
			groups = append(groups, fmt.Sprintf("sg-app%03d", s.n%10))
		}
		id := fmt.Sprintf("eni-w%06d", i)
		reg.Endpoints = append(reg.Endpoints, netmodel.Endpoint{ID: id, Network: vpcs[s.vpc], Subnet: s.id,
			Private: []netip.Addr{netip.AddrFrom4([4]byte{10, byte(s.vpc), byte(s.n), byte(1 + r.IntN(250))})}, Groups: groups})
		srcs = append(srcs, id)
	}
	for i := 0; i < nDst; i++ {
		s := dbSubs[r.IntN(len(dbSubs))]
		g := (s.n + r.IntN(3)) % nDB // each database subnet hosts three kinds of store
		id := fmt.Sprintf("eni-d%06d", i)
		reg.Endpoints = append(reg.Endpoints, netmodel.Endpoint{ID: id, Network: vpcs[s.vpc], Subnet: s.id,
			Private: []netip.Addr{netip.AddrFrom4([4]byte{10, byte(s.vpc), byte(s.n), byte(1 + r.IntN(250))})}, Groups: []string{fmt.Sprintf("sg-db%03d", g)}})
		dsts = append(dsts, id)
		dstPort = append(dstPort, dbPort[g])
	}
	return reg, srcs, dsts, dstPort
}

// flowQueries asks, for every source, about perSrc data stores (the
// realistic caller: the stores a workload's configuration names).
func flowQueries(srcs, dsts []string, dstPort []int, perSrc int, seed uint64) []FlowQuery {
	r := rand.New(rand.NewPCG(seed, 2))
	qs := make([]FlowQuery, 0, len(srcs)*perSrc)
	for _, s := range srcs {
		for k := 0; k < perSrc; k++ {
			d := r.IntN(len(dsts))
			qs = append(qs, FlowQuery{From: s, To: dsts[d], Protocol: netmodel.TCP, Port: dstPort[d]})
		}
	}
	return qs
}

// BenchmarkFlows: 20k workload interfaces × 50 data stores each (1M
// flows) out of 5k stores, including compiling the region. Reports the
// distinct keys, the verdict mix and the live heap holding the answers.
func BenchmarkFlows(b *testing.B) {
	reg, srcs, dsts, dstPort := flowEstate(20000, 5000, 1)
	qs := flowQueries(srcs, dsts, dstPort, 50, 1)
	b.ReportAllocs()
	b.ResetTimer()
	var fs []Flow
	cpu := cpuSeconds()
	for i := 0; i < b.N; i++ {
		var err error
		fs, err = Flows(context.Background(), reg, qs)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric((cpuSeconds()-cpu)/float64(b.N), "cpu-s/op")
	reportFlows(b, fs)
	x, _ := NewFlowIndex(reg)
	if _, err := x.Flows(context.Background(), qs); err != nil {
		b.Fatal(err)
	}
	plans, outcomes := 0, 0
	for _, c := range x.caches {
		plans += len(c.plans)
		for _, pl := range c.plans {
			outcomes += len(pl.outs) + len(pl.more)
		}
	}
	b.ReportMetric(float64(plans), "plans")
	b.ReportMetric(float64(outcomes), "outcomes")
}

// BenchmarkFlowsTo: the batch form, every store asked "who reaches you"
// over all 25k interfaces, through one index (the first 200 stores; the
// figure per store is what matters).
func BenchmarkFlowsTo(b *testing.B) {
	reg, _, dsts, dstPort := flowEstate(20000, 5000, 1)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuSeconds()
	defer func() { b.ReportMetric((cpuSeconds()-cpu)/float64(b.N), "cpu-s/op") }()
	for i := 0; i < b.N; i++ {
		x, err := NewFlowIndex(reg)
		if err != nil {
			b.Fatal(err)
		}
		reach := 0
		for d := 0; d < 200; d++ {
			fs, err := x.To(context.Background(), dsts[d], netmodel.TCP, dstPort[d])
			if err != nil {
				b.Fatal(err)
			}
			for k := range fs {
				if fs[k].Verdict == FlowReachable {
					reach++
				}
			}
		}
		b.ReportMetric(float64(reach), "reachable")
	}
}

func reportFlows(b *testing.B, fs []Flow) {
	count := map[string]int{}
	for i := range fs {
		count[fs[i].Verdict]++
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(len(fs)), "flows")
	b.ReportMetric(float64(count[FlowReachable]), "reachable")
	b.ReportMetric(float64(count[FlowBlocked]), "blocked")
	b.ReportMetric(float64(count[FlowUnknown]), "unknown")
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "MiB-live")
	runtime.KeepAlive(fs)
}

// TestFlowEstateKeys pins the benchmark's shape: a few hundred distinct
// (subnet, groups) keys, every verdict but unknown present, and batch
// answers equal to answers asked one by one (no cache crosstalk).
func TestFlowEstateKeys(t *testing.T) {
	reg, srcs, dsts, dstPort := flowEstate(2000, 500, 1)
	keys := map[string]bool{}
	for _, e := range reg.Endpoints {
		keys[fmt.Sprint(e.Subnet, e.Groups)] = true
	}
	if len(keys) < 200 || len(keys) > 800 {
		t.Fatalf("%d distinct keys", len(keys))
	}
	qs := flowQueries(srcs, dsts, dstPort, 5, 2)
	fs, err := Flows(context.Background(), reg, qs)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	x, err := NewFlowIndex(reg)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range fs {
		checkFlow(t, f)
		count[f.Verdict]++
		if i%97 != 0 {
			continue
		}
		x.caches = nil // a fresh cache: nothing from earlier queries
		one, err := x.Flows(context.Background(), qs[i:i+1])
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(one[0], f) {
			t.Fatalf("query %d: batch %+v\nalone %+v", i, f, one[0])
		}
	}
	if count[FlowReachable] == 0 || count[FlowBlocked] == 0 {
		t.Fatalf("verdicts %v: the estate does not exercise both outcomes", count)
	}
	t.Logf("%d keys, verdicts %v", len(keys), count)
}

// BenchmarkFlowsHostileGroup: every store carries one group of 200k rules
// (distinct /32 sources and ports, as BenchmarkSGUnion) plus 50k
// references, asked by 2 000 workloads over ~400 keys.
func BenchmarkFlowsHostileGroup(b *testing.B) {
	reg, srcs, dsts, dstPort := flowEstate(2000, 500, 1)
	h := hostileGroup(200000)
	for i := 0; i < 50000; i++ {
		h.Inbound = append(h.Inbound, sgRuleRef(netmodel.TCP, uint16(i), uint16(i), fmt.Sprintf("sg-ref%05d", i)))
	}
	reg.Groups = append(reg.Groups, *h)
	for i := range reg.Endpoints {
		if e := &reg.Endpoints[i]; e.ID[4] == 'd' {
			e.Groups = append(e.Groups, h.ID)
		}
	}
	qs := flowQueries(srcs, dsts, dstPort, 5, 3)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuSeconds()
	for i := 0; i < b.N; i++ {
		if _, err := Flows(context.Background(), reg, qs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuSeconds()-cpu)/float64(b.N), "cpu-s/op")
}
