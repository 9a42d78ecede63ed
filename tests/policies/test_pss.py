"""The Pod Security Standards engine (policies/rules/pss.py) on fixtures written for this project.

Fixtures live in tests/fixtures/pss/: every workload kind compliant and with a seeded violation, and pods
whose verdict changes with the policy version. Agreement with upstream's own conformance fixtures is
checked outside the test suite (those fixtures are not part of this repository).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from policies.rules import pss
from policies.rules.pss import LEVELS, VERSIONS, Violation, check_ids, check_pod, evaluate, pod_templates

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pss"
WORKLOAD_KINDS = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job")
ALL_TEMPLATE_KINDS = (*WORKLOAD_KINDS, "CronJob", "PodTemplate")


def load(name: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all((FIXTURES / name).read_text()) if doc]


def ids(obj_or_violations) -> str:
    return obj_or_violations["metadata"]["name"] if isinstance(obj_or_violations, dict) else str(obj_or_violations)


COMPLIANT = load("workloads-restricted.yaml")
VIOLATING = load("workloads-violating.yaml")
VERSIONED = load("versioned-pods.yaml")


def restricted_pod(**spec_overrides) -> dict:
    """A bare Pod compliant with restricted at every version, with top-level spec fields replaced."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "app",
                    "image": "public.ecr.aws/acme/app:1.0.0",
                    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                }
            ],
        },
    }
    pod["spec"].update(spec_overrides)
    return pod


# ---------------------------------------------------------------------------------- fixtures per kind


def test_fixtures_cover_every_template_kind():
    assert sorted(doc["kind"] for doc in COMPLIANT) == sorted(ALL_TEMPLATE_KINDS)
    assert sorted(doc["kind"] for doc in VIOLATING) == sorted(ALL_TEMPLATE_KINDS)


@pytest.mark.parametrize("version", [VERSIONS[0], "v1.30", "v1.34", "v1.35", VERSIONS[-1], "latest"])
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("obj", COMPLIANT, ids=ids)
def test_compliant_workloads_pass_every_level_and_version(obj, level, version):
    assert evaluate(obj, level, version) == []


@pytest.mark.parametrize("level", ["baseline", "restricted"])
@pytest.mark.parametrize("obj", VIOLATING, ids=ids)
def test_seeded_violation_is_reported_with_its_check_and_full_path(obj, level):
    expected = obj["metadata"]["annotations"][f"pss-test/{level}"]
    for version in (VERSIONS[0], "v1.33", "latest"):
        found = evaluate(obj, level, version)
        if expected == "pass":
            assert found == [], version
        else:
            check, path = expected.split(" ", 1)
            assert (check, path) in {(v.check, v.path) for v in found}, (version, found)
            assert len(found) == 1, found  # the seeded problem and nothing else


@pytest.mark.parametrize("obj", VIOLATING, ids=ids)
def test_privileged_level_allows_everything(obj):
    assert evaluate(obj, "privileged") == []


# ------------------------------------------------------------------------------------- versioned pods


def versioned_cases():
    for pod in VERSIONED:
        for case in pod["metadata"]["annotations"]["pss-test/expect"].split():
            target, verdict = case.split("=")
            level, version = target.split("@")
            yield pytest.param(pod, level, version, verdict, id=f"{pod['metadata']['name']}-{level}@{version}")


@pytest.mark.parametrize(("pod", "level", "version", "verdict"), list(versioned_cases()))
def test_verdict_follows_the_policy_version(pod, level, version, verdict):
    found = evaluate(pod, level, version)
    assert (found == []) == (verdict == "pass"), found


def test_probe_host_check_exists_from_v1_34_only():
    assert "hostProbesAndHostLifecycle" not in check_ids("baseline", "v1.33")
    assert "hostProbesAndHostLifecycle" in check_ids("baseline", "v1.34")
    assert "hostProbesAndHostLifecycle" in check_ids("restricted", "latest")


