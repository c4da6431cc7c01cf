package snapshot

import "strings"

// regionSteps submit the reads of one region directory as concurrent jobs
// (loader.do); each returns what must run once all jobs are done (work
// that combines the outputs of several jobs), or nil.
var regionSteps = []func(*loader) func(){
	readEC2, readPrefixLists, readELB, readELBv2, readECS, readDataStores, readGraphOnly,
}

func readEC2(l *loader) func() {
	r := l.r
	// The largest outputs first, so they overlap.
	var res []struct{ Instances []Instance }
	list(l, "ec2/describe-instances", "Reservations", &res)
	list(l, "ec2/describe-security-groups", "SecurityGroups", &r.SecurityGroups)
	list(l, "ec2/describe-network-interfaces", "NetworkInterfaces", &r.NetworkInterfaces)
	list(l, "ec2/describe-vpcs", "Vpcs", &r.VPCs)
	list(l, "ec2/describe-subnets", "Subnets", &r.Subnets)
	list(l, "ec2/describe-route-tables", "RouteTables", &r.RouteTables)
	list(l, "ec2/describe-internet-gateways", "InternetGateways", &r.InternetGateways)
	list(l, "ec2/describe-egress-only-internet-gateways", "EgressOnlyInternetGateways", &r.EgressOnlyGateways)
	list(l, "ec2/describe-nat-gateways", "NatGateways", &r.NatGateways)
	list(l, "ec2/describe-network-acls", "NetworkAcls", &r.NetworkAcls)
	list(l, "ec2/describe-addresses", "Addresses", &r.Addresses)
	list(l, "ec2/describe-vpc-peering-connections", "VpcPeeringConnections", &r.Peerings)
	list(l, "ec2/describe-transit-gateway-attachments", "TransitGatewayAttachments", &r.TGWAttachments)
	return func() {
		n := 0
		for _, x := range res {
			n += len(x.Instances)
		}
		if n > 0 {
			r.Instances = make([]Instance, 0, n)
		}
		for _, x := range res {
			r.Instances = append(r.Instances, x.Instances...)
		}
	}
}

func readPrefixLists(l *loader) func() {
	list(l, "ec2/describe-managed-prefix-lists", "PrefixLists", &l.r.PrefixLists)
	const op = "ec2/get-managed-prefix-list-entries"
	l.r.plEntries = map[string][]PrefixListEntry{}
	keyedOp(l, op, "Entries", func(id string, v *struct{ Entries []PrefixListEntry }) error {
		if err := needKey(l, op, id); err != nil {
			return err
		}
		l.r.plEntries[id] = append(l.r.plEntries[id], v.Entries...)
		return nil
	}, nil)
	return nil
}

func readELB(l *loader) func() {
	list(l, "elb/describe-load-balancers", "LoadBalancerDescriptions", &l.r.ClassicLoadBalancers)
	return nil
}

func readELBv2(l *loader) func() {
	r := l.r
	list(l, "elbv2/describe-load-balancers", "LoadBalancers", &r.LoadBalancers)
	list(l, "elbv2/describe-target-groups", "TargetGroups", &r.TargetGroups)
	keyedOp(l, "elbv2/describe-listeners", "Listeners", func(_ string, v *struct{ Listeners []Listener }) error {
		r.Listeners = append(r.Listeners, v.Listeners...)
		return nil
	}, func() []string {
		// Listener keys are also implied by the listeners themselves.
		var ids []string
		for _, li := range r.Listeners {
			ids = append(ids, argKey(li.LoadBalancerArn))
		}
		return ids
	})
	r.rules = map[string][]Rule{}
	keyedOp(l, "elbv2/describe-rules", "Rules", func(id string, v *struct{ Rules []Rule }) error {
		if _, seen := r.rules[id]; id != "" && !seen {
			r.rules[id] = []Rule{} // an empty output still says "collected, no rules"
		}
		for _, ru := range v.Rules {
			key := id
			if key == "" {
				key = argKey(listenerOfRule(ru.RuleArn))
			}
			r.rules[key] = append(r.rules[key], ru)
		}
		return nil
	}, func() []string {
		ids := make([]string, 0, len(r.rules))
		for id := range r.rules {
			ids = append(ids, id)
		}
		return ids
	})
	r.targetHealth = map[string][]TargetHealthDescription{}
	const th = "elbv2/describe-target-health"
	keyedOp(l, th, "TargetHealthDescriptions", func(id string, v *struct {
		TargetHealthDescriptions []TargetHealthDescription
	}) error {
		if err := needKey(l, th, id); err != nil {
			return err
		}
		r.targetHealth[id] = append(r.targetHealth[id], v.TargetHealthDescriptions...)
		return nil
	}, nil)
	r.tgAttrs = map[string]map[string]string{}
	const ta = "elbv2/describe-target-group-attributes"
	keyedOp(l, ta, "Attributes", func(id string, v *struct {
		Attributes []struct{ Key, Value string }
	}) error {
		if err := needKey(l, ta, id); err != nil {
			return err
		}
		m := r.tgAttrs[id]
		if m == nil {
			m = map[string]string{}
			r.tgAttrs[id] = m
		}
		for _, a := range v.Attributes {
			m[a.Key] = a.Value
		}
		return nil
	}, nil)
	return nil
}

