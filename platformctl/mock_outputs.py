"""The offline engine's answers: what each resource returns and what each invoke (data source) answers.

The offline plan runs the real program under Pulumi's mocks; what a resource "returns" comes from here. Values are
deterministic (hashed from the resource's type and name) so plans are stable and diffable: IDs and ARNs in AWS's
real formats, inputs echoed as the providers return them. Invokes answer from real data only (the stack's config,
the AWS SDK's partition data in components/aws_partitions.py); an invoke not modelled here is an error, never an
empty answer.

`CONTRACT` below is the mock contract: every output and invoke result the program reads, and where its offline
answer comes from. tests/test_mock_contract.py records what the program reads in every stack and fails when it reads
something not listed (add the answer here, from a real source, and list it), or when a listed answer is missing.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from components import aws_partitions, aws_regions

ACCOUNT_ID = "123456789012"
FAKE_CA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1PQ0sKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
AVAILABILITY_ZONES = "aws:index/getAvailabilityZones:getAvailabilityZones"

# ------------------------------------------------------------------------------------------------ the contract

_ARN = "computed: ARN_FORMAT for the type (partition, Region, the stack's account, physical name or ID)"
_NAME = "the `name` input, else Pulumi's auto-name <resource name>-<7 hex>"
CONTRACT: dict[str, dict[str, str]] = {
    # Resources (type token -> output property -> where the offline answer comes from). Not recorded (read without
    # a getter) and answered for every resource: `urn` (the engine's) and a custom resource's `id` (physical_id:
    # AWS's format per type, vpc-/subnet-/sg-<17 hex>, the KMS key's UUID, else the physical name).
    "aws:cloudwatch/eventRule:EventRule": {"arn": _ARN, "name": _NAME},
    "aws:cloudwatch/logGroup:LogGroup": {"arn": _ARN, "name": _NAME},
    "aws:codebuild/project:Project": {"name": _NAME},
    "aws:ec2/launchTemplate:LaunchTemplate": {"latestVersion": "computed: 1 (a new template's first version)"},
    "aws:ecr/repository:Repository": {
        "arn": _ARN,
        "name": _NAME,
        "repositoryUrl": "computed: <account>.dkr.ecr.<region>.<dns suffix>/<name>",
    },
    "aws:eks/accessEntry:AccessEntry": {"principalArn": "the input"},
    "aws:eks/nodeGroup:NodeGroup": {
        "nodeGroupName": "the input, else the prefix plus 26 hex (AWS appends a unique suffix)"
    },
    "aws:iam/instanceProfile:InstanceProfile": {"arn": _ARN, "name": _NAME},
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": {"arn": "computed: oidc-provider/<url without scheme>"},
    "aws:iam/role:Role": {"arn": _ARN, "name": _NAME},
    "aws:kms/key:Key": {"arn": _ARN, "keyId": "computed: a UUID (the key's ID)"},
    "aws:rds/instance:Instance": {
        "address": "computed: <identifier>.<12 hex>.<region>.rds.<dns suffix>",
        "masterUserSecrets": "computed: one secret (secretArn rds!db-<uuid>, the input kmsKeyId, active)",
    },
    "aws:rds/parameterGroup:ParameterGroup": {"name": _NAME},
    "aws:rds/subnetGroup:SubnetGroup": {"name": _NAME},
    "aws:route53/zone:Zone": {
        "zoneId": "computed: Z and 20 upper-case letters or digits (Route 53's hosted zone ID format)",
        "nameServers": "computed: four, ns-<0..2047>.awsdns-<nn>.com/.net/.org/.co.uk (Route 53's delegation set)",
    },
    "aws:sqs/queue:Queue": {"arn": _ARN, "url": "computed: https://sqs.<region>.<dns suffix>/<account>/<name>"},
    "random:index/randomPassword:RandomPassword": {
        "result": "computed: a stand-in (never a real secret; always masked)",
        "bcryptHash": "computed: a stand-in",
    },
    # A remote component: its outputs are the construct state of the pulumi-eks model, computed from the mocked
    # outputs of the children it registers (platformctl/eks_model.py).
    "eks:index:Cluster": dict.fromkeys(
        (
            "clusterSecurityGroupId",
            "kubeconfig",
            "kubeconfigJson",
            "nodeSecurityGroupId",
            "oidcIssuer",
            "oidcProviderArn",
        ),
        "model: platformctl/eks_model.py construct state",
    ),
    # Invokes (token -> result property -> source).
    "aws:index/getAvailabilityZones:getAvailabilityZones": {
        "names": "the Region's zone names, components/aws_regions.py (unknown for a Region it does not list)"
    },
    "aws:index/getCallerIdentity:getCallerIdentity": {
        "accountId": "the stack's platform:environment.account",
        "arn": "an IAM user of that account, or the session of the role the stack assumes (aws:assumeRoles)",
    },
    "aws:index/getPartition:getPartition": {"partition": "the Region's partition (components/aws_partitions.py)"},
    "aws:index/getRegion:getRegion": {"region": "the stack's aws:region, a Region of components/aws_partitions.py"},
    "aws:iam/getSessionContext:getSessionContext": {
        "issuerArn": "the caller's ARN, or for an assumed-role session its role (with the path the stack configures)"
    },
}


@dataclass(frozen=True)
class Ctx:
    region: str
    account: str = ACCOUNT_ID  # the stack's platform:environment.account
    # The identity the providers act as: an assumed role's ARN when the stack assumes one (aws:assumeRoles).
    role_arn: str | None = None
    session_name: str | None = None

    @property
    def aws_region(self) -> aws_partitions.Region:
        known = aws_partitions.region(self.region)
        if known is None:  # the config refuses such a Region before anything runs
            raise UnmodelledError(f"{self.region!r} is not an AWS Region ({aws_partitions.source()})")
        return known

    @property
    def partition(self) -> str:
        return self.aws_region.partition

    @property
    def dns_suffix(self) -> str:
        return self.aws_region.dns_suffix

    @property
    def caller_arn(self) -> str:
        """What STS GetCallerIdentity answers: an assumed-role session, or (no role) an IAM user."""
        p = self.partition
        if self.role_arn:
            role_name = self.role_arn.rsplit("/", 1)[-1]
            return f"arn:{p}:sts::{self.account}:assumed-role/{role_name}/{self.session_name or 'offline'}"
        return f"arn:{p}:iam::{self.account}:user/offline"


class UnmodelledError(Exception):
    """The program asked the offline engine something it has no real answer for (a real preview would ask AWS)."""


def _hex(seed: str, n: int = 17) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def _uuid(seed: str) -> str:
    return str(uuid.UUID(hashlib.md5(seed.encode()).hexdigest()))


# EC2-style IDs: prefix-<17 hex>
ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/route:Route": "r-rtb",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "sgrule",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/networkAcl:NetworkAcl": "acl",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
}

# ARN resource part per type; "{id}" and "{name}" are substituted. Default: "<resource>/{id}".
ARN_FORMAT = {
    "aws:iam/role:Role": "arn:{p}:iam::{a}:role/{name}",
    "aws:iam/policy:Policy": "arn:{p}:iam::{a}:policy/{name}",
    "aws:iam/instanceProfile:InstanceProfile": "arn:{p}:iam::{a}:instance-profile/{name}",
    # IAM names an OIDC provider after its URL without the scheme (what trust-policy condition keys start with).
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "arn:{p}:iam::{a}:oidc-provider/{url}",
    "aws:kms/key:Key": "arn:{p}:kms:{r}:{a}:key/{uuid}",
    "aws:kms/alias:Alias": "arn:{p}:kms:{r}:{a}:{name}",
    "aws:cloudwatch/logGroup:LogGroup": "arn:{p}:logs:{r}:{a}:log-group:{name}",
    "aws:sqs/queue:Queue": "arn:{p}:sqs:{r}:{a}:{name}",
    "aws:sns/topic:Topic": "arn:{p}:sns:{r}:{a}:{name}",
    "aws:s3/bucket:Bucket": "arn:{p}:s3:::{name}",
    "aws:s3/bucketV2:BucketV2": "arn:{p}:s3:::{name}",
    "aws:cloudwatch/eventRule:EventRule": "arn:{p}:events:{r}:{a}:rule/{name}",
    "aws:eks/cluster:Cluster": "arn:{p}:eks:{r}:{a}:cluster/{name}",
    "aws:eks/nodeGroup:NodeGroup": "arn:{p}:eks:{r}:{a}:nodegroup/{name}",
    "aws:eks/addon:Addon": "arn:{p}:eks:{r}:{a}:addon/{name}",
    "aws:ecr/repository:Repository": "arn:{p}:ecr:{r}:{a}:repository/{name}",
    "aws:rds/instance:Instance": "arn:{p}:rds:{r}:{a}:db:{name}",
    "aws:rds/cluster:Cluster": "arn:{p}:rds:{r}:{a}:cluster:{name}",
    "aws:rds/subnetGroup:SubnetGroup": "arn:{p}:rds:{r}:{a}:subgrp:{name}",
    "aws:rds/parameterGroup:ParameterGroup": "arn:{p}:rds:{r}:{a}:pg:{name}",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": "arn:{p}:rds:{r}:{a}:cluster-pg:{name}",
    "aws:secretsmanager/secret:Secret": "arn:{p}:secretsmanager:{r}:{a}:secret:{name}-{short}",
}

# Types whose physical name Pulumi derives from the logical name (auto-naming), when not given.
_AUTONAME_KEYS = ("name",)


def _service_and_resource(type_token: str) -> tuple[str, str]:
    # "aws:ec2/vpcEndpoint:VpcEndpoint" -> ("ec2", "vpc-endpoint")
    module = type_token.split(":")[1].split("/")[0]
    resource = type_token.rsplit(":", 1)[-1]
    kebab = "".join("-" + c.lower() if c.isupper() else c for c in resource).lstrip("-")
    return module, kebab


def _eks_cluster_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    issuer = f"https://oidc.eks.{ctx.region}.{ctx.dns_suffix}/id/{_hex(name, 32).upper()}"
    return {
        "endpoint": f"https://{_hex(name, 32).upper()}.gr7.{ctx.region}.eks.{ctx.dns_suffix}",
        "certificateAuthority": {
            "data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1PQ0sKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
        },
        "identities": [{"oidcs": [{"issuer": issuer}]}],
        "vpcConfig": {**(inputs.get("vpcConfig") or {}), "clusterSecurityGroupId": f"sg-{_hex(name + 'csg')}"},
        "platformVersion": "eks.1",
        "status": "ACTIVE",
    }


def _sqs_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    qname = inputs.get("name") or name
    return {"url": f"https://sqs.{ctx.region}.{ctx.dns_suffix}/{ctx.account}/{qname}"}


def _kms_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    return {"keyId": _uuid(name)}


def _vpc_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    return {"defaultSecurityGroupId": f"sg-{_hex(name + 'default')}", "mainRouteTableId": f"rtb-{_hex(name + 'main')}"}


def _ecr_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    rname = inputs.get("name") or name
    return {"repositoryUrl": f"{ctx.account}.dkr.ecr.{ctx.region}.{ctx.dns_suffix}/{rname}", "registryId": ctx.account}


def _rds_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    ident = inputs.get("identifier") or name
    return {
        "endpoint": f"{ident}.{_hex(name, 12)}.{ctx.region}.rds.{ctx.dns_suffix}:5432",
        "address": f"{ident}.{_hex(name, 12)}.{ctx.region}.rds.{ctx.dns_suffix}",
        "port": 5432,
        "masterUserSecrets": [
            {
                "secretArn": f"arn:aws:secretsmanager:{ctx.region}:{ctx.account}:secret:rds!db-"
                f"{_uuid(name)}-{_hex(name, 6)}",
                "kmsKeyId": inputs.get("masterUserSecretKmsKeyId"),
                "secretStatus": "active",
            }
        ],
    }


def _rds_cluster_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    ident = inputs.get("clusterIdentifier") or name
    host = f"{ident}.cluster-{_hex(name, 12)}.{ctx.region}.rds.{ctx.dns_suffix}"
    return {
        "endpoint": host,
        "readerEndpoint": host.replace(".cluster-", ".cluster-ro-"),
        "port": 5432,
        "masterUserSecrets": _rds_extras(name, inputs, ctx)["masterUserSecrets"],
    }


def _security_group_rule_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    # The AWS provider reads the rule's own ID back from EC2 (DescribeSecurityGroupRules): sgr-<17 hex>.
    return {"securityGroupRuleId": f"sgr-{_hex('sgr' + name)}"}


def _launch_template_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    return {"latestVersion": 1, "defaultVersion": 1}


def _node_group_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    # With node_group_name_prefix, AWS (the provider) appends a unique suffix.
    ng_name = inputs.get("nodeGroupName") or f"{inputs.get('nodeGroupNamePrefix') or name + '-'}{_hex(name, 26)}"
    return {"nodeGroupName": ng_name, "status": "ACTIVE"}


def _route53_zone_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    # A hosted zone's ID is "Z" and upper-case letters and digits; Route 53 picks four name servers for it.
    zone_id = _zone_id(name)
    return {
        "zoneId": zone_id,
        "nameServers": [
            f"ns-{int(_hex(name + str(i), 3), 16) % 2048}.awsdns-{i:02d}.{tld}"
            for i, tld in enumerate(("com", "net", "org", "co.uk"))
        ],
        "arn": f"arn:{ctx.partition}:route53:::hostedzone/{zone_id}",
    }


def _zone_id(name: str) -> str:
    return "Z" + _hex(name + "zone", 20).upper()


def _random_password_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    # Not a real secret: a stable stand-in so programs that hash or template it see a value (always masked).
    fake = f"offline-{_hex(name, 16)}"
    return {"result": fake, "bcryptHash": f"$2a$10${_hex(name + 'bcrypt', 53)}"}


EXTRA_OUTPUTS: dict[str, Callable[[str, dict, Ctx], dict]] = {
    "random:index/randomPassword:RandomPassword": _random_password_extras,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template_extras,
    "aws:eks/nodeGroup:NodeGroup": _node_group_extras,
    "aws:eks/cluster:Cluster": _eks_cluster_extras,
    "aws:ec2/securityGroupRule:SecurityGroupRule": _security_group_rule_extras,
    "aws:sqs/queue:Queue": _sqs_extras,
    "aws:kms/key:Key": _kms_extras,
    "aws:ec2/vpc:Vpc": _vpc_extras,
    "aws:ecr/repository:Repository": _ecr_extras,
    "aws:rds/instance:Instance": _rds_extras,
    "aws:rds/cluster:Cluster": _rds_cluster_extras,
    "aws:route53/zone:Zone": _route53_zone_extras,
}


def physical_id(type_token: str, name: str, inputs: dict) -> str:
    prefix = ID_PREFIX.get(type_token)
    if prefix:
        return f"{prefix}-{_hex(type_token + name)}"
    if type_token in ("aws:kms/key:Key", "aws:route53/healthCheck:HealthCheck"):
        return _uuid(name)
    if type_token == "aws:route53/zone:Zone":
        return _zone_id(name)
    given = inputs.get("name")
    if isinstance(given, str) and given:
        return given
    return f"{name}-{_hex(type_token + name, 7)}"


def new_resource(type_token: str, name: str, inputs: dict[str, Any], ctx: Ctx) -> tuple[str, dict[str, Any]]:
    """(id, outputs) the way the cloud would answer: inputs echoed, plus computed IDs/ARNs/attributes."""
    rid = physical_id(type_token, name, inputs)
    outputs: dict[str, Any] = dict(inputs)
    if type_token.startswith("aws:"):
        physical_name = inputs.get("name") if isinstance(inputs.get("name"), str) else rid
        fmt = ARN_FORMAT.get(type_token)
        if fmt:
            arn = fmt.format(
                p=ctx.partition,
                a=ctx.account,
                r=ctx.region,
                name=physical_name,
                id=rid,
                uuid=_uuid(name),
                short=_hex(name, 6),
                url=str(inputs.get("url") or physical_name).removeprefix("https://"),
            )
        else:
            service, resource = _service_and_resource(type_token)
            arn = f"arn:{ctx.partition}:{service}:{ctx.region}:{ctx.account}:{resource}/{rid}"
        outputs.setdefault("arn", arn)
        outputs.setdefault("name", physical_name)
        outputs.setdefault("ownerId", ctx.account)
    extra = EXTRA_OUTPUTS.get(type_token)
    if extra:
        for key, value in extra(name, inputs, ctx).items():
            outputs.setdefault(key, value)
    return rid, outputs


def _caller_identity(args: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    return {"accountId": ctx.account, "arn": ctx.caller_arn, "userId": "AIDAOFFLINE", "id": ctx.account}


def _region(args: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    # The provider answers the Region it is configured with (or the one asked for), and its description. `endpoint`
    # is not answered: nothing reads it, and its value is not in the data here.
    name = args.get("region") or args.get("name") or ctx.region
    known = aws_partitions.region(name)
    if known is None:
        raise UnmodelledError(f"getRegion: {name!r} is not an AWS Region ({aws_partitions.source()})")
    return {"name": name, "region": name, "id": name, "description": known.description}


def _partition(args: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    # `reverseDnsPrefix` is not answered: nothing reads it.
    r = ctx.aws_region
    return {"partition": r.partition, "dnsSuffix": r.dns_suffix, "id": r.partition}


def _availability_zones(args: dict[str, Any], ctx: Ctx) -> dict[str, Any] | None:
    """The Region's zones from components/aws_regions.py (names and AZ IDs as sourced there, every listed zone taken
    as available). A Region that table does not know: None, a wholly unknown answer (only AWS knows it at deploy
    time); the plan goes on with unknown subnet zones, and says so, rather than with invented ones."""
    unsupported = sorted(k for k, v in args.items() if v not in (None, [], False) and k != "state")
    if unsupported or args.get("state") not in (None, "available"):
        raise UnmodelledError(f"getAvailabilityZones with {unsupported or args.get('state')} is not modelled offline")
    known = aws_regions.region(ctx.region)
    if known is None:
        return None
    return {
        "names": list(known.zone_names),
        "zoneIds": list(known.zone_ids),
        "groupNames": [ctx.region],  # the zone group of a Region's AZs is the Region
        "id": ctx.region,
    }


def _session_context(args: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    # An IAM user's session context is itself; an assumed-role session's issuer is its role.
    arn = args.get("arn") or ctx.caller_arn
    issuer, session = arn, ""
    if ":assumed-role/" in arn:
        prefix, _, rest = arn.partition(":assumed-role/")
        role_name, _, session = rest.partition("/")
        # The issuer keeps the role's path, which the assumed-role ARN drops.
        same = ctx.role_arn and ctx.role_arn.rsplit("/", 1)[-1] == role_name
        issuer = ctx.role_arn if same else f"{prefix.replace(':sts::', ':iam::')}:role/{role_name}"
    return {
        "arn": arn,
        "issuerArn": issuer,
        "issuerId": "AIDAOFFLINE",
        "issuerName": issuer.rsplit("/", 1)[-1],
        "sessionName": session,
        "id": arn,
    }


INVOKES: dict[str, Callable[[dict[str, Any], Ctx], dict[str, Any] | None]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getPartition:getPartition": _partition,
    AVAILABILITY_ZONES: _availability_zones,
    "aws:iam/getSessionContext:getSessionContext": _session_context,
}


def invoke(token: str, args: dict[str, Any], ctx: Ctx) -> dict[str, Any] | None:
    """A data source's answer, from real data (see CONTRACT); None: wholly unknown offline (the engine answers the
    program "unknown", as for an invoke whose inputs are not known yet). An invoke not modelled here is an error: a
    real preview would ask AWS, and an empty answer would be invented."""
    answer = INVOKES.get(token)
    if answer is None:
        raise UnmodelledError(
            f"the offline engine has no answer for the invoke {token}: add one from a real source to "
            "platformctl/mock_outputs.py (INVOKES, CONTRACT)"
        )
    return answer(args, ctx)