def test_restricted_overrides_baseline_checks_as_upstream_does():
    at_1_34 = check_ids("restricted", "v1.34")
    at_1_35 = check_ids("restricted", "v1.35")
    for replaced in ("hostPathVolumes", "seccompProfile_baseline", "capabilities_baseline"):
        assert replaced not in at_1_34 and replaced not in at_1_35
    assert "procMount" in at_1_34 and "procMount_restricted" not in at_1_34
    assert "procMount" not in at_1_35 and "procMount_restricted" in at_1_35


def test_restricted_includes_every_baseline_check_it_does_not_override():
    baseline = set(check_ids("baseline"))
    restricted = set(check_ids("restricted"))
    overridden = {"hostPathVolumes", "seccompProfile_baseline", "capabilities_baseline", "procMount"}
    assert baseline - overridden <= restricted
    assert check_ids("privileged") == []


# ------------------------------------------------------------------------------------------- versions


def test_versions_span_v1_25_to_at_least_v1_37():
    assert VERSIONS[0] == "v1.25"
    assert "v1.37" in VERSIONS
    assert list(VERSIONS) == sorted(VERSIONS, key=lambda v: int(v.split(".")[1]))


def test_latest_and_future_versions_resolve_to_the_newest():
    assert pss.parse_version("latest") == pss.parse_version(VERSIONS[-1])
    assert pss.parse_version("v1.99") == pss.parse_version(VERSIONS[-1])
    assert pss.parse_version("1.30") == 30


@pytest.mark.parametrize("bad", ["v1.24", "v1.0", "v2.1", "1.30.1", "newest", "", None, 1.3])
def test_bad_version_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="PSS version"):
        evaluate(restricted_pod(), "baseline", bad)


@pytest.mark.parametrize("bad", ["Restricted", "strict", "", None])
def test_bad_level_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="PSS level must be one of privileged, baseline, restricted"):
        evaluate({"kind": "ConfigMap"}, bad)


# ------------------------------------------------------------------------------------------- messages


def test_message_names_container_field_and_value_to_set():
    pod = restricted_pod()
    del pod["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"]
    assert evaluate(pod, "restricted") == [
        Violation(
            check="allowPrivilegeEscalation",
            message='container "app": securityContext.allowPrivilegeEscalation must be false (got unset)',
            path="spec.containers[0].securityContext.allowPrivilegeEscalation",
        )
    ]


def test_messages_say_what_was_found():
    pod = restricted_pod(hostPID=True)
    pod["spec"]["containers"][0]["securityContext"].update(
        {"runAsNonRoot": False, "seccompProfile": {"type": "Unconfined"}, "capabilities": {"drop": ["NET_RAW"]}}
    )
    messages = {v.check: v.message for v in evaluate(pod, "restricted")}
    assert messages == {
        "hostNamespaces": "pod: spec.hostPID must be unset or false (got true)",
        "capabilities_restricted": 'container "app": securityContext.capabilities.drop must include "ALL" '
        '(got ["NET_RAW"])',
        "runAsNonRoot": 'container "app": securityContext.runAsNonRoot must be true (got false)',
        "seccompProfile_restricted": 'container "app": securityContext.seccompProfile.type must be "RuntimeDefault" '
        'or "Localhost" (got "Unconfined")',
    }


def test_pod_level_fields_are_named_with_their_spec_path():
    pod = restricted_pod()
    pod["spec"]["securityContext"] = {"runAsUser": 0, "seLinuxOptions": {"user": "root"}}
    found = {(v.check, v.path): v.message for v in evaluate(pod, "restricted", "v1.30")}
    assert found[("runAsUser", "spec.securityContext.runAsUser")] == (
        "pod: spec.securityContext.runAsUser must be unset or a non-zero UID (got 0)"
    )
    assert found[("seLinuxOptions", "spec.securityContext.seLinuxOptions.user")] == (
        'pod: spec.securityContext.seLinuxOptions.user must be unset (got "root")'
    )
    assert ("runAsNonRoot", "spec.containers[0].securityContext.runAsNonRoot") in found


