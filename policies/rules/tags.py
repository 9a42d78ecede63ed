"""`required-tags`: every taggable AWS resource carries the organisation's cost/ownership tags.

Taggable means the provider computes `tagsAll` for the type (see aws_taggable). Tags may be given directly
(`tags`) or through the provider's `defaultTags`; a real preview shows the merged result as `tagsAll`, the offline
plan does the same. Either source satisfies the rule; an empty value does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .aws_taggable import is_taggable
from .config import resolve
from .values import is_unknown, malformed

POLICY = "required-tags"
Props = Mapping[str, Any]


def applies(type_token: str) -> bool:
    # Pulumi's own provider resources (pulumi:providers:aws) never appear in the taggable set.
    return type_token.startswith("aws:") and is_taggable(type_token)


def effective_tags(props: Mapping[str, Any]) -> tuple[dict[str, Any], bool, list[str]]:
    """(tags merged from tagsAll and tags, complete?, problems) - incomplete when either map is unknown at preview;
    a `tags`/`tagsAll` that is not a map of key to value is a problem (a list of tags is never read as tags)."""
    merged: dict[str, Any] = {}
    complete = True
    problems: list[str] = []
    for key in ("tagsAll", "tags"):  # tags last: an explicit tag overrides a provider default tag
        value = props.get(key)
        if value is None:
            continue
        if is_unknown(value):
            complete = False
            continue
        if not isinstance(value, Mapping):
            problems.append(malformed(key, value, 'a map of tag key to value, like {"team": "platform"}'))
            continue
        merged.update(value)
    return merged, complete, problems


def check_required_tags(
    type_token: str, props: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """config: {"requiredTags": [...]} (default DEFAULT_REQUIRED_TAGS)."""
    if not applies(type_token):
        return []
    required = resolve(POLICY, config)["requiredTags"]
    tags, complete, problems = effective_tags(props)
    missing: list[str] = []
    empty: list[str] = []
    for key in required:
        if key not in tags:
            if complete:
                missing.append(key)
            continue
        value = tags[key]
        if is_unknown(value):
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            empty.append(key)
        elif not isinstance(value, str | int | float) or isinstance(value, bool):
            problems.append(malformed(f"tags.{key}", value, "a string"))
    messages = problems
    if missing:
        messages.append(
            f"missing required tags {', '.join(missing)}: set them in `tags` or in the AWS provider's "
            f"`defaultTags.tags` (they then appear in `tagsAll`)"
        )
    if empty:
        messages.append(f"required tags {', '.join(empty)} are empty: give each a non-empty value")
    return messages


RULES = {POLICY: check_required_tags}
APPLIES = {POLICY: applies}
