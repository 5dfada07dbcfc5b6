"""Safe YAML loading that remembers where each mapping, list and key came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class LineDict(dict):  # type: ignore[type-arg]
    """A mapping with the 1-based line it starts on, and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):  # type: ignore[type-arg]
    """A sequence with the 1-based line it starts on."""

    line: int = 0


class YamlError(Exception):
    """Malformed YAML, with the line it was found on."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


# libyaml's parser when the wheel has it (about ten times faster), the pure-Python one otherwise.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """SafeLoader that builds LineDict and LineList, and refuses every tag it does not know."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise YamlError("a mapping key must be a plain value", key_node.start_mark.line + 1) from None
        if key in result:
            raise YamlError(f"duplicate key '{key}'", key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


def _construct_timestamp_as_text(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    # Dates stay text: the registry writes partial dates ('2017-11') and must round-trip them.
    return str(loader.construct_scalar(node))


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)


class _LenientLoader(_LineLoader):
    """Reads mkdocs.yml, whose `!ENV` and `!!python/name` tags we do not need: they load as None."""


def _ignore_tag(loader: _LenientLoader, suffix: str, node: yaml.Node) -> None:
    return None


_LenientLoader.add_multi_constructor("!", _ignore_tag)
_LenientLoader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore_tag)


def loads(text: str, *, first_line: int = 1, lenient_tags: bool = False) -> Any:
    """Parse YAML text; raise YamlError with a 1-based line (offset by `first_line - 1`)."""
    loader_cls = _LenientLoader if lenient_tags else _LineLoader
    loader = loader_cls(text)
    try:
        data = loader.get_single_data()
    except YamlError as exc:
        raise YamlError(exc.message, exc.line + first_line - 1) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1) if mark else 1
        problem = exc.problem or str(exc)
        raise YamlError(f"invalid YAML: {problem}", line + first_line - 1) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", first_line) from None
    except RecursionError:
        raise YamlError("invalid YAML: nested too deeply", first_line) from None
    finally:
        loader.dispose()
    if first_line != 1:
        _shift_lines(data, first_line - 1)
    return data


def load(path: Path, *, lenient_tags: bool = False) -> Any:
    """Read and parse a YAML file (UTF-8)."""
    return loads(read_text(path), lenient_tags=lenient_tags)


def read_text(path: Path) -> str:
    """Read UTF-8 text; raise YamlError (line 1) when it is not UTF-8 or has a NUL byte."""
    return decode_text(path.read_bytes())


def decode_text(data: bytes) -> str:
    """Bytes as UTF-8 text, under the same rules as read_text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlError(f"not valid UTF-8 (byte {exc.start})", line) from None
    if "\x00" in text:
        raise YamlError("contains a NUL byte", text[: text.index("\x00")].count("\n") + 1)
    return text.replace("\r\n", "\n")


def _shift_lines(data: Any, offset: int) -> None:
    if isinstance(data, LineDict):
        data.line += offset
        data.key_lines = {k: v + offset for k, v in data.key_lines.items()}
        for value in data.values():
            _shift_lines(value, offset)
    elif isinstance(data, LineList):
        data.line += offset
        for value in data:
            _shift_lines(value, offset)


def line_of(node: Any, default: int = 1) -> int:
    """The line a loaded mapping or list starts on, or `default` for plain values."""
    return int(getattr(node, "line", default) or default)
