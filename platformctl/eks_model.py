"""pulumi-eks's `eks:index:Cluster` offline: the children its provider registers and the outputs it returns.

Why a model. `eks:index:Cluster` is a remote (multi-language) component: in a real preview the engine hands it to the
eks provider plugin (pulumi-resource-eks), whose Construct registers the component with no inputs and then its
children; analyzers judge those children. The npm package `@pulumi/eks` is *not* that implementation: it is a
generated SDK whose Cluster is itself a remote component (`super(..., true /*remote*/)`); the implementation lives
only in the plugin, built from github.com/pulumi/pulumi-eks `nodejs/eks`, which no registry reachable here serves
and which the project may not vendor or build. So this module is a model of that code, written in Python from
reading it (never copied), for the inputs this program passes (components/cluster.py).

What was read: pulumi-eks `nodejs/eks` at tag v4.3.0 (`cluster/cluster.ts` createCluster/createCore/
generateKubeconfig/Cluster, `cluster/authenticationMode.ts`, `servicerole.ts`, `nodes/securitygroup.ts`,
`cluster/cert-thumprint.ts`, `dependencies.ts`, `utilities.ts`, `cmd/provider/cluster.ts` (the construct state)),
with the SDKs it locks: @pulumi/pulumi 3.173.0 (`provider/server.ts` construct: how options are rebuilt from the
request; `resource.ts`: protect and providers inherited from the parent), @pulumi/aws 7.25.0 (each resource class's
inputs and defaults, e.g. a SecurityGroup's `description` defaults to "Managed by Pulumi"), @pulumi/kubernetes
4.19.0 (the Provider's inputs and the PULUMI_K8S_* environment defaults). The locked Python SDK is pulumi-eks 4.4.0,
whose Cluster input and output properties equal v4.3.0's schema; 4.4.0's own source is not available here, so the
model is pinned to that pair (`PULUMI_EKS_VERSION`; a test fails when uv.lock moves: re-read upstream then).

How the engine reaches it (platformctl.engine): the Python SDK sends the remote component with its inputs, their
property dependencies, all dependencies, protect and a `providers` map ({"aws": the program's explicit provider},
inherited from the parent component; `provider` itself is not sent to the eks package). The Node.js provider's
construct rebuilds `{aliases, dependsOn, protect, providers, parent, ...}` with no `provider`, so createCluster's
"explicit AWS provider" check does not fire and every aws child inherits the aws provider from the providers map,
and every child inherits `protect`. Transforms registered on the component run on each child in the engine (not in
the provider): platformctl.engine applies them, as `resmon.RegisterResource` does with a parent's transforms.
Dependencies are tracked per input key (the mock monitor sends plain values and per-key property dependencies; the
real engine sends output values, one per list element): a child's dependencies are the union over the inputs it
reads, which is the same for these inputs, each of which a child reads whole.

Verified against the real implementation (outside the repository, nothing of it committed): `git archive` of
nodejs/eks at v4.3.0, dependencies from npm at the locked versions (@pulumi/kubernetes 4.19.0 is not on the npm
registry reachable here; 4.18.1 and 4.21.1 have byte-identical `provider.js` and `utilities.js`, 4.21.1 was used),
compiled with its tsconfig, and its Cluster run through `cmd/provider/cluster.ts`'s construct exactly as
`provider/server.ts` calls it (inputs through `deserializeInputs` with the request's property dependencies, options
rebuilt the same way, the aws provider rehydrated from the providers map) under the Node.js SDK's mocks, every
resource and invoke answered by this project's platformctl/mock_outputs.py. Compared with this model, after the
engine's step (the program's transform applied): every registration (type, name, parent, custom, inputs, property
dependencies, dependencies, provider, protect, ignoreChanges, retainOnDelete, deleteBeforeReplace, aliases), the
invokes and the construct state with its dependencies, for the prod and dev stacks' requests and for variants
(providerCredentialOpts with a role and a profile, AWS_PROFILE and aws:profile defaults, PULUMI_K8S_* environment
defaults, enableConfigMapMutable, tags and clusterTags, subnetIds instead of public/private, IPv6, no OIDC provider,
access entries with a username, tags and integer-like keys, publicAccessCidrs with the public endpoint off): equal
(the last fails in both with the same message). Stubbed in that run, and not modelled here: the OIDC thumbprint
(fetched over TLS from https://oidc.eks.<region>.<dnsSuffix> even in a preview; unknown offline), the `aws` CLI
version check (createCore requires aws-cli >= 2.7.0 or >= 1.24.0 on the deploying machine) and the public
endpoint's /healthz wait outside a preview (it delays an output, registers nothing). tests/test_eks_model.py holds
hand-written expectations for the same facts.

Not modelled (the cluster is then "not expanded (input X is not modelled)", never silently wrong): the default
node group and instance roles, Fargate, EKS Auto Mode, storage classes, the VPC CNI, kube-proxy and CoreDNS
add-ons, authentication modes other than API (the aws-auth ConfigMap), a cluster without a `vpcId` (default VPC
lookups), `skipDefaultSecurityGroups`, `serviceRole`, `clusterSecurityGroup`, `creationRoleProvider`, and secret
inputs. What the provider itself rejects (e.g. `publicAccessCidrs` with the public endpoint off) fails the
expansion with the provider's message, as a preview would fail.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

PULUMI_EKS_VERSION = "4.4.0"  # the locked Python SDK (uv.lock) this model was written for
SOURCE = "pulumi-eks nodejs/eks v4.3.0"
COMPONENT_TYPE = "eks:index:Cluster"
SERVICE_ROLE_TYPE = "eks:index:ServiceRole"
K8S_PROVIDER_TYPE = "pulumi:providers:kubernetes"

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown value
_SIG = "4dabf18193072939515e22adb298388d"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"

# What the provider's construct returns (cmd/provider/cluster.ts); `defaultNodeGroup` stays undefined here.
STATE_KEYS = (
    "kubeconfig", "kubeconfigJson", "clusterSecurityGroup", "instanceRoles", "nodeSecurityGroup",
    "eksClusterIngressRule", "defaultNodeGroup", "eksCluster", "core", "clusterSecurityGroupId", "nodeSecurityGroupId",
    "clusterIngressRuleId", "defaultNodeGroupAsgName", "fargateProfileId", "fargateProfileStatus", "oidcProviderArn",
    "oidcProviderUrl", "oidcIssuer", "autoModeNodeRoleName",
)  # fmt: skip

# Inputs the model covers; any other input that is set makes the cluster "not expanded".
MODELLED_INPUTS = frozenset(
    {
        "name", "version", "upgradePolicy", "deletionProtection", "vpcId", "subnetIds", "publicSubnetIds",
        "privateSubnetIds", "nodeAssociatePublicIpAddress", "kubernetesServiceIpAddressRange", "ipFamily",
        "endpointPrivateAccess", "endpointPublicAccess", "publicAccessCidrs", "enabledClusterLogTypes",
        "encryptionConfigKeyArn", "authenticationMode", "accessEntries", "createOidcProvider", "skipDefaultNodeGroup",
        "createInstanceRole", "clusterSecurityGroupTags", "nodeSecurityGroupTags", "clusterTags", "tags",
        "bootstrapSelfManagedAddons", "useDefaultVpcCni", "kubeProxyAddonOptions", "corednsAddonOptions",
        "providerCredentialOpts", "enableConfigMapMutable", "proxy", "skipDefaultSecurityGroups",
    }
)  # fmt: skip

# @pulumi/kubernetes Provider: inputs that default from the provider process's environment (utilities.getEnvBoolean).
_K8S_ENV_BOOLEANS = {
    "deleteUnreachable": "PULUMI_K8S_DELETE_UNREACHABLE",
    "enableConfigMapMutable": "PULUMI_K8S_ENABLE_CONFIGMAP_MUTABLE",
    "enableSecretMutable": "PULUMI_K8S_ENABLE_SECRET_MUTABLE",
    "enableServerSideApply": "PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY",
    "skipUpdateUnreachable": "PULUMI_K8S_SKIP_UPDATE_UNREACHABLE",
    "suppressDeprecationWarnings": "PULUMI_K8S_SUPPRESS_DEPRECATION_WARNINGS",
    "suppressHelmHookWarnings": "PULUMI_K8S_SUPPRESS_HELM_HOOK_WARNINGS",
}
_AUTHENTICATION_MODES = ("CONFIG_MAP", "API_AND_CONFIG_MAP", "API")


class NotModelled(Exception):
    """The inputs ask for something this model does not cover: the cluster stays unexpanded."""


class ConstructError(Exception):
    """What the real provider would refuse (its construct fails, so the preview fails), with its message."""


# ------------------------------------------------------------------------------------------------ values


@dataclass(frozen=True)
class Ref:
    """A resource passed as a value: serialized as a resource reference, and a dependency of what holds it."""

    urn: str
    id: str

    def wire(self) -> dict[str, str]:
        return {_SIG: _RESOURCE_SIG, "urn": self.urn, "id": self.id}


@dataclass(frozen=True)
class Val:
    """A known value and the resources it depends on: what a Node.js `Output` carries."""

    value: Any
    deps: frozenset[str] = frozenset()


def _resolve(value: Any) -> tuple[Any, set[str]]:
    """A value as the Node.js SDK serializes it (undefined dropped, references as such) and its dependencies."""
    if isinstance(value, Val):
        inner, deps = _resolve(value.value)
        return inner, deps | value.deps
    if isinstance(value, Ref):
        return value.wire(), {value.urn}
    if isinstance(value, Mapping):
        out, deps = {}, set()
        for k, v in value.items():
            if v is None or (isinstance(v, Val) and v.value is None):
                continue
            out[k], d = _resolve(v)
            deps |= d
        return out, deps
    if isinstance(value, list | tuple):
        items = [_resolve(v) for v in value]
        return [i for i, _ in items], set().union(*(d for _, d in items)) if items else set()
    return value, set()


def _deps(*values: Any) -> frozenset[str]:
    out: set[str] = set()
    for v in values:
        out |= _resolve(v)[1]
    return frozenset(out)


def _value(v: Any) -> Any:
    return _resolve(v)[0] if v is not None else None


def _truthy(v: Any) -> bool:
    """JavaScript truthiness ([] and {} are true)."""
    v = v.value if isinstance(v, Val) else v
    if isinstance(v, list | tuple | Mapping):
        return True
    return bool(v)


def _js_keys(obj: Mapping[str, Any]) -> list[str]:
    """Object.keys order of an object deserialized from a protobuf Struct: integer-like keys ascending first, then
    the rest in the Struct's (sorted) order."""
    ints = sorted((k for k in obj if k.isdigit() and (k == "0" or not k.startswith("0"))), key=int)
    return ints + sorted(k for k in obj if k not in ints)


