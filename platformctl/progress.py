"""Progress of Pulumi operations, fed by the engine's event stream, and its renderings.

* `StackProgress` is the state of one stack's operation, built only from `pulumi.automation.events.EngineEvent`s
  (`handle` is the Automation API's `on_event` callback; it is called from the SDK's event thread).
* Reporters show it while it runs: `LiveReporter` (rich live display on a terminal: resources done/total by
  operation, the slowest operations in flight with their elapsed time, diagnostics and policy events as they
  arrive), `LineReporter` (one line per notable event, for logs and CI), `JsonReporter` (`--json`: one JSON object
  per line, every engine event and a final result per stack).
* `render_summary` (the final table), `render_markdown` (the pull-request comment: change summary plus the same
  policy report as `platformctl policy --format markdown`) and `result_dict` (machine-readable result).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from platformctl.errors import PlatformError, plain_text

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

# Operations in the order a summary lists them, with the verb shown while one is in flight.
OP_ORDER = (
    "create",
    "update",
    "replace",
    "create-replacement",
    "delete-replaced",
    "delete",
    "read",
    "refresh",
    "import",
    "same",
)
OP_VERB = {
    "create": "creating",
    "update": "updating",
    "replace": "replacing",
    "create-replacement": "creating replacement",
    "delete-replaced": "deleting original",
    "delete": "deleting",
    "read": "reading",
    "read-replacement": "reading",
    "refresh": "refreshing",
    "import": "importing",
    "import-replacement": "importing",
    "discard": "discarding",
    "discard-replaced": "discarding",
    "remove-pending-replace": "cleaning up",
}
OP_SYMBOL = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "same": "=", "read": ">", "import": "="}
# Steps that change nothing, and steps that only make sense as part of a replacement.
NO_CHANGE_OPS = {"same", "read", "refresh", "discard", "discard-replaced", "remove-pending-replace"}
MUTATING_OPERATIONS = {"up", "refresh", "destroy"}
SLOW_AFTER_SECONDS = 10.0


def _op(value: Any) -> str:
    return value.value if isinstance(value, Enum) else str(value or "")


def urn_type_name(urn: str) -> tuple[str, str]:
    """`urn:pulumi:dev::eks-platform::a$b:c/d:E::name` -> ("b:c/d:E", "name")."""
    parts = (urn or "").split("::")
    if len(parts) < 4:
        return "", urn or ""
    return parts[2].rsplit("$", 1)[-1], parts[3]


@dataclass(frozen=True)
class PolicyViolation:
    """One policy event of the engine (pulumi.automation.events.PolicyEvent), colour tags stripped."""

    pack: str
    pack_version: str
    policy: str
    level: str  # mandatory | advisory | ... as the engine reports it
    message: str  # what is wrong (the policy description removed when the SDK prefixed it)
    description: str
    urn: str

    @classmethod
    def from_event(cls, event: Any) -> PolicyViolation:
        text = plain_text(event.message).strip()
        description, _, message = text.partition("\n")
        if not message:
            description, message = "", description
        return cls(
            pack=event.policy_pack_name,
            pack_version=event.policy_pack_version,
            policy=event.policy_name,
            level=(event.enforcement_level or "advisory").lower(),
            message=message.strip(),
            description=description.strip(),
            urn=event.resource_urn or "",
        )

    @property
    def mandatory(self) -> bool:
        return self.level == "mandatory"

    def line(self) -> str:
        rtype, name = urn_type_name(self.urn)
        where = f"{name} ({rtype})" if self.urn else "(stack)"
        return f"{self.level} {self.policy}: {where}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        rtype, name = urn_type_name(self.urn)
        return {
            "pack": self.pack,
            "packVersion": self.pack_version,
            "policy": self.policy,
            "level": self.level,
            "message": self.message,
            "description": self.description,
            "urn": self.urn,
            "type": rtype,
            "name": name,
        }


@dataclass(frozen=True)
class Change:
    op: str
    urn: str
    diffs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        rtype, name = urn_type_name(self.urn)
        return {"op": self.op, "urn": self.urn, "type": rtype, "name": name, "diffs": list(self.diffs)}


@dataclass
class StackProgress:
    """One stack's operation as the engine reports it. Mutated from the SDK's event thread; read by displays."""

    stack: str  # as the user named it
    short: str
    operation: str  # preview | up | refresh | destroy | drift
    total_hint: int | None = None  # resources expected (e.g. from a preview run just before)
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    status: str = "waiting"  # waiting | running | succeeded | failed | cancelled
    attempts: int = 0
    seen: set[str] = field(default_factory=set)
    done: Counter = field(default_factory=Counter)
    failed_ops: Counter = field(default_factory=Counter)
    in_flight: dict[str, tuple[str, float]] = field(default_factory=dict)  # urn -> (op, started)
    changes: list[Change] = field(default_factory=list)
    diagnostics: list[tuple[str, str, str]] = field(default_factory=list)  # (severity, urn, message)
    policy: list[PolicyViolation] = field(default_factory=list)
    summary_changes: dict[str, int] | None = None
    policy_packs: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: PlatformError | None = None
    state_note: str | None = None  # after an interrupt: what state the stack is in
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    listeners: list[Any] = field(default_factory=list, repr=False)

    # ---------------------------------------------------------------- events

    def begin_attempt(self) -> None:
        with self.lock:
            self.attempts += 1
            self.status = "running"
            self.started = time.monotonic() if self.attempts == 1 else self.started
            self.seen.clear()
            self.done.clear()
            self.failed_ops.clear()
            self.in_flight.clear()
            self.changes.clear()
            self.diagnostics.clear()
            self.policy.clear()
            self.summary_changes = None

    def handle(self, event: Any) -> None:
        """The Automation API's `on_event`: fold one EngineEvent into the state, then tell the listeners."""
        now = time.monotonic()
        with self.lock:
            if event.resource_pre_event is not None:
                md = event.resource_pre_event.metadata
                op = _op(md.op)
                self.seen.add(md.urn)
                if op not in NO_CHANGE_OPS or op == "refresh":
                    self.in_flight[md.urn] = (op, now)
            elif event.res_outputs_event is not None:
                md = event.res_outputs_event.metadata
                op = _op(md.op)
                self.seen.add(md.urn)
                self.done[op] += 1
                self.in_flight.pop(md.urn, None)
                diffs = tuple(md.diffs or ()) or tuple((md.detailed_diff or {}).keys())
                if op not in NO_CHANGE_OPS or (op == "refresh" and diffs):
                    self.changes.append(Change(op if op != "refresh" else "update", md.urn, diffs))
            elif event.res_op_failed_event is not None:
                md = event.res_op_failed_event.metadata
                self.failed_ops[_op(md.op)] += 1
                self.in_flight.pop(md.urn, None)
            elif event.diagnostic_event is not None:
                d = event.diagnostic_event
                if d.severity in ("warning", "error") and not d.ephemeral:
                    self.diagnostics.append((d.severity, d.urn or "", plain_text(d.message).strip()))
            elif event.policy_event is not None:
                self.policy.append(PolicyViolation.from_event(event.policy_event))
            elif event.summary_event is not None:
                s = event.summary_event
                self.summary_changes = {_op(k): int(v) for k, v in (s.resource_changes or {}).items()}
                self.policy_packs = dict(s.policy_packs or {})
        for listener in list(self.listeners):
            listener(self, event)

    def finish(self, status: str, error: PlatformError | None = None) -> None:
        with self.lock:
            self.status = status
            self.error = error
            self.finished = time.monotonic()
            self.in_flight.clear()

    # ---------------------------------------------------------------- views

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def mandatory(self) -> list[PolicyViolation]:
        return [v for v in self.policy if v.mandatory]

    @property
    def advisory(self) -> list[PolicyViolation]:
        return [v for v in self.policy if not v.mandatory]

    def change_counts(self) -> dict[str, int]:
        """Resource changes by operation: the engine's summary when it sent one, else the steps seen."""
        if self.summary_changes is not None:
            counts = dict(self.summary_changes)
        else:
            counts = dict(self.done)
        return {op: n for op, n in sorted(counts.items(), key=lambda kv: _op_rank(kv[0])) if n}

    @property
    def changed(self) -> int:
        return sum(n for op, n in self.change_counts().items() if op not in NO_CHANGE_OPS)

    @property
    def drifted(self) -> list[Change]:
        """For a refresh preview: the resources whose real state differs from Pulumi's."""
        return [c for c in self.changes if c.op not in NO_CHANGE_OPS]

    def slow_operations(self, limit: int = 3) -> list[tuple[str, str, float]]:
        now = time.monotonic()
        with self.lock:
            items = sorted(self.in_flight.items(), key=lambda kv: kv[1][1])
        return [(op, urn, now - t0) for urn, (op, t0) in items[:limit]]

    @property
    def total(self) -> int:
        return max(len(self.seen), self.total_hint or 0)

    @property
    def completed(self) -> int:
        return sum(self.done.values()) + sum(self.failed_ops.values())


