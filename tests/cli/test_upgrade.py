"""`platformctl upgrade` against the fake pulumi (issue 18, acceptance item 3): the stages run in order through the
Automation API, each previewed then applied and committed; a failure stops with the resume command; `--resume`
continues at the failed stage. EKS Upgrade Insights through botocore's Stubber.

The offline pre-flight has its own tests (tests/upgrade/test_upgrade.py, which also drive it through this command);
here it is replaced by a passing one so that each run costs the fake's calls only."""

from __future__ import annotations

import subprocess

import pytest

from platformctl import upgrade

# The step each update message names -> the recording of what that step changes (from prod's offline plan diffs).
RECORDINGS = {
    "@stage 1/5 hold": "upgrade-stage-1-hold",  # first: the first key whose text the message holds wins
    "@stage 1/5": "upgrade-stage-1",
    "@stage 2/5": "upgrade-stage-2",
    "@stage 3/5": "upgrade-stage-3",
    **{f"@stage 4/5 node group {p}": f"upgrade-stage-4-{p}" for p in ("system", "general", "compute", "spot")},
    "@stage 5/5": "upgrade-stage-5",
}
STEPS = [
    "stage 1/5 hold",
    "stage 1/5",
    "stage 2/5",
    "stage 3/5",
    "stage 4/5 node group system",
    "stage 4/5 node group general",
    "stage 4/5 node group compute",
    "stage 4/5 node group spot",
    "stage 5/5",
]


@pytest.fixture
def project(project_copy, fake_pulumi, monkeypatch):
    for var, value in (("NAME", "Upgrade Test"), ("EMAIL", "upgrade@example.com")):
        monkeypatch.setenv(f"GIT_AUTHOR_{var}", value)
        monkeypatch.setenv(f"GIT_COMMITTER_{var}", value)
    path = project_copy(git=True)
    monkeypatch.setenv("PLATFORMCTL_PROJECT_DIR", str(path))
    monkeypatch.setattr(upgrade, "live_preflight", lambda *a, **k: upgrade.Preflight(checked={"stubbed": 1}))
    return path


def operations(fake) -> list[tuple[str, str]]:
    """(preview|up, the step its message names) of every preview and update, in order."""
    out = []
    for argv in fake.calls():
        if argv and argv[0] in ("preview", "up"):
            message = argv[argv.index("--message") + 1]
            out.append((argv[0], message.split(": ", 1)[1].split(" (", 1)[0]))
    return out


def log(project) -> list[str]:
    result = subprocess.run(["git", "-C", str(project), "log", "--format=%s"], capture_output=True, text=True)
    return result.stdout.splitlines()


def stack_file_at(project, rev: str) -> str:
    return subprocess.run(
        ["git", "-C", str(project), "show", f"{rev}:Pulumi.prod.yaml"], capture_output=True, text=True, check=True
    ).stdout


def status(project) -> str:
    return subprocess.run(["git", "-C", str(project), "status", "--porcelain"], capture_output=True, text=True).stdout


def test_the_stages_run_in_order_each_previewed_applied_and_committed(cli, fake_pulumi, project):
    original = (project / "Pulumi.prod.yaml").read_text()
    fake_pulumi.scenario(recordings=RECORDINGS)
    result = cli("upgrade", "prod", "--to", "1.36", "--yes")
    assert result.exit_code == 0, result.output
    assert operations(fake_pulumi) == [(op, step) for step in STEPS for op in ("preview", "up")]
    commits = log(project)
    assert commits[:-1] == [f"upgrade prod to Kubernetes 1.36: {label}" for label in reversed(_labels())]
    # git tells the truth per stage: stage 1 held every layer, then moved the control plane; the last released them.
    held = stack_file_at(project, f"HEAD~{len(STEPS) - 1}")
    assert 'version: "1.35"' in held and 'karpenter: "1.35"' in held
    moved = stack_file_at(project, f"HEAD~{len(STEPS) - 2}")
    assert 'version: "1.36"' in moved and 'karpenter: "1.35"' in moved
    final = (project / "Pulumi.prod.yaml").read_text()
    assert final == original.replace('version: "1.35"', 'version: "1.36"', 1)
    assert status(project) == ""
    assert "upgrade complete: prod runs Kubernetes 1.36 in every layer" in result.output