def test_init_and_ephemeral_containers_count_and_are_named_so():
    pod = restricted_pod(
        initContainers=[{"name": "setup", "image": "x:1", "securityContext": {"privileged": True}}],
        ephemeralContainers=[{"name": "debug", "image": "x:1", "ports": [{"containerPort": 1, "hostPort": 9}]}],
    )
    found = {(v.path, v.message) for v in evaluate(pod, "baseline")}
    assert found == {
        (
            "spec.initContainers[0].securityContext.privileged",
            'init container "setup": securityContext.privileged must be unset or false (got true)',
        ),
        (
            "spec.ephemeralContainers[0].ports[0].hostPort",
            'ephemeral container "debug": ports[0].hostPort must be unset or 0 (got 9)',
        ),
    }


def test_sysctl_message_lists_what_is_allowed_at_that_version():
    pod = restricted_pod(securityContext={"sysctls": [{"name": "kernel.msgmax", "value": "1"}]})
    (violation,) = evaluate(pod, "baseline", "v1.29")
    assert violation.path == "spec.securityContext.sysctls[0].name"
    assert '(got "kernel.msgmax")' in violation.message
    assert "net.ipv4.tcp_keepalive_time" in violation.message and "tcp_rmem" not in violation.message


# -------------------------------------------------------------------------------------- pod templates


TEMPLATE_PREFIXES = [
    ("Pod", ""),
    *((kind, "spec.template.") for kind in WORKLOAD_KINDS[1:]),
    ("CronJob", "spec.jobTemplate.spec.template."),
    ("PodTemplate", "template."),
]


@pytest.mark.parametrize(("kind", "prefix"), TEMPLATE_PREFIXES)
def test_pod_templates_prefix_per_kind(kind, prefix):
    (obj,) = [doc for doc in COMPLIANT if doc["kind"] == kind]
    ((got_prefix, meta, spec),) = pod_templates(obj)
    assert got_prefix == prefix
    assert spec["containers"], spec
    assert isinstance(meta, dict)


@pytest.mark.parametrize("kind", ["Service", "ConfigMap", "Namespace", "NetworkPolicy", None])
def test_objects_without_pods_have_no_templates(kind):
    obj = {"kind": kind, "metadata": {"name": "x"}, "spec": {"template": {"spec": {"hostNetwork": True}}}}
    assert pod_templates(obj) == []
    assert evaluate(obj, "restricted") == []


def test_kind_can_come_from_the_pulumi_type_token():
    deployment = copy.deepcopy(next(doc for doc in VIOLATING if doc["kind"] == "Deployment"))
    del deployment["kind"]
    assert pss.kind_of_type("kubernetes:apps/v1:Deployment") == "Deployment"
    assert [
        v.check for v in evaluate(deployment, "baseline", kind=pss.kind_of_type("kubernetes:apps/v1:Deployment"))
    ] == ["privileged"]


def test_template_annotations_are_the_pod_annotations():
    (rs,) = [doc for doc in VIOLATING if doc["kind"] == "ReplicaSet"]
    ((_, meta, _),) = pod_templates(rs)
    assert meta["annotations"] == {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}


# ------------------------------------------------------------------------------ engine-shaped inputs


def test_missing_and_none_values_are_tolerated():
    nones = {
        "kind": "Deployment",
        "metadata": None,
        "spec": {
            "template": {
                "metadata": {"annotations": None},
                "spec": {
                    "securityContext": None,
                    "volumes": None,
                    "initContainers": None,
                    "containers": [{"name": "app", "securityContext": None, "ports": None, "livenessProbe": None}],
                },
            }
        },
    }
    assert evaluate(nones, "baseline") == []
    assert {v.check for v in evaluate(nones, "restricted")} == {
        "allowPrivilegeEscalation",
        "capabilities_restricted",
        "runAsNonRoot",
        "seccompProfile_restricted",
    }
    assert evaluate({"kind": "Deployment", "spec": None}, "restricted") == []
    assert check_pod({}, {}, "restricted") == []


