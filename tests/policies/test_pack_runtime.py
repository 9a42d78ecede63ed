"""The packs' runtime (policies/packkit.py, policies/wire.py) and the analyzer client's limits: a rule that raises
costs one mandatory violation and nothing else, properties are decoded once and only when a policy applies, any
nesting depth is read, and responses beyond gRPC's default 4 MB arrive.
"""

from __future__ import annotations

import itertools
import math
import random
import textwrap

import pytest
from google.protobuf import struct_pb2

from platformctl.analyzer import CHANNEL_OPTIONS, MAX_MESSAGE_BYTES, Resource, find_packs, start_packs
from policies import packkit, wire
from policies.rules import values
from policies.rules.values import SECRET_SIG, SIG_KEY, UNKNOWN

_ids = itertools.count()


def resource(type_: str, props: dict) -> Resource:
    name = f"rt{next(_ids)}"
    return Resource(type=type_, name=name, urn=f"urn:pulumi:test::eks-platform::{type_}::{name}", properties=props)


# ------------------------------------------------------------------------------------------- the guard


BUGGY_PACK = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from policies.packkit import resource_policy, serve
    from policies.rules import tags

    def buggy(type_token, props, config):
        return ["listeners: " + ", ".join(props["listeners"])]  # a bug: listeners may be numbers

    serve("buggy-pack", [
        resource_policy("required-tags", tags.check_required_tags, tags.applies),
        resource_policy("kms-key-rotation", buggy, lambda t: True),
    ])
    """
)


def test_a_rule_that_raises_costs_one_mandatory_violation_naming_the_policy_and_the_property(tmp_path, project_root):
    pack_dir = tmp_path / "policies" / "buggy"
    pack_dir.mkdir(parents=True)
    (pack_dir / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (pack_dir / "__main__.py").write_text(BUGGY_PACK.format(root=str(project_root)))
    (pack,) = start_packs(find_packs(tmp_path))
    try:
        pack.configure({"kms-key-rotation": {"enforcementLevel": "advisory"}})
        diags = pack.analyze(resource("aws:ec2/vpc:Vpc", {"listeners": [80, 443], "cidrBlock": "10.0.0.0/16"}))
    finally:
        pack.close()
    by_policy = {d.policy: d for d in diags}
    assert set(by_policy) == {"required-tags", "kms-key-rotation"}  # the other verdict survives
    guard = by_policy["kms-key-rotation"]
    assert guard.level == "mandatory"  # although the policy is advisory: an unchecked resource is refused
    assert guard.message.startswith(
        "policy kms-key-rotation could not be evaluated: it failed on property `listeners` (TypeError: "
    )


def test_the_guard_finds_the_deepest_property_behind_an_exception():
    def rule(props):
        return [", ".join(props["spec"]["ports"])]

    messages, failure = packkit._guarded("p", rule, {"spec": {"replicas": 2, "ports": ["http", 443]}, "other": 1})
    assert messages == [] and "property `spec.ports[1]` (TypeError" in failure
    messages, failure = packkit._guarded("p", lambda props: [str(1 / props["replicas"])], {"replicas": 0})
    assert messages == [] and "this resource's properties (ZeroDivisionError" in failure


# ------------------------------------------------------------------------------------------- decoding


def _struct(props: dict) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(props)
    return s


def _aws_servicer():
    """The AWS pack's resource policies (tags, encryption, hardening) in a servicer called directly, without gRPC."""
    from pulumi_policy import EnforcementLevel

    from policies.rules import encryption, hardening, tags

    rules = {**tags.RULES, **encryption.RULES, **hardening.RULES}
    applies = {**tags.APPLIES, **encryption.APPLIES, **hardening.APPLIES}
    policies = [packkit.resource_policy(name, rule, applies[name]) for name, rule in rules.items()]
    return packkit._Servicer("t", "1", policies, EnforcementLevel.MANDATORY)


def test_analyze_checks_the_type_before_decoding_and_decodes_once(monkeypatch):
    """The SDK decoded every resource's properties once per policy; the servicer does it once per request, and
    not at all when no enabled policy applies to the type."""
    from pulumi.runtime.proto import analyzer_pb2

    servicer = _aws_servicer()
    calls = []
    real = values.decode_struct
    monkeypatch.setattr(packkit, "decode_struct", lambda s, secrets: calls.append(1) or real(s, secrets))

    def analyze(type_):
        return servicer.Analyze(analyzer_pb2.AnalyzeRequest(type=type_, properties=_struct({"a": 1})), None)

    assert len(analyze("aws:ec2/launchTemplate:LaunchTemplate").diagnostics) >= 3  # tags, encryption, imds
    assert calls == [1]
    analyze("kubernetes:apps/v1:Deployment")  # no AWS policy looks at it
    assert calls == [1]


