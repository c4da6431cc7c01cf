// Command exposuregen writes a synthetic AWS estate as a snapshot in the
// AWS CLI layout (docs/aws-snapshot.md), for timing `sightline exposure`
// end to end (parsing included).
//
//	go run ./bench/exposuregen -enis 100000 -out bench/work/estate-100k
//	/usr/bin/time -v sightline exposure --aws bench/work/estate-100k --format json > /dev/null
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sightline-sec/sightline/bench/exposuregen/estate"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
)

func main() {
	enis := flag.Int("enis", 100000, "network interfaces")
	out := flag.String("out", "bench/work/estate", "output snapshot directory (must not exist)")
	seed := flag.Uint64("seed", 1, "generator seed")
	flag.Parse()
	if err := run(*enis, *out, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "exposuregen:", err)
		os.Exit(1)
	}
}

func run(enis int, out string, seed uint64) error {
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s exists; remove it first", out)
	}
	reg := estate.Generate(estate.Target(enis), seed)
	dir := filepath.Join(out, reg.Account, reg.Name)
	put := func(rel string, v any) error {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(f)
		enc.SetIndent("", "    ") // the AWS CLI indents with 4 spaces
		if err := enc.Encode(v); err != nil {
			f.Close()
			return fmt.Errorf("writing %s: %w", p, err)
		}
		return f.Close()
	}
	type res = struct{ Instances []snapshot.Instance }
	var rs []res
	for _, in := range reg.Instances {
		rs = append(rs, res{[]snapshot.Instance{in}})
	}
	files := map[string]any{
		"ec2/describe-vpcs.json":                          map[string]any{"Vpcs": reg.VPCs},
		"ec2/describe-subnets.json":                       map[string]any{"Subnets": reg.Subnets},
		"ec2/describe-route-tables.json":                  map[string]any{"RouteTables": reg.RouteTables},
		"ec2/describe-internet-gateways.json":             map[string]any{"InternetGateways": reg.InternetGateways},
		"ec2/describe-egress-only-internet-gateways.json": map[string]any{"EgressOnlyInternetGateways": []any{}},
		"ec2/describe-nat-gateways.json":                  map[string]any{"NatGateways": []any{}},
		"ec2/describe-network-acls.json":                  map[string]any{"NetworkAcls": reg.NetworkAcls},
		"ec2/describe-security-groups.json":               map[string]any{"SecurityGroups": reg.SecurityGroups},
		"ec2/describe-managed-prefix-lists.json":          map[string]any{"PrefixLists": reg.PrefixLists},
		"ec2/describe-network-interfaces.json":            map[string]any{"NetworkInterfaces": reg.NetworkInterfaces},
		"ec2/describe-instances.json":                     map[string]any{"Reservations": rs},
		"ec2/describe-addresses.json":                     map[string]any{"Addresses": []any{}},
		"ec2/describe-vpc-peering-connections.json":       map[string]any{"VpcPeeringConnections": []any{}},
		"ec2/describe-transit-gateway-attachments.json":   map[string]any{"TransitGatewayAttachments": []any{}},
		"elb/describe-load-balancers.json":                map[string]any{"LoadBalancerDescriptions": []any{}},
		"elbv2/describe-load-balancers.json":              map[string]any{"LoadBalancers": reg.LoadBalancers},
		"elbv2/describe-target-groups.json":               map[string]any{"TargetGroups": reg.TargetGroups},
	}
	pl, th, ls, rules := map[string]any{}, map[string]any{}, map[string]any{}, map[string]any{}
	for _, p := range reg.PrefixLists {
		e, _ := reg.PrefixListEntries(p.PrefixListId)
		pl[p.PrefixListId] = map[string]any{"Entries": e}
	}
	for _, tg := range reg.TargetGroups {
		h, _ := reg.TargetHealth(tg.TargetGroupArn)
		th[tg.TargetGroupArn] = map[string]any{"TargetHealthDescriptions": h}
	}
	byLB := map[string][]snapshot.Listener{}
	for _, l := range reg.Listeners {
		byLB[l.LoadBalancerArn] = append(byLB[l.LoadBalancerArn], l)
		if r, ok := reg.Rules(l.ListenerArn); ok {
			rules[l.ListenerArn] = map[string]any{"Rules": append([]snapshot.Rule{}, r...)}
		}
	}
	for lb, l := range byLB {
		ls[lb] = map[string]any{"Listeners": l}
	}
	files["ec2/get-managed-prefix-list-entries.json"] = pl
	files["elbv2/describe-target-health.json"] = th
	files["elbv2/describe-listeners.json"] = ls
	files["elbv2/describe-rules.json"] = rules
	for rel, v := range files {
		if err := put(rel, v); err != nil {
			return err
		}
	}
	fmt.Printf("wrote %s: %d interfaces, %d instances, %d security groups, %d subnets, %d load balancers\n",
		out, len(reg.NetworkInterfaces), len(reg.Instances), len(reg.SecurityGroups), len(reg.Subnets), len(reg.LoadBalancers))
	return nil
}
