package snapshot

import "strings"

// regionSteps read every operation of one region directory in turn.
var regionSteps = []func(*loader) error{
	readEC2, readPrefixLists, readELB, readELBv2, readECS, readGraphOnly,
}

func readEC2(l *loader) error {
	r := l.r
	var (
		vpcs struct{ Vpcs *[]VPC }
		subs struct{ Subnets *[]Subnet }
		rts  struct{ RouteTables *[]RouteTable }
		igws struct{ InternetGateways *[]InternetGateway }
		eigw struct {
			EgressOnlyInternetGateways *[]EgressOnlyInternetGateway
		}
		nats  struct{ NatGateways *[]NatGateway }
		acls  struct{ NetworkAcls *[]NetworkAcl }
		sgs   struct{ SecurityGroups *[]SecurityGroup }
		enis  struct{ NetworkInterfaces *[]NetworkInterface }
		insts struct {
			Reservations *[]struct{ Instances []Instance }
		}
		addrs struct{ Addresses *[]Address }
		pcx   struct {
			VpcPeeringConnections *[]VpcPeeringConnection
		}
		tgw struct {
			TransitGatewayAttachments *[]TransitGatewayAttachment
		}
	)
	steps := []struct {
		op, top string
		v       any
		set     func()
	}{
		{"ec2/describe-vpcs", "Vpcs", &vpcs, func() { r.VPCs = deref(vpcs.Vpcs) }},
		{"ec2/describe-subnets", "Subnets", &subs, func() { r.Subnets = deref(subs.Subnets) }},
		{"ec2/describe-route-tables", "RouteTables", &rts, func() { r.RouteTables = deref(rts.RouteTables) }},
		{"ec2/describe-internet-gateways", "InternetGateways", &igws, func() { r.InternetGateways = deref(igws.InternetGateways) }},
		{"ec2/describe-egress-only-internet-gateways", "EgressOnlyInternetGateways", &eigw, func() { r.EgressOnlyGateways = deref(eigw.EgressOnlyInternetGateways) }},
		{"ec2/describe-nat-gateways", "NatGateways", &nats, func() { r.NatGateways = deref(nats.NatGateways) }},
		{"ec2/describe-network-acls", "NetworkAcls", &acls, func() { r.NetworkAcls = deref(acls.NetworkAcls) }},
		{"ec2/describe-security-groups", "SecurityGroups", &sgs, func() { r.SecurityGroups = deref(sgs.SecurityGroups) }},
		{"ec2/describe-network-interfaces", "NetworkInterfaces", &enis, func() { r.NetworkInterfaces = deref(enis.NetworkInterfaces) }},
		{"ec2/describe-instances", "Reservations", &insts, func() {
			for _, res := range deref(insts.Reservations) {
				r.Instances = append(r.Instances, res.Instances...)
			}
		}},
		{"ec2/describe-addresses", "Addresses", &addrs, func() { r.Addresses = deref(addrs.Addresses) }},
		{"ec2/describe-vpc-peering-connections", "VpcPeeringConnections", &pcx, func() { r.Peerings = deref(pcx.VpcPeeringConnections) }},
		{"ec2/describe-transit-gateway-attachments", "TransitGatewayAttachments", &tgw, func() { r.TGWAttachments = deref(tgw.TransitGatewayAttachments) }},
	}
	for _, s := range steps {
		ok, err := l.single(s.op, s.v, s.top)
		if err != nil {
			return err
		}
		if ok {
			s.set()
		}
	}
	return nil
}

func deref[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}

func readPrefixLists(l *loader) error {
	var pls struct{ PrefixLists *[]ManagedPrefixList }
	ok, err := l.single("ec2/describe-managed-prefix-lists", &pls, "PrefixLists")
	if err != nil {
		return err
	}
	if ok {
		l.r.PrefixLists = deref(pls.PrefixLists)
	}
	const op = "ec2/get-managed-prefix-list-entries"
	k, err := l.perResource(op, "Entries")
	if err != nil {
		return err
	}
	l.r.plEntries = map[string][]PrefixListEntry{}
	return eachOutput(l, op, "Entries", k, func(id string, v *struct{ Entries []PrefixListEntry }) error {
		if err := needKey(l, op, id); err != nil {
			return err
		}
		l.r.plEntries[id] = append(l.r.plEntries[id], v.Entries...)
		return nil
	})
}

