package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
)

const (
	acct   = "111122223333"
	region = "eu-west-1"
	vpc    = "vpc-0a1b2c3d4e5f60001"
	// Subnets are /22 (1,019 usable task addresses each) in one /16: the
	// app subnets take 10.0.0.0–10.0.239.255 (at most 60), the four DB
	// subnets 10.0.240.0/20.
	maxAppSubnets = 60
	perSubnet     = 1019
	publicSubnets = 5 // app subnets 0–4 route to the internet gateway
	clusters      = 10
	dbSubnets     = 4
)

// sizes are the generated estate's dimensions (flags).
type sizes struct {
	roles, policies, stores, workloads, services, families, subnets, groups, dbGroups int
}

// gen writes the snapshot; every file is streamed element by element so
// the generator's own heap stays small next to what is measured.
type gen struct {
	dir string
	sz  sizes
	err error
	// place is each task's subnet and address index in it.
	place [][2]int
}

// familySubnets are the three subnets (one per AZ pair, as a service's
// awsvpcConfiguration lists them) a family's tasks are placed in.
func familySubnets(f int, sz sizes) []string {
	var out []string
	for k := 0; k < 3; k++ {
		out = append(out, appSubnet((f+k*17)%sz.subnets))
	}
	return out
}

// placeTasks spreads each family's tasks over its three subnets.
func (g *gen) placeTasks() error {
	used := make([]int, g.sz.subnets)
	g.place = make([][2]int, g.sz.workloads)
	for t := range g.place {
		f := g.sz.family(t)
		sub := (f + (t%3)*17) % g.sz.subnets
		if used[sub] == perSubnet {
			return fmt.Errorf("subnet %s is full (%d tasks): raise -subnets", appSubnet(sub), perSubnet)
		}
		g.place[t] = [2]int{sub, used[sub]}
		used[sub]++
	}
	return nil
}

// arrayFile writes {"<key>": [e1, e2, …]} (plus extra top-level members).
func (g *gen) arrayFile(rel, key string, n int, elem func(i int) any, extra ...string) {
	if g.err != nil {
		return
	}
	g.err = g.stream(rel, func(w *bufio.Writer, enc *json.Encoder) error {
		fmt.Fprintf(w, "{%q: [", key)
		for i := 0; i < n; i++ {
			if i > 0 {
				w.WriteByte(',')
			}
			if err := enc.Encode(elem(i)); err != nil {
				return err
			}
		}
		w.WriteString("]")
		for _, x := range extra {
			w.WriteString(", " + x)
		}
		w.WriteString("}\n")
		return nil
	})
}

// keyedFile writes the keyed-object form of a per-resource operation
// (docs/aws-snapshot.md): {"<argument>": <CLI output>, …}.
func (g *gen) keyedFile(rel string, n int, elem func(i int) (string, any)) {
	if g.err != nil {
		return
	}
	g.err = g.stream(rel, func(w *bufio.Writer, enc *json.Encoder) error {
		w.WriteString("{")
		for i := 0; i < n; i++ {
			k, v := elem(i)
			if i > 0 {
				w.WriteByte(',')
			}
			fmt.Fprintf(w, "%q:", k)
			if err := enc.Encode(v); err != nil {
				return err
			}
		}
		w.WriteString("}\n")
		return nil
	})
}

func (g *gen) jsonFile(rel string, v any) {
	if g.err != nil {
		return
	}
	g.err = g.stream(rel, func(_ *bufio.Writer, enc *json.Encoder) error { return enc.Encode(v) })
}

func (g *gen) stream(rel string, body func(*bufio.Writer, *json.Encoder) error) error {
	p := filepath.Join(g.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := body(w, json.NewEncoder(w)); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", p, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", p, err)
	}
	return f.Close()
}

type obj = map[string]any

func doc(st ...obj) obj { return obj{"Version": "2012-10-17", "Statement": st} }
func allow(act, res any) obj {
	return obj{"Effect": "Allow", "Action": act, "Resource": res}
}