def _op_rank(op: str) -> int:
    return OP_ORDER.index(op) if op in OP_ORDER else len(OP_ORDER)


def format_changes(counts: dict[str, int]) -> str:
    parts = [f"{OP_SYMBOL.get(op, '')}{n} {op}".strip() for op, n in counts.items() if op != "same"]
    same = counts.get("same")
    if same:
        parts.append(f"{same} unchanged")
    return ", ".join(parts) if parts else "no changes"


def format_duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


# ------------------------------------------------------------------------------------------- machine output


def jsonable(value: Any) -> Any:
    """An Automation API event object as plain JSON (snake_case fields as the SDK names them, None dropped)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "__dict__"):
        return {k: jsonable(v) for k, v in vars(value).items() if v is not None and not k.startswith("_")}
    return value


def result_dict(p: StackProgress) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "result",
        "stack": p.stack,
        "operation": p.operation,
        "status": p.status,
        "attempts": p.attempts,
        "durationSeconds": round(p.elapsed, 3),
        "changes": p.change_counts(),
        "changed": p.changed,
        "resources": [c.to_dict() for c in p.changes],
        "policyViolations": [v.to_dict() for v in p.policy],
        "policyPacks": p.policy_packs,
        "diagnostics": [{"severity": s, "urn": u, "message": m} for s, u, m in p.diagnostics],
        "error": p.error.to_dict() if p.error else None,
        "stateAfterInterrupt": p.state_note,
    }
    if p.operation == "drift":
        doc["drifted"] = [c.to_dict() for c in p.drifted]
    return doc


# ------------------------------------------------------------------------------------------- reporters


class Reporter:
    """Shows operations while they run. Subclasses override the hooks; all are called from several threads."""

    def __init__(self) -> None:
        self.progresses: list[StackProgress] = []
        self._lock = threading.Lock()

    def track(self, p: StackProgress) -> StackProgress:
        with self._lock:
            self.progresses.append(p)
        p.listeners.append(self.on_event)
        return p

    def on_event(self, p: StackProgress, event: Any) -> None:
        pass

    def note(self, p: StackProgress | None, text: str) -> None:
        pass

    def finished(self, p: StackProgress) -> None:
        pass

    def __enter__(self) -> Reporter:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class JsonReporter(Reporter):
    """`--json`: one JSON object per line on stdout - every engine event, notes, and a result per stack."""

    def __init__(self, out: TextIO | None = None) -> None:
        super().__init__()
        self.out = out or sys.stdout

    def _emit(self, doc: dict[str, Any]) -> None:
        line = json.dumps(doc, sort_keys=True, default=str)
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()

    def on_event(self, p: StackProgress, event: Any) -> None:
        self._emit({"type": "event", "stack": p.stack, "operation": p.operation, "event": jsonable(event)})

    def note(self, p: StackProgress | None, text: str) -> None:
        self._emit({"type": "note", "stack": p.stack if p else None, "message": text})

    def finished(self, p: StackProgress) -> None:
        self._emit(result_dict(p))


class LineReporter(Reporter):
    """For logs (no terminal): one line per diagnostic, policy event, failed or slow step, and per stack result."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console

    def _print(self, p: StackProgress | None, text: str, style: str = "") -> None:
        prefix = f"[{p.stack}] " if p else ""
        with self._lock:
            self.console.print(f"{prefix}{text}", style=style or None, markup=False, highlight=False, soft_wrap=True)

    def on_event(self, p: StackProgress, event: Any) -> None:
        if event.diagnostic_event is not None:
            d = event.diagnostic_event
            if d.severity in ("warning", "error") and not d.ephemeral:
                rtype, name = urn_type_name(d.urn or "")
                where = f"{name} ({rtype}): " if d.urn else ""
                self._print(
                    p,
                    f"{d.severity}: {where}{plain_text(d.message).strip()}",
                    "red" if d.severity == "error" else "yellow",
                )
        elif event.policy_event is not None:
            v = p.policy[-1] if p.policy else PolicyViolation.from_event(event.policy_event)
            self._print(p, f"policy {v.line()}", "red" if v.mandatory else "yellow")
        elif event.res_op_failed_event is not None:
            md = event.res_op_failed_event.metadata
            rtype, name = urn_type_name(md.urn)
            self._print(p, f"failed to {_op(md.op)} {rtype} {name}", "red")

    def note(self, p: StackProgress | None, text: str) -> None:
        self._print(p, text, "cyan")

    def finished(self, p: StackProgress) -> None:
        verdict = {"succeeded": "green", "failed": "red", "cancelled": "yellow"}.get(p.status, "")
        self._print(
            p, f"{p.operation} {p.status} in {format_duration(p.elapsed)}: {format_changes(p.change_counts())}", verdict
        )


