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



# ---------- managed data services ----------
# The recorded estate's network (estate/ec2): VPC vpc-06a22444b7946ea01 with
# the subnets "private" subnet-00a7ff0f29a2f7dd7 and "public"
# subnet-02e1a5b426e2b16a9, and security group sg-0d80b64eab206a948 of its
# instances. Data-service records are moved into that network (ids only) and
# into the estate's account, so one snapshot holds a consistent estate.
ACCOUNT = "644160558196"
VPC = "vpc-06a22444b7946ea01"
SUBNETS = ["subnet-00a7ff0f29a2f7dd7", "subnet-02e1a5b426e2b16a9"]
SG = "sg-0d80b64eab206a948"


def subst(o, pairs):
    """Replace substrings in every string of o (ids, names, accounts)."""
    if isinstance(o, dict):
        return {k: subst(v, pairs) for k, v in o.items()}
    if isinstance(o, list):
        return [subst(v, pairs) for v in o]
    if isinstance(o, str):
        for a, b in pairs:
            o = o.replace(a, b)
    return o


def eks_cluster(root):
    """cloud-custodian's recorded test_f2 cluster (endpointPublicAccess true,
    publicAccessCidrs 0.0.0.0/0) served as the estate's cluster "example"
    (list-clusters and the node groups name it): name and ARN renamed, the
    VPC, subnets and security groups moved into the estate's network, and
    status ACTIVE instead of the recording's DELETING."""
    d = placebo(root, P + "test_eks_delete_with_both/eks.DescribeCluster_1.json")
    c = subst(d["cluster"], [("test_f2", "example")])
    vpc = c["resourcesVpcConfig"]
    vpc["vpcId"], vpc["subnetIds"], vpc["securityGroupIds"] = VPC, list(SUBNETS), [SG]
    c["status"] = "ACTIVE"
    return {"cluster": c}


def db_clusters(root):
    """The AWS CLI example's Aurora cluster (describe-db-clusters example 1)
    made the Aurora PostgreSQL cluster "pg2-cluster" that examples 2 and 3
    name (engine aurora-postgresql, their endpoints), with the parameter group
    default.aurora-postgresql9.6 of describe-db-cluster-parameter-groups, the
    PostgreSQL port 5432, one writer member, the subnet group of
    describe-db-subnet-groups and the estate's security group; the MySQL
    engine version is dropped (no example gives a PostgreSQL one)."""
    c = rst_output(root, "rds/describe-db-clusters.rst", 0)["DBClusters"][0]
    c = subst(c, [("mydbcluster", "pg2-cluster"), ("123456789012", ACCOUNT), ("814387698303", ACCOUNT)])
    c.pop("EngineVersion")
    c.update({
        "Engine": "aurora-postgresql",
        "DBClusterParameterGroup": "default.aurora-postgresql9.6",
        "DatabaseName": "pg2",
        "Port": 5432,
        "DBSubnetGroup": "mydbsubnetgroup",
        "VpcSecurityGroups": [{"VpcSecurityGroupId": SG, "Status": "active"}],
        "DBClusterMembers": [dict(c["DBClusterMembers"][-1], DBInstanceIdentifier="pg2-cluster-instance-1")],
    })
    return {"DBClusters": [c]}


def db_subnet_groups(root):
    """describe-db-subnet-groups example with the estate's VPC and subnets."""
    d = rst_output(root, "rds/describe-db-subnet-groups.rst", 0)
    g = subst(d["DBSubnetGroups"][0], [("123456789012", ACCOUNT)])
    g["VpcId"] = VPC
    g["Subnets"] = [dict(s, SubnetIdentifier=sid, SubnetAvailabilityZone={"Name": "us-east-1a"})
                    for s, sid in zip(g["Subnets"], SUBNETS)]
    return {"DBSubnetGroups": [g]}


def dynamodb_table(root):
    """cartography's first DynamoDB table (its list-tables test wraps each
    describe-table output), in the estate's account."""
    t = cartography(root, "dynamodb.py.txt", "LIST_DYNAMODB_TABLES")["Tables"][0]
    return subst(t, [("000000000000", ACCOUNT)])


def bucket_policy(root):
    """The get-bucket-policy example (Allow Principal "*" s3:GetObject) on
    bucket-2, the estate bucket without a public access block."""
    return subst(rst_output(root, "s3api/get-bucket-policy.rst", 0), [("amzn-s3-demo-bucket", "bucket-2")])


