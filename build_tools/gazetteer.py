"""Names a claim can be about: people, organizations and works, from a curated list and the registry.

sources/gazetteer.yml (subject-specific data) lists entities with aliases; repository names in the
registry's titles ('owner/name') are added automatically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from build_tools import yamlio
from build_tools.diagnostics import Diagnostic
from build_tools.registry import Registry

_TOKEN = re.compile(r"[\w][\w.+-]*[\w+]|[\w]")


def _boundary(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before in "/.-" or after in "-" or (after == "." and text[end + 1 : end + 2].isalnum()))


@dataclass(frozen=True)
class Mention:
    entity: str  # canonical name
    start: int
    end: int


@dataclass
class Gazetteer:
    """Canonical names, their aliases, and the profile's default subject."""

    aliases: dict[str, str] = field(default_factory=dict)  # lowercased alias -> canonical name
    kinds: dict[str, str] = field(default_factory=dict)  # canonical -> person | organization | work
    default_subject: str = ""
    _pattern: re.Pattern[str] | None = None
    _longest: int = 1
    _first_words: set[str] = field(default_factory=set)  # the first word of each alias

    def add(self, name: str, kind: str, aliases: list[str] | tuple[str, ...] = ()) -> None:
        self.kinds.setdefault(name, kind)
        for alias in (name, *aliases):
            if len(alias) >= 2:
                self.aliases.setdefault(alias.lower(), name)
        self._pattern = None

    def mentions(self, text: str) -> list[Mention]:
        """Every entity named in `text` (longest alias wins where two overlap).

        A scan over word positions with dictionary look-ups of up to `_longest` words, rather than one
        regular expression of every alias: it stays fast with thousands of names. Only a word that
        begins an alias is looked up further (a word outside ASCII always is: lower case can depend
        on the letters around it there).
        """
        if not self.aliases:
            return []
        if self._pattern is None:
            self._longest = max(len(_TOKEN.findall(a)) for a in self.aliases)
            self._first_words = {m.group(0) for a in self.aliases if (m := _TOKEN.match(a))}
            self._pattern = _TOKEN
        spans = [m.span() for m in _TOKEN.finditer(text)]
        first_words = self._first_words
        candidates = [
            i for i, (a, b) in enumerate(spans) if text[a:b].lower() in first_words or not text[a:b].isascii()
        ]
        found: list[Mention] = []
        free = 0  # the first word not inside a name found already
        for index in candidates:
            if index < free:
                continue
            for size in range(min(self._longest, len(spans) - index), 0, -1):
                start, end = spans[index][0], spans[index + size - 1][1]
                entity = self.aliases.get(text[start:end].lower())
                if entity is not None and _boundary(text, start, end):
                    found.append(Mention(entity, start, end))
                    free = index + size
                    break
        return found


def load_gazetteer(path: Path, rel: str, registry: Registry | None = None) -> tuple[Gazetteer, list[Diagnostic]]:
    """Load the curated list (optional file) and add repository names from the registry."""
    gazetteer = Gazetteer()
    problems: list[Diagnostic] = []
    if path.is_file():
        try:
            data = yamlio.load(path)
        except yamlio.YamlError as exc:
            return gazetteer, [Diagnostic(rel, exc.line, "G001", "error", exc.message)]
        if not isinstance(data, dict):
            return gazetteer, [Diagnostic(rel, 1, "G001", "error", "expected 'subject:' and 'entities:'")]
        gazetteer.default_subject = str(data.get("subject") or "")
        for entry in data.get("entities") or []:
            if not isinstance(entry, dict) or not entry.get("name"):
                problems.append(Diagnostic(rel, yamlio.line_of(entry), "G001", "error", "each entity needs a 'name'"))
                continue
            aliases = [str(a) for a in entry.get("aliases") or []]
            gazetteer.add(str(entry["name"]), str(entry.get("kind") or "work"), aliases)
        if gazetteer.default_subject:
            gazetteer.add(gazetteer.default_subject, "person")
    if registry is not None:
        for source in registry.sources.values():
            for owner, name in re.findall(r"\b([A-Za-z0-9-]+)/([A-Za-z0-9][\w.-]*[\w])", source.title):
                if owner.lower() not in ("x", "twitter") and not name.endswith((".html", ".pdf")):
                    gazetteer.add(name, "work")
    return gazetteer, problems
