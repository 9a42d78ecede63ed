"""`platform:cost`: the usage assumptions behind `platformctl cost`, in one visible place.

AWS bills some things by the hour (a NAT gateway, a node, the EKS control plane): the plan says how many there are.
It bills others by what flows through them (GB through a NAT gateway, log GB ingested): no plan can know those, so
the estimate multiplies the published price by the assumptions below. The defaults are deliberately round numbers
for a small platform, not measurements; override them per stack (docs/cost.md) once you have real
figures from Cost Explorer. The program itself never reads this section.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ._base import Model

NonNegative = Annotated[float, Field(ge=0)]


class CostConfig(Model):
    # Spot capacity is priced as the on-demand price minus this discount. AWS quotes spot savings of "up to 90%"
    # and the real discount changes by the hour and the instance type: this is an assumption, never a price.
    spot_discount_percent: Annotated[float, Field(ge=0, lt=100)] = 60
    # GB per month through all of the stack's NAT gateways together (image pulls not served by the ECR endpoints,
    # calls to AWS APIs without an endpoint, internet egress).
    nat_gb_per_month: NonNegative = 100
    # GB per month through each interface VPC endpoint.
    endpoint_gb_per_month: NonNegative = 20
    # CloudWatch Logs ingestion, GB per month: control-plane logs (the audit log dominates), container logs per node
    # (aws-for-fluent-bit), Container Insights performance logs per node, VPC flow logs, and each database log group.
    control_plane_log_gb_per_month: NonNegative = 20
    # Container logs (aws-for-fluent-bit) ingested per node and month, GB.
    container_log_gb_per_node_month: NonNegative = 5
    # Container Insights performance logs ingested per node and month, GB.
    container_insights_gb_per_node_month: NonNegative = 1
    # VPC flow logs ingested per month, GB.
    flow_log_gb_per_month: NonNegative = 10
    # Each database log group's ingestion per month, GB.
    database_log_gb_per_month: NonNegative = 1
    # Stored log bytes as a fraction of ingested bytes (CloudWatch Logs bills archived data after compression;
    # 1.0 assumes none: an upper bound). The stored volume is the steady state once a log group's retention is full.
    log_stored_fraction: Annotated[float, Field(gt=0, le=1)] = 1.0
    # Images kept per ECR repository, GB.
    ecr_gb_per_repository: NonNegative = 5
    # Automated RDS backups beyond the first full copy: the share of the allocated storage that changes per day
    # (each retained day keeps its changes). Backup storage up to the allocated storage is free.
    database_backup_change_percent_per_day: Annotated[float, Field(ge=0, le=100)] = 2
    # SQS requests per month per queue (Karpenter long-polls its interruption queue).
    sqs_requests_per_month: NonNegative = 300_000
    # Secrets Manager API calls per month per secret.
    secret_api_calls_per_month: NonNegative = 10_000
    # Average load balancer capacity units per Application Load Balancer of the reference workloads.
    alb_lcu_per_month: NonNegative = 1
