package estate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
)

// Write stores reg as a snapshot in the AWS CLI layout under
// out/<account>/<region>/ (docs/aws-snapshot.md): one file per list
// operation and, for per-resource operations, one file holding an object
// keyed by the argument. Files are indented with 4 spaces as the AWS CLI
// prints them.
func Write(reg *snapshot.Region, out string) error { return write(reg, out, false) }

// WritePerResource is Write with per-resource operations stored as the
// collector stores them: one file per resource, named by layout.EncodeID.
func WritePerResource(reg *snapshot.Region, out string) error { return write(reg, out, true) }

func write(reg *snapshot.Region, out string, perResource bool) error {
	dir := filepath.Join(out, reg.Account, reg.Name)
	type res = struct{ Instances []snapshot.Instance }
	rs := make([]res, 0, len(reg.Instances))
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
	if perResource {
		for _, op := range []string{"ec2/get-managed-prefix-list-entries", "elbv2/describe-target-health",
			"elbv2/describe-listeners", "elbv2/describe-rules"} {
			for id, v := range files[op+".json"].(map[string]any) {
				files[op+"/"+layout.EncodeID(id)+".json"] = v
			}
			delete(files, op+".json")
		}
	}
	for rel, v := range files {
		if err := put(filepath.Join(dir, rel), v); err != nil {
			return err
		}
	}
	return nil
}

func put(p string, v any) error {
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