def test_numbers_may_arrive_as_floats():
    pod = restricted_pod(
        securityContext={"runAsNonRoot": True, "runAsUser": 0.0, "seccompProfile": {"type": "Localhost"}}
    )
    pod["spec"]["containers"][0]["ports"] = [{"containerPort": 80.0, "hostPort": 0.0}]
    assert [v.check for v in evaluate(pod, "restricted")] == ["runAsUser"]


def test_unset_field_inside_a_set_struct_counts_as_a_bad_value():
    # upstream: a seccompProfile/appArmorProfile without type has type "" which is not an allowed type
    pod = restricted_pod(securityContext={"runAsNonRoot": True, "seccompProfile": {}})
    assert [v.check for v in evaluate(pod, "baseline")] == ["seccompProfile_baseline"]
    pod = restricted_pod()
    pod["spec"]["securityContext"]["appArmorProfile"] = {"type": "Unconfined"}
    assert [v.path for v in evaluate(pod, "baseline")] == ["spec.securityContext.appArmorProfile.type"]


def test_volume_sources():
    volumes = [
        {"name": "implicit-empty-dir"},  # the API server defaults a source-less volume to emptyDir
        {"name": "image", "image": {"reference": "x:1"}},
        {"name": "nfs", "nfs": {"server": "s", "path": "/"}},
        {"name": "future", "someNewDriver": {}},
    ]
    found = evaluate(restricted_pod(volumes=volumes), "restricted")
    assert [(v.check, v.path) for v in found] == [
        ("restrictedVolumes", "spec.volumes[2].nfs"),
        ("restrictedVolumes", "spec.volumes[3].someNewDriver"),
    ]
    assert 'restricted volume type "unknown" (someNewDriver)' in found[1].message
    assert evaluate(restricted_pod(volumes=volumes), "baseline") == []


def test_apparmor_annotation_values():
    pod = restricted_pod()
    prefix = "container.apparmor.security.beta.kubernetes.io/"
    pod["metadata"]["annotations"] = {
        prefix + "a": "runtime/default",
        prefix + "b": "localhost/custom",
        prefix + "c": "",
        prefix + "d": "unconfined",
        "unrelated/annotation": "unconfined",
    }
    found = evaluate(pod, "baseline")
    assert [v.path for v in found] == [f'metadata.annotations["{prefix}d"]']


def test_windows_host_process_and_capabilities_baseline():
    pod = restricted_pod(securityContext={"windowsOptions": {"hostProcess": True}})
    pod["spec"]["containers"][0]["securityContext"]["capabilities"] = {"add": ["NET_RAW", "CHOWN"]}
    found = {v.check: v for v in evaluate(pod, "baseline")}
    assert set(found) == {"windowsHostProcess", "capabilities_baseline"}
    assert found["capabilities_baseline"].message.startswith(
        'container "app": securityContext.capabilities.add must not include "NET_RAW"'
    )


# ------------------------------------------------------------------------------ CrossGuard SDK proxies


@pytest.mark.parametrize("obj", VIOLATING + COMPLIANT, ids=ids)
def test_props_as_the_policy_sdk_passes_them(obj):
    # pulumi_policy hands validate() read-only Mapping/Sequence proxies, not dicts and lists
    from pulumi_policy.proxy import unknown_checking_proxy

    for level in ("baseline", "restricted"):
        assert evaluate(unknown_checking_proxy(copy.deepcopy(obj)), level) == evaluate(obj, level)


def test_unknown_preview_values_surface_as_the_sdk_error():
    from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UnknownValueError, unknown_checking_proxy

    pod = restricted_pod(hostNetwork=UNKNOWN_BOOLEAN_VALUE)
    with pytest.raises(UnknownValueError):
        evaluate(unknown_checking_proxy(pod), "baseline")
