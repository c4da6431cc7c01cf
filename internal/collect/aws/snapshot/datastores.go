package snapshot

import "strings"

// Managed data services (issue 11): the AWS CLI outputs Sightline reads to
// judge a data store's exposure and who may reach it. Field names are the
// API's (PascalCase; camelCase for EKS), holding only what is used.

// DataStores is what a region directory holds about managed data services.
// A nil slice means the listing was not collected (Region.Has says so);
// per-resource outputs (table descriptions, bucket policies …) are read
// through the accessor methods, which say whether they were collected.
type DataStores struct {
	DBInstances        []DBInstance
	DBClusters         []DBCluster
	RedshiftClusters   []RedshiftCluster
	DynamoDBTables     []string // list-tables
	CacheClusters      []CacheCluster
	ReplicationGroups  []ReplicationGroup
	CacheSubnetGroups  []CacheSubnetGroup
	OpenSearchDomains  []string // list-domain-names: the domain names
	Secrets            []Secret
	Functions          []Function
	Buckets            []Bucket
	EKSClusterNames    []string
	tables             map[string][]DynamoDBTable
	bucketPAB          map[string][]PublicAccessBlock
	bucketPolicyStatus map[string][]PolicyStatus
	bucketPolicy       map[string][]string
	domains            map[string][]OpenSearchDomain
	secretPolicy       map[string][]string
	functionURLs       map[string][]FunctionURLConfig
	eksClusters        map[string][]EKSCluster
}

// VpcSecurityGroup is a security group membership as RDS and Redshift list it.
type VpcSecurityGroup struct {
	VpcSecurityGroupId string `json:"VpcSecurityGroupId"`
	Status             string `json:"Status"`
}

// SubnetGroupMember is one subnet of an RDS, Redshift or ElastiCache subnet group.
type SubnetGroupMember struct {
	SubnetIdentifier       string `json:"SubnetIdentifier"`
	SubnetAvailabilityZone struct {
		Name string `json:"Name"`
	} `json:"SubnetAvailabilityZone"`
}

// HostPort is a service endpoint (RDS, Redshift, ElastiCache).
type HostPort struct {
	Address string `json:"Address"`
	Port    int    `json:"Port"`
}

// DBInstance is one rds describe-db-instances entry.
type DBInstance struct {
	DBInstanceIdentifier string    `json:"DBInstanceIdentifier"`
	DBInstanceArn        string    `json:"DBInstanceArn"`
	DBClusterIdentifier  string    `json:"DBClusterIdentifier"`
	DbiResourceId        string    `json:"DbiResourceId"`
	Engine               string    `json:"Engine"`
	DBInstanceStatus     string    `json:"DBInstanceStatus"`
	PubliclyAccessible   bool      `json:"PubliclyAccessible"`
	Endpoint             *HostPort `json:"Endpoint"`
	DbInstancePort       int       `json:"DbInstancePort"`
	AvailabilityZone     string    `json:"AvailabilityZone"`
	DBSubnetGroup        *struct {
		DBSubnetGroupName string              `json:"DBSubnetGroupName"`
		VpcId             string              `json:"VpcId"`
		Subnets           []SubnetGroupMember `json:"Subnets"`
	} `json:"DBSubnetGroup"`
	VpcSecurityGroups                []VpcSecurityGroup `json:"VpcSecurityGroups"`
	StorageEncrypted                 bool               `json:"StorageEncrypted"`
	IAMDatabaseAuthenticationEnabled bool               `json:"IAMDatabaseAuthenticationEnabled"`
}

// DBCluster is one rds describe-db-clusters entry (Aurora, Multi-AZ DB clusters).
type DBCluster struct {
	DBClusterIdentifier string `json:"DBClusterIdentifier"`
	DBClusterArn        string `json:"DBClusterArn"`
	DbClusterResourceId string `json:"DbClusterResourceId"`
	Engine              string `json:"Engine"`
	Status              string `json:"Status"`
	Endpoint            string `json:"Endpoint"`
	Port                int    `json:"Port"`
	// PubliclyAccessible is set for Multi-AZ DB clusters only; Aurora
	// keeps it per member instance.
	PubliclyAccessible *bool `json:"PubliclyAccessible"`
	DBClusterMembers   []struct {
		DBInstanceIdentifier string `json:"DBInstanceIdentifier"`
		IsClusterWriter      bool   `json:"IsClusterWriter"`
	} `json:"DBClusterMembers"`
	VpcSecurityGroups                []VpcSecurityGroup `json:"VpcSecurityGroups"`
	DBSubnetGroup                    string             `json:"DBSubnetGroup"`
	StorageEncrypted                 bool               `json:"StorageEncrypted"`
	IAMDatabaseAuthenticationEnabled bool               `json:"IAMDatabaseAuthenticationEnabled"`
	HttpEndpointEnabled              bool               `json:"HttpEndpointEnabled"`
}