def _sha1_8(s: str) -> str:
    """servicerole.ts sha1hash: the first 8 hex digits of SHA-1 (a name suffix, not a security use)."""
    return hashlib.sha1(s.encode(), usedforsecurity=False).hexdigest()[:8]


# ------------------------------------------------------------------------------------------------ protocol


@dataclass
class Registration:
    """One RegisterResource request the provider sends, as the engine receives it."""

    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    property_dependencies: dict[str, list[str]]
    dependencies: list[str]
    provider: str | None  # a provider reference "<urn>::<id>" (custom resources only)
    providers: dict[str, str]
    protect: bool
    ignore_changes: list[str] = field(default_factory=list)


@dataclass
class Registered:
    urn: str
    id: str
    outputs: dict[str, Any]


class Host(Protocol):
    """The engine side: registers a child (transforms, recording, mocked outputs) and answers invokes."""

    env: Mapping[str, str]

    def register(self, reg: Registration) -> Registered: ...

    def invoke(self, token: str, args: dict[str, Any], provider: str | None) -> dict[str, Any]: ...

    def config(self, key: str) -> str | None: ...


@dataclass
class ConstructRequest:
    """The remote component as the Python SDK registers it (the engine forwards this to the provider's Construct)."""

    name: str
    parent: str
    inputs: dict[str, Any]  # wire values (secret and unknown values rejected by `plain_inputs`)
    input_dependencies: dict[str, list[str]]
    dependencies: list[str]
    protect: bool
    providers: dict[str, str]