// listenerOfRule derives a listener ARN from a rule ARN:
// …:listener-rule/app/n/lb/l/rule → …:listener/app/n/lb/l.
func listenerOfRule(ruleArn string) string {
	s := strings.Replace(ruleArn, ":listener-rule/", ":listener/", 1)
	if i := strings.LastIndexByte(s, '/'); i > 0 {
		return s[:i]
	}
	return s
}

func readECS(l *loader) func() {
	r := l.r
	list(l, "ecs/describe-clusters", "clusters", &r.ECSClusters)
	keyedOp(l, "ecs/describe-services", "services", func(_ string, v *struct {
		Services []ECSService `json:"services"`
	}) error {
		r.ECSServices = append(r.ECSServices, v.Services...)
		return nil
	}, nil)
	keyedOp(l, "ecs/describe-tasks", "tasks", func(_ string, v *struct {
		Tasks []ECSTask `json:"tasks"`
	}) error {
		r.ECSTasks = append(r.ECSTasks, v.Tasks...)
		return nil
	}, nil)
	keyedOp(l, "ecs/describe-container-instances", "containerInstances", func(_ string, v *struct {
		ContainerInstances []ContainerInstance `json:"containerInstances"`
	}) error {
		r.ContainerInstances = append(r.ContainerInstances, v.ContainerInstances...)
		return nil
	}, nil)
	r.TaskDefinitions = map[string]TaskDefinition{}
	keyedOp(l, "ecs/describe-task-definition", "taskDefinition", func(_ string, v *struct {
		TaskDefinition TaskDefinition `json:"taskDefinition"`
	}) error {
		r.TaskDefinitions[v.TaskDefinition.TaskDefinitionArn] = v.TaskDefinition
		return nil
	}, nil)
	return nil
}

// readGraphOnly reads services that become graph nodes only; the data
// stores among them come from readDataStores.
func readGraphOnly(l *loader) func() {
	r := l.r
	var ecr []struct{ RepositoryArn, RepositoryName, RepositoryUri string }
	list(l, "ecr/describe-repositories", "repositories", &ecr)
	return func() {
		d := &r.Data
		for _, c := range d.EKSClusterNames {
			r.Other = append(r.Other, GraphOnly{Kind: "eks_cluster", ID: c, Name: c})
		}
		for _, x := range ecr {
			r.Other = append(r.Other, GraphOnly{Kind: "ecr_repository", ID: x.RepositoryArn, Name: x.RepositoryName,
				Attrs: map[string]string{"uri": x.RepositoryUri}})
		}
		for _, x := range d.DBInstances {
			pa := "false"
			if x.PubliclyAccessible {
				pa = "true"
			}
			r.Other = append(r.Other, GraphOnly{Kind: "rds_instance", ID: x.DBInstanceArn, Name: x.DBInstanceIdentifier,
				Attrs: map[string]string{"publicly_accessible": pa}})
		}
		for _, x := range d.Functions {
			r.Other = append(r.Other, GraphOnly{Kind: "lambda_function", ID: x.FunctionArn, Name: x.FunctionName})
		}
		for _, x := range d.Buckets {
			r.Other = append(r.Other, GraphOnly{Kind: "s3_bucket", ID: "arn:aws:s3:::" + x.Name, Name: x.Name})
		}
	}
}
