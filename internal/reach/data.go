package reach

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/collect/aws/datastores"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/datastore"
	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/iam"
	"github.com/sightline-sec/sightline/internal/iam/policy"
	"github.com/sightline-sec/sightline/internal/netmodel"
	"github.com/sightline-sec/sightline/internal/risk"
	"github.com/sightline-sec/sightline/internal/workload"
)

// Internet verdicts of a data store (StoreExposure.Internet).
const (
	StoreExposed     = "exposed"
	StoreNotExposed  = "not_exposed"
	StoreConditional = "conditional"
	StoreUnknown     = "unknown"
)

// StoreExposure is a data store with its internet verdict: for stores
// reached over the network, the exposure engine's results for its
// interfaces on its ports; for the others, the service-level verdict
// (bucket policy, function URL authentication, API endpoint settings).
type StoreExposure struct {
	datastore.Store
	Internet string   `json:"internet"`
	Proof    []string `json:"proof,omitempty"`
	Why      []string `json:"why_unknown,omitempty"`
}

// Data is what reach found about the data stores of a snapshot.
type Data struct {
	Stores []StoreExposure
	// Missing: listings not collected (stores of that kind unknown).
	Missing []string
	// Behind: per workload ID, the data stores behind it.
	Behind risk.DataBehind
	// Note says what was read and checked, for coverage.data_stores;
	// Incomplete is true when something went unchecked.
	Note       string
	Incomplete bool
	// RolesNotObtained says, per workload, the named roles it cannot
	// obtain ("service prod/api: role api-task: <proof>").
	RolesNotObtained []string
	// rolesIncomplete are roles using managed policies not in the
	// snapshot: their data access may be wider than listed.
	rolesIncomplete []string
	// workloadsNoInterface counts workloads whose network interface is
	// not in the model: their network paths are unknown.
	workloadsNoInterface int
	// storesNoInterface counts networked stores whose interfaces were not
	// found: every network path to them is unknown.
	storesNoInterface int
}

// DataStores compiles the snapshot's data stores, judges their internet
// exposure from the engine's results rep, and lists per workload of inv
// the stores its cloud role may use (est may be nil: no IAM) and, when
// model is given, those its network interface may connect to.
//
// assumed are the roles each workload can obtain (by workload ID; nil:
// the workload's named role is taken as obtained).
func DataStores(ctx context.Context, snap *snapshot.Snapshot, model *netmodel.Model, rep *exposure.Report,
	inv *workload.Inventory, est *iam.Estate, assumed map[string][]risk.AssumedRole) (*Data, error) {
	ds := datastores.Compile(snap)
	out := &Data{Missing: ds.Missing, Behind: risk.DataBehind{}}
	idx := indexResults(rep)
	for _, s := range ds.Stores {
		out.Stores = append(out.Stores, internetVerdict(s, idx))
	}
	if est != nil {
		docs := registerPolicies(est, ds.Stores)
		if err := identityPaths(ctx, out, inv, est, docs, assumed); err != nil {
			return nil, err
		}
	}
	if model != nil {
		if err := networkPaths(ctx, out, inv, model); err != nil {
			return nil, err
		}
	}
	for id := range out.Behind {
		sortAccess(out.Behind[id])
	}
	out.Note = dataNote(out, est != nil, model != nil)
	out.Incomplete = len(out.Missing) > 0 || out.workloadsNoInterface > 0 || out.storesNoInterface > 0 || len(out.rolesIncomplete) > 0 || est == nil || model == nil
	return out, nil
}

// sortAccess orders a workload's list by store name, then way. Lists
// shared by the workloads of one role are sorted by the first and only
// checked by the others.
func sortAccess(a []risk.DataAccess) {
	less := func(i, j int) bool {
		if a[i].Name != a[j].Name {
			return a[i].Name < a[j].Name
		}
		return a[i].Via < a[j].Via
	}
	if !sort.SliceIsSorted(a, less) {
		sort.SliceStable(a, less)
	}
}

