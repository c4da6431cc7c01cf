package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// Manifest is manifest.json at the snapshot root (docs/aws-snapshot.md).
type Manifest struct {
	Schema      string   `json:"schema"`
	Account     string   `json:"account"`
	Accounts    []string `json:"accounts"`
	Regions     []string `json:"regions"`
	CollectedAt string   `json:"collected_at"`
	Tool        string   `json:"tool"`
	Gaps        []Gap    `json:"gaps"`
}

// Gap is a call the collector could not make (AccessDenied, unsupported
// region, …). Data behind a gap is unknown, never "nothing there".
type Gap struct {
	Account   string `json:"account,omitempty"`
	Service   string `json:"service"`
	Operation string `json:"operation"`
	Region    string `json:"region"`
	Resource  string `json:"resource,omitempty"`
	Error     string `json:"error"`
}

// Snapshot is every account/region read from one snapshot directory.
type Snapshot struct {
	Root     string
	Manifest *Manifest
	Regions  []*Region
}

// keyed holds the outputs of a per-resource operation by file-safe id.
type keyed struct {
	present bool
	byKey   map[string][][]byte
}

// Region is the typed content of one account/region directory.
type Region struct {
	Account     string
	Name        string
	Dir         string
	CollectedAt time.Time
	Gaps        []Gap

	present map[string]bool // "ec2/describe-vpcs" → file or dir present
	keys    map[string]map[string]bool

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

	plEntries    map[string][]PrefixListEntry
	rules        map[string][]Rule
	targetHealth map[string][]TargetHealthDescription
	tgAttrs      map[string]map[string]string
}

// Has reports whether "<service>/<operation>" was collected.
func (r *Region) Has(op string) bool { return r.present[op] }

// HasKey reports whether a per-resource operation was collected for arg.
func (r *Region) HasKey(op, arg string) bool { return r.keys[op][SafeID(arg)] }

// PrefixListEntries returns the entries of one managed prefix list.
func (r *Region) PrefixListEntries(id string) ([]PrefixListEntry, bool) {
	e, ok := r.plEntries[SafeID(id)]
	return e, ok
}

// Rules returns the rules of one ELBv2 listener.
func (r *Region) Rules(listenerArn string) ([]Rule, bool) {
	e, ok := r.rules[SafeID(listenerArn)]
	return e, ok
}

// TargetHealth returns the registered targets of one target group.
func (r *Region) TargetHealth(tgArn string) ([]TargetHealthDescription, bool) {
	e, ok := r.targetHealth[SafeID(tgArn)]
	return e, ok
}

// TargetGroupAttributes returns the attributes of one target group.
func (r *Region) TargetGroupAttributes(tgArn string) (map[string]string, bool) {
	e, ok := r.tgAttrs[SafeID(tgArn)]
	return e, ok
}

// Missing describes why data for op (and resource arg, if any) is absent:
// the collector's gap if there is one, else the file that is not there.
func (r *Region) Missing(op, arg string) string {
	svc, name, _ := strings.Cut(op, "/")
	for _, g := range r.Gaps {
		if g.Service == svc && g.Operation == name && (g.Resource == "" || g.Resource == arg) {
			return fmt.Sprintf("%s %s in %s/%s not collected: %s", svc, name, r.Account, r.Name, g.Error)
		}
	}
	if arg != "" {
		return fmt.Sprintf("%s %s for %s missing from %s", svc, name, arg, r.Dir)
	}
	return fmt.Sprintf("%s.json missing from %s", op, r.Dir)
}

var unsafeByte = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// SafeID turns an operation argument into a file name: every byte outside
// [A-Za-z0-9._-] becomes "_" (docs/aws-snapshot.md).
func SafeID(arg string) string { return unsafeByte.ReplaceAllString(arg, "_") }

var (
	accountRe = regexp.MustCompile(`^[0-9]{12}$`)
	regionRe  = regexp.MustCompile(`^(global|[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+)$`)
	services  = []string{"ec2", "elb", "elbv2", "ecs", "eks", "ecr", "iam", "rds", "redshift", "s3api", "lambda"}
)

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

