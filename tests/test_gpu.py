"""GPU and Neuron pools: the AMI with the driver, the taint, the limits, the NVIDIA device plugin (acceptance 3)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from components.addons.catalog import CATALOG, enabled_addons
from components.config import ConfigError, accelerators, read_stack_file, validate
from components.config.karpenter import KarpenterNodePool
from components.config.node_pools import NodePool, effective_labels, effective_taints
from components.karpenter import node_pool_spec

ROOT = Path(__file__).resolve().parent.parent
GPU_POOL = {"name": "gpu", "instanceTypes": ["g5.xlarge"], "minSize": 0, "desiredSize": 0, "maxSize": 2}


def _dev_with(pool: dict | None = None, karpenter_pool: dict | None = None) -> dict:
    values = copy.deepcopy(read_stack_file(ROOT / "Pulumi.dev.yaml"))
    if pool:
        values["platform:nodePools"].append(pool)
    if karpenter_pool:
        values["platform:karpenter"]["nodePools"].append(karpenter_pool)
    return values


def _lines(values: dict) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate(values, "dev")
    return info.value.lines


def test_a_gpu_instance_on_the_standard_ami_exits_2_naming_the_key(plan_with_edited_config):
    code, lines = plan_with_edited_config("dev", lambda c: c["platform:nodePools"].append(dict(GPU_POOL)))
    assert code == 2
    assert lines == [
        "platform:nodePools[2].instanceTypes[0]: is an NVIDIA GPU instance type but amiType AL2023_x86_64_STANDARD "
        'has no driver for it: use amiType AL2023_x86_64_NVIDIA (got "g5.xlarge")'
    ]


def test_the_gpu_ami_needs_gpu_instances_and_the_matching_architecture():
    lines = _lines(
        _dev_with({**GPU_POOL, "instanceTypes": ["m7i.large", "g5g.xlarge"], "amiType": "AL2023_x86_64_NVIDIA"})
    )
    assert lines == [
        "platform:nodePools[2].instanceTypes[1]: is an arm64 instance type but amiType AL2023_x86_64_NVIDIA is amd64 "
        '(got "g5g.xlarge")',
        "platform:nodePools[2].instanceTypes[0]: has no NVIDIA GPU accelerator but amiType AL2023_x86_64_NVIDIA is "
        'for such instances (got "m7i.large")',
    ]
    assert _lines(_dev_with({**GPU_POOL, "instanceTypes": ["inf2.xlarge"]})) == [
        "platform:nodePools[2].instanceTypes[0]: is an AWS Neuron (Inferentia/Trainium) instance type but amiType "
        'AL2023_x86_64_STANDARD has no driver for it: use amiType AL2023_x86_64_NEURON (got "inf2.xlarge")'
    ]
    validate(_dev_with({**GPU_POOL, "instanceTypes": ["g5g.xlarge"], "amiType": "AL2023_ARM_64_NVIDIA"}), "dev")
    validate(_dev_with({**GPU_POOL, "instanceTypes": ["trn1.2xlarge"], "amiType": "AL2023_x86_64_NEURON"}), "dev")


def test_gpu_pools_are_tainted_and_labelled():
    pool = NodePool.model_validate({**GPU_POOL, "amiType": "AL2023_x86_64_NVIDIA"})
    assert effective_taints(pool) == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]
    assert effective_labels(pool) == {"eks-platform/pool": "gpu", "eks-platform/accelerator": "nvidia"}
    own = NodePool.model_validate(
        {**GPU_POOL, "amiType": "AL2023_x86_64_NVIDIA", "taints": [{"key": "nvidia.com/gpu", "effect": "NoExecute"}]}
    )
    assert effective_taints(own) == [{"key": "nvidia.com/gpu", "value": "", "effect": "NoExecute"}]


def test_the_device_plugin_is_on_with_nvidia_nodes_only():
    dev = validate(_dev_with(), "dev")
    assert "nvidia-device-plugin" not in enabled_addons(dev.addons, dev.production)
    gpu = validate(_dev_with({**GPU_POOL, "amiType": "AL2023_x86_64_NVIDIA"}), "dev")
    assert "nvidia-device-plugin" in enabled_addons(gpu.addons, gpu.production)
    values = _dev_with({**GPU_POOL, "amiType": "AL2023_x86_64_NVIDIA"})
    values["platform:addons"]["nvidiaDevicePlugin"] = {"enabled": False}
    off = validate(values, "dev")
    assert [w.key for w in off.warnings] == ["platform:addons.nvidiaDevicePlugin.enabled"]


@pytest.fixture(scope="module")
def gpu_plan(tmp_path_factory):
    from platformctl.engine import run_plan

    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    doc["config"]["platform:nodePools"].append({**GPU_POOL, "amiType": "AL2023_x86_64_NVIDIA"})
    doc["config"]["platform:karpenter"]["nodePools"].append(
        {
            "name": "gpu-burst",
            "accelerator": "nvidia",
            "instanceFamilies": ["g6", "g6e"],
            "limits": {"cpu": 64, "memory": "256Gi", "nvidia.com/gpu": 4},
        }
    )
    path = tmp_path_factory.mktemp("gpu") / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(doc))
    return run_plan("dev", path, ROOT)


def test_with_the_nvidia_ami_it_plans_with_the_device_plugin_tolerating_the_gpu_taint(gpu_plan):
    group = next(
        r
        for r in gpu_plan.resources
        if r.type == "aws:eks/nodeGroup:NodeGroup" and r.inputs["nodeGroupNamePrefix"] == "gpu-"
    )
    assert group.inputs["amiType"] == "AL2023_x86_64_NVIDIA"
    assert group.inputs["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    assert group.inputs["labels"]["eks-platform/accelerator"] == "nvidia"

    # A Chart v4 records what the program asked for in `requested` (the component itself carries no inputs).
    [chart] = [
        r
        for r in gpu_plan.resources
        if r.type == "kubernetes:helm.sh/v4:Chart" and r.requested.get("name") == "nvidia-device-plugin"
    ]
    assert chart.requested["version"] == CATALOG["nvidia-device-plugin"].chart()["version"]
    values = chart.requested["values"]
    # Tolerates the taint the GPU nodes carry...
    taint = group.inputs["taints"][0]
    assert any(
        t["key"] == taint["key"] and t["operator"] == "Exists" and t["effect"] == "NoSchedule"
        for t in values["tolerations"]
    )
    # ... and selects exactly the nodes labelled NVIDIA (managed node groups and Karpenter NodePools alike).
    [term] = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term == {"matchExpressions": [{"key": "eks-platform/accelerator", "operator": "In", "values": ["nvidia"]}]}
    assert gpu_plan.outputs["addons"]["nvidia-device-plugin"]["namespace"] == "kube-system"


def test_a_karpenter_gpu_nodepool_is_limited_in_gpus(gpu_plan):
    [pool] = [
        r
        for r in gpu_plan.resources
        if r.type == "kubernetes:karpenter.sh/v1:NodePool" and r.inputs["metadata"]["name"] == "gpu-burst"
    ]
    spec = pool.inputs["spec"]
    assert spec["limits"] == {"cpu": "64", "memory": "256Gi", "nvidia.com/gpu": 4}
    template = spec["template"]
    assert {"key": "karpenter.k8s.aws/instance-gpu-manufacturer", "operator": "In", "values": ["nvidia"]} in template[
        "spec"
    ]["requirements"]
    assert template["spec"]["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]
    assert template["metadata"]["labels"]["eks-platform/accelerator"] == "nvidia"


def test_neuron_nodepool_spec():
    pool = KarpenterNodePool.model_validate(
        {
            "name": "inferentia",
            "accelerator": "neuron",
            "limits": {"cpu": 32, "memory": "64Gi", "aws.amazon.com/neuron": 2},
        }
    )
    spec = node_pool_spec(pool)
    assert spec["limits"]["aws.amazon.com/neuron"] == 2
    assert {
        "key": "karpenter.k8s.aws/instance-accelerator-manufacturer",
        "operator": "In",
        "values": ["aws"],
    } in spec["template"]["spec"]["requirements"]
    assert spec["template"]["spec"]["taints"] == [accelerators.taint("neuron")]


@pytest.mark.parametrize(
    ("pool", "expected"),
    [
        (
            {"name": "ml", "instanceFamilies": ["g5"], "limits": {"cpu": 8, "memory": "32Gi"}},
            ['platform:karpenter.nodePools[1].instanceFamilies[0]: is NVIDIA GPU (set accelerator: nvidia) (got "g5")'],
        ),
        (
            {"name": "ml", "instanceCategories": ["c", "p"], "limits": {"cpu": 8, "memory": "32Gi"}},
            [
                "platform:karpenter.nodePools[1].instanceCategories[1]: holds GPU/Neuron instances: make it an "
                "accelerator NodePool (accelerator: nvidia or neuron) so they get the taint and device plugin, or drop "
                'the category (got "p")'
            ],
        ),
        (
            {"name": "ml", "accelerator": "nvidia", "limits": {"cpu": 8, "memory": "32Gi"}},
            [
                "platform:karpenter.nodePools[1].limits: must bound nvidia.com/gpu for an accelerator NodePool "
                "(e.g. nvidia.com/gpu: 8): the most devices it buys"
            ],
        ),
        (
            {"name": "ml", "limits": {"cpu": 8, "memory": "32Gi", "nvidia.com/gpu": 2}},
            ["platform:karpenter.nodePools[1].limits.nvidia.com/gpu: limits nvidia.com/gpu: set accelerator: nvidia"],
        ),
        (
            {
                "name": "ml",
                "accelerator": "nvidia",
                "instanceFamilies": ["inf2"],
                "limits": {"cpu": 8, "memory": "32Gi", "nvidia.com/gpu": 2},
            },
            [
                "platform:karpenter.nodePools[1].instanceFamilies[0]: is AWS Neuron (Inferentia/Trainium) (list only "
                'families of its accelerator) (got "inf2")'
            ],
        ),
    ],
)
def test_karpenter_accelerator_rules(pool, expected):
    assert _lines(_dev_with(karpenter_pool=pool)) == expected


def test_accelerator_nodepools_need_the_al2023_family():
    values = _dev_with(
        karpenter_pool={
            "name": "ml",
            "accelerator": "nvidia",
            "limits": {"cpu": 8, "memory": "32Gi", "nvidia.com/gpu": 2},
        }
    )
    values["platform:karpenter"]["amiSelectorAlias"] = "bottlerocket@latest"
    assert _lines(values) == [
        "platform:karpenter.nodePools[1].accelerator: needs the al2023 AMI family (amiSelectorAlias): bottlerocket "
        'runs its own device plugin, which would clash with the catalog\'s (got "nvidia")'
    ]


def test_accelerator_families_are_valid_instance_families():
    from components.config.karpenter import INSTANCE_FAMILY
    from components.config.node_pools import INSTANCE_TYPE

    for family in accelerators.NVIDIA_FAMILIES | accelerators.NEURON_FAMILIES:
        assert INSTANCE_FAMILY.match(family), family
        assert INSTANCE_TYPE.match(f"{family}.xlarge"), family