class LiveReporter(LineReporter):
    """A rich live display per stack (a terminal): progress, slow operations, latest diagnostics and policy events."""

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        from rich.live import Live

        self.live = Live(console=console, refresh_per_second=4, transient=False, get_renderable=self.render)

    def __enter__(self) -> LiveReporter:
        self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.stop()

    def on_event(self, p: StackProgress, event: Any) -> None:  # the live view shows everything
        pass

    def finished(self, p: StackProgress) -> None:
        pass

    def note(self, p: StackProgress | None, text: str) -> None:
        if p is not None:
            with p.lock:
                p.notes.append(text)
        else:
            self.live.console.print(text, style="cyan", markup=False)

    def render(self) -> RenderableType:
        from rich.console import Group
        from rich.panel import Panel
        from rich.spinner import Spinner
        from rich.table import Table
        from rich.text import Text

        panels = []
        with self._lock:
            progresses = list(self.progresses)
        for p in progresses:
            body = Table.grid(padding=(0, 1))
            body.add_column()
            head = Text()
            status_style = {"succeeded": "green", "failed": "bold red", "cancelled": "yellow"}.get(p.status, "cyan")
            head.append(f"{p.completed}/{p.total or '?'} done", style="bold")
            head.append(f"  {format_changes(p.change_counts())}")
            head.append(f"  {format_duration(p.elapsed)}", style="dim")
            if p.status == "running":
                body.add_row(Group(Spinner("dots", text=head)))
            else:
                body.add_row(Text(f"{p.status}: ", style=status_style) + head)
            for op, urn, secs in p.slow_operations():
                rtype, name = urn_type_name(urn)
                style = "yellow" if secs >= SLOW_AFTER_SECONDS else "dim"
                body.add_row(Text(f"  {OP_VERB.get(op, op)} {rtype} {name}  {format_duration(secs)}", style=style))
            with p.lock:
                diags = list(p.diagnostics[-3:])
                policy = list(p.policy[-4:])
                notes = list(p.notes[-2:])
            for severity, urn, message in diags:
                _, name = urn_type_name(urn)
                first = message.splitlines()[0] if message else ""
                body.add_row(
                    Text(
                        f"  {severity}: {name + ': ' if urn else ''}{first}",
                        style="red" if severity == "error" else "yellow",
                    )
                )
            for v in policy:
                body.add_row(Text(f"  policy {v.line()}", style="red" if v.mandatory else "yellow"))
            if len(p.policy) > len(policy):
                body.add_row(Text(f"  … {len(p.policy)} policy violations in all", style="dim"))
            for n in notes:
                body.add_row(Text(f"  {n}", style="cyan"))
            if p.error is not None:
                body.add_row(Text(p.error.message, style="red"))
            title = f"{p.stack} · {p.operation}"
            panels.append(Panel(body, title=title, title_align="left", border_style=status_style, expand=True))
        return Group(*panels)