@dataclass
class ConstructResult:
    urn: str
    state: dict[str, Any]  # wire values (resource references as such)
    state_dependencies: dict[str, list[str]]
    children: int  # resources registered under the component (components included)


def plain_inputs(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The request's inputs as values the model can read; a secret or unknown input is not modelled."""

    def walk(v: Any, key: str) -> Any:
        if isinstance(v, Mapping):
            sig = v.get(_SIG)
            if sig == _SECRET_SIG or (sig == _OUTPUT_SIG and v.get("secret")):
                raise NotModelled(f"input {key} is secret")
            if sig == _OUTPUT_SIG:
                if "value" not in v:
                    raise NotModelled(f"input {key} is unknown")
                return walk(v["value"], key)
            if sig is not None:
                raise NotModelled(f"input {key} holds a resource reference or asset")
            return {k: walk(x, key) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x, key) for x in v]
        if v == UNKNOWN:
            raise NotModelled(f"input {key} is unknown")
        return v

    return {k: walk(v, k) for k, v in raw.items()}


# ------------------------------------------------------------------------------------------------ the model


@dataclass
class _Res:
    """A registered child: its reference and outputs as Outputs depending on it."""

    urn: str
    id: str
    outputs: dict[str, Any]

    @property
    def ref(self) -> Ref:
        return Ref(self.urn, self.id)

    def out(self, key: str) -> Val:
        return Val(self.outputs.get(key), frozenset({self.urn}))

    @property
    def id_out(self) -> Val:
        return Val(self.id, frozenset({self.urn}))


