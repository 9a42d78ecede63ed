"""Keeps the architecture diagram (README.md, docs/architecture.md) equal to what the prod plan really contains.

`make diagram` (python -m platformctl.docs [FILE...], by default every file of DIAGRAM_FILES) rewrites the Mermaid
block between the markers in each file; a test fails when a committed diagram is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

START = "<!-- plan-diagram:start -->"
END = "<!-- plan-diagram:end -->"
STACK = "prod"
# Every file that shows the diagram: the README's overview and the documentation site's architecture page.
DIAGRAM_FILES = ("README.md", "docs/architecture.md")


def diagram_block(plan) -> str:
    return f"{START}\n```mermaid\n{plan.mermaid(depth=1)}```\n{END}"


def replace_block(text: str, block: str) -> str:
    start, end = text.index(START), text.index(END) + len(END)
    return text[:start] + block + text[end:]


def current_block(text: str) -> str:
    return text[text.index(START) : text.index(END) + len(END)]


def main(argv: list[str]) -> int:
    from platformctl.engine import run_plan

    block = diagram_block(run_plan(STACK))
    for path in map(Path, argv or DIAGRAM_FILES):
        text = path.read_text()
        updated = replace_block(text, block)
        if updated != text:
            path.write_text(updated)
            print(f"{path}: architecture diagram updated from the {STACK} plan")
        else:
            print(f"{path}: architecture diagram already current")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