def make_reporter(json_mode: bool, console: Console) -> Reporter:
    if json_mode:
        return JsonReporter()
    if console.is_terminal:
        return LiveReporter(console)
    return LineReporter(console)


# ------------------------------------------------------------------------------------------- final outputs


def render_summary(progresses: list[StackProgress], console: Console) -> None:
    """The final table: one row per stack with its result, changes by operation, policy violations and time."""
    from rich.text import Text

    from platformctl.tables import print_rows

    rows = []
    for p in progresses:
        style = {"succeeded": "green", "failed": "red", "cancelled": "yellow"}.get(p.status, "")
        result = p.status
        if p.operation == "drift" and p.status == "succeeded":
            result = f"{len(p.drifted)} drifted" if p.drifted else "no drift"
            style = "red" if p.drifted else "green"
        rows.append(
            (
                p.stack,
                p.operation,
                Text(result, style=style),
                format_changes(p.change_counts()),
                f"{len(p.mandatory)}/{len(p.advisory)}" if p.policy or p.policy_packs else "-",
                format_duration(p.elapsed),
            )
        )
    print_rows(
        console,
        "Summary",
        ("stack", "operation", "result", "changes", "policy M/A", "time"),
        rows,
        justify={4: "right", 5: "right"},
    )


# ------------------------------------------------------------------------------------------- approval

