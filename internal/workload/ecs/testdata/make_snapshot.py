#!/usr/bin/env python3
"""Writes ecs-mixed/: an AWS snapshot (AWS CLI JSON layout, docs/aws-snapshot.md)
with a bridge-mode ECS service (dynamic host port 32768 for container port 80,
a privileged sidecar with the Docker socket mounted) and an awsvpc service, both
behind one ALB. Reuses the helpers of testdata/aws/scenarios/make_scenarios.py
(shapes from the AWS CLI documentation examples, awscli/examples/{ec2,elbv2,ecs},
Apache-2.0; ECS fields as in describe-task-definition / describe-tasks output).
Run: python3 make_snapshot.py"""
import os, re
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "..", "..", "..", "testdata", "aws", "scenarios", "make_scenarios.py")
code = open(SRC).read()
code = code[:code.index("# 1. public subnet web server")]
g = {"__file__": os.path.join(HERE, "x.py")}
exec(code, g)
globals().update({k: v for k, v in g.items() if not k.startswith("__")})
HERE = os.path.dirname(os.path.abspath(__file__))
g["HERE"] = HERE

CL = f"arn:aws:ecs:{REG}:{ACCT}:cluster/prod"
def task(tid, td, containers, eni_id=None, sub=None, ci=None, launch="FARGATE"):
    """As make_scenarios.py's task (ECS describe-tasks entry)."""
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
CI = f"arn:aws:ecs:{REG}:{ACCT}:container-instance/prod/9f8e7d6c5b4a39281706f5e4d3c2b1a0"
TDW = f"arn:aws:ecs:{REG}:{ACCT}:task-definition/web:3"
TDA = f"arn:aws:ecs:{REG}:{ACCT}:task-definition/api:7"
LB = lb_arn("app", "web-alb", "50dc6c495c0c9188")
LI = listener_arn("app", "web-alb", "50dc6c495c0c9188", "f2f7dc8efc522ab2")
TGW = tg_arn("web-tg", "6d0ecf831eec9f09")
TGA = tg_arn("api-tg", "7e1fdf942ffd0a1a")
DIG = "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"

s = Snap("ecs-mixed"); V = s.base()
s.d["SecurityGroups"] += [
    sg("sg-0ecshost", V, [perm("tcp", 32768, 60999, cidrs=["0.0.0.0/0"]), perm("tcp", 9113, cidrs=["10.0.0.0/16"])]),
    sg("sg-0alb", V, [perm("tcp", 443, cidrs=["0.0.0.0/0"])]),
    sg("sg-0task", V, [perm("tcp", 8080, groups=["sg-0alb"])])]
s.add_instance("i-0ecs000000000001", eni("eni-0ecs0001", "subnet-0pub1a", V, "10.0.1.110", ["sg-0ecshost"], "52.16.20.110",
                                         instance="i-0ecs000000000001"))
s.d["NetworkInterfaces"] += [
    eni("eni-0task0001", "subnet-0prv1a", V, "10.0.11.100", ["sg-0task"],
        desc="arn:aws:ecs:eu-west-1:111122223333:attachment/5e3c1a2b", managed=True),
    lb_eni("eni-0alba", "subnet-0pub1a", "10.0.1.50", "ELB app/web-alb/50dc6c495c0c9188", ["sg-0alb"]),
    lb_eni("eni-0albb", "subnet-0pub1b", "10.0.2.50", "ELB app/web-alb/50dc6c495c0c9188", ["sg-0alb"])]
s.d["LoadBalancers"].append(elbv2(LB, "web-alb", "application", ["subnet-0pub1a", "subnet-0pub1b"], ["sg-0alb"]))
s.d["TargetGroups"] += [tg(TGW, "web-tg", "HTTP", 80, "instance", [LB]), tg(TGA, "api-tg", "HTTP", 8080, "ip", [LB])]
s.listeners[LB] = [listener(LI, LB, 443, "HTTPS", TGW)]
s.rules[LI] = [{"RuleArn": LI.replace(":listener/", ":listener-rule/") + "/9683b2d02a6cabee", "Priority": "10",
                "Conditions": [{"Field": "path-pattern", "Values": ["/api/*"], "PathPatternConfig": {"Values": ["/api/*"]}}],
                "Actions": [{"Type": "forward", "TargetGroupArn": TGA, "Order": 1}], "IsDefault": False},
               {"RuleArn": LI.replace(":listener/", ":listener-rule/") + "/default", "Priority": "default", "Conditions": [],
                "Actions": [{"Type": "forward", "TargetGroupArn": TGW, "Order": 1}], "IsDefault": True}]
s.health[TGW] = [health("i-0ecs000000000001", 32768)]
s.health[TGA] = [health("10.0.11.100", 8080)]

