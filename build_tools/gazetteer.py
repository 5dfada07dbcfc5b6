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

    def add(self, name: str, kind: str, aliases: list[str] | tuple[str, ...] = ()) -> None:
        self.kinds.setdefault(name, kind)
        for alias in (name, *aliases):
            if len(alias) >= 2:
                self.aliases.setdefault(alias.lower(), name)
        self._pattern = None

    def mentions(self, text: str) -> list[Mention]:
        """Every entity named in `text` (longest alias wins where two overlap)."""
        if not self.aliases:
            return []
        if self._pattern is None:
            alternatives = sorted(self.aliases, key=len, reverse=True)
            self._pattern = re.compile(
                r"(?<![\w/.-])(" + "|".join(re.escape(a) for a in alternatives) + r")(?![\w-]|\.\w)", re.I
            )
        return [Mention(self.aliases[m.group(1).lower()], m.start(), m.end()) for m in self._pattern.finditer(text)]


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
