// Package datastores compiles the managed data services of an AWS snapshot
// (internal/collect/aws/snapshot) into the provider-neutral model of
// internal/datastore: per store its network interfaces, ports, the
// service-level public access verdict with its proof, and the IAM actions
// that read or write it. All AWS reading semantics of data stores live
// here (docs/datastores.md):
//
//   - RDS does not name its network interfaces: an interface is attributed
//     to a DB instance when it is an RDS interface (RequesterId amazon-rds
//     or Description "RDSNetworkInterface") in the instance's VPC, carries
//     exactly the instance's security groups, sits in a subnet of its DB
//     subnet group in its Availability Zone, and has a public address
//     exactly when the instance is PubliclyAccessible. Aurora clusters are
//     one store whose interfaces are their members'.
//   - Redshift lists its nodes' private addresses (ClusterNodes): the
//     interfaces holding them are the cluster's.
//   - ElastiCache and OpenSearch name their interfaces in the Description
//     ("ElastiCache <cache-cluster-id>", "ES <domain-name>").
//   - S3 buckets, DynamoDB tables and secrets have no network interface;
//     their public access is decided by Block Public Access and the
//     resource policy (evaluated for anonymous callers with iam.Anonymous;
//     S3's own get-bucket-policy-status verdict is shown beside it).
//   - Lambda function URLs with AuthType NONE and EKS public API endpoints
//     (with their publicAccessCidrs) are public at the service level.
package datastores

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/datastore"
)

// Inventory is the data stores of a snapshot and what could not be read.
type Inventory struct {
	Stores []datastore.Store
	// Missing names listings that were not collected (region wide): data
	// stores of that kind may exist unseen.
	Missing []string
}

// Compile reads every region of snap. Bad policy documents are not errors:
// the store's verdict becomes unknown naming the document's fault.
func Compile(snap *snapshot.Snapshot) Inventory {
	var inv Inventory
	global := false
	for _, r := range snap.Regions {
		global = global || r.Name == "global"
	}
	if !global {
		// S3 is listed once per account, under <account>/global: a
		// snapshot read without it (a region directory given as the root,
		// a hand-made snapshot) has not seen the buckets.
		inv.Missing = append(inv.Missing, "the snapshot read has no global region directory (S3 is listed under <account>/global: give --aws the account or root directory): S3 buckets unknown")
	}
	for _, r := range snap.Regions {
		c := newCompiler(r)
		c.relDir = r.Dir
		if rel, err := filepath.Rel(snap.Root, r.Dir); err == nil && rel != "." {
			c.relDir = rel
		}
		c.compile()
		inv.Stores = append(inv.Stores, c.stores...)
		inv.Missing = append(inv.Missing, c.missing...)
	}
	sort.SliceStable(inv.Stores, func(i, j int) bool { return inv.Stores[i].ID < inv.Stores[j].ID })
	return inv
}

type compiler struct {
	r       *snapshot.Region
	relDir  string // r.Dir relative to the snapshot root, for messages
	stores  []datastore.Store
	missing []string
	// interfaces indexed for attribution.
	byDesc map[string][]*snapshot.NetworkInterface
	byIP   map[string]*snapshot.NetworkInterface
	rds    map[string][]*snapshot.NetworkInterface // by subnet
	eniOK  bool
}

func newCompiler(r *snapshot.Region) *compiler {
	c := &compiler{r: r, byDesc: map[string][]*snapshot.NetworkInterface{},
		byIP: map[string]*snapshot.NetworkInterface{}, rds: map[string][]*snapshot.NetworkInterface{}}
	c.eniOK = r.Has("ec2/describe-network-interfaces")
	for i := range r.NetworkInterfaces {
		e := &r.NetworkInterfaces[i]
		c.byDesc[e.Description] = append(c.byDesc[e.Description], e)
		if e.PrivateIpAddress != "" {
			c.byIP[e.PrivateIpAddress] = e
		}
		for _, p := range e.PrivateIpAddresses {
			if p.PrivateIpAddress != "" {
				c.byIP[p.PrivateIpAddress] = e
			}
		}
		if e.RequesterId == "amazon-rds" || e.Description == "RDSNetworkInterface" {
			c.rds[e.SubnetId] = append(c.rds[e.SubnetId], e)
		}
	}
	return c
}

// listed reports whether op belongs to this region directory (S3's
// listing is global, the others regional) and, when it was not collected
// (or only in part: a gap), records that stores of that kind are unknown.
func (c *compiler) listed(op, kind string) bool {
	if (c.r.Name == "global") != strings.HasPrefix(op, "s3api/") {
		return false
	}
	if !c.r.Has(op) {
		c.missing = append(c.missing, fmt.Sprintf("%s: %s unknown", c.miss(op, ""), kind))
	}
	return true
}