// Names of the generated resources.
func roleName(i int) string   { return fmt.Sprintf("role-%05d", i) }
func roleARN(i int) string    { return "arn:aws:iam::" + acct + ":role/" + roleName(i) }
func bucket(i int) string     { return fmt.Sprintf("data-%05d", i) }
func table(i int) string      { return fmt.Sprintf("t-%05d", i) }
func secretName(i int) string { return fmt.Sprintf("app/s-%05d", i) }
func secretARN(i int) string {
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-Ab%04d", region, acct, secretName(i), i%10000)
}
func dbiResource(i int) string { return fmt.Sprintf("db-RES%06d", i) }
func appSubnet(i int) string   { return fmt.Sprintf("subnet-0app%04d", i) }
func dbSubnet(i int) string    { return fmt.Sprintf("subnet-0db%04d", i) }
func appGroup(i int) string    { return fmt.Sprintf("sg-0app%04d", i) }
func dbGroup(i int) string     { return fmt.Sprintf("sg-0db%04d", i) }
func clusterARN(c int) string  { return fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/c%02d", region, acct, c) }
func taskDefARN(f int) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/fam-%04d:1", region, acct, f)
}
func taskID(t int) string { return fmt.Sprintf("%032x", 0xa0000000+t) }
func eniID(t int) string  { return fmt.Sprintf("eni-0t%015x", t) }
func az(i int) string     { return region + string(rune('a'+i%2)) }
func appCIDR(i int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(4 * i), 0}), 22)
}
func dbCIDR(i int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(240 + 4*i), 0}), 22)
}
func nthAddr(p netip.Prefix, n int) string {
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}

// Store mix: a fifth RDS instances, two fifths S3 buckets, a fifth
// DynamoDB tables, a fifth secrets.
func (s sizes) rds() int     { return s.stores / 5 }
func (s sizes) buckets() int { return s.stores * 2 / 5 }
func (s sizes) tables() int  { return s.stores / 5 }
func (s sizes) secrets() int { return s.stores - s.rds() - s.buckets() - s.tables() }

// family of task t: three quarters of the tasks belong to services
// (family = service), the rest are standalone tasks of the other families
// (scheduled jobs, each with its own task definition and role).
func (s sizes) family(t int) int {
	if t%4 != 3 || s.families <= s.services {
		return t % s.services
	}
	return s.services + (t/4)%(s.families-s.services)
}

// familyRole spreads the families' task roles over the roles.
func (s sizes) familyRole(f int) int { return (f * 7919) % s.roles }

// taskGroup: each family runs with one app group.
func (s sizes) taskGroup(f int) int { return f % s.groups }

func (s sizes) check() error {
	switch {
	case s.roles < 1 || s.policies < s.roles || s.stores < 5 || s.workloads < 1 || s.services < 1 || s.families < s.services ||
		s.groups < 3 || s.dbGroups < 2 || s.subnets < publicSubnets+1:
		return fmt.Errorf("sizes out of range: need roles ≥ 1, policies ≥ roles, stores ≥ 5, workloads ≥ 1, 1 ≤ services ≤ families, groups ≥ 3, dbgroups ≥ 2, subnets > %d", publicSubnets)
	case s.subnets > maxAppSubnets:
		return fmt.Errorf("at most %d subnets (/22 each in one /16 VPC)", maxAppSubnets)
	case (s.rds()+dbSubnets-1)/dbSubnets > perSubnet:
		return fmt.Errorf("%d RDS instances do not fit in the %d DB subnets", s.rds(), dbSubnets)
	}
	return nil
}

// generate writes the whole snapshot under dir.
func generate(dir string, sz sizes) error {
	if err := sz.check(); err != nil {
		return err
	}
	g := &gen{dir: dir, sz: sz}
	if err := g.placeTasks(); err != nil {
		return err
	}
	r := acct + "/" + region + "/"
	g.network(r)
	g.ecs(r)
	g.rds(r)
	g.apiStores(r)
	g.iam(acct + "/global/")
	for _, e := range [][2]string{{"ec2/describe-addresses", "Addresses"}, {"ec2/describe-egress-only-internet-gateways", "EgressOnlyInternetGateways"},
		{"ec2/describe-instances", "Reservations"}, {"ec2/describe-managed-prefix-lists", "PrefixLists"},
		{"ec2/describe-transit-gateway-attachments", "TransitGatewayAttachments"}, {"ec2/describe-vpc-peering-connections", "VpcPeeringConnections"},
		{"eks/list-clusters", "clusters"}, {"elasticache/describe-cache-clusters", "CacheClusters"},
		{"elasticache/describe-cache-subnet-groups", "CacheSubnetGroups"}, {"elasticache/describe-replication-groups", "ReplicationGroups"},
		{"elb/describe-load-balancers", "LoadBalancerDescriptions"}, {"elbv2/describe-load-balancers", "LoadBalancers"},
		{"elbv2/describe-target-groups", "TargetGroups"}, {"lambda/list-functions", "Functions"}, {"opensearch/list-domain-names", "DomainNames"},
		{"rds/describe-db-clusters", "DBClusters"}, {"redshift/describe-clusters", "Clusters"}} {
		g.arrayFile(r+e[0]+".json", e[1], 0, nil)
	}
	g.jsonFile("manifest.json", layout.Manifest{Schema: layout.Schema, CollectedAt: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), Tool: "bench/paths",
		Accounts: []layout.Account{{AccountID: acct}}, Regions: []string{region}, Gaps: []layout.Gap{}, NotFound: []layout.NotFound{}})
	return g.err
}

