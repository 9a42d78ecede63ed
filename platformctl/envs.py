"""`platformctl env new` and `env list`: environments are stacks, and a new one is scaffolded, not hand-copied.

`new_environment` copies a stack file and everything that is per environment beside it (the policy config, the
`platform/` values files) and edits the copy where it must differ, keeping the source's comments:

- derived from the new name: `platform:environment.name`, the secrets path prefix (`eks-platform/<name>/`), the
  domain (`dev.example.com` -> `staging.example.com`), the `environment` of the platform/ values files;
- chosen against every other stack file: a VPC CIDR no other stack uses (one /16 per environment, 10.10, 10.20...);
- from the options: the Region (and its real AZ count, components/aws_regions.py), the AZ count, the account
  (the account in role and image ARNs follows), production;
- the account's GitHub OIDC provider: named (not created) when another stack of the same account creates it;
- copied and marked `# copied from <source>, change me`: what cannot be derived (hosted zones, the build role's
  branches, an account not given). `platformctl plan` warns about them until they differ from the source.

The result is validated like any stack (on its own and next to the others) before anything is written; nothing is
written when it does not validate, and everything is written at once.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components import aws_regions, naming
from components.config import ConfigError
from components.config.environment import EnvironmentConfig
from components.config.locate import Location, locate
from components.config.repository import stack_files
from components.config.stack import REGION, read_stack_file, validate, validate_file

NAME = re.compile(EnvironmentConfig.model_fields["name"].metadata[0].pattern)
ACCOUNT = re.compile(r"^[0-9]{12}$")
CHANGE_ME = "copied from {source}, change me"
GITHUB_OIDC = "arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"


class EnvError(Exception):
    """A usage problem: one line each, exit 2, nothing written."""

    def __init__(self, lines: list[str] | str):
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))


@dataclass
class NewEnvironment:
    name: str
    source: str
    files: dict[Path, str] = field(default_factory=dict)  # path -> content, written together
    # Existing files the environment changes (the CI workflows): path -> (content read, new content).
    edits: dict[Path, tuple[str, str]] = field(default_factory=dict)
    derived: list[str] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)  # keys to change


# ------------------------------------------------------------------------------------------- text edits


class _Editor:
    """Edits of a YAML text by config key, applied bottom-up so earlier positions stay valid."""

    def __init__(self, text: str):
        self.lines = text.splitlines(keepends=True)
        self.locations = locate(text)
        self.edits: list[tuple[tuple[int, int], tuple[int, int], str]] = []
        self.comments: dict[int, str] = {}  # 0-based line -> trailing comment
        self.removed: set[int] = set()
        self.inserted: dict[int, list[str]] = {}  # before 0-based line -> lines

    def has(self, key: str) -> bool:
        return key in self.locations

    def loc(self, key: str) -> Location:
        return self.locations[key]

    def set(self, key: str, value: str) -> None:
        loc = self.loc(key)
        self.edits.append((loc.start, loc.end, value))

    def mark(self, key: str, comment: str) -> None:
        """A trailing comment on the key's line (replacing one that was there)."""
        self.comments[self.loc(key).key_line - 1] = comment

    def remove(self, key: str) -> None:
        """Remove a one-line `key: value` and the comment lines right above it."""
        loc = self.loc(key)
        first = loc.key_line - 1
        self.removed.add(first)
        above = first - 1
        while above >= 0 and self.lines[above].strip().startswith("#"):
            self.removed.add(above)
            above -= 1

    def insert_into(self, mapping_key: str, line: str) -> None:
        """Add `line` (a `key: value`) as the last entry of the block mapping at `mapping_key`."""
        loc = self.loc(mapping_key)
        first_child = next(v for k, v in self.locations.items() if k.startswith(mapping_key + "."))
        # A block mapping ends where the next, less indented key starts (its line, at that key's column): insert
        # before that line; an end inside a line (a last entry without a newline) inserts after it.
        row, column = loc.end
        ends_at_line_start = row >= len(self.lines) or not self.lines[row][:column].strip()
        end_line = row if ends_at_line_start else row + 1
        self.inserted.setdefault(end_line, []).append(" " * first_child.indent + line + "\n")

    def text(self) -> str:
        lines = list(self.lines)
        for (sl, sc), (el, ec), value in sorted(self.edits, reverse=True):
            lines[sl] = lines[sl][:sc] + value + lines[el][ec:] if sl == el else lines[sl]
        for number, comment in self.comments.items():
            body = lines[number].rstrip("\n")
            code = body.split(" #", 1)[0].rstrip() if " #" in body else body
            lines[number] = f"{code}  # {comment}\n"
        out = []
        for i, line in enumerate(lines):
            out.extend(self.inserted.get(i, []))
            if i not in self.removed:
                out.append(line)
        out.extend(self.inserted.get(len(lines), []))
        return "".join(out)


