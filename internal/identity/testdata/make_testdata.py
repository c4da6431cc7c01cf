#!/usr/bin/env python3
"""Writes testdata/snapshot/ (an AWS snapshot, docs/aws-snapshot.md layout)
for internal/identity's tests. See
PROVENANCE.md. Run from this directory: python3 make_testdata.py
(reads /work/shared/data/envs and ../../workload/ecs/testdata/ecs-mixed)."""
import copy, json, os, shutil, urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ENVS = "/work/shared/data/envs"
PLACEBO = ENVS + "/aws-api-samples/cloud-custodian-placebo"
OUT = os.path.join(HERE, "snapshot")
ECS_ACCT, ECS_REG = "111122223333", "eu-west-1"
EKS_ACCT, EKS_REG = "644160558196", "us-east-1"   # account/region of the recorded describe-cluster


def iso(v):
    """botocore placebo datetimes → the ISO-8601 text the AWS CLI prints."""
    if isinstance(v, dict):
        if v.get("__class__") == "datetime":
            return "%04d-%02d-%02dT%02d:%02d:%02d+00:00" % (v["year"], v["month"], v["day"], v["hour"], v["minute"], v["second"])
        return {k: iso(x) for k, x in v.items()}
    if isinstance(v, list):
        return [iso(x) for x in v]
    return v


def dump(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


# 1. The ECS snapshot of internal/workload/ecs (bridge task "web" on an EC2
#    container instance, awsvpc Fargate task "api").
if os.path.exists(OUT):
    shutil.rmtree(OUT)
shutil.copytree(os.path.join(HERE, "..", "..", "workload", "ecs", "testdata", "ecs-mixed"), OUT)
man = json.load(open(os.path.join(OUT, "manifest.json")))
man["accounts"] = [{"account_id": ECS_ACCT}, {"account_id": EKS_ACCT}]
man["regions"] = [ECS_REG, EKS_REG]
man["tool"] = "make_testdata.py (internal/identity)"
dump(os.path.join(OUT, "manifest.json"), man)

# The recorded instance (cloud-custodian placebo, botocore response) whose
# IamInstanceProfile and MetadataOptions shapes the instances below copy.
rec = json.load(open(PLACEBO + "/test_ec2_has_specific_managed_policy/ec2.DescribeInstances_1.json"))["data"]
tmpl = iso([i for r in rec["Reservations"] for i in r["Instances"] if i.get("IamInstanceProfile")][0])
MO = tmpl["MetadataOptions"]   # {"State": "applied", "HttpTokens": "optional", "HttpPutResponseHopLimit": 1, …}

di = os.path.join(OUT, ECS_ACCT, ECS_REG, "ec2", "describe-instances.json")
d = json.load(open(di))
for r in d["Reservations"]:
    for i in r["Instances"]:
        if i["InstanceId"] == "i-0ecs000000000001":
            i["IamInstanceProfile"] = {"Arn": f"arn:aws:iam::{ECS_ACCT}:instance-profile/ecs-host", "Id": "AIPAECSHOSTPROFILE01"}
            i["MetadataOptions"] = copy.deepcopy(MO)     # IMDSv1 allowed, hop limit 1 (as recorded)
dump(di, d)

# 2. EKS worker nodes (account/region of the recorded cluster).
def node(iid, ip, mo):
    i = copy.deepcopy(tmpl)
    i["InstanceId"] = iid
    i["PrivateIpAddress"] = ip
    i["PrivateDnsName"] = "ip-%s.ec2.internal" % ip.replace(".", "-")
    i.pop("PublicIpAddress", None); i.pop("PublicDnsName", None)
    i["Placement"]["AvailabilityZone"] = EKS_REG + "a"
    i["NetworkInterfaces"] = []
    i["IamInstanceProfile"] = {"Arn": f"arn:aws:iam::{EKS_ACCT}:instance-profile/eks-node", "Id": "AIPAEKSNODEPROFILE01"}
    if mo is None:
        i.pop("MetadataOptions")
    else:
        i["MetadataOptions"] = mo
    return i
req1 = dict(MO, HttpTokens="required", HttpPutResponseHopLimit=1)   # EKS best-practices setting
req2 = dict(MO, HttpTokens="required", HttpPutResponseHopLimit=2)
off = dict(MO, HttpEndpoint="disabled")
dump(os.path.join(OUT, EKS_ACCT, EKS_REG, "ec2", "describe-instances.json"), {"Reservations": [
    {"ReservationId": "r-0eks000000000001", "OwnerId": EKS_ACCT, "Groups": [], "Instances": [
        node("i-0eksnode00000001", "10.0.7.11", req1),
        node("i-0eksnode00000002", "10.0.7.12", req2),
        node("i-0eksnode00000003", "10.0.7.13", None),
        node("i-0eksnode00000004", "10.0.7.14", off)]}]})

# 3. The recorded eks describe-cluster (its issuer is the one the trust policies name).
rec = iso(json.load(open(PLACEBO + "/test_eks_metrics/eks.DescribeCluster_1.json"))["data"])
rec.pop("ResponseMetadata", None)
name = rec["cluster"]["name"]
dump(os.path.join(OUT, EKS_ACCT, EKS_REG, "eks", "describe-cluster", name + ".json"), rec)
dump(os.path.join(OUT, EKS_ACCT, EKS_REG, "eks", "list-clusters.json"), {"clusters": [name]})
ISSUER = rec["cluster"]["identity"]["oidc"]["issuer"]
PROV = ISSUER.removeprefix("https://")

# 4. IAM (get-account-authorization-details), one file per account.
def role(acct, name, trust, profiles=(), encode=False):
    doc = json.dumps(trust) if not encode else urllib.parse.quote(json.dumps(trust), safe="")
    return {"Path": "/", "RoleName": name, "RoleId": "AROA" + name.upper().replace("-", "")[:16].ljust(16, "X"),
            "Arn": f"arn:aws:iam::{acct}:role/{name}", "CreateDate": "2026-01-01T00:00:00+00:00",
            "AssumeRolePolicyDocument": trust if not encode else doc,
            "InstanceProfileList": [{"Path": "/", "InstanceProfileName": p, "InstanceProfileId": "AIPA" + p.upper().replace("-", ""),
                                     "Arn": f"arn:aws:iam::{acct}:instance-profile/{p}", "CreateDate": "2026-01-01T00:00:00+00:00",
                                     "Roles": []} for p in profiles],
            "RolePolicyList": [], "AttachedManagedPolicies": [], "Tags": [], "RoleLastUsed": {}}

def svc(*services, cond=None):
    st = {"Effect": "Allow", "Principal": {"Service": list(services) if len(services) > 1 else services[0]}, "Action": "sts:AssumeRole"}
    if cond:
        st["Condition"] = cond
    return {"Version": "2012-10-17", "Statement": [st]}

def irsa(sub, op="StringEquals", extra=None, aud=True):
    """The trust policy of the EKS user guide ("Assign IAM roles to Kubernetes service accounts")."""
    c = {op: {f"{PROV}:sub": sub}}
    if aud:
        c.setdefault("StringEquals", {})[f"{PROV}:aud"] = "sts.amazonaws.com"
    if extra:
        c.update(extra)
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{EKS_ACCT}:oidc-provider/{PROV}"},
            "Action": "sts:AssumeRoleWithWebIdentity", "Condition": c}]}

