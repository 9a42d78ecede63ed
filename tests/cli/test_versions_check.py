"""`platformctl versions check`: every source (EKS, RDS, SSM through botocore's Stubber; chart repositories, OCI
registries and image registries served on 127.0.0.1) with a found, a missing and an incompatible pin, and the
command's exit codes (2 with one line when it cannot check)."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from pathlib import Path
from urllib.parse import urlparse

import boto3
import pytest
import yaml
from botocore.stub import ANY, Stubber
from typer.testing import CliRunner

from components import versions
from platformctl import versions_check as vc
from platformctl.cli import app

ROOT = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------------------------------------- a local registry


class Content:
    """What the local server publishes: chart repository indexes, OCI tags, and which registries want a token."""

    def __init__(self) -> None:
        self.indexes: dict[str, dict] = {}  # "host/path" of a repo -> index.yaml document
        self.tags: dict[str, list[str]] = {}  # "host/repository" -> tags
        self.token_hosts: set[str] = set()


def serve(content: Content):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _send(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            url = urlparse(self.path)
            host, _, rest = url.path.lstrip("/").partition("/")
            if host == "token":
                return self._send(200, json.dumps({"token": "anonymous"}).encode())
            if "/v2/" in f"/{rest}":
                if host in content.token_hosts and self.headers.get("Authorization") != "Bearer anonymous":
                    realm = f"http://127.0.0.1:{self.server.server_port}/token"
                    challenge = f'Bearer realm="{realm}",service="{host}",scope="repository:x:pull"'
                    return self._send(401, b"{}", {"WWW-Authenticate": challenge})
                repo_path = rest.removeprefix("v2/")
                if "/tags/list" in repo_path:
                    repo = repo_path.split("/tags/list")[0]
                    tags = content.tags.get(f"{host}/{repo}")
                    if tags is None:
                        return self._send(404, b"{}")
                    return self._send(200, json.dumps({"name": repo, "tags": tags}).encode())
                repo, _, tag = repo_path.rpartition("/manifests/")
                if tag in content.tags.get(f"{host}/{repo}", []):
                    digest = "sha256:" + hashlib.sha256(f"{repo}:{tag}".encode()).hexdigest()
                    return self._send(200, b"{}", {"Docker-Content-Digest": digest})
                return self._send(404, b"{}")
            repo = url.path.lstrip("/").removesuffix("/index.yaml").rstrip("/")
            if url.path.endswith("/index.yaml") and repo in content.indexes:
                return self._send(200, yaml.safe_dump(content.indexes[repo]).encode())
            return self._send(404)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def registry_server():
    content = Content()
    server = serve(content)
    port = server.server_port

    def local(url: str) -> str:
        return url.replace("https://", f"http://127.0.0.1:{port}/", 1)

    def get(url, headers, method="GET"):
        return vc.urllib_get(local(url), headers, method)

    registry = vc.Registry(get, base_url=lambda host: f"http://127.0.0.1:{port}/{host}")
    yield content, get, registry
    server.shutdown()


def publish_every_pin(content: Content, kubernetes: list[str]) -> None:
    """Every chart and image pin published (plus a newer version), OCI and Docker Hub behind a token."""
    for pin in versions.HELM_CHARTS.values():
        if pin["repo"].startswith("oci://"):
            host, _, path = pin["repo"].removeprefix("oci://").partition("/")
            content.tags[f"{host}/{path}/{pin['chart']}"] = [pin["version"], "99.0.0"]
            content.token_hosts.add(host)
            continue
        repo = pin["repo"].removeprefix("https://").rstrip("/")
        entries = content.indexes.setdefault(repo, {"apiVersion": "v1", "entries": {}})["entries"]
        published = pin.get("digest", "").removeprefix("sha256:") or "ab" * 32
        entries[pin["chart"]] = [
            {"version": pin["version"], "digest": published, "kubeVersion": ">=1.25.0-0"},
            {"version": "99.0.0", "digest": "cd" * 32},
        ]
    for k8s in kubernetes:
        tag = versions.CLUSTER_AUTOSCALER_IMAGE_TAGS[k8s]
        content.tags.setdefault("registry.k8s.io/autoscaling/cluster-autoscaler", []).append(tag)
    host, repo, tag = vc.split_image(versions.VELERO_AWS_PLUGIN_IMAGE)
    content.tags[f"{host}/{repo}"] = [tag, "v9.9.9"]
    content.token_hosts.add(host)


# ----------------------------------------------------------------------------------------------- AWS stubs


def aws(region="eu-west-1"):
    session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name=region)
    eks, rds, ssm = session.client("eks"), session.client("rds"), session.client("ssm")
    return (eks, Stubber(eks)), (rds, Stubber(rds)), (ssm, Stubber(ssm))


def addon_page(name: str, entries: list[tuple[str, list[str]]]) -> dict:
    return {
        "addons": [
            {
                "addonName": name,
                "addonVersions": [
                    {"addonVersion": v, "compatibilities": [{"clusterVersion": k} for k in ks]} for v, ks in entries
                ],
            }
        ]
    }


def stub_eks_all_found(stub: Stubber, k8s: str) -> None:
    for addon, pinned in sorted(versions.EKS_ADDON_VERSIONS[k8s].items()):
        stub.add_response(
            "describe_addon_versions",
            addon_page(addon, [(pinned, [k8s]), ("v99.0.0-eksbuild.1", [k8s])]),
            {"addonName": addon, "kubernetesVersion": k8s},
        )


def stub_rds_all_found(stub: Stubber) -> None:
    for engine, pins in (
        ("postgres", versions.POSTGRES_VERSIONS),
        ("aurora-postgresql", versions.AURORA_POSTGRES_VERSIONS),
    ):
        page = {"DBEngineVersions": [{"Engine": engine, "EngineVersion": v, "Status": "available"} for v in pins]}
        stub.add_response("describe_db_engine_versions", page, {"Engine": engine, "IncludeAll": True})


# ----------------------------------------------------------------------------------------------- EKS


def test_eks_addon_found_missing_and_incompatible():
    (eks, stub), _, _ = aws()
    target = vc.Target(kubernetes=("1.35",))
    pins = sorted(versions.EKS_ADDON_VERSIONS["1.35"].items())
    for i, (addon, pinned) in enumerate(pins):
        if i == 0:  # found, and a newer one exists
            stub.add_response(
                "describe_addon_versions",
                addon_page(addon, [("v99.1.0-eksbuild.2", ["1.35"]), (pinned, ["1.35"])]),
                {"addonName": addon, "kubernetesVersion": "1.35"},
            )
        elif i == 1:  # exists, but not for 1.35
            stub.add_response(
                "describe_addon_versions", addon_page(addon, []), {"addonName": addon, "kubernetesVersion": "1.35"}
            )
            stub.add_response("describe_addon_versions", addon_page(addon, [(pinned, ["1.30"])]), {"addonName": addon})
        else:  # does not exist at all (paginated)
            stub.add_response(
                "describe_addon_versions",
                {**addon_page(addon, [("v0.1.0-eksbuild.1", ["1.35"])]), "nextToken": "t"},
                {"addonName": addon, "kubernetesVersion": "1.35"},
            )
            stub.add_response(
                "describe_addon_versions",
                addon_page(addon, []),
                {"addonName": addon, "kubernetesVersion": "1.35", "nextToken": "t"},
            )
            stub.add_response("describe_addon_versions", addon_page(addon, []), {"addonName": addon})
    with stub:
        rows = vc.check_eks_addons(eks, target)
    stub.assert_no_pending_responses()
    found, incompatible, missing = rows[0], rows[1], rows[2]
    assert (found.exists, found.compatible, found.newest) == (True, True, "v99.1.0-eksbuild.2")
    assert (incompatible.exists, incompatible.compatible) == (True, False)
    assert "not offered for Kubernetes 1.35" in incompatible.note
    assert (missing.exists, missing.ok) == (False, False)


# ----------------------------------------------------------------------------------------------- RDS


def test_rds_found_missing_and_deprecated():
    _, (rds, stub), _ = aws()
    pg = [{"Engine": "postgres", "EngineVersion": v, "Status": "available"} for v in versions.POSTGRES_VERSIONS[1:]]
    pg[0]["Status"] = "deprecated"
    pg.append({"Engine": "postgres", "EngineVersion": "17.99", "Status": "available"})
    stub.add_response(
        "describe_db_engine_versions",
        {"DBEngineVersions": pg[:2], "Marker": "m"},
        {"Engine": "postgres", "IncludeAll": True},
    )
    stub.add_response(
        "describe_db_engine_versions",
        {"DBEngineVersions": pg[2:]},
        {"Engine": "postgres", "IncludeAll": True, "Marker": "m"},
    )
    aurora = [
        {"Engine": "aurora-postgresql", "EngineVersion": v, "Status": "available"}
        for v in versions.AURORA_POSTGRES_VERSIONS
    ]
    stub.add_response(
        "describe_db_engine_versions", {"DBEngineVersions": aurora}, {"Engine": "aurora-postgresql", "IncludeAll": True}
    )
    with stub:
        rows = {
            (r.name.split(" ")[0], r.pinned): r
            for r in vc.check_rds(rds, vc.Target(("1.35",), database=("postgres", "17.7")))
        }
    missing = rows[("postgres", versions.POSTGRES_VERSIONS[0])]
    assert (missing.exists, missing.ok) == (False, False)
    deprecated = rows[("postgres", versions.POSTGRES_VERSIONS[1])]
    assert (deprecated.exists, deprecated.compatible, deprecated.note) == (True, False, "status deprecated")
    mine = rows[("postgres", "17.7")]
    assert mine.ok and mine.newest == "17.99" and "(this stack)" in mine.name
    assert all(r.ok for (engine, _), r in rows.items() if engine == "aurora-postgresql")


# ----------------------------------------------------------------------------------------------- SSM (AMI alias)

AL2023 = "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/"


def test_ami_alias_found_and_missing():
    _, _, (ssm, stub) = aws()
    name = AL2023 + "amazon-eks-node-al2023-x86_64-standard-1.35-v20260818/image_id"
    listing = {
        "Parameters": [
            {"Name": AL2023 + "amazon-eks-node-al2023-x86_64-standard-1.35-v20260818/image_id", "Value": "ami-1"},
            {"Name": AL2023 + "amazon-eks-node-al2023-x86_64-standard-1.35-v20261102/image_id", "Value": "ami-2"},
            {"Name": AL2023 + "recommended/image_id", "Value": "ami-2"},
        ]
    }
    stub.add_response("get_parameter", {"Parameter": {"Name": name, "Value": "ami-1"}}, {"Name": name})
    stub.add_response("get_parameters_by_path", listing, {"Path": AL2023, "Recursive": True})
    missing = AL2023 + "amazon-eks-node-al2023-x86_64-standard-1.35-v20990101/image_id"
    stub.add_client_error("get_parameter", "ParameterNotFound", expected_params={"Name": missing})
    stub.add_response("get_parameters_by_path", listing, {"Path": AL2023, "Recursive": True})
    with stub:
        (found,) = vc.check_ami_alias(ssm, vc.Target(("1.35",), ami_alias="al2023@v20260818"))
        (absent,) = vc.check_ami_alias(ssm, vc.Target(("1.35",), ami_alias="al2023@v20990101"))
    assert (found.exists, found.ok, found.newest) == (True, True, "v20261102")
    assert (absent.exists, absent.ok) == (False, False) and "not published for Kubernetes 1.35" in absent.note


def test_ami_parameters_are_the_ones_karpenter_resolves():
    assert vc.ami_parameter("al2023", "1.35", "arm64", "latest") == (
        "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/arm64/standard/recommended/image_id"
    )
    assert vc.ami_parameter("bottlerocket", "1.35", "x86_64", "v1.42.0") == (
        "/aws/service/bottlerocket/aws-k8s-1.35/x86_64/1.42.0/image_id"
    )


# ----------------------------------------------------------------------------------------------- charts and images


def test_helm_chart_found_missing_and_incompatible(registry_server):
    content, get, registry = registry_server
    publish_every_pin(content, ["1.35"])
    repo = versions.HELM_CHARTS["metrics-server"]["repo"].removeprefix("https://").rstrip("/")
    content.indexes[repo]["entries"]["metrics-server"][0]["kubeVersion"] = "<1.30.0-0"  # incompatible
    dns = versions.HELM_CHARTS["external-dns"]
    content.indexes[dns["repo"].removeprefix("https://").rstrip("/")]["entries"]["external-dns"].pop(0)  # missing
    rows = {r.name: r for r in vc.check_helm_charts(registry, get, vc.Target(("1.35",)))}
    assert rows["argo-cd"].ok and rows["argo-cd"].newest == "99.0.0"
    assert rows["argo-cd"].note == versions.HELM_CHARTS["argo-cd"]["digest"]  # the archive digest, as pinned
    assert (rows["metrics-server"].exists, rows["metrics-server"].compatible) == (True, False)
    assert "excludes Kubernetes 1.35" in rows["metrics-server"].note
    assert (rows["external-dns"].exists, rows["external-dns"].ok) == (False, False)
    # The OCI chart (Karpenter) through the token challenge, with its manifest digest.
    karpenter = rows["karpenter"]
    assert karpenter.ok and karpenter.note.startswith("sha256:") and karpenter.newest == "99.0.0"


def test_helm_chart_whose_published_digest_is_not_the_pinned_one(registry_server):
    content, get, registry = registry_server
    publish_every_pin(content, ["1.35"])
    pin = versions.HELM_CHARTS["velero"]
    content.indexes[pin["repo"].removeprefix("https://").rstrip("/")]["entries"]["velero"][0]["digest"] = "ef" * 32
    rows = {r.name: r for r in vc.check_helm_charts(registry, get, vc.Target(("1.35",)))}
    assert rows["velero"].ok is False and "is not the pinned" in rows["velero"].note


def test_oci_chart_missing_tag_and_missing_repository(registry_server):
    content, get, registry = registry_server
    publish_every_pin(content, ["1.35"])
    pin = versions.HELM_CHARTS["karpenter"]
    host, _, path = pin["repo"].removeprefix("oci://").partition("/")
    content.tags[f"{host}/{path}/{pin['chart']}"] = ["1.0.0"]
    rows = {r.name: r for r in vc.check_helm_charts(registry, get, vc.Target(("1.35",)))}
    assert (rows["karpenter"].exists, rows["karpenter"].ok) == (False, False)
    del content.tags[f"{host}/{path}/{pin['chart']}"]
    rows = {r.name: r for r in vc.check_helm_charts(registry, get, vc.Target(("1.35",)))}
    assert rows["karpenter"].exists is False and "no repository" in rows["karpenter"].note


def test_images_found_missing_and_incompatible(registry_server):
    content, _get, registry = registry_server
    publish_every_pin(content, ["1.35"])
    rows = {r.name: r for r in vc.check_images(registry, vc.Target(("1.35",)))}
    assert rows["cluster-autoscaler (k8s 1.35)"].ok and rows["velero-plugin-for-aws"].ok
    assert rows["velero-plugin-for-aws"].newest == "v9.9.9"
    content.tags["registry.k8s.io/autoscaling/cluster-autoscaler"] = ["v1.34.0"]
    rows = {r.name: r for r in vc.check_images(registry, vc.Target(("1.35",)))}
    assert rows["cluster-autoscaler (k8s 1.35)"].exists is False
    # A tag whose minor is not the cluster's is incompatible.
    old = dict(versions.CLUSTER_AUTOSCALER_IMAGE_TAGS)
    try:
        versions.CLUSTER_AUTOSCALER_IMAGE_TAGS["1.35"] = "v1.34.0"
        (row,) = [r for r in vc.check_images(registry, vc.Target(("1.35",))) if r.name.startswith("cluster-")]
        assert (row.exists, row.compatible) == (True, False)
    finally:
        versions.CLUSTER_AUTOSCALER_IMAGE_TAGS.update(old)


def test_split_image():
    assert vc.split_image("velero/velero-plugin-for-aws:v1.13.0") == (
        "registry-1.docker.io",
        "velero/velero-plugin-for-aws",
        "v1.13.0",
    )
    assert vc.split_image("registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.0") == (
        "registry.k8s.io",
        "autoscaling/cluster-autoscaler",
        "v1.35.0",
    )


@pytest.mark.parametrize(
    ("constraint", "k8s", "expected"),
    [
        (">=1.25.0-0", "1.35", True),
        (">= 1.19.0-0 < 1.30.0-0", "1.35", False),
        ("<1.30.0-0 || >=1.34.0-0", "1.35", True),
        # EKS reports v1.35.x-eks-...: a prerelease, which a constraint without one rejects (as Helm does).
        (">=1.25.0", "1.35", False),
        ("", "1.35", True),
    ],
)
def test_kube_version_constraints(constraint, k8s, expected):
    assert vc.kube_version_allows(constraint, k8s) is expected


# ----------------------------------------------------------------------------------------------- the command


def test_run_on_the_prod_stack_all_found(registry_server, capsys):
    content, get, registry = registry_server
    publish_every_pin(content, ["1.35"])
    (eks, s1), (rds, s2), (ssm, s3) = aws()
    stub_eks_all_found(s1, "1.35")
    stub_rds_all_found(s2)
    name = AL2023 + "amazon-eks-node-al2023-x86_64-standard-1.35-v20260818/image_id"
    s3.add_response("get_parameter", {"Parameter": {"Name": name, "Value": "ami-1"}}, {"Name": name})
    s3.add_response(
        "get_parameters_by_path", {"Parameters": [{"Name": name, "Value": "ami-1"}]}, {"Path": AL2023, "Recursive": ANY}
    )
    arm = name.replace("x86_64", "arm64")
    s3.add_response("get_parameter", {"Parameter": {"Name": arm, "Value": "ami-2"}}, {"Name": arm})
    s3.add_response("get_parameters_by_path", {"Parameters": []}, {"Path": ANY, "Recursive": True})
    lines: list[str] = []
    with s1, s2, s3:
        code = vc.run(
            "prod", ROOT, clients=(eks, rds, ssm), get=get, registry=registry, echo=lines.append, err=lines.append
        )
    assert code == 0, "\n".join(lines)
    table = lines[0].splitlines()
    assert table[0].split()[:6] == ["kind", "name", "pinned", "newest", "exists", "compatible"]
    assert any("al2023@v20260818" in line for line in table)


def test_run_exits_1_on_a_missing_pin(registry_server):
    content, get, registry = registry_server
    publish_every_pin(content, list(versions.KUBERNETES_VERSIONS))
    content.tags["registry-1.docker.io/velero/velero-plugin-for-aws"] = ["v0.0.1"]
    (eks, s1), (rds, s2), (ssm, _s3) = aws()
    for k8s in versions.KUBERNETES_VERSIONS:
        stub_eks_all_found(s1, k8s)
    stub_rds_all_found(s2)
    lines: list[str] = []
    with s1, s2:
        code = vc.run(
            None, ROOT, clients=(eks, rds, ssm), get=get, registry=registry, echo=lines.append, err=lines.append
        )
    assert code == 1
    assert lines[-1].startswith("1 pin(s) missing or incompatible: velero-plugin-for-aws")


def test_run_exits_2_when_a_source_is_out_of_reach(registry_server):
    _content, _get, registry = registry_server
    (eks, s1), (rds, _s2), (ssm, _s3) = aws()
    for k8s in versions.KUBERNETES_VERSIONS:
        stub_eks_all_found(s1, k8s)

    def unreachable(url, headers, method="GET"):
        return vc.urllib_get("http://127.0.0.1:9/index.yaml", headers, method)  # port 9: nothing listens

    errors: list[str] = []
    with s1:
        code = vc.run(None, ROOT, clients=(eks, rds, ssm), get=unreachable, registry=registry, err=errors.append)
    assert code == 2 and len(errors) == 1 and "needs network access" in errors[0]


def test_cli_without_credentials_exits_2_with_one_line(monkeypatch, tmp_path):
    for var in (
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(var, raising=False)
    empty = tmp_path / "empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = CliRunner().invoke(app, ["versions", "check", "prod"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "needs AWS credentials" in lines[0]


def test_cli_bad_stack_config_exits_2(monkeypatch):
    result = CliRunner().invoke(app, ["versions", "check", "no-such-stack"])
    assert result.exit_code == 2
