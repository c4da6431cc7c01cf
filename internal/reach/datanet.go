package reach

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/netmodel"
	"github.com/sightline-sec/sightline/internal/risk"
	"github.com/sightline-sec/sightline/internal/workload"
)

// networkPaths lists, per workload, the networked stores its interfaces
// may open a connection to on the store's ports (exposure.FlowIndex:
// security groups both ways, network ACLs and routes both ways, peering).
// Workloads and stores are matched per region (by network interface).
func networkPaths(ctx context.Context, d *Data, inv *workload.Inventory, model *netmodel.Model) error {
	for _, reg := range model.Regions {
		if err := regionPaths(ctx, d, inv, reg); err != nil {
			return err
		}
	}
	return nil
}

type flowKey struct {
	from  string
	store int
	port  int
}

func regionPaths(ctx context.Context, d *Data, inv *workload.Inventory, reg *netmodel.Region) error {
	inRegion := map[string]bool{}
	byAddr := map[string]string{}
	primary := map[string]string{}
	primaryDev := map[string]int{}
	for i := range reg.Endpoints {
		e := &reg.Endpoints[i]
		inRegion[e.ID] = true
		for _, a := range e.Private {
			byAddr[a.String()] = e.ID
		}
		if e.Host != "" {
			if dev, ok := primaryDev[e.Host]; !ok || e.DeviceIndex < dev {
				primary[e.Host], primaryDev[e.Host] = e.ID, e.DeviceIndex
			}
		}
	}
	var stores, blind []int
	for i := range d.Stores {
		s := &d.Stores[i]
		switch {
		case !s.Networked() || s.Account != reg.Account || s.Region != reg.Name:
		case len(s.Interfaces) > 0 && inRegion[s.Interfaces[0]]:
			stores = append(stores, i)
		case len(s.Interfaces) == 0:
			blind = append(blind, i) // its interfaces are not in the data
		}
	}
	if len(stores) == 0 && len(blind) == 0 {
		return nil
	}
	networkOf := map[string]string{}
	for i := range reg.Endpoints {
		networkOf[reg.Endpoints[i].ID] = reg.Endpoints[i].Network
	}
	from := map[string][]string{} // workload ID → its interfaces
	var qs []exposure.FlowQuery
	var keys []flowKey
	seen := map[flowKey]bool{}
	for i := range inv.Workloads {
		w := &inv.Workloads[i]
		enis := workloadInterfaces(w, byAddr, primary)
		if len(enis) == 0 || !inRegion[enis[0]] {
			if w.Interface != "" && strings.Contains(w.ID, ":"+reg.Name+":"+reg.Account+":") {
				d.workloadsNoInterface++ // an awsvpc task of this region whose interface is not in the data
			}
			continue
		}
		from[w.ID] = enis
		// A store whose interfaces are not in the data may be reached
		// from its network: unknown, naming why, never left out.
		for _, si := range blind {
			s := &d.Stores[si]
			if s.Network != "" && s.Network != networkOf[enis[0]] {
				continue
			}
			d.Behind[w.ID] = append(d.Behind[w.ID], risk.DataAccess{Store: s.ID, Name: s.Name, Kind: s.Kind, Via: "network",
				Verdict: risk.DataUnknown, Write: true, Missing: s.Missing,
				Detail: fmt.Sprintf("may reach %s tcp/%d (its network interfaces are not in the data)", s.Name, s.Ports[0])})
		}
		for _, e := range enis {
			for _, si := range stores {
				s := &d.Stores[si]
				for _, p := range s.Ports {
					k := flowKey{e, si, p}
					if seen[k] {
						continue
					}
					seen[k] = true
					// One interface of the store answers for all: they
					// share groups and subnets by construction for RDS;
					// for the others every interface is asked.
					for _, to := range s.Interfaces {
						qs = append(qs, exposure.FlowQuery{From: e, To: to, Protocol: netmodel.TCP, Port: p})
						keys = append(keys, k)
					}
				}
			}
		}
	}
	if len(qs) == 0 {
		return nil
	}
	x, err := exposure.NewFlowIndex(reg)
	if err != nil {
		return fmt.Errorf("network paths to data stores in %s/%s: %w", reg.Account, reg.Name, err)
	}
	flows, err := x.Flows(ctx, qs)
	if err != nil {
		return fmt.Errorf("network paths to data stores in %s/%s: %w", reg.Account, reg.Name, err)
	}
	best := map[flowKey]*exposure.Flow{}
	for i := range flows {
		f := &flows[i]
		k := keys[i]
		if b := best[k]; b == nil || flowRank(f.Verdict) < flowRank(b.Verdict) {
			best[k] = f
		}
	}
	for wid, enis := range from {
		for _, si := range stores {
			s := &d.Stores[si]
			var pick *exposure.Flow
			for _, e := range enis {
				for _, p := range s.Ports {
					if f := best[flowKey{e, si, p}]; f != nil && (pick == nil || flowRank(f.Verdict) < flowRank(pick.Verdict)) {
						pick = f
					}
				}
			}
			if pick == nil || pick.Verdict == exposure.FlowBlocked {
				continue
			}
			d.Behind[wid] = append(d.Behind[wid], flowAccess(s, pick))
		}
	}
	return nil
}

func flowRank(v string) int {
	switch v {
	case exposure.FlowReachable:
		return 0
	case exposure.FlowUnknown:
		return 1
	}
	return 2
}

// flowAccess words a reachable (or unknown) flow to a store.
func flowAccess(s *StoreExposure, f *exposure.Flow) risk.DataAccess {
	da := risk.DataAccess{Store: s.ID, Name: s.Name, Kind: s.Kind, Via: "network", Write: true,
		Public: s.Internet == StoreExposed, Missing: f.Missing}
	var proof []string
	var admit string
	for _, h := range f.Path {
		proof = append(proof, h.Detail)
		if h.Kind == "security_group" && strings.Contains(h.Detail, " from ") {
			admit = h.ID // the destination's group admitting the source
		}
	}
	da.Proof = proof
	through := ""
	if admit != "" {
		through = " through " + admit
	}
	da.Detail = fmt.Sprintf("reaches %s tcp/%d%s (from %s)", s.Name, f.Port, through, addrOr(f.FromAddr, f.From))
	da.Verdict = risk.DataYes
	if f.Verdict == exposure.FlowUnknown {
		da.Verdict = risk.DataUnknown
	}
	return da
}

func addrOr(a netip.Addr, id string) string {
	if a.IsValid() {
		return id + " " + a.String()
	}
	return id
}
