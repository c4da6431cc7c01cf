package terraform

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/check/awsexposure"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/netmodel"
)

// addExposure builds the AWS network the resources describe as an
// in-memory AWS snapshot (the shapes `aws ec2 describe-*` prints, with
// Terraform addresses as resource IDs), runs the exposure engine on it
// (the same netcompile → exposure path as `sightline exposure --aws`) and
// puts each instance's, load balancer's and database's results in its
// Vars.exposure. Pieces that are unknown (a CIDR from a variable without a
// value, a subnet from a remote module) become the engine's missing data,
// so the verdicts that need them are unknown, naming why.
func addExposure(ctx context.Context, set *check.Set, refs map[string]map[string]string, source string) error {
	b := newBuilder(set.Objects, refs)
	if !b.relevant() {
		return nil
	}
	b.build()
	res, err := awsexposure.Analyze(ctx, b.snap, b.patch)
	if err != nil {
		return fmt.Errorf("exposure of %s: %w", source, err)
	}
	// Private addresses assigned at launch: a second run with other
	// addresses of the same subnets tells the load-balancer verdicts that
	// depend on which address an instance gets.
	var alt *awsexposure.Results
	if len(b.privateUnknown) > 0 {
		b2 := newBuilder(set.Objects, refs)
		b2.lastAddr = true
		b2.build()
		if alt, err = awsexposure.Analyze(ctx, b2.snap, b2.patch); err != nil {
			return fmt.Errorf("exposure of %s: %w", source, err)
		}
	}
	for i := range set.Objects {
		o := &set.Objects[i]
		ids := b.owned[o.Name]
		if len(ids) == 0 {
			continue
		}
		rows := res.Rows(ids...)
		if why := b.pubUnknown[o.Name]; why != "" {
			awsexposure.Unsure(rows, why)
		}
		if alt != nil && b.privateUnknown[o.Name] != "" {
			awsexposure.Compare(rows, alt.Rows(ids...), "the private IPv4 address of "+o.Name+" is assigned at launch, and whether the load balancer reaches it depends on which one")
		}
		awsexposure.Explain(rows, b.explain[o.Name])
		awsexposure.Rename(rows, b.placeholders)
		awsexposure.Set(o, rows)
	}
	return nil
}

// builder maps Terraform resources onto snapshot types.
type builder struct {
	objs  []check.Object
	refs  map[string]map[string]string
	byTyp map[string][]*check.Object
	snap  *snapshot.Region
	// missing: model resource ID → reasons its data is incomplete.
	missing map[string][]string
	// owned: object name → the model IDs whose results are its own.
	owned map[string][]string
	// pubUnknown: object name → why its public address is unknown.
	pubUnknown map[string]string
	// placeholders: placeholder public address → what stands there.
	placeholders map[string]string
	nextPub      int
	// explain: object name → reasons its network inputs are unknown.
	explain map[string][]string
	// floatingRT, floatingACL: associations whose subnet is unknown; every
	// subnet without an explicit association may be theirs.
	floatingRT, floatingACL []string
	explicitRT, explicitACL map[string]bool // subnets with an explicit association
	// privateUnknown: instance → the placeholder standing for its private
	// address.
	privateUnknown map[string]string
	privateNext    map[string]int // subnet → placeholders handed out
	lastAddr       bool           // placeholders from the end of the subnet
	// alias: a resource's known id (a plan or state of existing
	// infrastructure: "vpc-0abc…") → its address.
	alias map[string]string
}

func newBuilder(objs []check.Object, refs map[string]map[string]string) *builder {
	b := &builder{objs: objs, refs: refs, byTyp: map[string][]*check.Object{}, missing: map[string][]string{},
		owned: map[string][]string{}, pubUnknown: map[string]string{}, placeholders: map[string]string{}, explain: map[string][]string{}, privateUnknown: map[string]string{}, privateNext: map[string]int{}}
	b.alias = map[string]string{}
	for i := range objs {
		b.byTyp[objs[i].Type] = append(b.byTyp[objs[i].Type], &objs[i])
		if id, ok := objs[i].Data["id"].(string); ok && id != "" {
			b.alias[id] = objs[i].Name
		}
	}
	return b
}

// relevant reports whether there is anything the engine could expose.
func (b *builder) relevant() bool {
	for _, t := range []string{"aws_instance", "aws_lb", "aws_alb", "aws_elb", "aws_db_instance"} {
		if len(b.byTyp[t]) > 0 {
			return true
		}
	}
	return false
}

func (b *builder) typs(ts ...string) []*check.Object {
	var out []*check.Object
	for _, t := range ts {
		out = append(out, b.byTyp[t]...)
	}
	return out
}

