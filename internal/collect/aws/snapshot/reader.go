package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
)

// Snapshot is every account/region read from one snapshot directory.
type Snapshot struct {
	Root string
	// Manifest is the collector's manifest.json (layout.Manifest); nil for
	// a hand-made snapshot without one.
	Manifest *layout.Manifest
	Regions  []*Region
}

// Region is the typed content of one account/region directory.
type Region struct {
	Account     string
	Name        string
	Dir         string
	CollectedAt time.Time
	// Gaps are the manifest's gaps of this account and region: calls the
	// collector could not make. Their data is unknown, never "nothing there".
	Gaps []layout.Gap

	present map[string]bool      // "ec2/describe-vpcs" → file or dir present
	empty   map[string]string    // op → an empty file of it (a failed CLI call): not collected
	damaged map[string]string    // data-service op → why its file(s) could not be read (soften)
	keys    map[string]*keyIndex // per-resource operation → the resources it was collected for

	VPCs                 []VPC
	Subnets              []Subnet
	RouteTables          []RouteTable
	InternetGateways     []InternetGateway
	EgressOnlyGateways   []EgressOnlyInternetGateway
	NatGateways          []NatGateway
	NetworkAcls          []NetworkAcl
	SecurityGroups       []SecurityGroup
	PrefixLists          []ManagedPrefixList
	NetworkInterfaces    []NetworkInterface
	Instances            []Instance
	Addresses            []Address
	Peerings             []VpcPeeringConnection
	TGWAttachments       []TransitGatewayAttachment
	ClassicLoadBalancers []ClassicLoadBalancer
	LoadBalancers        []LoadBalancer
	Listeners            []Listener
	TargetGroups         []TargetGroup
	ECSClusters          []ECSCluster
	ECSServices          []ECSService
	ECSTasks             []ECSTask
	ContainerInstances   []ContainerInstance
	TaskDefinitions      map[string]TaskDefinition // by ARN
	Other                []GraphOnly
	// Data holds the managed data services (datastores.go).
	Data DataStores
	// notFound are the manifest's not_found entries of this region.
	notFound []layout.NotFound

	// Outputs of per-resource operations by file key (keys.go).
	plEntries    map[string][]PrefixListEntry
	rules        map[string][]Rule
	targetHealth map[string][]TargetHealthDescription
	tgAttrs      map[string]map[string]string
}

// Has reports whether "<service>/<operation>" was collected: its file or
// directory is present and the manifest records no gap for the whole
// operation in this region (a gap means the data may be incomplete).
func (r *Region) Has(op string) bool { return r.present[op] && r.opGap(op) == nil }

// Damaged lists the data-service operations whose files could not be
// read (they count as not collected; Missing says why), sorted.
func (r *Region) Damaged() []string {
	out := make([]string, 0, len(r.damaged))
	for op := range r.damaged {
		out = append(out, op)
	}
	sort.Strings(out)
	return out
}

// HasKey reports whether a per-resource operation was collected for arg.
func (r *Region) HasKey(op, arg string) bool {
	return r.Has(op) && len(r.keys[op].resolve(arg)) > 0
}

// PrefixListEntries returns the entries of one managed prefix list.
func (r *Region) PrefixListEntries(id string) ([]PrefixListEntry, bool) {
	return gather(r, "ec2/get-managed-prefix-list-entries", id, r.plEntries)
}

// Rules returns the rules of one ELBv2 listener.
func (r *Region) Rules(listenerArn string) ([]Rule, bool) {
	return gather(r, "elbv2/describe-rules", listenerArn, r.rules)
}

// TargetHealth returns the registered targets of one target group.
func (r *Region) TargetHealth(tgArn string) ([]TargetHealthDescription, bool) {
	return gather(r, "elbv2/describe-target-health", tgArn, r.targetHealth)
}

// TargetGroupAttributes returns the attributes of one target group.
func (r *Region) TargetGroupAttributes(tgArn string) (map[string]string, bool) {
	const op = "elbv2/describe-target-group-attributes"
	if !r.Has(op) {
		return nil, false
	}
	var out map[string]string
	for _, k := range r.keys[op].resolve(tgArn) {
		if m, ok := r.tgAttrs[k]; ok {
			if out == nil {
				out = map[string]string{}
			}
			for a, v := range m {
				out[a] = v
			}
		}
	}
	return out, out != nil
}

