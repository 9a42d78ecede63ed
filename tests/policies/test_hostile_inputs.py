"""Both packs under hostile input, over the Analyzer gRPC protocol as the engine drives them (issue #14).

* A seeded, bounded property-based suite (hypothesis) sends generated resources of every type token the rules know
  - compliant fixtures with values replaced, random fields, every JSON type, unknowns, secrets, unrecognised
  signature objects, NaN and infinities, nesting hundreds of levels deep - to Analyze and AnalyzeStack of both
  packs: no call may fail and no rule may raise (the guard's violation would say so).
* The crash inputs found by fuzzing yield violations naming the field, never an error.
* Unknowns never fail a rule: every field of every compliant fixture replaced by the unknown sentinel adds no
  mandatory violation.
* Secrets never appear in a message.

PLATFORMCTL_FUZZ_EXAMPLES=20000 runs a deeper search (the default keeps `make test` fast).
"""

from __future__ import annotations

import copy
import itertools
import math
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from platformctl.analyzer import Resource
from policies.packkit import GUARD_MARKER
from policies.rules import config as catalog
from policies.rules import encryption, hardening, iam_valid, kubernetes, shapes
from policies.rules.values import SECRET_SIG, SIG_KEY, UNKNOWN_SENTINELS

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # what a real preview sends for an unknown string
KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
AWS_CASES = yaml.safe_load((FIXTURES / "policy" / "aws_cases.yaml").read_text())["cases"]
_ids = itertools.count()


def secret(value: Any) -> dict[str, Any]:
    return {SIG_KEY: SECRET_SIG, "value": value}


def resource(type_: str, props: dict, name: str | None = None) -> Resource:
    name = name or f"h{next(_ids)}"
    return Resource(type=type_, name=name, urn=f"urn:pulumi:test::eks-platform::{type_}::{name}", properties=props)


def mandatory(diags, policy: str | None = None) -> list[str]:
    return [d.message for d in diags if d.level == "mandatory" and (policy is None or d.policy == policy)]


# ------------------------------------------------------------------------------------------- compliant fixtures

RESTRICTED = [doc for doc in yaml.safe_load_all((FIXTURES / "pss" / "workloads-restricted.yaml").read_text()) if doc]
TYPE_OF_KIND = {kind: type_ for type_, kind in kubernetes.KIND_OF_TYPE.items()}
PSA_LABELS = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "v1.35",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
}


def kubernetes_compliant(namespace: str) -> list[tuple[str, dict]]:
    """(type token, object) of one compliant object per Kubernetes type the rules know, in `namespace`."""
    out = []
    for doc in RESTRICTED:
        obj = copy.deepcopy(doc)
        obj["metadata"]["namespace"] = namespace
        out.append((TYPE_OF_KIND[obj["kind"]], obj))
    out.append(
        (
            kubernetes.NAMESPACE_TYPE,
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": dict(PSA_LABELS)}},
        )
    )
    annotations = {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}
    out.append(
        (
            kubernetes.SERVICE_TYPE,
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "lb", "namespace": namespace, "annotations": annotations},
                "spec": {"type": "LoadBalancer", "ports": [{"port": 443}]},
            },
        )
    )
    out.append(
        (
            kubernetes.NETWORK_POLICY_TYPE,
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "default-deny", "namespace": namespace},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            },
        )
    )
    return out