func readManifest(dir string) (*Manifest, error) {
	p := filepath.Join(dir, "manifest.json")
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", p, err)
	}
	if m.Schema != "" && !strings.HasPrefix(m.Schema, "sightline.aws-snapshot/") {
		return nil, fmt.Errorf("%s: unsupported schema %q (want sightline.aws-snapshot/v1)", p, m.Schema)
	}
	return &m, nil
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
	switch {
	case isRegionDir(root):
		acct, reg := "unknown", "unknown"
		if regionRe.MatchString(base) {
			reg = base
		}
		if p := filepath.Base(filepath.Dir(filepath.Clean(root))); accountRe.MatchString(p) {
			acct = p
		}
		if man != nil && man.Account != "" {
			acct = man.Account
		}
		if man != nil && len(man.Regions) == 1 {
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
			if regionRe.MatchString(d) && isRegionDir(filepath.Join(root, d)) {
				accountDir = true
			}
		}
		if accountDir {
			acct := "unknown"
			if accountRe.MatchString(base) {
				acct = base
			}
			if man != nil && man.Account != "" {
				acct = man.Account
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

func loadRegion(ctx context.Context, account, region, dir string, man *Manifest) (*Region, error) {
	r := &Region{Account: account, Name: region, Dir: dir, present: map[string]bool{}, keys: map[string]map[string]bool{}}
	if man != nil {
		for _, g := range man.Gaps {
			if (g.Account == "" || g.Account == account) && (g.Region == region || g.Region == "") {
				r.Gaps = append(r.Gaps, g)
			}
		}
		if t, err := time.Parse(time.RFC3339, man.CollectedAt); err == nil {
			r.CollectedAt = t
		}
	}
	l := &loader{r: r, dir: dir, sem: make(chan struct{}, runtime.GOMAXPROCS(0))}
	var after []func()
	for _, step := range regionSteps {
		if err := ctx.Err(); err != nil {
			l.wait()
			return nil, err
		}
		after = append(after, step(l))
	}
	if err := l.wait(); err != nil {
		return nil, err
	}
	for _, fn := range after {
		if fn != nil {
			fn()
		}
	}
	if r.CollectedAt.IsZero() {
		r.CollectedAt = l.newest
	}
	return r, nil
}

// loader reads the files of one region directory. The operations are
// independent, so each is a job run concurrently (at most GOMAXPROCS at a
// time): a job writes only its own fields of the Region, and what several
// jobs share (presence, keys, newest file time) is guarded by mu.
type loader struct {
	r   *Region
	dir string
	sem chan struct{}
	wg  sync.WaitGroup

	errs []*error // one per job, in submission order

	mu     sync.Mutex
	newest time.Time
}

// do runs job concurrently with the others.
func (l *loader) do(job func() error) {
	e := new(error)
	l.errs = append(l.errs, e)
	l.sem <- struct{}{}
	l.wg.Add(1)
	go func() {
		defer func() { <-l.sem; l.wg.Done() }()
		*e = job()
	}()
}

// wait returns the error of the first failed job in submission order, so
// that a bad snapshot always gets the same message.
func (l *loader) wait() error {
	l.wg.Wait()
	for _, e := range l.errs {
		if *e != nil {
			return *e
		}
	}
	return nil
}

func (l *loader) path(op string) string { return filepath.Join(l.dir, filepath.FromSlash(op)+".json") }

func (l *loader) seen(st fs.FileInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st.ModTime().After(l.newest) {
		l.newest = st.ModTime()
	}
}

func (l *loader) statSeen(p string) {
	if st, err := os.Stat(p); err == nil {
		l.seen(st)
	}
}

// list streams the list output <op>.json (whose list member is top) into
// *dst. An absent file leaves *dst alone and op not present.
func list[T any](l *loader, op, top string, dst *[]T) {
	l.do(func() error {
		p := l.path(op)
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			l.seen(st)
		}
		items, err := decodeList[T](f, top)
		if err != nil {
			return fmt.Errorf("parsing %s: %w", p, err)
		}
		*dst = items
		l.mark(op, nil)
		return nil
	})
}

// decodeOutput unmarshals one CLI output and checks that it holds top.
func decodeOutput(b []byte, v any, top string) error {
	if err := unmarshal(b, v); err != nil {
		return err
	}
	if top == "" {
		return nil
	}
	// Cheap shape check: the key must occur as a JSON object key.
	if !strings.Contains(string(b[:min(len(b), 4096)]), `"`+top+`"`) && !containsKey(b, top) {
		return fmt.Errorf("not the output of this operation: no %q field", top)
	}
	return nil
}

func containsKey(b []byte, top string) bool {
	var m map[string]jsontext.Value
	if unmarshal(b, &m) != nil {
		return false
	}
	_, ok := m[top]
	return ok
}

var partSuffix = regexp.MustCompile(`\.[0-9]+$`)

// perResource reads a per-resource operation in either form and returns the
// raw outputs by file-safe id.
func (l *loader) perResource(op, top string) (keyed, error) {
	k := keyed{byKey: map[string][][]byte{}}
	d := filepath.Join(l.dir, filepath.FromSlash(op))
	if ents, err := os.ReadDir(d); err == nil {
		k.present = true
		for _, e := range ents {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			p := filepath.Join(d, e.Name())
			b, err := os.ReadFile(p)
			if err != nil {
				return k, fmt.Errorf("reading %s: %w", p, err)
			}
			l.statSeen(p)
			if !jsontext.Value(b).IsValid(decodeOpts) {
				return k, fmt.Errorf("parsing %s: not valid JSON", p)
			}
			id := partSuffix.ReplaceAllString(strings.TrimSuffix(e.Name(), ".json"), "")
			k.byKey[id] = append(k.byKey[id], b)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return k, fmt.Errorf("reading %s: %w", d, err)
	}
	p := l.path(op)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return k, nil
	}
	if err != nil {
		return k, fmt.Errorf("reading %s: %w", p, err)
	}
	l.statSeen(p)
	k.present = true
	var m map[string]jsontext.Value
	if err := unmarshal(b, &m); err != nil {
		return k, fmt.Errorf("parsing %s: %w", p, err)
	}
	if _, single := m[top]; single {
		k.byKey[""] = append(k.byKey[""], b)
	} else {
		for key, v := range m {
			k.byKey[SafeID(key)] = append(k.byKey[SafeID(key)], v)
		}
	}
	return k, nil
}

// mark records op as collected, with the keys of a per-resource operation
// (k may be nil for a list operation) plus extra keys implied by the data.
func (l *loader) mark(op string, k *keyed, extra ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k == nil {
		l.r.present[op] = true
		return
	}
	if !k.present {
		return
	}
	l.r.present[op] = true
	set := map[string]bool{}
	for id := range k.byKey {
		set[id] = true
	}
	for _, id := range extra {
		set[id] = true
	}
	l.r.keys[op] = set
}

// keyedOp reads a per-resource operation as one job: every output is
// decoded into T and passed to fn (file-safe id, "" for an unkeyed single
// output); done, if set, returns extra keys implied by the data.
func keyedOp[T any](l *loader, op, top string, fn func(id string, v *T) error, done func() []string) {
	l.do(func() error {
		k, err := l.perResource(op, top)
		if err != nil {
			return err
		}
		if err := eachOutput(l, op, top, k, fn); err != nil {
			return err
		}
		var extra []string
		if done != nil && k.present {
			extra = done()
		}
		l.mark(op, &k, extra...)
		return nil
	})
}

// eachOutput decodes every output of a keyed operation; fn receives the
// file-safe id ("" for an unkeyed single output) and the decoded value.
func eachOutput[T any](l *loader, op, top string, k keyed, fn func(id string, v *T) error) error {
	ids := make([]string, 0, len(k.byKey))
	for id := range k.byKey {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		for _, raw := range k.byKey[id] {
			var v T
			if err := decodeOutput(raw, &v, top); err != nil {
				return fmt.Errorf("parsing %s (resource %q): %w", filepath.Join(l.dir, filepath.FromSlash(op)), id, err)
			}
			if err := fn(id, &v); err != nil {
				return err
			}
		}
	}
	return nil
}

func needKey(l *loader, op, id string) error {
	if id == "" {
		return fmt.Errorf("%s: holds one output without its argument; store it as %s/<id>.json or as an object keyed by the argument (docs/aws-snapshot.md)",
			l.path(op), filepath.Join(l.dir, filepath.FromSlash(op)))
	}
	return nil
}

// NewRegion returns an empty region whose every operation counts as
// collected; programs that build snapshots in memory (tests, the
// benchmark generator) fill its exported fields and use the setters below.
func NewRegion(account, name string) *Region {
	r := &Region{Account: account, Name: name, Dir: "(memory)", present: map[string]bool{}, keys: map[string]map[string]bool{},
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
		r.keys[op] = map[string]bool{}
	}
	r.keys[op][SafeID(arg)] = true
}

// SetPrefixListEntries records get-managed-prefix-list-entries for one list.
func (r *Region) SetPrefixListEntries(id string, e []PrefixListEntry) {
	r.setKey("ec2/get-managed-prefix-list-entries", id)
	r.plEntries[SafeID(id)] = e
}

// SetListeners records describe-listeners for one load balancer.
func (r *Region) SetListeners(lbArn string, ls []Listener) {
	r.setKey("elbv2/describe-listeners", lbArn)
	r.Listeners = append(r.Listeners, ls...)
}

// SetRules records describe-rules for one listener.
func (r *Region) SetRules(listenerArn string, rules []Rule) {
	r.setKey("elbv2/describe-rules", listenerArn)
	r.rules[SafeID(listenerArn)] = rules
}

// SetTargetHealth records describe-target-health for one target group.
func (r *Region) SetTargetHealth(tgArn string, th []TargetHealthDescription) {
	r.setKey("elbv2/describe-target-health", tgArn)
	r.targetHealth[SafeID(tgArn)] = th
}

// SetTargetGroupAttributes records describe-target-group-attributes.
func (r *Region) SetTargetGroupAttributes(tgArn string, attrs map[string]string) {
	r.setKey("elbv2/describe-target-group-attributes", tgArn)
	r.tgAttrs[SafeID(tgArn)] = attrs
}
