"""Curated pages: front matter (with line numbers) and Pandoc-style citations with positions."""

from __future__ import annotations

import bisect
import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from build_tools import yamlio

BADGE_LEVELS = ("high", "medium", "low")


@dataclass(frozen=True)
class Citation:
    """One cited key inside a ``[@a; @b]`` group, with the 1-based line and column of its '@'."""

    key: str
    line: int
    column: int
    group_start: int  # offset of '[' in the body text
    group_end: int  # offset just after ']'


@dataclass(frozen=True)
class MalformedCitation:
    """A bracket group that looks like a citation but does not parse."""

    text: str
    line: int
    column: int
    reason: str


@dataclass
class Page:
    """A curated markdown page: its front matter, body and where the body starts."""

    path: Path
    rel_path: str
    meta: dict[str, Any] = field(default_factory=dict)
    meta_lines: dict[str, int] = field(default_factory=dict)
    body: str = ""
    body_start: int = 1  # 1-based line of the body's first line in the file
    error: tuple[int, str] | None = None
    error_code: str = "F001"
    citations: tuple[list[Citation], list[MalformedCitation]] | None = None  # cached by the checks


_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def read_page(path: Path, rel_path: str, data: bytes | None = None) -> Page:
    """Read a page (or parse `data`, its bytes read already); YAML or encoding problems are kept on
    the page, not raised."""
    page = Page(path=path, rel_path=rel_path)
    try:
        text = yamlio.read_text(path) if data is None else yamlio.decode_text(data)
    except yamlio.YamlError as exc:
        page.error = (exc.line, exc.message)
        return page
    return parse_page_text(page, text)


def parse_page_text(page: Page, text: str) -> Page:
    match = _FRONT.match(text)
    if not match:
        page.body = text
        return page
    page.body = text[match.end() :]
    page.body_start = text[: match.end()].count("\n") + 1
    try:
        data = yamlio.loads(match.group(1) or "", first_line=2)
    except yamlio.YamlError as exc:
        page.error = (exc.line, exc.message)
        return page
    if data is None:
        data = {}
    if not isinstance(data, dict):
        page.error = (2, "front matter must be a mapping of keys to values")
        return page
    page.meta = dict(data)
    page.meta_lines = dict(getattr(data, "key_lines", {}))
    return page


# A bracket group holding an '@' that is not an e-mail address, and not a link's text.
# The '[' comes first and the look-behind after it (the character before the '[' is not '!', '\\' or a
# word character): a pattern that begins with a literal is searched for with a fast scan, eight
# times faster here than one that begins with a look-behind.
_GROUP = re.compile(r"\[(?<![!\\\w]\[)(?P<body>[^\[\]\n]*?(?:^|[\s;\[])?@[^\[\]\n]*)\](?![(\[:])")
_KEY = r"[A-Za-z0-9_][A-Za-z0-9_.:#$%&+?<>~/-]*"
_ITEM = re.compile(r"^\s*(?P<prefix>[^@]*?)\s*(?P<at>@)(?P<key>" + _KEY + r")(?P<suffix>.*)$", re.S)
_FENCE = re.compile(r"^(\s{0,3})(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")


@functools.lru_cache(maxsize=64)
def mask_code(text: str) -> str:
    """The text with fenced and inline code blanked out (same length and line breaks)."""
    if "`" not in text and "~~~" not in text:
        return text  # no code at all: most pages
    out_lines = []
    fence: str | None = None
    for line in text.split("\n"):
        opener = _FENCE.match(line)
        if fence is None and opener:
            fence = opener.group(2)[0] * len(opener.group(2))
            out_lines.append(" " * len(line))
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            out_lines.append(" " * len(line))
            continue
        out_lines.append(_INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line))
    return "\n".join(out_lines)


def find_citations(body: str, first_line: int = 1) -> tuple[list[Citation], list[MalformedCitation]]:
    """Every citation key in `body`, and every malformed citation group.

    ``first_line`` is the file line of the body's first line, so positions point into the file.
    """
    masked = mask_code(body)
    line_starts = [0] + [m.end() for m in re.finditer("\n", masked)]
    citations: list[Citation] = []
    malformed: list[MalformedCitation] = []

    def position(offset: int) -> tuple[int, int]:
        index = _bisect(line_starts, offset)
        return first_line + index, offset - line_starts[index] + 1

    for match in _GROUP.finditer(masked):
        body_text = match.group("body")
        if "@" not in body_text or _looks_like_email(body_text):
            continue
        line, column = position(match.start())
        items = body_text.split(";")
        offset = match.start("body")
        group_ok = True
        for item in items:
            parsed = _ITEM.match(item)
            if not parsed or (parsed.group("prefix").strip() and "@" in parsed.group("prefix")):
                reason = "empty citation" if item.strip() in ("", "@") else f"cannot read '{item.strip()}'"
                if item.strip().startswith("@") and len(item.strip()) > 1 and item.strip()[1].isspace():
                    reason = "space after '@'"
                malformed.append(MalformedCitation(match.group(0), line, column, reason))
                group_ok = False
                break
            if "@" in parsed.group("suffix"):
                malformed.append(
                    MalformedCitation(match.group(0), line, column, "several keys must be separated by ';'")
                )
                group_ok = False
                break
            key_line, key_column = position(offset + parsed.start("at"))
            citations.append(
                Citation(parsed.group("key").rstrip(".:"), key_line, key_column, match.start(), match.end())
            )
            offset += len(item) + 1
        if not group_ok:
            continue
    return citations, malformed


def _looks_like_email(text: str) -> bool:
    return bool(re.search(r"[\w.+-]@[\w-]+\.[\w.]+", text)) and not re.search(r"(^|[\s;])@", text)


def _bisect(starts: list[int], offset: int) -> int:
    """Index of the line that holds `offset`, given the offsets where lines start."""
    return max(0, bisect.bisect_right(starts, offset) - 1)


def iter_pages(docs_dir: Path, root: Path, excluded: Callable[[str], bool]) -> list[Page]:
    """Every markdown page under docs_dir, sorted by path, but those `excluded` names by their path
    under docs_dir (Settings.excluded: those `mkdocs build` leaves out)."""
    paths = sorted(docs_dir.rglob("*.md"))
    return [load_page(path, root) for path in paths if not excluded(path.relative_to(docs_dir).as_posix())]


def load_page(path: Path, root: Path, data: bytes | None = None) -> Page:
    """Read a page of the repository (or parse `data`, its bytes); a link to a file outside the
    repository is refused (F005), not read."""
    root = Path(_real_folder(str(root)))
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
    if not inside(path, root):
        page = Page(path=path, rel_path=rel)
        page.error, page.error_code = (1, "is a link to a file outside the repository; copy the content in"), "F005"
        return page
    return read_page(path, rel, data)


# Folders with their links resolved, once each: a site has many pages to a folder, and resolving
# asks the file system about every part of the path. Forgotten at the start of each build.
_real_folder = functools.lru_cache(maxsize=4096)(os.path.realpath)


def forget_folders() -> None:
    _real_folder.cache_clear()


def inside(path: Path, root: Path) -> bool:
    """Whether the file at `path`, its links followed, is in the folder `root`."""
    return _real_path(path).is_relative_to(_real_folder(str(root)))


def _real_path(path: Path) -> Path:
    path = path.absolute()
    if path.is_symlink():
        return path.resolve()
    return Path(_real_folder(str(path.parent)), path.name)