s.clusters.append({"clusterArn": CL, "clusterName": "prod", "status": "ACTIVE", "registeredContainerInstancesCount": 1})
s.cis[CL] = [{"containerInstanceArn": CI, "ec2InstanceId": "i-0ecs000000000001", "status": "ACTIVE", "agentConnected": True}]
def svc(name, td, tgarn, cname, cport, mode, net=None):
    x = {"serviceArn": f"arn:aws:ecs:{REG}:{ACCT}:service/prod/{name}", "serviceName": name, "clusterArn": CL,
         "loadBalancers": [{"targetGroupArn": tgarn, "containerName": cname, "containerPort": cport}],
         "status": "ACTIVE", "desiredCount": 1, "runningCount": 1, "pendingCount": 0, "launchType": mode,
         "taskDefinition": td, "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100}}
    if net: x["networkConfiguration"] = {"awsvpcConfiguration": net}
    return x
s.services[CL] = [svc("web", TDW, TGW, "web", 80, "EC2"),
                  svc("api", TDA, TGA, "api", 8080, "FARGATE", {"subnets": ["subnet-0prv1a"], "securityGroups": ["sg-0task"], "assignPublicIp": "DISABLED"})]
web = task("1b2c3d4e5f6a4b7c8d9e0f1a2b3c4d5e", TDW, [
    {"containerArn": f"arn:aws:ecs:{REG}:{ACCT}:container/prod/1b2c3d4e5f6a4b7c8d9e0f1a2b3c4d5e/5a0b3c2d", "name": "web",
     "image": "nginx:1.27", "imageDigest": DIG, "runtimeId": "1b2c3d4e5f6a4b7c8d9e0f1a2b3c4d5e-1234567890", "lastStatus": "RUNNING",
     "networkBindings": [{"bindIP": "0.0.0.0", "containerPort": 80, "hostPort": 32768, "protocol": "tcp"},
                         {"bindIP": "0.0.0.0", "containerPort": 9113, "hostPort": 9113, "protocol": "tcp"}]},
    {"containerArn": f"arn:aws:ecs:{REG}:{ACCT}:container/prod/1b2c3d4e5f6a4b7c8d9e0f1a2b3c4d5e/6b1c4d3e", "name": "agent",
     "image": "example/agent:2.0", "runtimeId": "1b2c3d4e5f6a4b7c8d9e0f1a2b3c4d5e-2345678901", "lastStatus": "RUNNING",
     "networkBindings": [{"bindIP": "127.0.0.1", "containerPort": 8125, "hostPort": 8125, "protocol": "udp"}]}],
    ci=CI, launch="EC2")
api = task("0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d", TDA, [
    {"name": "api", "image": "example/api:1.2", "imageDigest": DIG.replace("0f1e", "9a8b", 1), "lastStatus": "RUNNING",
     "networkBindings": [], "networkInterfaces": [{"attachmentId": "att-0a1b2c3d", "privateIpv4Address": "10.0.11.100"}]}],
    "eni-0task0001", "subnet-0prv1a")
api["attachments"][0]["details"][2]["value"] = "10.0.11.100"
api["group"] = "service:api"
stopped = task("2c3d4e5f6a7b4c8d9e0f1a2b3c4d5e6f", TDW, [], ci=CI, launch="EC2")
stopped["lastStatus"] = "STOPPED"
s.tasks[CL] = [web, api, stopped]
s.taskdefs[TDW] = {"taskDefinitionArn": TDW, "family": "web", "revision": 3, "networkMode": "bridge",
                   "taskRoleArn": f"arn:aws:iam::{ACCT}:role/web-task", "executionRoleArn": f"arn:aws:iam::{ACCT}:role/ecsTaskExecutionRole",
                   "volumes": [{"name": "docker-sock", "host": {"sourcePath": "/var/run/docker.sock"}}, {"name": "scratch"}],
                   "containerDefinitions": [
                       {"name": "web", "image": "nginx:1.27", "essential": True, "user": "101",
                        "readonlyRootFilesystem": True, "portMappings": [
                            {"containerPort": 80, "hostPort": 0, "protocol": "tcp"}, {"containerPort": 9113, "hostPort": 9113, "protocol": "tcp"}],
                        "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/tmp", "readOnly": False}],
                        "linuxParameters": {"capabilities": {"drop": ["ALL"]}}},
                       {"name": "agent", "image": "example/agent:2.0", "essential": False, "privileged": True,
                        "portMappings": [{"containerPort": 8125, "hostPort": 8125, "protocol": "udp"}],
                        "mountPoints": [{"sourceVolume": "docker-sock", "containerPath": "/var/run/docker.sock", "readOnly": True}],
                        "linuxParameters": {"capabilities": {"add": ["NET_ADMIN", "SYS_PTRACE"]}}}]}
s.taskdefs[TDA] = {"taskDefinitionArn": TDA, "family": "api", "revision": 7, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
                   "taskRoleArn": f"arn:aws:iam::{ACCT}:role/api-task",
                   "containerDefinitions": [{"name": "api", "image": "example/api:1.2", "essential": True,
                                             "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp", "name": "http"}]}]}
s.write()
