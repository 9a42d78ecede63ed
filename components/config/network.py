"""`platform:network`: the VPC layout."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import Field, field_validator

from ._base import Model

INTERFACE_ENDPOINT_SERVICES = (
    "ecr.api",
    "ecr.dkr",
    "sts",
    "ec2",
    "logs",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "elasticloadbalancing",
    "autoscaling",
    "eks",
    "eks-auth",
    "secretsmanager",
    "kms",
    "sqs",
)


def _cidr(value: str) -> str:
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"not a valid IPv4 CIDR: {exc}") from None
    if net.version != 4:
        raise ValueError("must be an IPv4 CIDR")
    return str(net)


class FlowLogs(Model):
    # VPC flow logs to a CloudWatch log group (KMS-encrypted): who talked to whom, kept for audits.
    enabled: bool = True
    # Days the flow logs are kept (a CloudWatch Logs retention value).
    retention_days: Literal[
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
    ] = 30
    # Which traffic is logged: accepted, rejected or all.
    traffic_type: Literal["ACCEPT", "REJECT", "ALL"] = "ALL"
    # false: CloudWatch Logs' own encryption instead of a customer-managed KMS key (saves the key's monthly cost).
    # Allowed by the config, caught by the `encryption-at-rest` policy (advisory in dev, mandatory in prod).
    customer_managed_key: bool = True


class NetworkConfig(Model):
    # The VPC's IPv4 range, /16 to /22; split into one public and one private subnet per AZ.
    vpc_cidr: str = "10.0.0.0/16"
    # Availability zones used (at most the region's); production needs 3 or more.
    az_count: Annotated[int, Field(ge=2, le=6)] = 3
    # One NAT gateway is cheap (dev); one per AZ survives an AZ outage (prod: required).
    nat_gateways: Literal["single", "perAz"] = "perAz"
    # Optional explicit subnets; computed from vpcCidr when omitted.
    public_subnet_cidrs: list[str] | None = None
    # Optional explicit private subnets (one per AZ); computed from vpcCidr when omitted.
    private_subnet_cidrs: list[str] | None = None
    # AWS services reached through VPC interface endpoints (private, no NAT traffic); S3 always has a gateway
    # endpoint.
    interface_endpoints: list[Literal[INTERFACE_ENDPOINT_SERVICES]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["ecr.api", "ecr.dkr", "sts", "ec2", "logs", "ssm"]
    )
    flow_logs: FlowLogs = Field(default_factory=FlowLogs)

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_cidr(cls, v: str) -> str:
        v = _cidr(v)
        prefix = ipaddress.ip_network(v).prefixlen
        if not 16 <= prefix <= 22:
            raise ValueError("the VPC must be between /16 and /22 (EKS needs room for pod IPs)")
        return v

    @field_validator("public_subnet_cidrs", "private_subnet_cidrs")
    @classmethod
    def _subnets(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else [_cidr(c) for c in v]

    @field_validator("interface_endpoints")
    @classmethod
    def _unique_endpoints(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("lists a service twice")
        return v
