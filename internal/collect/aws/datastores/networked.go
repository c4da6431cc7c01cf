package datastores

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/datastore"
)

const rdsAttribution = "RDS interfaces matched by VPC, security groups, subnet group and Availability Zone, and public address (RDS does not name its interfaces)"

// dbInstances compiles RDS DB instances; members of a DB cluster become
// one rds_cluster store with their interfaces.
func (c *compiler) dbInstances() {
	d := &c.r.Data
	clusters := map[string]*snapshot.DBCluster{}
	for i := range d.DBClusters {
		clusters[d.DBClusters[i].DBClusterIdentifier] = &d.DBClusters[i]
	}
	members := map[string][]*snapshot.DBInstance{}
	var order []string
	for i := range d.DBInstances {
		in := &d.DBInstances[i]
		if in.DBClusterIdentifier == "" {
			c.add(c.dbInstance(in))
			continue
		}
		if _, ok := members[in.DBClusterIdentifier]; !ok {
			order = append(order, in.DBClusterIdentifier)
		}
		members[in.DBClusterIdentifier] = append(members[in.DBClusterIdentifier], in)
	}
	for _, cl := range d.DBClusters {
		if _, ok := members[cl.DBClusterIdentifier]; !ok {
			order = append(order, cl.DBClusterIdentifier)
		}
	}
	clustersRead := c.r.Has(snapshot.OpDescribeDBClusters)
	for _, id := range order {
		c.add(c.dbCluster(id, clusters[id], members[id], clustersRead))
	}
}

func (c *compiler) dbInstance(in *snapshot.DBInstance) datastore.Store {
	s := datastore.Store{ID: in.DBInstanceArn, Kind: datastore.RDSInstance, Name: in.DBInstanceIdentifier, Engine: in.Engine}
	if in.Endpoint != nil && in.Endpoint.Port > 0 {
		s.Ports = []int{in.Endpoint.Port}
	} else if in.DbInstancePort > 0 {
		s.Ports = []int{in.DbInstancePort}
	}
	if len(s.Ports) == 0 {
		s.Missing = append(s.Missing, "no endpoint port (DB instance "+in.DBInstanceStatus+")")
	}
	enis := c.rdsInterfaces(in)
	s.Interfaces, s.InterfacesFrom, s.Groups = ids(enis), rdsAttribution, groupSet(in.VpcSecurityGroups)
	if in.DBSubnetGroup != nil {
		s.Network = in.DBSubnetGroup.VpcId
	}
	if len(enis) == 0 {
		s.Missing = append(s.Missing, c.noInterfaces(rdsAttribution))
	}
	s.Service = publiclyAccessible("DB instance "+in.DBInstanceIdentifier, in.PubliclyAccessible)
	if in.IAMDatabaseAuthenticationEnabled && in.DbiResourceId != "" {
		s.Actions = append(s.Actions, datastore.Action{Action: "rds-db:connect",
			Resource: c.arn("rds-db", "dbuser:"+in.DbiResourceId+"/*"), Write: true})
	}
	return s
}

