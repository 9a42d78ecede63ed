"""The fake pulumi's recordings follow the real engine event schema (pulumi.automation.events)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pulumi.automation.events import EngineEvent, OpType

RECORDINGS = sorted((Path(__file__).parent / "fake_pulumi" / "recordings").glob("*.jsonl"))
PAYLOADS = {
    "cancelEvent",
    "stdoutEvent",
    "diagnosticEvent",
    "preludeEvent",
    "summaryEvent",
    "resourcePreEvent",
    "resOutputsEvent",
    "resOpFailedEvent",
    "policyEvent",
}


def test_there_are_recordings():
    assert {p.stem for p in RECORDINGS} >= {"preview", "up", "refresh", "drift", "drift-none", "destroy"}


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_every_event_parses_with_the_sdk_and_has_one_payload(path):
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert events[0].keys() == {"preludeEvent"}
    assert events[-1].keys() == {"cancelEvent"}
    assert sum("summaryEvent" in e for e in events) == 1
    for e in events:
        assert len(e) == 1 and set(e) <= PAYLOADS, e.keys()
        parsed = EngineEvent.from_json({"sequence": 1, "timestamp": 0, **e})
        for key in ("resource_pre_event", "res_outputs_event"):
            payload = getattr(parsed, key)
            if payload is not None:
                assert isinstance(payload.metadata.op, OpType)
                assert payload.metadata.urn.startswith("urn:pulumi:__STACK__::eks-platform::")