func readELB(l *loader) error {
	var lbs struct {
		LoadBalancerDescriptions *[]ClassicLoadBalancer
	}
	ok, err := l.single("elb/describe-load-balancers", &lbs, "LoadBalancerDescriptions")
	if ok {
		l.r.ClassicLoadBalancers = deref(lbs.LoadBalancerDescriptions)
	}
	return err
}

func readELBv2(l *loader) error {
	r := l.r
	var lbs struct{ LoadBalancers *[]LoadBalancer }
	if ok, err := l.single("elbv2/describe-load-balancers", &lbs, "LoadBalancers"); err != nil {
		return err
	} else if ok {
		r.LoadBalancers = deref(lbs.LoadBalancers)
	}
	var tgs struct{ TargetGroups *[]TargetGroup }
	if ok, err := l.single("elbv2/describe-target-groups", &tgs, "TargetGroups"); err != nil {
		return err
	} else if ok {
		r.TargetGroups = deref(tgs.TargetGroups)
	}
	k, err := l.perResource("elbv2/describe-listeners", "Listeners")
	if err != nil {
		return err
	}
	if err := eachOutput(l, "elbv2/describe-listeners", "Listeners", k, func(_ string, v *struct{ Listeners []Listener }) error {
		r.Listeners = append(r.Listeners, v.Listeners...)
		return nil
	}); err != nil {
		return err
	}
	// Listener keys are also implied by the listeners themselves.
	if set := r.keys["elbv2/describe-listeners"]; set != nil {
		for _, li := range r.Listeners {
			set[SafeID(li.LoadBalancerArn)] = true
		}
	}
	r.rules = map[string][]Rule{}
	k, err = l.perResource("elbv2/describe-rules", "Rules")
	if err != nil {
		return err
	}
	if err := eachOutput(l, "elbv2/describe-rules", "Rules", k, func(id string, v *struct{ Rules []Rule }) error {
		if _, seen := r.rules[id]; id != "" && !seen {
			r.rules[id] = []Rule{} // an empty output still says "collected, no rules"
		}
		for _, ru := range v.Rules {
			key := id
			if key == "" {
				key = SafeID(listenerOfRule(ru.RuleArn))
			}
			r.rules[key] = append(r.rules[key], ru)
		}
		return nil
	}); err != nil {
		return err
	}
	if set := r.keys["elbv2/describe-rules"]; set != nil {
		for id := range r.rules {
			set[id] = true
		}
	}
	r.targetHealth = map[string][]TargetHealthDescription{}
	const th = "elbv2/describe-target-health"
	k, err = l.perResource(th, "TargetHealthDescriptions")
	if err != nil {
		return err
	}
	if err := eachOutput(l, th, "TargetHealthDescriptions", k, func(id string, v *struct {
		TargetHealthDescriptions []TargetHealthDescription
	}) error {
		if err := needKey(l, th, id); err != nil {
			return err
		}
		r.targetHealth[id] = append(r.targetHealth[id], v.TargetHealthDescriptions...)
		return nil
	}); err != nil {
		return err
	}
	r.tgAttrs = map[string]map[string]string{}
	const ta = "elbv2/describe-target-group-attributes"
	k, err = l.perResource(ta, "Attributes")
	if err != nil {
		return err
	}
	return eachOutput(l, ta, "Attributes", k, func(id string, v *struct {
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
	})
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

func readECS(l *loader) error {
	r := l.r
	var cl struct {
		Clusters *[]ECSCluster `json:"clusters"`
	}
	if ok, err := l.single("ecs/describe-clusters", &cl, "clusters"); err != nil {
		return err
	} else if ok {
		r.ECSClusters = deref(cl.Clusters)
	}
	k, err := l.perResource("ecs/describe-services", "services")
	if err != nil {
		return err
	}
	if err := eachOutput(l, "ecs/describe-services", "services", k, func(_ string, v *struct {
		Services []ECSService `json:"services"`
	}) error {
		r.ECSServices = append(r.ECSServices, v.Services...)
		return nil
	}); err != nil {
		return err
	}
	k, err = l.perResource("ecs/describe-tasks", "tasks")
	if err != nil {
		return err
	}
	if err := eachOutput(l, "ecs/describe-tasks", "tasks", k, func(_ string, v *struct {
		Tasks []ECSTask `json:"tasks"`
	}) error {
		r.ECSTasks = append(r.ECSTasks, v.Tasks...)
		return nil
	}); err != nil {
		return err
	}
	k, err = l.perResource("ecs/describe-container-instances", "containerInstances")
	if err != nil {
		return err
	}
	if err := eachOutput(l, "ecs/describe-container-instances", "containerInstances", k, func(_ string, v *struct {
		ContainerInstances []ContainerInstance `json:"containerInstances"`
	}) error {
		r.ContainerInstances = append(r.ContainerInstances, v.ContainerInstances...)
		return nil
	}); err != nil {
		return err
	}
	r.TaskDefinitions = map[string]TaskDefinition{}
	k, err = l.perResource("ecs/describe-task-definition", "taskDefinition")
	if err != nil {
		return err
	}
	return eachOutput(l, "ecs/describe-task-definition", "taskDefinition", k, func(_ string, v *struct {
		TaskDefinition TaskDefinition `json:"taskDefinition"`
	}) error {
		r.TaskDefinitions[v.TaskDefinition.TaskDefinitionArn] = v.TaskDefinition
		return nil
	})
}

// readGraphOnly reads services that become graph nodes only.
func readGraphOnly(l *loader) error {
	r := l.r
	var eks struct {
		Clusters *[]string `json:"clusters"`
	}
	if ok, err := l.single("eks/list-clusters", &eks, "clusters"); err != nil {
		return err
	} else if ok {
		for _, c := range deref(eks.Clusters) {
			r.Other = append(r.Other, GraphOnly{Kind: "eks_cluster", ID: c, Name: c})
		}
	}
	var ecr struct {
		Repositories *[]struct{ RepositoryArn, RepositoryName, RepositoryUri string } `json:"repositories"`
	}
	if ok, err := l.single("ecr/describe-repositories", &ecr, "repositories"); err != nil {
		return err
	} else if ok {
		for _, x := range deref(ecr.Repositories) {
			r.Other = append(r.Other, GraphOnly{Kind: "ecr_repository", ID: x.RepositoryArn, Name: x.RepositoryName,
				Attrs: map[string]string{"uri": x.RepositoryUri}})
		}
	}
	var rds struct {
		DBInstances *[]struct {
			DBInstanceIdentifier, DBInstanceArn string
			PubliclyAccessible                  bool
		}
	}
	if ok, err := l.single("rds/describe-db-instances", &rds, "DBInstances"); err != nil {
		return err
	} else if ok {
		for _, x := range deref(rds.DBInstances) {
			pa := "false"
			if x.PubliclyAccessible {
				pa = "true"
			}
			r.Other = append(r.Other, GraphOnly{Kind: "rds_instance", ID: x.DBInstanceArn, Name: x.DBInstanceIdentifier,
				Attrs: map[string]string{"publicly_accessible": pa}})
		}
	}
	var lam struct {
		Functions *[]struct{ FunctionName, FunctionArn string }
	}
	if ok, err := l.single("lambda/list-functions", &lam, "Functions"); err != nil {
		return err
	} else if ok {
		for _, x := range deref(lam.Functions) {
			r.Other = append(r.Other, GraphOnly{Kind: "lambda_function", ID: x.FunctionArn, Name: x.FunctionName})
		}
	}
	var s3 struct {
		Buckets *[]struct{ Name string }
	}
	if ok, err := l.single("s3api/list-buckets", &s3, "Buckets"); err != nil {
		return err
	} else if ok {
		for _, x := range deref(s3.Buckets) {
			r.Other = append(r.Other, GraphOnly{Kind: "s3_bucket", ID: "arn:aws:s3:::" + x.Name, Name: x.Name})
		}
	}
	return nil
}