func (c *compiler) dbCluster(id string, cl *snapshot.DBCluster, ms []*snapshot.DBInstance, clustersRead bool) datastore.Store {
	s := datastore.Store{ID: c.arn("rds", "cluster:"+id), Kind: datastore.RDSCluster, Name: id, InterfacesFrom: rdsAttribution}
	if cl == nil && !clustersRead {
		s.Missing = append(s.Missing, c.miss(snapshot.OpDescribeDBClusters, "")+": the cluster's port and settings are unknown")
	}
	if cl != nil {
		s.ID, s.Engine, s.Groups = cl.DBClusterArn, cl.Engine, groupSet(cl.VpcSecurityGroups)
		if cl.Port > 0 {
			s.Ports = []int{cl.Port}
		}
		if cl.IAMDatabaseAuthenticationEnabled && cl.DbClusterResourceId != "" {
			s.Actions = append(s.Actions, datastore.Action{Action: "rds-db:connect",
				Resource: c.arn("rds-db", "dbuser:"+cl.DbClusterResourceId+"/*"), Write: true})
		}
		if cl.HttpEndpointEnabled {
			s.Actions = append(s.Actions, datastore.Action{Action: "rds-data:ExecuteStatement", Resource: cl.DBClusterArn, Write: true})
		}
	}
	var public []string
	anyPublic := false
	for _, in := range ms {
		if s.Engine == "" {
			s.Engine = in.Engine
		}
		if len(s.Ports) == 0 && in.Endpoint != nil && in.Endpoint.Port > 0 {
			s.Ports = []int{in.Endpoint.Port}
		}
		if in.DBSubnetGroup != nil {
			s.Network = in.DBSubnetGroup.VpcId
		}
		enis := c.rdsInterfaces(in)
		for _, e := range ids(enis) {
			if !slices.Contains(s.Interfaces, e) {
				s.Interfaces = append(s.Interfaces, e)
			}
		}
		if len(enis) == 0 {
			s.Missing = append(s.Missing, "member "+in.DBInstanceIdentifier+": "+c.noInterfaces(rdsAttribution))
		}
		public = append(public, fmt.Sprintf("member %s PubliclyAccessible %s", in.DBInstanceIdentifier, flag(in.PubliclyAccessible)))
		anyPublic = anyPublic || in.PubliclyAccessible
	}
	sort.Strings(s.Interfaces)
	switch {
	case len(ms) == 0 && cl != nil && cl.PubliclyAccessible != nil:
		s.Service = publiclyAccessible("DB cluster "+id, *cl.PubliclyAccessible)
	case len(ms) == 0 && !c.r.Has(snapshot.OpDescribeDBInstances):
		s.Service = datastore.Access{Verdict: datastore.Unknown,
			Missing: []string{c.miss(snapshot.OpDescribeDBInstances, "") + ": the cluster's member instances (PubliclyAccessible, interfaces) are unknown"}}
	case len(ms) == 0:
		s.Service = datastore.Access{Verdict: datastore.Unknown,
			Missing: []string{"no member DB instance of " + id + " in rds/describe-db-instances.json"}}
	case anyPublic:
		s.Service = datastore.Access{Verdict: datastore.Public, Proof: append([]string{
			"a member instance is PubliclyAccessible: its endpoint resolves to a public address; the network decides who connects"}, public...)}
	default:
		s.Service = datastore.Access{Verdict: datastore.NotPublic, Proof: append([]string{
			"no member instance is PubliclyAccessible: the endpoints resolve to private addresses only"}, public...)}
	}
	return s
}

// publiclyAccessible is the service verdict of the PubliclyAccessible flag
// (RDS User Guide, "Working with a DB instance in a VPC": a publicly
// accessible instance's DNS name resolves to its public address from
// outside the VPC; its security groups and subnet still decide).
func publiclyAccessible(what string, pa bool) datastore.Access {
	if pa {
		return datastore.Access{Verdict: datastore.Public, Proof: []string{what +
			" is PubliclyAccessible: its endpoint resolves to a public address; the network decides who connects"}}
	}
	return datastore.Access{Verdict: datastore.NotPublic, Proof: []string{what +
		" is not PubliclyAccessible: its endpoint resolves to private addresses only"}}
}

// rdsInterfaces attributes RDS interfaces to one DB instance (package doc).
func (c *compiler) rdsInterfaces(in *snapshot.DBInstance) []*snapshot.NetworkInterface {
	if in.DBSubnetGroup == nil {
		return nil
	}
	want := groupSet(in.VpcSecurityGroups)
	var out []*snapshot.NetworkInterface
	for _, sn := range in.DBSubnetGroup.Subnets {
		if in.AvailabilityZone != "" && sn.SubnetAvailabilityZone.Name != "" && sn.SubnetAvailabilityZone.Name != in.AvailabilityZone {
			continue
		}
		for _, e := range c.rds[sn.SubnetIdentifier] {
			if e.VpcId == in.DBSubnetGroup.VpcId && slices.Equal(eniGroups(e), want) && hasPublic(e) == in.PubliclyAccessible {
				out = append(out, e)
			}
		}
	}
	return out
}

// redshift compiles Redshift clusters; their interfaces hold the nodes'
// private addresses (ClusterNodes).
func (c *compiler) redshift() {
	for _, rc := range c.r.Data.RedshiftClusters {
		s := datastore.Store{ID: c.arn("redshift", "cluster:"+rc.ClusterIdentifier), Kind: datastore.RedshiftCluster,
			Name: rc.ClusterIdentifier, Engine: "redshift", Network: rc.VpcId, Groups: groupSet(rc.VpcSecurityGroups),
			InterfacesFrom: "interfaces holding the cluster nodes' private addresses (ClusterNodes)"}
		if rc.Endpoint != nil && rc.Endpoint.Port > 0 {
			s.Ports = []int{rc.Endpoint.Port}
		}
		var enis []*snapshot.NetworkInterface
		for _, n := range rc.ClusterNodes {
			if e := c.byIP[n.PrivateIPAddress]; e != nil {
				enis = append(enis, e)
			} else if n.PrivateIPAddress != "" {
				s.Missing = append(s.Missing, fmt.Sprintf("%s node %s: %s", rc.ClusterIdentifier, n.PrivateIPAddress,
					c.noInterfaces("an interface with private address "+n.PrivateIPAddress)))
			}
		}
		s.Interfaces = ids(enis)
		if len(rc.ClusterNodes) == 0 {
			s.Missing = append(s.Missing, "no ClusterNodes in redshift/describe-clusters.json: the cluster's interfaces are unknown")
		}
		s.Service = publiclyAccessible("Redshift cluster "+rc.ClusterIdentifier, rc.PubliclyAccessible)
		s.Actions = []datastore.Action{{Action: "redshift:GetClusterCredentials",
			Resource: c.arn("redshift", "dbuser:"+rc.ClusterIdentifier+"/*"), Write: true}}
		c.add(s)
	}
}