// RedshiftCluster is one redshift describe-clusters entry.
type RedshiftCluster struct {
	ClusterIdentifier      string             `json:"ClusterIdentifier"`
	ClusterNamespaceArn    string             `json:"ClusterNamespaceArn"`
	ClusterStatus          string             `json:"ClusterStatus"`
	Endpoint               *HostPort          `json:"Endpoint"`
	PubliclyAccessible     bool               `json:"PubliclyAccessible"`
	VpcId                  string             `json:"VpcId"`
	VpcSecurityGroups      []VpcSecurityGroup `json:"VpcSecurityGroups"`
	ClusterSubnetGroupName string             `json:"ClusterSubnetGroupName"`
	Encrypted              bool               `json:"Encrypted"`
	ClusterNodes           []struct {
		NodeRole         string `json:"NodeRole"`
		PrivateIPAddress string `json:"PrivateIPAddress"`
		PublicIPAddress  string `json:"PublicIPAddress"`
	} `json:"ClusterNodes"`
}

// DynamoDBTable is the Table of one dynamodb describe-table output.
type DynamoDBTable struct {
	TableName      string `json:"TableName"`
	TableArn       string `json:"TableArn"`
	TableStatus    string `json:"TableStatus"`
	ItemCount      int64  `json:"ItemCount"`
	TableSizeBytes int64  `json:"TableSizeBytes"`
}

// CacheCluster is one elasticache describe-cache-clusters entry.
type CacheCluster struct {
	CacheClusterId       string `json:"CacheClusterId"`
	ARN                  string `json:"ARN"`
	Engine               string `json:"Engine"`
	CacheClusterStatus   string `json:"CacheClusterStatus"`
	CacheSubnetGroupName string `json:"CacheSubnetGroupName"`
	ReplicationGroupId   string `json:"ReplicationGroupId"`
	SecurityGroups       []struct {
		SecurityGroupId string `json:"SecurityGroupId"`
	} `json:"SecurityGroups"`
	CacheNodes []struct {
		CacheNodeId              string    `json:"CacheNodeId"`
		Endpoint                 *HostPort `json:"Endpoint"`
		CustomerAvailabilityZone string    `json:"CustomerAvailabilityZone"`
	} `json:"CacheNodes"`
	ConfigurationEndpoint    *HostPort `json:"ConfigurationEndpoint"`
	TransitEncryptionEnabled bool      `json:"TransitEncryptionEnabled"`
	AuthTokenEnabled         bool      `json:"AuthTokenEnabled"`
}

// ReplicationGroup is one elasticache describe-replication-groups entry.
type ReplicationGroup struct {
	ReplicationGroupId       string    `json:"ReplicationGroupId"`
	ARN                      string    `json:"ARN"`
	Status                   string    `json:"Status"`
	MemberClusters           []string  `json:"MemberClusters"`
	ConfigurationEndpoint    *HostPort `json:"ConfigurationEndpoint"`
	TransitEncryptionEnabled bool      `json:"TransitEncryptionEnabled"`
	AuthTokenEnabled         bool      `json:"AuthTokenEnabled"`
	NodeGroups               []struct {
		PrimaryEndpoint *HostPort `json:"PrimaryEndpoint"`
	} `json:"NodeGroups"`
}

// CacheSubnetGroup is one elasticache describe-cache-subnet-groups entry.
type CacheSubnetGroup struct {
	CacheSubnetGroupName string              `json:"CacheSubnetGroupName"`
	VpcId                string              `json:"VpcId"`
	Subnets              []SubnetGroupMember `json:"Subnets"`
}

