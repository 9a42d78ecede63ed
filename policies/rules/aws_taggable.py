"""Which AWS resource types take tags, derived from the pulumi-aws SDK rather than hand-listed.

A type is taggable when the provider computes `tagsAll` for it: those are exactly the resources
to which the provider's `default_tags` apply, and whose `tags`/`tagsAll` a real preview shows.
The set is generated from the installed `pulumi_aws` package by `python -m policies.rules.aws_taggable`
into `data/aws_taggable.txt` (a test keeps the file in sync with the locked pulumi-aws version), so
the policy packs and the offline engine read a small text file instead of importing 1,500 modules.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "aws_taggable.txt"

# In every generated resource module, `_internal_init` marks `tags_all` as a computed output and then
# calls the base constructor with the type token: both lines are stable codegen output.
_TAGS_ALL = '__props__.__dict__["tags_all"] = None'
_TOKEN = re.compile(r"super\(\w+, __self__\)\.__init__\(\s*'(aws:[^']+)'")


def scan_sdk(package_dir: Path | None = None) -> list[str]:
    """Every type token in the pulumi_aws SDK whose resource computes tagsAll, sorted."""
    if package_dir is None:
        import importlib.util

        spec = importlib.util.find_spec("pulumi_aws")
        if spec is None or spec.origin is None:
            raise RuntimeError("pulumi_aws is not installed")
        package_dir = Path(spec.origin).parent
    tokens: set[str] = set()
    for path in package_dir.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if _TAGS_ALL not in text:
            continue
        tokens.update(_TOKEN.findall(text))
    return sorted(tokens)


@cache
def taggable_types() -> frozenset[str]:
    return frozenset(line.strip() for line in DATA_FILE.read_text().splitlines() if line.strip())


def is_taggable(type_token: str) -> bool:
    return type_token in taggable_types()


def main() -> int:
    tokens = scan_sdk()
    DATA_FILE.parent.mkdir(parents=True, exist_ok=True)
    DATA_FILE.write_text("\n".join(tokens) + "\n")
    print(f"wrote {len(tokens)} taggable AWS types to {DATA_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
