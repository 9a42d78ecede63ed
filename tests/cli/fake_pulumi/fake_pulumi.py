"""A fake `pulumi` CLI for platformctl's tests: answers the commands the Automation API runs, instantly.

The tests put a `pulumi` shim first on PATH that runs this script with the test's Python. Every invocation
appends its argv, cwd and start time to `$FAKE_PULUMI_STATE/calls.jsonl` (and its end time to `ends.jsonl`);
the backend's stacks live in `$FAKE_PULUMI_STATE/backend.json`; the test's scenario is
`$FAKE_PULUMI_STATE/scenario.json`:

    {
      "version": "3.272.0",                 # `pulumi version` (> 3.205: events over gRPC, else to a file)
      "stacks": {"dev": {"outputs": {...}, "secrets": ["kubeconfig"], "resources": [...]}},  # backend stacks
      "recordings": {"preview": "preview", "preview:prod": "...", ...},  # op[:stack] -> recordings/<name>.jsonl
                                            # "op[:stack]@TEXT" or "@TEXT": when --message contains TEXT (any op)
      "fail": {"stack select": {"stderr": "...", "code": 255}, "preview:dev": {...}},  # inject CLI failures
                                            # a spec's "message": only when --message contains it; "times": N only
      "locked": {"preview": 2},             # the first N runs of op[:stack] fail with the service's 409 conflict
      "delay": 0.0,                         # seconds between events (parallelism tests)
      "hang": {"up": 5},                    # after N events, wait for SIGINT (Ctrl-C tests)
      "drain": 0.0,                         # seconds the operations "in flight" take to finish after it
      "long": {"up": 30},                   # a long operation: its events spread over that many seconds
      "ignore_sigint": true,                # a stuck CLI: SIGINT is recorded and ignored (only SIGKILL ends it)
      "crash": {"up": {"after": 3, "panic": "runtime error: ..."}},  # after N events a Go panic (exit 2), or
                                            # {"after": N, "signal": "SIGSEGV"}: killed by that signal
      "version_output": "v3.206.0",         # `pulumi version` prints this instead of v<version>
      "slow": {"version": 30, "stack select": 30}  # these commands sleep that long first (timeouts)
    }

Every operation writes its pid to `$FAKE_PULUMI_STATE/running` when it starts (so a test knows when to signal).

Engine events come from recordings made with the real event schema (`make_recordings.py`: the JSON the CLI
writes to `--event-log`, parsed by `pulumi.automation.events.EngineEvent.from_json`); `__STACK__` is replaced by
the stack's short name. They are delivered the way the real CLI delivers them: over the Automation API's gRPC
`pulumirpc.Events/StreamEvents` service when `--event-log tcp://...`, else appended to the given file.

With `--config-file F` (the bootstrap run's copy of the stack file), the text of F is recorded with the call.

Commands answered: version; stack select/init/ls/output/history/export; state unprotect; preview; up;
refresh (and --preview-only); destroy; cancel; whoami. SIGINT during an operation behaves like the CLI: the
first one finishes the operations "in flight" and exits with "update canceled", the second exits at once.

Limits (what this double does NOT do): it runs no program, plugins or policy packs (policy events are replayed
from the recording, and only when `--policy-pack` flags are given; `--policy-pack-config` files are not read);
it plans nothing (the same recording for every stack, whatever the config); it checks no credentials or login
(those failures are injected with "fail"); it keeps no real state or locks (outputs/resources come from the
scenario; "locked" is a counter); it ignores --parallel, --target, --refresh, --diff and colour flags; it prints
only a token human-readable stdout; and it knows only the command lines listed above (anything else exits 2 with
"fake pulumi: unsupported", so a test notices a new command).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATE = Path(os.environ.get("FAKE_PULUMI_STATE", "."))
CONFLICT = "error: [409] Conflict: Another update is currently in progress."
DATETIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def load(name: str, default):
    path = STATE / name
    return json.loads(path.read_text()) if path.exists() else default


def save(name: str, doc) -> None:
    tmp = STATE / f".{name}.{os.getpid()}"
    tmp.write_text(json.dumps(doc, indent=2))
    tmp.replace(STATE / name)


SCENARIO = load("scenario.json", {})


def record(argv: list[str], name: str = "calls.jsonl") -> None:
    entry = {"argv": argv, "cwd": os.getcwd(), "pid": os.getpid(), "t": time.time()}
    config_file = flag(argv, "--config-file")
    if config_file and name == "calls.jsonl":  # the file is temporary: keep what the command was given
        entry["configFile"] = Path(config_file).read_text() if Path(config_file).is_file() else None
    line = json.dumps(entry)
    with open(STATE / name, "a", encoding="utf-8") as f:
        f.write(line + "\n")


def die(message: str, code: int = 255) -> None:
    sys.stderr.write(message + "\n")
    sys.exit(code)


def flag(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else None


def short(stack: str | None) -> str:
    return (stack or "").rsplit("/", 1)[-1]


def backend() -> dict:
    return load("backend.json", None) or {"stacks": SCENARIO.get("stacks", {}), "current": None}


def injected(op: str, stack: str, args: list[str] | None = None) -> None:
    fail = SCENARIO.get("fail", {})
    spec = fail.get(f"{op}:{stack}") or fail.get(op)
    if spec and spec.get("message") and spec["message"] not in (flag(args or [], "--message") or ""):
        spec = None
    if spec and "times" in spec:
        counts = load("counters.json", {})
        key = f"fail {op}:{stack}"
        counts[key] = counts.get(key, 0) + 1
        save("counters.json", counts)
        if counts[key] > spec["times"]:
            spec = None
    if spec:
        sys.stdout.write(spec.get("stdout", ""))
        die(spec.get("stderr", "error: injected failure"), spec.get("code", 255))
    locked = SCENARIO.get("locked", {})
    key = f"{op}:{stack}" if f"{op}:{stack}" in locked else op
    if key in locked:
        counts = load("counters.json", {})
        counts[key] = counts.get(key, 0) + 1
        save("counters.json", counts)
        if counts[key] <= locked[key]:
            die(CONFLICT)


# ------------------------------------------------------------------------------------------- events


class EventSink:
    """Deliver engine events like the CLI: gRPC stream to the Automation API, or lines appended to a file."""

    def __init__(self, target: str | None):
        self.target = target
        self.sequence = 0
        self.queue: queue.Queue = queue.Queue()
        self.thread = None
        if target and target.startswith("tcp://"):
            import grpc
            from pulumi.runtime.proto import events_pb2, events_pb2_grpc

            self.events_pb2 = events_pb2
            channel = grpc.insecure_channel(target.removeprefix("tcp://"))
            stub = events_pb2_grpc.EventsStub(channel)

            def requests():
                while True:
                    item = self.queue.get()
                    if item is None:
                        return
                    yield events_pb2.EventRequest(event=item)

            self.thread = threading.Thread(target=lambda: stub.StreamEvents(requests()), daemon=True)
            self.thread.start()

    def emit(self, payload: dict) -> None:
        self.sequence += 1
        doc = {"sequence": self.sequence, "timestamp": int(time.time()), **payload}
        line = json.dumps(doc)
        if self.thread is not None:
            self.queue.put(line)
        elif self.target:
            with open(self.target, "a", encoding="utf-8") as f:
                f.write(line + "\n")

    def close(self) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join(10)


def recording(op: str, stack: str, message: str = "") -> list[dict]:
    names = SCENARIO.get("recordings", {})
    by_message = next(
        (
            (name, key)
            for key, name in names.items()
            if "@" in key and key.split("@", 1)[0] in ("", op, f"{op}:{stack}") and key.split("@", 1)[1] in message
        ),
        None,
    )
    name = by_message[0] if by_message else names.get(f"{op}:{stack}") or names.get(op) or op
    text = (HERE / "recordings" / f"{name}.jsonl").read_text().replace("__STACK__", stack)
    events = [json.loads(line) for line in text.splitlines() if line.strip()]
    if by_message:  # one recording serves a preview and an update: the engine marks a preview's steps `planning`
        for e in events:
            for key in ("resourcePreEvent", "resOutputsEvent"):
                if key in e:
                    e[key].pop("planning", None)
                    if op == "preview":
                        e[key]["planning"] = True
            if "summaryEvent" in e:
                e["summaryEvent"]["isPreview"] = op == "preview"
    return events


INTERRUPTS = 0


def on_sigint(signum, frame) -> None:
    global INTERRUPTS
    if SCENARIO.get("ignore_sigint"):
        record(["<SIGINT ignored>"], "signals.jsonl")
        return
    INTERRUPTS += 1
    if INTERRUPTS >= 2:  # the CLI's second Ctrl-C: terminate at once
        sys.stderr.write("error: operation terminated\n")
        os._exit(255)


def crash(spec: dict) -> None:
    """Die like a crashing Go binary: a panic with its goroutine dump (exit 2), or killed by a signal."""
    sys.stdout.flush()
    if "signal" in spec:
        os.kill(os.getpid(), getattr(signal, spec["signal"]))
        time.sleep(5)
    reason = spec.get("panic", "runtime error: invalid memory address or nil pointer dereference")
    sys.stderr.write(f"panic: {reason}\n")
    sys.stderr.write("[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1a2b3c]\n\n")
    sys.stderr.write("goroutine 1 [running]:\ngithub.com/pulumi/pulumi/pkg/v3/engine.(*deployment).run(...)\n")
    sys.stderr.flush()
    os._exit(2)


def replay(op: str, stack: str, args: list[str], *, mutating: bool) -> int:
    """Emit the recording; returns the exit code (255 when a mandatory policy violation or error diagnostic)."""
    signal.signal(signal.SIGINT, on_sigint)
    events = recording(op, stack, flag(args, "--message") or "")
    with_policy = "--policy-pack" in args
    if not with_policy:
        events = [e for e in events if "policyEvent" not in e]
        for e in events:
            if "summaryEvent" in e:
                e["summaryEvent"]["PolicyPacks"] = {}
    sink = EventSink(flag(args, "--event-log"))
    delay = float(SCENARIO.get("delay", 0))
    if op in SCENARIO.get("long", {}):
        delay = float(SCENARIO["long"][op]) / max(1, len(events))
    hang_after = SCENARIO.get("hang", {}).get(op)
    crash_spec = SCENARIO.get("crash", {}).get(op)
    (STATE / "running").write_text(str(os.getpid()))
    print(f"{'Previewing' if not mutating else 'Updating'} ({stack}):")
    failed = False
    try:
        for i, event in enumerate(events):
            if crash_spec is not None and i == crash_spec.get("after", 0):
                crash(crash_spec)
            if hang_after is not None and i == hang_after:
                (STATE / "hanging").write_text(str(os.getpid()))
                while not INTERRUPTS:
                    time.sleep(0.02)
                # Graceful cancel: let the steps in flight finish ("drain" seconds), then stop.
                time.sleep(float(SCENARIO.get("drain", 0)))
                sink.emit({"cancelEvent": {}})
                sink.close()
                sys.stderr.write("error: update canceled\n")
                return 255
            if INTERRUPTS:
                sink.emit({"cancelEvent": {}})
                sink.close()
                sys.stderr.write("error: update canceled\n")
                return 255
            if "policyEvent" in event and event["policyEvent"].get("enforcementLevel") == "mandatory":
                failed = True
            if "diagnosticEvent" in event and event["diagnosticEvent"].get("severity") == "error":
                failed = True
            sink.emit(event)
            if delay:
                end = time.monotonic() + delay
                while time.monotonic() < end and not INTERRUPTS:
                    time.sleep(min(0.05, delay))
    finally:
        sink.close()
    if failed:
        print("error: preview failed" if not mutating else "error: update failed")
        sys.stderr.write("error: one or more errors occurred\n")
        return 255
    print("Resources: done")
    return 0


# ------------------------------------------------------------------------------------------- commands


def cmd_stack(sub: str, args: list[str]) -> int:
    db = backend()
    name = short(flag(args, "--stack"))
    if sub == "select":
        injected("stack select", name)
        if name not in db["stacks"]:
            die(f"error: no stack named '{name}' found")
        db["current"] = name
        save("backend.json", db)
        return 0
    if sub == "init":
        name = short(args[args.index("init") + 1])
        injected("stack init", name)
        if name in db["stacks"]:
            die(f"error: stack '{name}' already exists")
        db["stacks"][name] = {"outputs": {}, "resources": [], "new": True}
        db["current"] = name
        save("backend.json", db)
        return 0
    if sub == "ls":
        injected("stack ls", "")
        out = []
        for n, s in sorted(db["stacks"].items()):
            doc = {"name": n, "current": n == db.get("current"), "updateInProgress": False}
            if not s.get("new"):
                doc["lastUpdate"] = s.get("lastUpdate", "2026-01-02T03:04:05.000000Z")
                doc["resourceCount"] = len(s.get("resources", [])) or s.get("resourceCount", 0)
                doc["url"] = f"https://app.pulumi.com/example-org/eks-platform/{n}"
            out.append(doc)
        print(json.dumps(out))
        return 0
    stack = db["stacks"].get(name)
    if stack is None:
        die(f"error: no stack named '{name}' found")
    if sub == "output":
        injected("stack output", name)
        show = "--show-secrets" in args
        secrets = set(stack.get("secrets", []))
        print(json.dumps({k: (v if show or k not in secrets else "[secret]") for k, v in stack["outputs"].items()}))
        return 0
    if sub == "history":
        now = datetime.now(UTC).strftime(DATETIME)
        print(
            json.dumps(
                [
                    {
                        "kind": "update",
                        "startTime": now,
                        "endTime": now,
                        "message": "",
                        "environment": {},
                        "config": {},
                        "result": "succeeded",
                        "version": 1,
                        "resourceChanges": {},
                    }
                ]
            )
        )
        return 0
    if sub == "export":
        print(json.dumps({"version": 3, "deployment": {"resources": stack.get("resources", [])}}))
        return 0
    die(f"fake pulumi: unsupported: stack {sub} {args}", 2)
    return 2


def main(argv: list[str]) -> int:
    record(argv)
    args = [a for a in argv if a != "--non-interactive"]
    if not args:
        die("fake pulumi: no command", 2)
    cmd = args[0]
    words = " ".join(a for a in args[:2] if not a.startswith("-"))
    for slow, seconds in SCENARIO.get("slow", {}).items():
        if words == slow or cmd == slow:
            time.sleep(float(seconds))
    if cmd == "version":
        injected("version", "")
        print(SCENARIO.get("version_output", "v" + SCENARIO.get("version", "3.272.0")))
        return 0
    if cmd == "whoami":
        print(json.dumps({"user": "tester", "url": "https://app.pulumi.com"}))
        return 0
    if cmd == "stack":
        sub = args[1] if len(args) > 1 and not args[1].startswith("-") else "select"
        return cmd_stack(sub, args)
    stack = short(flag(args, "--stack"))
    db = backend()
    if cmd == "state" and args[1] == "unprotect":
        injected("state unprotect", stack)
        for r in db["stacks"][stack].get("resources", []):
            r["protect"] = False
        save("backend.json", db)
        return 0
    if cmd == "cancel":
        injected("cancel", stack)
        print(f"The currently running update for '{stack}' has been canceled!")
        return 0
    if cmd == "preview":
        injected("preview", stack, args)
        return replay("preview", stack, args, mutating=False)
    if cmd == "up":
        injected("up", stack, args)
        code = replay("up", stack, args, mutating=True)
        if code == 0:
            entry = db["stacks"].setdefault(stack, {})
            entry.pop("new", None)
            entry.setdefault("outputs", {}).update(SCENARIO.get("up_outputs", {}))
            save("backend.json", db)
        return code
    if cmd == "refresh":
        if "--preview-only" in args:
            injected("drift", stack)
            return replay("drift", stack, args, mutating=False)
        injected("refresh", stack)
        return replay("refresh", stack, args, mutating=True)
    if cmd == "destroy":
        injected("destroy", stack)
        code = replay("destroy", stack, args, mutating=True)
        if code == 0:
            db["stacks"][stack]["resources"] = []
            save("backend.json", db)
        return code
    die(f"fake pulumi: unsupported: {' '.join(argv)}", 2)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    finally:
        record(sys.argv[1:], "ends.jsonl")  # when each call ended (parallelism tests)