ecs_roles = [
    # terraform-aws-ecs modules/service (tasks_assume_role_policy): ecs-tasks with the confused-deputy conditions.
    role(ECS_ACCT, "api-task", svc("ecs-tasks.amazonaws.com", cond={
        "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{ECS_REG}:{ECS_ACCT}:*"},
        "StringEquals": {"aws:SourceAccount": ECS_ACCT}})),
    # CloudGoat ecs_privesc_evade_protection ec2_role, without ecs-tasks: the wrong service principal.
    role(ECS_ACCT, "web-task", svc("ec2.amazonaws.com")),
    # CloudGoat ecs_privesc_evade_protection ec2_role (trusts both): the container instances' role.
    role(ECS_ACCT, "ecs-host", svc("ec2.amazonaws.com", "ecs-tasks.amazonaws.com"), profiles=["ecs-host"]),
]
eks_roles = [
    role(EKS_ACCT, "shop-api", irsa("system:serviceaccount:shop:api"), encode=True),
    role(EKS_ACCT, "shop-worker", irsa("system:serviceaccount:shop:worker")),
    role(EKS_ACCT, "shop-any", irsa("system:serviceaccount:shop:*", op="StringLike")),
    role(EKS_ACCT, "shop-ip", irsa("system:serviceaccount:shop:ipcond", extra={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
    role(EKS_ACCT, "aud-only", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{EKS_ACCT}:oidc-provider/{PROV}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{PROV}:aud": "sts.amazonaws.com"}}}]}),
    # terraform-aws-eks eks-managed-node-group: the node role trusts EC2.
    role(EKS_ACCT, "eks-node", svc("ec2.amazonaws.com"), profiles=["eks-node"]),
]
for acct, roles in ((ECS_ACCT, ecs_roles), (EKS_ACCT, eks_roles)):
    dump(os.path.join(OUT, acct, "global", "iam", "get-account-authorization-details.json"),
         {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": []})
