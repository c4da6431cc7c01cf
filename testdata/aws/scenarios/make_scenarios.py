#!/usr/bin/env python3
"""Writes the scenario snapshots in this directory (AWS CLI JSON layout,
docs/aws-snapshot.md). Shapes follow the AWS CLI documentation examples in
aws/aws-cli awscli/examples/{ec2,elbv2,ecs} (Apache-2.0); identifiers and
addresses are made up (public addresses are real AWS-style ranges so that
they count as internet sources). Run: python3 make_scenarios.py"""
import copy, json, os, re, shutil

ACCT, REG = "111122223333", "eu-west-1"
HERE = os.path.dirname(os.path.abspath(__file__))

def encode_id(s):
    """layout.EncodeID: bytes outside [A-Za-z0-9._-] (and a leading '.') as %XX."""
    out = []
    for i, b in enumerate(s.encode()):
        c = chr(b)
        if re.fullmatch(r"[A-Za-z0-9._-]", c) and not (i == 0 and c == "."): out.append(c)
        else: out.append("%%%02X" % b)
    r = "".join(out)
    assert len(r) <= 200, "ids longer than 200 encoded bytes are not used here"
    return r

def vpc(vid, cidr, v6=None):
    v = {"CidrBlock": cidr, "DhcpOptionsId": "dopt-0f1e2d3c4b5a69788", "State": "available", "VpcId": vid,
         "OwnerId": ACCT, "InstanceTenancy": "default", "IsDefault": False,
         "CidrBlockAssociationSet": [{"AssociationId": "vpc-cidr-assoc-" + vid[4:], "CidrBlock": cidr,
                                      "CidrBlockState": {"State": "associated"}}], "Tags": []}
    if v6:
        v["Ipv6CidrBlockAssociationSet"] = [{"AssociationId": "vpc-cidr-assoc-6" + vid[5:], "Ipv6CidrBlock": v6,
                                             "Ipv6CidrBlockState": {"State": "associated"}, "NetworkBorderGroup": REG,
                                             "Ipv6Pool": "Amazon"}]
    return v

def subnet(sid, vid, cidr, az="a", v6=None, public=False):
    s = {"AvailabilityZone": REG + az, "AvailabilityZoneId": "euw1-az1", "AvailableIpAddressCount": 250,
         "CidrBlock": cidr, "DefaultForAz": False, "MapPublicIpOnLaunch": public, "State": "available",
         "SubnetId": sid, "VpcId": vid, "OwnerId": ACCT, "AssignIpv6AddressOnCreation": bool(v6),
         "Ipv6CidrBlockAssociationSet": [],
         "SubnetArn": f"arn:aws:ec2:{REG}:{ACCT}:subnet/{sid}", "Tags": [{"Key": "Name", "Value": sid}]}
    if v6:
        s["Ipv6CidrBlockAssociationSet"] = [{"AssociationId": "subnet-cidr-assoc-" + sid[7:], "Ipv6CidrBlock": v6,
                                             "Ipv6CidrBlockState": {"State": "associated"}}]
    return s

def route(dest, target, state="active"):
    r = {"Origin": "CreateRoute", "State": state}
    if dest.startswith("pl-"): r["DestinationPrefixListId"] = dest
    elif ":" in dest: r["DestinationIpv6CidrBlock"] = dest
    else: r["DestinationCidrBlock"] = dest
    if target == "local": r["GatewayId"] = "local"; r["Origin"] = "CreateRouteTable"
    elif target.startswith("igw-"): r["GatewayId"] = target
    elif target.startswith("eigw-"): r["EgressOnlyInternetGatewayId"] = target
    elif target.startswith("nat-"): r["NatGatewayId"] = target
    elif target.startswith("pcx-"): r["VpcPeeringConnectionId"] = target
    elif target.startswith("tgw-"): r["TransitGatewayId"] = target
    elif target.startswith("eni-"): r["NetworkInterfaceId"] = target
    return r

def rtb(rid, vid, routes, subnets=(), main=False):
    assoc = []
    if main:
        assoc.append({"Main": True, "RouteTableAssociationId": "rtbassoc-m" + rid[4:], "RouteTableId": rid,
                      "AssociationState": {"State": "associated"}})
    for s in subnets:
        assoc.append({"Main": False, "RouteTableAssociationId": "rtbassoc-" + s[7:], "RouteTableId": rid,
                      "SubnetId": s, "AssociationState": {"State": "associated"}})
    return {"Associations": assoc, "PropagatingVgws": [], "RouteTableId": rid, "Routes": routes, "Tags": [],
            "VpcId": vid, "OwnerId": ACCT}

def acl_entry(num, action, egress, cidr="0.0.0.0/0", proto="-1", ports=None):
    e = {"Egress": egress, "Protocol": proto, "RuleAction": action, "RuleNumber": num}
    e["Ipv6CidrBlock" if ":" in cidr else "CidrBlock"] = cidr
    if ports: e["PortRange"] = {"From": ports[0], "To": ports[1]}
    return e

def allow_all_entries():
    out = []
    for eg in (True, False):
        out += [acl_entry(100, "allow", eg), acl_entry(101, "allow", eg, "::/0"),
                acl_entry(32767, "deny", eg), acl_entry(32768, "deny", eg, "::/0")]
    return out

def nacl(aid, vid, subnets, entries=None, default=True):
    return {"Associations": [{"NetworkAclAssociationId": "aclassoc-" + s[7:], "NetworkAclId": aid, "SubnetId": s}
                             for s in subnets],
            "Entries": entries if entries is not None else allow_all_entries(), "IsDefault": default,
            "NetworkAclId": aid, "Tags": [], "VpcId": vid, "OwnerId": ACCT}

def perm(proto, lo=None, hi=None, cidrs=(), v6=(), pls=(), groups=()):
    p = {"IpProtocol": proto, "IpRanges": [{"CidrIp": c} for c in cidrs],
         "Ipv6Ranges": [{"CidrIpv6": c} for c in v6], "PrefixListIds": [{"PrefixListId": x} for x in pls],
         "UserIdGroupPairs": [{"GroupId": g, "UserId": ACCT} for g in groups]}
    if lo is not None: p["FromPort"], p["ToPort"] = lo, hi if hi is not None else lo
    return p

EGRESS_ALL = [perm("-1", cidrs=["0.0.0.0/0"], v6=["::/0"])]

def sg(gid, vid, ingress, name=None, egress=None):
    return {"Description": "scenario group", "GroupName": name or gid, "IpPermissions": ingress, "OwnerId": ACCT,
            "GroupId": gid, "IpPermissionsEgress": EGRESS_ALL if egress is None else egress, "VpcId": vid, "Tags": []}

def eni(eid, sid, vid, ip, groups, public=None, v6=(), instance=None, desc="", itype="interface", managed=False, dev=0):
    e = {"AvailabilityZone": REG + "a", "Description": desc, "Groups": [{"GroupId": g, "GroupName": g} for g in groups],
         "InterfaceType": itype, "Ipv6Addresses": [{"Ipv6Address": a, "IsPrimaryIpv6": False} for a in v6],
         "MacAddress": "02:00:00:00:00:01", "NetworkInterfaceId": eid, "OwnerId": ACCT,
         "PrivateIpAddress": ip, "PrivateIpAddresses": [{"Primary": True, "PrivateIpAddress": ip}],
         "RequesterManaged": managed, "SourceDestCheck": True, "Status": "in-use", "SubnetId": sid, "TagSet": [],
         "VpcId": vid}
    if public:
        assoc = {"IpOwnerId": "amazon", "PublicDnsName": "", "PublicIp": public}
        e["Association"] = assoc
        e["PrivateIpAddresses"][0]["Association"] = assoc
    if instance:
        e["Attachment"] = {"AttachTime": "2026-10-01T10:00:00+00:00", "AttachmentId": "eni-attach-" + eid[4:],
                           "DeleteOnTermination": True, "DeviceIndex": dev, "NetworkCardIndex": 0,
                           "InstanceId": instance, "InstanceOwnerId": ACCT, "Status": "attached"}
    return e

def instance(iid, e, state="running"):
    n = copy.deepcopy(e)
    n.pop("TagSet", None); n.pop("AvailabilityZone", None); n.pop("InterfaceType", None)
    i = {"AmiLaunchIndex": 0, "ImageId": "ami-0abcdef1234567890", "InstanceId": iid, "InstanceType": "t3.micro",
         "LaunchTime": "2026-10-01T10:00:00+00:00", "Placement": {"AvailabilityZone": REG + "a", "Tenancy": "default"},
         "PrivateIpAddress": e["PrivateIpAddress"], "State": {"Code": 16 if state == "running" else 80, "Name": state},
         "SubnetId": e["SubnetId"], "VpcId": e["VpcId"], "Architecture": "x86_64",
         "NetworkInterfaces": [n], "SecurityGroups": e["Groups"], "Tags": []}
    if e.get("Association"):
        i["PublicIpAddress"] = e["Association"]["PublicIp"]
    return {"Groups": [], "Instances": [i], "OwnerId": ACCT, "ReservationId": "r-" + iid[2:]}

