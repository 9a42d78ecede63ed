"""Regenerate the engine event recordings the fake `pulumi` replays (tests/cli/fake_pulumi/recordings/*.jsonl).

    .venv/bin/python tests/cli/fake_pulumi/make_recordings.py

The events follow the JSON schema the Pulumi CLI writes to `--event-log` (Go `apitype.EngineEvent`, which
`pulumi.automation.events.EngineEvent.from_json` reads): camelCase keys, exactly one payload per event,
`sequence`/`timestamp` filled in by the fake at replay time. The resources are the real ones of this project:
the `dev` stack's network component from the offline plan (platformctl.engine), so URNs, types, parents and
providers are what a real engine would report. The stack name is written as `__STACK__` (also in resource names)
and substituted by the fake. Policy events carry the engine's raw colour tags, as a real event log does.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(__file__).resolve().parent / "recordings"
STACK_TYPE = "pulumi:pulumi:Stack"
AWS_PACK, AWS_PACK_VERSION = "eks-platform-aws", "0.1.0"
K8S_PACK = "eks-platform-kubernetes"


def placeholder(text: str, stack: str = "dev") -> str:
    return re.sub(rf"(?<![A-Za-z0-9]){stack}(?![A-Za-z0-9])", "__STACK__", text)


def resources() -> list[dict]:
    sys.path.insert(0, str(ROOT))
    from platformctl.engine import run_plan

    plan = run_plan("dev", project_dir=ROOT)
    network = [r for r in plan.resources if r.component == "dev-network"]
    stack_urn = "urn:pulumi:dev::eks-platform::pulumi:pulumi:Stack::eks-platform-dev"
    out = [{"urn": stack_urn, "type": STACK_TYPE, "parent": "", "provider": "", "custom": False, "inputs": {}}]
    picked, per_type = [], {}
    for r in network:  # a dozen resources of typical types: enough to exercise every display path
        if per_type.get(r.type, 0) < (2 if r.type == "aws:ec2/subnet:Subnet" else 1):
            per_type[r.type] = per_type.get(r.type, 0) + 1
            picked.append(r)
    for r in picked[:14]:
        out.append(
            {
                "urn": r.urn,
                "type": r.type,
                "parent": r.parent or stack_urn,
                "provider": f"{r.provider}::04da6b54-80e4-46f7-96ec-b56ff0331ba9" if r.provider else "",
                "custom": r.custom,
                "inputs": {k: v for k, v in r.inputs.items() if k in ("cidrBlock", "tags", "retentionInDays")},
            }
        )
    return [json.loads(placeholder(json.dumps(r))) for r in out]


def state(r: dict, with_outputs: bool) -> dict:
    doc = {
        "type": r["type"],
        "urn": r["urn"],
        "id": f"{r['type'].rsplit(':', 1)[-1].lower()}-0123456789abcdef" if with_outputs and r["custom"] else "",
        "parent": r["parent"],
        "provider": r["provider"],
        "inputs": r["inputs"],
        "outputs": dict(r["inputs"]) if with_outputs else {},
    }
    if r["custom"]:
        doc["custom"] = True
    return doc


def step(op: str, r: dict, *, planning: bool, outputs: bool, diffs: list[str] | None = None) -> dict:
    md = {
        "op": op,
        "urn": r["urn"],
        "type": r["type"],
        "provider": r["provider"],
        "old": state(r, True) if op in ("same", "update", "delete", "refresh") else None,
        "new": state(r, outputs) if op != "delete" else None,
        "detailedDiff": {d: {"diffKind": "update", "inputDiff": False} for d in (diffs or [])} or None,
    }
    if diffs:
        md["diffs"] = diffs
    return {"metadata": md, **({"planning": True} if planning else {})}


def policy(r: dict, name: str, description: str, message: str, level: str, pack: str = AWS_PACK) -> dict:
    return {
        "policyEvent": {
            "resourceUrn": r["urn"],
            "message": f"<{{%fg 12%}}>{description}\n{message}<{{%reset%}}>\n",
            "color": "raw",
            "policyName": name,
            "policyPackName": pack,
            "policyPackVersion": AWS_PACK_VERSION,
            "policyPackVersionTag": AWS_PACK_VERSION,
            "enforcementLevel": level,
        }
    }


def prelude() -> dict:
    return {"preludeEvent": {"config": {"aws:region": "eu-west-1", "platform:environment": '{"name":"__STACK__"}'}}}


def summary(changes: dict[str, int], packs: bool = False, preview: bool = True) -> dict:
    doc: dict = {"maybeCorrupt": False, "durationSeconds": 3, "resourceChanges": changes, "isPreview": preview}
    doc["PolicyPacks"] = {AWS_PACK: f"v{AWS_PACK_VERSION}", K8S_PACK: f"v{AWS_PACK_VERSION}"} if packs else {}
    return {"summaryEvent": doc}


def write(name: str, events: list[dict]) -> None:
    from pulumi.automation.events import EngineEvent

    OUT.mkdir(exist_ok=True)
    lines = []
    for e in events:
        EngineEvent.from_json({"sequence": 0, "timestamp": 0, **e})  # every event must parse with the SDK
        lines.append(json.dumps(e, sort_keys=True))
    (OUT / f"{name}.jsonl").write_text("\n".join(lines) + "\n")
    print(f"{name}: {len(lines)} events")


def main() -> None:
    rs = resources()
    n = len(rs)
    vpc = next(r for r in rs if r["type"] == "aws:ec2/vpc:Vpc")
    logs = next(r for r in rs if r["type"] == "aws:cloudwatch/logGroup:LogGroup")
    subnet = next(r for r in rs if r["type"] == "aws:ec2/subnet:Subnet")

    preview = [prelude()]
    for r in rs:
        preview.append({"resourcePreEvent": step("create", r, planning=True, outputs=False)})
        preview.append({"resOutputsEvent": step("create", r, planning=True, outputs=False)})
    preview.append(
        {
            "diagnosticEvent": {
                "urn": logs["urn"],
                "message": "<{%fg 3%}>retention of 7 days is short for audit purposes<{%reset%}>\n",
                "color": "raw",
                "severity": "warning",
            }
        }
    )
    preview.append(
        policy(
            vpc,
            "required-tags",
            "Taggable AWS resources carry the required cost/ownership tags.",
            "missing tag(s) cost-center; set them in platform:tags",
            "mandatory",
        )
    )
    preview.append(
        policy(
            logs,
            "log-group-retention",
            "CloudWatch log groups keep logs long enough.",
            "retentionInDays is 7; set at least 30",
            "advisory",
        )
    )
    preview.append(summary({"create": n}, packs=True))
    preview.append({"cancelEvent": {}})
    write("preview", preview)

    up = [prelude()]
    for r in rs:
        up.append({"resourcePreEvent": step("create", r, planning=False, outputs=False)})
        up.append({"resOutputsEvent": step("create", r, planning=False, outputs=True)})
    up += [summary({"create": n}, preview=False), {"cancelEvent": {}}]
    write("up", up)

    refresh = [prelude()]
    for r in rs:
        refresh.append({"resourcePreEvent": step("refresh", r, planning=False, outputs=True)})
        diffs = ["tags"] if r is subnet else None
        refresh.append({"resOutputsEvent": step("refresh", r, planning=False, outputs=True, diffs=diffs)})
    refresh += [summary({"same": n - 1, "update": 1}, preview=False), {"cancelEvent": {}}]
    write("refresh", refresh)

    drift = [prelude()]
    for r in rs:
        diffs = ["tags"] if r is subnet else None
        drift.append({"resourcePreEvent": step("refresh", r, planning=True, outputs=True)})
        drift.append({"resOutputsEvent": step("refresh", r, planning=True, outputs=True, diffs=diffs)})
    drift += [summary({"same": n - 1, "update": 1}), {"cancelEvent": {}}]
    write("drift", drift)
    no_drift = [e for e in drift if "summaryEvent" not in e]
    for e in no_drift:
        md = (e.get("resOutputsEvent") or {}).get("metadata")
        if md:
            md.pop("diffs", None)
            md["detailedDiff"] = None
    no_drift.insert(-1, summary({"same": n}))
    write("drift-none", no_drift)

    destroy = [prelude()]
    for r in reversed(rs):
        destroy.append({"resourcePreEvent": step("delete", r, planning=False, outputs=False)})
        destroy.append({"resOutputsEvent": step("delete", r, planning=False, outputs=False)})
    destroy += [summary({"delete": n}, preview=False), {"cancelEvent": {}}]
    write("destroy", destroy)

    provider = next(r for r in rs if r["provider"])["provider"].rsplit("::", 1)[0]
    no_creds = [
        prelude(),
        {"resourcePreEvent": step("create", rs[0], planning=True, outputs=False)},
        {
            "diagnosticEvent": {
                "urn": provider,
                "prefix": "error: ",
                "message": "<{%reset%}>pulumi:providers:aws resource 'aws' has a problem: No valid credential "
                "sources found.\nPlease see https://www.pulumi.com/registry/packages/aws/installation-configuration/ "
                "for more information about providing credentials.<{%reset%}>\n",
                "color": "raw",
                "severity": "error",
            }
        },
        {
            "resOpFailedEvent": {
                "metadata": step("create", rs[1], planning=True, outputs=False)["metadata"],
                "status": 1,
                "steps": 0,
            }
        },
        summary({"create": 1}),
        {"cancelEvent": {}},
    ]
    write("preview-no-credentials", no_creds)


def upgrade_recordings() -> None:
    """`upgrade-stage-<n>[-<pool>].jsonl`: what each step of `platformctl upgrade prod --to 1.36` changes, from the
    offline plan diffs of that upgrade (platformctl.upgrade.dry_run): the fake replays one per step (selected by the
    step in the update message), for its preview and its update alike."""
    sys.path.insert(0, str(ROOT))
    from components.config import load_stack_config
    from platformctl import upgrade

    cfg = load_stack_config("prod", project_dir=ROOT)
    text = (ROOT / "Pulumi.prod.yaml").read_text()
    plan = upgrade.plan_upgrade(cfg, "prod", "1.36", resume=False)
    result = upgrade.dry_run(cfg, text, plan, ROOT, insights=None)
    for step, changes in result.changes:
        events = [prelude()]
        for c in changes:
            r = {
                "urn": c.urn,
                "type": c.type,
                "parent": "",
                "provider": "",
                "custom": True,
                "inputs": {},
            }
            r = json.loads(placeholder(json.dumps(r), "prod"))
            diffs = sorted({d.split(":", 1)[0].split(".", 1)[0].split("[", 1)[0] for d in c.details})
            events.append({"resourcePreEvent": step_event(c.op, r, diffs)})
            events.append({"resOutputsEvent": step_event(c.op, r, diffs)})
        events += [summary({"update": len(changes)}), {"cancelEvent": {}}]
        write(f"upgrade-stage-{step.stage}" + (f"-{step.pool}" if step.pool else "-hold" if step.hold else ""), events)


def step_event(op: str, r: dict, diffs: list[str]) -> dict:
    return step(op, r, planning=True, outputs=False, diffs=diffs or None)


if __name__ == "__main__":
    main()
    upgrade_recordings()
