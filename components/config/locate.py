"""Where each config key sits in a stack file: `platform:network.vpcCidr` -> its line, and its value's span.

Reports point at the line to edit (SARIF results, fix hints), and `platformctl env new` edits a copied stack file
in place so its comments survive. The file is composed (not constructed) with the same loader the validation
uses, so positions belong to exactly the nodes Pulumi reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from .yaml_compat import PulumiYamlLoader


@dataclass(frozen=True)
class Location:
    key_line: int  # 1-based line of the key (list items: of the item)
    start: tuple[int, int]  # (line, column), 0-based, of the value's first character
    end: tuple[int, int]  # (line, column), 0-based, just after the value
    indent: int  # column of the key
    node: yaml.Node


def _walk(node: yaml.Node, path: str, key_line: int, indent: int, out: dict[str, Location]) -> None:
    out[path] = Location(
        key_line=key_line,
        start=(node.start_mark.line, node.start_mark.column),
        end=(node.end_mark.line, node.end_mark.column),
        indent=indent,
        node=node,
    )
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                _walk(value, f"{path}.{key.value}", key.start_mark.line + 1, key.start_mark.column, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, f"{path}[{i}]", item.start_mark.line + 1, item.start_mark.column, out)


def locate(text: str) -> dict[str, Location]:
    """Every key under `config:` by its full path (`aws:region`, `platform:nodePools[1].minSize`). Empty when the
    text is not a YAML mapping with a `config:` mapping."""
    try:
        root = yaml.compose(text, Loader=PulumiYamlLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    config = next((v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "config"), None)
    out: dict[str, Location] = {}
    if isinstance(config, yaml.MappingNode):
        for key, value in config.value:
            if isinstance(key, yaml.ScalarNode):
                _walk(value, key.value, key.start_mark.line + 1, key.start_mark.column, out)
    return out


def line_of(locations: dict[str, Location], key: str) -> int | None:
    """The line of `key`, else of its nearest ancestor present in the file (a default left out: its section)."""
    while key:
        if key in locations:
            return locations[key].key_line
        cut = max(key.rfind("."), key.rfind("["))
        if cut <= 0:
            return None
        key = key[:cut]
    return None