// network writes the VPC: app subnets (the first publicSubnets routed to
// an internet gateway, the others through a NAT gateway), DB subnets,
// one open network ACL, app groups admitting 8080 from the VPC (every
// twentieth also 443 from anywhere), DB groups admitting three app groups
// each by reference (every tenth the whole VPC too), and one public DB
// group; then every interface: one per task, one per RDS instance.
func (g *gen) network(r string) {
	sz := g.sz
	tag := []any{}
	g.arrayFile(r+"ec2/describe-vpcs.json", "Vpcs", 1, func(int) any {
		return obj{"CidrBlock": "10.0.0.0/16", "State": "available", "VpcId": vpc, "OwnerId": acct, "IsDefault": false, "Tags": tag,
			"CidrBlockAssociationSet": []obj{{"AssociationId": "vpc-cidr-assoc-01", "CidrBlock": "10.0.0.0/16", "CidrBlockState": obj{"State": "associated"}}}}
	})
	g.arrayFile(r+"ec2/describe-internet-gateways.json", "InternetGateways", 1, func(int) any {
		return obj{"Attachments": []obj{{"State": "available", "VpcId": vpc}}, "InternetGatewayId": "igw-0bench", "OwnerId": acct, "Tags": tag}
	})
	g.arrayFile(r+"ec2/describe-nat-gateways.json", "NatGateways", 1, func(int) any {
		return obj{"NatGatewayAddresses": []obj{{"AllocationId": "eipalloc-0nat", "NetworkInterfaceId": "eni-0nat", "PrivateIp": nthAddr(appCIDR(0), 1020),
			"PublicIp": "52.16.10.5", "IsPrimary": true, "Status": "succeeded"}}, "NatGatewayId": "nat-0bench", "State": "available",
			"SubnetId": appSubnet(0), "VpcId": vpc, "ConnectivityType": "public", "Tags": tag}
	})
	nsub := sz.subnets + dbSubnets
	subnet := func(i int) (id string, cidr netip.Prefix, zone string, public bool) {
		if i < sz.subnets {
			return appSubnet(i), appCIDR(i), az(i), i < publicSubnets
		}
		return dbSubnet(i - sz.subnets), dbCIDR(i - sz.subnets), az(i - sz.subnets), false
	}
	g.arrayFile(r+"ec2/describe-subnets.json", "Subnets", nsub, func(i int) any {
		id, cidr, zone, pub := subnet(i)
		return obj{"AvailabilityZone": zone, "CidrBlock": cidr.String(), "MapPublicIpOnLaunch": pub, "State": "available", "SubnetId": id,
			"VpcId": vpc, "OwnerId": acct, "SubnetArn": "arn:aws:ec2:" + region + ":" + acct + ":subnet/" + id, "Tags": tag}
	})
	var pubAssoc, acl []obj
	for i := 0; i < nsub; i++ {
		id, _, _, pub := subnet(i)
		if pub {
			pubAssoc = append(pubAssoc, obj{"Main": false, "RouteTableAssociationId": "rtbassoc-" + id, "RouteTableId": "rtb-0public",
				"SubnetId": id, "AssociationState": obj{"State": "associated"}})
		}
		acl = append(acl, obj{"NetworkAclAssociationId": "aclassoc-" + id, "NetworkAclId": "acl-0default", "SubnetId": id})
	}
	local := obj{"Origin": "CreateRouteTable", "State": "active", "DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}
	g.arrayFile(r+"ec2/describe-route-tables.json", "RouteTables", 2, func(i int) any {
		if i == 0 {
			return obj{"Associations": []obj{{"Main": true, "RouteTableAssociationId": "rtbassoc-0main", "RouteTableId": "rtb-0main",
				"AssociationState": obj{"State": "associated"}}}, "RouteTableId": "rtb-0main", "VpcId": vpc, "OwnerId": acct, "Tags": tag,
				"Routes": []obj{local, {"Origin": "CreateRoute", "State": "active", "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0bench"}}}
		}
		return obj{"Associations": pubAssoc, "RouteTableId": "rtb-0public", "VpcId": vpc, "OwnerId": acct, "Tags": tag,
			"Routes": []obj{local, {"Origin": "CreateRoute", "State": "active", "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0bench"}}}
	})
	entry := func(egress bool, n int, action string) obj {
		return obj{"Egress": egress, "Protocol": "-1", "RuleAction": action, "RuleNumber": n, "CidrBlock": "0.0.0.0/0"}
	}
	g.arrayFile(r+"ec2/describe-network-acls.json", "NetworkAcls", 1, func(int) any {
		return obj{"Associations": acl, "IsDefault": true, "NetworkAclId": "acl-0default", "VpcId": vpc, "OwnerId": acct, "Tags": tag,
			"Entries": []obj{entry(true, 100, "allow"), entry(true, 32767, "deny"), entry(false, 100, "allow"), entry(false, 32767, "deny")}}
	})
	perm := func(port int, cidrs []string, groups []string) obj {
		ranges, pairs := []obj{}, []obj{}
		for _, c := range cidrs {
			ranges = append(ranges, obj{"CidrIp": c})
		}
		for _, gr := range groups {
			pairs = append(pairs, obj{"GroupId": gr, "UserId": acct})
		}
		return obj{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": ranges, "Ipv6Ranges": []obj{}, "PrefixListIds": []obj{}, "UserIdGroupPairs": pairs}
	}
	egress := []obj{{"IpProtocol": "-1", "IpRanges": []obj{{"CidrIp": "0.0.0.0/0"}}, "Ipv6Ranges": []obj{}, "PrefixListIds": []obj{}, "UserIdGroupPairs": []obj{}}}
	group := func(id, name string, in []obj) obj {
		return obj{"Description": "bench group", "GroupName": name, "GroupId": id, "OwnerId": acct, "VpcId": vpc, "Tags": tag,
			"IpPermissions": in, "IpPermissionsEgress": egress}
	}
	g.arrayFile(r+"ec2/describe-security-groups.json", "SecurityGroups", sz.groups+sz.dbGroups+1, func(i int) any {
		switch {
		case i < sz.groups:
			in := []obj{perm(8080, []string{"10.0.0.0/16"}, nil)}
			if i%20 == 0 {
				in = append(in, perm(443, []string{"0.0.0.0/0"}, nil))
			}
			return group(appGroup(i), fmt.Sprintf("app-%d", i), in)
		case i < sz.groups+sz.dbGroups:
			d := i - sz.groups
			refs := []string{appGroup((3 * d) % sz.groups), appGroup((3*d + 1) % sz.groups), appGroup((3*d + 2) % sz.groups)}
			in := []obj{perm(dbPort(d), nil, refs)}
			if d%10 == 0 {
				in = append(in, perm(dbPort(d), []string{"10.0.0.0/16"}, nil))
			}
			return group(dbGroup(d), fmt.Sprintf("db-%d", d), in)
		}
		return group("sg-0dbpublic", "db-public", []obj{perm(5432, []string{"0.0.0.0/0"}, nil), perm(3306, []string{"0.0.0.0/0"}, nil)})
	})
	nr := sz.rds()
	g.arrayFile(r+"ec2/describe-network-interfaces.json", "NetworkInterfaces", sz.workloads+nr, func(i int) any {
		if i < sz.workloads {
			t := i
			sub, n := g.place[t][0], g.place[t][1]
			ip := nthAddr(appCIDR(sub), 4+n)
			e := obj{"AvailabilityZone": az(sub), "Description": fmt.Sprintf("arn:aws:ecs:%s:%s:attachment/%s", region, acct, taskID(t)),
				"Groups": []obj{{"GroupId": appGroup(sz.taskGroup(sz.family(t))), "GroupName": "app"}}, "InterfaceType": "interface",
				"NetworkInterfaceId": eniID(t), "OwnerId": acct, "PrivateIpAddress": ip, "RequesterManaged": true, "Status": "in-use",
				"SubnetId": appSubnet(sub), "VpcId": vpc, "TagSet": tag}
			pa := obj{"Primary": true, "PrivateIpAddress": ip}
			if sub < publicSubnets {
				assoc := obj{"IpOwnerId": "amazon", "PublicIp": fmt.Sprintf("52.17.%d.%d", t/250%250, 1+t%250)}
				e["Association"], pa["Association"] = assoc, assoc
			}
			e["PrivateIpAddresses"] = []obj{pa}
			return e
		}
		d := i - sz.workloads
		id, sub, zone, ip, groups := rdsPlacement(d, sz)
		var gs []obj
		for _, gr := range groups {
			gs = append(gs, obj{"GroupId": gr, "GroupName": gr})
		}
		e := obj{"AvailabilityZone": zone, "Description": "RDSNetworkInterface", "Groups": gs, "InterfaceType": "interface",
			"NetworkInterfaceId": id, "OwnerId": acct, "PrivateIpAddress": ip, "RequesterManaged": true, "RequesterId": "amazon-rds",
			"Status": "in-use", "SubnetId": sub, "VpcId": vpc, "TagSet": tag}
		pa := obj{"Primary": true, "PrivateIpAddress": ip}
		if d%100 == 0 {
			assoc := obj{"IpOwnerId": "amazon", "PublicIp": fmt.Sprintf("52.18.%d.%d", d/250%250, 1+d%250)}
			e["Association"], pa["Association"] = assoc, assoc
		}
		e["PrivateIpAddresses"] = []obj{pa}
		return e
	})
}

func dbPort(d int) int {
	if d%2 == 0 {
		return 5432
	}
	return 3306
}

// rdsPlacement: instance d's interface, subnet, AZ, address and groups.
// Every hundredth is publicly accessible in a public app subnet with the
// open DB group too; the others sit in the DB subnets.
func rdsPlacement(d int, sz sizes) (eni, subnet, zone, ip string, groups []string) {
	eni = fmt.Sprintf("eni-0r%015x", d)
	groups = []string{dbGroup(d % sz.dbGroups)}
	if d%100 == 0 {
		k := d / 100 % publicSubnets
		return eni, appSubnet(k), az(k), nthAddr(appCIDR(k), 1000-d/100/publicSubnets), append(groups, "sg-0dbpublic")
	}
	k := d % dbSubnets
	return eni, dbSubnet(k), az(k), nthAddr(dbCIDR(k), 4+d/dbSubnets), groups
}

// ecs writes the clusters, services (one per service family), the task
// definitions (one per family, each with its task role) and the tasks:
// awsvpc on Fargate, each with its own interface.
func (g *gen) ecs(r string) {
	sz := g.sz
	g.arrayFile(r+"ecs/list-clusters.json", "clusterArns", clusters, func(c int) any { return clusterARN(c) })
	g.arrayFile(r+"ecs/describe-clusters.json", "clusters", clusters, func(c int) any {
		return obj{"clusterArn": clusterARN(c), "clusterName": fmt.Sprintf("c%02d", c), "status": "ACTIVE"}
	}, `"failures": []`)
	for c := 0; c < clusters; c++ {
		key := layout.EncodeID(clusterARN(c)) + ".json"
		var svcs []int
		for f := c; f < sz.services; f += clusters {
			svcs = append(svcs, f)
		}
		g.arrayFile(r+"ecs/describe-services/"+key, "services", len(svcs), func(i int) any {
			f := svcs[i]
			return obj{"serviceArn": fmt.Sprintf("arn:aws:ecs:%s:%s:service/c%02d/svc-%04d", region, acct, c, f), "serviceName": fmt.Sprintf("svc-%04d", f),
				"clusterArn": clusterARN(c), "loadBalancers": []obj{}, "status": "ACTIVE", "launchType": "FARGATE", "taskDefinition": taskDefARN(f),
				"networkConfiguration": obj{"awsvpcConfiguration": obj{"subnets": familySubnets(f, sz),
					"securityGroups": []string{appGroup(sz.taskGroup(f))}, "assignPublicIp": "DISABLED"}}}
		}, `"failures": []`)
		var tasks []int
		for t := 0; t < sz.workloads; t++ {
			if sz.family(t)%clusters == c {
				tasks = append(tasks, t)
			}
		}
		g.arrayFile(r+"ecs/describe-tasks/"+key, "tasks", len(tasks), func(i int) any {
			t := tasks[i]
			f := sz.family(t)
			sub, n := g.place[t][0], g.place[t][1]
			ip := nthAddr(appCIDR(sub), 4+n)
			group := fmt.Sprintf("family:fam-%04d", f)
			if f < sz.services {
				group = fmt.Sprintf("service:svc-%04d", f)
			}
			att := "att-" + taskID(t)[24:]
			return obj{"attachments": []obj{{"id": att, "type": "ElasticNetworkInterface", "status": "ATTACHED", "details": []obj{
				{"name": "subnetId", "value": appSubnet(sub)}, {"name": "networkInterfaceId", "value": eniID(t)}, {"name": "privateIPv4Address", "value": ip}}}},
				"availabilityZone": az(sub), "clusterArn": clusterARN(c), "desiredStatus": "RUNNING", "lastStatus": "RUNNING", "launchType": "FARGATE",
				"group": group, "taskArn": fmt.Sprintf("arn:aws:ecs:%s:%s:task/c%02d/%s", region, acct, c, taskID(t)), "taskDefinitionArn": taskDefARN(f),
				"containers": []obj{{"name": "app", "image": fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/fam-%04d:1", acct, region, f),
					"imageDigest": fmt.Sprintf("sha256:%064x", f+1), "lastStatus": "RUNNING", "networkBindings": []obj{},
					"networkInterfaces": []obj{{"attachmentId": att, "privateIpv4Address": ip}}}}}
		}, `"failures": []`)
		g.arrayFile(r+"ecs/describe-container-instances/"+key, "containerInstances", 0, nil, `"failures": []`)
	}
	g.keyedFile(r+"ecs/describe-task-definition.json", sz.families, func(f int) (string, any) {
		return taskDefARN(f), obj{"taskDefinition": obj{"taskDefinitionArn": taskDefARN(f), "family": fmt.Sprintf("fam-%04d", f), "revision": 1,
			"networkMode": "awsvpc", "requiresCompatibilities": []string{"FARGATE"}, "taskRoleArn": roleARN(sz.familyRole(f)),
			"containerDefinitions": []obj{{"name": "app", "image": fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/fam-%04d:1", acct, region, f), "essential": true,
				"portMappings": []obj{{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}}}}}}
	})
}

// rds writes the DB instances (half with IAM database authentication).
func (g *gen) rds(r string) {
	sz := g.sz
	var members []obj
	for k := 0; k < dbSubnets; k++ {
		members = append(members, obj{"SubnetIdentifier": dbSubnet(k), "SubnetAvailabilityZone": obj{"Name": az(k)}, "SubnetStatus": "Active"})
	}
	var pubMembers []obj
	for k := 0; k < publicSubnets; k++ {
		pubMembers = append(pubMembers, obj{"SubnetIdentifier": appSubnet(k), "SubnetAvailabilityZone": obj{"Name": az(k)}, "SubnetStatus": "Active"})
	}
	g.arrayFile(r+"rds/describe-db-instances.json", "DBInstances", sz.rds(), func(d int) any {
		_, _, zone, _, groups := rdsPlacement(d, sz)
		engine := "postgres"
		if dbPort(d%sz.dbGroups) == 3306 {
			engine = "mysql"
		}
		var vsg []obj
		for _, gr := range groups {
			vsg = append(vsg, obj{"VpcSecurityGroupId": gr, "Status": "active"})
		}
		name := fmt.Sprintf("db-%04d", d)
		sg := obj{"DBSubnetGroupName": "db-subnets", "VpcId": vpc, "SubnetGroupStatus": "Complete", "Subnets": members}
		if d%100 == 0 {
			sg = obj{"DBSubnetGroupName": "db-public", "VpcId": vpc, "SubnetGroupStatus": "Complete", "Subnets": pubMembers}
		}
		return obj{"DBInstanceIdentifier": name, "DBInstanceClass": "db.t3.medium", "Engine": engine, "DBInstanceStatus": "available",
			"Endpoint":         obj{"Address": name + ".c9akciq32." + region + ".rds.amazonaws.com", "Port": dbPort(d % sz.dbGroups)},
			"AvailabilityZone": zone, "VpcSecurityGroups": vsg, "DBSubnetGroup": sg, "PubliclyAccessible": d%100 == 0, "StorageEncrypted": true,
			"DbiResourceId": dbiResource(d), "DBInstanceArn": fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", region, acct, name),
			"IAMDatabaseAuthenticationEnabled": d%2 == 0}
	})
}

// apiStores writes the buckets (a fifth with a bucket policy: most grant
// another account, one in five of those is public; the others blocked by
// Block Public Access), DynamoDB tables and secrets (a tenth with a
// resource policy).
func (g *gen) apiStores(r string) {
	sz := g.sz
	gl := acct + "/global/"
	nb := sz.buckets()
	g.arrayFile(gl+"s3api/list-buckets.json", "Buckets", nb, func(i int) any {
		return obj{"Name": bucket(i), "CreationDate": "2026-10-01T10:00:00+00:00", "BucketRegion": region}
	}, `"Owner": {"DisplayName": "bench", "ID": "0f1e"}`)
	withPolicy := func(i int) bool { return i%5 == 0 }
	public := func(i int) bool { return i%25 == 0 }
	g.keyedFile(gl+"s3api/get-public-access-block.json", nb, func(i int) (string, any) {
		on := !withPolicy(i)
		return bucket(i), obj{"PublicAccessBlockConfiguration": obj{"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": on, "RestrictPublicBuckets": on}}
	})
	var pol []int
	for i := 0; i < nb; i++ {
		if withPolicy(i) {
			pol = append(pol, i)
		}
	}
	g.keyedFile(gl+"s3api/get-bucket-policy-status.json", len(pol), func(k int) (string, any) {
		return bucket(pol[k]), obj{"PolicyStatus": obj{"IsPublic": public(pol[k])}}
	})
	g.keyedFile(gl+"s3api/get-bucket-policy.json", len(pol), func(k int) (string, any) {
		i := pol[k]
		arn := "arn:aws:s3:::" + bucket(i)
		st := obj{"Sid": "Partner", "Effect": "Allow", "Principal": obj{"AWS": "arn:aws:iam::444455556666:root"},
			"Action": []string{"s3:GetObject", "s3:ListBucket"}, "Resource": []string{arn, arn + "/*"}}
		if public(i) {
			st = obj{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": arn + "/*"}
		}
		deny := obj{"Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": []string{arn, arn + "/*"},
			"Condition": obj{"Bool": obj{"aws:SecureTransport": "false"}}}
		b, _ := json.Marshal(doc(st, deny))
		return bucket(i), obj{"Policy": string(b)}
	})
	g.arrayFile(r+"dynamodb/list-tables.json", "TableNames", sz.tables(), func(i int) any { return table(i) })
	g.keyedFile(r+"dynamodb/describe-table.json", sz.tables(), func(i int) (string, any) {
		return table(i), obj{"Table": obj{"TableName": table(i), "TableStatus": "ACTIVE",
			"TableArn": fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", region, acct, table(i))}}
	})
	ns := sz.secrets()
	g.arrayFile(r+"secretsmanager/list-secrets.json", "SecretList", ns, func(i int) any {
		return obj{"ARN": secretARN(i), "Name": secretName(i)}
	})
	g.keyedFile(r+"secretsmanager/get-resource-policy.json", ns, func(i int) (string, any) {
		out := obj{"ARN": secretARN(i), "Name": secretName(i)}
		if i%10 == 0 {
			b, _ := json.Marshal(doc(obj{"Effect": "Allow", "Principal": obj{"AWS": roleARN((i * 13) % sz.roles)},
				"Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
			out["ResourcePolicy"] = string(b)
		}
		return secretARN(i), out
	})
}

// iam writes get-account-authorization-details: sz.roles roles, each
// with policies/roles customer-managed policies and one inline policy.
// The statement mix: specific bucket, table, secret and rds-db ARNs;
// prefix wildcards; service-wide wildcards for a few roles; a Deny with
// a condition in each managed policy; an AWS managed policy attached to
// one role in forty; a few roles whose trust policy does not admit ECS
// tasks, some admitting them only from this account (condition).
func (g *gen) iam(gl string) {
	sz := g.sz
	per := sz.policies / sz.roles
	nb, nt, ns, nr := sz.buckets(), sz.tables(), sz.secrets(), sz.rds()
	const awsRO = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
	polARN := func(i, j int) string { return fmt.Sprintf("arn:aws:iam::%s:policy/pol-%05d-%d", acct, i, j) }
	statements := func(i, j int) []obj {
		k := i*per + j
		var st []obj
		switch j % 5 {
		case 0:
			b1, b2 := bucket(k%nb), bucket((k*7+3)%nb)
			st = append(st, allow([]string{"s3:GetObject", "s3:PutObject"}, []string{"arn:aws:s3:::" + b1 + "/*", "arn:aws:s3:::" + b2 + "/*"}),
				allow("s3:ListBucket", []string{"arn:aws:s3:::" + b1, "arn:aws:s3:::" + b2}))
			if i%20 == 3 {
				st = append(st, allow("s3:GetObject", fmt.Sprintf("arn:aws:s3:::data-%03d*/*", i%(nb/100+1))))
			}
		case 1:
			t := fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", region, acct, table(k%nt))
			st = append(st, allow([]string{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"}, []string{t, t + "/index/*"}))
			if i%30 == 1 {
				st = append(st, allow("dynamodb:*", fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/*", region, acct)))
			}
		case 2:
			st = append(st, allow("secretsmanager:GetSecretValue", secretARN(k % ns)[:len(secretARN(k%ns))-6]+"*"))
			if i%100 == 5 {
				st = append(st, obj{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
					"Condition": obj{"StringEquals": obj{"aws:ResourceTag/team": fmt.Sprintf("team-%d", i%17)}}})
			}
		case 3:
			user := "/*"
			if k%2 == 1 {
				user = "/app_user"
			}
			st = append(st, allow("rds-db:connect", fmt.Sprintf("arn:aws:rds-db:%s:%s:dbuser:%s%s", region, acct, dbiResource(k%nr), user)))
		default:
			st = append(st, allow([]string{"logs:CreateLogStream", "logs:PutLogEvents", "cloudwatch:PutMetricData"}, "*"),
				allow([]string{"ecr:GetAuthorizationToken", "ecr:BatchGetImage"}, "*"))
			if i%50 == 0 {
				st = append(st, allow("s3:*", "*"))
			}
			if i%200 == 9 {
				st = append(st, allow("*", "*"))
			}
		}
		return append(st, obj{"Effect": "Deny", "Action": []string{"s3:DeleteObject", "dynamodb:DeleteTable"}, "Resource": "*",
			"Condition": obj{"Bool": obj{"aws:SecureTransport": "false"}}})
	}
	if g.err != nil {
		return
	}
	g.err = g.stream(gl+"iam/get-account-authorization-details.json", func(w *bufio.Writer, enc *json.Encoder) error {
		w.WriteString(`{"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [`)
		for i := 0; i < sz.roles; i++ {
			if i > 0 {
				w.WriteByte(',')
			}
			var attached []obj
			for j := 0; j < per; j++ {
				attached = append(attached, obj{"PolicyName": fmt.Sprintf("pol-%05d-%d", i, j), "PolicyArn": polARN(i, j)})
			}
			if i%40 == 0 {
				attached = append(attached, obj{"PolicyName": "AmazonS3ReadOnlyAccess", "PolicyArn": awsRO})
			}
			principal := obj{"Service": "ecs-tasks.amazonaws.com"}
			if i%25 == 11 {
				principal = obj{"Service": "lambda.amazonaws.com"}
			}
			trust := obj{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
			if i%7 == 0 {
				trust["Condition"] = obj{"StringEquals": obj{"aws:SourceAccount": acct}}
			}
			if err := enc.Encode(obj{"Path": "/", "RoleName": roleName(i), "RoleId": fmt.Sprintf("AROA%017d", i), "Arn": roleARN(i),
				"CreateDate": "2026-10-01T10:00:00+00:00", "AssumeRolePolicyDocument": doc(trust), "InstanceProfileList": []obj{},
				"RolePolicyList": []obj{{"PolicyName": "inline", "PolicyDocument": doc(allow("sqs:SendMessage",
					fmt.Sprintf("arn:aws:sqs:%s:%s:q-%d", region, acct, i%100)))}},
				"AttachedManagedPolicies": attached, "Tags": []obj{}, "RoleLastUsed": obj{}}); err != nil {
				return err
			}
		}
		w.WriteString(`], "Policies": [`)
		for i := 0; i < sz.roles; i++ {
			for j := 0; j < per; j++ {
				if i+j > 0 {
					w.WriteByte(',')
				}
				if err := enc.Encode(obj{"PolicyName": fmt.Sprintf("pol-%05d-%d", i, j), "PolicyId": fmt.Sprintf("ANPA%012d%d", i, j),
					"Arn": polARN(i, j), "Path": "/", "DefaultVersionId": "v1", "AttachmentCount": 1, "IsAttachable": true,
					"PolicyVersionList": []obj{{"Document": doc(statements(i, j)...), "VersionId": "v1", "IsDefaultVersion": true}}}); err != nil {
					return err
				}
			}
		}
		w.WriteString(",")
		if err := enc.Encode(obj{"PolicyName": "AmazonS3ReadOnlyAccess", "Arn": awsRO, "Path": "/", "DefaultVersionId": "v3",
			"PolicyVersionList": []obj{{"Document": doc(allow([]string{"s3:Get*", "s3:List*"}, "*")), "VersionId": "v3", "IsDefaultVersion": true}}}); err != nil {
			return err
		}
		w.WriteString("]}\n")
		return nil
	})
}