// OpenSearchDomain is the DomainStatus of one opensearch describe-domain output.
type OpenSearchDomain struct {
	DomainName     string            `json:"DomainName"`
	ARN            string            `json:"ARN"`
	Endpoint       string            `json:"Endpoint"`
	Endpoints      map[string]string `json:"Endpoints"`
	Deleted        bool              `json:"Deleted"`
	AccessPolicies string            `json:"AccessPolicies"`
	VPCOptions     *struct {
		VPCId            string   `json:"VPCId"`
		SubnetIds        []string `json:"SubnetIds"`
		SecurityGroupIds []string `json:"SecurityGroupIds"`
	} `json:"VPCOptions"`
	AdvancedSecurityOptions *struct {
		Enabled bool `json:"Enabled"`
	} `json:"AdvancedSecurityOptions"`
}

// Secret is one secretsmanager list-secrets entry.
type Secret struct {
	ARN      string `json:"ARN"`
	Name     string `json:"Name"`
	KmsKeyId string `json:"KmsKeyId"`
}

// Function is one lambda list-functions entry.
type Function struct {
	FunctionName string `json:"FunctionName"`
	FunctionArn  string `json:"FunctionArn"`
	Role         string `json:"Role"`
	VpcConfig    *struct {
		SubnetIds        []string `json:"SubnetIds"`
		SecurityGroupIds []string `json:"SecurityGroupIds"`
		VpcId            string   `json:"VpcId"`
	} `json:"VpcConfig"`
}

// FunctionURLConfig is one lambda list-function-url-configs entry.
type FunctionURLConfig struct {
	FunctionUrl string `json:"FunctionUrl"`
	FunctionArn string `json:"FunctionArn"`
	AuthType    string `json:"AuthType"` // NONE | AWS_IAM
}

// Bucket is one s3api list-buckets entry.
type Bucket struct {
	Name         string `json:"Name"`
	BucketRegion string `json:"BucketRegion"`
}

// PublicAccessBlock is an S3 Block Public Access configuration.
type PublicAccessBlock struct {
	BlockPublicAcls       bool `json:"BlockPublicAcls"`
	IgnorePublicAcls      bool `json:"IgnorePublicAcls"`
	BlockPublicPolicy     bool `json:"BlockPublicPolicy"`
	RestrictPublicBuckets bool `json:"RestrictPublicBuckets"`
}

// PolicyStatus is S3's own verdict on a bucket policy (get-bucket-policy-status).
type PolicyStatus struct {
	IsPublic bool `json:"IsPublic"`
}

// EKSCluster is the cluster of one eks describe-cluster output.
type EKSCluster struct {
	Name               string `json:"name"`
	Arn                string `json:"arn"`
	Endpoint           string `json:"endpoint"`
	Status             string `json:"status"`
	ResourcesVpcConfig *struct {
		SubnetIds              []string `json:"subnetIds"`
		SecurityGroupIds       []string `json:"securityGroupIds"`
		ClusterSecurityGroupId string   `json:"clusterSecurityGroupId"`
		VpcId                  string   `json:"vpcId"`
		EndpointPublicAccess   bool     `json:"endpointPublicAccess"`
		EndpointPrivateAccess  bool     `json:"endpointPrivateAccess"`
		PublicAccessCidrs      []string `json:"publicAccessCidrs"`
	} `json:"resourcesVpcConfig"`
	Identity *struct {
		Oidc *struct {
			Issuer string `json:"issuer"`
		} `json:"oidc"`
	} `json:"identity"`
}

// Per-resource operations of the data stores.
const (
	OpDescribeTable        = "dynamodb/describe-table"
	OpBucketPAB            = "s3api/get-public-access-block"
	OpBucketPolicyStatus   = "s3api/get-bucket-policy-status"
	OpBucketPolicy         = "s3api/get-bucket-policy"
	OpDescribeDomain       = "opensearch/describe-domain"
	OpSecretPolicy         = "secretsmanager/get-resource-policy"
	OpFunctionURLConfigs   = "lambda/list-function-url-configs"
	OpDescribeCluster      = "eks/describe-cluster"
	OpListTables           = "dynamodb/list-tables"
	OpListDomainNames      = "opensearch/list-domain-names"
	OpListSecrets          = "secretsmanager/list-secrets"
	OpListFunctions        = "lambda/list-functions"
	OpListBuckets          = "s3api/list-buckets"
	OpListEKSClusters      = "eks/list-clusters"
	OpDescribeDBInstances  = "rds/describe-db-instances"
	OpDescribeDBClusters   = "rds/describe-db-clusters"
	OpDescribeRedshift     = "redshift/describe-clusters"
	OpCacheClusters        = "elasticache/describe-cache-clusters"
	OpReplicationGroups    = "elasticache/describe-replication-groups"
	OpCacheSubnetGroups    = "elasticache/describe-cache-subnet-groups"
	OpAuthorizationDetails = "iam/get-account-authorization-details"
)