def _yaml_scalar(value: Any) -> str:
    """A value as a one-line YAML scalar the Pulumi CLI reads back as the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return json.dumps(text) if text.isdigit() or text in ("true", "false", "yes", "no", "on", "off", "") else text


# ------------------------------------------------------------------------------------------- choices


def free_vpc_cidr(used: list[str], prefix: int = 16) -> str:
    """The first 10.x.0.0/<prefix> (x = 10, 20, ... 250, then the others) overlapping none of `used`."""
    taken = [ipaddress.ip_network(c, strict=False) for c in used]
    for second in [*range(10, 256, 10), *(n for n in range(256) if n % 10)]:
        candidate = ipaddress.ip_network(f"10.{second}.0.0/{prefix}", strict=False)
        if not any(candidate.overlaps(t) for t in taken):
            return str(candidate)
    raise EnvError(f"error: no free /{prefix} left in 10.0.0.0/8 next to the other stacks' VPCs")


def derive_domain(domain: str, source: str, name: str) -> str:
    """`dev.example.com` (source dev) -> `staging.example.com`; `example.com` -> `staging.example.com`."""
    head, _, rest = domain.partition(".")
    return f"{name}.{rest}" if head == source and rest else f"{name}.{domain}"


# ------------------------------------------------------------------------------------------- env new


def new_environment(
    project: Path,
    name: str,
    source: str,
    *,
    region: str | None = None,
    azs: int | None = None,
    account: str | None = None,
    production: bool = False,
) -> NewEnvironment:
    """Everything `name` needs, as files to write (nothing is written here). Raises EnvError or ConfigError."""
    files = stack_files(project)
    problems = []
    if not NAME.match(name):
        problems.append(
            f"error: {name!r} is not an environment name: lowercase letters, digits and '-', starting with a "
            "letter, 2 to 16 characters (it names every resource)"
        )
    if name in files:
        problems.append(f"error: stack {name!r} exists already ({files[name].name})")
    if source not in files:
        problems.append(f"error: --from {source!r}: no such stack; stacks: {', '.join(files) or 'none'}")
    if region is not None and not REGION.match(region):
        problems.append(f"error: --region {region!r} is not an AWS Region name like eu-west-1")
    if account is not None and not ACCOUNT.match(account):
        problems.append(f"error: --account {account!r} is not a 12-digit AWS account ID")
    if azs is not None and not 2 <= azs <= 6:
        problems.append(f"error: --azs {azs}: between 2 and 6")
    if problems:
        raise EnvError(problems)

    src_path = files[source]
    try:
        src = validate(read_stack_file(src_path), source)
    except ConfigError as exc:
        raise EnvError([f"error: --from {source}: Pulumi.{source}.yaml is not valid itself:", *exc.lines]) from None
    region = region or src.region
    azs_given = azs is not None
    azs = azs if azs is not None else src.network.az_count
    known = aws_regions.region(region)
    if known is not None and azs > known.az_count:
        raise EnvError(
            f"error: --azs {azs}: {region} has {known.az_count} Availability Zones ({', '.join(known.zone_names)})"
        )
    if production and azs < 3:
        given = "--azs" if azs_given else f"{source}'s azCount"
        raise EnvError(f"error: {given} {azs}: a production environment needs at least 3 AZs (pass --azs 3)")
    new_account = account or src.environment.account

    out = NewEnvironment(name=name, source=source)
    change_me = CHANGE_ME.format(source=source)
    ed = _Editor(src_path.read_text())
    ed.set("aws:region", region)
    ed.set("platform:environment.name", name)
    if ed.has("platform:environment.production"):
        ed.set("platform:environment.production", _yaml_scalar(production))
    elif production:
        ed.insert_into("platform:environment", "production: true")
    if account:
        ed.set("platform:environment.account", _yaml_scalar(account))
    else:
        ed.mark("platform:environment.account", change_me)
        out.copied.append("platform:environment.account")

    # The network: a range no other stack uses, the AZs of the Region.
    others = []
    for other, path in files.items():
        try:
            others.append(validate(read_stack_file(path), other).network.vpc_cidr)
        except ConfigError:
            continue
    if src.network.public_subnet_cidrs or src.network.private_subnet_cidrs:
        raise EnvError(
            f"error: Pulumi.{source}.yaml lists explicit subnets (publicSubnetCidrs/privateSubnetCidrs): copy it by "
            "hand, or copy a stack with computed subnets"
        )
    vpc = free_vpc_cidr(others, ipaddress.ip_network(src.network.vpc_cidr).prefixlen)
    if ed.has("platform:network.vpcCidr"):
        ed.set("platform:network.vpcCidr", vpc)
    else:
        ed.insert_into("platform:network", f"vpcCidr: {vpc}")
    if ed.has("platform:network.azCount"):
        ed.set("platform:network.azCount", str(azs))
    else:
        ed.insert_into("platform:network", f"azCount: {azs}")
    out.derived += [f"platform:network.vpcCidr: {vpc} (no other stack uses it)", f"platform:network.azCount: {azs}"]

    # Names derived from the environment.
    prefix_key = "platform:addons.externalSecrets.pathPrefix"
    if ed.has(prefix_key):
        ed.set(prefix_key, naming.secrets_path_prefix(name))
        out.derived.append(f"{prefix_key}: {naming.secrets_path_prefix(name)}")
    domain = src.gitops.domain
    if domain and ed.has("platform:gitops.domain"):
        new_domain = derive_domain(domain, source, name)
        ed.set("platform:gitops.domain", new_domain)
        out.derived.append(f"platform:gitops.domain: {new_domain}")
        for i, d in enumerate(src.addons.external_dns.domain_filters):
            if d == domain:
                ed.set(f"platform:addons.externalDns.domainFilters[{i}]", new_domain)
    for key in ("platform:addons.externalDns.hostedZoneIds", "platform:data.buildAccess.branches"):
        if ed.has(key):
            ed.mark(key, change_me)
            out.copied.append(key)

    # The deploy runner: its roles are this environment's (GitHub OIDC trusts the environment by name), its
    # GitHub App connection is created once per account and Region in the console and cannot be derived.
    runner = src.deploy_runner
    if runner.enabled:
        for field_key, arn in (("deployRoleArn", runner.deploy_role_arn), ("readRoleArn", runner.read_role_arn)):
            key = f"platform:deployRunner.{field_key}"
            if arn and ed.has(key) and f"-{source}-" in arn:
                new_arn = arn.replace(f"-{source}-", f"-{name}-").replace(
                    f"::{src.environment.account}:", f"::{new_account}:"
                )
                ed.set(key, new_arn)
                out.derived.append(f"{key}: {new_arn}")
        if ed.has("platform:deployRunner.connectionArn"):
            ed.mark("platform:deployRunner.connectionArn", change_me)
            out.copied.append("platform:deployRunner.connectionArn")

    # The account's GitHub OIDC provider: one per account.
    build = src.data.build_access
    if build is not None:
        creator = _oidc_creator(files, new_account)
        key = "platform:data.buildAccess.oidcProviderArn"
        if creator:
            arn = GITHUB_OIDC.format(account=new_account)
            if ed.has(key):
                ed.set(key, arn)
            else:
                ed.insert_into("platform:data.buildAccess", f"oidcProviderArn: {arn}  # {creator} creates it")
            out.derived.append(f"{key}: {arn} (Pulumi.{creator}.yaml creates the provider of this account)")
        elif ed.has(key):
            ed.remove(key)
            out.derived.append(f"{key}: left out (this stack creates the account's GitHub OIDC provider)")

    text = ed.text()
    if account and account != src.environment.account:
        # Roles and images of the new account: same names, the account swapped.
        text = text.replace(f"::{src.environment.account}:", f"::{account}:")
    header = (
        f"# {name}: created by `platformctl env new {name} --from {source}`; the comments below are {source}'s.\n"
        f"# Values marked '{change_me}' could not be derived: set them ({name}'s plan warns until they differ).\n"
    )
    new_path = project / f"Pulumi.{name}.yaml"
    out.files[new_path] = header + text

    # Its policy config: the source's, or a production stack's for a production environment.
    policy_src = _policy_source(project, files, source, src.production, production)
    if policy_src is not None:
        out.files[project / "policies" / "config" / f"{name}.json"] = policy_src.read_text()
    # Its platform/ values (the GitOps ApplicationSets pick them by the cluster's environment label).
    for chart in ("teams", "workloads"):
        path = project / "platform" / chart / f"values-{source}.yaml"
        if path.is_file():
            out.files[path.with_name(f"values-{name}.yaml")] = _platform_values(
                path.read_text(),
                src,
                name,
                region,
                new_account,
                derive_domain(domain, source, name) if domain else None,
            )
    for path, text in out.files.items():
        if path.parent.name == "workloads" and "certificateArn" in text:
            out.copied.append(f"platform/workloads/{path.name}: the certificateArn entries")

    # Its CI: the source's deploy and drift jobs, for the new stack (on its own deploy runner when it has one).
    for workflow in WORKFLOWS:
        path = project / workflow
        if not path.is_file():
            continue
        before = path.read_text()
        after, jobs = copy_stack_jobs(before, source, name, (src.region, region))
        if jobs:
            out.edits[path] = (before, after)
            out.derived.append(f"{workflow}: jobs {', '.join(jobs)} (copies of {source}'s)")

    _validate_before_writing(project, out, new_path, name)
    return out


# The workflows with one job per stack and operation (deploy, real preview, drift check).
WORKFLOWS = (".github/workflows/deploy.yml", ".github/workflows/drift.yml")
_JOB_HEADER = re.compile(r"^  ([A-Za-z0-9_-]+):[ \t]*(#.*)?$")


def _job_blocks(lines: list[str]) -> list[tuple[str, int, int]]:
    """(job name, first line, end line) of each job under the top-level `jobs:` of a workflow; a job's trailing
    blank lines and the comment lines introducing the next job are not part of it."""
    try:
        start = next(i for i, line in enumerate(lines) if line.rstrip() == "jobs:")
    except StopIteration:
        return []
    headers = []
    end_of_jobs = len(lines)
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if line.strip() and not line.startswith(" "):
            end_of_jobs = i
            break
        match = _JOB_HEADER.match(line.rstrip("\n"))
        if match:
            headers.append((match.group(1), i))
    blocks = []
    for k, (job, first) in enumerate(headers):
        end = headers[k + 1][1] if k + 1 < len(headers) else end_of_jobs
        while end > first + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("  #")):
            end -= 1
        blocks.append((job, first, end))
    return blocks


def copy_stack_jobs(text: str, source: str, name: str, regions: tuple[str, str] | None = None) -> tuple[str, list[str]]:
    """A workflow with a copy of each job of `source` (named `<operation>-<source>`, running `platformctl <command>
    <source>`; fleet jobs are not a stack's) for the stack `name`, placed after the source's jobs; and the new jobs'
    names. The copy says `name` wherever the job said `source` as a word (job names, needs, environment, runner
    label, session names, the command), never inside a path such as /dev/null; with `regions` (source's, the new
    stack's), the quoted Region a job falls back on is the new stack's. Nothing changes when `name` already has jobs
    or `source` has none."""
    lines = text.splitlines(keepends=True)
    blocks = _job_blocks(lines)
    command = re.compile(rf"platformctl (?:up|preview|drift|refresh) {re.escape(source)}(?![\w-])")
    mine = [b for b in blocks if b[0].endswith(f"-{source}") and command.search("".join(lines[b[1] : b[2]]))]
    if not mine or any(job.endswith(f"-{name}") for job, _, _ in blocks):
        return text, []
    word = re.compile(rf"(?<![\w/.]){re.escape(source)}(?![\w/])")
    copies = [word.sub(name, "".join(lines[first:end])) for _, first, end in mine]
    if regions is not None and regions[0] != regions[1]:
        copies = [c.replace(f"'{regions[0]}'", f"'{regions[1]}'") for c in copies]
    jobs = [_JOB_HEADER.match(c.splitlines()[0]).group(1) for c in copies]  # type: ignore[union-attr]
    at = mine[-1][2]
    head, tail = "".join(lines[:at]), "".join(lines[at:])
    if not head.endswith("\n"):
        head += "\n"
    return head + "".join("\n" + c for c in copies) + tail, jobs


def _oidc_creator(files: dict[str, Path], account: str) -> str | None:
    for stack, path in files.items():
        try:
            cfg = validate(read_stack_file(path), stack)
        except ConfigError:
            continue
        build = cfg.data.build_access
        if cfg.environment.account == account and build is not None and build.oidc_provider_arn is None:
            return stack
    return None


def _policy_source(project: Path, files: dict[str, Path], source: str, src_prod: bool, production: bool) -> Path | None:
    config_dir = project / "policies" / "config"
    if production and not src_prod:
        for stack, path in files.items():
            try:
                if validate(read_stack_file(path), stack).production and (config_dir / f"{stack}.json").is_file():
                    return config_dir / f"{stack}.json"
            except ConfigError:
                continue
    path = config_dir / f"{source}.json"
    return path if path.is_file() else None


def _platform_values(text: str, src, name: str, region: str, account: str, domain: str | None) -> str:
    """A platform/ values file of the source for the new environment: its name, domain, account and Region."""
    lines = []
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped == f"environment: {src.environment.name}":
            line = line.replace(f"environment: {src.environment.name}", f"environment: {name}")
        elif domain and src.gitops.domain and stripped == f"domain: {src.gitops.domain}":
            line = line.replace(src.gitops.domain, domain)
        elif ".dkr.ecr." in line or "arn:aws:acm:" in line:
            line = line.replace(src.environment.account, account).replace(f".{src.region}.", f".{region}.")
            line = line.replace(f":{src.region}:", f":{region}:")
            if "arn:aws:acm:" in line:
                line = line.rstrip("\n") + f"  # {CHANGE_ME.format(source=src.environment.name)}\n"
        lines.append(line)
    header = f"# {name}: created by `platformctl env new {name} --from {src.environment.name}`.\n"
    return header + "".join(lines)


def _validate_before_writing(project: Path, out: NewEnvironment, new_path: Path, name: str) -> None:
    """Validate the new stack file as it will be (on its own and next to the others) without writing it."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / new_path.name
        path.write_text(out.files[new_path])
        validate_file(path, name, project)


def write(env: NewEnvironment) -> list[Path]:
    """Write every file of a new environment (none of them exists yet) and its edits of existing files (the
    workflows), all or nothing."""
    existing = [p for p in env.files if p.exists()]
    if existing:
        raise EnvError([f"error: {p} exists already; nothing was written" for p in existing])
    changed = [p for p, (before, _) in env.edits.items() if p.read_text() != before]
    if changed:
        raise EnvError([f"error: {p} changed while the environment was prepared; nothing was written" for p in changed])
    written: list[Path] = []
    edited: list[Path] = []
    try:
        for path, text in env.files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(path)
        for path, (_, text) in env.edits.items():
            edited.append(path)
            path.write_text(text)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        for path in edited:  # put back what was there
            path.write_text(env.edits[path][0])
        raise EnvError(f"error: cannot write {exc.filename}: {exc.strerror}; nothing was written") from None
    return [*written, *edited]


# ------------------------------------------------------------------------------------------- env list


@dataclass
class StackRow:
    stack: str
    path: Path
    config: Any = None  # StackConfig, or None when invalid
    problems: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # flattened config key -> value
    gitops: list[str] = field(default_factory=list)  # the ApplicationSets that select its cluster

    def summary(self) -> dict[str, Any]:
        c = self.config
        if c is None:
            return {"stack": self.stack, "valid": False, "problems": self.problems}
        return {
            "stack": self.stack,
            "valid": True,
            "environment": c.environment.name,
            "production": c.production,
            "account": c.environment.account,
            "region": c.region,
            "vpcCidr": c.network.vpc_cidr,
            "azCount": c.network.az_count,
            "kubernetes": c.cluster.version,
            "domain": c.gitops.domain,
            "gitops": self.gitops,
            "warnings": [w.line() for w in c.warnings],
        }


def flatten(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out or {prefix: {}}
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def list_environments(project: Path) -> list[StackRow]:
    rows = []
    appsets = application_sets(project)
    for stack, path in sorted(stack_files(project).items()):  # by stack name: "prod" before "prod-apse1"
        row = StackRow(stack, path)
        try:
            raw = read_stack_file(path)
            row.values = flatten({k: v for k, v in raw.items()}, "")
            row.config, _ = validate_file(path, stack, project)
            row.gitops = selected_by(row.config, appsets)
        except ConfigError as exc:
            row.problems = exc.lines
        rows.append(row)
    return rows


def differences(rows: list[StackRow]) -> dict[str, dict[str, Any]]:
    """Config key -> stack -> value, for every key whose value is not the same in every stack."""
    keys = sorted({k for r in rows for k in r.values})
    missing = object()
    out = {}
    for key in keys:
        seen = {r.stack: r.values.get(key, missing) for r in rows}
        if len({json.dumps(v, sort_keys=True, default=str) for v in seen.values() if v is not missing}) > 1 or (
            missing in seen.values()
        ):
            out[key] = {s: (None if v is missing else v) for s, v in seen.items()}
    return out


# ------------------------------------------------------------------------------------------- GitOps selection


def selects(selector: dict, labels: dict[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels AND matchExpressions In/NotIn/Exists/DoesNotExist) on labels."""
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for e in selector.get("matchExpressions") or []:
        present, value = e["key"] in labels, labels.get(e["key"])
        ok = {
            "In": present and value in e.get("values", []),
            "NotIn": not present or value not in e.get("values", []),
            "Exists": present,
            "DoesNotExist": not present,
        }.get(e["operator"], False)
        if not ok:
            return False
    return True


def application_sets(project: Path) -> dict[str, list[dict]]:
    """ApplicationSet name -> the label selectors of its cluster generators (platform/bootstrap/)."""
    import yaml

    out: dict[str, list[dict]] = {}
    for path in sorted((project / "platform" / "bootstrap").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not isinstance(doc, dict) or doc.get("kind") != "ApplicationSet":
                continue
            generators = (doc.get("spec") or {}).get("generators") or []
            selectors = [(g.get("clusters") or {}).get("selector") or {} for g in generators if "clusters" in g]
            out[doc["metadata"]["name"]] = selectors
    return out


def selected_by(cfg: Any, appsets: dict[str, list[dict]]) -> list[str]:
    """The ApplicationSets that select this stack's cluster Secret (as Pulumi labels it)."""
    from components.addons.catalog import enabled_addons
    from components.gitops import cluster_secret_labels

    if not cfg.gitops.enabled:
        return []
    labels = cluster_secret_labels(
        cfg.environment.name, [*enabled_addons(cfg.addons, cfg.production), *cfg.gitops.addons]
    )
    return [name for name, selectors in appsets.items() if any(selects(s, labels) for s in selectors)]
