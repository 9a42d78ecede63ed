"""Kubernetes workload rules besides PSS (policies/rules/workloads.py): compliant and violating cases each."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from policies.rules import workloads as w
from policies.rules.pss import VERSIONS, Violation

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pss"
ALL_KINDS_COMPLIANT = [doc for doc in yaml.safe_load_all((FIXTURES / "workloads-restricted.yaml").read_text()) if doc]


def namespace(name: str, **labels: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def deployment(*containers: dict, init: list[dict] | None = None, ns: str = "apps", pod_resources=None) -> dict:
    spec: dict = {"containers": list(containers)}
    if init:
        spec["initContainers"] = init
    if pod_resources:
        spec["resources"] = pod_resources
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": ns},
        "spec": {"selector": {"matchLabels": {"app": "api"}}, "template": {"metadata": {}, "spec": spec}},
    }


def container(name: str = "app", image: str = "public.ecr.aws/acme/app:1.0.0", resources=None) -> dict:
    body = {"name": name, "image": image}
    if resources is not None:
        body["resources"] = resources
    return body


FULL_RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}

# -------------------------------------------------------------------------------- namespace labels

FULLY_LABELLED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "v1.33",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
}


def test_fully_labelled_namespace_passes():
    assert w.namespace_psa_labels(namespace("apps", **FULLY_LABELLED)) == []
    assert w.namespace_psa_labels(namespace("apps", **{**FULLY_LABELLED, w.ENFORCE_VERSION_LABEL: "latest"})) == []


def test_namespace_without_labels_must_set_enforce_and_should_set_the_rest():
    found = w.namespace_psa_labels({"kind": "Namespace", "metadata": {"name": "apps", "labels": None}})
    assert [v.check for v in found] == [w.PSA_ENFORCE, w.PSA_ENFORCE_VERSION, w.PSA_AUDIT, w.PSA_WARN]
    enforce = found[0]
    assert enforce.path == 'metadata.labels["pod-security.kubernetes.io/enforce"]'
    assert enforce.message.startswith(
        'Namespace "apps": set label pod-security.kubernetes.io/enforce to privileged|baseline|restricted'
    )
    assert {w.PSA_ENFORCE} == w.PSA_REQUIRED_CHECKS


def test_enforce_present_leaves_only_the_recommendations():
    found = w.namespace_psa_labels(namespace("apps", **{w.ENFORCE_LABEL: "baseline"}))
    assert {v.check for v in found} == {w.PSA_ENFORCE_VERSION, w.PSA_AUDIT, w.PSA_WARN}
    assert all(v.check not in w.PSA_REQUIRED_CHECKS for v in found)
    assert '(e.g. "baseline")' in next(v.message for v in found if v.check == w.PSA_WARN)


@pytest.mark.parametrize(
    ("label", "value", "check", "says"),
    [
        (w.ENFORCE_LABEL, "strict", w.PSA_ENFORCE, 'must be privileged|baseline|restricted (got "strict")'),
        (w.ENFORCE_VERSION_LABEL, "1.30", w.PSA_ENFORCE_VERSION, 'must be "latest" or "v1.<minor>" (got "1.30")'),
        (w.ENFORCE_VERSION_LABEL, "v1.20", w.PSA_ENFORCE_VERSION, "older than the oldest version"),
        (w.AUDIT_LABEL, "loud", w.PSA_AUDIT, '(got "loud")'),
        ("pod-security.kubernetes.io/warn-version", "v1.x", w.PSA_WARN, '(got "v1.x")'),
    ],
)
def test_invalid_label_values_are_reported(label, value, check, says):
    found = w.namespace_psa_labels(namespace("apps", **{**FULLY_LABELLED, label: value}))
    assert [(v.check, v.path) for v in found] == [(check, f'metadata.labels["{label}"]')]
    assert says in found[0].message


def test_only_namespaces_are_checked_for_labels():
    assert w.namespace_psa_labels(deployment(container())) == []


# ------------------------------------------------------------------------------------- resources


@pytest.mark.parametrize("obj", ALL_KINDS_COMPLIANT, ids=lambda o: o["kind"])
def test_resources_are_checked_in_every_kind(obj):
    found = w.resources_set(obj)
    assert found, "the fixtures set no resources, so every kind must be flagged"
    assert {v.check for v in found} == {w.RESOURCES_SET}


def test_container_with_requests_and_memory_limit_passes():
    assert w.resources_set(deployment(container(resources=FULL_RESOURCES))) == []


def test_every_missing_resource_is_named_with_its_path():
    obj = deployment(
        container(resources={"requests": {"cpu": "100m"}}),
        init=[container("setup", resources=FULL_RESOURCES)],
    )
    assert w.resources_set(obj) == [
        Violation(
            w.RESOURCES_SET,
            'container "app": resources.requests.memory must be set (e.g. "128Mi")',
            "spec.template.spec.containers[0].resources.requests.memory",
        ),
        Violation(
            w.RESOURCES_SET,
            'container "app": resources.limits.memory must be set (e.g. "256Mi")',
            "spec.template.spec.containers[0].resources.limits.memory",
        ),
    ]


def test_init_containers_need_resources_too():
    obj = deployment(container(resources=FULL_RESOURCES), init=[container("setup")])
    assert {v.path for v in w.resources_set(obj)} == {
        "spec.template.spec.initContainers[0].resources.requests.cpu",
        "spec.template.spec.initContainers[0].resources.requests.memory",
        "spec.template.spec.initContainers[0].resources.limits.memory",
    }


def test_limits_cover_missing_requests_and_pod_level_resources_cover_containers():
    limits_only = {"limits": {"cpu": "1", "memory": "1Gi"}}
    assert w.resources_set(deployment(container(resources=limits_only))) == []
    assert w.resources_set(deployment(container(), pod_resources=FULL_RESOURCES)) == []
    empty_values = {"requests": {"cpu": "", "memory": None}, "limits": {"memory": "1Gi"}}
    assert [v.path.rsplit(".", 2)[-2:] for v in w.resources_set(deployment(container(resources=empty_values)))] == [
        ["requests", "cpu"]
    ]


def test_objects_without_pods_need_no_resources():
    assert w.resources_set(namespace("apps")) == []


# --------------------------------------------------------------------------------------- images


@pytest.mark.parametrize(
    "image",
    [
        "public.ecr.aws/acme/app:1.0.0",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:2024.06.01",
        "registry.k8s.io/pause:3.10",
        "quay.io/org/app@sha256:" + "a" * 64,
        "quay.io/org/app:latest@sha256:" + "b" * 64,
        "localhost:5000/app:1.2",
    ],
)
def test_pinned_images_pass(image):
    assert w.image_pinned(deployment(container(image=image))) == []


@pytest.mark.parametrize(
    ("image", "says"),
    [
        ("public.ecr.aws/acme/app:latest", "uses the mutable tag :latest"),
        ("public.ecr.aws/acme/app", "has no tag (it means :latest)"),
        ("nginx", "has no tag"),
        ("localhost:5000/app", "has no tag"),
    ],
)
def test_unpinned_images_fail(image, says):
    (found,) = w.image_pinned(deployment(container(image=image)))
    assert found.check == w.IMAGE_PINNED
    assert found.path == "spec.template.spec.containers[0].image"
    assert says in found.message and f'"{image}"' in found.message


REGISTRIES = ["public.ecr.aws/", "123456789012.dkr.ecr.*.amazonaws.com", "registry.k8s.io/", "docker.io/library/"]


def test_allowed_registries():
    ok = deployment(
        container("a", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"),
        container("b", "nginx:1.27"),  # docker.io/library/nginx:1.27
    )
    assert w.image_pinned(ok, REGISTRIES) == []
    bad = deployment(
        container("a", "ghcr.io/evil/app:1.0"), init=[container("setup", "docker.io/bitnami/kubectl:1.30")]
    )
    found = w.image_pinned(bad, REGISTRIES)
    assert [(v.check, v.path) for v in found] == [
        (w.IMAGE_REGISTRY, "spec.template.spec.initContainers[0].image"),
        (w.IMAGE_REGISTRY, "spec.template.spec.containers[0].image"),
    ]
    assert "use one of public.ecr.aws, 123456789012.dkr.ecr.*.amazonaws.com, registry.k8s.io" in found[1].message


def test_image_rules_cover_every_kind_and_ephemeral_containers():
    for obj in ALL_KINDS_COMPLIANT:
        assert w.image_pinned(obj, ["public.ecr.aws/"]) == [], obj["kind"]
    pod = copy.deepcopy(ALL_KINDS_COMPLIANT[0])
    pod["spec"]["ephemeralContainers"][0]["image"] = "busybox"
    assert [v.path for v in w.image_pinned(pod)] == ["spec.ephemeralContainers[0].image"]


def test_unknown_images_are_skipped():
    assert w.image_pinned(deployment({"name": "app", "image": None}), REGISTRIES) == []


def test_parse_image():
    assert w.parse_image("nginx").canonical == "docker.io/library/nginx"
    ref = w.parse_image("registry.example.com:8443/team/app:1.2@sha256:abc")
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        "registry.example.com:8443",
        "team/app",
        "1.2",
        "sha256:abc",
    )


# -------------------------------------------------------------------------------- load balancers


def service(name="web", ns="apps", type_="LoadBalancer", **annotations) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns, "annotations": annotations},
        "spec": {"type": type_, "ports": [{"port": 443}]},
    }


@pytest.mark.parametrize(
    "annotations",
    [
        {w.SCHEME_ANNOTATION: "internal"},
        {w.LEGACY_INTERNAL_ANNOTATION: "true"},
        {w.LEGACY_INTERNAL_ANNOTATION: "True"},
        {w.SCHEME_ANNOTATION: "internal", w.LEGACY_INTERNAL_ANNOTATION: "false"},  # scheme wins
    ],
)
def test_internal_load_balancers_pass(annotations):
    assert w.lb_service_internal(service(**annotations), []) == []


@pytest.mark.parametrize(
    "annotations",
    [
        {},
        {w.SCHEME_ANNOTATION: "internet-facing"},
        {w.LEGACY_INTERNAL_ANNOTATION: "false"},
        {w.SCHEME_ANNOTATION: "internet-facing", w.LEGACY_INTERNAL_ANNOTATION: "true"},  # scheme wins
    ],
)
def test_internet_facing_load_balancers_fail(annotations):
    (found,) = w.lb_service_internal(service(**annotations), ["other/web"])
    assert found.check == w.LB_INTERNAL
    assert found.path == f'metadata.annotations["{w.SCHEME_ANNOTATION}"]'
    assert found.message.startswith('Service "apps/web" of type LoadBalancer must be internal: set annotation ')
    assert f'{w.SCHEME_ANNOTATION}: "internal"' in found.message


@pytest.mark.parametrize("entry", ["apps/web", "web"])
def test_allow_list_by_namespace_and_name_or_name(entry):
    assert w.lb_service_internal(service(), [entry]) == []


def test_service_without_namespace_is_in_default():
    svc = service()
    del svc["metadata"]["namespace"]
    assert w.lb_service_internal(svc, ["default/web"]) == []
    assert w.lb_service_internal(svc, ["apps/web"])


@pytest.mark.parametrize("type_", ["ClusterIP", "NodePort", None])
def test_only_load_balancer_services_are_checked(type_):
    assert w.lb_service_internal(service(type_=type_), []) == []
    assert w.lb_service_internal(deployment(container()), []) == []


# ------------------------------------------------------------------------------- default deny


def netpol(name: str, ns: str, **spec) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


DNS_EGRESS = [{"to": [{"namespaceSelector": {}}], "ports": [{"protocol": "UDP", "port": 53}]}]


def test_namespaces_with_default_deny_pass():
    objects = [
        namespace("apps"),
        namespace("jobs"),
        netpol("deny", "apps", podSelector={}, policyTypes=["Ingress", "Egress"]),
        netpol("deny", "jobs", podSelector={}, policyTypes=["Egress", "Ingress"], egress=DNS_EGRESS),
    ]
    assert w.namespaces_without_default_deny(objects) == []


def test_namespace_without_policy_is_reported_with_what_to_add():
    objects = [
        namespace("apps"),
        namespace("jobs"),
        netpol("deny", "jobs", podSelector={}, policyTypes=["Ingress", "Egress"]),
    ]
    (found,) = w.namespaces_without_default_deny(objects)
    assert (found.namespace, found.check, found.path) == ("apps", w.DEFAULT_DENY, "metadata.name")
    assert found.message.startswith('Namespace "apps": no default-deny NetworkPolicy for Egress and Ingress; add one')


@pytest.mark.parametrize(
    ("policy", "missing"),
    [
        (
            netpol("p", "apps", podSelector={"matchLabels": {"app": "x"}}, policyTypes=["Ingress", "Egress"]),
            "Egress and Ingress",
        ),
        (netpol("p", "apps", podSelector={}, policyTypes=["Ingress"]), "Egress"),
        (netpol("p", "apps", podSelector={}), "Egress"),  # policyTypes default to Ingress only
        (netpol("p", "apps", podSelector={}, policyTypes=["Ingress", "Egress"], ingress=[{}]), "Ingress"),
        (netpol("p", "apps", podSelector={}, policyTypes=["Ingress", "Egress"], egress=[{}]), "Egress"),
        (netpol("p", "other", podSelector={}, policyTypes=["Ingress", "Egress"]), "Egress and Ingress"),
    ],
)
def test_policies_that_are_not_default_deny(policy, missing):
    (found,) = w.namespaces_without_default_deny([namespace("apps"), policy])
    assert f"for {missing};" in found.message


def test_two_policies_may_cover_ingress_and_egress_between_them():
    objects = [
        namespace("apps"),
        netpol("deny-ingress", "apps", podSelector={}, policyTypes=["Ingress"]),
        netpol("deny-egress", "apps", podSelector=None, policyTypes=["Egress"], egress=DNS_EGRESS),
    ]
    assert w.namespaces_without_default_deny(objects) == []


def test_only_declared_namespaces_are_required_and_results_are_sorted():
    objects = [namespace("zeta"), namespace("alpha"), {"kind": "Namespace", "metadata": {}}, netpol("p", "kube-system")]
    assert [v.namespace for v in w.namespaces_without_default_deny(objects)] == ["alpha", "zeta"]
    assert w.namespaces_without_default_deny([]) == []


# ------------------------------------------------------------------------------- effective level


def labelled(name, level=None, version=None) -> dict:
    labels = {}
    if level is not None:
        labels[w.ENFORCE_LABEL] = level
    if version is not None:
        labels[w.ENFORCE_VERSION_LABEL] = version
    return namespace(name, **labels)


def test_namespace_labels_win_over_defaults():
    namespaces = {"apps": labelled("apps", "baseline", "v1.30")}
    assert w.effective_pss_level(deployment(container()), namespaces, "restricted", "latest") == ("baseline", "v1.30")


def test_defaults_apply_outside_declared_namespaces_and_for_missing_labels():
    namespaces = {"apps": labelled("apps", level="privileged"), "jobs": labelled("jobs", version="latest")}
    assert w.effective_pss_level(deployment(container(), ns="other"), namespaces, "restricted", "v1.33") == (
        "restricted",
        "v1.33",
    )
    assert w.effective_pss_level(deployment(container()), namespaces, "restricted", "v1.33") == ("privileged", "v1.33")
    assert w.effective_pss_level(deployment(container(), ns="jobs"), namespaces, "baseline", "v1.33") == (
        "baseline",
        "latest",
    )


def test_object_without_namespace_is_in_default():
    obj = deployment(container())
    del obj["metadata"]["namespace"]
    assert w.effective_pss_level(obj, {"default": labelled("default", "baseline")}, "restricted", "latest") == (
        "baseline",
        "latest",
    )


@pytest.mark.parametrize(
    ("level", "version", "expected"),
    [
        ("bogus", None, ("restricted", "v1.33")),  # Kubernetes: an invalid level is restricted
        (None, "1.30", ("baseline", "latest")),  # and an invalid version latest
        (None, "v1.20", ("baseline", VERSIONS[0])),  # older than supported: the oldest supported
        (None, "v1.40", ("baseline", "v1.40")),  # newer: kept, pss resolves it to the newest
    ],
)
def test_labels_are_read_as_kubernetes_reads_them(level, version, expected):
    namespaces = {"apps": labelled("apps", level, version)}
    assert w.effective_pss_level(deployment(container()), namespaces, "baseline", "v1.33") == expected


def test_props_as_the_policy_sdk_passes_them():
    # pulumi_policy hands validate() read-only Mapping/Sequence proxies, not dicts and lists
    from pulumi_policy.proxy import unknown_checking_proxy

    obj = deployment(container(image="nginx", resources={"requests": {"cpu": "1"}}))
    assert w.resources_set(unknown_checking_proxy(copy.deepcopy(obj))) == w.resources_set(obj) != []
    assert (
        w.image_pinned(unknown_checking_proxy(copy.deepcopy(obj)), REGISTRIES) == w.image_pinned(obj, REGISTRIES) != []
    )
    svc = service()
    assert w.lb_service_internal(unknown_checking_proxy(svc), []) == w.lb_service_internal(service(), []) != []
    ns = namespace("apps", **{w.ENFORCE_LABEL: "baseline"})
    assert w.namespace_psa_labels(unknown_checking_proxy(copy.deepcopy(ns))) == w.namespace_psa_labels(ns)
    objects = [namespace("apps"), netpol("deny", "apps", podSelector={}, policyTypes=["Ingress"])]
    proxied = [unknown_checking_proxy(copy.deepcopy(o)) for o in objects]
    assert w.namespaces_without_default_deny(proxied) == w.namespaces_without_default_deny(objects) != []
    namespaces = {"apps": unknown_checking_proxy(labelled("apps", "baseline", "v1.30"))}
    assert w.effective_pss_level(unknown_checking_proxy(obj), namespaces, "restricted", "latest") == (
        "baseline",
        "v1.30",
    )
