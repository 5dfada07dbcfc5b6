"""Curated pages against the conflict register: which disagreements a page touches, and the
conflict guard (a page may not state a deprecated value as fact)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from build_tools.claims import Paragraph
from build_tools.conflicts import ATTRIBUTION, Register, RegisterEntry, RegisterValue, phrase_hits, phrases_of, quoted
from build_tools.gazetteer import Gazetteer
from build_tools.reconcile import Conflict, agree, comparable
from build_tools.statements import make_claim, split_sentences


@dataclass
class ConflictContext:
    """What a page check needs to know about disagreements."""

    gazetteer: Gazetteer
    register: Register
    unregistered: list[Conflict] = field(default_factory=list)
    comparison: object = None  # the reconcile.Comparison it came from
    _phrases: list[str] | None = field(default=None, repr=False, compare=False)

    def phrases(self) -> list[str]:
        """Every phrase of every value in the register (a sentence with none of them hits no entry)."""
        if self._phrases is None:
            values = (value for entry in self.register.entries.values() for value in entry.values)
            self._phrases = sorted({phrase for value in values for phrase in phrases_of(value)})
        return self._phrases

    def unresolved_ids(self) -> set[str]:
        ids = {e.id for e in self.register.entries.values() if not e.resolved}
        return ids | {c.id for c in self.unregistered}


@dataclass(frozen=True)
class Touch:
    """A sentence of a page that speaks of a registered (or detected) conflict."""

    conflict_id: str
    line: int
    sentence: str
    deprecated: RegisterValue | None  # set when the sentence states a deprecated value as fact


def touches(paragraph: Paragraph, context: ConflictContext) -> Iterator[Touch]:
    """The conflicts a paragraph speaks of, sentence by sentence."""
    by_match = context.register.by_match()
    unregistered = {c.key: c for c in context.unregistered}
    for offset, sentence in split_sentences(paragraph.text.replace("\n", " ")):
        line = paragraph.line + paragraph.text[: min(offset, len(paragraph.text))].count("\n")
        attributed = bool(ATTRIBUTION.search(sentence))
        claim = make_claim("page", line, sentence, context.gazetteer)
        seen: set[str] = set()
        for facet in claim.facets if claim else ():
            entry = by_match.get(facet.key)
            if entry is not None and entry.id not in seen:
                seen.add(entry.id)
                text = getattr(facet.value, "text", "")
                at = claim.text.find(text) if claim else -1
                reported = attributed or (at >= 0 and quoted(claim.text, at, at + len(text)))
                yield Touch(entry.id, line, sentence, None if reported else _deprecated_value(entry, facet.value))
            elif facet.key in unregistered and unregistered[facet.key].id not in seen:
                seen.add(unregistered[facet.key].id)
                yield Touch(unregistered[facet.key].id, line, sentence, None)
        lowered = sentence.lower()
        if not any(phrase in lowered for phrase in context.phrases()):
            continue  # (most sentences: no entry's phrase is in them)
        for entry in context.register.entries.values():
            if entry.id in seen:
                continue
            hits = list(phrase_hits(entry, sentence))
            if hits:
                seen.add(entry.id)
                unquoted = list(phrase_hits(entry, sentence, unquoted_only=True))
                deprecated = next((v for v in unquoted if v.rank == "deprecated"), None)
                preferred = any(v.rank == "preferred" for v in hits)
                yield Touch(entry.id, line, sentence, None if attributed or preferred else deprecated)


def _deprecated_value(entry: RegisterEntry, value: object) -> RegisterValue | None:
    """The deprecated register value a stated value matches, unless it also fits a preferred one."""
    fits = []
    for candidate in entry.values:
        parsed = candidate.parsed()
        if parsed is not None and agree(parsed, value) and comparable(parsed, value):  # type: ignore[arg-type]
            fits.append(candidate)
    if any(v.rank == "preferred" for v in fits):
        return None
    return next((v for v in fits if v.rank == "deprecated"), None)