def policy_status_public(root):
    """The get-bucket-policy-status example with IsPublic true, as S3
    reports it for bucket-2's policy."""
    d = rst_output(root, "s3api/get-bucket-policy-status.rst", 0)
    d["PolicyStatus"]["IsPublic"] = True
    return d


BOTOCORE_EXAMPLES = "botocore-examples"


def botocore_example(root, service, op, index=0):
    """An output from botocore's examples-1.json (AWS's own API examples,
    shipped with botocore 1.43.11, Apache-2.0)."""
    import glob
    import botocore as _b
    paths = glob.glob(os.path.join(os.path.dirname(_b.__file__), "data", service, "*", "examples-1.json"))
    for path in sorted(paths, reverse=True):
        ex = json.load(open(path))["examples"].get(op)
        if ex:
            return ex[index]["output"]
    raise SystemExit("no botocore example for %s %s" % (service, op))


def _cache_clusters(root):
    return cartography(root, "elasticache.py.txt", "DESCRIBE_CACHE_CLUSTERS")["CacheClusters"]


def cache_clusters(root):
    """cartography's six redis nodes of replication group test-group, with
    the estate's security group (the recording has placeholders "0", "sg-1",
    …) and, as --show-cache-node-info returns, one CacheNodes entry each in
    the shape of botocore's DescribeCacheClusters example (node 0001, port
    6379, address <cluster>.ameaqx.0001.use1.cache.amazonaws.com)."""
    out = []
    for c in _cache_clusters(root):
        c = subst(c, [("123456789000", ACCOUNT)])
        c["SecurityGroups"] = [{"SecurityGroupId": SG, "Status": "active"}]
        node = dict(botocore_example(root, "elasticache", "DescribeCacheClusters", 1)["CacheClusters"][0]["CacheNodes"][0])
        node.update(CacheNodeCreateTime=c["CacheClusterCreateTime"], CustomerAvailabilityZone=c["PreferredAvailabilityZone"],
                    Endpoint={"Address": "%s.ameaqx.0001.use1.cache.amazonaws.com" % c["CacheClusterId"], "Port": 6379})
        c["CacheNodes"] = [node]
        out.append(c)
    return {"CacheClusters": out}


def replication_groups(root):
    """botocore's DescribeReplicationGroups example (cluster-mode redis)
    rebuilt for cartography's test-group: its member clusters and node
    groups, their encryption settings, and a configuration endpoint in the
    address form of the example's nodes (port 6379)."""
    ex = botocore_example(root, "elasticache", "DescribeReplicationGroups")
    g = dict(ex["ReplicationGroups"][0])
    cl = _cache_clusters(root)
    groups = {}
    for c in cl:
        ng = c["CacheClusterId"].split("-")[2]
        groups.setdefault(ng, []).append({"CacheClusterId": c["CacheClusterId"], "CacheNodeId": "0001",
                                          "PreferredAvailabilityZone": c["PreferredAvailabilityZone"]})
    g.update({
        "ReplicationGroupId": "test-group",
        "MemberClusters": [c["CacheClusterId"] for c in cl],
        "NodeGroups": [{"NodeGroupId": k, "NodeGroupMembers": v, "Status": "available"} for k, v in sorted(groups.items())],
        "ConfigurationEndpoint": {"Address": "test-group.ameaqx.clustercfg.use1.cache.amazonaws.com", "Port": 6379},
        "ClusterEnabled": True,
        "AuthTokenEnabled": cl[0]["AuthTokenEnabled"],
        "TransitEncryptionEnabled": cl[0]["TransitEncryptionEnabled"],
        "AtRestEncryptionEnabled": cl[0]["AtRestEncryptionEnabled"],
        "ARN": "arn:aws:elasticache:us-east-1:%s:replicationgroup:test-group" % ACCOUNT,
    })
    return {"ReplicationGroups": [g]}


def cache_subnet_groups(root):
    """botocore's DescribeCacheSubnetGroups example as the subnet group
    test-redis-cluster that cartography's clusters name, in the estate's
    VPC and subnets."""
    g = dict(botocore_example(root, "elasticache", "DescribeCacheSubnetGroups")["CacheSubnetGroups"][0])
    g.update({"CacheSubnetGroupName": "test-redis-cluster", "VpcId": VPC,
              "Subnets": [{"SubnetAvailabilityZone": {"Name": "us-east-1a"}, "SubnetIdentifier": s} for s in SUBNETS]})
    return {"CacheSubnetGroups": [g]}