// kinds are the listings, each with the stores it names and the
// compiler of those stores, in compile order.
var kinds = []struct {
	op, what string
	compile  func(*compiler)
}{
	{snapshot.OpDescribeDBInstances, "RDS DB instances", (*compiler).dbInstances},
	{snapshot.OpDescribeRedshift, "Redshift clusters", (*compiler).redshift},
	{snapshot.OpCacheClusters, "ElastiCache clusters", (*compiler).elasticache},
	{snapshot.OpListDomainNames, "OpenSearch domains", (*compiler).opensearch},
	{snapshot.OpListTables, "DynamoDB tables", (*compiler).dynamodb},
	{snapshot.OpListSecrets, "Secrets Manager secrets", (*compiler).secrets},
	{snapshot.OpListFunctions, "Lambda function URLs", (*compiler).functionURLs},
	{snapshot.OpListEKSClusters, "EKS API endpoints", (*compiler).eks},
	{snapshot.OpListBuckets, "S3 buckets", (*compiler).buckets},
}

func (c *compiler) compile() {
	for _, k := range kinds {
		if c.listed(k.op, k.what) {
			k.compile(c)
		}
	}
	// Per-resource files that could not be read (listings are said by
	// listed): the stores they describe are unknown in part.
	for _, op := range c.r.Damaged() {
		if what, ok := perResource[op]; ok {
			c.missing = append(c.missing, fmt.Sprintf("%s: %s unknown", c.miss(op, ""), what))
		}
	}
}

// perResource names what each per-resource data-service operation tells.
var perResource = map[string]string{
	snapshot.OpDescribeTable: "DynamoDB table descriptions", snapshot.OpBucketPAB: "S3 Block Public Access settings",
	snapshot.OpBucketPolicyStatus: "S3 bucket policy statuses", snapshot.OpBucketPolicy: "S3 bucket policies",
	snapshot.OpDescribeDomain: "OpenSearch domain descriptions", snapshot.OpSecretPolicy: "Secrets Manager resource policies",
	snapshot.OpFunctionURLConfigs: "Lambda function URL settings", snapshot.OpDescribeCluster: "EKS cluster descriptions",
}

func (c *compiler) add(s datastore.Store) {
	if s.Account == "" {
		s.Account = c.r.Account
	}
	if s.Region == "" {
		s.Region = c.r.Name
	}
	c.stores = append(c.stores, s)
}

// arn builds an ARN of this region; the account is "unknown" in a bare
// region directory without a manifest, and the ARN says so.
func (c *compiler) arn(service, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, c.r.Name, c.r.Account, resource)
}

func groupSet(gs []snapshot.VpcSecurityGroup) []string {
	out := make([]string, 0, len(gs))
	for _, g := range gs {
		if g.Status == "" || g.Status == "active" || g.Status == "adding" {
			out = append(out, g.VpcSecurityGroupId)
		}
	}
	sort.Strings(out)
	return out
}

func eniGroups(e *snapshot.NetworkInterface) []string {
	out := make([]string, 0, len(e.Groups))
	for _, g := range e.Groups {
		out = append(out, g.GroupId)
	}
	sort.Strings(out)
	return out
}

func hasPublic(e *snapshot.NetworkInterface) bool {
	if e.Association != nil && e.Association.PublicIp != "" {
		return true
	}
	for _, p := range e.PrivateIpAddresses {
		if p.Association != nil && p.Association.PublicIp != "" {
			return true
		}
	}
	return false
}

func ids(es []*snapshot.NetworkInterface) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		if !slices.Contains(out, e.NetworkInterfaceId) {
			out = append(out, e.NetworkInterfaceId)
		}
	}
	sort.Strings(out)
	return out
}

// noInterfaces is the Missing reason of a networked store whose
// interfaces were not found.
func (c *compiler) noInterfaces(how string) string {
	if !c.eniOK {
		return c.miss("ec2/describe-network-interfaces", "") + ": the store's network interfaces are unknown"
	}
	return "no network interface in ec2/describe-network-interfaces.json matches (" + how + ")"
}

// miss is snapshot.Region.Missing naming the region directory relative
// to the snapshot root: a message must not depend on where the snapshot
// lies (the demo writes it to a temporary directory).
func (c *compiler) miss(op, arg string) string {
	m := c.r.Missing(op, arg)
	if c.r.Dir != "" {
		m = strings.ReplaceAll(m, c.r.Dir, c.relDir)
	}
	return m
}

func flag(b bool) string { return strconv.FormatBool(b) }
