"""Claims in curated pages: paragraphs, the citations behind them, quotations and markers.

A paragraph is a block of text between blank lines; each list item and each table row counts as
its own paragraph, since each usually states its own claim. Headings are not claims.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from build_tools.docs import Citation, mask_code
from build_tools.registry import Registry, Source

LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class Paragraph:
    """A claim-bearing block: its 1-based file lines and text (code masked)."""

    line: int
    end_line: int
    text: str
    start: int  # offset in the body
    end: int


_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


@functools.lru_cache(maxsize=16)
def paragraphs(body: str, first_line: int = 1) -> tuple[Paragraph, ...]:
    """Split a page body into claim-bearing paragraphs (headings, rules and code left out). The
    checks and the plugin ask for the same page's paragraphs more than once: the split is kept."""
    masked = mask_code(body)
    lines = masked.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    result: list[Paragraph] = []
    current: list[int] = []

    def flush() -> None:
        if current:
            start, end = offsets[current[0]], offsets[current[-1]] + len(lines[current[-1]])
            text = masked[start:end]
            if text.strip():
                result.append(Paragraph(first_line + current[0], first_line + current[-1], text, start, end))
            current.clear()

    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or _HEADING.match(line) or _TABLE_RULE.match(line) or stripped in ("---", "***"):
            flush()
            continue
        if _LIST_ITEM.match(line) or stripped.startswith("|"):
            flush()
        current.append(index)
        if stripped.startswith("|"):
            flush()
    flush()
    return tuple(result)


def citations_in(paragraph: Paragraph, citations: list[Citation]) -> list[Citation]:
    return [c for c in citations if paragraph.line <= c.line <= paragraph.end_line]


def support_level(sources: list[Source]) -> str | None:
    """What the cited sources support: high (a tier-1, or two independent tier-2), medium (one
    tier-2), low (tier 3 only). None when nothing is cited."""
    if not sources:
        return None
    if any(s.tier == 1 for s in sources):
        return "high"
    tier2 = [s for s in sources if s.tier == 2]
    publishers = {(s.publisher or s.id).lower() for s in tier2}
    if len(publishers) >= 2:
        return "high"
    if tier2:
        return "medium"
    return "low"


def lower(level: str) -> str:
    return LEVELS[max(0, LEVELS.index(level) - 1)]


_QUOTE = re.compile(r"[\"“]([^\"“”\n]{3,}?)[\"”]")
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z(\"“*_]|\s*$)")


def uncited_quotations(paragraph: Paragraph, min_words: int = 5) -> Iterator[tuple[int, str]]:
    """(offset in paragraph, quote) for each quotation of `min_words` or more words with no
    citation in its sentence (a citation right after the sentence's full stop counts)."""
    text = paragraph.text
    for match in _QUOTE.finditer(text):
        quote = match.group(1)
        if len(quote.split()) < min_words:
            continue
        start = _sentence_start(text, match.start())
        end_match = _SENTENCE_END.search(text, match.end())
        end = end_match.end() if end_match else len(text)
        tail = re.match(r"\s*\[[^\]]*@", text[end:])
        if re.search(r"\[[^\]]*@", text[start:end]) or tail:
            continue
        yield match.start(), quote


def _sentence_start(text: str, offset: int) -> int:
    last = 0
    for match in _SENTENCE_END.finditer(text, 0, offset):
        last = match.end()
    return last


_FIGURE = re.compile(
    r"(?<![\w@:/.-])(?:(?:19|20)\d\d|\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?\s?(?:%|percent|k\b|M\b|B\b|million|billion|"
    r"lines?|minutes?|hours?|students|stars|citations|papers|miles|people|parameters|tokens))(?![\w-])",
    re.I,
)
MARKERS = re.compile(r"\[(?:UNVERIFIED|unverified|citation needed|Citation needed|better source needed)[^\]]*\]")


def states_figures(paragraph: Paragraph) -> bool:
    """Whether a paragraph states dates or figures (years, counts with units, percentages)."""
    return bool(_FIGURE.search(MARKERS.sub(" ", paragraph.text)))


def weakest_paragraph(
    body: str, first_line: int, citations: list[Citation], registry: Registry
) -> tuple[str, int] | None:
    """(support level, line) of the page's weakest cited paragraph, or None when it cites nothing."""
    weakest: tuple[str, int] | None = None
    for paragraph in paragraphs(body, first_line):
        sources = [s for s in (registry.resolve(c.key) for c in citations_in(paragraph, citations)) if s is not None]
        level = support_level(sources)
        if level is not None and (weakest is None or LEVELS.index(level) < LEVELS.index(weakest[0])):
            weakest = (level, paragraph.line)
    return weakest


def rationale(citations: list[Citation], registry: Registry, weakest: tuple[str, int] | None) -> str:
    """A reader's one-line answer to 'why this badge': the tiers cited and the weakest paragraph."""
    sources = {s.id: s for s in (registry.resolve(c.key) for c in citations) if s is not None}
    if not sources:
        return "This page cites no sources."
    counts = [sum(1 for s in sources.values() if s.tier == t) for t in (1, 2, 3)]
    tiers = ", ".join(f"{n} tier-{t}" for t, n in zip((1, 2, 3), counts, strict=True) if n)
    text = f"Cites {len(sources)} sources ({tiers})."
    if weakest:
        text += f" Its weakest cited paragraph supports '{weakest[0]}' confidence."
    return text
