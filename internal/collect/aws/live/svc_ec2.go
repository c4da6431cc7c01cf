package live

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// collectEC2 writes the network model: VPCs, subnets, routes, gateways,
// ACLs, security groups, prefix lists (and their entries), interfaces,
// instances, Elastic IPs, peering and transit-gateway attachments.
func collectEC2(ctx context.Context, u *unit, sem *limiter) {
	c := ec2.NewFromConfig(u.cfg)
	k := func(op string) call { return call{service: "ec2", op: op} }
	simple := []func(){
		func() {
			fetch(ctx, u, sem, k("describe-vpcs"), func(ctx context.Context) (*ec2.DescribeVpcsOutput, error) {
				p := ec2.NewDescribeVpcsPaginator(c, &ec2.DescribeVpcsInput{})
				return allPages(ctx, p.HasMorePages, p.NextPage)
			})
		},
		func() {
			fetch(ctx, u, sem, k("describe-subnets"), func(ctx context.Context) (*ec2.DescribeSubnetsOutput, error) {
				p := ec2.NewDescribeSubnetsPaginator(c, &ec2.DescribeSubnetsInput{})
				return allPages(ctx, p.HasMorePages, p.NextPage)
			})
		},
		func() {
			fetch(ctx, u, sem, k("describe-route-tables"), func(ctx context.Context) (*ec2.DescribeRouteTablesOutput, error) {
				p := ec2.NewDescribeRouteTablesPaginator(c, &ec2.DescribeRouteTablesInput{})
				return allPages(ctx, p.HasMorePages, p.NextPage)
			})
		},
		func() {
			fetch(ctx, u, sem, k("describe-internet-gateways"), func(ctx context.Context) (*ec2.DescribeInternetGatewaysOutput, error) {
				p := ec2.NewDescribeInternetGatewaysPaginator(c, &ec2.DescribeInternetGatewaysInput{})
				return allPages(ctx, p.HasMorePages, p.NextPage)
			})
		},
		func() {
			fetch(ctx, u, sem, k("describe-egress-only-internet-gateways"), func(ctx context.Context) (*ec2.DescribeEgressOnlyInternetGatewaysOutput, error) {
				p := ec2.NewDescribeEgressOnlyInternetGatewaysPaginator(c, &ec2.DescribeEgressOnlyInternetGatewaysInput{})
				return allPages(ctx, p.HasMorePages, p.NextPage)
			})
		},
		func() {
			fetch(ctx, u, sem, k("describe-nat-gateways"), func(ctx context.Context) (*ec2.DescribeNatGatewaysOutput, error) {
				p := ec2.NewDescribeNatGatewaysPaginator(c, &ec2.DescribeNatGatewaysInput{})
				return allPages(ctx, p.HasMorePages, p.NextPage)
			})
		},
		func() {
			fetch(ctx, u, sem, k("describe-network-acls"), func(ctx context.Context) (*ec2.DescribeNetworkAclsOutput, error) {
				p := ec2.NewDescribeNetworkAclsPaginator(c, &ec2.DescribeNetworkAclsInput{})
				return allPages(ctx, p.HasMorePages, p.NextPage)
			})
		},
		func() {
			fetch(ctx, u, sem, k("describe-security-groups"), func(ctx context.Context) (*ec2.DescribeSecurityGroupsOutput, error) {
				p := ec2.NewDescribeSecurityGroupsPaginator(c, &ec2.DescribeSecurityGroupsInput{})
				return allPages(ctx, p.HasMorePages, p.NextPage)
			})
		},
		func() { collectPrefixLists(ctx, u, sem, c) },
		func() {
			fetch(ctx, u, sem, k("describe-network-interfaces"), func(ctx context.Context) (*ec2.DescribeNetworkInterfacesOutput, error) {
				p := ec2.NewDescribeNetworkInterfacesPaginator(c, &ec2.DescribeNetworkInterfacesInput{})
				return allPages(ctx, p.HasMorePages, p.NextPage)
			})
		},
		func() {
			fetch(ctx, u, sem, k("describe-instances"), func(ctx context.Context) (*ec2.DescribeInstancesOutput, error) {
				p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{})
				return allPages(ctx, p.HasMorePages, p.NextPage)
			})
		},
		func() {
			fetch(ctx, u, sem, k("describe-addresses"), func(ctx context.Context) (*ec2.DescribeAddressesOutput, error) {
				out, err := c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
				return normalize(out), err
			})
		},
		func() {
			fetch(ctx, u, sem, k("describe-vpc-peering-connections"), func(ctx context.Context) (*ec2.DescribeVpcPeeringConnectionsOutput, error) {
				p := ec2.NewDescribeVpcPeeringConnectionsPaginator(c, &ec2.DescribeVpcPeeringConnectionsInput{})
				return allPages(ctx, p.HasMorePages, p.NextPage)
			})
		},
		func() {
			fetch(ctx, u, sem, k("describe-transit-gateway-attachments"), func(ctx context.Context) (*ec2.DescribeTransitGatewayAttachmentsOutput, error) {
				p := ec2.NewDescribeTransitGatewayAttachmentsPaginator(c, &ec2.DescribeTransitGatewayAttachmentsInput{})
				return allPages(ctx, p.HasMorePages, p.NextPage)
			})
		},
	}
	each(ctx, newLimiter(len(simple)), simple, func(f func()) { f() })
}

