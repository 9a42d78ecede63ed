"""Health gates of a fleet rollout: after a spoke's update, the hub's Argo CD applications for that spoke must be
Healthy and Synced before the next wave starts (docs/fleets.md, "Rollout in waves").

What is checked: the `Application` objects in the hub's `argocd` namespace labelled `environment=<spoke>` (the
labels platform/'s ApplicationSets put on every Application they generate), read from the hub's Kubernetes API
as the caller (an EKS token, as `aws eks get-token` makes it). The gate passes when there is at least one and every
one reports `status.health.status: Healthy` and `status.sync.status: Synced`; it waits (polling) up to its timeout,
then fails naming the applications that are not. It is *skipped*, with the reason, where it cannot look: the hub's
API is not reachable from where platformctl runs (a private endpoint outside the VPC), the caller has no access to
it, or the hub has no kubeconfig output yet.

Not verified here (no cluster): the EKS token is built the documented way (a presigned STS GetCallerIdentity URL
with the `x-k8s-aws-id` header, prefixed `k8s-aws-v1.`; aws-iam-authenticator's format); its unit test checks the
shape, not that an EKS API server accepts it.
"""

from __future__ import annotations

import base64
import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

ARGOCD_NAMESPACE = "argocd"
TOKEN_PREFIX = "k8s-aws-v1."
TOKEN_EXPIRES = 60  # seconds: aws-iam-authenticator's presign lifetime


@dataclass(frozen=True)
class GateResult:
    stack: str
    status: str  # passed | failed | skipped
    detail: str

    def line(self) -> str:
        return f"health gate {self.stack}: {self.status} ({self.detail})"


class Unreachable(Exception):
    """The hub's API cannot be asked from here (network, TLS, authorization): the gate is skipped."""


# ------------------------------------------------------------------------------------------------ EKS token


def eks_token(cluster_name: str, region: str, session: Any = None) -> str:
    """A bearer token for an EKS cluster's API, for the caller's AWS credentials (what `aws eks get-token` prints)."""
    import botocore.session
    from botocore.signers import RequestSigner

    from components import aws_partitions

    known = aws_partitions.region(region)
    suffix = known.dns_suffix if known is not None else "amazonaws.com"  # a Region newer than botocore's data
    session = session or botocore.session.get_session()
    client = session.create_client("sts", region_name=region)
    signer = RequestSigner(
        client.meta.service_model.service_id,
        region,
        "sts",
        "v4",
        session.get_credentials(),
        session.get_component("event_emitter"),
    )
    url = signer.generate_presigned_url(
        {
            "method": "GET",
            "url": f"https://sts.{region}.{suffix}/?Action=GetCallerIdentity&Version=2011-06-15",
            "body": {},
            "headers": {"x-k8s-aws-id": cluster_name},
            "context": {},
        },
        region_name=region,
        expires_in=TOKEN_EXPIRES,
        operation_name="",
    )
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


# ------------------------------------------------------------------------------------------------ the API


@dataclass(frozen=True)
class HubApi:
    server: str  # https://<endpoint>
    ca_data: str  # base64 PEM bundle
    token: str


def hub_api(outputs: Mapping[str, Any], region: str, token: Callable[[str, str], str] | None = None) -> HubApi:
    """The hub's API from its stack outputs (`kubeconfig`, `clusterName`); Unreachable when it has none yet.
    `token`: how to make the bearer token (default: `eks_token`, looked up when called)."""
    kubeconfig = outputs.get("kubeconfig")
    cluster = outputs.get("clusterName")
    if not kubeconfig or not cluster:
        raise Unreachable("the hub has no kubeconfig/clusterName output yet")
    doc = json.loads(kubeconfig) if isinstance(kubeconfig, str) else kubeconfig
    entry = doc["clusters"][0]["cluster"]
    try:
        bearer = (token or eks_token)(str(cluster), region)
    except Exception as exc:  # no credentials, no STS endpoint
        raise Unreachable(f"cannot make an EKS token: {exc}") from None
    return HubApi(server=entry["server"], ca_data=entry.get("certificate-authority-data", ""), token=bearer)


def fetch_applications(api: HubApi, environment: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The Argo CD Applications of one environment, from the hub's Kubernetes API."""
    selector = urllib.parse.quote(f"environment={environment}")
    url = f"{api.server}/apis/argoproj.io/v1alpha1/namespaces/{ARGOCD_NAMESPACE}/applications?labelSelector={selector}"
    context = None
    if url.startswith("https://"):
        context = ssl.create_default_context(cadata=base64.b64decode(api.ca_data).decode() if api.ca_data else None)
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {api.token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return list(json.loads(response.read()).get("items") or [])
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise Unreachable(f"the hub's API refused the caller ({exc.code}): no access entry for it?") from None
        raise Unreachable(f"the hub's API answered {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise Unreachable(f"the hub's API is not reachable from here: {getattr(exc, 'reason', exc)}") from None


def not_ready(applications: list[dict[str, Any]]) -> list[str]:
    """`name (health/sync)` of every application that is not Healthy and Synced."""
    out = []
    for app in applications:
        status = app.get("status") or {}
        health = (status.get("health") or {}).get("status", "Unknown")
        sync = (status.get("sync") or {}).get("status", "Unknown")
        if (health, sync) != ("Healthy", "Synced"):
            out.append(f"{(app.get('metadata') or {}).get('name', '?')} ({health}/{sync})")
    return sorted(out)


def wait_healthy(
    stack: str,
    environment: str,
    api: HubApi,
    *,
    timeout: float,
    interval: float = 15.0,
    fetch: Callable[[HubApi, str], list[dict[str, Any]]] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> GateResult:
    """Poll until every application of `environment` is Healthy and Synced, or `timeout` seconds have passed.
    `fetch`: how to read them (default: `fetch_applications`, looked up when called)."""
    fetch = fetch or fetch_applications
    deadline = clock() + timeout
    while True:
        try:
            apps = fetch(api, environment)
        except Unreachable as exc:
            return GateResult(stack, "skipped", str(exc))
        waiting = not_ready(apps) if apps else [f"no Argo CD application for environment {environment} yet"]
        if not waiting:
            return GateResult(stack, "passed", f"{len(apps)} application(s) Healthy and Synced")
        if clock() >= deadline:
            return GateResult(stack, "failed", f"after {timeout:g}s: {', '.join(waiting)}")
        sleep(min(interval, max(0.0, deadline - clock())))