// elasticache compiles replication groups (and standalone cache clusters);
// ElastiCache names its interfaces "ElastiCache <cache-cluster-id>".
func (c *compiler) elasticache() {
	d := &c.r.Data
	byID := map[string]*snapshot.CacheCluster{}
	for i := range d.CacheClusters {
		byID[d.CacheClusters[i].CacheClusterId] = &d.CacheClusters[i]
	}
	subnets := map[string]string{}
	for _, g := range d.CacheSubnetGroups {
		subnets[g.CacheSubnetGroupName] = g.VpcId
	}
	inGroup := map[string]bool{}
	for _, rg := range d.ReplicationGroups {
		s := datastore.Store{ID: rg.ARN, Kind: datastore.ElastiCache, Name: rg.ReplicationGroupId,
			InterfacesFrom: "interfaces described as \"ElastiCache <member cache cluster>\""}
		if s.ID == "" {
			s.ID = c.arn("elasticache", "replicationgroup:"+rg.ReplicationGroupId)
		}
		eps := []*snapshot.HostPort{rg.ConfigurationEndpoint}
		for _, ng := range rg.NodeGroups {
			eps = append(eps, ng.PrimaryEndpoint)
		}
		s.Ports = endpointPorts(eps)
		for _, m := range rg.MemberClusters {
			inGroup[m] = true
			cc := byID[m]
			if cc != nil {
				s.Engine = cc.Engine
				s.Network = subnets[cc.CacheSubnetGroupName]
				s.Groups = cacheGroups(cc)
			}
			c.cacheInterfaces(&s, m)
		}
		c.cacheCommon(&s, rg.AuthTokenEnabled)
		c.add(s)
	}
	for i := range d.CacheClusters {
		cc := &d.CacheClusters[i]
		if inGroup[cc.CacheClusterId] || cc.ReplicationGroupId != "" {
			continue
		}
		s := datastore.Store{ID: cc.ARN, Kind: datastore.ElastiCache, Name: cc.CacheClusterId, Engine: cc.Engine,
			Network:        subnets[cc.CacheSubnetGroupName],
			InterfacesFrom: "interfaces described as \"ElastiCache " + cc.CacheClusterId + "\""}
		if s.ID == "" {
			s.ID = c.arn("elasticache", "cluster:"+cc.CacheClusterId)
		}
		eps := []*snapshot.HostPort{cc.ConfigurationEndpoint}
		for _, n := range cc.CacheNodes {
			eps = append(eps, n.Endpoint)
		}
		s.Ports = endpointPorts(eps)
		if len(s.Ports) == 0 {
			s.Missing = append(s.Missing, "no node endpoint in elasticache/describe-cache-clusters.json (collected without --show-cache-node-info?)")
		}
		s.Groups = cacheGroups(cc)
		c.cacheInterfaces(&s, cc.CacheClusterId)
		c.cacheCommon(&s, cc.AuthTokenEnabled)
		c.add(s)
	}
}

func cacheGroups(cc *snapshot.CacheCluster) []string {
	var out []string
	for _, g := range cc.SecurityGroups {
		out = append(out, g.SecurityGroupId)
	}
	return out
}

// endpointPorts are the distinct ports of the endpoints given (nil ones
// and port 0 skipped), in order.
func endpointPorts(eps []*snapshot.HostPort) []int {
	var out []int
	for _, e := range eps {
		if e != nil && e.Port > 0 && !slices.Contains(out, e.Port) {
			out = append(out, e.Port)
		}
	}
	return out
}

func (c *compiler) cacheInterfaces(s *datastore.Store, member string) {
	enis := c.byDesc["ElastiCache "+member]
	if len(enis) == 0 {
		s.Missing = append(s.Missing, "cache cluster "+member+": "+c.noInterfaces("Description \"ElastiCache "+member+"\""))
	}
	for _, e := range ids(enis) {
		if !slices.Contains(s.Interfaces, e) {
			s.Interfaces = append(s.Interfaces, e)
		}
	}
	sort.Strings(s.Interfaces)
}