class Snap:
    def __init__(self, name, root=None):
        self.name = name
        self.root = root  # output directory; default HERE/name
        self.d = {k: [] for k in ["Vpcs", "Subnets", "RouteTables", "InternetGateways", "EgressOnlyInternetGateways",
                                  "NatGateways", "NetworkAcls", "SecurityGroups", "PrefixLists", "NetworkInterfaces",
                                  "Reservations", "Addresses", "VpcPeeringConnections", "TransitGatewayAttachments",
                                  "LoadBalancerDescriptions", "LoadBalancers", "TargetGroups"]}
        self.pl_entries, self.listeners, self.rules, self.health, self.tgattrs = {}, {}, {}, {}, {}
        self.clusters, self.services, self.tasks, self.cis, self.taskdefs = [], {}, {}, {}, {}
        self.keyed = False  # write per-resource operations as keyed objects instead of directories
        self.omit = set()
        self.gaps = []  # manifest gaps (layout.Gap): calls the collector could not make
        self.files = {}  # extra CLI outputs by path under the account directory ("<region>/<svc>/<op>.json")
        self.not_found = []  # manifest not_found entries (layout.NotFound)

    def base(self, v6=True):
        """The common network: VPC, IGW, two public and two private subnets, NAT."""
        V = "vpc-0a1b2c3d4e5f60001"
        self.d["Vpcs"].append(vpc(V, "10.0.0.0/16", "2a05:d018:1234:5600::/56" if v6 else None))
        self.d["InternetGateways"].append({"Attachments": [{"State": "available", "VpcId": V}],
                                           "InternetGatewayId": "igw-0aa11bb22cc33dd44", "OwnerId": ACCT, "Tags": []})
        self.d["Subnets"] += [subnet("subnet-0pub1a", V, "10.0.1.0/24", "a", "2a05:d018:1234:5601::/64" if v6 else None, True),
                              subnet("subnet-0pub1b", V, "10.0.2.0/24", "b", "2a05:d018:1234:5602::/64" if v6 else None, True),
                              subnet("subnet-0prv1a", V, "10.0.11.0/24", "a"),
                              subnet("subnet-0prv1b", V, "10.0.12.0/24", "b")]
        self.d["NatGateways"].append({"CreateTime": "2026-10-01T10:00:00.000Z", "NatGatewayAddresses": [
            {"AllocationId": "eipalloc-0nat", "NetworkInterfaceId": "eni-0nat", "PrivateIp": "10.0.1.5",
             "PublicIp": "52.16.10.5", "IsPrimary": True, "Status": "succeeded"}], "NatGatewayId": "nat-0a1b2c3d4e5f60001",
            "State": "available", "SubnetId": "subnet-0pub1a", "VpcId": V, "ConnectivityType": "public", "Tags": []})
        pub = [route("10.0.0.0/16", "local"), route("0.0.0.0/0", "igw-0aa11bb22cc33dd44")]
        if v6:
            pub.insert(1, route("2a05:d018:1234:5600::/56", "local"))
            pub.append(route("::/0", "igw-0aa11bb22cc33dd44"))
        self.d["RouteTables"] += [
            rtb("rtb-0main0001", V, [route("10.0.0.0/16", "local"), route("0.0.0.0/0", "nat-0a1b2c3d4e5f60001")], main=True),
            rtb("rtb-0public01", V, pub, ["subnet-0pub1a", "subnet-0pub1b"])]
        self.d["NetworkAcls"].append(nacl("acl-0default01", V, ["subnet-0pub1a", "subnet-0pub1b", "subnet-0prv1a", "subnet-0prv1b"]))
        return V

    def add_instance(self, iid, e, state="running"):
        self.d["NetworkInterfaces"].append(e)
        self.d["Reservations"].append(instance(iid, e, state))

    def write(self):
        root = self.root or os.path.join(HERE, self.name)
        shutil.rmtree(root, ignore_errors=True)
        d = os.path.join(root, ACCT, REG)
        def put(rel, obj):
            if rel in self.omit: return
            p = os.path.join(d, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f: json.dump(obj, f, indent=4); f.write("\n")
        def per(op, m):
            if op in self.omit: return
            if self.keyed: put(op + ".json", m)
            else:
                for k, v in m.items(): put(f"{op}/{encode_id(k)}.json", v)
        D = self.d
        for op, key in [("describe-vpcs", "Vpcs"), ("describe-subnets", "Subnets"), ("describe-route-tables", "RouteTables"),
                        ("describe-internet-gateways", "InternetGateways"),
                        ("describe-egress-only-internet-gateways", "EgressOnlyInternetGateways"),
                        ("describe-nat-gateways", "NatGateways"), ("describe-network-acls", "NetworkAcls"),
                        ("describe-security-groups", "SecurityGroups"), ("describe-managed-prefix-lists", "PrefixLists"),
                        ("describe-network-interfaces", "NetworkInterfaces"), ("describe-instances", "Reservations"),
                        ("describe-addresses", "Addresses"), ("describe-vpc-peering-connections", "VpcPeeringConnections"),
                        ("describe-transit-gateway-attachments", "TransitGatewayAttachments")]:
            put(f"ec2/{op}.json", {key: D[key]})
        per("ec2/get-managed-prefix-list-entries", {k: {"Entries": v} for k, v in self.pl_entries.items()})
        put("elb/describe-load-balancers.json", {"LoadBalancerDescriptions": D["LoadBalancerDescriptions"]})
        put("elbv2/describe-load-balancers.json", {"LoadBalancers": D["LoadBalancers"]})
        put("elbv2/describe-target-groups.json", {"TargetGroups": D["TargetGroups"]})
        per("elbv2/describe-listeners", {k: {"Listeners": v} for k, v in self.listeners.items()})
        per("elbv2/describe-rules", {k: {"Rules": v} for k, v in self.rules.items()})
        per("elbv2/describe-target-health", {k: {"TargetHealthDescriptions": v} for k, v in self.health.items()})
        per("elbv2/describe-target-group-attributes", {k: {"Attributes": [{"Key": a, "Value": b} for a, b in v.items()]}
                                                       for k, v in self.tgattrs.items()})
        put("ecs/list-clusters.json", {"clusterArns": [c["clusterArn"] for c in self.clusters]})
        put("ecs/describe-clusters.json", {"clusters": self.clusters, "failures": []})
        per("ecs/describe-services", {k: {"services": v, "failures": []} for k, v in self.services.items()})
        per("ecs/describe-tasks", {k: {"tasks": v, "failures": []} for k, v in self.tasks.items()})
        per("ecs/describe-container-instances", {k: {"containerInstances": v, "failures": []} for k, v in self.cis.items()})
        per("ecs/describe-task-definition", {k: {"taskDefinition": v} for k, v in self.taskdefs.items()})
        for rel, obj in sorted(self.files.items()):
            p = os.path.join(root, ACCT, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f: json.dump(obj, f, indent=4); f.write("\n")
        with open(os.path.join(root, "manifest.json"), "w") as f:
            files = sum(len(fs) for _, _, fs in os.walk(os.path.join(root, ACCT)))
            json.dump({"schema": "sightline.aws-snapshot/v1", "collected_at": "2026-11-27T10:00:00Z",
                       "tool": "make_scenarios.py", "tool_version": "", "accounts": [{"account_id": ACCT}],
                       "regions": [REG], "files": files, "gaps": self.gaps,
                       **({"not_found": self.not_found} if self.not_found else {})}, f, indent=2)
            f.write("\n")

def lb_arn(kind, name, h): return f"arn:aws:elasticloadbalancing:{REG}:{ACCT}:loadbalancer/{kind}/{name}/{h}"
def tg_arn(name, h): return f"arn:aws:elasticloadbalancing:{REG}:{ACCT}:targetgroup/{name}/{h}"
def listener_arn(kind, name, h, l): return f"arn:aws:elasticloadbalancing:{REG}:{ACCT}:listener/{kind}/{name}/{h}/{l}"

def elbv2(arn, name, typ, subnets, sgs, scheme="internet-facing", iptype="ipv4", vid="vpc-0a1b2c3d4e5f60001"):
    lb = {"LoadBalancerArn": arn, "DNSName": f"{name}-1234567890.{REG}.elb.amazonaws.com",
          "CanonicalHostedZoneId": "Z32O12XQLNTSW2", "CreatedTime": "2026-10-01T10:00:00.000Z", "LoadBalancerName": name,
          "Scheme": scheme, "VpcId": vid, "State": {"Code": "active"}, "Type": typ,
          "AvailabilityZones": [{"ZoneName": REG + z, "SubnetId": s, "LoadBalancerAddresses": []}
                                for z, s in zip("abc", subnets)], "IpAddressType": iptype}
    if sgs is not None: lb["SecurityGroups"] = sgs
    return lb

def listener(arn, lb, port, proto, tg):
    return {"ListenerArn": arn, "LoadBalancerArn": lb, "Port": port, "Protocol": proto,
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg, "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": tg, "Weight": 1}], "TargetGroupStickinessConfig": {"Enabled": False}}}]}

def tg(arn, name, proto, port, ttype, lbs, vid="vpc-0a1b2c3d4e5f60001"):
    return {"TargetGroupArn": arn, "TargetGroupName": name, "Protocol": proto, "Port": port, "VpcId": vid,
            "HealthCheckProtocol": proto, "HealthCheckPort": "traffic-port", "HealthCheckEnabled": True,
            "TargetType": ttype, "LoadBalancerArns": lbs, "IpAddressType": "ipv4"}

def health(tid, port, state="healthy"):
    return {"Target": {"Id": tid, "Port": port}, "HealthCheckPort": str(port), "TargetHealth": {"State": state}}

def lb_eni(eid, sid, ip, desc, groups=()):
    return eni(eid, sid, "vpc-0a1b2c3d4e5f60001", ip, list(groups), desc=desc, managed=True)

# 1. public subnet web server -------------------------------------------------
s = Snap("public-web"); V = s.base()
s.d["SecurityGroups"].append(sg("sg-0web", V, [perm("tcp", 80, cidrs=["0.0.0.0/0"], v6=["::/0"]), perm("tcp", 443, cidrs=["0.0.0.0/0"]),
                                               perm("tcp", 22, cidrs=["81.2.69.0/24"])]))
