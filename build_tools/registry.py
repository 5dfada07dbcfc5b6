"""The source registry: every source the accounts and pages cite, once, with its tier and origins.

sources/registry.yml is curated by hand after `import-sources` first writes it. It stays friendly
to pull requests: sorted by id, one block per source, no timestamps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from build_tools import yamlio
from build_tools.diagnostics import Diagnostic

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$|^[a-z0-9]$")
TIER_NAMES = {
    1: "self-published or official",
    2: "mainstream press or reference",
    3: "blogs, fan transcripts, compiled accounts",
}
HEADER = """\
# yaml-language-server: $schema=../build_tools/schemas/registry.schema.json
# Source registry: every source that the accounts or the pages cite, registered once.
# Sorted by id, one block per source. Written first by `python -m build_tools import-sources`,
# curated by hand since: edit freely, re-running the import keeps your edits and only adds
# references it does not know yet. Each origin is an alias: '<account>:<number>' resolves here.
# tier: 1 self-published or official, 2 mainstream press or reference, 3 blogs, fan
# transcripts, compiled accounts.
"""


@dataclass(frozen=True)
class Origin:
    """Where an account cites a source: its reference number there, and the entry's text."""

    account: str
    ref: str
    text: str = ""

    @property
    def alias(self) -> str:
        return f"{self.account}:{self.ref}"


@dataclass(frozen=True)
class Source:
    """A registered source."""

    id: str
    title: str
    tier: int
    kind: str = ""
    publisher: str = ""
    url: str = ""
    date: str = ""
    origins: tuple[Origin, ...] = ()
    note: str = ""
    line: int = 0

    @property
    def aliases(self) -> tuple[str, ...]:
        return tuple(o.alias for o in self.origins)


@dataclass
class Registry:
    """Sources by id, and aliases ('account:ref', or an account id) to ids."""

    sources: dict[str, Source] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    path: str = "sources/registry.yml"

    def resolve(self, key: str) -> Source | None:
        """The source for an id or an alias, or None."""
        if key in self.sources:
            return self.sources[key]
        target = self.aliases.get(key)
        return self.sources.get(target) if target else None

    def __len__(self) -> int:
        return len(self.sources)


def load_registry(path: Path, rel: str) -> tuple[Registry, list[Diagnostic]]:
    """Load the registry; structural problems become diagnostics, never exceptions."""
    registry = Registry(path=rel)
    try:
        data = yamlio.load(path)
    except FileNotFoundError:
        return registry, [
            Diagnostic(
                rel, 1, "R001", "error", "source registry is missing; run 'python -m build_tools import-sources'"
            )
        ]
    except yamlio.YamlError as exc:
        return registry, [Diagnostic(rel, exc.line, "R001", "error", exc.message)]
    entries = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return registry, [Diagnostic(rel, 1, "R001", "error", "expected a top-level 'sources:' list")]
    diagnostics: list[Diagnostic] = []
    alias_owner: dict[str, tuple[str, int]] = {}
    for entry in entries:
        source, problems = _parse_source(entry, rel)
        diagnostics.extend(problems)
        if source is None:
            continue
        if source.id in registry.sources:
            first = registry.sources[source.id].line
            diagnostics.append(
                Diagnostic(
                    rel, source.line, "R002", "error", f"duplicate source id '{source.id}' (first at line {first})"
                )
            )
            continue
        registry.sources[source.id] = source
        for alias in source.aliases:
            if alias in alias_owner and alias_owner[alias][0] != source.id:
                other, other_line = alias_owner[alias]
                diagnostics.append(
                    Diagnostic(
                        rel,
                        source.line,
                        "R006",
                        "error",
                        f"alias '{alias}' points to two sources: '{other}' (line {other_line}) and '{source.id}'",
                    )
                )
                continue
            alias_owner[alias] = (source.id, source.line)
            registry.aliases[alias] = source.id
    return registry, diagnostics


def _parse_source(entry: Any, rel: str) -> tuple[Source | None, list[Diagnostic]]:
    line = yamlio.line_of(entry)
    if not isinstance(entry, dict):
        return None, [Diagnostic(rel, line, "R003", "error", "each source must be a mapping")]
    problems: list[Diagnostic] = []
    source_id = str(entry.get("id") or "").strip()
    if not source_id:
        return None, [Diagnostic(rel, line, "R003", "error", "source has no 'id'")]
    if not ID_PATTERN.match(source_id):
        problems.append(
            Diagnostic(
                rel,
                line,
                "R004",
                "error",
                f"source id '{source_id}' must be lowercase letters, digits, '.', '_' or '-'",
            )
        )
    title = str(entry.get("title") or "").strip()
    if not title:
        problems.append(Diagnostic(rel, line, "R003", "error", f"source '{source_id}' has no 'title'"))
    tier = entry.get("tier")
    if tier not in (1, 2, 3):
        problems.append(
            Diagnostic(
                rel,
                entry.line_of("tier") if hasattr(entry, "line_of") else line,
                "R005",
                "error",
                f"source '{source_id}' has tier {tier!r}; it must be 1, 2 or 3",
            )
        )
        tier = 3
    origins = []
    for origin in entry.get("origins") or []:
        if isinstance(origin, dict) and origin.get("account") and origin.get("ref") is not None:
            origins.append(Origin(str(origin["account"]), str(origin["ref"]), str(origin.get("text") or "")))
        else:
            problems.append(
                Diagnostic(
                    rel,
                    yamlio.line_of(origin, line),
                    "R003",
                    "error",
                    f"source '{source_id}': each origin needs 'account' and 'ref'",
                )
            )
    source = Source(
        id=source_id,
        title=title or source_id,
        tier=int(tier),
        kind=str(entry.get("kind") or ""),
        publisher=str(entry.get("publisher") or ""),
        url=str(entry.get("url") or ""),
        date=str(entry.get("date") or ""),
        origins=tuple(origins),
        note=str(entry.get("note") or ""),
        line=line,
    )
    return source, problems


def dump_registry(sources: Iterable[Source]) -> str:
    """The registry file text: header comment, then sources sorted by id, one block each."""
    blocks = []
    for source in sorted(sources, key=lambda s: s.id):
        record: dict[str, Any] = {"id": source.id, "title": source.title}
        for key in ("kind", "publisher", "url", "date"):
            value = getattr(source, key)
            if value:
                record[key] = value
        record["tier"] = source.tier
        if source.note:
            record["note"] = source.note
        if source.origins:
            record["origins"] = [
                {"account": o.account, "ref": o.ref, **({"text": o.text} if o.text else {})} for o in source.origins
            ]
        text = yaml.safe_dump([record], sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
        blocks.append(text)
    return HEADER + "sources:\n" + "\n".join(blocks)


def with_origins(source: Source, origins: Iterable[Origin]) -> Source:
    """A copy of `source` with `origins` added (kept in order, no repeats)."""
    merged = list(source.origins)
    known = {o.alias for o in merged}
    for origin in origins:
        if origin.alias not in known:
            merged.append(origin)
            known.add(origin.alias)
    return replace(source, origins=tuple(merged))
