"""The global stack's resources: global routing (Route 53) and the shared image registry (ECR replication).

- `GlobalDns`: the fleet's public hosted zone and, per configured record, one latency record per spoke Region: a
  CNAME from `<name>.<zone>` to `<target>.<the spoke's domain>` with a Route 53 health check of that target. Latency
  records with health checks are Route 53's active-active failover: Route 53 answers with the healthy record of the
  lowest latency, so when a Region's check fails its clients get the next-closest healthy Region (Route 53
  Developer Guide, "Active-active and active-passive failover" and "How Amazon Route 53 chooses records when health
  checking is configured").
- `GlobalRegistry`: the fleet's ECR repositories (`<global stack>/<app>`, as every stack's `Registry`) in the global
  stack's Region and one replication rule copying them to every spoke Region (and account). A spoke in the source
  registry itself (same account and Region) pulls from the source: ECR replicates to other registries only.

The spokes read the zone and the registry by StackReference (components/fleet.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import naming
from components.config.data import RegistriesConfig
from components.config.global_stack import DnsConfig
from components.registry import Registry, RegistryArgs


@dataclass(frozen=True)
class SpokeSite:
    """A spoke as the global stack sees it: from the fleet's stack files, not from the spoke's outputs."""

    stack: str
    region: str
    account: str
    domain: str  # platform:gitops.domain


# ------------------------------------------------------------------------------------------------ pure logic


def latency_records(config: DnsConfig, spokes: Sequence[SpokeSite]) -> list[dict[str, str | int]]:
    """One entry per (record, spoke): the record's name, its Region, the host it points at and the check."""
    out: list[dict[str, str | int]] = []
    for record in config.records:
        for spoke in spokes:
            check = record.health_check
            out.append(
                {
                    "record": record.name,
                    "fqdn": f"{record.name}.{config.zone}",
                    "region": spoke.region,
                    "spoke": spoke.stack,
                    "target": f"{record.target_label}.{spoke.domain}",
                    "ttl": record.ttl,
                    "protocol": check.protocol,
                    "port": check.port,
                    "path": check.path,
                    "failureThreshold": check.failure_threshold,
                    "requestInterval": check.request_interval,
                }
            )
    return out


def replication_destinations(source_account: str, source_region: str, spokes: Sequence[SpokeSite]) -> list[dict]:
    """ECR replication destinations: every spoke's (Region, account), once; never the source registry itself."""
    out: list[dict] = []
    for spoke in spokes:
        destination = {"region": spoke.region, "registryId": spoke.account}
        if (spoke.region, spoke.account) == (source_region, source_account) or destination in out:
            continue
        out.append(destination)
    return sorted(out, key=lambda d: (d["region"], d["registryId"]))


def repository_prefix(environment: str) -> str:
    """The name prefix of the global stack's repositories (data_iam.repository_name: `<environment>/<app>`)."""
    return f"{environment}/"


# ------------------------------------------------------------------------------------------------ components


@dataclass(frozen=True)
class GlobalDnsArgs:
    environment: str
    production: bool  # `protect` the zone (its name servers are delegated to from the parent zone)
    config: DnsConfig
    spokes: Sequence[SpokeSite]


class GlobalDns(pulumi.ComponentResource):
    zone_id: pulumi.Output[str]
    name_servers: pulumi.Output[list[str]]

    def __init__(self, name: str, args: GlobalDnsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-platform:global:GlobalDns", name, None, opts)
        env = args.environment
        child = pulumi.ResourceOptions(parent=self)
        zone = aws.route53.Zone(
            f"{name}-zone",
            name=args.config.zone,
            comment=f"{naming.PROJECT}-{env}: the fleet's global names (latency-routed to the spoke Regions)",
            # Records Pulumi does not manage (e.g. the delegation of a subdomain) are never deleted with the zone.
            force_destroy=False,
            tags=naming.name_tag(env, "zone"),
            opts=pulumi.ResourceOptions(parent=self, protect=args.production),
        )
        self.health_check_ids: dict[str, pulumi.Output[str]] = {}
        self.records: dict[str, list[str]] = {}
        for entry in latency_records(args.config, args.spokes):
            key = f"{entry['record']}-{entry['region']}"
            check = aws.route53.HealthCheck(
                f"{name}-{key}-health",
                type=str(entry["protocol"]),
                fqdn=str(entry["target"]),
                port=int(entry["port"]),
                resource_path=str(entry["path"]),
                failure_threshold=int(entry["failureThreshold"]),
                request_interval=int(entry["requestInterval"]),
                # HTTPS checks send the host name (SNI) so the ALB presents the right certificate.
                enable_sni=entry["protocol"] == "HTTPS",
                tags=naming.name_tag(env, f"{key}-health"),
                opts=child,
            )
            aws.route53.Record(
                f"{name}-{key}",
                zone_id=zone.zone_id,
                name=str(entry["fqdn"]),
                type="CNAME",
                ttl=int(entry["ttl"]),
                records=[str(entry["target"])],
                # One record per Region in the group: Route 53 answers from the lowest-latency healthy one.
                set_identifier=str(entry["region"]),
                latency_routing_policies=[aws.route53.RecordLatencyRoutingPolicyArgs(region=str(entry["region"]))],
                health_check_id=check.id,
                opts=child,
            )
            self.health_check_ids[key] = check.id
            self.records.setdefault(str(entry["fqdn"]), []).append(str(entry["region"]))
        self.zone_id = zone.zone_id
        self.name_servers = zone.name_servers
        self.register_outputs({"zoneId": self.zone_id, "nameServers": self.name_servers, "records": self.records})


@dataclass(frozen=True)
class GlobalRegistryArgs:
    environment: str
    production: bool
    region: str
    account: str
    config: RegistriesConfig
    spokes: Sequence[SpokeSite]


class GlobalRegistry(pulumi.ComponentResource):
    """The fleet's repositories (the stack's `Registry`) and their replication to every spoke Region."""

    def __init__(self, name: str, args: GlobalRegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-platform:global:GlobalRegistry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Nobody pulls from the source but the account itself (the spokes pull their Region's replicas).
        self.registry = Registry(
            f"{name}-repositories",
            RegistryArgs(environment=args.environment, production=args.production, config=args.config),
            opts=child,
        )
        self.prefix = repository_prefix(args.environment)
        self.destinations = replication_destinations(args.account, args.region, args.spokes)
        if self.destinations:
            # One per registry (account and Region): the source registry's whole replication configuration.
            aws.ecr.ReplicationConfiguration(
                f"{name}-replication",
                replication_configuration=aws.ecr.ReplicationConfigurationReplicationConfigurationArgs(
                    rules=[
                        aws.ecr.ReplicationConfigurationReplicationConfigurationRuleArgs(
                            destinations=[
                                aws.ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs(
                                    region=d["region"], registry_id=d["registryId"]
                                )
                                for d in self.destinations
                            ],
                            repository_filters=[
                                aws.ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs(
                                    filter=self.prefix, filter_type="PREFIX_MATCH"
                                )
                            ],
                        )
                    ]
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.registry]),
            )
        self.register_outputs(
            {"repositoryUrls": self.registry.repository_urls, "prefix": self.prefix, "destinations": self.destinations}
        )