s.add_instance("i-0web000000000001", eni("eni-0web0001", "subnet-0pub1a", V, "10.0.1.10", ["sg-0web"], "52.16.20.10",
                                         instance="i-0web000000000001"))
s.add_instance("i-0stopped00000001", eni("eni-0stop0001", "subnet-0pub1a", V, "10.0.1.11", ["sg-0web"], "52.16.20.11",
                                         instance="i-0stopped00000001"), state="stopped")
s.write()

# 2. private subnet behind an ALB ---------------------------------------------
s = Snap("alb-private"); V = s.base()
LB = lb_arn("app", "web-alb", "50dc6c495c0c9188"); TG = tg_arn("app-tg", "6d0ecf831eec9f09")
LI = listener_arn("app", "web-alb", "50dc6c495c0c9188", "f2f7dc8efc522ab2")
TG2 = tg_arn("admin-tg", "7e1fdf942ffd0a1a")
s.d["SecurityGroups"] += [sg("sg-0alb", V, [perm("tcp", 443, cidrs=["0.0.0.0/0"])]),
                          sg("sg-0app", V, [perm("tcp", 8080, groups=["sg-0alb"])]),
                          sg("sg-0admin", V, [perm("tcp", 9000, cidrs=["10.0.0.0/16"])])]
s.add_instance("i-0app000000000001", eni("eni-0app0001", "subnet-0prv1a", V, "10.0.11.20", ["sg-0app"], instance="i-0app000000000001"))
s.add_instance("i-0adm000000000001", eni("eni-0adm0001", "subnet-0prv1b", V, "10.0.12.20", ["sg-0admin"], instance="i-0adm000000000001"))
s.d["NetworkInterfaces"] += [lb_eni("eni-0alba", "subnet-0pub1a", "10.0.1.50", "ELB app/web-alb/50dc6c495c0c9188", ["sg-0alb"]),
                             lb_eni("eni-0albb", "subnet-0pub1b", "10.0.2.50", "ELB app/web-alb/50dc6c495c0c9188", ["sg-0alb"])]
s.d["LoadBalancers"].append(elbv2(LB, "web-alb", "application", ["subnet-0pub1a", "subnet-0pub1b"], ["sg-0alb"]))
s.d["TargetGroups"] += [tg(TG, "app-tg", "HTTP", 8080, "instance", [LB]), tg(TG2, "admin-tg", "HTTP", 9000, "instance", [LB])]
s.listeners[LB] = [listener(LI, LB, 443, "HTTPS", TG)]
s.rules[LI] = [{"RuleArn": LI.replace(":listener/", ":listener-rule/") + "/9683b2d02a6cabee", "Priority": "10",
                "Conditions": [{"Field": "path-pattern", "Values": ["/admin/*"], "PathPatternConfig": {"Values": ["/admin/*"]}},
                               {"Field": "source-ip", "SourceIpConfig": {"Values": ["81.2.69.0/24"]}}],
                "Actions": [{"Type": "forward", "TargetGroupArn": TG2, "Order": 1}], "IsDefault": False},
               {"RuleArn": LI.replace(":listener/", ":listener-rule/") + "/default", "Priority": "default", "Conditions": [],
                "Actions": [{"Type": "forward", "TargetGroupArn": TG, "Order": 1}], "IsDefault": True}]
s.health[TG] = [health("i-0app000000000001", 8080)]
s.health[TG2] = [health("i-0adm000000000001", 9000)]
s.keyed = True
s.write()

# 3. NACL deny ----------------------------------------------------------------
s = Snap("nacl-deny"); V = s.base()
s.d["NetworkAcls"][0]["Associations"] = [a for a in s.d["NetworkAcls"][0]["Associations"] if a["SubnetId"] != "subnet-0pub1a"]
ent = [acl_entry(90, "deny", False, proto="6", ports=(22, 22)), acl_entry(100, "allow", False),
       acl_entry(110, "allow", True, proto="6", ports=(1024, 65535)), acl_entry(105, "deny", True, "81.2.69.0/24", proto="6", ports=(0, 65535)),
       acl_entry(32767, "deny", False), acl_entry(32767, "deny", True)]
s.d["NetworkAcls"].append(nacl("acl-0web00001", V, ["subnet-0pub1a"], ent, default=False))
s.d["SecurityGroups"].append(sg("sg-0web", V, [perm("tcp", 22, cidrs=["0.0.0.0/0"]), perm("tcp", 443, cidrs=["0.0.0.0/0"]),
                                               perm("udp", 500, cidrs=["0.0.0.0/0"])]))
s.add_instance("i-0web000000000001", eni("eni-0web0001", "subnet-0pub1a", V, "10.0.1.10", ["sg-0web"], "52.16.20.10",
                                         instance="i-0web000000000001"))
s.write()

# 4. SG referencing SG ---------------------------------------------------------
s = Snap("sg-reference"); V = s.base()
s.d["SecurityGroups"] += [sg("sg-0db", V, [perm("tcp", 5432, groups=["sg-0bastion"])]),
                          sg("sg-0bastion", V, [perm("tcp", 22, cidrs=["81.2.69.0/24"])])]
s.add_instance("i-0db0000000000001", eni("eni-0db00001", "subnet-0pub1a", V, "10.0.1.30", ["sg-0db"], "52.16.20.30", instance="i-0db0000000000001"))
s.add_instance("i-0bas000000000001", eni("eni-0bas0001", "subnet-0pub1b", V, "10.0.2.30", ["sg-0bastion"], "52.16.20.31", instance="i-0bas000000000001"))
s.write()

# 5. prefix list ----------------------------------------------------------------
s = Snap("prefix-list"); V = s.base()
s.d["PrefixLists"] += [{"PrefixListId": "pl-0corp0001", "AddressFamily": "IPv4", "State": "create-complete",
                        "PrefixListArn": f"arn:aws:ec2:{REG}:{ACCT}:prefix-list/pl-0corp0001", "PrefixListName": "corp-offices",
                        "MaxEntries": 10, "Version": 3, "Tags": [], "OwnerId": ACCT},
                       {"PrefixListId": "pl-0partner01", "AddressFamily": "IPv4", "State": "create-complete",
                        "PrefixListArn": f"arn:aws:ec2:{REG}:{ACCT}:prefix-list/pl-0partner01", "PrefixListName": "partners",
                        "MaxEntries": 10, "Version": 1, "Tags": [], "OwnerId": ACCT}]
s.pl_entries["pl-0corp0001"] = [{"Cidr": "81.2.69.0/24", "Description": "London office"},
                                {"Cidr": "89.160.20.128/25", "Description": "Stockholm office"}]
# pl-0partner01 entries deliberately not collected → unknown
s.d["SecurityGroups"].append(sg("sg-0api", V, [perm("tcp", 443, pls=["pl-0corp0001"]), perm("tcp", 8443, pls=["pl-0partner01"])]))
s.add_instance("i-0api000000000001", eni("eni-0api0001", "subnet-0pub1a", V, "10.0.1.40", ["sg-0api"], "52.16.20.40", instance="i-0api000000000001"))
s.write()

# 6. IPv6-only exposure -----------------------------------------------------------
s = Snap("ipv6-only"); V = s.base()
s.d["EgressOnlyInternetGateways"].append({"Attachments": [{"State": "attached", "VpcId": V}],
                                          "EgressOnlyInternetGatewayId": "eigw-0e1f2a3b4c5d6e7f8", "Tags": []})
s.d["Subnets"].append(subnet("subnet-0v6eg1a", V, "10.0.21.0/24", "a", "2a05:d018:1234:5621::/64"))
s.d["RouteTables"].append(rtb("rtb-0v6egress", V, [route("10.0.0.0/16", "local"), route("2a05:d018:1234:5600::/56", "local"),
                                                   route("::/0", "eigw-0e1f2a3b4c5d6e7f8")], ["subnet-0v6eg1a"]))
s.d["NetworkAcls"][0]["Associations"].append({"NetworkAclAssociationId": "aclassoc-v6", "NetworkAclId": "acl-0default01", "SubnetId": "subnet-0v6eg1a"})
s.d["SecurityGroups"].append(sg("sg-0v6web", V, [perm("tcp", 443, v6=["::/0"]), perm("tcp", 80, cidrs=["0.0.0.0/0"])]))
s.add_instance("i-0v6000000000001", eni("eni-0v600001", "subnet-0pub1a", V, "10.0.1.60", ["sg-0v6web"],
                                        v6=["2a05:d018:1234:5601::60"], instance="i-0v6000000000001"))
s.add_instance("i-0v6eg0000000001", eni("eni-0v6eg001", "subnet-0v6eg1a", V, "10.0.21.60", ["sg-0v6web"],
                                        v6=["2a05:d018:1234:5621::60"], instance="i-0v6eg0000000001"))
s.write()

# 7. NLB without security groups ------------------------------------------------------
s = Snap("nlb-no-sg"); V = s.base()
LB = lb_arn("net", "edge-nlb", "3dcb8f47d6e4b2a1"); TGI = tg_arn("nlb-inst", "1a2b3c4d5e6f7a8b"); TGP = tg_arn("nlb-ip", "2b3c4d5e6f7a8b9c")
TGX = tg_arn("nlb-ip-closed", "3c4d5e6f7a8b9c0d")
s.d["SecurityGroups"] += [sg("sg-0nlbinst", V, [perm("tcp", 443, cidrs=["0.0.0.0/0"])]),
                          sg("sg-0nlbip", V, [perm("tcp", 8443, cidrs=["10.0.1.0/24", "10.0.2.0/24"])]),
                          sg("sg-0closed", V, [perm("tcp", 9443, cidrs=["10.99.0.0/16"])])]