func dataNote(d *Data, withIAM, withNet bool) string {
	pub := 0
	for _, s := range d.Stores {
		if s.Internet == StoreExposed {
			pub++
		}
	}
	n := fmt.Sprintf("%d data store(s) read, %d exposed to the internet", len(d.Stores), pub)
	if !withIAM {
		n += "; no IAM: what the workloads' roles may do with them is unknown"
	}
	if !withNet {
		n += "; network paths to them not checked"
	}
	if len(d.rolesIncomplete) > 0 {
		n += fmt.Sprintf("; %d role(s) use policies not in the IAM snapshot, their data access may be wider than listed: %s",
			len(d.rolesIncomplete), strings.Join(d.rolesIncomplete, ", "))
	}
	if d.storesNoInterface > 0 {
		n += fmt.Sprintf("; %d networked store(s) whose interfaces are not in the snapshot: network paths to them are unknown", d.storesNoInterface)
	}
	if d.workloadsNoInterface > 0 {
		n += fmt.Sprintf("; %d workload(s) whose network interface is not in the snapshot: their network paths to data stores are unknown", d.workloadsNoInterface)
	}
	if len(d.Missing) > 0 {
		n += "; not collected (stores of that kind unknown): " + strings.Join(missingKinds(d.Missing), ", ") + " (coverage.data_stores_missing names the files)"
	}
	return n
}