// gather concatenates the outputs stored for arg (one file, or several
// parts of one resource).
func gather[T any](r *Region, op, arg string, m map[string][]T) ([]T, bool) {
	if !r.Has(op) {
		return nil, false
	}
	keys := r.keys[op].resolve(arg)
	if len(keys) == 1 {
		v, ok := m[keys[0]]
		return v, ok
	}
	var out []T
	found := false
	for _, k := range keys {
		if v, ok := m[k]; ok {
			found = true
			out = append(out, v...)
		}
	}
	return out, found
}

// opGap returns the manifest gap that covers all of op in this region.
func (r *Region) opGap(op string) *layout.Gap {
	svc, name, _ := strings.Cut(op, "/")
	for i, g := range r.Gaps {
		if g.Service == svc && g.Operation == name && g.ResourceID == "" {
			return &r.Gaps[i]
		}
	}
	return nil
}

// Missing describes why data for op (and resource arg, if any) is absent:
// the collector's gap if there is one, else the file that is not there.
func (r *Region) Missing(op, arg string) string {
	svc, name, _ := strings.Cut(op, "/")
	if why, ok := r.damaged[op]; ok {
		return fmt.Sprintf("%s %s not read: %s", svc, name, why)
	}
	for _, g := range r.Gaps {
		if g.Service == svc && g.Operation == name && (g.ResourceID == "" || g.ResourceID == arg) {
			what := svc + " " + name
			if g.ResourceID != "" {
				what += " for " + g.ResourceID
			}
			return fmt.Sprintf("%s in %s/%s not collected (gap in manifest.json): %s", what, r.Account, r.Name, gapError(g))
		}
	}
	const failed = "is empty: not collected (a failed `aws … > file` leaves an empty file)"
	if arg != "" {
		if p, ok := r.empty[op]; ok {
			return fmt.Sprintf("%s %s for %s missing from %s (%s %s)", svc, name, arg, r.Dir, p, failed)
		}
		return fmt.Sprintf("%s %s for %s missing from %s", svc, name, arg, r.Dir)
	}
	if p, ok := r.empty[op]; ok && !r.present[op] {
		return fmt.Sprintf("%s %s", p, failed)
	}
	return fmt.Sprintf("%s.json missing from %s", op, r.Dir)
}

func gapError(g layout.Gap) string {
	switch {
	case g.ErrorCode != "" && g.Message != "":
		return g.ErrorCode + ": " + g.Message
	case g.ErrorCode != "":
		return g.ErrorCode
	case g.Message != "":
		return g.Message
	}
	return "no error recorded"
}

// services are the AWS CLI service directories a region directory may hold.
var services = []string{"ec2", "elb", "elbv2", "ecs", "eks", "ecr", "iam", "rds", "redshift", "s3api", "lambda",
	"dynamodb", "elasticache", "opensearch", "secretsmanager"}

// isRegionDir reports whether dir directly holds service directories.
func isRegionDir(dir string) bool {
	for _, s := range services {
		if st, err := os.Stat(filepath.Join(dir, s)); err == nil && st.IsDir() {
			return true
		}
	}
	return false
}

func subdirs(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading snapshot directory %s: %w", dir, err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// readManifest reads the collector's manifest.json (layout.ParseManifest);
// a snapshot without one (made with the AWS CLI) is fine.
func readManifest(dir string) (*layout.Manifest, error) {
	p := filepath.Join(dir, layout.ManifestFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return layout.ParseManifest(p, b)
}

// manifestAccount is the manifest's account when it names exactly one.
func manifestAccount(m *layout.Manifest) string {
	if m != nil && len(m.Accounts) == 1 {
		return m.Accounts[0].AccountID
	}
	return ""
}

// Load reads a snapshot: a root of account directories, one account
// directory, or one region directory (docs/aws-snapshot.md).
func Load(ctx context.Context, root string) (*Snapshot, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", root, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("snapshot %s: not a directory", root)
	}
	man, err := readManifest(root)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Root: root, Manifest: man}
	type job struct{ account, region, dir string }
	var jobs []job
	base := filepath.Base(filepath.Clean(root))
	isAccount := func(s string) bool { return layout.CheckAccount(s) == nil }
	isRegion := func(s string) bool { return layout.CheckRegion(s) == nil }
	switch {
	case isRegionDir(root):
		acct, reg := "unknown", "unknown"
		if isRegion(base) {
			reg = base
		}
		if p := filepath.Base(filepath.Dir(filepath.Clean(root))); isAccount(p) {
			acct = p
		}
		if a := manifestAccount(man); a != "" {
			acct = a
		}
		if man != nil && len(man.Regions) == 1 && !isRegion(base) {
			reg = man.Regions[0]
		}
		jobs = append(jobs, job{acct, reg, root})
	default:
		dirs, err := subdirs(root)
		if err != nil {
			return nil, err
		}
		accountDir := false
		for _, d := range dirs {
			if isRegion(d) && isRegionDir(filepath.Join(root, d)) {
				accountDir = true
			}
		}
		if accountDir {
			acct := "unknown"
			if isAccount(base) {
				acct = base
			}
			if a := manifestAccount(man); a != "" && !isAccount(base) {
				acct = a
			}
			for _, d := range dirs {
				if isRegionDir(filepath.Join(root, d)) {
					jobs = append(jobs, job{acct, d, filepath.Join(root, d)})
				}
			}
			break
		}
		for _, a := range dirs {
			regs, err := subdirs(filepath.Join(root, a))
			if err != nil {
				return nil, err
			}
			for _, d := range regs {
				if isRegionDir(filepath.Join(root, a, d)) {
					jobs = append(jobs, job{a, d, filepath.Join(root, a, d)})
				}
			}
		}
	}
	if len(jobs) == 0 {
		return nil, fmt.Errorf("snapshot %s: no <account>/<region>/<service>/ directories found (see docs/aws-snapshot.md)", root)
	}
	for _, j := range jobs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, err := loadRegion(ctx, j.account, j.region, j.dir, man)
		if err != nil {
			return nil, err
		}
		s.Regions = append(s.Regions, r)
	}
	return s, nil
}

