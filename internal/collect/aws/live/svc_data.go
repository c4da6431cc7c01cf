package live

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/opensearch"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// The managed data services: what is needed to judge their exposure and
// who may reach them (network placement, endpoints, resource policies).
// RDS, Redshift, S3 and EKS live with their other calls in svc_other.go and
// svc_containers.go.

// collectDynamoDB writes list-tables and, per table name, describe-table.
// DynamoDB has no network placement; describe-table names the table's ARN,
// encryption and streams, which its IAM and resource policies refer to.
func collectDynamoDB(ctx context.Context, u *unit, sem *limiter) {
	c := dynamodb.NewFromConfig(u.cfg)
	list, ok := fetch(ctx, u, sem, call{service: "dynamodb", op: "list-tables"},
		func(ctx context.Context) (*dynamodb.ListTablesOutput, error) {
			p := dynamodb.NewListTablesPaginator(c, &dynamodb.ListTablesInput{})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
	if !ok {
		return
	}
	each(ctx, sem.spawner(), list.TableNames, func(name string) {
		fetch(ctx, u, sem, call{"dynamodb", "describe-table", name},
			func(ctx context.Context) (*dynamodb.DescribeTableOutput, error) {
				return c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
			})
	})
}

// collectElastiCache writes describe-cache-clusters with the nodes' endpoints
// (--show-cache-node-info; without it the nodes are left out),
// describe-replication-groups (primary/configuration endpoints, encryption,
// AUTH) and describe-cache-subnet-groups (which VPC and subnets the nodes
// are in).
func collectElastiCache(ctx context.Context, u *unit, sem *limiter) {
	c := elasticache.NewFromConfig(u.cfg)
	fetch(ctx, u, sem, call{service: "elasticache", op: "describe-cache-clusters"},
		func(ctx context.Context) (*elasticache.DescribeCacheClustersOutput, error) {
			p := elasticache.NewDescribeCacheClustersPaginator(c, &elasticache.DescribeCacheClustersInput{ShowCacheNodeInfo: aws.Bool(true)})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
	fetch(ctx, u, sem, call{service: "elasticache", op: "describe-replication-groups"},
		func(ctx context.Context) (*elasticache.DescribeReplicationGroupsOutput, error) {
			p := elasticache.NewDescribeReplicationGroupsPaginator(c, &elasticache.DescribeReplicationGroupsInput{})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
	fetch(ctx, u, sem, call{service: "elasticache", op: "describe-cache-subnet-groups"},
		func(ctx context.Context) (*elasticache.DescribeCacheSubnetGroupsOutput, error) {
			p := elasticache.NewDescribeCacheSubnetGroupsPaginator(c, &elasticache.DescribeCacheSubnetGroupsInput{})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
}

// collectOpenSearch writes list-domain-names (not paginated) and, per domain
// name, describe-domain: endpoints, VPC options and the access policy.
func collectOpenSearch(ctx context.Context, u *unit, sem *limiter) {
	c := opensearch.NewFromConfig(u.cfg)
	list, ok := fetch(ctx, u, sem, call{service: "opensearch", op: "list-domain-names"},
		func(ctx context.Context) (*opensearch.ListDomainNamesOutput, error) {
			out, err := c.ListDomainNames(ctx, &opensearch.ListDomainNamesInput{})
			if err != nil {
				return nil, err
			}
			return normalize(out), nil
		})
	if !ok {
		return
	}
	var names []string
	for _, d := range list.DomainNames {
		names = append(names, aws.ToString(d.DomainName))
	}
	each(ctx, sem.spawner(), names, func(name string) {
		fetch(ctx, u, sem, call{"opensearch", "describe-domain", name},
			func(ctx context.Context) (*opensearch.DescribeDomainOutput, error) {
				return c.DescribeDomain(ctx, &opensearch.DescribeDomainInput{DomainName: aws.String(name)})
			})
	})
}

// collectSecretsManager writes list-secrets and, per secret ARN (the file
// id: names are not unique across deletions, ARNs are), get-resource-policy.
// A secret without a policy answers with its ARN and name only.
func collectSecretsManager(ctx context.Context, u *unit, sem *limiter) {
	c := secretsmanager.NewFromConfig(u.cfg)
	list, ok := fetch(ctx, u, sem, call{service: "secretsmanager", op: "list-secrets"},
		func(ctx context.Context) (*secretsmanager.ListSecretsOutput, error) {
			p := secretsmanager.NewListSecretsPaginator(c, &secretsmanager.ListSecretsInput{})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
	if !ok {
		return
	}
	var arns []string
	for _, s := range list.SecretList {
		arns = append(arns, aws.ToString(s.ARN))
	}
	each(ctx, sem.spawner(), arns, func(arn string) {
		fetch(ctx, u, sem, call{"secretsmanager", "get-resource-policy", arn},
			func(ctx context.Context) (*secretsmanager.GetResourcePolicyOutput, error) {
				return c.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(arn)})
			})
	})
}
