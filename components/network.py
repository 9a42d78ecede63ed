"""The VPC: subnets per AZ, NAT, routing, endpoints and encrypted flow logs."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import iam, naming
from components.config.network import NetworkConfig
from components.netmath import SubnetLayout

# Interface endpoints whose AWS service name is not com.amazonaws.<region>.<key>.
_ENDPOINT_SERVICE = {"ecr.api": "ecr.api", "ecr.dkr": "ecr.dkr"}


@dataclass(frozen=True)
class NetworkArgs:
    environment: str
    production: bool
    cluster_name: str  # subnets carry it for Karpenter discovery
    config: NetworkConfig
    subnets: SubnetLayout


class Network(pulumi.ComponentResource):
    """A VPC laid out for EKS: public subnets for load balancers, private ones for nodes and pods."""

    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-platform:network:Network", name, None, opts)
        cfg = args.config
        env = args.environment
        child = pulumi.ResourceOptions(parent=self)

        def tags(what: str, extra: dict[str, str] | None = None) -> dict[str, str]:
            return {**naming.name_tag(env, what), **(extra or {})}

        azs = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOutputOptions(parent=self))
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self))

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=cfg.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=tags("vpc"),
            opts=child,
        )
        # CIS: the default security group of a VPC allows nothing.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=self.vpc.id, ingress=[], egress=[], tags=tags("default-locked"), opts=child
        )
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, tags=tags("igw"), opts=child)

        public, private = [], []
        for i in range(cfg.az_count):
            az = azs.names[i]
            public.append(
                aws.ec2.Subnet(
                    f"{name}-public-{i}",
                    vpc_id=self.vpc.id,
                    cidr_block=args.subnets.public[i],
                    availability_zone=az,
                    map_public_ip_on_launch=False,
                    tags=tags(f"public-{i}", {"kubernetes.io/role/elb": "1"}),
                    opts=child,
                )
            )
            private.append(
                aws.ec2.Subnet(
                    f"{name}-private-{i}",
                    vpc_id=self.vpc.id,
                    cidr_block=args.subnets.private[i],
                    availability_zone=az,
                    tags=tags(
                        f"private-{i}",
                        {"kubernetes.io/role/internal-elb": "1", "karpenter.sh/discovery": args.cluster_name},
                    ),
                    opts=child,
                )
            )

        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags=tags("public-rt"),
            opts=child,
        )
        for i, subnet in enumerate(public):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-rta-{i}", subnet_id=subnet.id, route_table_id=public_rt.id, opts=child
            )

        # dev: one NAT gateway shared by every AZ; prod: one per AZ so an AZ outage stays local.
        nat_count = cfg.az_count if cfg.nat_gateways == "perAz" else 1
        nats = []
        for i in range(nat_count):
            eip = aws.ec2.Eip(f"{name}-nat-eip-{i}", domain="vpc", tags=tags(f"nat-eip-{i}"), opts=child)
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    allocation_id=eip.id,
                    subnet_id=public[i].id,
                    tags=tags(f"nat-{i}"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )
        private_rts = []
        for i, subnet in enumerate(private):
            rt = aws.ec2.RouteTable(
                f"{name}-private-rt-{i}",
                vpc_id=self.vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nats[i % nat_count].id)],
                tags=tags(f"private-rt-{i}"),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-rta-{i}", subnet_id=subnet.id, route_table_id=rt.id, opts=child
            )
            private_rts.append(rt)

        # S3 through a free gateway endpoint: image layers from ECR come from S3.
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=self.vpc.id,
            service_name=region.region.apply(lambda r: f"com.amazonaws.{r}.s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_rts],
            tags=tags("s3-endpoint"),
            opts=child,
        )
        if cfg.interface_endpoints:
            endpoint_sg = aws.ec2.SecurityGroup(
                f"{name}-endpoints-sg",
                vpc_id=self.vpc.id,
                description="HTTPS from inside the VPC to interface endpoints",
                ingress=[
                    aws.ec2.SecurityGroupIngressArgs(
                        protocol="tcp",
                        from_port=443,
                        to_port=443,
                        cidr_blocks=[cfg.vpc_cidr],
                        description="HTTPS from VPC",
                    )
                ],
                tags=tags("endpoints-sg"),
                opts=child,
            )
            for service in cfg.interface_endpoints:
                aws.ec2.VpcEndpoint(
                    f"{name}-{service.replace('.', '-')}",
                    vpc_id=self.vpc.id,
                    service_name=region.region.apply(lambda r, s=service: f"com.amazonaws.{r}.{s}"),
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=[s.id for s in private],
                    security_group_ids=[endpoint_sg.id],
                    tags=tags(f"{service}-endpoint"),
                    opts=child,
                )

        if cfg.flow_logs.enabled:
            self._flow_logs(name, env, args.production, cfg, identity, region, tags)

        self.vpc_id = self.vpc.id
        self.vpc_cidr = cfg.vpc_cidr
        self.public_subnet_ids = [s.id for s in public]
        self.private_subnet_ids = [s.id for s in private]
        self.availability_zones = [azs.names[i] for i in range(cfg.az_count)]
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "natGatewayIds": [n.id for n in nats],
            }
        )

    def _flow_logs(self, name, env, production: bool, cfg: NetworkConfig, identity, region, tags) -> None:
        child = pulumi.ResourceOptions(parent=self)
        # Production keeps its audit trail: the log group and the key that decrypts it are protected.
        kept = pulumi.ResourceOptions(parent=self, protect=production)
        log_group_name = f"/aws/vpc/{naming.PROJECT}-{env}/flow-logs"
        key_arn = None
        if cfg.flow_logs.customer_managed_key:
            key_policy = pulumi.Output.all(identity.account_id, region.region).apply(
                lambda a: json.dumps(
                    iam.kms_key_policy_for_logs(a[0], a[1], f"arn:aws:logs:{a[1]}:{a[0]}:log-group:{log_group_name}")
                )
            )
            key = aws.kms.Key(
                f"{name}-flow-logs-key",
                description=f"{naming.PROJECT}-{env}: VPC flow logs",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=key_policy,
                tags=tags("flow-logs-key"),
                opts=kept,
            )
            aws.kms.Alias(
                f"{name}-flow-logs-key-alias",
                name=f"alias/{naming.PROJECT}-{env}-flow-logs",
                target_key_id=key.key_id,
                opts=child,
            )
            key_arn = key.arn
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=log_group_name,
            kms_key_id=key_arn,
            retention_in_days=cfg.flow_logs.retention_days,
            tags=tags("flow-logs"),
            opts=kept,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=identity.account_id.apply(
                lambda a: json.dumps(iam.service_trust_policy("vpc-flow-logs.amazonaws.com", account_id=a))
            ),
            tags=tags("flow-logs-role"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-delivery",
            role=role.id,
            policy=log_group.arn.apply(lambda arn: json.dumps(iam.flow_logs_delivery_policy(arn))),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type=cfg.flow_logs.traffic_type,
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=tags("flow-log"),
            opts=child,
        )
