"""The Automation API paths against the fake `pulumi` (tests/cli/fake_pulumi): what runs, what is shown, exit codes."""

from __future__ import annotations

import errno
import json
import stat
from pathlib import Path

import pytest
import yaml

from platformctl import errors

ROOT = Path(__file__).resolve().parents[2]


def op_calls(fake, op: str) -> list[list[str]]:
    return [argv for argv in fake.calls() if argv and argv[0] == op]


# ------------------------------------------------------------------------------------------- preview


def test_preview_selects_the_stack_in_the_project_dir_and_streams_events(fake_pulumi, cli):
    result = cli("preview", "dev")
    assert result.exit_code == 0, result.stderr
    assert fake_pulumi.commands() == ["version:", "stack select:dev", "preview:dev"]
    preview = op_calls(fake_pulumi, "preview")[0]
    assert preview[preview.index("--event-log") + 1].startswith("tcp://127.0.0.1:")  # gRPC events (CLI > 3.205)
    assert "--policy-pack" not in preview
    assert all(r["cwd"] == str(ROOT) for r in fake_pulumi.records())  # work_dir = the repo root
    assert "+15 create" in result.stdout  # the summary table, from the engine's summary event
    assert "retention of 7 days is short" in result.stderr  # a warning diagnostic, as it arrived


@pytest.mark.parametrize("version", ["3.205.0", "3.200.0"])
def test_a_cli_older_than_the_minimum_is_refused_before_any_operation(fake_pulumi, cli, version):
    """CLIs <= 3.205 deliver engine events through a file the Automation API tails, and lose them all after one
    malformed line (platformctl.automation.MIN_PULUMI_VERSION says why 3.206.0)."""
    fake_pulumi.scenario(version=version)
    result = cli("preview", "dev")
    assert result.exit_code == errors.EXIT_NO_PULUMI
    assert result.stderr.startswith(f"error: unsupported pulumi CLI {version}: platformctl needs 3.206.0 or newer")
    assert fake_pulumi.commands() == ["version:"]


def test_preview_creates_a_stack_missing_from_the_backend(fake_pulumi, cli):
    stacks = json.loads((fake_pulumi.state / "scenario.json").read_text())["stacks"]
    del stacks["dev"]
    fake_pulumi.scenario(stacks=stacks)
    result = cli("preview", "dev")
    assert result.exit_code == 0, result.stderr
    assert fake_pulumi.commands()[:3] == ["version:", "stack select:dev", "stack init:"]
    assert "dev" in fake_pulumi.backend()["stacks"]


def test_fully_qualified_stack_names_are_passed_through(fake_pulumi, cli):
    result = cli("preview", "example-org/eks-platform/dev")
    assert result.exit_code == 0, result.stderr
    assert op_calls(fake_pulumi, "preview")[0][-2:] == ["--stack", "example-org/eks-platform/dev"]


def test_preview_with_policy_attaches_every_pack_with_the_stack_config(fake_pulumi, cli):
    result = cli("preview", "prod", "--policy")
    argv = op_calls(fake_pulumi, "preview")[0]
    packs = [argv[i + 1] for i, a in enumerate(argv) if a == "--policy-pack"]
    configs = [argv[i + 1] for i, a in enumerate(argv) if a == "--policy-pack-config"]
    assert packs == [str(ROOT / "policies" / "aws"), str(ROOT / "policies" / "kubernetes")]
    assert configs == [str(ROOT / "policies" / "config" / "prod.json")] * 2
    # The recording has a mandatory violation: exit 1 with the violations listed.
    assert result.exit_code == errors.EXIT_FAIL
    lines = result.stderr.splitlines()
    assert "error: stack prod: 1 mandatory policy violation(s)" in lines
    assert any(line.strip().startswith("mandatory required-tags: prod-network-vpc (aws:ec2/vpc:Vpc)") for line in lines)


