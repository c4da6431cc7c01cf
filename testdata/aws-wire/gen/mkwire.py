#!/usr/bin/env python3
"""Build AWS wire-format response fixtures from real recorded responses.

Needs botocore (the AWS service models and response parsers; recorded in
PROVENANCE.md: botocore 1.43.11, installed with awscli 1.45.11):

    python3 testdata/aws-wire/gen/mkwire.py /work/shared/data/envs/aws-api-samples

For every entry in SOURCES it loads a response as botocore parsed it (a
cloud-custodian placebo recording, an AWS CLI documentation example or a
cartography test dict), serializes it into the operation's wire protocol
(ec2 query XML, query XML, rest-xml, json 1.1, rest-json) using the member
locationNames, list wrappers and timestamp formats of the official service
model, then parses the bytes back with botocore's own response parser and
fails unless the result equals the source. The bytes go to
testdata/aws-wire/estate/<service>/<Operation>[.<n>].{xml,json}.
"""
import ast
import base64
import datetime
import json
import os
import re
import sys
import urllib.parse
from xml.sax.saxutils import escape

import botocore
from botocore import session as bsession, parsers

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "estate")
SESSION = bsession.get_session()
UTC = datetime.timezone.utc


# ---------- loading sources ----------

def _dt(o):
    if isinstance(o, dict):
        if o.get("__class__") == "datetime":
            return datetime.datetime(o["year"], o["month"], o["day"], o["hour"], o["minute"],
                                     o["second"], o.get("microsecond", 0), tzinfo=UTC)
        return {k: _dt(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_dt(v) for v in o]
    return o


def placebo(root, rel):
    with open(os.path.join(root, "cloud-custodian-placebo", rel)) as f:
        data = json.load(f)["data"]
    data.pop("ResponseMetadata", None)
    return _dt(data)


def rst_output(root, rel, index=0):
    """The index-th JSON block after an 'Output::' line of a CLI example."""
    with open(os.path.join(root, "aws-cli-examples", rel)) as f:
        text = f.read()
    blocks = []
    for m in re.finditer(r"Output::\s*\n((?:\n|[ \t]+.*\n)+)", text):
        body = m.group(1)
        start = body.find("{")
        if start < 0:
            continue
        blocks.append(json.JSONDecoder().raw_decode(body[start:])[0])
    return blocks[index]


def cartography(root, rel, var):
    with open(os.path.join(root, "cartography-tests-data-aws", rel)) as f:
        src = f.read()
    ns = {}
    exec(compile(src, rel, "exec"), ns)  # trusted upstream test data
    v = ns[var]

    def conv(o):
        if isinstance(o, datetime.datetime):
            return o if o.tzinfo else o.replace(tzinfo=UTC)
        if isinstance(o, dict):
            return {k: conv(x) for k, x in o.items()}
        if isinstance(o, list):
            return [conv(x) for x in o]
        return o
    return conv(v)


# ---------- serializing ----------

def iso(dt):
    if isinstance(dt, str):
        return dt
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def epoch(dt):
    if isinstance(dt, (int, float)):
        return dt
    if isinstance(dt, str):
        dt = datetime.datetime.fromisoformat(dt.replace("Z", "+00:00"))
    return dt.timestamp()


def xml_scalar(shape, v):
    t = shape.type_name
    if t == "timestamp":
        return iso(v)
    if t == "boolean":
        return "true" if v else "false"
    if t == "blob":
        return base64.b64encode(v).decode() if isinstance(v, bytes) else v
    if t == "string" and shape.name == "policyDocumentType" and not isinstance(v, str):
        # IAM sends policy documents URL-encoded (RFC 3986).
        return urllib.parse.quote(json.dumps(v, separators=(",", ":")), safe="")
    return str(v)


def xml_value(shape, v, name, ec2, out):
    t = shape.type_name
    if t == "structure":
        out.append("<%s>" % name)
        xml_members(shape, v, ec2, out)
        out.append("</%s>" % name)
    elif t == "list":
        m = shape.member
        item = m.serialization.get("name") or ("item" if ec2 else "member")
        if shape.serialization.get("flattened"):
            for x in v:
                xml_value(m, x, name, ec2, out)
            return
        out.append("<%s>" % name)
        for x in v:
            xml_value(m, x, item, ec2, out)
        out.append("</%s>" % name)
    elif t == "map":
        kname = shape.key.serialization.get("name", "key")
        vname = shape.value.serialization.get("name", "value")
        out.append("<%s>" % name)
        for k, x in v.items():
            out.append("<entry>")
            xml_value(shape.key, k, kname, ec2, out)
            xml_value(shape.value, x, vname, ec2, out)
            out.append("</entry>")
        out.append("</%s>" % name)
    else:
        out.append("<%s>%s</%s>" % (name, escape(xml_scalar(shape, v)), name))


def xml_members(shape, d, ec2, out):
    for mname, mshape in shape.members.items():
        if mname not in d:
            continue
        name = mshape.serialization.get("name") or mname
        xml_value(mshape, d[mname], name, ec2, out)


def json_value(shape, v):
    t = shape.type_name
    if t == "structure":
        return {k: json_value(shape.members[k], x) for k, x in v.items() if k in shape.members}
    if t == "list":
        return [json_value(shape.member, x) for x in v]
    if t == "map":
        return {k: json_value(shape.value, x) for k, x in v.items()}
    if t == "timestamp":
        fmt = shape.serialization.get("timestampFormat")
        return iso(v) if fmt == "iso8601" else epoch(v)
    if t == "blob":
        return base64.b64encode(v).decode() if isinstance(v, bytes) else v
    return v


def check_keys(shape, d, where):
    unknown = [k for k in d if k not in shape.members]
    if unknown:
        raise SystemExit("%s: members %s are not in the model" % (where, unknown))


def serialize(service, op, data):
    model = SESSION.get_service_model(service)
    om = model.operation_model(op)
    shape = om.output_shape
    proto = model.metadata["protocol"]
    check_keys(shape, data, "%s %s" % (service, op))
    if proto == "ec2":
        ns = "http://ec2.amazonaws.com/doc/%s/" % model.api_version
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="%s">' % (op, ns),
               "<requestId>8f7724cf-496f-496e-8fe3-example</requestId>"]
        xml_members(shape, data, True, out)
        out.append("</%sResponse>" % op)
        return "\n".join(out) + "\n", "xml"
    if proto == "query":
        ns = model.metadata.get("xmlNamespace", "")
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="%s">' % (op, ns)]
        wrapper = om.output_shape.serialization.get("resultWrapper", op + "Result")
        out.append("<%s>" % wrapper)
        xml_members(shape, data, False, out)
        out.append("</%s>" % wrapper)
        out.append("<ResponseMetadata><RequestId>8f7724cf-496f-496e-8fe3-example</RequestId></ResponseMetadata>")
        out.append("</%sResponse>" % op)
        return "\n".join(out) + "\n", "xml"
    if proto == "rest-xml":
        payload = shape.serialization.get("payload")
        out = ['<?xml version="1.0" encoding="UTF-8"?>']
        if payload and shape.members[payload].type_name == "string":
            # A string payload (s3 GetBucketPolicy) is the raw body itself.
            return data[payload], "json"
        if payload:
            pshape = shape.members[payload]
            root = pshape.serialization.get("name") or pshape.name
            xml_value(pshape, data[payload], root, False, out)
            out[1] = out[1].replace("<%s>" % root, '<%s xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' % root, 1)
        else:
            root = shape.serialization.get("name") or shape.name
            inner = []
            xml_members(shape, data, False, inner)
            out.append('<%s xmlns="http://s3.amazonaws.com/doc/2006-03-01/">%s</%s>' % (root, "".join(inner), root))
        return "\n".join(out) + "\n", "xml"
    if proto in ("json", "rest-json"):
        for k, m in shape.members.items():
            if k in data and m.serialization.get("location"):
                raise SystemExit("%s %s: header/status member %s not supported" % (service, op, k))
        return json.dumps(json_value(shape, data), indent=2) + "\n", "json"
    raise SystemExit("protocol %s not supported" % proto)


