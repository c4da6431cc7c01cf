#!/usr/bin/env python3
"""Converts cloud-custodian placebo recordings (botocore responses) into the
AWS CLI snapshot layout: strips the {"status_code","data"} wrapper and turns
placebo datetime objects into the ISO-8601 strings the CLI prints.
Source: /work/shared/data/envs/aws-api-samples/cloud-custodian-placebo
(github.com/cloud-custodian/cloud-custodian@df800e9e, tests/data/placebo, Apache-2.0)."""
import json, os, sys
SRC = "/work/shared/data/envs/aws-api-samples/cloud-custodian-placebo"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "placebo", "644160558196", "us-east-1")

def fix(o):
    if isinstance(o, dict):
        if o.get("__class__") == "datetime":
            return "%04d-%02d-%02dT%02d:%02d:%02d+00:00" % (o["year"], o["month"], o["day"], o["hour"], o["minute"], o["second"])
        return {k: fix(v) for k, v in o.items()}
    if isinstance(o, list):
        return [fix(v) for v in o]
    return o

def load(folder, name):
    with open(os.path.join(SRC, folder, name)) as f:
        d = json.load(f)["data"]
    d.pop("ResponseMetadata", None)
    return fix(d)

def put(rel, obj):
    p = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        json.dump(obj, f, indent=4); f.write("\n")

put("ec2/describe-network-interfaces.json", load("test_eni_public_subnet", "ec2.DescribeNetworkInterfaces_1.json"))
put("ec2/describe-route-tables.json", load("test_eni_public_subnet", "ec2.DescribeRouteTables_1.json"))
put("ec2/describe-subnets.json", load("test_eni_public_subnet", "ec2.DescribeSubnets_1.json"))
put("ec2/describe-network-acls.json", load("test_network_acl_s3_present", "ec2.DescribeNetworkAcls_1.json"))
put("ec2/describe-security-groups.json", load("ec2_security_group_filter_multi_enis", "ec2.DescribeSecurityGroups_1.json"))
put("ec2/describe-instances.json", load("ec2_igw_subnet", "ec2.DescribeInstances_1.json"))
lbs = load("test_appelb_listener_rules", "elasticloadbalancing.DescribeLoadBalancers_1.json")
put("elbv2/describe-load-balancers.json", lbs)
ls = load("test_appelb_listener_rules", "elasticloadbalancing.DescribeListeners_1.json")
put("elbv2/describe-listeners.json", {lbs["LoadBalancers"][0]["LoadBalancerArn"]: ls})
rules = load("test_appelb_listener_rules", "elasticloadbalancing.DescribeRules_1.json")
put("elbv2/describe-rules/%s.json" % "".join(c if c.isalnum() or c in "._-" else "_" for c in ls["Listeners"][0]["ListenerArn"]), rules)