def test_preview_policy_markdown_has_changes_and_violations_also_when_preview_fails(fake_pulumi, cli, tmp_path):
    out = tmp_path / "comment.md"
    result = cli("preview", "dev", "--policy", "--format", "markdown", "--output", str(out))
    assert result.exit_code == errors.EXIT_FAIL  # pulumi preview failed on the mandatory violation
    md = out.read_text()
    assert md.startswith("# ❌ `platformctl preview` of `dev`")
    assert "| `dev` | ❌ failed | 15 | 0 | 0 | 0 | 0 | 1 / 1 |" in md
    assert "**Changes:** +15 create" in md
    assert "- `+` **dev-network-vpc** `aws:ec2/vpc:Vpc`" in md
    # The same report as `platformctl policy --format markdown` (platformctl.reports), from the engine's events.
    assert "## ❌ Policy check: `dev` failed" in md
    assert "### Mandatory violations (1)" in md
    assert "- **dev-network-vpc (aws:ec2/vpc:Vpc)**: missing tag(s) cost-center; set them in platform:tags" in md
    assert "### Advisory violations (1)" in md
    assert "retentionInDays is 7; set at least 30" in md
    assert "<{%" not in md  # the engine's colour tags are stripped


def test_preview_markdown_to_stdout_keeps_the_summary_off_stdout(fake_pulumi, cli):
    result = cli("preview", "dev", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# ✅ `platformctl preview` of `dev`")
    assert "Summary" not in result.stdout and "Summary" in result.stderr
    assert "not checked" in result.stdout  # no --policy: the report says policies were not run


def test_preview_json_prints_events_and_results(fake_pulumi, cli):
    result = cli("preview", "dev", "--policy", "--json")
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    events = [d for d in docs if d["type"] == "event"]
    results = [d for d in docs if d["type"] == "result"]
    assert len(events) == 36 and all(d["stack"] == "dev" for d in events)
    assert any("policy_event" in d["event"] for d in events)
    (res,) = results
    assert res["status"] == "failed" and res["error"]["kind"] == "policy" and res["error"]["exitCode"] == 1
    assert res["changes"] == {"create": 15}
    assert {v["policy"] for v in res["policyViolations"]} == {"required-tags", "log-group-retention"}
    assert result.exit_code == errors.EXIT_FAIL


def test_parallel_previews_of_two_stacks_run_at_once(fake_pulumi, cli):
    fake_pulumi.scenario(delay=0.02)  # ~0.7 s of events per stack
    result = cli("preview", "dev", "prod", "--parallel", "2")
    assert result.exit_code == 0, result.stderr
    runs = fake_pulumi.intervals("preview")
    assert set(runs) == {"dev", "prod"}
    (dev_start, dev_end), (prod_start, prod_end) = runs["dev"], runs["prod"]
    assert dev_start < prod_end and prod_start < dev_end  # the two previews overlapped in time
    assert "dev " in result.stdout and "prod " in result.stdout


def test_parallel_one_runs_stacks_one_after_the_other(fake_pulumi, cli):
    fake_pulumi.scenario(delay=0.01)
    result = cli("preview", "dev", "prod", "--parallel", "1")
    assert result.exit_code == 0, result.stderr
    first, second = sorted(fake_pulumi.intervals("preview").values())
    assert second[0] >= first[1]


# ------------------------------------------------------------------------------------------- errors


def test_concurrent_update_is_retried_with_backoff(fake_pulumi, cli):
    fake_pulumi.scenario(locked={"preview": 2})
    result = cli("preview", "dev", "--retry", "3")
    assert result.exit_code == 0, result.stderr
    assert len(op_calls(fake_pulumi, "preview")) == 3
    assert result.stderr.count("stack is locked by another update; retry") == 2


def test_concurrent_update_without_retries_left_says_how_to_clear_the_lock(fake_pulumi, cli):
    fake_pulumi.scenario(locked={"preview": 5})
    result = cli("preview", "dev", "--retry", "1")
    assert result.exit_code == errors.EXIT_LOCKED
    assert len(op_calls(fake_pulumi, "preview")) == 2
    (line,) = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert "locked by another update (tried 2 times)" in line
    assert "pulumi cancel --stack dev" in line


def test_not_logged_in(fake_pulumi, cli):
    fake_pulumi.scenario(
        fail={
            "stack select": {
                "stderr": "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions"
            }
        }
    )
    result = cli("preview", "dev")
    assert result.exit_code == errors.EXIT_NOT_LOGGED_IN
    errors_ = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert errors_ == [errors_[0]] and "not logged in to a Pulumi backend: run `pulumi login`" in errors_[0]


def test_no_cloud_credentials(fake_pulumi, cli):
    fake_pulumi.scenario(recordings={"preview": "preview-no-credentials"})
    result = cli("preview", "dev")
    assert result.exit_code == errors.EXIT_NO_CREDENTIALS
    assert "error: no usable AWS credentials for stack dev" in result.stderr


def test_stack_not_found_lists_the_backend_stacks(fake_pulumi, cli):
    result = cli("outputs", "nosuchstack")
    assert result.exit_code == errors.EXIT_STACK_NOT_FOUND
    # The fake backend's stacks (dev, prod), whatever config files the repository holds.
    assert result.stderr.strip() == "error: stack 'nosuchstack' not found; existing stacks: dev, prod"


def test_a_failing_operation_is_one_line_with_the_engine_error(fake_pulumi, cli):
    fake_pulumi.scenario(fail={"up": {"stderr": "error: update failed\nerror: resource dev-vpc: InvalidParameter"}})
    result = cli("up", "dev", "--yes")
    assert result.exit_code == errors.EXIT_FAIL
    # The specific error, not the CLI's closing "update failed".
    assert "error: up of stack dev failed: resource dev-vpc: InvalidParameter" in result.stderr.splitlines()


def test_one_failing_stack_does_not_stop_the_other(fake_pulumi, cli):
    fake_pulumi.scenario(locked={"preview:prod": 9})
    result = cli("preview", "dev", "prod")
    assert result.exit_code == errors.EXIT_LOCKED
    assert "succeeded" in result.stdout and "failed" in result.stdout


# ------------------------------------------------------------------------------------------- up, refresh, drift


def test_up_dev(fake_pulumi, cli):
    result = cli("up", "dev", "--yes", "--policy")
    assert result.exit_code == 0, result.stderr
    (up,) = op_calls(fake_pulumi, "up")
    assert up[:3] == ["up", "--yes", "--skip-preview"]
    assert "--policy-pack" in up
    assert "+15 create" in result.stdout


def test_up_prod_interactive_shows_the_preview_then_asks(fake_pulumi, cli, monkeypatch):
    import platformctl.cli as cli_module

    monkeypatch.setattr(cli_module, "_interactive", lambda: True)
    result = cli("up", "prod", input="y\n")
    assert result.exit_code == 0, result.stderr
    ops = [c for c in fake_pulumi.commands() if c.split(":")[0] in ("preview", "up")]
    assert ops == ["preview:prod", "up:prod"]
    assert "Apply these changes to prod?" in result.stderr
    # Before asking: every resource the preview would change, by operation and component, names in full.
    listing = result.stderr[result.stderr.index("Changes to prod (") : result.stderr.index("Apply these changes")]
    assert "+ create 15:" in listing
    assert "  prod-network:" in listing and "    prod-network-flow-logs (aws:cloudwatch/logGroup:LogGroup)" in listing


def test_approval_lists_replacements_first_grouped_by_component():
    from platformctl.progress import Change, approval_lines

    urn = "urn:pulumi:prod::eks-platform::{}::{}".format
    changes = [
        Change("create", urn("eks-platform:network:Network$aws:ec2/subnet:Subnet", "prod-network-private-0")),
        Change("delete", urn("eks-platform:addons:Addons$aws:iam/role:Role", "prod-addons-keda-role")),
        Change("create-replacement", urn("eks-platform:cluster:Cluster$eks:index:Cluster", "prod-cluster-eks")),
        Change("replace", urn("eks-platform:cluster:Cluster$eks:index:Cluster", "prod-cluster-eks"), ("version",)),
        Change("delete-replaced", urn("eks-platform:cluster:Cluster$eks:index:Cluster", "prod-cluster-eks")),
        Change("update", urn("eks-platform:nodes:NodePools$aws:eks/nodeGroup:NodeGroup", "prod-nodes-system")),
        Change("same", urn("eks-platform:nodes:NodePools$aws:iam/role:Role", "prod-nodes-node-role")),
    ]
    assert approval_lines(changes, "prod") == [
        "+- replace 1:",
        "  prod-cluster:",
        "    prod-cluster-eks (eks:index:Cluster)",
        "- delete 1:",
        "  prod-addons:",
        "    prod-addons-keda-role (aws:iam/role:Role)",
        "+ create 1:",
        "  prod-network:",
        "    prod-network-private-0 (aws:ec2/subnet:Subnet)",
        "~ update 1:",
        "  prod-nodes:",
        "    prod-nodes-system (aws:eks/nodeGroup:NodeGroup)",
    ]


def test_up_prod_interactive_declined_changes_nothing(fake_pulumi, cli, monkeypatch):
    import platformctl.cli as cli_module

    monkeypatch.setattr(cli_module, "_interactive", lambda: True)
    result = cli("up", "prod", input="n\n")
    assert result.exit_code == errors.EXIT_FAIL
    assert not op_calls(fake_pulumi, "up")


def test_refresh(fake_pulumi, cli):
    result = cli("refresh", "dev")
    assert result.exit_code == 0, result.stderr
    (argv,) = op_calls(fake_pulumi, "refresh")
    assert argv[:3] == ["refresh", "--skip-preview", "--yes"]


def test_drift_exits_1_and_names_the_drifted_resource(fake_pulumi, cli):
    result = cli("drift", "dev", "prod")
    assert result.exit_code == errors.EXIT_FAIL
    assert [a[:2] for a in op_calls(fake_pulumi, "refresh")] == [["refresh", "--preview-only"]] * 2
    assert "drift in dev: update urn:pulumi:dev::eks-platform::" in result.stdout
    assert "dev-network-private-0 (tags)" in result.stdout
    assert "1 drifted" in result.stdout


def test_no_drift_exits_0(fake_pulumi, cli):
    fake_pulumi.scenario(recordings={"drift": "drift-none"})
    result = cli("drift", "prod")
    assert result.exit_code == 0, result.stderr
    assert "no drift" in result.stdout


# ------------------------------------------------------------------------------------------- destroy


def test_destroy_prod_refuses_while_protected_resources_exist(fake_pulumi, cli):
    result = cli("destroy", "prod", "--confirm", "prod")
    assert result.exit_code == errors.EXIT_FAIL
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: stack prod has 1 protected resource(s); destroy refuses")
    assert "--unprotect" in lines[0]
    assert lines[1].strip() == "urn:pulumi:prod::eks-platform::aws:kms/key:Key::prod-database-key"
    assert not op_calls(fake_pulumi, "destroy")


def test_destroy_prod_with_unprotect_unprotects_then_destroys(fake_pulumi, cli):
    result = cli("destroy", "prod", "--confirm", "prod", "--unprotect")
    assert result.exit_code == 0, result.stderr
    cmds = [c for c in fake_pulumi.commands() if not c.startswith(("version", "stack select", "stack export"))]
    assert cmds[:2] == ["state unprotect:prod", "destroy:prod"]
    assert op_calls(fake_pulumi, "state")[0][:4] == ["state", "unprotect", "--yes", "--all"]
    assert "-12 delete" in result.stdout or "delete" in result.stdout


def test_destroy_refuses_cloud_side_deletion_protection(fake_pulumi, cli):
    stacks = json.loads((fake_pulumi.state / "scenario.json").read_text())["stacks"]
    stacks["dev"]["resources"].append(
        {"urn": "urn:pulumi:dev::eks-platform::aws:rds/instance:Instance::db", "outputs": {"deletionProtection": True}}
    )
    fake_pulumi.scenario(stacks=stacks)
    result = cli("destroy", "dev", "--yes")
    assert result.exit_code == errors.EXIT_FAIL
    assert "cloud-side deletion protection" in result.stderr
    assert not op_calls(fake_pulumi, "destroy")


def test_destroy_dev_with_yes(fake_pulumi, cli):
    result = cli("destroy", "dev", "--yes")
    assert result.exit_code == 0, result.stderr
    assert op_calls(fake_pulumi, "destroy")[0][:3] == ["destroy", "--skip-preview", "--yes"]


# ------------------------------------------------------------------------------------------- outputs


def test_outputs_mask_secrets_unless_asked(fake_pulumi, cli):
    masked = json.loads(cli("outputs", "dev", "--json").stdout)
    assert masked["kubeconfig"] == "[secret]" and masked["clusterName"] == "eks-platform-dev"
    shown = json.loads(cli("outputs", "dev", "--json", "--show-secrets").stdout)
    assert shown["kubeconfig"]["kind"] == "Config"
    table = cli("outputs", "dev")
    assert "kubeconfig (secret)" in table.stdout and "[secret]" in table.stdout


def test_kubeconfig_is_written_from_the_secret_output_with_mode_0600(fake_pulumi, cli, tmp_path):
    path = tmp_path / "kube" / "dev.yaml"
    result = cli("kubeconfig", "dev", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = yaml.safe_load(path.read_text())
    assert doc["current-context"] == "dev" and doc["clusters"][0]["name"] == "dev-cluster"
    assert "cluster eks-platform-dev" in result.stderr and "export KUBECONFIG=" in result.stderr
    # Both `stack output` calls: the masked one and --show-secrets (the Automation API's outputs()).
    outs = op_calls(fake_pulumi, "stack")
    assert ["stack", "output", "--json", "--show-secrets", "--stack", "dev"] in outs


def test_kubeconfig_tightens_an_existing_file(fake_pulumi, cli, tmp_path):
    path = tmp_path / "kubeconfig"
    path.write_text("old")
    path.chmod(0o644)
    assert cli("kubeconfig", "dev", "-o", str(path)).exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("dangling", [False, True])
def test_kubeconfig_refuses_to_write_through_a_symlink(fake_pulumi, cli, tmp_path, dangling):
    target = tmp_path / "authorized_keys"
    if not dangling:
        target.write_text("precious\n")
    link = tmp_path / "kubeconfig"
    link.symlink_to(target)
    result = cli("kubeconfig", "dev", "-o", str(link))
    assert result.exit_code == errors.EXIT_USAGE
    assert result.stderr.strip() == (
        f"error: cannot write {link}: it is a symbolic link; platformctl does not follow it (give the link's target "
        "path)"
    )
    assert link.is_symlink()
    assert (target.read_text() == "precious\n") if not dangling else not target.exists()


def test_write_private_never_follows_a_symlink_created_after_the_check(tmp_path, monkeypatch):
    """O_NOFOLLOW closes the window between the is_symlink() check and the open."""
    from platformctl import automation

    target, link = tmp_path / "target", tmp_path / "link"
    target.write_text("precious")
    link.symlink_to(target)
    monkeypatch.setattr(Path, "is_symlink", lambda self: False)
    with pytest.raises(OSError) as info:
        automation.write_private(link, "secret")
    assert info.value.errno == errno.ELOOP and target.read_text() == "precious"


def test_kubeconfig_missing_output(fake_pulumi, cli):
    stacks = json.loads((fake_pulumi.state / "scenario.json").read_text())["stacks"]
    del stacks["dev"]["outputs"]["kubeconfig"]
    fake_pulumi.scenario(stacks=stacks)
    result = cli("kubeconfig", "dev", "-o", "-")
    assert result.exit_code == errors.EXIT_FAIL
    assert "has no `kubeconfig` output" in result.stderr


def test_stacks_lists_backend_stacks_and_config_files(fake_pulumi, cli):
    result = cli("stacks", "--json")
    assert result.exit_code == 0, result.stderr
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    from components.config.repository import stack_names

    # The backend's stacks (the fake's dev and prod) and every config file not deployed yet.
    assert set(rows) == {"dev", "prod"} | set(stack_names(ROOT))
    assert rows["dev"]["lastUpdate"].startswith("2026-01-02T03:04:05")
    assert rows["prod"]["configFile"] == "Pulumi.prod.yaml"
    table = cli("stacks")
    assert "prod" in table.stdout and "Pulumi.dev.yaml" in table.stdout


def test_stacks_not_logged_in(fake_pulumi, cli):
    fake_pulumi.scenario(fail={"stack ls": {"stderr": "error: PULUMI_ACCESS_TOKEN must be set for login"}})
    result = cli("stacks")
    assert result.exit_code == errors.EXIT_NOT_LOGGED_IN


@pytest.mark.parametrize("command", [["outputs", "dev"], ["preview", "dev"], ["stacks"]])
def test_unsupported_pulumi_version(fake_pulumi, cli, command):
    fake_pulumi.scenario(version="2.25.0")
    result = cli(*command)
    assert result.exit_code == errors.EXIT_NO_PULUMI
    assert "unsupported pulumi CLI" in result.stderr


def test_the_text_preview_names_every_resource_it_would_change(fake_pulumi, cli):
    result = cli("preview", "dev")
    assert result.exit_code == 0, result.stderr
    assert "Changes to dev (15):" in result.stdout
    assert "    dev-network-flow-logs (aws:cloudwatch/logGroup:LogGroup)" in result.stdout