s.add_instance("i-0nlb000000000001", eni("eni-0nlb0001", "subnet-0prv1a", V, "10.0.11.70", ["sg-0nlbinst"], instance="i-0nlb000000000001"))
s.d["NetworkInterfaces"] += [eni("eni-0nlbip001", "subnet-0prv1a", V, "10.0.11.71", ["sg-0nlbip"]),
                             eni("eni-0nlbip002", "subnet-0prv1b", V, "10.0.12.71", ["sg-0closed"]),
                             lb_eni("eni-0nlba", "subnet-0pub1a", "10.0.1.80", "ELB net/edge-nlb/3dcb8f47d6e4b2a1"),
                             lb_eni("eni-0nlbb", "subnet-0pub1b", "10.0.2.80", "ELB net/edge-nlb/3dcb8f47d6e4b2a1")]
s.d["NetworkInterfaces"][-1]["InterfaceType"] = s.d["NetworkInterfaces"][-2]["InterfaceType"] = "network_load_balancer"
s.d["LoadBalancers"].append(elbv2(LB, "edge-nlb", "network", ["subnet-0pub1a", "subnet-0pub1b"], None))
s.d["TargetGroups"] += [tg(TGI, "nlb-inst", "TCP", 443, "instance", [LB]), tg(TGP, "nlb-ip", "TCP", 8443, "ip", [LB]),
                        tg(TGX, "nlb-ip-closed", "TCP", 9443, "ip", [LB])]
s.listeners[LB] = [listener(listener_arn("net", "edge-nlb", "3dcb8f47d6e4b2a1", "a1"), LB, 443, "TCP", TGI),
                   listener(listener_arn("net", "edge-nlb", "3dcb8f47d6e4b2a1", "a2"), LB, 8443, "TLS", TGP),
                   listener(listener_arn("net", "edge-nlb", "3dcb8f47d6e4b2a1", "a3"), LB, 9443, "TCP", TGX)]
s.health[TGI] = [health("i-0nlb000000000001", 443)]
s.health[TGP] = [health("10.0.11.71", 8443)]
s.health[TGX] = [health("10.0.12.71", 9443, "unhealthy")]
s.tgattrs[TGI] = {"preserve_client_ip.enabled": "true", "deregistration_delay.timeout_seconds": "300"}
s.tgattrs[TGP] = {"preserve_client_ip.enabled": "false"}
s.write()

# 8. NLB with security groups -----------------------------------------------------------
s = Snap("nlb-sg"); V = s.base()
LB = lb_arn("net", "sg-nlb", "4edc9f58e7f5c3b2"); TGI = tg_arn("nlbsg-inst", "4d5e6f7a8b9c0d1e")
s.d["SecurityGroups"] += [sg("sg-0nlb", V, [perm("tcp", 443, cidrs=["81.2.69.0/24"])]),
                          sg("sg-0nlbtgt", V, [perm("tcp", 443, groups=["sg-0nlb"])])]
s.add_instance("i-0nsg000000000001", eni("eni-0nsg0001", "subnet-0prv1a", V, "10.0.11.90", ["sg-0nlbtgt"], instance="i-0nsg000000000001"))
s.d["LoadBalancers"].append(elbv2(LB, "sg-nlb", "network", ["subnet-0pub1a"], ["sg-0nlb"]))
s.d["TargetGroups"].append(tg(TGI, "nlbsg-inst", "TCP", 443, "instance", [LB]))
s.listeners[LB] = [listener(listener_arn("net", "sg-nlb", "4edc9f58e7f5c3b2", "b1"), LB, 443, "TCP", TGI)]
s.health[TGI] = [health("i-0nsg000000000001", 443)]
s.write()

# 9. ECS awsvpc ----------------------------------------------------------------------------
CL = f"arn:aws:ecs:{REG}:{ACCT}:cluster/prod"
def task(tid, td, containers, eni_id=None, sub=None, ci=None, launch="FARGATE"):
    t = {"attachments": [], "availabilityZone": REG + "a", "clusterArn": CL, "containers": containers,
         "desiredStatus": "RUNNING", "lastStatus": "RUNNING", "launchType": launch, "group": "service:web",
         "taskArn": f"arn:aws:ecs:{REG}:{ACCT}:task/prod/{tid}", "taskDefinitionArn": td,
         "createdAt": "2026-10-01T10:00:00.000000+00:00", "cpu": "256", "memory": "512"}
    if eni_id:
        t["attachments"].append({"id": "att-" + tid[:8], "type": "ElasticNetworkInterface", "status": "ATTACHED",
                                 "details": [{"name": "subnetId", "value": sub}, {"name": "networkInterfaceId", "value": eni_id},
                                             {"name": "privateIPv4Address", "value": "10.0.1.100"}]})
    if ci: t["containerInstanceArn"] = ci
    return t
s = Snap("ecs-awsvpc"); V = s.base()
TD = f"arn:aws:ecs:{REG}:{ACCT}:task-definition/api:7"
s.d["SecurityGroups"].append(sg("sg-0task", V, [perm("tcp", 8080, cidrs=["0.0.0.0/0"])]))
s.d["NetworkInterfaces"].append(eni("eni-0task0001", "subnet-0pub1a", V, "10.0.1.100", ["sg-0task"], "52.16.20.100",
                                    desc="arn:aws:ecs:eu-west-1:111122223333:attachment/5e3c1a2b", managed=True))
s.clusters.append({"clusterArn": CL, "clusterName": "prod", "status": "ACTIVE", "runningTasksCount": 1})
s.tasks[CL] = [task("0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d", TD, [{"name": "api", "image": "example/api:1.2", "lastStatus": "RUNNING",
                "networkBindings": [], "networkInterfaces": [{"attachmentId": "att-0a1b2c3d", "privateIpv4Address": "10.0.1.100"}]}],
               "eni-0task0001", "subnet-0pub1a")]