// missingKinds are the kinds of the not-collected listings ("… : RDS DB
// instances unknown" → "RDS DB instances"), in order, once each.
func missingKinds(missing []string) []string {
	var out []string
	for _, m := range missing {
		k := m
		if i := strings.LastIndex(m, ": "); i >= 0 {
			k = m[i+2:]
		}
		k = strings.TrimSuffix(k, " unknown")
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// dedup drops repeated strings, keeping the first of each.
func dedup(s []string) []string {
	var out []string
	for _, x := range s {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// resultIndex finds the engine's results by interface.
type resultIndex map[string][]*exposure.Result

func indexResults(rep *exposure.Report) resultIndex {
	idx := resultIndex{}
	if rep == nil {
		return idx
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		idx[r.Resource] = append(idx[r.Resource], r)
		for _, e := range r.Interfaces {
			if e != r.Resource {
				idx[e] = append(idx[e], r)
			}
		}
	}
	return idx
}

// internetVerdict judges one store (type doc).
func internetVerdict(s datastore.Store, idx resultIndex) StoreExposure {
	se := StoreExposure{Store: s, Proof: s.Service.Proof}
	if !s.Networked() || s.ServiceDecides {
		switch s.Service.Verdict {
		case datastore.Public:
			se.Internet = StoreExposed
		case datastore.Conditional:
			se.Internet = StoreConditional
		case datastore.NotPublic:
			se.Internet = StoreNotExposed
		default:
			se.Internet = StoreUnknown
		}
		se.Why = dedup(append(append([]string{}, s.Service.Missing...), s.Missing...))
		if se.Internet != StoreUnknown && len(s.Service.Missing) > 0 {
			se.Proof = append(se.Proof, "not checked: "+strings.Join(s.Service.Missing, "; "))
			se.Why = nil
		}
		return se
	}
	if len(s.Ports) == 0 {
		// In a network, but its port is not in the data (a DB instance
		// without Endpoint): nothing can be judged on it.
		se.Internet, se.Why = StoreUnknown, dedup(append([]string{"the store's port is not in the data"}, s.Missing...))
		return se
	}
	var exposed, unknown, blocked []string
	for _, eni := range s.Interfaces {
		rows := idx[eni]
		if len(rows) == 0 {
			unknown = append(unknown, eni+": no exposure result (the interface is not in the network model)")
		}
		for _, r := range rows {
			port, ok := storePort(r, s.Ports)
			if r.Protocol != "tcp" || !ok {
				continue
			}
			switch r.Verdict {
			case exposure.Exposed:
				exposed = append(exposed, fmt.Sprintf("%s tcp/%d exposed from %s", eni, port, exposure.SourcesText(r.Sources)))
				exposed = append(exposed, hops(r.Path)...)
			case exposure.Unknown:
				unknown = append(unknown, fmt.Sprintf("%s tcp/%d: %s", eni, port, strings.Join(r.Missing, "; ")))
			default:
				b := ""
				if r.BlockedBy != nil {
					b = r.BlockedBy.Detail
				}
				blocked = append(blocked, fmt.Sprintf("%s tcp/%d not exposed: %s", eni, port, b))
			}
		}
	}
	switch {
	case len(exposed) > 0:
		se.Internet, se.Proof = StoreExposed, append(se.Proof, exposed...)
	case len(unknown) > 0 || len(s.Interfaces) == 0:
		if len(s.Interfaces) == 0 && s.Service.Verdict == datastore.NotPublic {
			// No interface found, but the service gives it no public
			// address: not reachable from the internet either way.
			se.Internet = StoreNotExposed
			return se
		}
		se.Internet, se.Why = StoreUnknown, append(unknown, s.Missing...)
	default:
		se.Internet, se.Proof = StoreNotExposed, append(se.Proof, blocked...)
	}
	return se
}

// storePort is the first of the store's ports the result covers.
func storePort(r *exposure.Result, ports []int) (int, bool) {
	for _, p := range ports {
		if p >= r.FromPort && p <= r.ToPort {
			return p, true
		}
	}
	return 0, false
}

// hops are the proof lines of an engine path, one per control.
func hops(h []exposure.Hop) []string {
	out := make([]string, 0, len(h))
	for _, x := range h {
		out = append(out, x.Detail)
	}
	return out
}

// registerPolicies gives the IAM evaluation the stores' resource policies
// (bucket, secret and domain policies). One that does not parse is left
// out: the compiler already made the store's verdict unknown, naming it.
func registerPolicies(est *iam.Estate, stores []datastore.Store) map[string]*policy.Document {
	docs := map[string]*policy.Document{}
	for i := range stores {
		s := &stores[i]
		if s.Policy == "" {
			continue
		}
		d, err := policy.DecodeString(s.Policy)
		if err != nil {
			continue
		}
		est.SetResourcePolicy(s.ID, d)
		docs[s.ID] = d
	}
	return docs
}

// identityPaths lists, per workload, the stores its roles may use: every
// action of the store evaluated as AWS does (iam.Estate.Evaluate, with
// the store's resource policy), allowed or conditional. The roles are
// those the workload can obtain (assumed: yes, or unknown — then every
// access through it is unknown too); without assumed, its named role.
func identityPaths(ctx context.Context, d *Data, inv *workload.Inventory, est *iam.Estate, docs map[string]*policy.Document,
	assumed map[string][]risk.AssumedRole) error {
	byRole := map[string][]risk.DataAccess{}
	x := newStoreIndex(d.Stores, docs)
	var incomplete []string
	for i := range inv.Workloads {
		w := &inv.Workloads[i]
		roles, ok := assumed[w.ID]
		if !ok && w.Role != "" {
			roles = []risk.AssumedRole{{Role: w.Role, Verdict: "yes"}}
		}
		// The roles' accesses first, to size the workload's list once:
		// grown by append, millions of entries at issue 11's size
		// (bench/paths) left a third of the list as slack and garbage.
		n := 0
		for _, ar := range roles {
			if ar.Verdict == "no" && ar.Role != "" && ar.Role == w.Role {
				name := risk.DisplayName(&risk.WorkloadRef{Name: w.Name, Kind: w.Kind, Owner: w.Owner})
				line := fmt.Sprintf("%s: role %s is named but cannot be obtained", name, shortName(ar.Role))
				if len(ar.Proof) > 0 {
					line += ": " + ar.Proof[len(ar.Proof)-1]
				}
				if !slices.Contains(d.RolesNotObtained, line) {
					d.RolesNotObtained = append(d.RolesNotObtained, line)
				}
			}
			if ar.Role == "" || ar.Verdict == "no" {
				continue
			}
			acc, seen := byRole[ar.Role]
			if !seen {
				if err := ctx.Err(); err != nil {
					return err
				}
				if _, ok := est.Principals[ar.Role]; ok {
					var inc bool
					acc, inc = roleAccess(est, ar.Role, d.Stores, x)
					if inc {
						incomplete = append(incomplete, shortName(ar.Role))
					}
				}
				byRole[ar.Role] = acc
			}
			n += len(acc)
		}
		if n == 0 {
			continue
		}
		if len(d.Behind[w.ID]) == 0 && len(roles) == 1 && roles[0].Verdict == "yes" && roles[0].Via != "instance_profile" {
			// The role's list as is, shared by every workload running it
			// (read-only; later appends reallocate: clipped).
			d.Behind[w.ID] = slices.Clip(byRole[roles[0].Role])
			continue
		}
		d.Behind[w.ID] = slices.Grow(d.Behind[w.ID], n)
		for _, ar := range roles {
			if ar.Role == "" || ar.Verdict == "no" {
				continue
			}
			for _, a := range byRole[ar.Role] {
				if ar.Via == "instance_profile" {
					a.Detail = "instance " + a.Detail
				}
				if ar.Verdict != "yes" {
					a.Verdict = risk.DataUnknown
					a.Missing = append(append([]string{}, a.Missing...), ar.Missing...)
					if len(a.Missing) == 0 {
						a.Missing = []string{"whether the workload can obtain role " + shortName(ar.Role) + " is unknown"}
					}
				}
				d.Behind[w.ID] = append(d.Behind[w.ID], a)
			}
		}
	}
	if len(incomplete) > 0 {
		sort.Strings(incomplete)
		d.rolesIncomplete = incomplete
	}
	return nil
}

// storeIndex finds, per IAM action, the stores whose data it reaches,
// sorted by resource ARN so that a policy's resource pattern selects its
// candidates by literal prefix instead of a scan of every store.
type storeIndex struct {
	byAction map[string][]actionRes
	// withPolicy are the stores with a resource policy, and named the
	// AWS principals each policy's Allow statements name: a resource
	// policy allows a role that no identity policy allows only when it
	// names the role itself (IAM User Guide, "Policy evaluation logic":
	// naming the account delegates to identity policies; a grant to
	// anyone is the store's own public path, not the workload's).
	withPolicy []int
	named      map[int][]string
	// anon is each store action's answer for anyone (iam.Anonymous), the
	// same for every role: computed once.
	anon map[[2]int]iam.Outcome
}

type actionRes struct {
	resource string
	store    int
	action   int // index into the store's Actions
}

func newStoreIndex(stores []StoreExposure, docs map[string]*policy.Document) *storeIndex {
	x := &storeIndex{byAction: map[string][]actionRes{}, named: map[int][]string{}, anon: map[[2]int]iam.Outcome{}}
	for i := range stores {
		s := &stores[i]
		for j, a := range s.Actions {
			x.byAction[a.Action] = append(x.byAction[a.Action], actionRes{a.Resource, i, j})
		}
		doc := docs[s.ID]
		if doc == nil {
			continue
		}
		x.withPolicy = append(x.withPolicy, i)
		for j, a := range s.Actions {
			x.anon[[2]int{i, j}] = iam.Anonymous(doc, s.ID, a.Action, a.Resource).Outcome
		}
		for _, st := range doc.Statements {
			if st.Effect == policy.Allow {
				x.named[i] = append(x.named[i], st.Principal["AWS"]...)
			}
		}
	}
	for _, l := range x.byAction {
		sort.Slice(l, func(i, j int) bool { return l[i].resource < l[j].resource })
	}
	return x
}

// candidates returns the (store, action) pairs a role's identity policies
// may allow: resources matching an Allow pattern of the action, plus
// every action of the stores with resource policies. incomplete: the role
// uses a policy not in the snapshot.
func (x *storeIndex) candidates(est *iam.Estate, role string) (map[[2]int]bool, bool) {
	out := map[[2]int]bool{}
	incomplete := false
	for action, list := range x.byAction {
		pats, inc := est.AllowPatterns(role, action)
		incomplete = incomplete || inc
		for _, pat := range pats {
			pre := iam.LiteralPrefix(pat)
			k := sort.Search(len(list), func(i int) bool { return list[i].resource >= pre })
			for ; k < len(list) && strings.HasPrefix(list[k].resource, pre); k++ {
				if policy.Glob(pat, list[k].resource) || strings.ContainsAny(pat, "$") {
					out[[2]int{list[k].store, list[k].action}] = true
				}
			}
		}
	}
	return out, incomplete
}

// roleAccess evaluates one role against the stores its policies may
// reach (storeIndex.candidates; the others are implicit denies). Actions
// the store's resource policy allows to anyone are left out: the
// workload adds nothing an attacker could not do without it (the store's
// own path in `sightline paths` says so).
func roleAccess(est *iam.Estate, role string, stores []StoreExposure, x *storeIndex) ([]risk.DataAccess, bool) {
	cand, incomplete := x.candidates(est, role)
	for _, si := range x.withPolicy {
		if !namesRole(x.named[si], role) {
			continue
		}
		for j := range stores[si].Actions {
			cand[[2]int{si, j}] = true
		}
	}
	byStore := map[int][]int{}
	for k := range cand {
		byStore[k[0]] = append(byStore[k[0]], k[1])
	}
	idx := make([]int, 0, len(byStore))
	for si := range byStore {
		idx = append(idx, si)
	}
	sort.Ints(idx)
	var out []risk.DataAccess
	short := shortName(role)
	for _, si := range idx {
		s := &stores[si]
		acts := byStore[si]
		sort.Ints(acts)
		var can, cond []string
		var proof []string
		write := false
		for _, j := range acts {
			a := s.Actions[j]
			anon, ok := x.anon[[2]int{si, j}]
			if !ok {
				anon = iam.ImplicitDeny
			}
			if anon == iam.Allowed {
				continue // anyone may: the workload adds nothing (the store's own path says it)
			}
			dec := est.Evaluate(role, a.Action, a.Resource)
			switch dec.Outcome {
			case iam.Allowed:
				can = append(can, a.Action)
				write = write || a.Write
			case iam.Conditional:
				if anon == iam.Conditional {
					continue // as open to anyone as to the role
				}
				cond = append(cond, a.Action+" (when "+strings.Join(dec.ConditionKeys, ", ")+")")
			default:
				continue
			}
			proof = append(proof, a.Action+" on "+a.Resource+": "+proofText(dec.Proof))
		}
		if len(can) == 0 && len(cond) == 0 {
			continue
		}
		da := risk.DataAccess{Store: s.ID, Name: s.Name, Kind: s.Kind, Via: "identity", Write: write, Proof: proof}
		if len(can) > 0 {
			da.Verdict = risk.DataYes
			da.Detail = fmt.Sprintf("role %s can %s on %s", short, strings.Join(can, ", "), s.Name)
		} else {
			da.Verdict = risk.DataConditional
			da.Detail = fmt.Sprintf("role %s can %s on %s", short, strings.Join(cond, ", "), s.Name)
		}
		out = append(out, da)
	}
	return out, incomplete
}

// namesRole reports whether a resource policy's AWS principals name the
// role or one of its sessions (arn:aws:sts::ACCOUNT:assumed-role/NAME/…).
func namesRole(principals []string, role string) bool {
	name := shortName(role)
	for _, p := range principals {
		if p == role || strings.Contains(p, ":assumed-role/"+name+"/") {
			return true
		}
	}
	return false
}

func shortName(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// workloadInterfaces are the network interfaces a workload's connections
// leave from: its own (awsvpc tasks, pods with VPC addresses), else the
// interfaces holding its addresses, else its host's primary interface
// (bridge and host networking share the host's).
func workloadInterfaces(w *workload.Workload, byAddr map[string]string, primary map[string]string) []string {
	if w.Interface != "" {
		return []string{w.Interface}
	}
	var out []string
	for _, a := range w.Addresses {
		if e, ok := byAddr[a]; ok && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if len(out) == 0 && w.Host != nil && w.Host.InstanceID != "" {
		if e, ok := primary[w.Host.InstanceID]; ok {
			out = append(out, e)
		}
	}
	return out
}

// StoreRefs are the stores as the paths view shows them.
func (d *Data) StoreRefs() []risk.StoreRef {
	out := make([]risk.StoreRef, 0, len(d.Stores))
	for _, s := range d.Stores {
		out = append(out, risk.StoreRef{ID: s.ID, Name: s.Name, Kind: s.Kind, Account: s.Account, Region: s.Region,
			Internet: s.Internet, Proof: s.Proof, Missing: s.Why})
	}
	return out
}