def test_a_failure_at_stage_3_stops_with_the_resume_command_and_resume_finishes(cli, fake_pulumi, project):
    fake_pulumi.scenario(
        recordings=RECORDINGS,
        fail={"up:prod": {"message": "stage 3/5", "times": 1, "stderr": "error: helm release failed", "code": 255}},
    )
    result = cli("upgrade", "prod", "--to", "1.36", "--yes")
    assert result.exit_code == 1, result.output
    assert operations(fake_pulumi) == [
        ("preview", "stage 1/5 hold"),
        ("up", "stage 1/5 hold"),
        ("preview", "stage 1/5"),
        ("up", "stage 1/5"),
        ("preview", "stage 2/5"),
        ("up", "stage 2/5"),
        ("preview", "stage 3/5"),
        ("up", "stage 3/5"),
    ]
    err = result.stderr
    assert (
        "completed: stage 1/5: control plane, first holding Karpenter's nodes, stage 1/5: control plane, "
        "stage 2/5: EKS managed add-ons" in err
    )
    assert "stopped at stage 3/5: Helm charts and in-cluster pins that follow the minor" in err
    assert "Resume with: platformctl upgrade prod --to 1.36 --resume" in err
    # The stack file is what git says: stage 2 completed, stage 3 not.
    assert status(project) == ""
    assert log(project)[0] == "upgrade prod to Kubernetes 1.36: stage 2/5: EKS managed add-ons"
    assert 'charts: "1.35"' in (project / "Pulumi.prod.yaml").read_text()

    before = len(fake_pulumi.calls())
    result = cli("upgrade", "prod", "--to", "1.36", "--resume", "--yes")
    assert result.exit_code == 0, result.output
    resumed = [
        (argv[0], argv[argv.index("--message") + 1].split(": ", 1)[1].split(" (", 1)[0])
        for argv in fake_pulumi.calls()[before:]
        if argv and argv[0] in ("preview", "up")
    ]
    assert resumed == [(op, step) for step in STEPS[STEPS.index("stage 3/5") :] for op in ("preview", "up")]
    assert len(log(project)) == len(STEPS) + 1
    assert "upgrade complete" in result.output


def test_resume_is_required_to_continue_and_says_where(cli, fake_pulumi, project):
    fake_pulumi.scenario(recordings=RECORDINGS, fail={"preview:prod": {"message": "stage 2/5", "times": 1}})
    result = cli("upgrade", "prod", "--to", "1.36", "--yes")
    assert result.exit_code != 0
    assert [op for op, _ in operations(fake_pulumi)] == ["preview", "up", "preview", "up", "preview"]
    result = cli("upgrade", "prod", "--to", "1.36", "--yes")
    assert result.exit_code == 2
    assert "is in progress (2 step(s) done, next: stage 2/5: EKS managed add-ons)" in result.output
    assert "platformctl upgrade prod --to 1.36 --resume" in result.output


def test_a_preview_that_changes_more_than_its_stage_is_not_applied(cli, fake_pulumi, project):
    original = (project / "Pulumi.prod.yaml").read_text()
    # The first step's preview also creates network resources (pending changes of the stack): nothing is applied.
    fake_pulumi.scenario(recordings={**RECORDINGS, "@stage 1/5 hold": "preview"})
    result = cli("upgrade", "prod", "--to", "1.36", "--yes")
    assert result.exit_code == 1
    assert operations(fake_pulumi) == [("preview", "stage 1/5 hold")]
    assert "resource(s) outside that stage, so it is not applied" in result.stderr
    assert "create urn:pulumi:prod::eks-platform::eks-platform:network:Network$aws:ec2/vpc:Vpc" in result.stderr
    assert (project / "Pulumi.prod.yaml").read_text() == original
    assert len(log(project)) == 1


def test_production_needs_yes_without_a_terminal(cli, fake_pulumi, project):
    result = cli("upgrade", "prod", "--to", "1.36")
    assert result.exit_code == 2
    assert "production stack" in result.output and "--yes" in result.output
    assert fake_pulumi.calls() == []


def test_uncommitted_changes_to_the_stack_file_are_refused(cli, fake_pulumi, project):
    path = project / "Pulumi.prod.yaml"
    path.write_text(path.read_text() + "# local edit\n")
    result = cli("upgrade", "prod", "--to", "1.36", "--yes")
    assert result.exit_code == 2
    assert "Pulumi.prod.yaml has uncommitted changes" in result.output
    assert fake_pulumi.calls() == []


def _labels() -> list[str]:
    cfg_steps = upgrade.all_steps(["system", "general", "compute", "spot"], True)
    return [s.label for s in cfg_steps]


