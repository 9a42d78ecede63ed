"""Both policy packs, started as the Pulumi engine starts them (`python -u policies/<pack>`, read the port) and
driven over the Analyzer gRPC protocol: GetAnalyzerInfo, Configure, Analyze, AnalyzeStack.

The packs start once for the session (tests/policies/conftest.py). A pack process remembers the Namespaces it has
analysed (that is how the Pod Security level follows namespace labels), so every test uses its own namespace names
and URNs.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from platformctl.analyzer import Resource, find_packs, start_packs
from platformctl.policycheck import analyze_with_packs, plan_resources, run_policy_check
from policies.rules import config as catalog

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "policy"
CASES = yaml.safe_load((FIXTURES / "aws_cases.yaml").read_text())["cases"]
_ids = itertools.count()


def resource(type_: str, props: dict, name: str | None = None) -> Resource:
    name = name or f"r{next(_ids)}"
    return Resource(type=type_, name=name, urn=f"urn:pulumi:test::eks-platform::{type_}::{name}", properties=props)


def only(diags, policy: str) -> list[str]:
    return [d.message for d in diags if d.policy == policy]


# ----------------------------------------------------------------------------------------------- info


def test_packs_declare_the_catalog(packs):
    assert set(packs) == {catalog.AWS_PACK, catalog.KUBERNETES_PACK}
    for name, pack in packs.items():
        assert pack.policy_names == [p.name for p in catalog.pack_policies(name)]
        for info in pack.policies:
            spec = catalog.POLICIES[info.name]
            assert info.description == spec.description
            assert info.level == spec.default_level
            # The engine fills in the schema defaults, so they must match the rules' own defaults.
            assert {k: v.get("default") for k, v in info.config_schema.items()} == spec.defaults()
    stack_policies = {i.name for p in packs.values() for i in p.policies if i.stack}
    assert stack_policies == {"s3-bucket-encryption", "namespace-default-deny"}


# ----------------------------------------------------------------------------------------------- aws cases


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_aws_case_over_grpc(aws, case):
    aws.configure({case["policy"]: {"enforcementLevel": "mandatory", **case.get("config", {})}})
    messages = only(aws.analyze(resource(case["type"], case["props"])), case["policy"])
    if case["expect"] == "pass":
        assert messages == []
    else:
        assert any(case["contains"] in m for m in messages), messages


def test_disabled_policy_reports_nothing(aws):
    aws.configure({"encryption-at-rest": {"enforcementLevel": "disabled"}})
    assert only(aws.analyze(resource("aws:ebs/volume:Volume", {})), "encryption-at-rest") == []


def test_advisory_level_is_reported_as_advisory(aws):
    aws.configure({"kms-key-rotation": {"enforcementLevel": "advisory"}})
    diags = [d for d in aws.analyze(resource("aws:kms/key:Key", {})) if d.policy == "kms-key-rotation"]
    assert [d.level for d in diags] == ["advisory"]
    assert diags[0].message.startswith("`enableKeyRotation` is not true")  # policy description stripped


def test_invalid_config_is_a_violation_not_a_crash(aws):
    aws.configure({"imdsv2-required": {"enforcementLevel": "mandatory", "maxHopLimit": "one"}})
    messages = only(aws.analyze(resource("aws:ec2/launchTemplate:LaunchTemplate", {})), "imdsv2-required")
    assert messages == [
        'invalid configuration for policy imdsv2-required: imdsv2-required.maxHopLimit: must be an integer (got "one")'
    ]


def test_s3_stack_policy(aws):
    aws.configure({})
    covered, plain = resource("aws:s3/bucket:Bucket", {}), resource("aws:s3/bucket:Bucket", {})
    sse = resource(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "k"}}]},
    )
    sse.property_dependencies = {"bucket": [covered.urn]}
    diags = aws.analyze_stack([covered, plain, sse])
    assert [(d.policy, d.urn, d.resource_name) for d in diags] == [("s3-bucket-encryption", plain.urn, plain.name)]


# ----------------------------------------------------------------------------------------------- kubernetes


def pod(ns: str, **container_fields) -> dict:
    body = {"name": "app", "image": "public.ecr.aws/acme/app:1.0.0", **container_fields}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": ns},
        "spec": {"containers": [body]},
    }


RESTRICTED_SC = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def namespace(name: str, **labels: str) -> Resource:
    props = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
    return resource("kubernetes:core/v1:Namespace", props, name=name)


def pss_config(level: str, **extra) -> dict:
    return {"pod-security-standards": {"enforcementLevel": "mandatory", "level": level, "version": "v1.35", **extra}}


def test_pss_applies_the_configured_level(k8s):
    k8s.configure(pss_config("baseline"))
    assert only(k8s.analyze(resource("kubernetes:core/v1:Pod", pod("t-base"))), "pod-security-standards") == []
    k8s.configure(pss_config("restricted"))
    messages = only(k8s.analyze(resource("kubernetes:core/v1:Pod", pod("t-base"))), "pod-security-standards")
    assert messages and all(m.startswith("Pod Security Standard restricted (v1.35): ") for m in messages)
    hardened = resource("kubernetes:core/v1:Pod", pod("t-base", securityContext=RESTRICTED_SC))
    assert only(k8s.analyze(hardened), "pod-security-standards") == []


def test_pss_every_pod_bearing_kind(k8s):
    k8s.configure(pss_config("baseline"))
    template = {
        "metadata": {},
        "spec": {"containers": [{"name": "c", "image": "x:1", "securityContext": {"privileged": True}}]},
    }
    objects = {
        "kubernetes:core/v1:Pod": {"spec": template["spec"]},
        "kubernetes:core/v1:PodTemplate": {"template": template},
        "kubernetes:core/v1:ReplicationController": {"spec": {"template": template}},
        "kubernetes:apps/v1:Deployment": {"spec": {"template": template}},
        "kubernetes:apps/v1:StatefulSet": {"spec": {"template": template}},
        "kubernetes:apps/v1:DaemonSet": {"spec": {"template": template}},
        "kubernetes:apps/v1:ReplicaSet": {"spec": {"template": template}},
        "kubernetes:batch/v1:Job": {"spec": {"template": template}},
        "kubernetes:batch/v1:CronJob": {"spec": {"jobTemplate": {"spec": {"template": template}}}},
    }
    for type_, body in objects.items():
        obj = {"metadata": {"name": "w", "namespace": "t-kinds"}, **body}  # no kind: it comes from the type token
        messages = only(k8s.analyze(resource(type_, obj)), "pod-security-standards")
        assert any("privileged" in m for m in messages), type_


def test_pss_exempt_namespace(k8s):
    k8s.configure(pss_config("restricted", exemptNamespaces=["t-exempt"]))
    assert only(k8s.analyze(resource("kubernetes:core/v1:Pod", pod("t-exempt"))), "pod-security-standards") == []


def test_pss_namespace_label_seen_first_overrides_the_config_both_ways(k8s):
    k8s.configure(pss_config("baseline"))
    stricter, looser = (
        namespace("t-strict", **{"pod-security.kubernetes.io/enforce": "restricted"}),
        namespace("t-loose", **{"pod-security.kubernetes.io/enforce": "privileged"}),
    )
    k8s.analyze_many([stricter, looser])
    strict_pod = resource("kubernetes:core/v1:Pod", pod("t-strict"))
    assert only(k8s.analyze(strict_pod), "pod-security-standards")
    k8s.configure(pss_config("restricted"))
    loose_pod = resource("kubernetes:core/v1:Pod", pod("t-loose", securityContext={"privileged": True}))
    assert only(k8s.analyze(loose_pod), "pod-security-standards") == []
    # The stack phase agrees and adds nothing: no double report.
    assert only(k8s.analyze_stack([stricter, looser, strict_pod, loose_pod]), "pod-security-standards") == []


def test_pss_stack_phase_adds_only_what_the_namespace_makes_stricter(k8s):
    k8s.configure(pss_config("baseline"))
    late_ns = namespace("t-late", **{"pod-security.kubernetes.io/enforce": "restricted"})
    workload = resource("kubernetes:core/v1:Pod", pod("t-late", securityContext={"privileged": True}))
    per_resource = only(k8s.analyze(workload), "pod-security-standards")  # namespace not seen yet: baseline
    assert per_resource and all("baseline" in m for m in per_resource)
    stack = [d for d in k8s.analyze_stack([workload, late_ns]) if d.policy == "pod-security-standards"]
    assert stack and all(d.urn == workload.urn and "restricted" in d.message for d in stack)
    assert not {m.split(": ", 1)[1] for m in per_resource} & {d.message.split(": ", 1)[1] for d in stack}


def test_kubernetes_resource_policies(k8s):
    k8s.configure({})
    bad = resource("kubernetes:core/v1:Pod", pod("t-misc", image="nginx:latest"))
    diags = k8s.analyze(bad)
    assert only(diags, "image-pinned") and only(diags, "workload-resources")
    resources = {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "64Mi"}}
    good = resource("kubernetes:core/v1:Pod", pod("t-misc", resources=resources))
    assert only(k8s.analyze(good), "image-pinned") == only(k8s.analyze(good), "workload-resources") == []
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "lb", "namespace": "t-misc"},
        "spec": {"type": "LoadBalancer"},
    }
    assert only(k8s.analyze(resource("kubernetes:core/v1:Service", svc)), "loadbalancer-internal")
    k8s.configure({"loadbalancer-internal": {"enforcementLevel": "mandatory", "allowList": ["t-misc/lb"]}})
    assert only(k8s.analyze(resource("kubernetes:core/v1:Service", svc)), "loadbalancer-internal") == []


def test_namespace_labels_and_default_deny(k8s):
    k8s.configure({"namespace-pod-security-labels": {"enforcementLevel": "mandatory", "minimumLevel": "restricted"}})
    unlabelled, baseline = (
        namespace("t-nolabels"),
        namespace("t-baseline", **{"pod-security.kubernetes.io/enforce": "baseline"}),
    )
    assert only(k8s.analyze(unlabelled), "namespace-pod-security-labels")
    assert any(
        "below this environment's minimum" in m for m in only(k8s.analyze(baseline), "namespace-pod-security-labels")
    )
    deny = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "namespace": "t-baseline"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }
    diags = k8s.analyze_stack([unlabelled, baseline, resource("kubernetes:networking.k8s.io/v1:NetworkPolicy", deny)])
    assert [(d.policy, d.urn) for d in diags if d.policy == "namespace-default-deny"] == [
        ("namespace-default-deny", unlabelled.urn)
    ]


# ----------------------------------------------------------------------------------------------- a whole plan


def test_fixture_plan_against_prod_config(packs):
    """A plan document (platformctl plan --json) with known violations, checked with the shipped prod config."""
    doc = json.loads((FIXTURES / "plan_prod_violations.json").read_text())
    config = catalog.load_config_file(ROOT / "policies" / "config" / "prod.json")
    diags, summaries = analyze_with_packs(list(packs.values()), config, plan_resources(doc))
    found = {(d.level, d.policy, d.resource_name) for d in diags}
    assert found == {
        ("mandatory", "encryption-at-rest", "data"),
        ("mandatory", "required-tags", "data"),
        ("mandatory", "s3-bucket-encryption", "plain-bucket"),
        ("mandatory", "security-group-ingress", "bastion"),
        ("mandatory", "namespace-pod-security-labels", "legacy"),
        ("mandatory", "namespace-default-deny", "legacy"),
        ("mandatory", "loadbalancer-internal", "web-public"),
        ("mandatory", "pod-security-standards", "legacy-debug"),
        ("mandatory", "image-pinned", "legacy-debug"),
        ("advisory", "workload-resources", "legacy-debug"),
    }
    assert {s.name: s.level for s in summaries}["workload-resources"] == "advisory"


def test_platformctl_policy_on_the_prod_stack(tmp_path):
    """The CLI end to end, in its own process as users run it (the offline engine keeps Pulumi's runtime
    state in the process, so a fresh interpreter is also the faithful setup)."""
    out = tmp_path / "prod.json"
    cmd = [sys.executable, "-m", "platformctl.cli", "policy", "prod", "--format", "json", "--output", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    report = json.loads(out.read_text())
    # No chart is cached in the tests: every chart is unexpanded, which fails the check without --allow-unexpanded.
    assert report["unexpanded"] and report["allowUnexpanded"] is False and report["passed"] is False
    assert proc.returncode == 1, proc.stderr
    assert "not expanded" in proc.stderr
    proc = subprocess.run([*cmd, "--allow-unexpanded"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    report = json.loads(out.read_text())
    assert proc.returncode == (1 if report["summary"]["mandatory"] else 0), proc.stderr
    assert report["stack"] == "prod" and report["policyConfig"] == "policies/config/prod.json"
    assert report["summary"]["resources"] > 0
    assert {p["name"] for p in report["packs"]} == {catalog.AWS_PACK, catalog.KUBERNETES_PACK}
    assert "policy check" in proc.stderr


def test_run_policy_check_rejects_a_bad_policy_config(tmp_path, capsys):
    (tmp_path / "policies" / "config").mkdir(parents=True)
    (tmp_path / "policies" / "config" / "dev.json").write_text('{"rds-hardening": {"enforcementLevel": "sometimes"}}')
    assert run_policy_check("dev", project_dir=tmp_path) == 2
    assert "rds-hardening.enforcementLevel: must be" in capsys.readouterr().err


def test_a_broken_pack_is_a_clear_error(tmp_path):
    from platformctl.analyzer import AnalyzerError

    broken = tmp_path / "policies" / "broken"
    broken.mkdir(parents=True)
    (broken / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (broken / "__main__.py").write_text("raise SystemExit('no policies here')\n")
    with pytest.raises(AnalyzerError, match=r"did not print a port.*no policies here"):
        start_packs(find_packs(tmp_path))