def parse_back(service, op, body):
    model = SESSION.get_service_model(service)
    om = model.operation_model(op)
    proto = model.metadata["protocol"]
    p = parsers.create_parser(proto)
    resp = {"body": body.encode(), "headers": {}, "status_code": 200}
    got = p.parse(resp, om.output_shape)
    got.pop("ResponseMetadata", None)
    if service == "iam":
        # The after-call handler every botocore IAM client (and so the CLI) runs.
        from botocore.handlers import json_decode_policies
        json_decode_policies(got, om)
    return got


def norm(o):
    if isinstance(o, datetime.datetime):
        return o.astimezone(UTC).replace(microsecond=(o.microsecond // 1000) * 1000).isoformat()
    if isinstance(o, dict):
        return {k: norm(v) for k, v in o.items()}
    if isinstance(o, list):
        return [norm(v) for v in o]
    if isinstance(o, str):
        try:
            d = datetime.datetime.fromisoformat(o.replace("Z", "+00:00"))
            if d.tzinfo and "T" in o:
                return norm(d)
        except ValueError:
            pass
    return o


def emit(service, op, data, suffix=""):
    body, ext = serialize(service, op, data)
    back = parse_back(service, op, body)
    if norm(back) != norm(data):
        raise SystemExit("%s %s%s: botocore parses the wire bytes differently:\n%s\n!=\n%s" % (
            service, op, suffix, json.dumps(norm(back), sort_keys=True)[:2000],
            json.dumps(norm(data), sort_keys=True)[:2000]))
    d = os.path.join(OUT, service)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "%s%s.%s" % (op, suffix, ext))
    with open(path, "w") as f:
        f.write(body)
    print("wrote", os.path.relpath(path, os.path.join(HERE, "..")))


def main(root):
    from sources import SOURCES
    for service, op, suffix, load in SOURCES:
        emit(service, op, load(root), suffix)


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    main(sys.argv[1])
