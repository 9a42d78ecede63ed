"""The GitHub workflows users get: valid YAML, and every command they run exists (platformctl commands and their
flags, make targets)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
# An invocation: `.venv/bin/platformctl <command> ...` anywhere, or `platformctl <command>` starting a line.
PLATFORMCTL = re.compile(r"(?:\.venv/bin/platformctl|^\s*platformctl)\s+([a-z][a-z-]*)([^\n;|&>]*)", re.M)
MAKE = re.compile(r"(?:^|[;&|]\s*|\n\s*)make\s+([a-z][\w-]*)")


def load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def run_scripts(doc: dict) -> list[str]:
    return [step["run"] for job in doc["jobs"].values() for step in job.get("steps", []) if "run" in step]


def platformctl_calls(doc: dict) -> list[tuple[str, list[str]]]:
    calls = []
    for script in run_scripts(doc):
        for command, rest in PLATFORMCTL.findall(script):
            rest = re.sub(r"\$\{\{[^}]*\}\}", "X", rest)
            calls.append((command, shlex.split(rest.replace("$", ""))))
    return calls


@pytest.fixture(scope="module")
def commands() -> dict[str, str]:
    """platformctl command name -> its --help text."""
    from typer.testing import CliRunner

    from platformctl.cli import app

    runner = CliRunner()
    names = re.findall(r"^  ([a-z][a-z-]*)\s", runner.invoke(app, ["--help"]).stdout, re.M)
    return {name: runner.invoke(app, [name, "--help"]).stdout for name in names}


def test_the_workflows_exist():
    names = {p.name for p in WORKFLOWS}
    assert {"pull-request.yml", "deploy.yml", "drift.yml"} <= names


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid(path):
    doc = load(path)
    assert doc.get("name") and doc.get("on") and doc.get("jobs")
    for name, job in doc["jobs"].items():
        assert job.get("runs-on"), name
        assert job.get("steps"), name
        for need in [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", []):
            assert need in doc["jobs"], f"{name} needs unknown job {need}"
        for step in job["steps"]:
            assert ("run" in step) != ("uses" in step), step


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_platformctl_commands_and_flags_exist(path, commands):
    for command, args in platformctl_calls(load(path)):
        assert command in commands, f"{path.name}: platformctl {command} does not exist"
        for arg in args:
            if arg.startswith("-"):
                flag = arg.split("=", 1)[0]
                assert re.search(rf"(^|[\s,]){re.escape(flag)}([\s,]|$)", commands[command], re.M), (
                    f"{path.name}: platformctl {command} has no {flag}"
                )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_make_targets_exist(path):
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.M))
    for script in run_scripts(load(path)):
        for target in MAKE.findall(script):
            assert target in targets, f"{path.name}: make {target} is not a Makefile target"


def test_pull_requests_run_tests_offline_checks_and_optional_previews():
    doc = load(ROOT / ".github" / "workflows" / "pull-request.yml")
    assert "pull_request" in doc["on"]
    jobs = doc["jobs"]
    assert any("make test" in s for s in run_scripts({"jobs": {"t": jobs["test"]}}))
    offline = platformctl_calls({"jobs": {"o": jobs["offline"]}})
    assert ("plan", ["stack", "--quiet"]) in offline or any(c == "plan" for c, _ in offline)
    assert any(c == "policy" and "markdown" in a for c, a in offline)
    preview = platformctl_calls({"jobs": {"p": jobs["preview"]}})
    assert any(c == "preview" and "--policy" in a and "markdown" in a for c, a in preview)
    # Previews only with an AWS role configured (OIDC), never for forks.
    assert "AWS_PREVIEW_ROLE_ARN" in jobs["preview"]["if"]
    assert jobs["preview"]["permissions"]["id-token"] == "write"
    # Both reports are posted as sticky comments (found again by their marker).
    scripts = [
        s["with"]["script"]
        for j in ("offline", "preview")
        for s in jobs[j]["steps"]
        if "github-script" in s.get("uses", "")
    ]
    assert len(scripts) == 2 and all("updateComment" in s for s in scripts)


def test_main_deploys_dev_automatically_and_prod_behind_a_protected_environment():
    doc = load(ROOT / ".github" / "workflows" / "deploy.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    jobs = doc["jobs"]
    assert jobs["up-dev"]["environment"] == "dev"
    assert jobs["up-prod"]["environment"] == "prod"
    assert jobs["up-prod"]["needs"] == "preview-prod" and "up-dev" in jobs["preview-prod"]["needs"]
    up_dev = platformctl_calls({"jobs": {"j": jobs["up-dev"]}})
    up_prod = platformctl_calls({"jobs": {"j": jobs["up-prod"]}})
    # The verified chart archives first: the program installs what `charts pull` checked.
    for calls in (up_dev, up_prod):
        assert calls.pop(0) == ("charts", ["pull"])
    assert up_dev[0][0] == "up" and up_dev[0][1][0] == "dev"
    assert up_prod[0][0] == "up" and up_prod[0][1][0] == "prod" and "--yes" in up_prod[0][1]
    assert doc["concurrency"]["cancel-in-progress"] is False


# ------------------------------------------------------------------------------------------------ least privilege

# `uses: owner/repo[/path]@<40 hex> # vX.Y.Z`: a commit can't move, a tag can; the comment says which release it is.
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s*([\w.-]+/[\w.-]+(?:/[\w./-]+)?)@([0-9a-f]{40})\s+#\s*(v\d+(?:\.\d+){1,2})\b")
# Environments whose secrets a pull request's code may receive: they serve the preview stacks only (never prod).
PULL_REQUEST_ENVIRONMENTS = {"preview"}
SECRET = re.compile(r"\$\{\{\s*secrets\.(\w+)\s*\}\}")


def jobs_of(path: Path) -> dict:
    return load(path)["jobs"]


def environment(job: dict) -> str | None:
    env = job.get("environment")
    return env.get("name") if isinstance(env, dict) else env


def secrets_used(node) -> set[str]:
    """Secrets a job (or any part of a workflow) references, except the job's own GITHUB_TOKEN."""
    return set(SECRET.findall(yaml.safe_dump(node))) - {"GITHUB_TOKEN"}