s.taskdefs[TD] = {"taskDefinitionArn": TD, "family": "api", "revision": 7, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
                  "containerDefinitions": [{"name": "api", "image": "example/api:1.2", "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}]}]}
s.write()

# 10. ECS bridge --------------------------------------------------------------------------
s = Snap("ecs-bridge"); V = s.base()
TD = f"arn:aws:ecs:{REG}:{ACCT}:task-definition/web:3"; CI = f"arn:aws:ecs:{REG}:{ACCT}:container-instance/prod/9f8e7d6c5b4a39281706f5e4d3c2b1a0"
s.d["SecurityGroups"].append(sg("sg-0ecshost", V, [perm("tcp", 32768, 60999, cidrs=["0.0.0.0/0"])]))
s.add_instance("i-0ecs000000000001", eni("eni-0ecs0001", "subnet-0pub1a", V, "10.0.1.110", ["sg-0ecshost"], "52.16.20.110", instance="i-0ecs000000000001"))
s.clusters.append({"clusterArn": CL, "clusterName": "prod", "status": "ACTIVE", "registeredContainerInstancesCount": 1})
s.cis[CL] = [{"containerInstanceArn": CI, "ec2InstanceId": "i-0ecs000000000001", "status": "ACTIVE", "agentConnected": True}]
s.tasks[CL] = [task("1b2c3d4e5f6a4b7c8d9e0f1a2b3c4d5e", TD, [{"name": "web", "image": "nginx:1.27", "lastStatus": "RUNNING",
                "networkBindings": [{"bindIP": "0.0.0.0", "containerPort": 80, "hostPort": 32768, "protocol": "tcp"},
                                    {"bindIP": "0.0.0.0", "containerPort": 9113, "hostPort": 9113, "protocol": "tcp"}]}],
               ci=CI, launch="EC2")]
s.taskdefs[TD] = {"taskDefinitionArn": TD, "family": "web", "revision": 3, "networkMode": "bridge",
                  "containerDefinitions": [{"name": "web", "image": "nginx:1.27", "portMappings": [
                      {"containerPort": 80, "hostPort": 0, "protocol": "tcp"}, {"containerPort": 9113, "hostPort": 9113, "protocol": "tcp"}]}]}
s.write()

# 11. peered VPC ----------------------------------------------------------------------------
s = Snap("peered-vpc"); V = s.base()
VB = "vpc-0b1b2c3d4e5f60002"
s.d["Vpcs"].append(vpc(VB, "10.1.0.0/16"))
s.d["Subnets"].append(subnet("subnet-0peer1a", VB, "10.1.1.0/24"))
PCX = "pcx-0c1d2e3f4a5b6c7d8"
s.d["VpcPeeringConnections"].append({"AccepterVpcInfo": {"CidrBlock": "10.1.0.0/16", "OwnerId": ACCT, "VpcId": VB, "Region": REG},
                                     "RequesterVpcInfo": {"CidrBlock": "10.0.0.0/16", "OwnerId": ACCT, "VpcId": V, "Region": REG},
                                     "Status": {"Code": "active", "Message": "Active"}, "VpcPeeringConnectionId": PCX, "Tags": []})
# public route table also sends one partner range over the peering (more specific than 0.0.0.0/0)
s.d["RouteTables"][1]["Routes"].append(route("81.2.69.0/24", PCX))
s.d["RouteTables"].append(rtb("rtb-0peer0001", VB, [route("10.1.0.0/16", "local"), route("0.0.0.0/0", PCX)], main=True))
s.d["NetworkAcls"].append(nacl("acl-0peer0001", VB, ["subnet-0peer1a"]))
s.d["SecurityGroups"] += [sg("sg-0pa", V, [perm("tcp", 443, cidrs=["0.0.0.0/0"])]), sg("sg-0pb", VB, [perm("tcp", 443, cidrs=["0.0.0.0/0"])])]
s.add_instance("i-0pa0000000000001", eni("eni-0pa00001", "subnet-0pub1a", V, "10.0.1.120", ["sg-0pa"], "52.16.20.120", instance="i-0pa0000000000001"))
s.add_instance("i-0pb0000000000001", eni("eni-0pb00001", "subnet-0peer1a", VB, "10.1.1.120", ["sg-0pb"], instance="i-0pb0000000000001"))
s.write()

# 12. classic ELB ---------------------------------------------------------------------------
s = Snap("classic-elb"); V = s.base()
s.d["SecurityGroups"] += [sg("sg-0celb", V, [perm("tcp", 80, cidrs=["0.0.0.0/0"])]),
                          sg("sg-0legacy", V, [perm("tcp", 8000, groups=["sg-0celb"])])]
s.add_instance("i-0leg000000000001", eni("eni-0leg0001", "subnet-0prv1a", V, "10.0.11.130", ["sg-0legacy"], instance="i-0leg000000000001"))
s.d["NetworkInterfaces"].append(lb_eni("eni-0celba", "subnet-0pub1a", "10.0.1.130", "ELB legacy-web", ["sg-0celb"]))
s.d["LoadBalancerDescriptions"].append({"LoadBalancerName": "legacy-web", "DNSName": "legacy-web-123.eu-west-1.elb.amazonaws.com",
    "Scheme": "internet-facing", "VPCId": V, "Subnets": ["subnet-0pub1a"], "SecurityGroups": ["sg-0celb"],
    "SourceSecurityGroup": {"OwnerAlias": ACCT, "GroupName": "celb"}, "AvailabilityZones": [REG + "a"],
    "ListenerDescriptions": [{"Listener": {"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 8000}, "PolicyNames": []}],
    "Instances": [{"InstanceId": "i-0leg000000000001"}], "CreatedTime": "2026-10-01T10:00:00.000Z", "Policies": {}})
s.write()

# 13. partial snapshot: network ACLs not collected ---------------------------------------------
s = Snap("missing-nacls"); V = s.base()
s.d["SecurityGroups"].append(sg("sg-0web", V, [perm("tcp", 443, cidrs=["0.0.0.0/0"])]))
s.add_instance("i-0web000000000001", eni("eni-0web0001", "subnet-0pub1a", V, "10.0.1.10", ["sg-0web"], "52.16.20.10", instance="i-0web000000000001"))
s.add_instance("i-0prv000000000001", eni("eni-0prv0001", "subnet-0prv1a", V, "10.0.11.10", ["sg-0web"], instance="i-0prv000000000001"))
s.omit.add("ec2/describe-network-acls.json")
s.write()

# 14. collector gaps: network ACLs and network interfaces denied --------------------------------
# (what `sightline collect aws` records for AccessDenied: no file, a gap in manifest.json)
s = Snap("gaps"); V = s.base()
s.d["SecurityGroups"].append(sg("sg-0web", V, [perm("tcp", 443, cidrs=["0.0.0.0/0"])]))
s.add_instance("i-0web000000000001", eni("eni-0web0001", "subnet-0pub1a", V, "10.0.1.10", ["sg-0web"], "52.16.20.10", instance="i-0web000000000001"))
s.omit.add("ec2/describe-network-acls.json")
s.gaps.append({"account": ACCT, "region": REG, "service": "ec2", "operation": "describe-network-acls",
               "error_code": "UnauthorizedOperation", "message": "You are not authorized to perform this operation."})
# interfaces denied: the instance's interface still comes from describe-instances
s.omit.add("ec2/describe-network-interfaces.json")
s.gaps.append({"account": ACCT, "region": REG, "service": "ec2", "operation": "describe-network-interfaces",
               "error_code": "UnauthorizedOperation", "message": "You are not authorized to perform this operation."})
s.write()

# 15. Docker hosts ------------------------------------------------------------------------------
# Two EC2 instances a Docker host may be (`sightline inventory --docker --host-id`): one whose
# security group admits the internet on every non-privileged TCP port (the host ports the engine
# picks at run time fall in it), one whose group admits SSH from one range only.
s = Snap("docker-host"); V = s.base()
s.d["SecurityGroups"] += [sg("sg-0dockopen", V, [perm("tcp", 1024, 65535, cidrs=["0.0.0.0/0"])]),
                          sg("sg-0dockshut", V, [perm("tcp", 22, cidrs=["81.2.69.0/24"])])]
s.add_instance("i-0d0c0000000000001", eni("eni-0dock0001", "subnet-0pub1a", V, "10.0.1.140", ["sg-0dockopen"], "52.16.20.140", instance="i-0d0c0000000000001"))
s.add_instance("i-0d0c0000000000002", eni("eni-0dock0002", "subnet-0pub1a", V, "10.0.1.141", ["sg-0dockshut"], "52.16.20.141", instance="i-0d0c0000000000002"))
s.write()

# 16. EKS cluster: two node groups, an ip-mode NLB and an instance-mode NLB ----------------------
# The Kubernetes side is internal/workload/kube/testdata/eks-join (nodes with spec.providerID
# aws:///eu-west-1a/<instance>, pods on the node interfaces' secondary addresses as the
# Amazon VPC CNI assigns them, Services whose status hostname is these load balancers' DNSName).
s = Snap("eks"); V = s.base()
FLB = lb_arn("net", "k8s-shop-frontend-0a1b2c3d4e", "5fae0c1b2d3e4f50"); FTG = tg_arn("k8s-shop-frontend-ip", "6a7b8c9d0e1f2a3b")
ALB_ = lb_arn("net", "k8s-shop-api-5e6f7a8b9c", "7b8c9d0e1f2a3b4c"); ATG = tg_arn("k8s-shop-api-inst", "8c9d0e1f2a3b4c5d")
s.d["SecurityGroups"] += [
    sg("sg-0k8sfront", V, [perm("tcp", 80, cidrs=["0.0.0.0/0"])], name="k8s-shop-frontend"),
    # the load balancer controller turns loadBalancerSourceRanges into the frontend group's rules
    sg("sg-0k8sapi", V, [perm("tcp", 80, cidrs=["81.2.69.0/24"])], name="k8s-shop-api"),
    sg("sg-0ngopen", V, [perm("tcp", 30000, 32767, cidrs=["0.0.0.0/0"]), perm("tcp", 9100, cidrs=["0.0.0.0/0"]),
                         perm("tcp", 8080, groups=["sg-0k8sfront"]), perm("-1", groups=["sg-0ngopen", "sg-0ngclosed"])],
       name="eks-nodegroup-open"),
    sg("sg-0ngclosed", V, [perm("tcp", 30000, 32767, cidrs=["10.0.0.0/16"]), perm("tcp", 9100, cidrs=["10.0.0.0/16"]),
                           perm("tcp", 8080, groups=["sg-0k8sfront"]), perm("-1", groups=["sg-0ngopen", "sg-0ngclosed"])],
       name="eks-nodegroup-closed")]
def node_eni(eid, sid, ip, public, groups, iid, secondary):
    e = eni(eid, sid, V, ip, groups, public, instance=iid, desc="aws-K8S-" + iid)
    e["PrivateIpAddresses"] += [{"Primary": False, "PrivateIpAddress": a} for a in secondary]
    return e
s.add_instance("i-0node0a00000001", node_eni("eni-0nodea01", "subnet-0pub1a", "10.0.1.20", "52.16.30.20", ["sg-0ngopen"],
                                             "i-0node0a00000001", ["10.0.1.21", "10.0.1.22", "10.0.1.23", "10.0.1.24"]))
s.add_instance("i-0node0b00000001", node_eni("eni-0nodeb01", "subnet-0pub1b", "10.0.2.20", "52.16.30.21", ["sg-0ngclosed"],
                                             "i-0node0b00000001", ["10.0.2.21", "10.0.2.22", "10.0.2.24"]))
s.d["Reservations"][-1]["Instances"][0]["Placement"]["AvailabilityZone"] = REG + "b"
for lbn, h, grp, ips in [("k8s-shop-frontend-0a1b2c3d4e", "5fae0c1b2d3e4f50", "sg-0k8sfront", ("10.0.1.90", "10.0.2.90")),
                         ("k8s-shop-api-5e6f7a8b9c", "7b8c9d0e1f2a3b4c", "sg-0k8sapi", ("10.0.1.91", "10.0.2.91"))]:
    a = lb_eni("eni-0" + h[:8] + "a", "subnet-0pub1a", ips[0], f"ELB net/{lbn}/{h}", [grp])
    b = lb_eni("eni-0" + h[:8] + "b", "subnet-0pub1b", ips[1], f"ELB net/{lbn}/{h}", [grp])
    a["InterfaceType"] = b["InterfaceType"] = "network_load_balancer"
    s.d["NetworkInterfaces"] += [a, b]
s.d["LoadBalancers"] += [elbv2(FLB, "k8s-shop-frontend-0a1b2c3d4e", "network", ["subnet-0pub1a", "subnet-0pub1b"], ["sg-0k8sfront"]),
                         elbv2(ALB_, "k8s-shop-api-5e6f7a8b9c", "network", ["subnet-0pub1a", "subnet-0pub1b"], ["sg-0k8sapi"])]
s.d["TargetGroups"] += [tg(FTG, "k8s-shop-frontend-ip", "TCP", 8080, "ip", [FLB]), tg(ATG, "k8s-shop-api-inst", "TCP", 31080, "instance", [ALB_])]
s.listeners[FLB] = [listener(listener_arn("net", "k8s-shop-frontend-0a1b2c3d4e", "5fae0c1b2d3e4f50", "c1"), FLB, 80, "TCP", FTG)]
s.listeners[ALB_] = [listener(listener_arn("net", "k8s-shop-api-5e6f7a8b9c", "7b8c9d0e1f2a3b4c", "c2"), ALB_, 80, "TCP", ATG)]
s.health[FTG] = [health("10.0.1.21", 8080), health("10.0.2.21", 8080)]
s.health[ATG] = [health("i-0node0a00000001", 31080), health("i-0node0b00000001", 31080)]
s.write()

# Data services (issue 11) ------------------------------------------------------------------------
# Shapes: the AWS CLI reference examples of rds describe-db-instances, s3api get-bucket-policy,
# lambda list-function-url-configs and iam get-account-authorization-details.
def rds_eni(eid, sub, vid, ip, groups, public=None):
    """An interface RDS creates: RequesterId amazon-rds, Description RDSNetworkInterface."""
    e = eni(eid, sub, vid, ip, groups, public, desc="RDSNetworkInterface", managed=True)
    e["RequesterId"] = "amazon-rds"
    return e

def db(ident, engine, port, groups, subnets, pa, vid, az="a", iam_auth=False):
    return {"DBInstanceIdentifier": ident, "DBInstanceClass": "db.t3.medium", "Engine": engine, "DBInstanceStatus": "available",
            "MasterUsername": "admin", "Endpoint": {"Address": f"{ident}.c9akciq32.{REG}.rds.amazonaws.com", "Port": port,
                                                    "HostedZoneId": "Z29XKXDKYMONMX"},
            "AllocatedStorage": 100, "InstanceCreateTime": "2026-10-01T10:00:00.000Z", "AvailabilityZone": REG + az,
            "VpcSecurityGroups": [{"VpcSecurityGroupId": g, "Status": "active"} for g in groups],
            "DBSubnetGroup": {"DBSubnetGroupName": ident + "-subnets", "DBSubnetGroupDescription": ident, "VpcId": vid,
                              "SubnetGroupStatus": "Complete",
                              "Subnets": [{"SubnetIdentifier": sn, "SubnetAvailabilityZone": {"Name": REG + z}, "SubnetStatus": "Active"}
                                          for sn, z in subnets]},
            "MultiAZ": False, "PubliclyAccessible": pa, "StorageEncrypted": True, "DbiResourceId": "db-" + ident.upper().replace("-", "")[:20],
            "DBInstanceArn": f"arn:aws:rds:{REG}:{ACCT}:db:{ident}", "IAMDatabaseAuthenticationEnabled": iam_auth,
            "DbInstancePort": 0}

def role(name, trust_service, inline):
    return {"Path": "/", "RoleName": name, "RoleId": "AROA" + name.upper().replace("-", "")[:16].ljust(17, "X"),
            "Arn": f"arn:aws:iam::{ACCT}:role/{name}", "CreateDate": "2026-10-01T10:00:00+00:00",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": trust_service}, "Action": "sts:AssumeRole"}]},
            "InstanceProfileList": [], "RolePolicyList": [{"PolicyName": n, "PolicyDocument": d} for n, d in inline],
            "AttachedManagedPolicies": [], "Tags": [], "RoleLastUsed": {}}

def empty_data_listings(s, skip=()):
    """Data services collected with nothing there (what the AWS CLI prints for an empty listing)."""
    for rel, key in [("rds/describe-db-clusters", "DBClusters"), ("redshift/describe-clusters", "Clusters"),
                     ("dynamodb/list-tables", "TableNames"), ("elasticache/describe-cache-clusters", "CacheClusters"),
                     ("elasticache/describe-replication-groups", "ReplicationGroups"),
                     ("elasticache/describe-cache-subnet-groups", "CacheSubnetGroups"), ("opensearch/list-domain-names", "DomainNames"),
                     ("secretsmanager/list-secrets", "SecretList"), ("eks/list-clusters", "clusters"),
                     ("lambda/list-functions", "Functions")]:
        if rel not in skip and f"{REG}/{rel}.json" not in s.files:
            s.files[f"{REG}/{rel}.json"] = {key: []}

# 17. The demo estate (`sightline demo`, internal/demo; docs/demo.md) ----------------------------
# Written to internal/demo/estate/aws (go:embed cannot reach this folder). One VPC holding:
# - an internet-facing ALB → ECS service "api" (Fargate, awsvpc, private subnets) running shop/api;
# - ECS service "backoffice-api" (EC2 container instances, bridge mode, dynamic host ports) running
#   shop/api:1.4.1 — the previous build of the same application, same dependencies (so the same
#   CVEs), its own digest — on hosts with public addresses whose security group admits the dynamic
#   host ports from the VPC only (SSH from the bastion): the same CVE, closed on the needed port;
# - EKS worker nodes (private subnets) behind an ip-mode NLB for the LoadBalancer Service shop/web
#   (internal/demo/estate/k8s/cluster.yaml carries the nodes' providerID and the NLB's DNS name);
# - an EC2 bastion admitting SSH from one office range.
# Image digests are the images internal/demo builds (deterministically); its tests check them.
DEMO_API_DIGEST = "sha256:6fab8bb18fa48c92b18761ff7a6a9ac4ed2e24dc755fb1904d06992ab4c239fe"
DEMO_BACKOFFICE_DIGEST = "sha256:1ff8ab045ca3ea266f7e13daa2a8c9ab0cea4f63f5edfefd96bc1d707ec66c18"  # shop/api:1.4.1
DEMO_WEB_DIGEST = "sha256:54a9db9128354a6c1df6eb7b5df419d3e2375d58ea32f5040006276fdcf79d7a"  # named by internal/demo/estate/k8s/cluster.yaml
DEMO_ECR = f"{ACCT}.dkr.ecr.{REG}.amazonaws.com"
s = Snap("demo", root=os.path.join(HERE, "..", "..", "..", "internal", "demo", "estate", "aws")); V = s.base()
OFFICE = "81.2.69.0/24"
s.d["SecurityGroups"] += [
    sg("sg-0shopalb", V, [perm("tcp", 443, cidrs=["0.0.0.0/0"], v6=["::/0"])], name="shop-api-alb"),
    sg("sg-0shopapi", V, [perm("tcp", 8080, groups=["sg-0shopalb"])], name="shop-api-tasks"),
    sg("sg-0backoffice", V, [perm("tcp", 22, groups=["sg-0bastion"]), perm("tcp", 32768, 60999, cidrs=["10.0.0.0/16"])],
       name="backoffice-ecs-hosts"),
    sg("sg-0bastion", V, [perm("tcp", 22, cidrs=[OFFICE])], name="bastion"),
    sg("sg-0k8sweb", V, [perm("tcp", 80, cidrs=["0.0.0.0/0"])], name="k8s-shop-web"),
    sg("sg-0eksnodes", V, [perm("tcp", 8080, groups=["sg-0k8sweb"]), perm("tcp", 22, groups=["sg-0bastion"]),
                           perm("-1", groups=["sg-0eksnodes"])], name="eks-nodegroup-shop")]
s.add_instance("i-0bastion00000001", eni("eni-0bastion01", "subnet-0pub1a", V, "10.0.1.10", ["sg-0bastion"], "52.16.40.10",
                                         instance="i-0bastion00000001"))
for n, (sub, ip, pub) in enumerate([("subnet-0pub1a", "10.0.1.30", "52.16.40.30"), ("subnet-0pub1b", "10.0.2.30", "52.16.40.31")], 1):
    iid = f"i-0backoffice0000{n}"
    s.add_instance(iid, eni(f"eni-0backoff0{n}", sub, V, ip, ["sg-0backoffice"], pub, instance=iid))
    if sub.endswith("b"): s.d["Reservations"][-1]["Instances"][0]["Placement"]["AvailabilityZone"] = REG + "b"
def demo_node(n, sub, ip, secondary, az):
    iid = f"i-0eksnode0000000{n}"
    e = eni(f"eni-0eksnode0{n}", sub, V, ip, ["sg-0eksnodes"], instance=iid, desc="aws-K8S-" + iid)
    e["PrivateIpAddresses"] += [{"Primary": False, "PrivateIpAddress": a} for a in secondary]
    s.add_instance(iid, e)
    s.d["Reservations"][-1]["Instances"][0]["Placement"]["AvailabilityZone"] = REG + az
    s.d["Reservations"][-1]["Instances"][0]["InstanceType"] = "m6i.large"
demo_node(1, "subnet-0prv1a", "10.0.11.20", ["10.0.11.21", "10.0.11.22"], "a")
demo_node(2, "subnet-0prv1b", "10.0.12.20", ["10.0.12.21", "10.0.12.22"], "b")
# load balancers
ALBD = lb_arn("app", "shop-api", "9d3b1f0e2c4a6b8d"); ALBTG = tg_arn("shop-api", "1f2e3d4c5b6a7988")
ALBLI = listener_arn("app", "shop-api", "9d3b1f0e2c4a6b8d", "0a9b8c7d6e5f4a3b")
NLBN, NLBH = "k8s-shop-web-7f3e9a1c2b", "3c5e7a9b1d2f4e6a"
NLBD = lb_arn("net", NLBN, NLBH); NLBTG = tg_arn("k8s-shop-web-ip", "4d6f8a0b2c3e5f7a")
s.d["NetworkInterfaces"] += [lb_eni("eni-0shopalba", "subnet-0pub1a", "10.0.1.50", "ELB app/shop-api/9d3b1f0e2c4a6b8d", ["sg-0shopalb"]),
                             lb_eni("eni-0shopalbb", "subnet-0pub1b", "10.0.2.50", "ELB app/shop-api/9d3b1f0e2c4a6b8d", ["sg-0shopalb"])]
for z, sub, ip in [("a", "subnet-0pub1a", "10.0.1.60"), ("b", "subnet-0pub1b", "10.0.2.60")]:
    e = lb_eni("eni-0shopnlb" + z, sub, ip, f"ELB net/{NLBN}/{NLBH}", ["sg-0k8sweb"])
    e["InterfaceType"] = "network_load_balancer"
    s.d["NetworkInterfaces"].append(e)
s.d["LoadBalancers"] += [elbv2(ALBD, "shop-api", "application", ["subnet-0pub1a", "subnet-0pub1b"], ["sg-0shopalb"]),
                         elbv2(NLBD, NLBN, "network", ["subnet-0pub1a", "subnet-0pub1b"], ["sg-0k8sweb"])]
s.d["TargetGroups"] += [tg(ALBTG, "shop-api", "HTTP", 8080, "ip", [ALBD]), tg(NLBTG, "k8s-shop-web-ip", "TCP", 8080, "ip", [NLBD])]
s.listeners[ALBD] = [listener(ALBLI, ALBD, 443, "HTTPS", ALBTG)]
s.rules[ALBLI] = [{"RuleArn": ALBLI.replace(":listener/", ":listener-rule/") + "/default", "Priority": "default", "Conditions": [],
                   "Actions": [{"Type": "forward", "TargetGroupArn": ALBTG, "Order": 1}], "IsDefault": True}]
s.listeners[NLBD] = [listener(listener_arn("net", NLBN, NLBH, "5e7a9c1b3d5f7a9c"), NLBD, 80, "TCP", NLBTG)]
s.health[ALBTG] = [health("10.0.11.100", 8080), health("10.0.12.100", 8080)]
s.health[NLBTG] = [health("10.0.11.21", 8080), health("10.0.12.21", 8080)]
s.tgattrs[NLBTG] = {"preserve_client_ip.enabled": "true"}
# ECS: cluster "shop", Fargate service "api" behind the ALB, EC2 bridge service "backoffice-api"
DCL = f"arn:aws:ecs:{REG}:{ACCT}:cluster/shop"
API_IMG = f"{DEMO_ECR}/shop/api:1.4.2"
BO_IMG = f"{DEMO_ECR}/shop/api:1.4.1"  # the previous release: same dependencies, its own digest
TDAPI = f"arn:aws:ecs:{REG}:{ACCT}:task-definition/shop-api:12"
TDBO = f"arn:aws:ecs:{REG}:{ACCT}:task-definition/backoffice-api:4"
CIS = [f"arn:aws:ecs:{REG}:{ACCT}:container-instance/shop/{h}" for h in ("7a1c3e5b9d0f42a6b8c0d2e4f6a8b0c1", "8b2d4f6a0c1e43b7c9d1e3f5a7b9c1d2")]
s.clusters.append({"clusterArn": DCL, "clusterName": "shop", "status": "ACTIVE", "registeredContainerInstancesCount": 2,
                   "runningTasksCount": 4, "activeServicesCount": 2})
s.cis[DCL] = [{"containerInstanceArn": c, "ec2InstanceId": f"i-0backoffice0000{n}", "status": "ACTIVE", "agentConnected": True}
              for n, c in enumerate(CIS, 1)]
def demo_svc(name, td, mode, lbs, net=None):
    x = {"serviceArn": f"arn:aws:ecs:{REG}:{ACCT}:service/shop/{name}", "serviceName": name, "clusterArn": DCL,
         "loadBalancers": lbs, "status": "ACTIVE", "desiredCount": 2, "runningCount": 2, "pendingCount": 0,
         "launchType": mode, "taskDefinition": td,
         "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100}}
    if net: x["networkConfiguration"] = {"awsvpcConfiguration": net}
    return x
s.services[DCL] = [
    demo_svc("api", TDAPI, "FARGATE", [{"targetGroupArn": ALBTG, "containerName": "api", "containerPort": 8080}],
             {"subnets": ["subnet-0prv1a", "subnet-0prv1b"], "securityGroups": ["sg-0shopapi"], "assignPublicIp": "DISABLED"}),
    demo_svc("backoffice-api", TDBO, "EC2", [])]
def demo_task(tid, td, group, container, launch, eni_id=None, sub=None, ip=None, ci=None, az="a"):
    t = {"attachments": [], "availabilityZone": REG + az, "clusterArn": DCL, "containers": [container],
         "desiredStatus": "RUNNING", "lastStatus": "RUNNING", "launchType": launch, "group": group,
         "taskArn": f"arn:aws:ecs:{REG}:{ACCT}:task/shop/{tid}", "taskDefinitionArn": td,
         "createdAt": "2026-11-20T09:00:00.000000+00:00", "cpu": "512", "memory": "1024"}
    if eni_id:
        t["attachments"].append({"id": "att-" + tid[:8], "type": "ElasticNetworkInterface", "status": "ATTACHED",
                                 "details": [{"name": "subnetId", "value": sub}, {"name": "networkInterfaceId", "value": eni_id},
                                             {"name": "privateIPv4Address", "value": ip}]})
    if ci: t["containerInstanceArn"] = ci
    return t
tasks = []
for n, (sub, ip, az) in enumerate([("subnet-0prv1a", "10.0.11.100", "a"), ("subnet-0prv1b", "10.0.12.100", "b")], 1):
    tid = f"{n}a2b3c4d5e6f40718293a4b5c6d7e8f9"
    s.d["NetworkInterfaces"].append(eni(f"eni-0apitask0{n}", sub, V, ip, ["sg-0shopapi"], managed=True,
                                        desc=f"arn:aws:ecs:{REG}:{ACCT}:attachment/{tid[:8]}-api"))
    tasks.append(demo_task(tid, TDAPI, "service:api", {
        "containerArn": f"arn:aws:ecs:{REG}:{ACCT}:container/shop/{tid}/api", "name": "api", "image": API_IMG,
        "imageDigest": DEMO_API_DIGEST, "runtimeId": f"{tid}-1", "lastStatus": "RUNNING", "networkBindings": [],
        "networkInterfaces": [{"attachmentId": "att-" + tid[:8], "privateIpv4Address": ip}]},
        "FARGATE", f"eni-0apitask0{n}", sub, ip, az=az))
for n, ci in enumerate(CIS, 1):
    tid = f"{n}b3c4d5e6f7a4182930b4c5d6e7f8a9b"
    tasks.append(demo_task(tid, TDBO, "service:backoffice-api", {
        "containerArn": f"arn:aws:ecs:{REG}:{ACCT}:container/shop/{tid}/api", "name": "api", "image": BO_IMG,
        "imageDigest": DEMO_BACKOFFICE_DIGEST, "runtimeId": f"{tid}-1", "lastStatus": "RUNNING",
        "networkBindings": [{"bindIP": "0.0.0.0", "containerPort": 8080, "hostPort": 32768 + n, "protocol": "tcp"}]},
        "EC2", ci=ci, az="ab"[n - 1]))
s.tasks[DCL] = tasks
s.taskdefs[TDAPI] = {"taskDefinitionArn": TDAPI, "family": "shop-api", "revision": 12, "networkMode": "awsvpc",
                     "requiresCompatibilities": ["FARGATE"], "taskRoleArn": f"arn:aws:iam::{ACCT}:role/shop-api-task",
                     "executionRoleArn": f"arn:aws:iam::{ACCT}:role/ecsTaskExecutionRole",
                     "containerDefinitions": [{"name": "api", "image": API_IMG, "essential": True, "user": "1000",
                                               "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp", "name": "http"}]}]}
s.taskdefs[TDBO] = {"taskDefinitionArn": TDBO, "family": "backoffice-api", "revision": 4, "networkMode": "bridge",
                    "taskRoleArn": f"arn:aws:iam::{ACCT}:role/backoffice-api-task",
                    "containerDefinitions": [{"name": "api", "image": BO_IMG, "essential": True, "user": "1000",
                                              "portMappings": [{"containerPort": 8080, "hostPort": 0, "protocol": "tcp"}]}]}
# Data stores (issue 11): the orders database admits the api tasks' group on 5432; the api task role
# reads the order exports bucket (private, Block Public Access); the static-assets bucket is public
# by its policy (a store the internet reaches by itself); the backoffice role writes logs only.
s.d["SecurityGroups"].append(sg("sg-0orders", V, [perm("tcp", 5432, groups=["sg-0shopapi"])], name="shop-orders-db"))
s.d["NetworkInterfaces"].append(rds_eni("eni-0ordersdb", "subnet-0prv1a", V, "10.0.11.40", ["sg-0orders"]))
s.files[f"{REG}/rds/describe-db-instances.json"] = {"DBInstances": [
    db("shop-orders", "postgres", 5432, ["sg-0orders"], [("subnet-0prv1a", "a"), ("subnet-0prv1b", "b")], False, V)]}
empty_data_listings(s)
s.files["global/s3api/list-buckets.json"] = {"Buckets": [
    {"Name": n, "CreationDate": "2026-10-01T10:00:00+00:00", "BucketRegion": REG} for n in ("shop-order-exports", "shop-static-assets")],
    "Owner": {"DisplayName": "shop", "ID": "7a1c3e5b9d0f42a6b8c0d2e4f6a8b0c17a1c3e5b9d0f42a6b8c0d2e4f6a8b0c1"}}
s.files["global/s3api/get-public-access-block/shop-order-exports.json"] = {"PublicAccessBlockConfiguration": {
    "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}}
s.files["global/s3api/get-public-access-block/shop-static-assets.json"] = {"PublicAccessBlockConfiguration": {
    "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}}
s.files["global/s3api/get-bucket-policy-status/shop-static-assets.json"] = {"PolicyStatus": {"IsPublic": True}}
s.files["global/s3api/get-bucket-policy/shop-static-assets.json"] = {"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::shop-static-assets/*"}]})}
s.not_found = [{"account": ACCT, "region": "global", "service": "s3api", "operation": op, "resource_id": "shop-order-exports",
                "error_code": "NoSuchBucketPolicy"} for op in ("get-bucket-policy-status", "get-bucket-policy")]
s.files["global/iam/get-account-authorization-details.json"] = {"UserDetailList": [], "GroupDetailList": [], "Policies": [],
    "RoleDetailList": [
        role("shop-api-task", "ecs-tasks.amazonaws.com", [("order-exports", {"Version": "2012-10-17", "Statement": [
            {"Sid": "ReadExports", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": ["arn:aws:s3:::shop-order-exports", "arn:aws:s3:::shop-order-exports/*"]}]})]),
        role("backoffice-api-task", "ecs-tasks.amazonaws.com", [("logs", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]})]),
        role("ecsTaskExecutionRole", "ecs-tasks.amazonaws.com", [])]}
s.write()

# 18. Data stores behind workloads (issue 11) ------------------------------------------------------
# Two Fargate services run images with the same packages (digests sha256:0f1e…f0 and sha256:1f1e…f1,
# replaced by tests with scanned images') with public addresses and a group open to the internet on 8080:
# - "api" (task role api-task) may s3:GetObject on customer-exports, and its group sg-0api is
#   admitted by the database's group sg-0db on 5432: two data stores behind it;
# - "resizer" (task role resizer-task: CloudWatch Logs only; group sg-0resizer, not admitted by sg-0db)
#   has none.
# Public data stores: RDS "legacy-mysql" (PubliclyAccessible, public subnet, 3306 open to the world),
# bucket "public-assets" (bucket policy Principal "*" s3:GetObject), Lambda "thumbnailer" (function URL
# AuthType NONE). Shapes: AWS CLI reference examples (rds describe-db-instances, s3api get-bucket-policy,
# lambda list-function-url-configs, iam get-account-authorization-details).
s = Snap("datastores"); V = s.base()
DSCL = f"arn:aws:ecs:{REG}:{ACCT}:cluster/prod"
DIGS = {"api": "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "resizer": "sha256:1f1e2d3c4b5a69788796a5b4c3d2e1f01f1e2d3c4b5a69788796a5b4c3d2e1f1"}
s.d["SecurityGroups"] += [
    sg("sg-0api", V, [perm("tcp", 8080, cidrs=["0.0.0.0/0"])], name="api"),
    sg("sg-0resizer", V, [perm("tcp", 8080, cidrs=["0.0.0.0/0"])], name="resizer"),
    sg("sg-0db", V, [perm("tcp", 5432, groups=["sg-0api"])], name="db-prod"),
    sg("sg-0legacydb", V, [perm("tcp", 3306, cidrs=["0.0.0.0/0"])], name="legacy-mysql")]
s.clusters.append({"clusterArn": DSCL, "clusterName": "prod", "status": "ACTIVE", "runningTasksCount": 2, "activeServicesCount": 2})
ds_tasks = []
for n, (name, grp, ip, pub) in enumerate([("api", "sg-0api", "10.0.1.40", "52.16.20.40"),
                                          ("resizer", "sg-0resizer", "10.0.2.41", "52.16.20.41")], 1):
    tid = f"{n}c4d5e6f7a8b94c0d1e2f3a4b5c6d7e8f"
    sub = "subnet-0pub1a" if n == 1 else "subnet-0pub1b"
    td = f"arn:aws:ecs:{REG}:{ACCT}:task-definition/{name}:3"
    s.d["NetworkInterfaces"].append(eni(f"eni-0{name}task", sub, V, ip, [grp], pub, managed=True,
                                        desc=f"arn:aws:ecs:{REG}:{ACCT}:attachment/{tid[:8]}-{name}"))
    t = task(tid, td, [{"containerArn": f"arn:aws:ecs:{REG}:{ACCT}:container/prod/{tid}/{name}", "name": name,
                        "image": f"111122223333.dkr.ecr.{REG}.amazonaws.com/shop/{name}:2.1", "imageDigest": DIGS[name],
                        "lastStatus": "RUNNING", "networkBindings": [],
                        "networkInterfaces": [{"attachmentId": "att-" + tid[:8], "privateIpv4Address": ip}]}],
             f"eni-0{name}task", sub)
    t["clusterArn"], t["group"], t["taskArn"] = DSCL, "service:" + name, f"arn:aws:ecs:{REG}:{ACCT}:task/prod/{tid}"
    t["attachments"][0]["details"][2]["value"] = ip
    ds_tasks.append(t)
    s.taskdefs[td] = {"taskDefinitionArn": td, "family": name, "revision": 3, "networkMode": "awsvpc",
                      "requiresCompatibilities": ["FARGATE"], "taskRoleArn": f"arn:aws:iam::{ACCT}:role/{name}-task",
                      "containerDefinitions": [{"name": name, "image": f"111122223333.dkr.ecr.{REG}.amazonaws.com/shop/{name}:2.1",
                                                "essential": True, "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}]}]}
s.tasks[DSCL] = ds_tasks
s.cis[DSCL] = []
s.services[DSCL] = [{"serviceArn": f"arn:aws:ecs:{REG}:{ACCT}:service/prod/{n}", "serviceName": n, "clusterArn": DSCL,
                     "loadBalancers": [], "status": "ACTIVE", "desiredCount": 1, "runningCount": 1, "pendingCount": 0,
                     "launchType": "FARGATE", "taskDefinition": f"arn:aws:ecs:{REG}:{ACCT}:task-definition/{n}:3",
                     "networkConfiguration": {"awsvpcConfiguration": {"subnets": [sub], "securityGroups": [g], "assignPublicIp": "ENABLED"}}}
                    for n, sub, g in [("api", "subnet-0pub1a", "sg-0api"), ("resizer", "subnet-0pub1b", "sg-0resizer")]]
s.d["NetworkInterfaces"] += [rds_eni("eni-0rdsprod", "subnet-0prv1a", V, "10.0.11.50", ["sg-0db"]),
                             rds_eni("eni-0rdslegacy", "subnet-0pub1a", V, "10.0.1.51", ["sg-0legacydb"], "52.16.20.51")]
s.files[f"{REG}/rds/describe-db-instances.json"] = {"DBInstances": [
    db("db-prod", "postgres", 5432, ["sg-0db"], [("subnet-0prv1a", "a"), ("subnet-0prv1b", "b")], False, V),
    db("legacy-mysql", "mysql", 3306, ["sg-0legacydb"], [("subnet-0pub1a", "a"), ("subnet-0pub1b", "b")], True, V)]}
s.files[f"{REG}/rds/describe-db-clusters.json"] = {"DBClusters": []}
empty_data_listings(s, skip=("rds/describe-db-clusters",))
s.files[f"{REG}/lambda/list-functions.json"] = {"Functions": [
    {"FunctionName": "thumbnailer", "FunctionArn": f"arn:aws:lambda:{REG}:{ACCT}:function:thumbnailer", "Runtime": "python3.12",
     "Role": f"arn:aws:iam::{ACCT}:role/thumbnailer", "Handler": "app.handler", "PackageType": "Zip"}]}
s.files[f"{REG}/lambda/list-function-url-configs/thumbnailer.json"] = {"FunctionUrlConfigs": [
    {"FunctionUrl": "https://a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6.lambda-url.eu-west-1.on.aws/",
     "FunctionArn": f"arn:aws:lambda:{REG}:{ACCT}:function:thumbnailer", "AuthType": "NONE",
     "CreationTime": "2026-10-01T10:00:00.000000+0000", "LastModifiedTime": "2026-10-01T10:00:00.000000+0000"}]}
s.files["global/s3api/list-buckets.json"] = {"Buckets": [
    {"Name": n, "CreationDate": "2026-10-01T10:00:00+00:00", "BucketRegion": REG} for n in ("customer-exports", "public-assets")],
    "Owner": {"DisplayName": "shop", "ID": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}}
s.files["global/s3api/get-public-access-block/customer-exports.json"] = {"PublicAccessBlockConfiguration": {
    "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}}
s.files["global/s3api/get-bucket-policy-status/public-assets.json"] = {"PolicyStatus": {"IsPublic": True}}
s.files["global/s3api/get-bucket-policy/public-assets.json"] = {"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
     "Resource": "arn:aws:s3:::public-assets/*"}]})}
s.not_found = [{"account": ACCT, "region": "global", "service": "s3api", "operation": op, "resource_id": b, "error_code": code}
               for op, b, code in [("get-public-access-block", "public-assets", "NoSuchPublicAccessBlockConfiguration"),
                                   ("get-bucket-policy-status", "customer-exports", "NoSuchBucketPolicy"),
                                   ("get-bucket-policy", "customer-exports", "NoSuchBucketPolicy")]]
s.files["global/iam/get-account-authorization-details.json"] = {"UserDetailList": [], "GroupDetailList": [], "Policies": [],
    "RoleDetailList": [
        role("api-task", "ecs-tasks.amazonaws.com", [("read-exports", {"Version": "2012-10-17", "Statement": [
            {"Sid": "ReadExports", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": ["arn:aws:s3:::customer-exports", "arn:aws:s3:::customer-exports/*"]}]})]),
        role("resizer-task", "ecs-tasks.amazonaws.com", [("logs", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]})]),
        role("thumbnailer", "lambda.amazonaws.com", [])]}
s.write()