// cacheCommon sets what every ElastiCache store shares: ElastiCache nodes
// have private addresses only (ElastiCache User Guide, "Accessing your
// cluster": access from outside the VPC needs a VPN, peering or a proxy).
func (c *compiler) cacheCommon(s *datastore.Store, auth bool) {
	p := "ElastiCache nodes have private addresses only: reached from inside the VPC or connected networks"
	if !auth {
		p += "; no AUTH token: any client that reaches the port can read the data"
	}
	s.Service = datastore.Access{Verdict: datastore.NotPublic, Proof: []string{p}}
	s.Actions = []datastore.Action{{Action: "elasticache:Connect", Resource: s.ID, Write: true}}
}

// opensearch compiles OpenSearch domains: VPC domains are networked (their
// interfaces are described "ES <domain>"); public domains are decided by
// their access policy.
func (c *compiler) opensearch() {
	for _, name := range c.r.Data.OpenSearchDomains {
		dom, ok := c.r.OpenSearchDomain(name)
		s := datastore.Store{ID: c.arn("es", "domain/"+name), Kind: datastore.OpenSearchDomain, Name: name, Engine: "opensearch"}
		if !ok {
			s.Missing = append(s.Missing, c.miss(snapshot.OpDescribeDomain, name))
			s.Service = datastore.Access{Verdict: datastore.Unknown, Missing: s.Missing}
			c.add(s)
			continue
		}
		if dom.ARN != "" {
			s.ID = dom.ARN
		}
		s.Actions = []datastore.Action{
			{Action: "es:ESHttpGet", Resource: s.ID + "/*"},
			{Action: "es:ESHttpPut", Resource: s.ID + "/*", Write: true},
		}
		s.Policy = dom.AccessPolicies
		if dom.VPCOptions != nil && dom.VPCOptions.VPCId != "" {
			s.Ports, s.Network, s.Groups = []int{443}, dom.VPCOptions.VPCId, dom.VPCOptions.SecurityGroupIds
			s.InterfacesFrom = "interfaces described as \"ES " + name + "\""
			enis := c.byDesc["ES "+name]
			s.Interfaces = ids(enis)
			if len(enis) == 0 {
				s.Missing = append(s.Missing, c.noInterfaces("Description \"ES "+name+"\""))
			}
			s.Service = datastore.Access{Verdict: datastore.NotPublic, Proof: []string{
				"VPC domain " + name + ": its endpoint has private addresses in " + dom.VPCOptions.VPCId + " only"}}
			c.add(s)
			continue
		}
		s.Service = policyAccess("access policy of domain "+name, s.ID, dom.AccessPolicies,
			"es:ESHttpGet", s.ID+"/*", "public domain endpoint "+dom.Endpoint)
		c.add(s)
	}
}

// eks compiles EKS API endpoints (EKS User Guide, "Cluster API server
// endpoint": the public endpoint answers the CIDRs in publicAccessCidrs).
func (c *compiler) eks() {
	for _, name := range c.r.Data.EKSClusterNames {
		s := datastore.Store{ID: c.arn("eks", "cluster/"+name), Kind: datastore.KubernetesAPI, Name: name, Engine: "kubernetes", Ports: []int{443}}
		cl, ok := c.r.EKSCluster(name)
		if !ok || cl.ResourcesVpcConfig == nil {
			s.Missing = append(s.Missing, c.miss(snapshot.OpDescribeCluster, name))
			s.Service = datastore.Access{Verdict: datastore.Unknown, Missing: s.Missing}
			s.Ports = nil
			c.add(s)
			continue
		}
		if cl.Arn != "" {
			s.ID = cl.Arn
		}
		v := cl.ResourcesVpcConfig
		s.Network = v.VpcId
		s.Groups = append(append([]string{}, v.SecurityGroupIds...), v.ClusterSecurityGroupId)
		s.InterfacesFrom = "interfaces described as \"Amazon EKS " + name + "\""
		s.Interfaces = ids(c.byDesc["Amazon EKS "+name])
		if v.EndpointPublicAccess {
			cidrs := v.PublicAccessCidrs
			if len(cidrs) == 0 {
				cidrs = []string{"0.0.0.0/0"} // the API's default
			}
			s.Service = datastore.Access{Verdict: datastore.Public, Proof: []string{fmt.Sprintf(
				"endpointPublicAccess true: the Kubernetes API %s answers %s", cl.Endpoint, strings.Join(cidrs, ", "))}}
			s.ServiceDecides = true
		} else {
			s.Service = datastore.Access{Verdict: datastore.NotPublic, Proof: []string{"endpointPublicAccess false: the API answers inside the VPC only"}}
		}
		s.Actions = []datastore.Action{{Action: "eks:DescribeCluster", Resource: s.ID}}
		c.add(s)
	}
}