def events(doc: dict) -> set[str]:
    on = doc["on"]
    return set(on) if isinstance(on, dict | list) else {on}


def is_pull_request_workflow(doc: dict) -> bool:
    return bool({"pull_request", "pull_request_target"} & events(doc))


def least_privilege_problems(path: Path) -> list[str]:
    """What the least-privilege rules find wrong in one workflow file (empty: nothing)."""
    out: list[str] = []
    doc = load(path)
    # 1. Every action pinned to a 40-hex commit, with the release in a comment.
    lines = [ln for ln in path.read_text().splitlines() if re.match(r"^\s*(-\s+)?uses:", ln)]
    out += [
        f"not pinned to a 40-hex commit with a `# vX.Y.Z` comment: {ln.strip()}" for ln in lines if not PINNED.match(ln)
    ]
    # 2. Permissions and secrets per job, never per workflow; secrets only in jobs of a GitHub environment.
    if "permissions" in doc:
        out.append("workflow-level permissions: declare them per job")
    if secrets_used(doc.get("env", {})):
        out.append(f"workflow-level env holds secrets {sorted(secrets_used(doc['env']))}")
    for name, job in doc["jobs"].items():
        if "permissions" not in job:
            out.append(f"job {name} does not declare its permissions")
        if secrets_used(job) and not environment(job):
            out.append(f"job {name} uses secrets {sorted(secrets_used(job))} outside a GitHub environment")
    # 3. Pull requests: no base-repository secrets for their code, never a prod-capable secret, no git token left.
    if "pull_request_target" in events(doc):
        out.append("pull_request_target runs the base repository's secrets next to pull request code")
    if is_pull_request_workflow(doc):
        for name, job in doc["jobs"].items():
            env = environment(job)
            if env is not None and env not in PULL_REQUEST_ENVIRONMENTS:
                out.append(f"pull-request job {name} runs in environment {env} (prod-capable secrets)")
            for value in (job.get("env") or {}).values():
                if "PREVIEW_STACKS" in str(value) and any(
                    "prod" in d.split() for d in re.findall(r"\|\|\s*'([^']*)'", str(value))
                ):
                    out.append(f"pull-request job {name} previews prod by default")
            for step in job["steps"]:
                if (
                    step.get("uses", "").startswith("actions/checkout@")
                    and (step.get("with") or {}).get("persist-credentials") is not False
                ):
                    out.append(f"pull-request job {name} checks out with persisted credentials")
    return out


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_workflow_follows_the_least_privilege_rules(path):
    assert least_privilege_problems(path) == []
    assert any(PINNED.match(ln) for ln in path.read_text().splitlines())


CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"