// patch adds the missing data recorded while building to the compiled
// model: groups, route tables and the subnets using them.
func (b *builder) patch(m *netmodel.Model) {
	b.explicitRT, b.explicitACL = map[string]bool{}, map[string]bool{}
	for _, t := range b.snap.RouteTables {
		for _, a := range t.Associations {
			if a.SubnetId != "" {
				b.explicitRT[a.SubnetId] = true
			}
		}
	}
	for _, a := range b.snap.NetworkAcls {
		for _, as := range a.Associations {
			b.explicitACL[as.SubnetId] = true
		}
	}
	for _, reg := range m.Regions {
		for i := range reg.Groups {
			reg.Groups[i].Missing = append(reg.Groups[i].Missing, b.missing[reg.Groups[i].ID]...)
		}
		for i := range reg.RouteTables {
			reg.RouteTables[i].Missing = append(reg.RouteTables[i].Missing, b.missing[reg.RouteTables[i].ID]...)
		}
		for i := range reg.Subnets {
			s := &reg.Subnets[i]
			if !b.explicitRT[s.ID] {
				s.RouteMissing = append(s.RouteMissing, b.floatingRT...)
			}
			if !b.explicitACL[s.ID] {
				s.ACLMissing = append(s.ACLMissing, b.floatingACL...)
			}
			s.RouteMissing = append(s.RouteMissing, b.missing[s.RouteTable]...)
			s.ACLMissing = append(s.ACLMissing, b.missing[s.ACL]...)
			s.RouteMissing = append(s.RouteMissing, b.missing[s.ID]...)
		}
		reg.Origin = netmodel.Origin{Subnets: "the Terraform configuration (aws_subnet)", Groups: "the Terraform configuration (aws_security_group)",
			Hosts: "the Terraform configuration (aws_instance)", Endpoints: "the Terraform configuration"}
	}
}

// --- value access -------------------------------------------------------

// get returns the value at a simple path ("a.b[0].c") of o.Data.
func get(o *check.Object, path string) any {
	var cur any = o.Data
	for _, part := range splitPath(path) {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

func splitPath(p string) []string {
	p = strings.ReplaceAll(p, "[", ".")
	p = strings.ReplaceAll(p, "]", "")
	return strings.Split(p, ".")
}

// unknownAt reports why the value at path (or anything below it) is
// unknown, "" when it is known.
func unknownAt(o *check.Object, path string) string {
	reasons, _ := o.Vars["unknown"].(map[string]any)
	if computed, _ := o.Vars["computed"].([]any); len(computed) > 0 {
		top := splitPath(path)[0]
		for _, c := range computed {
			if c == top {
				return ""
			}
		}
	}
	for _, u := range o.Unknown {
		if u == path || strings.HasPrefix(u, path+".") || strings.HasPrefix(u, path+"[") {
			why, _ := reasons[u].(string)
			return fmt.Sprintf("%s.%s is unknown (%s)", o.Name, u, why)
		}
	}
	return ""
}

// ref resolves an ID-valued attribute: the Terraform address it refers to,
// or a literal ID; ok false with the reason when it is unknown.
func (b *builder) ref(o *check.Object, path string) (id string, why string) {
	if r := b.refs[o.Name][path]; r != "" {
		addr, attr := splitRef(r)
		if attr == "id" || attr == "arn" {
			return addr, ""
		}
	}
	if w := unknownAt(o, path); w != "" {
		return "", w
	}
	s, _ := get(o, path).(string)
	if addr, ok := b.alias[s]; ok {
		return addr, ""
	}
	return s, ""
}

// splitRef splits "aws_vpc.main.id" into the address and the attribute.
func splitRef(r string) (string, string) {
	i := strings.LastIndexByte(r, '.')
	if i < 0 {
		return r, ""
	}
	return r[:i], r[i+1:]
}

// refs resolves a list of IDs; the reasons of unknown elements are returned.
func (b *builder) refList(o *check.Object, path string) (ids []string, whys []string) {
	if w := b.listUnknown(o, path); w != "" {
		return nil, []string{w}
	}
	l, _ := get(o, path).([]any)
	for i := range l {
		id, why := b.ref(o, fmt.Sprintf("%s[%d]", path, i))
		if why != "" {
			whys = append(whys, why)
			continue
		}
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids, whys
}

// listUnknown is the reason a whole list is unknown.
func (b *builder) listUnknown(o *check.Object, path string) string {
	for _, u := range o.Unknown {
		if u == path {
			return unknownAt(o, path)
		}
	}
	return ""
}

func str(o *check.Object, path string) string {
	s, _ := get(o, path).(string)
	return s
}

func boolAt(o *check.Object, path string) (v, set bool) {
	switch x := get(o, path).(type) {
	case bool:
		return x, true
	case string:
		return x == "true", x == "true" || x == "false"
	}
	return false, false
}

func intAt(o *check.Object, path string) (int, bool) {
	switch x := get(o, path).(type) {
	case int64:
		return int(x), true
	case float64:
		return int(x), true
	case string:
		i, err := strconv.Atoi(x)
		return i, err == nil
	}
	return 0, false
}

func strs(o *check.Object, path string) []string {
	l, _ := get(o, path).([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

func blocks(o *check.Object, name string) int {
	l, _ := get(o, name).([]any)
	return len(l)
}

// publicPlaceholder returns a distinct address standing for a public
// address assigned at apply; Rename writes what it stands for into the
// proofs.
func (b *builder) publicPlaceholder(what string) string {
	b.nextPub++
	ip := netip.AddrFrom4([4]byte{100, 64, byte(b.nextPub >> 8), byte(b.nextPub)}).String()
	b.placeholders[ip] = what
	return ip
}

func (b *builder) miss(id, why string) {
	if why != "" {
		b.missing[id] = append(b.missing[id], why)
	}
}
