"""Which real recorded responses become which wire fixtures (see mkwire.py).

Each entry: (botocore service, Operation, file suffix, loader(root)).
Paths are relative to /work/shared/data/envs/aws-api-samples/.
"""
import json
import os
import re

from mkwire import placebo, rst_output, cartography

P = ""


def rst_clean(root, rel, index=0):
    """CLI examples that elide parts ("...some output truncated...")."""
    path = os.path.join(root, "aws-cli-examples", rel)
    text = open(path).read()
    text = re.sub(r"\n\s*\.\.\.some output truncated\.\.\.\s*\n", "\n", text)
    text = re.sub(r",(\s*[}\]])", r"\1", text)
    return _rst_text(text, index)


def _rst_text(text, index):
    blocks = []
    for m in re.finditer(r"Output::\s*\n((?:\n|[ \t]+.*\n)+)", text):
        body = m.group(1)
        start = body.find("{")
        if start >= 0:
            blocks.append(json.JSONDecoder().raw_decode(body[start:])[0])
    return blocks[index]


def with_token(data, key, token):
    data = dict(data)
    data[key] = token
    return data


USER_DETAIL = ("Path", "UserName", "UserId", "Arn", "CreateDate")
ROLE_DETAIL = ("Path", "RoleName", "RoleId", "Arn", "CreateDate", "AssumeRolePolicyDocument")


def iam_details(root):
    """get-account-authorization-details assembled from cartography's
    list-users and list-roles records: UserDetail and RoleDetail share these
    members with User and Role; members they lack (PasswordLastUsed,
    MaxSessionDuration) are left out."""
    users = cartography(root, "iam/__init__.py.txt", "LIST_USERS")["Users"]
    roles = cartography(root, "iam/__init__.py.txt", "LIST_ROLES")["Roles"]
    return {
        "UserDetailList": [{k: u[k] for k in USER_DETAIL if k in u} for u in users],
        "RoleDetailList": [{k: r[k] for k in ROLE_DETAIL if k in r} for r in roles],
    }


def ecr_images(root):
    """cartography's DESCRIBE_IMAGES holds one ImageDetail where the API
    returns a list of them; wrap it in the list."""
    d = cartography(root, "ecr.py.txt", "DESCRIBE_IMAGES")
    return {"imageDetails": [d["imageDetails"]]}


def list_buckets(root):
    """cartography adds a "Region" key of its own to each bucket; drop it."""
    data = cartography(root, "s3.py.txt", "LIST_BUCKETS")
    data["Buckets"] = [{k: v for k, v in b.items() if k != "Region"} for b in data["Buckets"]]
    return data


