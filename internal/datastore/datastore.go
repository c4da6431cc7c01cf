// Package datastore is the provider-neutral model of managed data
// services — databases, warehouses, caches, search domains, object stores,
// secrets and the API endpoints that front them — as issue 11 needs them:
// what the store is, how it is reached (over a cloud network through
// interfaces the exposure engine evaluates, or only through the
// provider's API), whether the service itself lets anyone in (a public
// bucket policy, a function URL without authentication, a public
// Kubernetes API endpoint), and which IAM actions read or write its data.
//
// One compiler per provider builds it (internal/collect/aws/datastores for
// AWS snapshots); the join with workloads, the network engine and IAM is
// internal/reach. Whatever could not be read is a Missing reason, never a
// silent "not public".
package datastore

// Kinds of store (the AWS resource kinds; other providers add theirs).
const (
	RDSInstance      = "rds_instance"
	RDSCluster       = "rds_cluster"
	RedshiftCluster  = "redshift_cluster"
	DynamoDBTable    = "dynamodb_table"
	S3Bucket         = "s3_bucket"
	ElastiCache      = "elasticache_cluster"
	OpenSearchDomain = "opensearch_domain"
	Secret           = "secretsmanager_secret"
	FunctionURL      = "lambda_function_url"
	KubernetesAPI    = "eks_api_endpoint"
)

// Verdicts of Access.
const (
	Public      = "public"      // the service lets anyone in (proof says how)
	NotPublic   = "not_public"  // checked: it does not
	Conditional = "conditional" // a condition we do not evaluate decides
	Unknown     = "unknown"     // data needed is missing (Missing says what)
)

// Store is one managed data store.
type Store struct {
	// ID is the provider's identifier (an ARN); Kind one of the kinds above.
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	// Engine is the database or cache engine ("aurora-postgresql", "redis").
	Engine string `json:"engine,omitempty"`
	// Ports are the TCP ports clients connect to over the network; none for
	// stores reached only through the provider's API (S3, DynamoDB …).
	Ports []int `json:"ports,omitempty"`
	// Interfaces are the network interfaces (netmodel endpoint IDs) the
	// store answers on, and InterfacesFrom how they were attributed (some
	// services do not name their interfaces).
	Interfaces     []string `json:"interfaces,omitempty"`
	InterfacesFrom string   `json:"interfaces_from,omitempty"`
	// Network is the cloud network (VPC) the store is attached to, and
	// Groups the security groups its own description names (used when
	// its interfaces are not in the data).
	Network string   `json:"network,omitempty"`
	Groups  []string `json:"groups,omitempty"`
	// Service is the service-level public access verdict: the
	// PubliclyAccessible flag, a resource policy open to anyone, a
	// function URL without authentication, a public API endpoint.
	Service Access `json:"service"`
	// ServiceDecides: the store answers the internet on an endpoint the
	// provider runs outside its interfaces (an EKS public API endpoint),
	// so Service decides its internet exposure, not the network model.
	ServiceDecides bool `json:"service_decides,omitempty"`
	// Actions are the IAM actions that read or write the store's data,
	// each on the resource ARN it applies to.
	Actions []Action `json:"-"`
	// Policy is the store's resource-based policy document, as the
	// provider returns it ("" when it has none or it was not read).
	Policy string `json:"-"`
	// Missing lists data about the store that could not be read.
	Missing []string `json:"missing,omitempty"`
}

// Access is a verdict with its proof.
type Access struct {
	Verdict string   `json:"verdict"`
	Proof   []string `json:"proof,omitempty"`
	Missing []string `json:"missing,omitempty"`
}

// Action is an IAM action on one resource of a store; Write marks actions
// that change data.
type Action struct {
	Action   string
	Resource string
	Write    bool
}

// Networked reports whether the store is reached over a cloud network:
// it has ports, or sits in a network (its ports then unknown: Missing).
func (s *Store) Networked() bool { return len(s.Ports) > 0 || s.Network != "" }