def test_a_large_request_is_decoded_only_when_a_rule_judges_its_type(monkeypatch):
    """Requests over the size upb is trusted with are decoded in Python (policies.wire): only when a rule needs the
    properties, once. A chart's CRDs (large, judged by no AWS rule) cost the AWS pack no decoding."""
    from pulumi.runtime.proto import analyzer_pb2

    servicer = _aws_servicer()
    calls = []
    real = wire.decode_struct
    monkeypatch.setattr(wire, "decode_struct", lambda data, secrets: calls.append(1) or real(data, secrets))
    big = {"schema": "x" * (packkit._UPB_SAFE_BYTES + 1)}

    def analyze(type_):
        data = analyzer_pb2.AnalyzeRequest(type=type_, properties=_struct(big)).SerializeToString()
        return servicer.Analyze(packkit._analyze_request(data), None)

    analyze("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")
    assert calls == []
    assert len(analyze("aws:ec2/launchTemplate:LaunchTemplate").diagnostics) >= 3  # judged on the decoded properties
    assert calls == [1]


def secret(value):
    return {SIG_KEY: SECRET_SIG, "value": value}


def test_wire_codec_matches_protobuf_and_reads_any_depth():
    rng = random.Random(14)

    def value(depth=0):
        roll = rng.random()
        if depth > 4 or roll < 0.4:
            return rng.choice([None, True, False, 1.5, -2.0, math.inf, "x", "", "ü", UNKNOWN_WIRE])
        if roll < 0.7:
            return {rng.choice("abc"): value(depth + 1) for _ in range(rng.randint(0, 3))}
        return [value(depth + 1) for _ in range(rng.randint(0, 3))]

    for _ in range(300):
        props = {"v": value(), "s": secret(value())}
        expected_secrets, got_secrets = [], []
        assert wire.decode_struct(_struct(props).SerializeToString(), got_secrets) == values.decode_struct(
            _struct(props), expected_secrets
        )
        assert got_secrets == expected_secrets
        assert struct_pb2.Struct.FromString(wire.encode_struct(props)) == _struct(props)
    deep: list = []
    for _ in range(12_000):  # upb would overflow its C stack parsing this (measured: ~7,000)
        deep = [deep]
    decoded = wire.decode_struct(wire.encode_struct({"deep": deep, "k": secret("s3cr3t")}), found := [])
    assert found == ["s3cr3t"] and decoded["k"] == "s3cr3t"
    depth, node = 0, decoded["deep"]
    while node:
        node, depth = node[0], depth + 1
    assert depth == 12_000


UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def test_a_deeply_nested_resource_is_analysed_not_a_failed_call(aws, k8s):
    deep: list = [UNKNOWN_WIRE]
    for _ in range(10_000):
        deep = [deep]
    props = {"metadata": {"name": "deep", "namespace": "t-deep"}, "spec": {"containers": [{"name": "c", "args": deep}]}}
    k8s.configure({})
    diags = k8s.analyze(resource("kubernetes:core/v1:Pod", props))
    assert not any(packkit.GUARD_MARKER in d.message for d in diags)
    assert any(d.policy == "image-pinned" for d in diags) is False  # no image: nothing to pin
    r = resource("aws:ec2/vpc:Vpc", {"tags": {"team": deep}})
    aws.configure({"required-tags": {"enforcementLevel": "mandatory"}})
    found = [d.message for d in aws.analyze(r) + aws.analyze_stack([r]) if d.policy == "required-tags"]
    assert any("`tags.team` must be a string" in m for m in found), found


def test_unknowns_are_decoded_as_unknown():
    assert values.decode_struct(_struct({"a": UNKNOWN_WIRE, "b": [secret(UNKNOWN_WIRE)]}), []) == {
        "a": UNKNOWN,
        "b": [UNKNOWN],
    }


# ------------------------------------------------------------------------------------------- message limits


def test_the_client_has_the_engines_400_mb_limits():
    assert MAX_MESSAGE_BYTES == 400 * 1024 * 1024
    assert dict(CHANNEL_OPTIONS) == {
        "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
        "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
    }


@pytest.mark.parametrize("size", [5 * 1024 * 1024])
def test_a_response_beyond_4_mb_arrives(k8s, size):
    """An unlabelled Namespace with a huge name: every label message repeats it (gRPC's default would refuse)."""
    k8s.configure({"namespace-pod-security-labels": {"enforcementLevel": "mandatory", "requireAllLabels": True}})
    name = "n" * (size // 3)
    diags = k8s.analyze(resource("kubernetes:core/v1:Namespace", {"metadata": {"name": name}}))
    assert sum(len(d.message) for d in diags) > 4 * 1024 * 1024