SOURCES = [
    # --- EC2 (ec2 query XML) ---
    ("ec2", "DescribeSecurityGroups", ".1", lambda r: with_token(placebo(r, P + "sg_used_cross_ref/ec2.DescribeSecurityGroups_1.json"), "NextToken", "page-2-token")),
    ("ec2", "DescribeSecurityGroups", ".2", lambda r: placebo(r, P + "sg_used_cross_ref/ec2.DescribeSecurityGroups_2.json")),
    ("ec2", "DescribeInstances", "", lambda r: placebo(r, P + "ec2_igw_subnet/ec2.DescribeInstances_1.json")),
    ("ec2", "DescribeSubnets", "", lambda r: placebo(r, P + "ec2_igw_subnet/ec2.DescribeSubnets_1.json")),
    ("ec2", "DescribeRouteTables", "", lambda r: placebo(r, P + "ec2_igw_subnet/ec2.DescribeRouteTables_1.json")),
    ("ec2", "DescribeVpcs", "", lambda r: rst_output(r, "ec2/describe-vpcs.rst", 0)),
    ("ec2", "DescribeNetworkAcls", "", lambda r: rst_output(r, "ec2/describe-network-acls.rst", 0)),
    ("ec2", "DescribeAddresses", "", lambda r: rst_output(r, "ec2/describe-addresses.rst", 0)),
    ("ec2", "DescribeNatGateways", "", lambda r: rst_output(r, "ec2/describe-nat-gateways.rst", 0)),
    ("ec2", "DescribeInternetGateways", "", lambda r: rst_output(r, "ec2/describe-internet-gateways.rst", 0)),
    ("ec2", "DescribeVpcPeeringConnections", "", lambda r: rst_output(r, "ec2/describe-vpc-peering-connections.rst", 0)),
    ("ec2", "DescribeTransitGatewayAttachments", "", lambda r: rst_output(r, "ec2/describe-transit-gateway-attachments.rst", 0)),
    ("ec2", "DescribeManagedPrefixLists", "", lambda r: rst_output(r, "ec2/describe-managed-prefix-lists.rst", 0)),
    ("ec2", "GetManagedPrefixListEntries", "", lambda r: rst_output(r, "ec2/get-managed-prefix-list-entries.rst", 0)),
    ("ec2", "DescribeNetworkInterfaces", "", lambda r: placebo(r, P + "test_eip_used_by/ec2.DescribeNetworkInterfaces_1.json")),
    # --- ELB classic and ELBv2 (query XML) ---
    ("elb", "DescribeLoadBalancers", "", lambda r: rst_output(r, "elb/describe-load-balancers.rst", 0)),
    ("elbv2", "DescribeLoadBalancers", "", lambda r: placebo(r, P + "test_appelb_listener_rules/elasticloadbalancing.DescribeLoadBalancers_1.json")),
    ("elbv2", "DescribeListeners", "", lambda r: placebo(r, P + "test_appelb_listener_rules/elasticloadbalancing.DescribeListeners_1.json")),
    ("elbv2", "DescribeRules", "", lambda r: placebo(r, P + "test_appelb_listener_rules/elasticloadbalancing.DescribeRules_1.json")),
    ("elbv2", "DescribeTargetGroups", "", lambda r: rst_output(r, "elbv2/describe-target-groups.rst", 0)),
    ("elbv2", "DescribeTargetHealth", "", lambda r: rst_output(r, "elbv2/describe-target-health.rst", 0)),
    ("elbv2", "DescribeTargetGroupAttributes", "", lambda r: placebo(r, P + "test_target_group_attributes_filter_action/elasticloadbalancing.DescribeTargetGroupAttributes_1.json")),
    # --- ECS (JSON 1.1) ---
    ("ecs", "ListClusters", "", lambda r: placebo(r, P + "test_ecs_task_delete/ecs.ListClusters_1.json")),
    ("ecs", "DescribeClusters", "", lambda r: placebo(r, P + "test_ecs_task_delete/ecs.DescribeClusters_1.json")),
    ("ecs", "ListTasks", "", lambda r: placebo(r, P + "test_ecs_task_delete/ecs.ListTasks_1.json")),
    ("ecs", "DescribeTasks", "", lambda r: placebo(r, P + "test_ecs_task_delete/ecs.DescribeTasks_1.json")),
    ("ecs", "ListServices", "", lambda r: placebo(r, P + "test_ecs_service_update_definition/ecs.ListServices_1.json")),
    ("ecs", "DescribeServices", "", lambda r: placebo(r, P + "test_ecs_service_update_definition/ecs.DescribeServices_1.json")),
    ("ecs", "DescribeTaskDefinition", "", lambda r: placebo(r, P + "test_ecs_service_update_definition/ecs.DescribeTaskDefinition_1.json")),
    ("ecs", "ListContainerInstances", "", lambda r: rst_output(r, "ecs/list-container-instances.rst", 0)),
    ("ecs", "DescribeContainerInstances", "", lambda r: rst_output(r, "ecs/describe-container-instances.rst", 0)),
    # --- EKS and Lambda (REST-JSON) ---
    ("eks", "ListClusters", "", lambda r: placebo(r, P + "test_eks_nodegroup_delete/eks.ListClusters_1.json")),
    ("eks", "DescribeCluster", "", lambda r: placebo(r, P + "test_eks_delete_with_both/eks.DescribeCluster_1.json")),
    ("eks", "ListNodegroups", "", lambda r: placebo(r, P + "test_eks_nodegroup_delete/eks.ListNodegroups_1.json")),
    ("eks", "DescribeNodegroup", "", lambda r: placebo(r, P + "test_eks_nodegroup_delete/eks.DescribeNodegroup_1.json")),
    ("lambda", "ListFunctions", "", lambda r: rst_output(r, "lambda/list-functions.rst", 0)),
    # --- ECR (JSON 1.1), RDS, Redshift, IAM (query XML) ---
    ("ecr", "DescribeRepositories", "", lambda r: cartography(r, "ecr.py.txt", "DESCRIBE_REPOSITORIES")),
    ("ecr", "DescribeImages", "", ecr_images),
    ("rds", "DescribeDBInstances", "", lambda r: rst_clean(r, "rds/describe-db-instances.rst", 0)),
    ("redshift", "DescribeClusters", "", lambda r: {"Clusters": cartography(r, "redshift.py.txt", "CLUSTERS")}),
    ("iam", "GetAccountAuthorizationDetails", "", iam_details),
    # --- S3 (REST-XML) ---
    ("s3", "ListBuckets", "", list_buckets),
    ("s3", "GetPublicAccessBlock", "", lambda r: rst_output(r, "s3api/get-public-access-block.rst", 0)),
    ("s3", "GetBucketPolicyStatus", "", lambda r: rst_output(r, "s3api/get-bucket-policy-status.rst", 0)),
]