# ------------------------------------------------------------------------------------------------ Upgrade Insights


def test_upgrade_insights_errors_block_and_warnings_are_notes():
    import boto3
    from botocore.stub import Stubber

    eks = boto3.client("eks", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    stub = Stubber(eks)
    filt = {"categories": ["UPGRADE_READINESS"], "kubernetesVersions": ["1.36"]}
    insight = {"kubernetesVersion": "1.36", "category": "UPGRADE_READINESS"}
    stub.add_response(
        "list_insights",
        {
            "insights": [
                {
                    **insight,
                    "id": "a",
                    "name": "Deprecated APIs removed in Kubernetes v1.36",
                    "insightStatus": {"status": "ERROR", "reason": "Deprecated API usage detected within last 30 days"},
                },
            ],
            "nextToken": "page2",
        },
        {"clusterName": "eks-platform-prod", "filter": filt},
    )
    stub.add_response(
        "list_insights",
        {
            "insights": [
                {**insight, "id": "b", "name": "Kubelet version skew", "insightStatus": {"status": "WARNING"}},
                {**insight, "id": "c", "name": "Cluster health issues", "insightStatus": {"status": "PASSING"}},
            ]
        },
        {"clusterName": "eks-platform-prod", "filter": filt, "nextToken": "page2"},
    )
    stub.add_response(
        "describe_insight",
        {
            "insight": {
                "id": "a",
                "recommendation": "Update manifests and API clients to use newer Kubernetes APIs",
                "resources": [
                    {"insightStatus": {"status": "ERROR"}, "kubernetesResourceUri": "/apis/flowcontrol/v1beta3/x"}
                ],
            }
        },
        {"clusterName": "eks-platform-prod", "id": "a"},
    )
    stub.add_response("describe_insight", {"insight": {"id": "b"}}, {"clusterName": "eks-platform-prod", "id": "b"})
    report = upgrade.Preflight()
    with stub:
        upgrade.upgrade_insights(eks, "eks-platform-prod", "1.36", report)
    stub.assert_no_pending_responses()
    assert report.blockers == [
        "EKS Upgrade Insight 'Deprecated APIs removed in Kubernetes v1.36' (ERROR): Deprecated API usage detected "
        "within last 30 days - /apis/flowcontrol/v1beta3/x: Update manifests and API clients to use newer Kubernetes "
        "APIs"
    ]
    assert report.notes == ["EKS Upgrade Insight 'Kubelet version skew' (WARNING)"]
    assert report.checked["EKS Upgrade Insights"] == 3


def test_upgrade_insights_that_cannot_be_read_are_one_note():
    import boto3
    from botocore.stub import Stubber

    eks = boto3.client("eks", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    stub = Stubber(eks)
    stub.add_client_error("list_insights", "ResourceNotFoundException", "No cluster found for name: eks-platform-prod.")
    report = upgrade.Preflight()
    with stub:
        upgrade.upgrade_insights(eks, "eks-platform-prod", "1.36", report)
    assert report.blockers == []
    assert report.notes == [
        "EKS Upgrade Insights of eks-platform-prod: not read (ResourceNotFoundException: An error occurred "
        "(ResourceNotFoundException) when calling the ListInsights operation: No cluster found for name: "
        "eks-platform-prod.)"
    ]


# ------------------------------------------------------------------------------------------------ signals


def test_sigterm_during_a_stage_puts_the_stack_file_back_and_prints_the_resume_command(fake_pulumi, project):
    """The real entry point in a subprocess (a signal cannot reach CliRunner), with the real pre-flight."""
    import os
    import signal
    import sys
    import time

    fake_pulumi.scenario(recordings=RECORDINGS, long={"up": 60})
    original = (project / "Pulumi.prod.yaml").read_text()
    # The fake STS's credentials also reach EKS Upgrade Insights: EKS answers from a closed local port (one note).
    env = {**os.environ, "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL_EKS": "http://127.0.0.1:9"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "platformctl.cli", "upgrade", "prod", "--to", "1.36", "--yes"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not any(argv and argv[0] == "up" for argv in fake_pulumi.calls()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "stage 1's update never started"
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "completed: no stage" in err
    assert "Resume with: platformctl upgrade prod --to 1.36 --resume" in err
    assert (project / "Pulumi.prod.yaml").read_text() == original
    assert status(project) == ""
    fake_pulumi.assert_no_process_left()