// collectPrefixLists writes describe-managed-prefix-lists and, per list,
// get-managed-prefix-list-entries/<pl-id>.json.
func collectPrefixLists(ctx context.Context, u *unit, sem *limiter, c *ec2.Client) {
	lists, ok := fetch(ctx, u, sem, call{service: "ec2", op: "describe-managed-prefix-lists"},
		func(ctx context.Context) (*ec2.DescribeManagedPrefixListsOutput, error) {
			p := ec2.NewDescribeManagedPrefixListsPaginator(c, &ec2.DescribeManagedPrefixListsInput{})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
	if !ok {
		return
	}
	var ids []string
	for _, pl := range lists.PrefixLists {
		ids = append(ids, aws.ToString(pl.PrefixListId))
	}
	each(ctx, sem.spawner(), ids, func(id string) {
		fetch(ctx, u, sem, call{"ec2", "get-managed-prefix-list-entries", id},
			func(ctx context.Context) (*ec2.GetManagedPrefixListEntriesOutput, error) {
				p := ec2.NewGetManagedPrefixListEntriesPaginator(c, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(id)})
				return allPages(ctx, p.HasMorePages, p.NextPage)
			})
	})
}

// collectELB writes classic load balancers.
func collectELB(ctx context.Context, u *unit, sem *limiter) {
	c := elasticloadbalancing.NewFromConfig(u.cfg)
	fetch(ctx, u, sem, call{service: "elb", op: "describe-load-balancers"},
		func(ctx context.Context) (*elasticloadbalancing.DescribeLoadBalancersOutput, error) {
			p := elasticloadbalancing.NewDescribeLoadBalancersPaginator(c, &elasticloadbalancing.DescribeLoadBalancersInput{})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
}

// collectELBv2 writes load balancers, target groups, then per load balancer
// its listeners, per listener its rules, per target group its health and
// attributes.
func collectELBv2(ctx context.Context, u *unit, sem *limiter) {
	c := elbv2.NewFromConfig(u.cfg)
	tasks := []func(){
		func() {
			lbs, ok := fetch(ctx, u, sem, call{service: "elbv2", op: "describe-load-balancers"},
				func(ctx context.Context) (*elbv2.DescribeLoadBalancersOutput, error) {
					p := elbv2.NewDescribeLoadBalancersPaginator(c, &elbv2.DescribeLoadBalancersInput{})
					return allPages(ctx, p.HasMorePages, p.NextPage)
				})
			if !ok {
				return
			}
			var arns []string
			for _, lb := range lbs.LoadBalancers {
				arns = append(arns, aws.ToString(lb.LoadBalancerArn))
			}
			each(ctx, sem.spawner(), arns, func(lbARN string) {
				ls, ok := fetch(ctx, u, sem, call{"elbv2", "describe-listeners", lbARN},
					func(ctx context.Context) (*elbv2.DescribeListenersOutput, error) {
						p := elbv2.NewDescribeListenersPaginator(c, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
						return allPages(ctx, p.HasMorePages, p.NextPage)
					})
				if !ok {
					return
				}
				for _, l := range ls.Listeners {
					lARN := aws.ToString(l.ListenerArn)
					fetch(ctx, u, sem, call{"elbv2", "describe-rules", lARN},
						func(ctx context.Context) (*elbv2.DescribeRulesOutput, error) {
							p := elbv2.NewDescribeRulesPaginator(c, &elbv2.DescribeRulesInput{ListenerArn: aws.String(lARN)})
							return allPages(ctx, p.HasMorePages, p.NextPage)
						})
				}
			})
		},
		func() {
			tgs, ok := fetch(ctx, u, sem, call{service: "elbv2", op: "describe-target-groups"},
				func(ctx context.Context) (*elbv2.DescribeTargetGroupsOutput, error) {
					p := elbv2.NewDescribeTargetGroupsPaginator(c, &elbv2.DescribeTargetGroupsInput{})
					return allPages(ctx, p.HasMorePages, p.NextPage)
				})
			if !ok {
				return
			}
			var arns []string
			for _, tg := range tgs.TargetGroups {
				arns = append(arns, aws.ToString(tg.TargetGroupArn))
			}
			each(ctx, sem.spawner(), arns, func(tgARN string) {
				fetch(ctx, u, sem, call{"elbv2", "describe-target-health", tgARN},
					func(ctx context.Context) (*elbv2.DescribeTargetHealthOutput, error) {
						out, err := c.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN)})
						return normalize(out), err
					})
				fetch(ctx, u, sem, call{"elbv2", "describe-target-group-attributes", tgARN},
					func(ctx context.Context) (*elbv2.DescribeTargetGroupAttributesOutput, error) {
						out, err := c.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(tgARN)})
						return normalize(out), err
					})
			})
		},
	}
	each(ctx, newLimiter(len(tasks)), tasks, func(f func()) { f() })
}
