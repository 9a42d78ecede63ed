"""eks-platform-global: the global stack of a fleet (docs/fleets.md), a second, small Pulumi program.

It declares what no Region owns: the fleet's public zone with one latency record per spoke Region, each with a
health check (failover to the other Regions), and the ECR repositories replicated to every spoke Region. The spokes
read its outputs by StackReference. Which spokes there are, and their Regions, accounts and domains, come from the
fleet file and the spokes' own stack files (read, never deployed from here), so this stack needs no other stack.
"""

from pathlib import Path

import pulumi

from components.config import ConfigError
from components.config.fleet import check_fleet, load_fleet
from components.config.global_stack import from_pulumi_runtime
from components.fleet_global import GlobalDns, GlobalDnsArgs, GlobalRegistry, GlobalRegistryArgs, SpokeSite
from components.providers import stack_aws_provider

# The repository: fleets/ and the cluster stacks' files are one folder up from this program.
REPOSITORY = Path(__file__).resolve().parent.parent

try:
    cfg = from_pulumi_runtime()
    members = check_fleet(REPOSITORY, load_fleet(REPOSITORY, cfg.fleet))
except ConfigError as exc:
    raise pulumi.RunError("invalid global stack config:\n" + "\n".join(exc.lines)) from None

env = cfg.environment.name
spokes = [
    SpokeSite(stack=s, region=c.region, account=c.account, domain=str(c.gitops.domain))
    for s, c in members.spokes.items()
]
on_aws = pulumi.ResourceOptions(provider=stack_aws_provider("aws", cfg))

dns = GlobalDns(
    f"{env}-dns", GlobalDnsArgs(environment=env, production=cfg.production, config=cfg.dns, spokes=spokes), opts=on_aws
)
pulumi.export("zoneId", dns.zone_id)
pulumi.export("zoneName", cfg.dns.zone)
pulumi.export("nameServers", dns.name_servers)
pulumi.export("records", dns.records)

if cfg.registry is not None:
    registry = GlobalRegistry(
        f"{env}-registry",
        GlobalRegistryArgs(
            environment=env,
            production=cfg.production,
            region=cfg.region,
            account=cfg.account,
            config=cfg.registry,
            spokes=spokes,
        ),
        opts=on_aws,
    )
    pulumi.export(
        "registry",
        {
            "accountId": cfg.account,
            "region": cfg.region,
            "prefix": registry.prefix,
            "repositoryUrls": registry.registry.repository_urls,
            "replicatedTo": registry.destinations,
        },
    )

pulumi.export("environment", env)
pulumi.export("fleet", cfg.fleet)
pulumi.export("region", cfg.region)
