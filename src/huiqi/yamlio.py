"""YAML that remembers where things were, so errors can name file and line.

``load(path)`` returns plain dicts and lists, except that every mapping is a ``Mapping`` subclass
(``LineDict``) carrying the line of itself and of each key. ``line_of(data, loc)`` follows a pydantic
``loc`` tuple (keys and list indexes) down the tree and returns the deepest line it can find.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from huiqi.errors import HuiqiError, MetadataError, Source


class LineDict(dict[Any, Any]):
    """A dict that knows the line (1-based) of itself and of each of its keys."""

    line: int = 0
    key_lines: dict[Any, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines = {}


class LineList(list[Any]):
    line: int = 0
    item_lines: list[int]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.item_lines = []


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def loads(text: str, *, name: str = "<string>", error: type[HuiqiError] = MetadataError) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        raise error(f"YAML 格式错误：{exc.problem}", Source(file=name, line=line)) from None


def load(path: Path, *, error: type[HuiqiError] = MetadataError) -> Any:
    return loads(path.read_text(encoding="utf-8"), name=str(path), error=error)


def line_of(data: Any, loc: Sequence[int | str]) -> int | None:
    """The line of the deepest node reachable along ``loc`` (a pydantic error location)."""
    line: int | None = getattr(data, "line", None) or None
    node = data
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line