# The order an approval lists changes in: what is destroyed and rebuilt first, then what is destroyed.
APPROVAL_ORDER = ("replace", "delete", "create", "update", "import")
REPLACE_STEPS = frozenset(("replace", "create-replacement", "delete-replaced"))


def component_of(urn: str, environment: str) -> str:
    """The top-level component a resource belongs to (`dev-network`), from its logical name's prefix; `(stack)` for
    the stack's own resources (providers)."""
    from platformctl.fixhints import _component

    _, name = urn_type_name(urn)
    found = _component(name, environment)
    return f"{environment}-{found[0]}" if found else "(stack)"


def approval_lines(changes: list[Change], environment: str) -> list[str]:
    """Every resource a change list would create, replace, delete or update: replacements first, then deletions,
    creations and updates, each grouped by component; names in full."""
    by_op: dict[str, dict[str, list[str]]] = {}
    seen: set[tuple[str, str]] = set()
    for change in changes:
        op = "replace" if change.op in REPLACE_STEPS else change.op
        if op in NO_CHANGE_OPS or (op, change.urn) in seen:
            continue
        seen.add((op, change.urn))
        rtype, name = urn_type_name(change.urn)
        diffs = f" [{', '.join(change.diffs[:6])}]" if change.diffs else ""
        by_op.setdefault(op, {}).setdefault(component_of(change.urn, environment), []).append(
            f"{name} ({rtype}){diffs}"
        )
    out = []
    for op in sorted(by_op, key=lambda o: APPROVAL_ORDER.index(o) if o in APPROVAL_ORDER else len(APPROVAL_ORDER)):
        groups = by_op[op]
        out.append(f"{OP_SYMBOL.get(op, '')} {op} {sum(len(v) for v in groups.values())}:".lstrip())
        for component in sorted(groups):
            out.append(f"  {component}:")
            out += [f"    {item}" for item in sorted(groups[component])]
    return out or ["no changes"]


def print_approval(console: Console, title: str, lines: list[str]) -> None:
    """The approval list, on the progress console; long lines wrap in the terminal, nothing is cut."""
    console.print(title, markup=False, highlight=False, soft_wrap=True)
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)


# ------------------------------------------------------------------------------------------- markdown