def check_inputs(inputs: Mapping[str, Any]) -> None:
    """The provider's own validation (authenticationMode.ts validateAuthenticationMode, createCore), then the model's
    scope. Raises ConstructError or NotModelled."""
    a = {k: v for k, v in inputs.items() if v is not None}
    mode = a.get("authenticationMode")
    if mode and mode not in _AUTHENTICATION_MODES:
        raise ConstructError(
            f"Invalid value for authenticationMode: {mode}. Allowed values are: CONFIG_MAP, API_AND_CONFIG_MAP, API."
        )
    if mode not in (None, "CONFIG_MAP", "API_AND_CONFIG_MAP"):
        for prop in ("roleMappings", "userMappings", "instanceRoles"):
            if prop in a and len(a[prop]) != 0:
                raise ConstructError(
                    f"The '{prop}' property does not support non-empty values when 'authenticationMode' is set to "
                    f"'{mode}'."
                )
    if mode not in ("API", "API_AND_CONFIG_MAP") and _truthy(a.get("accessEntries")):
        where = f"set to '{mode}'" if mode is not None else "not set"
        raise ConstructError(f"The 'accessEntries' property is not supported when 'authenticationMode' is {where}.")
    if _truthy(a.get("instanceRole")) and _truthy(a.get("instanceRoles")):
        raise ConstructError("instanceRole and instanceRoles are mutually exclusive, and cannot both be set.")
    if _truthy(a.get("subnetIds")) and (_truthy(a.get("publicSubnetIds")) or _truthy(a.get("privateSubnetIds"))):
        raise ConstructError(
            "subnetIds, and the use of publicSubnetIds and/or privateSubnetIds are mutually exclusive. Choose a "
            "single approach."
        )
    singular = (
        "nodeSubnetIds", "nodeAssociatePublicIpAddress", "instanceType", "instanceProfileName", "nodePublicKey",
        "nodeRootVolumeSize", "nodeUserData", "minSize", "maxSize", "desiredCapacity", "nodeAmiId", "gpu",
    )  # fmt: skip
    if _truthy(a.get("nodeGroupOptions")) and any(_truthy(a.get(k)) for k in singular):
        raise ConstructError(
            "Setting nodeGroupOptions, and any set of singular node group option(s) on the cluster, is mutually "
            "exclusive. Choose a single approach."
        )

    # The model's scope.
    unknown = sorted(k for k in a if k not in MODELLED_INPUTS)
    if unknown:
        raise NotModelled(f"input {unknown[0]} is not modelled")
    if not _truthy(a.get("vpcId")):
        raise NotModelled("input vpcId is not set (the default VPC lookup is not modelled)")
    if mode != "API":
        raise NotModelled(f"input authenticationMode {mode or 'unset (CONFIG_MAP)'} is not modelled (aws-auth)")
    if not _truthy(a.get("skipDefaultNodeGroup")):
        raise NotModelled("input skipDefaultNodeGroup is not true (the default node group is not modelled)")
    if _truthy(a.get("createInstanceRole")):
        raise NotModelled("input createInstanceRole is not modelled")
    if _truthy(a.get("skipDefaultSecurityGroups")):
        raise NotModelled("input skipDefaultSecurityGroups is not modelled")
    if a.get("useDefaultVpcCni") is not True:
        raise NotModelled("input useDefaultVpcCni is not true (the VPC CNI add-on is not modelled)")
    if (a.get("kubeProxyAddonOptions") or {}).get("enabled") is not False:
        raise NotModelled("input kubeProxyAddonOptions.enabled is not false (the kube-proxy add-on is not modelled)")
    coredns = a.get("corednsAddonOptions") or {}
    if coredns.get("enabled") is True or _truthy(coredns.get("configurationValues")):
        raise NotModelled("input corednsAddonOptions enables the CoreDNS add-on, which is not modelled")
    extra = sorted(set(a.get("providerCredentialOpts") or {}) - {"roleArn", "profileName"})
    if extra:
        raise NotModelled(f"input providerCredentialOpts.{extra[0]} is not modelled")


def construct(req: ConstructRequest, host: Host) -> ConstructResult:
    """Register what pulumi-eks's Cluster registers for `req` through `host`; return the construct state."""
    check_inputs(req.inputs)
    return _Cluster(req, host).run()


