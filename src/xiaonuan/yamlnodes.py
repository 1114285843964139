"""Line numbers in YAML files for error messages: one helper for templates, avatar packs and lexicons.

`yaml.compose()` keeps the position of every node; a validation error's location (a path of keys
and indices) is looked up in that tree, so a message can say "line 12" instead of just a field name.
"""

from __future__ import annotations

from typing import Any, Sequence

import yaml
from pydantic import ValidationError

MAX_PROBLEMS = 8  # a message lists at most this many problems, then "… and N more"
_WRAPPERS = ("function-after", "function-before")  # pydantic's validator wrappers in an error's location


def line_of(node: yaml.Node | None, loc: Sequence[Any]) -> int | None:
    """1-based line of the node at `loc` (keys and list indices), or of its nearest existing parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == str(key)), None)
            if pair is None:
                return line
            node, line = pair[1], pair[0].start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def describe_validation(err: ValidationError, node: yaml.Node | None) -> str:
    """One indented line per problem: the field, its YAML line, what is wrong and how to fix it."""
    lines = []
    for e in err.errors()[:MAX_PROBLEMS]:
        loc = [p for p in e["loc"] if p not in _WRAPPERS]
        line = line_of(node, loc)
        where = f" (line {line})" if line else ""
        if e["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
            msg, fix = "unknown key", "remove it or correct its spelling"
        elif e["type"] in ("missing", "missing_argument"):
            msg, fix = "required field missing", "add it"
        else:
            msg, fix = str(e["msg"]).removeprefix("Value error, "), "correct the value"
        lines.append(f"  {'.'.join(str(p) for p in loc) or '(top level)'}{where}: {msg}; fix: {fix}")
    if err.error_count() > MAX_PROBLEMS:
        lines.append(f"  … and {err.error_count() - MAX_PROBLEMS} more")
    return "\n".join(lines)


def duplicate_keys(node: yaml.Node | None) -> list[tuple[str, int, int]]:
    """(key, first line, repeated line) of each key written twice in one mapping: YAML keeps the last one
    silently, so a second `top_color:` further down quietly overrode the first."""
    found: list[tuple[str, int, int]] = []
    stack = [node] if node is not None else []
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            seen: dict[str, int] = {}
            for k, v in n.value:
                line = k.start_mark.line + 1
                if isinstance(k, yaml.ScalarNode) and k.value in seen:
                    found.append((k.value, seen[k.value], line))
                seen.setdefault(str(k.value), line)
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    return sorted(found, key=lambda f: f[2])
