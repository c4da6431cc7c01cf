package live

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/redshift"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// collectRDS writes describe-db-instances, describe-db-clusters (Aurora,
// Multi-AZ clusters, and the Neptune and DocumentDB clusters the same API
// lists: endpoints, ports, security groups, subnet group) and
// describe-db-subnet-groups (which VPC and subnets a subnet group names).
func collectRDS(ctx context.Context, u *unit, sem *limiter) {
	c := rds.NewFromConfig(u.cfg)
	fetch(ctx, u, sem, call{service: "rds", op: "describe-db-instances"},
		func(ctx context.Context) (*rds.DescribeDBInstancesOutput, error) {
			p := rds.NewDescribeDBInstancesPaginator(c, &rds.DescribeDBInstancesInput{})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
	fetch(ctx, u, sem, call{service: "rds", op: "describe-db-clusters"},
		func(ctx context.Context) (*rds.DescribeDBClustersOutput, error) {
			p := rds.NewDescribeDBClustersPaginator(c, &rds.DescribeDBClustersInput{})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
	fetch(ctx, u, sem, call{service: "rds", op: "describe-db-subnet-groups"},
		func(ctx context.Context) (*rds.DescribeDBSubnetGroupsOutput, error) {
			p := rds.NewDescribeDBSubnetGroupsPaginator(c, &rds.DescribeDBSubnetGroupsInput{})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
}

// collectRedshift writes describe-clusters and describe-cluster-subnet-groups
// (the subnets behind a cluster's ClusterSubnetGroupName).
func collectRedshift(ctx context.Context, u *unit, sem *limiter) {
	c := redshift.NewFromConfig(u.cfg)
	fetch(ctx, u, sem, call{service: "redshift", op: "describe-clusters"},
		func(ctx context.Context) (*redshift.DescribeClustersOutput, error) {
			p := redshift.NewDescribeClustersPaginator(c, &redshift.DescribeClustersInput{})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
	fetch(ctx, u, sem, call{service: "redshift", op: "describe-cluster-subnet-groups"},
		func(ctx context.Context) (*redshift.DescribeClusterSubnetGroupsOutput, error) {
			p := redshift.NewDescribeClusterSubnetGroupsPaginator(c, &redshift.DescribeClusterSubnetGroupsInput{})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
}

// collectLambda writes list-functions and, per function name,
// list-function-url-configs (an empty list means no URL, where
// get-function-url-config would fail with ResourceNotFoundException).
func collectLambda(ctx context.Context, u *unit, sem *limiter) {
	c := lambda.NewFromConfig(u.cfg)
	fns, ok := fetch(ctx, u, sem, call{service: "lambda", op: "list-functions"},
		func(ctx context.Context) (*lambda.ListFunctionsOutput, error) {
			p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
	if !ok {
		return
	}
	var names []string
	for _, f := range fns.Functions {
		names = append(names, aws.ToString(f.FunctionName))
	}
	each(ctx, sem.spawner(), names, func(name string) {
		fetch(ctx, u, sem, call{"lambda", "list-function-url-configs", name},
			func(ctx context.Context) (*lambda.ListFunctionUrlConfigsOutput, error) {
				p := lambda.NewListFunctionUrlConfigsPaginator(c, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String(name)})
				return allPages(ctx, p.HasMorePages, p.NextPage)
			})
	})
}

// collectIAM writes get-account-authorization-details (users, groups, roles,
// managed policies with their documents) under region "global".
func collectIAM(ctx context.Context, u *unit, sem *limiter) {
	c := iam.NewFromConfig(u.cfg)
	fetch(ctx, u, sem, call{service: "iam", op: "get-account-authorization-details"},
		func(ctx context.Context) (*iam.GetAccountAuthorizationDetailsOutput, error) {
			p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
}

// S3 answers these codes when a bucket simply has no such configuration:
// recorded as not_found in the manifest, not as gaps.
const (
	codeNoPublicAccessBlock = "NoSuchPublicAccessBlockConfiguration"
	codeNoBucketPolicy      = "NoSuchBucketPolicy"
)

// collectS3 writes list-buckets and, per bucket, get-public-access-block,
// get-bucket-policy-status and get-bucket-policy (the document itself:
// who is granted what, beyond S3's own public/not-public verdict), calling each bucket in its own region (as
// list-buckets reports it) so S3 does not answer with a redirect.
func collectS3(ctx context.Context, u *unit, sem *limiter) {
	clients := map[string]*s3.Client{}
	client := func(region string) *s3.Client {
		if region == "" {
			region = u.cfg.Region
		}
		if c, ok := clients[region]; ok {
			return c
		}
		cfg := u.cfg.Copy()
		cfg.Region = region
		c := s3.NewFromConfig(cfg, func(o *s3.Options) {
			// A single custom endpoint (tests, emulators) cannot serve
			// virtual-hosted bucket names.
			o.UsePathStyle = cfg.BaseEndpoint != nil
		})
		clients[region] = c
		return c
	}
	home := client("")
	buckets, ok := fetch(ctx, u, sem, call{service: "s3api", op: "list-buckets"},
		func(ctx context.Context) (*s3.ListBucketsOutput, error) {
			p := s3.NewListBucketsPaginator(home, &s3.ListBucketsInput{})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
	if !ok {
		return
	}
	type bucket struct {
		name string
		c    *s3.Client
	}
	var bs []bucket
	for _, b := range buckets.Buckets {
		bs = append(bs, bucket{aws.ToString(b.Name), client(aws.ToString(b.BucketRegion))})
	}
	each(ctx, sem.spawner(), bs, func(b bucket) {
		fetch(ctx, u, sem, call{"s3api", "get-public-access-block", b.name},
			func(ctx context.Context) (*s3.GetPublicAccessBlockOutput, error) {
				return b.c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(b.name)})
			}, codeNoPublicAccessBlock)
		fetch(ctx, u, sem, call{"s3api", "get-bucket-policy-status", b.name},
			func(ctx context.Context) (*s3.GetBucketPolicyStatusOutput, error) {
				return b.c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String(b.name)})
			}, codeNoBucketPolicy)
		fetch(ctx, u, sem, call{"s3api", "get-bucket-policy", b.name},
			func(ctx context.Context) (*s3.GetBucketPolicyOutput, error) {
				return b.c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(b.name)})
			}, codeNoBucketPolicy)
	})
}