class _Cluster:
    def __init__(self, req: ConstructRequest, host: Host):
        self.req = req
        self.host = host
        self.name = req.name
        self.aws = req.providers.get("aws")
        self.count = 0
        self.args: dict[str, Val] = {
            k: Val(v, frozenset(req.input_dependencies.get(k, ()))) for k, v in req.inputs.items() if v is not None
        }

    def arg(self, key: str) -> Val | None:
        return self.args.get(key)

    def raw(self, key: str, default: Any = None) -> Any:
        v = self.args.get(key)
        return default if v is None else v.value

    # -------------------------------------------------------------------------------------- registration

    def register(
        self,
        type_: str,
        name: str,
        props: Mapping[str, Any],
        *,
        parent: str,
        custom: bool = True,
        depends_on: tuple[Any, ...] = (),
        ignore_changes: tuple[str, ...] = (),
        aws_provider: bool = True,
    ) -> _Res:
        inputs: dict[str, Any] = {}
        prop_deps: dict[str, list[str]] = {}
        for key, value in props.items():
            if value is None or (isinstance(value, Val) and value.value is None):
                continue
            inputs[key], deps = _resolve(value)
            if deps:
                prop_deps[key] = sorted(deps)
        explicit = set(_deps(*depends_on)) | {d.urn for d in depends_on if isinstance(d, _Res)}
        dependencies = sorted(explicit.union(*map(set, prop_deps.values())))
        reg = Registration(
            type=type_,
            name=name,
            parent=parent,
            custom=custom,
            inputs=inputs,
            property_dependencies=prop_deps,
            dependencies=dependencies,
            provider=self.aws if custom and aws_provider else None,
            providers={},
            protect=self.req.protect,
            ignore_changes=list(ignore_changes),
        )
        done = self.host.register(reg)
        self.count += 1
        return _Res(done.urn, done.id, done.outputs)

    # -------------------------------------------------------------------------------------- createCluster

    def run(self) -> ConstructResult:
        component = self.host.register(
            Registration(
                type=COMPONENT_TYPE,
                name=self.name,
                parent=self.req.parent,
                custom=False,
                inputs={},
                property_dependencies={},
                dependencies=sorted(set(self.req.dependencies)),
                provider=None,
                providers=dict(self.req.providers),
                protect=self.req.protect,
            )
        )
        self.self_urn = component.urn
        name = self.name

        # createCluster: kubeconfig credentials default to AWS_PROFILE, then the aws:profile config.
        creds = self.arg("providerCredentialOpts")
        if creds is None and self.host.env.get("AWS_PROFILE"):
            creds = Val({"profileName": self.host.env["AWS_PROFILE"]})
        if creds is None and self.host.config("aws:profile"):
            creds = Val({"profileName": self.host.config("aws:profile")})

        # createCore
        partition = self.host.invoke("aws:index/getPartition:getPartition", {}, self.aws)
        part = partition.get("partition")
        public, private, subnet_ids = self.arg("publicSubnetIds"), self.arg("privateSubnetIds"), self.arg("subnetIds")
        if subnet_ids is not None:
            cluster_subnets = subnet_ids
        elif public is not None or private is not None:
            cluster_subnets = Val([*_value(public or Val([])), *_value(private or Val([]))], _deps(public, private))
        else:
            cluster_subnets = Val([])

        role_component = self.register(
            SERVICE_ROLE_TYPE, f"{name}-eksRole", {}, parent=self.self_urn, custom=False, aws_provider=False
        )
        role = self.register(
            "aws:iam/role:Role",
            f"{name}-eksRole-role",
            {
                "description": "Allows EKS to manage clusters on your behalf.",
                "assumeRolePolicy": json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Action": ["sts:AssumeRole", "sts:TagSession"],
                                "Effect": "Allow",
                                "Principal": {"Service": ["eks.amazonaws.com"]},
                            }
                        ],
                    },
                    separators=(",", ":"),
                ),
                "tags": self.arg("tags"),
            },
            parent=role_component.urn,
        )
        policy_id = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
        attachment = self.register(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            f"{name}-eksRole-{_sha1_8(policy_id)}",
            {"policyArn": f"arn:{part}:iam::aws:policy/AmazonEKSClusterPolicy", "role": Val(role.ref)},
            parent=role_component.urn,
        )

        cluster_sg = self.register(
            "aws:ec2/securityGroup:SecurityGroup",
            f"{name}-eksClusterSecurityGroup",
            {
                "description": "Managed by Pulumi",  # @pulumi/aws SecurityGroup's default
                "vpcId": self.arg("vpcId"),
                "revokeRulesOnDelete": True,
                "tags": self._tags(
                    {"Name": f"{name}-eksClusterSecurityGroup"}, self.arg("clusterSecurityGroupTags"), self.arg("tags")
                ),
            },
            parent=self.self_urn,
        )
        self.register(
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            f"{name}-eksClusterInternetEgressRule",
            {
                "description": "Allow internet access.",
                "type": "egress",
                "fromPort": 0,
                "toPort": 0,
                "protocol": "-1",
                "cidrBlocks": ["0.0.0.0/0"],
                "securityGroupId": cluster_sg.id_out,
            },
            parent=self.self_urn,
        )

        encryption = None
        if _truthy(self.arg("encryptionConfigKeyArn")):
            key = self.arg("encryptionConfigKeyArn")
            encryption = Val({"provider": {"keyArn": key.value}, "resources": ["secrets"]}, key.deps)

        network = None
        cidr, family = self.arg("kubernetesServiceIpAddressRange"), self.arg("ipFamily")
        if _truthy(cidr) or _truthy(family):
            fam = "ipv4" if family is None else family.value  # a default parameter: only when undefined
            network = Val(
                {"serviceIpv4Cidr": _value(cidr) if fam == "ipv4" else None, "ipFamily": fam}, _deps(cidr, family)
            )

        cidrs = self.arg("publicAccessCidrs")
        if cidrs is not None:
            public_access = self.raw("endpointPublicAccess", True)
            if not public_access and _truthy(cidrs):
                raise ConstructError("`publicAccessCidrs` can only be set when `endpointPublicAccess` is true")
        auth = self.arg("authenticationMode")
        cluster = self.register(
            "aws:eks/cluster:Cluster",
            f"{name}-eksCluster",
            {
                "name": self.arg("name"),
                "roleArn": role.out("arn"),
                "kubernetesNetworkConfig": network,
                "bootstrapSelfManagedAddons": self.arg("bootstrapSelfManagedAddons") or Val(True),  # `?? true`
                "vpcConfig": {
                    "securityGroupIds": [cluster_sg.id_out],
                    "subnetIds": cluster_subnets,
                    "endpointPrivateAccess": self.arg("endpointPrivateAccess"),
                    "endpointPublicAccess": self.arg("endpointPublicAccess"),
                    "publicAccessCidrs": cidrs,
                },
                "version": self.arg("version"),
                "enabledClusterLogTypes": self.arg("enabledClusterLogTypes"),
                "tags": self._tags({"Name": f"{name}-eksCluster"}, self.arg("clusterTags"), self.arg("tags")),
                "encryptionConfig": encryption,
                "accessConfig": (
                    Val({"authenticationMode": auth.value, "bootstrapClusterCreatorAdminPermissions": True}, auth.deps)
                    if auth is not None and _truthy(auth)
                    else None
                ),
                "upgradePolicy": self.arg("upgradePolicy"),
                "deletionProtection": self.arg("deletionProtection"),
            },
            parent=self.self_urn,
            # resolvedRole: the role, once every managed policy is attached.
            depends_on=(role, attachment),
            ignore_changes=("accessConfig.bootstrapClusterCreatorAdminPermissions", "bootstrapSelfManagedAddons"),
        )
        cluster_name = cluster.out("name")
        endpoint = cluster.out("endpoint")
        ca = cluster.out("certificateAuthority")
        region = Val(_region_from_arn(cluster.outputs.get("arn")), frozenset({cluster.urn}))

        def kubeconfig(include_profile: bool) -> Val:
            opts = _value(creds) or {}
            doc = generate_kubeconfig(
                cluster_name.value, endpoint.value, region.value, include_profile, (ca.value or {}).get("data"), opts
            )
            return Val(doc, _deps(cluster_name, endpoint, ca, creds, region))

        with_profile, without_profile = kubeconfig(True), kubeconfig(False)

        k8s_inputs: dict[str, Any] = {
            "kubeconfig": Val(_js_json(with_profile.value), with_profile.deps),
        }
        for key, env in _K8S_ENV_BOOLEANS.items():
            given = self.raw(key) if key == "enableConfigMapMutable" else None
            value = given if given is not None else _env_boolean(self.host.env, env)
            if value is not None:
                k8s_inputs[key] = json.dumps(value)
        k8s = self.register(
            K8S_PROVIDER_TYPE, f"{name}-eks-k8s", dict(sorted(k8s_inputs.items())), parent=self.self_urn,
            aws_provider=False,
        )  # fmt: skip

        # API authentication: the access entries and their policy associations (no instance role: no node entry).
        entries = self.raw("accessEntries") or {}
        for key in _js_keys(entries):
            entry = entries[key]
            if not isinstance(entry, Mapping):
                continue
            e = self.register(
                "aws:eks/accessEntry:AccessEntry",
                f"{name}-{key}",
                {
                    "clusterName": cluster_name,
                    "kubernetesGroups": entry.get("kubernetesGroups"),
                    "principalArn": entry.get("principalArn"),
                    "tags": entry.get("tags"),
                    "type": entry.get("type"),
                    "userName": entry.get("username"),
                },
                parent=self.self_urn,
                depends_on=(cluster,),
            )
            policies = entry.get("accessPolicies") or {}
            for assoc in _js_keys(policies):
                p = policies[assoc] or {}
                self.register(
                    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
                    f"{name}-{key}-{assoc}",
                    {
                        "accessScope": p.get("accessScope"),
                        "principalArn": entry.get("principalArn"),
                        "policyArn": p.get("policyArn"),
                        "clusterName": cluster_name,
                    },
                    parent=e.urn,
                    depends_on=(e,),
                )

        oidc = None
        if _truthy(self.arg("createOidcProvider")):
            # The thumbprint is fetched from https://oidc.eks.<getRegion().name>.<dnsSuffix>; the invoke still runs.
            self.host.invoke("aws:index/getRegion:getRegion", {}, self.aws)
            identities = cluster.outputs.get("identities") or []
            issuer = identities[0]["oidcs"][0]["issuer"] if identities and identities[0].get("oidcs") else None
            oidc = self.register(
                "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
                f"{name}-oidcProvider",
                {
                    "clientIdLists": ["sts.amazonaws.com"],
                    "url": Val(issuer, frozenset({cluster.urn})),
                    # Fetched over TLS from https://oidc.eks.<region>.<dnsSuffix> at preview time: unknown offline.
                    "thumbprintLists": [UNKNOWN],
                },
                parent=self.self_urn,
            )

        # createNodeGroupSecurityGroup
        node_tags = Val(
            {**(self.raw("nodeSecurityGroupTags") or {}), **(self.raw("tags") or {})},
            _deps(self.arg("nodeSecurityGroupTags"), self.arg("tags")),
        )
        node_sg = self.register(
            "aws:ec2/securityGroup:SecurityGroup",
            f"{name}-nodeSecurityGroup",
            {
                "description": "Managed by Pulumi",
                "vpcId": self.arg("vpcId"),
                "revokeRulesOnDelete": True,
                "tags": Val(
                    {
                        "Name": f"{name}-nodeSecurityGroup",
                        f"kubernetes.io/cluster/{cluster_name.value}": "owned",
                        **node_tags.value,
                    },
                    node_tags.deps | cluster_name.deps,
                ),
            },
            parent=self.self_urn,
        )
        rule = "aws:ec2/securityGroupRule:SecurityGroupRule"
        for rule_name, props in (
            ("eksNodeIngressRule", {"description": "Allow nodes to communicate with each other", "type": "ingress",
                                    "fromPort": 0, "toPort": 0, "protocol": "-1", "securityGroupId": node_sg.id_out,
                                    "self": True}),
            ("eksNodeClusterIngressRule", {
                "description": "Allow worker Kubelets and pods to receive communication from the cluster control plane",
                "type": "ingress", "fromPort": 1025, "toPort": 65535, "protocol": "tcp",
                "securityGroupId": node_sg.id_out, "sourceSecurityGroupId": cluster_sg.id_out}),
            ("eksExtApiServerClusterIngressRule", {
                "description": "Allow pods running extension API servers on port 443 to receive communication from "
                               "cluster control plane",
                "type": "ingress", "fromPort": 443, "toPort": 443, "protocol": "tcp",
                "securityGroupId": node_sg.id_out, "sourceSecurityGroupId": cluster_sg.id_out}),
            ("eksNodeInternetEgressRule", {"description": "Allow internet access.", "type": "egress", "fromPort": 0,
                                           "toPort": 0, "protocol": "-1", "cidrBlocks": ["0.0.0.0/0"],
                                           "securityGroupId": node_sg.id_out}),
        ):  # fmt: skip
            self.register(rule, f"{name}-{rule_name}", props, parent=self.self_urn)
        ingress = self.register(
            rule,
            f"{name}-eksClusterIngressRule",
            {
                "description": "Allow pods to communicate with the cluster API Server",
                "type": "ingress",
                "fromPort": 443,
                "toPort": 443,
                "protocol": "tcp",
                "securityGroupId": cluster_sg.id_out,
                "sourceSecurityGroupId": node_sg.id_out,
            },
            parent=self.self_urn,
        )

        # The construct state (cmd/provider/cluster.ts), from the children's outputs.
        issuer_url = Val(
            _first_issuer(cluster.outputs.get("identities")) or "", frozenset({cluster.urn})
        )  # createCluster's oidcIssuerUrl
        kubeconfig_json = Val(_js_json(without_profile.value), without_profile.deps)
        node_group_options = {
            "nodeAssociatePublicIpAddress": self.arg("nodeAssociatePublicIpAddress"),
            "version": self.arg("version"),
            "nodeSecurityGroup": node_sg.ref,
            "clusterIngressRule": ingress.ref,
        }
        core = {
            "vpcId": self.arg("vpcId"),
            "subnetIds": subnet_ids if subnet_ids is not None else cluster_subnets,
            "publicSubnetIds": public,
            "privateSubnetIds": private,
            "clusterSecurityGroup": cluster_sg.ref,
            "cluster": cluster.ref,
            "endpoint": endpoint,
            "nodeGroupOptions": node_group_options,
            "kubeconfig": without_profile,
            "provider": k8s.ref,
            "instanceRoles": [],
            "tags": self.arg("tags"),
            "nodeSecurityGroupTags": self.arg("nodeSecurityGroupTags"),
            "storageClasses": {},
            "oidcProvider": oidc.ref if oidc else None,
            "encryptionConfig": encryption,
            "clusterIamRole": role.ref,
            "accessEntries": [entries[k] for k in _js_keys(entries)],
            "autoModeNodeRoleName": "",
        }
        state_values = {
            "kubeconfig": without_profile,
            "kubeconfigJson": kubeconfig_json,
            "clusterSecurityGroup": cluster_sg.ref,
            "instanceRoles": [],
            "nodeSecurityGroup": node_sg.ref,
            "eksClusterIngressRule": ingress.ref,
            "eksCluster": cluster.ref,
            "core": core,
            "clusterSecurityGroupId": cluster_sg.id_out,
            "nodeSecurityGroupId": node_sg.id_out,
            "clusterIngressRuleId": ingress.out("securityGroupRuleId"),
            "defaultNodeGroupAsgName": "",
            "fargateProfileId": "",
            "fargateProfileStatus": "",
            "oidcProviderArn": oidc.out("arn") if oidc else "",
            "oidcProviderUrl": issuer_url,
            "oidcIssuer": Val(str(issuer_url.value).replace("https://", "", 1), issuer_url.deps),
            "autoModeNodeRoleName": "",
        }
        state: dict[str, Any] = {}
        state_deps: dict[str, list[str]] = {}
        for key, value in state_values.items():
            if value is None or (isinstance(value, Val) and value.value is None):
                continue
            state[key], deps = _resolve(value)
            state_deps[key] = sorted(deps)
        return ConstructResult(component.urn, state, state_deps, self.count)

    @staticmethod
    def _tags(base: dict[str, str], *more: Val | None) -> Val:
        merged = dict(base)
        for m in more:
            merged.update(_value(m) or {})
        return Val(merged, _deps(*more))


