"""Policy pack `eks-platform-aws`: thin wiring of the pure rules in policies.rules to CrossGuard policies.

Run by the Pulumi engine (`pulumi preview --policy-pack policies/aws --policy-pack-config
policies/config/<stack>.json`) or by `platformctl policy <stack>`; both start `python -u policies/aws` and talk
to the port it prints.
"""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:  # works from a checkout even without the editable install
    sys.path.insert(0, _ROOT)

from policies.packkit import resource_policy, serve, stack_policy  # noqa: E402
from policies.rules import encryption, hardening, iam_valid, tags  # noqa: E402
from policies.rules.config import AWS_PACK, pack_policies  # noqa: E402

RESOURCE_RULES = {**tags.RULES, **encryption.RULES, **hardening.RULES, **iam_valid.RULES}
APPLIES = {**tags.APPLIES, **encryption.APPLIES, **hardening.APPLIES, **iam_valid.APPLIES}
STACK_RULES = {**encryption.STACK_RULES}
STACK_READS = {**encryption.STACK_READS}

# Catalog order (policies.rules.config.POLICIES), so reports list the policies the same way everywhere.
serve(
    AWS_PACK,
    [
        stack_policy(p.name, STACK_RULES[p.name], STACK_READS[p.name])
        if p.stack
        else resource_policy(p.name, RESOURCE_RULES[p.name], APPLIES[p.name])
        for p in pack_policies(AWS_PACK)
    ],
)