// softOps are the data-service operations whose damaged files make
// their stores unknown instead of failing the load (loader.soften).
var softOps = map[string]bool{
	OpDescribeTable: true, OpBucketPAB: true, OpBucketPolicyStatus: true, OpBucketPolicy: true,
	OpDescribeDomain: true, OpSecretPolicy: true, OpFunctionURLConfigs: true, OpDescribeCluster: true,
	OpListTables: true, OpListDomainNames: true, OpListSecrets: true, OpListFunctions: true,
	OpListBuckets: true, OpListEKSClusters: true, OpDescribeDBInstances: true, OpDescribeDBClusters: true,
	OpDescribeRedshift: true, OpCacheClusters: true, OpReplicationGroups: true, OpCacheSubnetGroups: true,
}

// Table returns describe-table of one table (ok false: not collected).
func (r *Region) Table(name string) (DynamoDBTable, bool) {
	v, ok := gather(r, OpDescribeTable, name, r.Data.tables)
	return last(v, ok)
}

// BucketPublicAccessBlock returns a bucket's Block Public Access
// configuration; found is false when S3 answered that it has none (the
// manifest's not_found), ok false when it was not collected.
func (r *Region) BucketPublicAccessBlock(bucket string) (pab PublicAccessBlock, found, ok bool) {
	return perBucket(r, OpBucketPAB, bucket, r.Data.bucketPAB)
}

// BucketPolicyStatus returns get-bucket-policy-status (found false: the
// bucket has no policy).
func (r *Region) BucketPolicyStatus(bucket string) (st PolicyStatus, found, ok bool) {
	return perBucket(r, OpBucketPolicyStatus, bucket, r.Data.bucketPolicyStatus)
}

// BucketPolicy returns a bucket's policy document as S3 returns it (a JSON
// string); found false: the bucket has no policy.
func (r *Region) BucketPolicy(bucket string) (doc string, found, ok bool) {
	return perBucket(r, OpBucketPolicy, bucket, r.Data.bucketPolicy)
}

// OpenSearchDomain returns describe-domain of one domain.
func (r *Region) OpenSearchDomain(name string) (OpenSearchDomain, bool) {
	v, ok := gather(r, OpDescribeDomain, name, r.Data.domains)
	return last(v, ok)
}

// SecretPolicy returns a secret's resource policy ("" when it has none).
func (r *Region) SecretPolicy(arn string) (string, bool) {
	v, ok := gather(r, OpSecretPolicy, arn, r.Data.secretPolicy)
	if !ok {
		if r.NotFound(OpSecretPolicy, arn) {
			return "", true
		}
		return "", false
	}
	for _, p := range v {
		if p != "" {
			return p, true
		}
	}
	return "", true
}

// FunctionURLs returns list-function-url-configs of one function.
func (r *Region) FunctionURLs(name string) ([]FunctionURLConfig, bool) {
	return gather(r, OpFunctionURLConfigs, name, r.Data.functionURLs)
}

// EKSCluster returns describe-cluster of one cluster.
func (r *Region) EKSCluster(name string) (EKSCluster, bool) {
	v, ok := gather(r, OpDescribeCluster, name, r.Data.eksClusters)
	return last(v, ok)
}

// NotFound reports whether the manifest records op for arg as answered
// "no such configuration" (layout.NotFound): data, not a gap.
func (r *Region) NotFound(op, arg string) bool {
	svc, name, _ := strings.Cut(op, "/")
	for _, n := range r.notFound {
		if n.Service == svc && n.Operation == name && n.ResourceID == arg {
			return true
		}
	}
	return false
}

func last[T any](v []T, ok bool) (T, bool) {
	var zero T
	if !ok || len(v) == 0 {
		return zero, false
	}
	return v[len(v)-1], true
}