def generate_kubeconfig(
    cluster_name: str,
    endpoint: str,
    region: str,
    include_profile: bool,
    cert_data: str | None,
    opts: Mapping[str, Any],
) -> dict[str, Any]:
    """cluster.ts generateKubeconfig: `aws eks get-token` with `--role` (roleArn) and, for the provider's own copy,
    `--profile` (profileName). Key order as the TypeScript object literal (JSON.stringify keeps it)."""
    args = ["--region", region, "eks", "get-token", "--cluster-name", cluster_name, "--output", "json"]
    if opts.get("roleArn"):
        args += ["--role", opts["roleArn"]]
    if include_profile and opts.get("profileName"):
        args += ["--profile", opts["profileName"]]
    cluster = {"server": endpoint}
    if cert_data is not None:
        cluster["certificate-authority-data"] = cert_data
    return {
        "apiVersion": "v1",
        "clusters": [{"cluster": cluster, "name": "kubernetes"}],
        "contexts": [{"context": {"cluster": "kubernetes", "user": "aws"}, "name": "aws"}],
        "current-context": "aws",
        "kind": "Config",
        "users": [
            {
                "name": "aws",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": args,
                        "env": [
                            {
                                "name": "KUBERNETES_EXEC_INFO",
                                "value": '{"apiVersion": "client.authentication.k8s.io/v1beta1"}',
                            }
                        ],
                    }
                },
            }
        ],
    }


def _js_json(value: Any) -> str:
    """JSON.stringify: no whitespace, non-ASCII kept, insertion order."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _env_boolean(env: Mapping[str, str], name: str) -> bool | None:
    """@pulumi/kubernetes utilities.getEnvBoolean (Go's strconv.ParseBool spellings; empty means unset)."""
    s = env.get(name) or None
    if s in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if s in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    return None


def _region_from_arn(arn: Any) -> str:
    """utilities.ts getRegionFromArn."""
    parts = str(arn).split(":")
    if len(parts) < 4 or parts[0] != "arn":
        raise ConstructError(f"Invalid ARN: '{arn}'")
    return parts[3]


def _first_issuer(identities: Any) -> str | None:
    if identities and isinstance(identities, list) and identities[0].get("oidcs"):
        return identities[0]["oidcs"][0].get("issuer")
    return None
