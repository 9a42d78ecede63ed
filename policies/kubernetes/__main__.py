"""Policy pack `eks-platform-kubernetes`: thin wiring of policies.rules.kubernetes to CrossGuard policies.

Run by the Pulumi engine (`pulumi preview --policy-pack policies/kubernetes --policy-pack-config
policies/config/<stack>.json`) or by `platformctl policy <stack>`; both start `python -u policies/kubernetes`
and talk to the port it prints.
"""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:  # works from a checkout even without the editable install
    sys.path.insert(0, _ROOT)

from policies.packkit import resource_and_stack_policy, resource_policy, serve, stack_policy  # noqa: E402
from policies.rules import kubernetes  # noqa: E402
from policies.rules.config import KUBERNETES_PACK, pack_policies  # noqa: E402

# Namespaces seen and PSS levels used so far in this process (one process per preview).
PSS_STATE = kubernetes.PssState()


def _pss_resource(type_token, props, config, urn):
    return kubernetes.check_pod_security(type_token, props, config, state=PSS_STATE, urn=urn)


def _pss_stack(resources, config):
    return kubernetes.check_pod_security_stack(resources, config, state=PSS_STATE)


def _policy(spec):
    if spec.name == kubernetes.PSS_POLICY:
        return resource_and_stack_policy(spec.name, _pss_resource, _pss_stack, kubernetes.APPLIES[spec.name])
    if spec.stack:
        return stack_policy(spec.name, kubernetes.STACK_RULES[spec.name], kubernetes.STACK_READS[spec.name])
    return resource_policy(spec.name, kubernetes.RULES[spec.name], kubernetes.APPLIES[spec.name])


serve(KUBERNETES_PACK, [_policy(spec) for spec in pack_policies(KUBERNETES_PACK)])
