"""StackProgress folds engine events into what the displays and reports show (fed from the recordings)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pulumi.automation.events import EngineEvent

from platformctl import progress
from platformctl.progress import StackProgress

ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = Path(__file__).parent / "fake_pulumi" / "recordings"


def events(name: str, stack: str = "dev") -> list[EngineEvent]:
    text = (RECORDINGS / f"{name}.jsonl").read_text().replace("__STACK__", stack)
    return [
        EngineEvent.from_json({"sequence": i, "timestamp": 0, **json.loads(line)})
        for i, line in enumerate(text.splitlines())
    ]


def fed(name: str, operation: str = "preview") -> StackProgress:
    p = StackProgress("dev", "dev", operation)
    p.begin_attempt()
    for e in events(name):
        p.handle(e)
    return p


def test_preview_counts_changes_policy_and_diagnostics():
    p = fed("preview")
    assert p.change_counts() == {"create": 15}
    assert p.changed == 15 and p.completed == 15 and p.total == 15
    assert [v.policy for v in p.mandatory] == ["required-tags"]
    assert [v.policy for v in p.advisory] == ["log-group-retention"]
    v = p.mandatory[0]
    assert v.description.startswith("Taggable AWS resources") and v.message.startswith("missing tag(s)")
    assert v.line() == (
        "mandatory required-tags: dev-network-vpc (aws:ec2/vpc:Vpc): missing tag(s) cost-center; "
        "set them in platform:tags"
    )
    assert p.diagnostics == [
        (
            "warning",
            "urn:pulumi:dev::eks-platform::eks-platform:network:Network$aws:cloudwatch/logGroup:LogGroup::dev-network-flow-logs",
            "retention of 7 days is short for audit purposes",
        )
    ]
    assert p.policy_packs == {"eks-platform-aws": "v0.1.0", "eks-platform-kubernetes": "v0.1.0"}
    assert not p.in_flight


def test_in_flight_operations_are_the_slow_ones():
    p = StackProgress("dev", "dev", "up")
    p.begin_attempt()
    evs = events("up")
    for e in evs[:6]:  # prelude, then pre/outputs pairs: the third resource is in flight
        p.handle(e)
    slow = p.slow_operations()
    assert [op for op, _, _ in slow] == ["create"]
    assert slow[0][1].endswith("::dev-network-default-sg")


def test_drift_from_a_refresh_preview():
    p = fed("drift", "drift")
    assert [c.urn.rsplit("::", 1)[-1] for c in p.drifted] == ["dev-network-private-0"]
    assert p.drifted[0].diffs == ("tags",)
    assert fed("drift-none", "drift").drifted == []


def test_a_retry_starts_from_scratch():
    p = fed("preview")
    p.begin_attempt()
    assert p.attempts == 2 and not p.policy and not p.changes and p.summary_changes is None


def test_result_dict_and_jsonable_are_json():
    p = fed("preview")
    p.finish("failed")
    doc = progress.result_dict(p)
    json.dumps(doc)
    assert doc["changes"] == {"create": 15} and len(doc["policyViolations"]) == 2
    assert (
        json.loads(json.dumps(progress.jsonable(events("preview")[1])))["resource_pre_event"]["metadata"]["op"]
        == "create"
    )


def test_live_display_renders_every_state():
    from rich.console import Console

    console = Console(file=io.StringIO(), width=120, force_terminal=True)
    reporter = progress.LiveReporter(console)
    running = reporter.track(StackProgress("dev", "dev", "up"))
    running.begin_attempt()
    for e in events("up")[:8]:
        running.handle(e)
    done = reporter.track(fed("preview"))
    done.finish("failed")
    console.print(reporter.render())
    out = console.file.getvalue()
    assert "dev · up" in out and "creating" in out and "policy mandatory required-tags" in out


def test_markdown_report_without_policy():
    p = fed("up", "up")
    p.finish("succeeded")
    md = progress.render_markdown([p], ROOT, policy_attached=False)
    assert md.startswith("# ✅ `platformctl up` of `dev`")
    assert "not checked" in md and "Policy check" not in md


@pytest.mark.parametrize(("seconds", "text"), [(5, "5s"), (75, "1m15s"), (3720, "1h02m")])
def test_format_duration(seconds, text):
    assert progress.format_duration(seconds) == text


def test_format_changes():
    assert progress.format_changes({"create": 2, "update": 1, "same": 7}) == "+2 create, ~1 update, 7 unchanged"
    assert progress.format_changes({}) == "no changes"