@pytest.mark.parametrize(
    ("workflow", "problem"),
    [
        (
            "on: push\njobs:\n  a:\n    runs-on: x\n    permissions: {}\n    steps:\n"
            "      - uses: actions/checkout@v4\n",
            "not pinned to a 40-hex commit",
        ),
        (
            "on: push\njobs:\n  a:\n    runs-on: x\n    permissions: {}\n    steps:\n"
            "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1\n",
            "not pinned to a 40-hex commit with a `# vX.Y.Z` comment",
        ),
        (
            f"on: push\npermissions: {{contents: read}}\njobs:\n  a:\n    runs-on: x\n    permissions: {{}}\n"
            f"    steps:\n      - uses: {CHECKOUT}\n",
            "workflow-level permissions",
        ),
        (
            f"on: push\nenv:\n  T: ${{{{ secrets.PULUMI_ACCESS_TOKEN }}}}\njobs:\n  a:\n    runs-on: x\n"
            f"    permissions: {{}}\n    steps:\n      - uses: {CHECKOUT}\n",
            "workflow-level env holds secrets ['PULUMI_ACCESS_TOKEN']",
        ),
        (
            f"on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: {CHECKOUT}\n",
            "job a does not declare its permissions",
        ),
        (
            "on: push\njobs:\n  a:\n    runs-on: x\n    permissions: {}\n    env:\n"
            "      T: ${{ secrets.PULUMI_CONFIG_PASSPHRASE }}\n    steps:\n      - run: pulumi up\n",
            "job a uses secrets ['PULUMI_CONFIG_PASSPHRASE'] outside a GitHub environment",
        ),
        (
            "on: pull_request\njobs:\n  a:\n    runs-on: x\n    environment: prod\n    permissions: {}\n    env:\n"
            "      T: ${{ secrets.PULUMI_ACCESS_TOKEN }}\n    steps:\n      - run: pulumi preview\n",
            "pull-request job a runs in environment prod (prod-capable secrets)",
        ),
        (
            "on: pull_request\njobs:\n  a:\n    runs-on: x\n    environment: preview\n    permissions: {}\n    env:\n"
            "      PREVIEW_STACKS: ${{ vars.PREVIEW_STACKS || 'dev prod' }}\n    steps:\n      - run: make test\n",
            "pull-request job a previews prod by default",
        ),
        (
            f"on: pull_request\njobs:\n  a:\n    runs-on: x\n    permissions: {{}}\n    steps:\n"
            f"      - uses: {CHECKOUT}\n",
            "pull-request job a checks out with persisted credentials",
        ),
        (
            "on: pull_request_target\njobs:\n  a:\n    runs-on: x\n    permissions: {}\n    steps:\n"
            "      - run: make\n",
            "pull_request_target runs the base repository's secrets",
        ),
    ],
)
def test_the_rules_catch_each_violation(tmp_path, workflow, problem):
    path = tmp_path / "bad.yml"
    path.write_text("name: bad\n" + workflow)
    found = least_privilege_problems(path)
    assert any(p.startswith(problem) for p in found), found


def test_each_action_is_pinned_to_one_commit_everywhere():
    seen: dict[str, set[tuple[str, str]]] = {}
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            m = PINNED.match(line)
            if m:
                seen.setdefault(m.group(1), set()).add((m.group(2), m.group(3)))
    assert seen and all(len(pins) == 1 for pins in seen.values()), {a: p for a, p in seen.items() if len(p) > 1}


def test_the_pulumi_cli_version_is_pinned_once_and_used_by_every_workflow():
    version = (ROOT / ".pulumi-version").read_text().strip()
    lock = (ROOT / "uv.lock").read_text()
    sdk = re.search(r'^name = "pulumi"\nversion = "([^"]+)"', lock, re.M).group(1)
    assert version == sdk, "the CLI and the locked SDK should be the same release"
    installs = 0
    for path in WORKFLOWS:
        text = path.read_text()
        assert "get.pulumi.com" not in text and "pulumi-version:" not in text, path.name
        for job in load(path)["jobs"].values():
            for step in job["steps"]:
                if step.get("uses", "").startswith("pulumi/actions@"):
                    installs += 1
                    assert step["with"] == {"pulumi-version-file": ".pulumi-version"}, path.name
    assert installs >= 4


# ------------------------------------------------------------------------------------------------ deploy runners


# platformctl commands that act on the stacks given as arguments.
STACK_COMMANDS = {"plan", "policy", "preview", "up", "refresh", "drift", "destroy", "outputs", "kubeconfig"}