// LoadRegionDir reads one region directory (used by tests and fuzzing).
func LoadRegionDir(ctx context.Context, account, region, dir string) (*Region, error) {
	return loadRegion(ctx, account, region, dir, nil)
}

// NewRegion returns an empty region whose every operation counts as
// collected; programs that build snapshots in memory (tests, the
// benchmark generator) fill its exported fields and use the setters below.
func NewRegion(account, name string) *Region {
	r := &Region{Account: account, Name: name, Dir: "(memory)", present: map[string]bool{}, keys: map[string]*keyIndex{}, empty: map[string]string{},
		TaskDefinitions: map[string]TaskDefinition{}, plEntries: map[string][]PrefixListEntry{}, rules: map[string][]Rule{},
		targetHealth: map[string][]TargetHealthDescription{}, tgAttrs: map[string]map[string]string{}}
	for _, op := range []string{"ec2/describe-vpcs", "ec2/describe-subnets", "ec2/describe-route-tables",
		"ec2/describe-internet-gateways", "ec2/describe-egress-only-internet-gateways", "ec2/describe-nat-gateways",
		"ec2/describe-network-acls", "ec2/describe-security-groups", "ec2/describe-managed-prefix-lists",
		"ec2/describe-network-interfaces", "ec2/describe-instances", "ec2/describe-addresses",
		"ec2/describe-vpc-peering-connections", "ec2/describe-transit-gateway-attachments",
		"elb/describe-load-balancers", "elbv2/describe-load-balancers", "elbv2/describe-target-groups"} {
		r.present[op] = true
	}
	return r
}

func (r *Region) setKey(op, arg string) {
	r.present[op] = true
	if r.keys[op] == nil {
		r.keys[op] = newKeyIndex()
	}
	r.keys[op].add(argKey(arg))
}

// SetPrefixListEntries records get-managed-prefix-list-entries for one list.
func (r *Region) SetPrefixListEntries(id string, e []PrefixListEntry) {
	r.setKey("ec2/get-managed-prefix-list-entries", id)
	r.plEntries[argKey(id)] = e
}

// SetListeners records describe-listeners for one load balancer.
func (r *Region) SetListeners(lbArn string, ls []Listener) {
	r.setKey("elbv2/describe-listeners", lbArn)
	r.Listeners = append(r.Listeners, ls...)
}

// SetRules records describe-rules for one listener.
func (r *Region) SetRules(listenerArn string, rules []Rule) {
	r.setKey("elbv2/describe-rules", listenerArn)
	r.rules[argKey(listenerArn)] = rules
}

// SetTargetHealth records describe-target-health for one target group.
func (r *Region) SetTargetHealth(tgArn string, th []TargetHealthDescription) {
	r.setKey("elbv2/describe-target-health", tgArn)
	r.targetHealth[argKey(tgArn)] = th
}

// SetTargetGroupAttributes records describe-target-group-attributes.
func (r *Region) SetTargetGroupAttributes(tgArn string, attrs map[string]string) {
	r.setKey("elbv2/describe-target-group-attributes", tgArn)
	r.tgAttrs[argKey(tgArn)] = attrs
}
