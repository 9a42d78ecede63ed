"""eks-platform: one AWS EKS platform per stack, wired from the stack's validated config.

The same program runs under `pulumi up` and under `platformctl plan` (Pulumi's mocks): it has no
offline branches. Every setting comes from `Pulumi.<stack>.yaml` (see README: config reference).
"""

import pulumi
import pulumi_aws as aws

from components import naming
from components.network import Network, NetworkArgs
from platformctl.config import ConfigError
from platformctl.config.stack import from_pulumi_runtime

try:
    cfg = from_pulumi_runtime()
except ConfigError as exc:
    # One line per problem, no traceback, nothing declared.
    raise pulumi.RunError("invalid stack config:\n" + "\n".join(exc.lines)) from None

env = cfg.environment.name
cluster_name = naming.cluster_name(env)

# Every AWS resource gets the stack's tags through the provider's default tags (plus its own Name tag).
aws_provider = aws.Provider(
    "aws",
    region=cfg.region,
    default_tags=aws.ProviderDefaultTagsArgs(tags=cfg.tags),
)
on_aws = pulumi.ResourceOptions(provider=aws_provider)

network = Network(
    f"{env}-network",
    NetworkArgs(environment=env, cluster_name=cluster_name, config=cfg.network, subnets=cfg.subnets),
    opts=on_aws,
)

# ---- cluster, node pools, Karpenter (components/cluster.py, node_pools.py, karpenter.py)
# ---- add-ons (components/addons/)
# ---- GitOps bootstrap (components/gitops.py)
# ---- data: database, registries, build access (components/database.py, registry.py, build_access.py)

pulumi.export("environment", env)
pulumi.export("region", cfg.region)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