def stack_configs() -> dict[str, object]:
    from components.config import load_stack_config

    return {
        p.name[len("Pulumi.") : -len(".yaml")]: load_stack_config(p.name[7:-5], project_dir=ROOT)
        for p in sorted(ROOT.glob("Pulumi.*.yaml"))
    }


def runner_label(stack_config) -> str:
    from components.deploy_runner import project_name
    from components.deploy_runner_iam import runs_on_label

    return runs_on_label(project_name(stack_config.environment.name))


def hub_fleets() -> dict[str, str]:
    """hub stack -> its fleet: a hub's runner runs its fleet's rollout (`--fleet NAME`; docs/fleets.md)."""
    from components.config.fleet import fleet_names, load_fleet

    return {load_fleet(ROOT, name).hub: name for name in fleet_names(ROOT)}


def stack_args(args: list[str]) -> list[str]:
    """The stacks a platformctl call acts on: its first positional argument, or `--fleet NAME`'s hub."""
    if "--fleet" in args:
        fleet = args[args.index("--fleet") + 1]
        return [hub for hub, name in hub_fleets().items() if name == fleet]
    return [a for a in args if not a.startswith("-")][:1]


def jobs_calling(path: Path, command: str, stack: str) -> list[tuple[str, dict, list[str]]]:
    out = []
    for name, job in jobs_of(path).items():
        for cmd, args in platformctl_calls({"jobs": {name: job}}):
            acts_on = stack_args(args) if "--fleet" in args else args
            if cmd == command and stack in acts_on:
                out.append((name, job, args))
    return out


def test_deploy_yml_runs_prods_up_on_prods_deploy_runner(prod_plan):
    project = prod_plan.outputs["deployRunner"]["project"]
    [(_, job, _)] = [
        j for j in jobs_calling(ROOT / ".github/workflows/deploy.yml", "up", "prod") if "--bootstrap" not in j[2]
    ]
    assert job["runs-on"] == f"codebuild-{project}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"
    assert environment(job) == "prod"
    # The project of the plan is the CodeBuild project in prod's private subnets (tests/test_deploy_runner.py).
    [codebuild] = prod_plan.of_type("aws:codebuild/project:Project")
    assert codebuild.inputs["name"] == project


def test_workflows_and_stacks_agree_on_the_deploy_runners():
    configs = stack_configs()
    workflows = {p.name: load(p) for p in WORKFLOWS}
    labels = {runner_label(cfg): short for short, cfg in configs.items() if cfg.deploy_runner.enabled}
    assert labels, "no stack has a deploy runner"
    for short, cfg in configs.items():
        if not cfg.deploy_runner.enabled:
            continue
        label = runner_label(cfg)
        # Every deploy (but the bootstrap), real preview and drift check of the stack in the deploy and drift
        # workflows runs on its runner; there is a deploy and a drift check.
        for workflow, command, required in (
            ("deploy.yml", "up", True),
            ("deploy.yml", "preview", False),
            ("drift.yml", "drift", True),
        ):
            found = [
                j
                for j in jobs_calling(ROOT / ".github/workflows" / workflow, command, short)
                if "--bootstrap" not in j[2]
            ]
            assert found or not required, f"{workflow} has no `platformctl {command} {short}`"
            for name, job, _ in found:
                assert job["runs-on"] == label, f"{workflow}: job {name} runs `{command} {short}` off its runner"
        # ...and the bootstrap runs where the runner does not exist yet (a GitHub-hosted runner).
        for name, job, _ in jobs_calling(ROOT / ".github/workflows/deploy.yml", "up", short):
            if "--bootstrap" in _:
                assert not str(job["runs-on"]).startswith("codebuild-"), name
    for file, doc in workflows.items():
        for name, job in doc["jobs"].items():
            runs_on = str(job["runs-on"])
            if not runs_on.startswith("codebuild-"):
                continue
            assert runs_on in labels, f"{file}: job {name} runs on {runs_on}, the runner of no stack"
            cfg = configs[labels[runs_on]]
            # The runner's webhook starts builds only for the workflows it lists.
            assert doc["name"] in cfg.deploy_runner.workflows, f"{file} is not in {labels[runs_on]}'s workflows"
            # A stack's runner works on that stack only (a hub's: and on its fleet, `--fleet NAME`).
            for command, args in platformctl_calls({"jobs": {name: job}}):
                if command in STACK_COMMANDS:
                    assert stack_args(args) == [labels[runs_on]], (file, name, args)
