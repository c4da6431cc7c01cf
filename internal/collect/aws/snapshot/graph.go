package snapshot

import (
	"strconv"

	"github.com/sightline-sec/sightline/internal/graph"
)

// Node kinds emitted for AWS resources.
const (
	KindVPC               graph.Kind = "aws:ec2:vpc"
	KindSubnet            graph.Kind = "aws:ec2:subnet"
	KindSecurityGroup     graph.Kind = "aws:ec2:security-group"
	KindRouteTable        graph.Kind = "aws:ec2:route-table"
	KindNetworkACL        graph.Kind = "aws:ec2:network-acl"
	KindInterface         graph.Kind = "aws:ec2:network-interface"
	KindInstance          graph.Kind = "aws:ec2:instance"
	KindLoadBalancer      graph.Kind = "aws:elbv2:load-balancer"
	KindClassicLB         graph.Kind = "aws:elb:load-balancer"
	KindTargetGroup       graph.Kind = "aws:elbv2:target-group"
	KindECSCluster        graph.Kind = "aws:ecs:cluster"
	KindECSService        graph.Kind = "aws:ecs:service"
	KindECSTask           graph.Kind = "aws:ecs:task"
	KindContainerInstance graph.Kind = "aws:ecs:container-instance"
)

// AddToGraph adds the snapshot's resources and their relations to g.
func (s *Snapshot) AddToGraph(g *graph.Graph) {
	for _, r := range s.Regions {
		r.AddToGraph(g, "aws-snapshot:"+s.Root)
	}
}

// AddToGraph adds one region's resources to g.
func (r *Region) AddToGraph(g *graph.Graph, source string) {
	p := &graph.Provenance{Source: source, Account: r.Account, Region: r.Name, CollectedAt: r.CollectedAt}
	add := func(id string, k graph.Kind, name string, attrs map[string]string) {
		if id != "" {
			g.AddNode(graph.Node{ID: id, Kind: k, Name: name, Attrs: attrs, Prov: p})
		}
	}
	link := func(from string, fk graph.Kind, to string, tk graph.Kind, e graph.EdgeKind) {
		if from != "" && to != "" {
			g.Link(from, fk, to, tk, e, nil)
		}
	}
	for _, v := range r.VPCs {
		add(v.VpcId, KindVPC, tagName(v.Tags), map[string]string{"cidr": v.CidrBlock})
	}
	for _, s := range r.Subnets {
		add(s.SubnetId, KindSubnet, tagName(s.Tags), map[string]string{"cidr": s.CidrBlock, "az": s.AvailabilityZone})
		link(s.SubnetId, KindSubnet, s.VpcId, KindVPC, graph.InVPC)
	}
	for _, t := range r.RouteTables {
		add(t.RouteTableId, KindRouteTable, "", nil)
		for _, a := range t.Associations {
			link(a.SubnetId, KindSubnet, t.RouteTableId, KindRouteTable, graph.UsesRouteTable)
		}
	}
	for _, a := range r.NetworkAcls {
		add(a.NetworkAclId, KindNetworkACL, "", nil)
		for _, as := range a.Associations {
			link(as.SubnetId, KindSubnet, a.NetworkAclId, KindNetworkACL, graph.UsesNetworkACL)
		}
	}
	for _, sg := range r.SecurityGroups {
		add(sg.GroupId, KindSecurityGroup, sg.GroupName, map[string]string{"rules": strconv.Itoa(len(sg.IpPermissions))})
		link(sg.GroupId, KindSecurityGroup, sg.VpcId, KindVPC, graph.InVPC)
	}
	for _, in := range r.Instances {
		add(in.InstanceId, KindInstance, tagName(in.Tags), map[string]string{"state": in.State.Name, "image": in.ImageId, "type": in.InstanceType})
	}
	for _, e := range r.NetworkInterfaces {
		add(e.NetworkInterfaceId, KindInterface, "", map[string]string{"private_ip": e.PrivateIpAddress, "type": e.InterfaceType})
		link(e.NetworkInterfaceId, KindInterface, e.SubnetId, KindSubnet, graph.InSubnet)
		for _, sg := range e.Groups {
			link(e.NetworkInterfaceId, KindInterface, sg.GroupId, KindSecurityGroup, graph.HasSecurityGroup)
		}
		if e.Attachment != nil {
			link(e.NetworkInterfaceId, KindInterface, e.Attachment.InstanceId, KindInstance, graph.AttachedTo)
		}
	}
	for _, lb := range r.LoadBalancers {
		add(lb.LoadBalancerArn, KindLoadBalancer, lb.LoadBalancerName, map[string]string{"type": lb.Type, "scheme": lb.Scheme})
		for _, sg := range lb.SecurityGroups {
			link(lb.LoadBalancerArn, KindLoadBalancer, sg, KindSecurityGroup, graph.HasSecurityGroup)
		}
	}
	for _, lb := range r.ClassicLoadBalancers {
		add(lb.LoadBalancerName, KindClassicLB, lb.LoadBalancerName, map[string]string{"scheme": lb.Scheme})
		for _, in := range lb.Instances {
			link(lb.LoadBalancerName, KindClassicLB, in.InstanceId, KindInstance, graph.Targets)
		}
	}
	for _, tg := range r.TargetGroups {
		add(tg.TargetGroupArn, KindTargetGroup, tg.TargetGroupName, map[string]string{"port": strconv.Itoa(tg.Port), "target_type": tg.TargetType})
		for _, lb := range tg.LoadBalancerArns {
			link(lb, KindLoadBalancer, tg.TargetGroupArn, KindTargetGroup, graph.ForwardsTo)
		}
		th, _ := r.TargetHealth(tg.TargetGroupArn)
		for _, d := range th {
			k := KindInstance
			if tg.TargetType != "instance" {
				k = "aws:target:" + graph.Kind(tg.TargetType)
			}
			link(tg.TargetGroupArn, KindTargetGroup, d.Target.Id, k, graph.Targets)
		}
	}
	for _, c := range r.ECSClusters {
		add(c.ClusterArn, KindECSCluster, c.ClusterName, nil)
	}
	for _, ci := range r.ContainerInstances {
		add(ci.ContainerInstanceArn, KindContainerInstance, "", nil)
		link(ci.ContainerInstanceArn, KindContainerInstance, ci.Ec2InstanceId, KindInstance, graph.RunsOn)
	}
	for _, t := range r.ECSTasks {
		add(t.TaskArn, KindECSTask, "", map[string]string{"task_definition": t.TaskDefinitionArn, "status": t.LastStatus})
		link(t.TaskArn, KindECSTask, t.ContainerInstanceArn, KindContainerInstance, graph.RunsOn)
		for _, at := range t.Attachments {
			for _, d := range at.Details {
				if d.Name == "networkInterfaceId" {
					link(d.Value, KindInterface, t.TaskArn, KindECSTask, graph.AttachedTo)
				}
			}
		}
	}
	for _, o := range r.Other {
		add(o.ID, graph.Kind("aws:"+o.Kind), o.Name, o.Attrs)
	}
}

func tagName(tags []Tag) string {
	for _, t := range tags {
		if t.Key == "Name" {
			return t.Value
		}
	}
	return ""
}