def _es_domain(root):
    return cartography(root, "elasticsearch.py.txt", "GET_ES_DOMAINS")[0]


def opensearch_domain_names(root):
    return {"DomainNames": [{"DomainName": _es_domain(root)["DomainName"], "EngineType": "Elasticsearch"}]}


def opensearch_domain(root):
    """cartography's VPC domain test-es-domain-1 (an Elasticsearch 7.10
    DomainStatus of the older es API) in OpenSearch's DomainStatus shape:
    ElasticsearchVersion -> EngineVersion "Elasticsearch_7.10",
    ElasticsearchClusterConfig -> ClusterConfig, the endpoint under
    Endpoints["vpc"] as AWS returns it for VPC domains, null members
    dropped, and its VPCOptions in the estate's VPC, subnets and security
    group."""
    d = subst(_es_domain(root), [("000000000000", ACCOUNT)])
    drop_none = lambda x: {k: v for k, v in x.items() if v is not None}
    out = {
        "DomainId": d["DomainId"], "DomainName": d["DomainName"], "ARN": d["ARN"],
        "Created": d["Created"], "Deleted": d["Deleted"],
        "Endpoints": {"vpc": d["Endpoint"]},
        "EngineVersion": "Elasticsearch_" + d["ElasticsearchVersion"],
        "ClusterConfig": drop_none(d["ElasticsearchClusterConfig"]),
        "EBSOptions": drop_none(d["EBSOptions"]),
        "EncryptionAtRestOptions": drop_none(d["EncryptionAtRestOptions"]),
        "VPCOptions": {"VPCId": VPC, "SubnetIds": [SUBNETS[0]], "SecurityGroupIds": [SG],
                       "AvailabilityZones": ["us-east-1a"]},
        "AccessPolicies": d["AccessPolicies"],
        "ServiceSoftwareOptions": d["ServiceSoftwareOptions"],
    }
    return {"DomainStatus": out}


def secrets(root):
    """cartography's two secrets, in the estate's account."""
    return {"SecretList": subst(cartography(root, "secretsmanager.py.txt", "LIST_SECRETS"), [("000000000000", ACCOUNT)])}


def secret_policy(root):
    """botocore's GetResourcePolicy example (GetSecretValue allowed to the
    root of account 123456789012, another account than the estate's) on
    the first secret."""
    s = secrets(root)["SecretList"][0]
    ex = dict(botocore_example(root, "secretsmanager", "GetResourcePolicy"))
    ex.update(ARN=s["ARN"], Name=s["Name"])
    return ex


def secret_no_policy(root):
    """GetResourcePolicy of a secret without a policy: only ARN and Name."""
    s = secrets(root)["SecretList"][1]
    return {"ARN": s["ARN"], "Name": s["Name"]}

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
    ("eks", "DescribeCluster", "", eks_cluster),
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
    # --- managed data services ---
    ("rds", "DescribeDBClusters", "", db_clusters),
    ("rds", "DescribeDBSubnetGroups", "", db_subnet_groups),
    # No public sample of a Redshift subnet group: the empty list AWS sends
    # when there is none (constructed), so the call and its file are tested.
    ("redshift", "DescribeClusterSubnetGroups", "", lambda r: {"ClusterSubnetGroups": []}),
    ("dynamodb", "ListTables", "", lambda r: {"TableNames": [dynamodb_table(r)["Table"]["TableName"]]}),
    ("dynamodb", "DescribeTable", "", dynamodb_table),
    ("s3", "GetBucketPolicy", "", bucket_policy),
    ("s3", "GetBucketPolicyStatus", ".public", policy_status_public),
    ("elasticache", "DescribeCacheClusters", "", cache_clusters),
    ("elasticache", "DescribeReplicationGroups", "", replication_groups),
    ("elasticache", "DescribeCacheSubnetGroups", "", cache_subnet_groups),
    ("opensearch", "ListDomainNames", "", opensearch_domain_names),
    ("opensearch", "DescribeDomain", "", opensearch_domain),
    ("secretsmanager", "ListSecrets", "", secrets),
    ("secretsmanager", "GetResourcePolicy", "", secret_policy),
    ("secretsmanager", "GetResourcePolicy", ".none", secret_no_policy),
]