AWS_COMPLIANT = [(c["type"], c["props"], c.get("config", {}), c["policy"]) for c in AWS_CASES if c["expect"] == "pass"]
KUBERNETES_PROD = {
    "pod-security-standards": {
        "enforcementLevel": "mandatory",
        "level": "restricted",
        "version": "v1.35",
        "exemptNamespaces": [],
    },
    "namespace-pod-security-labels": {"enforcementLevel": "mandatory", "requireAllLabels": True},
    "workload-resources": {"enforcementLevel": "advisory"},
    "image-pinned": {
        "enforcementLevel": "mandatory",
        "allowedRegistries": ["public.ecr.aws/", "602401143452.dkr.ecr.*.amazonaws.com", "registry.k8s.io/"],
    },
    "loadbalancer-internal": {"enforcementLevel": "mandatory"},
    "namespace-default-deny": {"enforcementLevel": "mandatory"},
}


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path below the root of a JSON value (dict keys and list indexes)."""
    out = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        out.append((*prefix, key))
        out += paths(item, (*prefix, key))
    return out


def replaced(value: Any, path: tuple, new: Any) -> Any:
    out = copy.deepcopy(value)
    cur = out
    for key in path[:-1]:
        cur = cur[key]
    cur[path[-1]] = new
    return out


# ------------------------------------------------------------------------------------------- what the rules know

KNOWN_TYPES = sorted(
    set(encryption.CHECKS)
    | hardening.IMDS_TYPES
    | hardening.IAM_TYPES
    | set(iam_valid.POLICY_FIELDS)
    | {
        hardening.RDS_INSTANCE,
        hardening.RDS_CLUSTER,
        hardening.RDS_CLUSTER_INSTANCE,
        hardening.EKS_CLUSTER,
        "eks:index:Cluster",  # a remote component: no rule reads its inputs, whatever they are
        "aws:kms/key:Key",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        "aws:cloudwatch/logGroup:LogGroup",
        encryption.S3_BUCKET,
        "aws:ec2/vpc:Vpc",  # taggable
        "pulumi:providers:aws",
    }
    | set(kubernetes.KIND_OF_TYPE)
)


def _keys(value: Any, out: set[str]) -> set[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            _keys(v, out)
    elif isinstance(value, list):
        for v in value:
            _keys(v, out)
    return out


def _schema_keys(schema: Any, out: set[str]) -> set[str]:
    if isinstance(schema, dict):
        for k, v in schema.items():
            if k != "*":
                out.add(k)
            _schema_keys(v, out)
    elif isinstance(schema, list):
        _schema_keys(schema[0], out)
    return out


VOCABULARY = sorted(
    _keys([c["props"] for c in AWS_CASES] + [o for _, o in kubernetes_compliant("fz")], set())
    | _schema_keys([shapes.workload("CronJob", shapes.PSS_POD_SPEC), shapes.NETWORK_POLICY, shapes.SERVICE], set())
    | {"tags", "tagsAll", "managedPolicyArns", "policyArn", "policyArns", "inlinePolicy", "NotAction", "NotResource"}
    | {"ingress", "cidrBlocks", "ipv6CidrBlocks", "cidrIpv4", "cidrIpv6", "ipProtocol", "protocol", "type"}
)

SPECIAL_STRINGS = [
    *sorted(UNKNOWN_SENTINELS),
    "",
    " ",
    "*",
    "*:*",
    "-1",
    "all",
    "6",
    "22",
    "true",
    "false",
    "yes",
    "NaN",
    "Infinity",
    "0.0.0.0/0",
    "::/0",
    "0.0.0.0/1",
    "::ffff:0:0/96",
    "10.0.0.0/8",
    "not-a-cidr",
    "restricted",
    "privileged",
    "latest",
    "v1.35",
    "alias/aws/ebs",
    KEY,
    "arn:aws:iam::aws:policy/AdministratorAccess",
    '{"Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}}',
    '{"Statement": [1, null, {"Effect": "Allow", "Action": [{}], "Resource": "*"}]}',
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "nginx",
    "nginx:latest",
    "602401143452.dkr.ecr.attacker.example/x:1",
    "public.ecr.aws@evil/x",
    "ALL",
    "RuntimeDefault",
    "kube-system",
    "x" * 5000,
    "\x00\ud7ff\u202e",
]


def _deep(depth: int, leaf: Any) -> Any:
    value = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"x": value}
    return value


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(SPECIAL_STRINGS),
    st.text(max_size=12),
)
keys = st.one_of(st.sampled_from(VOCABULARY), st.text(max_size=6))


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=4),
        children.map(secret),
        st.builds(lambda v, sig: {SIG_KEY: sig, "value": v}, children, st.text(max_size=8)),  # unknown signature
        st.integers(min_value=40, max_value=400).flatmap(lambda d: children.map(lambda leaf: _deep(d, leaf))),
    )


json_values = st.recursive(scalars, _extend, max_leaves=10)


@st.composite
def hostile_resource(draw) -> tuple[str, dict]:
    """A resource of a type the rules know: its compliant fixture with a few values replaced or added, or an
    object of random fields the rules read."""
    type_ = draw(st.sampled_from(KNOWN_TYPES))
    bases = [p for t, p, *_ in AWS_COMPLIANT if t == type_] + [o for t, o in kubernetes_compliant("fz") if t == type_]
    if bases and draw(st.booleans()):
        props = copy.deepcopy(draw(st.sampled_from(bases)))
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            where = paths(props)
            if where and draw(st.booleans()):
                props = replaced(props, draw(st.sampled_from(where)), draw(json_values))
            else:
                props[draw(keys)] = draw(json_values)
        return type_, props
    return type_, draw(st.dictionaries(keys, json_values, max_size=6))


# ------------------------------------------------------------------------------------------- the tests

EXAMPLES = int(os.environ.get("PLATFORMCTL_FUZZ_EXAMPLES", "100"))


def everything_mandatory(pack) -> dict:
    return {p: {"enforcementLevel": "mandatory"} for p in pack.policy_names}


def no_guard(diags) -> None:
    failures = [f"{d.policy}: {d.message}" for d in diags if GUARD_MARKER in d.message]
    assert not failures, failures


# ------------------------------------------------------------------------------------------- property-based


@seed(20260114)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(batch=hostile_resource().flatmap(lambda first: hostile_resource().map(lambda second: [first, second])))
def test_no_hostile_resource_crashes_a_pack_or_a_rule(packs, batch):
    resources = [resource(type_, props) for type_, props in batch]
    for pack in packs.values():
        pack.configure(everything_mandatory(pack))
        diags = []
        for r in resources:
            diags += pack.analyze(r)  # an RPC error raises AnalyzerError and fails the test
        diags += pack.analyze_stack(resources)
        no_guard(diags)


# ------------------------------------------------------------------------------------------- the crash inputs


CRASH_INPUTS = [
    # (type, props, the policy that must report, a fragment naming the field)
    (
        "aws:eks/cluster:Cluster",
        {"enabledClusterLogTypes": {}},
        "eks-control-plane-logging",
        "`enabledClusterLogTypes` must be",
    ),
    (
        "kubernetes:apps/v1:Deployment",
        {"metadata": {"name": "d", "namespace": ["apps"]}, "spec": {"template": {"spec": {"containers": []}}}},
        "pod-security-standards",
        "`metadata.namespace` must be a string",
    ),
    (
        "kubernetes:core/v1:Namespace",
        {"metadata": {"name": "crash-ns", "labels": {"pod-security.kubernetes.io/enforce": ["restricted"]}}},
        "namespace-pod-security-labels",
        '`metadata.labels["pod-security.kubernetes.io/enforce"]` must be a string',
    ),
    (
        "aws:ec2/launchTemplate:LaunchTemplate",
        {"blockDeviceMappings": [{"ebs": "encrypted"}]},
        "encryption-at-rest",
        "`blockDeviceMappings[0].ebs` must be an object",
    ),
    ("kubernetes:core/v1:Namespace", {"metadata": "crash"}, "namespace-pod-security-labels", "`metadata` must be"),
    (
        "kubernetes:core/v1:Namespace",
        {"metadata": {"name": {"x": 1}}},
        "namespace-default-deny",
        "`metadata.name` must be a string",
    ),
    (
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        {"metadata": {"name": "p", "namespace": {"x": 1}}, "spec": {"podSelector": {}}},
        "namespace-default-deny",
        "`metadata.namespace` must be a string",
    ),
    ("kubernetes:core/v1:Namespace", {"metadata": {"name": -1}}, "namespace-default-deny", "`metadata.name` must be"),
]


@pytest.mark.parametrize(("type_", "props", "policy", "names"), CRASH_INPUTS, ids=lambda v: str(v)[:40])
def test_each_crash_input_is_a_violation_naming_the_field(packs, type_, props, policy, names):
    pack = packs[catalog.POLICIES[policy].pack]
    pack.configure(everything_mandatory(pack))
    r = resource(type_, props)
    diags = pack.analyze(r) + pack.analyze_stack([r])
    no_guard(diags)
    assert any(names in m for m in mandatory(diags, policy)), [d.message for d in diags]


def test_nan_deep_nesting_and_bogus_signatures_reach_the_rules(aws, k8s):
    deep: dict = {"x": 1}
    for _ in range(300):
        deep = {"x": [deep]}
    props = {
        "retentionInDays": math.nan,
        "tags": {"team": deep},
        "kmsKeyId": {"4dabf18193072939515e22adb298388d": "bogus"},
    }
    aws.configure(everything_mandatory(aws))
    diags = aws.analyze(resource("aws:cloudwatch/logGroup:LogGroup", props))
    no_guard(diags)
    messages = mandatory(diags)
    assert any("`retentionInDays` must be a number of days" in m and "nan" in m for m in messages), messages
    assert any("`tags.team` must be a string" in m for m in messages), messages
    assert any("`kmsKeyId` must be the ARN or ID" in m for m in messages), messages
    k8s.configure(everything_mandatory(k8s))
    pod = {"metadata": {"name": "deep"}, "spec": {"containers": [{"name": "c", "image": "x:1", "args": deep}]}}
    no_guard(k8s.analyze(resource("kubernetes:core/v1:Pod", pod)))


# ------------------------------------------------------------------------------------------- unknowns


def _new_mandatory(pack, type_, props, policy):
    diags = pack.analyze(resource(type_, props))
    no_guard(diags)
    return mandatory(diags, policy)


@pytest.mark.parametrize("case", AWS_COMPLIANT, ids=lambda c: f"{c[3]}:{c[0].split(':')[-1]}")
def test_unknown_fields_of_compliant_aws_resources_add_no_mandatory_violation(aws, case):
    type_, props, config, policy = case
    aws.configure({policy: {"enforcementLevel": "mandatory", **config}})
    base = set(mandatory(aws.analyze(resource(type_, props)), policy))
    assert not base, base
    new = {path: _new_mandatory(aws, type_, replaced(props, path, UNKNOWN), policy) for path in paths(props)}
    assert {p: n for p, n in new.items() if n} == {}


def test_unknown_fields_of_compliant_kubernetes_objects_add_no_mandatory_violation(k8s):
    k8s.configure(KUBERNETES_PROD)
    objects = kubernetes_compliant("t-unknowns")
    namespace = next(r for r in objects if r[0] == "kubernetes:core/v1:Namespace")
    k8s.analyze(resource(*namespace))  # as the engine does: the Namespace before its workloads
    found = {}
    checked = 0
    for type_, obj in objects:
        stack = type_ in ("kubernetes:core/v1:Namespace", "kubernetes:networking.k8s.io/v1:NetworkPolicy")
        companions = [resource(*o) for o in objects if o[0] != type_ or o[1] is not obj]
        base_diags = k8s.analyze(resource(type_, obj)) + k8s.analyze_stack([*companions, resource(type_, obj)])
        base = set(mandatory(base_diags))
        assert not base, base
        for path in paths(obj):
            if path == ("kind",) or path == ("apiVersion",):
                continue
            r = resource(type_, replaced(obj, path, UNKNOWN))
            diags = k8s.analyze(r) + (k8s.analyze_stack([*companions, r]) if stack else [])
            no_guard(diags)
            checked += 1
            if new := sorted(set(mandatory(diags)) - base):
                found[(type_, path)] = new
    assert checked > 300 and found == {}


def test_an_unknown_security_context_is_not_a_violation_but_says_what_it_cannot_check(k8s):
    k8s.configure(KUBERNETES_PROD)
    pod = {
        "metadata": {"name": "p", "namespace": "t-unknown-sc"},
        "spec": {"containers": [{"name": "app", "image": "public.ecr.aws/a/b:1", "securityContext": UNKNOWN}]},
    }
    diags = [d for d in k8s.analyze(resource("kubernetes:core/v1:Pod", pod)) if d.policy == "pod-security-standards"]
    assert [d.level for d in diags] == ["advisory"] * len(diags) and diags
    assert all(d.message.startswith("cannot be checked until apply") for d in diags)
    assert any("spec.containers[0].securityContext" in d.message for d in diags)


def test_a_proven_violation_next_to_an_unknown_stays_mandatory(k8s):
    k8s.configure(KUBERNETES_PROD)
    pod = {
        "metadata": {"name": "p", "namespace": "t-unknown-next"},
        "spec": {
            "containers": [
                {"name": "a", "image": "public.ecr.aws/a/b:1", "securityContext": UNKNOWN},
                {"name": "b", "image": "public.ecr.aws/a/b:1", "securityContext": {"privileged": True}},
            ]
        },
    }
    messages = mandatory(k8s.analyze(resource("kubernetes:core/v1:Pod", pod)), "pod-security-standards")
    assert any('container "b": securityContext.privileged must be unset or false' in m for m in messages)
    assert not any('container "a"' in m for m in messages)


# ------------------------------------------------------------------------------------------- secrets


def test_secrets_never_appear_in_a_message(aws, k8s):
    aws.configure(everything_mandatory(aws))
    k8s.configure(everything_mandatory(k8s))
    leaks = {
        "alias/aws/ebs-secret-key": ("aws", "aws:ebs/volume:Volume", {"encrypted": True, "kmsKeyId": None}),
        "optional-SECRET-TOKENS": (
            "aws",
            "aws:ec2/launchTemplate:LaunchTemplate",
            {"metadataOptions": {"httpTokens": None, "httpPutResponseHopLimit": 1}},
        ),
        "SecretRetention" * 10: ("aws", "aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": None}),
        "registry.example.com/s3cr3t/app:latest": (
            "k8s",
            "kubernetes:core/v1:Pod",
            {"metadata": {"name": "s"}, "spec": {"containers": [{"name": "c", "image": None}]}},
        ),
    }
    for plaintext, (which, type_, props) in leaks.items():
        # put the secret where the first None is
        props = replaced(props, next(p for p in paths(props) if _at(props, p) is None), secret(plaintext))
        pack = aws if which == "aws" else k8s
        diags = pack.analyze(resource(type_, props))
        assert diags, type_
        assert any("[secret]" in d.message for d in diags), [d.message for d in diags]
        for d in diags:
            assert plaintext not in d.message and plaintext[:20] not in d.message, d.message


def _at(value, path):
    for key in path:
        value = value[key]
    return value
