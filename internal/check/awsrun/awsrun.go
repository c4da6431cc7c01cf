// Package awsrun is the run-phase AWS input of `sightline check`: an AWS
// snapshot (docs/aws-snapshot.md, written by `sightline collect aws`) read
// into one check.Object per resource the rules look at, with the
// resource as the AWS CLI prints it in Data (the API's own field names:
// MetadataOptions.HttpTokens, imageScanningConfiguration.scanOnPush …) and
// the exposure engine's results in Vars.exposure (reach.AnalyzeAWS, the
// same analysis as `sightline exposure`). What the snapshot does not hold
// is unknown, never a pass: a per-resource call that was not collected
// makes its fields Object.Unknown paths.
package awsrun

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/check/awsexposure"
	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/reach"
)

// Types of the Objects, CloudFormation-style.
const (
	TypeInstance      = "AWS::EC2::Instance"
	TypeSecurityGroup = "AWS::EC2::SecurityGroup"
	TypeVolume        = "AWS::EC2::Volume"
	TypeDBInstance    = "AWS::RDS::DBInstance"
	TypeBucket        = "AWS::S3::Bucket"
	TypeRepository    = "AWS::ECR::Repository"
	TypeCluster       = "AWS::EKS::Cluster"
)

// Load reads the snapshot in dir and runs the exposure analysis.
func Load(ctx context.Context, dir string) (check.Set, error) {
	snap, err := snapshot.Load(ctx, dir)
	if err != nil {
		return check.Set{}, err
	}
	_, rep, err := reach.AnalyzeAWS(ctx, snap)
	if err != nil {
		return check.Set{}, err
	}
	res := awsexposure.Index(rep)
	var set check.Set
	for _, reg := range snap.Regions {
		r := &region{reg: reg, res: res, set: &set, man: snap.Manifest}
		if err := r.read(); err != nil {
			return check.Set{}, err
		}
	}
	set.Objects = dedup(set.Objects)
	return set, nil
}

// dedup keeps the first Object of each type and name in one account and
// region: list outputs merged from overlapping pages can hold a resource
// twice, which would report each finding twice.
func dedup(objs []check.Object) []check.Object {
	seen := map[string]bool{}
	out := objs[:0]
	for _, o := range objs {
		k := fmt.Sprint(o.Vars["account"], "/", o.Vars["region"], "/", o.Type, "/", o.Name)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, o)
	}
	return out
}

type region struct {
	man *layout.Manifest // nil for a snapshot without manifest.json
	reg *snapshot.Region
	res *awsexposure.Results
	set *check.Set
}

// file is the path of an operation's list output.
func (r *region) file(op string) string {
	return filepath.Join(r.reg.Dir, filepath.FromSlash(op)+".json")
}

// list reads the list member top of op's output as raw JSON objects; ok
// false when the file is absent (not collected).
func (r *region) list(op, top string) ([]map[string]any, bool, error) {
	if !r.reg.Has(op) {
		return nil, false, nil
	}
	p := r.file(op)
	b, err := os.ReadFile(p)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("reading %s: %w", p, err)
	}
	if len(b) == 0 {
		return nil, false, nil
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, false, fmt.Errorf("%s: %w", p, err)
	}
	var out []map[string]any
	if raw, ok := doc[top]; ok {
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, false, fmt.Errorf("%s: %s: %w", p, top, err)
		}
	}
	for _, m := range out {
		check.Normalize(m)
	}
	return out, true, nil
}

// perResource reads the output of a per-resource operation for arg: the
// per-resource file or the keyed-object form (docs/aws-snapshot.md).
func (r *region) perResource(op, arg string) (map[string]any, bool, error) {
	p := filepath.Join(r.reg.Dir, filepath.FromSlash(op), layout.EncodeID(arg)+".json")
	b, err := os.ReadFile(p)
	if err == nil {
		if len(b) == 0 {
			return nil, false, nil
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, false, fmt.Errorf("%s: %w", p, err)
		}
		check.Normalize(m)
		return m, true, nil
	}
	b, err = os.ReadFile(r.file(op))
	if err != nil || len(b) == 0 {
		return nil, false, nil
	}
	var keyed map[string]map[string]any
	if err := json.Unmarshal(b, &keyed); err != nil {
		return nil, false, fmt.Errorf("%s: %w", r.file(op), err)
	}
	m, ok := keyed[arg]
	if ok {
		check.Normalize(m)
	}
	return m, ok, nil
}