def _md(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|").replace("\n", " ")


MAX_LISTED_CHANGES = 200


def render_markdown(
    progresses: list[StackProgress], project_dir: Path, *, policy_attached: bool, project: str = "eks-platform"
) -> str:
    """The pull-request comment for previews: per stack the change summary and changed resources, then the same
    policy report as `platformctl policy --format markdown` built from the engine's policy events. Also rendered
    when a preview failed (a mandatory violation makes `pulumi preview` fail): the error is shown above."""
    failed = [p for p in progresses if p.status != "succeeded"]
    icon = "❌" if failed else "✅"
    ops = sorted({p.operation for p in progresses})
    out = [f"# {icon} `platformctl {'/'.join(ops)}` of {', '.join(f'`{p.stack}`' for p in progresses)}", ""]
    out += [
        "| Stack | Result | Create | Update | Replace | Delete | Unchanged | Policy (mandatory/advisory) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for p in progresses:
        c = p.change_counts()
        result = "✅ succeeded" if p.status == "succeeded" else f"❌ {p.status}"
        policy = f"{len(p.mandatory)} / {len(p.advisory)}" if (policy_attached or p.policy) else "not checked"
        out.append(
            f"| `{p.stack}` | {result} | {c.get('create', 0)} | {c.get('update', 0)} | {c.get('replace', 0)} | "
            f"{c.get('delete', 0)} | {c.get('same', 0)} | {policy} |"
        )
    for p in progresses:
        out += ["", f"## `{p.stack}`: {p.operation} {p.status}", ""]
        if p.error is not None:
            out += ["```text", *[line for line in p.error.lines if line], "```", ""]
        if p.state_note:
            out += [f"> {_md(p.state_note)}", ""]
        out.append(f"**Changes:** {format_changes(p.change_counts())}")
        listed = [c for c in p.changes if c.op not in NO_CHANGE_OPS]
        if listed:
            out += ["", f"<details><summary>{len(listed)} resource change(s)</summary>", ""]
            for ch in listed[:MAX_LISTED_CHANGES]:
                rtype, name = urn_type_name(ch.urn)
                diff = f" ({', '.join(ch.diffs[:8])})" if ch.diffs else ""
                out.append(f"- `{OP_SYMBOL.get(ch.op, ch.op)}` **{_md(name)}** `{rtype}`{_md(diff)}")
            if len(listed) > MAX_LISTED_CHANGES:
                out.append(f"- … and {len(listed) - MAX_LISTED_CHANGES} more")
            out += ["", "</details>"]
        errors = [(u, m) for s, u, m in p.diagnostics if s == "error"]
        if errors:
            out += ["", "**Errors reported by the engine:**", ""]
            for urn, message in errors[:20]:
                rtype, name = urn_type_name(urn)
                out.append(f"- {f'**{_md(name)}** `{rtype}`: ' if urn else ''}{_md(message)}")
        if policy_attached or p.policy:
            out += ["", policy_markdown(p, project_dir, project=project).rstrip()]
    out += ["", "<sub>platformctl · policy events from the real engine run (`--policy-pack` per pack)</sub>", ""]
    return "\n".join(out)


def policy_markdown(p: StackProgress, project_dir: Path, *, project: str = "eks-platform") -> str:
    """The policy events of a run as `platformctl.reports.render_markdown` renders an offline policy check."""
    from platformctl.reports import render_markdown as render_policy_markdown

    return render_policy_markdown(policy_report(p, project_dir, project=project))


def policy_report(p: StackProgress, project_dir: Path, *, project: str = "eks-platform") -> Any:
    """A `platformctl.reports.PolicyReport` from a run's policy events (same shape as `platformctl policy`)."""
    from components.config import ConfigError, load_stack_config
    from platformctl.analyzer import Diagnostic
    from platformctl.policycheck import policy_config_path
    from platformctl.reports import PolicyReport, PolicySummary
    from policies.rules.config import POLICIES, PolicyConfigError, for_pack, load_config_file

    environment, production = p.short, False
    try:
        cfg = load_stack_config(p.short, project_dir=project_dir)
        environment, production = cfg.environment.name, cfg.production
    except ConfigError:
        pass
    config_path = policy_config_path(project_dir, p.short, environment)
    try:
        config = load_config_file(config_path) if config_path else {}
    except PolicyConfigError:
        config = {}
    packs = sorted({spec.pack for spec in POLICIES.values()} | {v.pack for v in p.policy})
    summaries = []
    for pack in packs:
        names = [n for n, spec in POLICIES.items() if spec.pack == pack]
        effective = for_pack(config, names)
        for name in names:
            props = dict(effective.get(name, {}))
            level = props.pop("enforcementLevel", POLICIES[name].default_level)
            summaries.append(PolicySummary(pack, name, POLICIES[name].description, level, POLICIES[name].stack, props))
    diagnostics = []
    for v in p.policy:
        rtype, name = urn_type_name(v.urn)
        spec = POLICIES.get(v.policy)
        description = v.description or (spec.description if spec else "")
        diagnostics.append(
            Diagnostic(
                pack=v.pack,
                policy=v.policy,
                level=v.level,
                message=v.message,
                urn=v.urn,
                description=description,
                resource_type=rtype,
                resource_name=name,
            )
        )
    from platformctl.fixhints import annotate

    stack_path = project_dir / f"Pulumi.{p.short}.yaml"
    diagnostics = annotate(diagnostics, environment, stack_path.read_text() if stack_path.is_file() else None)
    versions = {pack: p.policy_packs.get(pack, "").lstrip("v") for pack in packs}
    try:
        relative = config_path.resolve().relative_to(project_dir.resolve()).as_posix() if config_path else None
    except ValueError:
        relative = str(config_path)
    return PolicyReport(
        project=project,
        stack=p.short,
        environment=environment,
        production=production,
        stack_file=f"Pulumi.{p.short}.yaml",
        policy_config=relative,
        resources=len(p.seen),
        packs=versions,
        policies=summaries,
        diagnostics=diagnostics,
    )