func perBucket[T any](r *Region, op, bucket string, m map[string][]T) (v T, found, ok bool) {
	if got, have := gather(r, op, bucket, m); have && len(got) > 0 {
		return got[len(got)-1], true, true
	}
	if r.NotFound(op, bucket) {
		return v, false, true
	}
	return v, false, false
}

// readDataStores reads the managed data services of one region directory.
func readDataStores(l *loader) func() {
	d := &l.r.Data
	list(l, OpDescribeDBInstances, "DBInstances", &d.DBInstances)
	list(l, OpDescribeDBClusters, "DBClusters", &d.DBClusters)
	list(l, OpDescribeRedshift, "Clusters", &d.RedshiftClusters)
	list(l, OpListTables, "TableNames", &d.DynamoDBTables)
	list(l, OpCacheClusters, "CacheClusters", &d.CacheClusters)
	list(l, OpReplicationGroups, "ReplicationGroups", &d.ReplicationGroups)
	list(l, OpCacheSubnetGroups, "CacheSubnetGroups", &d.CacheSubnetGroups)
	list(l, OpListSecrets, "SecretList", &d.Secrets)
	list(l, OpListFunctions, "Functions", &d.Functions)
	list(l, OpListBuckets, "Buckets", &d.Buckets)
	list(l, OpListEKSClusters, "clusters", &d.EKSClusterNames)
	var domainNames []struct{ DomainName string }
	list(l, OpListDomainNames, "DomainNames", &domainNames)
	d.tables = map[string][]DynamoDBTable{}
	keyedInto(l, OpDescribeTable, "Table", d.tables, func(v *struct{ Table DynamoDBTable }) []DynamoDBTable { return []DynamoDBTable{v.Table} })
	d.bucketPAB = map[string][]PublicAccessBlock{}
	keyedInto(l, OpBucketPAB, "PublicAccessBlockConfiguration", d.bucketPAB, func(v *struct {
		PublicAccessBlockConfiguration PublicAccessBlock
	}) []PublicAccessBlock {
		return []PublicAccessBlock{v.PublicAccessBlockConfiguration}
	})
	d.bucketPolicyStatus = map[string][]PolicyStatus{}
	keyedInto(l, OpBucketPolicyStatus, "PolicyStatus", d.bucketPolicyStatus, func(v *struct{ PolicyStatus PolicyStatus }) []PolicyStatus { return []PolicyStatus{v.PolicyStatus} })
	d.bucketPolicy = map[string][]string{}
	keyedInto(l, OpBucketPolicy, "Policy", d.bucketPolicy, func(v *struct{ Policy string }) []string { return []string{v.Policy} })
	d.domains = map[string][]OpenSearchDomain{}
	keyedInto(l, OpDescribeDomain, "DomainStatus", d.domains, func(v *struct{ DomainStatus OpenSearchDomain }) []OpenSearchDomain {
		return []OpenSearchDomain{v.DomainStatus}
	})
	d.secretPolicy = map[string][]string{}
	keyedInto(l, OpSecretPolicy, "", d.secretPolicy, func(v *struct{ ResourcePolicy string }) []string { return []string{v.ResourcePolicy} })
	d.functionURLs = map[string][]FunctionURLConfig{}
	keyedInto(l, OpFunctionURLConfigs, "FunctionUrlConfigs", d.functionURLs, func(v *struct{ FunctionUrlConfigs []FunctionURLConfig }) []FunctionURLConfig {
		return v.FunctionUrlConfigs
	})
	d.eksClusters = map[string][]EKSCluster{}
	keyedInto(l, OpDescribeCluster, "cluster", d.eksClusters, func(v *struct {
		Cluster EKSCluster `json:"cluster"`
	}) []EKSCluster {
		return []EKSCluster{v.Cluster}
	})
	return func() {
		for _, x := range domainNames {
			d.OpenSearchDomains = append(d.OpenSearchDomains, x.DomainName)
		}
	}
}

// keyedInto reads a per-resource operation into m by file key; get picks
// the values of one output. Outputs stored without their argument are an
// error naming the file (needKey).
func keyedInto[T, V any](l *loader, op, top string, m map[string][]V, get func(*T) []V) {
	keyedOp(l, op, top, func(id string, v *T) error {
		if err := needKey(l, op, id); err != nil {
			return err
		}
		m[id] = append(m[id], get(v)...)
		return nil
	}, nil)
}