func (r *region) add(typ, name, resource, op string, data map[string]any) *check.Object {
	r.set.Objects = append(r.set.Objects, check.Object{Input: check.InputAWS, Type: typ, Name: name,
		Location: check.Location{File: r.file(op), Resource: resource}, Data: data,
		Vars: map[string]any{"account": r.reg.Account, "region": r.reg.Name}})
	return &r.set.Objects[len(r.set.Objects)-1]
}

func (r *region) read() error {
	for _, step := range []func() error{r.instances, r.groups, r.volumes, r.databases, r.repositories, r.clusters, r.buckets} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// unknownExposure is the exposure of a resource the engine has no
// results for: one unknown row per protocol naming why.
func unknownExposure(resource, why string) []exposure.Result {
	var out []exposure.Result
	for _, p := range []string{"tcp", "udp"} {
		out = append(out, exposure.Result{Resource: resource, Protocol: p, ToPort: 65535, Verdict: exposure.Unknown, Missing: []string{why}})
	}
	return out
}

func (r *region) instances() error {
	const op = "ec2/describe-instances"
	res, ok, err := r.list(op, "Reservations")
	if err != nil || !ok {
		return err
	}
	for _, rv := range res {
		insts, _ := rv["Instances"].([]any)
		for _, x := range insts {
			in, _ := x.(map[string]any)
			id, _ := in["InstanceId"].(string)
			if id == "" {
				continue
			}
			o := r.add(TypeInstance, id, id, op, in)
			requireFields(o, "MetadataOptions")
			ids := []string{id}
			enis, _ := in["NetworkInterfaces"].([]any)
			for _, e := range enis {
				if m, ok := e.(map[string]any); ok {
					if eni, _ := m["NetworkInterfaceId"].(string); eni != "" {
						ids = append(ids, eni)
					}
				}
			}
			awsexposure.Set(o, r.res.Rows(ids...))
		}
	}
	return nil
}

func (r *region) groups() error {
	const op = "ec2/describe-security-groups"
	gs, _, err := r.list(op, "SecurityGroups")
	for _, g := range gs {
		id, _ := g["GroupId"].(string)
		r.add(TypeSecurityGroup, id, id, op, g)
	}
	return err
}

func (r *region) volumes() error {
	const op = "ec2/describe-volumes"
	vs, _, err := r.list(op, "Volumes")
	for _, v := range vs {
		id, _ := v["VolumeId"].(string)
		r.add(TypeVolume, id, id, op, v)
	}
	return err
}

// databases: RDS places a DB instance's network interface in a subnet of
// its DB subnet group with its VPC security groups (RDS User Guide,
// "Working with a DB instance in a VPC"); the snapshot lists it in
// describe-network-interfaces as requester-managed "RDSNetworkInterface"
// without naming the instance, so it is matched by subnet group and
// security groups. No match, or several instances matching the same
// interface, leaves the exposure unknown.
func (r *region) databases() error {
	const op = "rds/describe-db-instances"
	dbs, _, err := r.list(op, "DBInstances")
	if err != nil {
		return err
	}
	for _, db := range dbs {
		id, _ := db["DBInstanceIdentifier"].(string)
		arn, _ := db["DBInstanceArn"].(string)
		o := r.add(TypeDBInstance, id, or(arn, id), op, db)
		if ep, ok := db["Endpoint"].(map[string]any); ok {
			if p, ok := ep["Port"].(int64); ok {
				o.Vars["db_port"] = p
			}
		}
		for _, k := range []string{"StorageEncrypted", "PubliclyAccessible"} {
			if _, ok := db[k]; !ok {
				o.Unknown = append(o.Unknown, k)
			}
		}
		enis := r.dbInterfaces(db)
		if len(enis) == 0 {
			awsexposure.Set(o, unknownExposure(id, fmt.Sprintf("the network interface of DB instance %s is not identifiable in %s (no RDSNetworkInterface in its DB subnet group's subnets with its security groups)",
				id, r.file("ec2/describe-network-interfaces"))))
			continue
		}
		awsexposure.Set(o, r.res.Rows(enis...))
	}
	return nil
}

func (r *region) dbInterfaces(db map[string]any) []string {
	subnets := map[string]bool{}
	if g, ok := db["DBSubnetGroup"].(map[string]any); ok {
		l, _ := g["Subnets"].([]any)
		for _, s := range l {
			if m, ok := s.(map[string]any); ok {
				if id, _ := m["SubnetIdentifier"].(string); id != "" {
					subnets[id] = true
				}
			}
		}
	}
	var sgs []string
	l, _ := db["VpcSecurityGroups"].([]any)
	for _, s := range l {
		if m, ok := s.(map[string]any); ok {
			if id, _ := m["VpcSecurityGroupId"].(string); id != "" {
				sgs = append(sgs, id)
			}
		}
	}
	if len(subnets) == 0 || len(sgs) == 0 {
		return nil
	}
	sort.Strings(sgs)
	var out []string
	for i := range r.reg.NetworkInterfaces {
		e := &r.reg.NetworkInterfaces[i]
		if e.Description != "RDSNetworkInterface" || !subnets[e.SubnetId] {
			continue
		}
		var got []string
		for _, g := range e.Groups {
			got = append(got, g.GroupId)
		}
		sort.Strings(got)
		if slices.Equal(got, sgs) {
			out = append(out, e.NetworkInterfaceId)
		}
	}
	return out
}

func (r *region) repositories() error {
	const op = "ecr/describe-repositories"
	rs, _, err := r.list(op, "repositories")
	for _, x := range rs {
		name, _ := x["repositoryName"].(string)
		arn, _ := x["repositoryArn"].(string)
		requireFields(r.add(TypeRepository, name, or(arn, name), op, x), "imageScanningConfiguration", "imageTagMutability")
	}
	return err
}

// clusters reads eks list-clusters and each describe-cluster; a cluster
// whose describe-cluster was not collected is an Object whose cluster
// fields are unknown.
func (r *region) clusters() error {
	const op = "eks/list-clusters"
	if !r.reg.Has(op) {
		return nil
	}
	b, err := os.ReadFile(r.file(op))
	if err != nil || len(b) == 0 {
		return nil
	}
	var doc struct {
		Clusters []string `json:"clusters"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%s: %w", r.file(op), err)
	}
	for _, name := range doc.Clusters {
		out, ok, err := r.perResource("eks/describe-cluster", name)
		if err != nil {
			return err
		}
		if !ok {
			o := r.add(TypeCluster, name, name, op, map[string]any{"name": name, "resourcesVpcConfig": nil})
			o.Unknown = []string{"resourcesVpcConfig"}
			o.Vars["unknown"] = map[string]any{"resourcesVpcConfig": r.reg.Missing("eks/describe-cluster", name)}
			continue
		}
		c, _ := out["cluster"].(map[string]any)
		if c == nil {
			c = map[string]any{"name": name}
		}
		arn, _ := c["arn"].(string)
		r.add(TypeCluster, name, or(arn, name), "eks/describe-cluster", c)
	}
	return nil
}

// buckets reads s3api list-buckets with each bucket's
// get-public-access-block (in PublicAccessBlockConfiguration). A bucket
// without a public access block makes the API answer
// NoSuchPublicAccessBlockConfiguration, which the collector records in the
// manifest's not_found: the field is then null (known: no block). Any
// other missing output makes the field unknown.
func (r *region) buckets() error {
	const op = "s3api/list-buckets"
	bs, _, err := r.list(op, "Buckets")
	if err != nil {
		return err
	}
	for _, b := range bs {
		name, _ := b["Name"].(string)
		o := r.add(TypeBucket, name, "arn:aws:s3:::"+name, op, b)
		pab, ok, err := r.perResource("s3api/get-public-access-block", name)
		if err != nil {
			return err
		}
		switch {
		case ok:
			if c, ok := pab["PublicAccessBlockConfiguration"]; ok {
				b["PublicAccessBlockConfiguration"] = c
			}
		case r.noBlock(name):
			b["PublicAccessBlockConfiguration"] = nil
		default:
			b["PublicAccessBlockConfiguration"] = nil
			o.Unknown = append(o.Unknown, "PublicAccessBlockConfiguration")
			o.Vars["unknown"] = map[string]any{"PublicAccessBlockConfiguration": r.reg.Missing("s3api/get-public-access-block", name)}
		}
	}
	return nil
}

// noBlock reports whether the collector recorded that the bucket has no
// public access block configuration (manifest not_found,
// docs/aws-collect.md).
func (r *region) noBlock(bucket string) bool {
	if r.man == nil {
		return false
	}
	for _, n := range r.man.NotFound {
		if n.Service == "s3api" && n.Operation == "get-public-access-block" && n.ResourceID == bucket &&
			n.ErrorCode == "NoSuchPublicAccessBlockConfiguration" && (n.Account == "" || n.Account == r.reg.Account) {
			return true
		}
	}
	return false
}

// requireFields makes fields the API always returns unknown when the
// snapshot's output lacks them (a hand-made or trimmed snapshot): their
// absence is missing data, not a value.
func requireFields(o *check.Object, fields ...string) {
	for _, f := range fields {
		if _, ok := o.Data[f]; !ok {
			o.Data[f] = nil
			o.Unknown = append(o.Unknown, f)
		}
	}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
