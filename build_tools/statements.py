"""Atomic claims from raw accounts: sentences, list items and table rows, with their values.

Each claim keeps its account, line and text, the dates and quantities it states, the names it
mentions, its inline citations resolved to registry ids, and its facets: (subject, attribute,
value) triples such as ('OpenAI', 'joined', 2015) that the reconciler compares across claims.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from build_tools.accounts import Account, find_inline_markers
from build_tools.gazetteer import Gazetteer, Mention
from build_tools.registry import Registry
from build_tools.values import DateValue, Quantity, find_date_values, find_quantities


@dataclass(frozen=True)
class Facet:
    """What a claim says about one attribute of one subject."""

    subject: str
    attribute: str
    value: DateValue | Quantity

    @property
    def key(self) -> tuple[str, str]:
        return (self.subject, self.attribute)


@dataclass(frozen=True)
class Claim:
    account: str
    line: int
    text: str
    dates: tuple[DateValue, ...] = ()
    quantities: tuple[Quantity, ...] = ()
    names: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()
    facets: tuple[Facet, ...] = field(default=(), compare=False)

    @property
    def ref(self) -> str:
        return f"{self.account}:{self.line}"


# Generic event words: which attribute of a subject a nearby date speaks of.
EVENTS: list[tuple[str, str]] = [
    (r"founding (?:member|scientist|research scientist|team)|co-?found(?:ed|ing|er) (?:member|scientist)", "joined"),
    (r"\b(?:join(?:ed|ing|s)?|recruited|hired|hires|appointed|became)\b", "joined"),
    (r"\b(?:rejoin(?:ed|s)?|return(?:ed|s)? to|came back)\b", "returned"),
    (
        r"\b(?:left|leav(?:e|es|ing)|depart(?:ed|ure|s)?|quit(?:s)?|exit(?:ed)?|stepped down|resign(?:ed|ation))\b",
        "left",
    ),
    (r"\b(?:co-?founded|founded|founding of|established|incorporated|formation)\b", "founded"),
    (r"\b(?:announc(?:ed|es|ing|ement))\b", "announced"),
    (r"\b(?:launch(?:ed|es)?|open-sourced|releas(?:ed|e))\b", "released"),
    (r"\b(?:publish(?:ed|es)?|essay|blog post|wrote|posted)\b", "published"),
    (r"\b(?:coin(?:ed|s|ing|age)|introduced the term|named|proposed)\b", "coined"),
    (r"\bborn\b", "born"),
    (r"\b(?:phd|doctoral|doctorate|dissertation|defen[cs]e)\b", "phd"),
    (r"\b(?:msc|master'?s|bsc|bachelor'?s|degree|graduated)\b", "degree"),
    (r"\b(?:internships?|intern)\b", "internship"),
    (r"\b(?:talk|keynote|present(?:ed|ation)|spoke|lecture)\b", "talk"),
    (r"\b(?:record)\b", "record"),
    (r"\b(?:sabbatical)\b", "sabbatical"),
]
# Every event but the first starts at a word boundary: said once, outside the alternation, the
# engine tries the alternatives only where a word starts (the same matches, about twice as fast).
_EVENTS = re.compile(
    f"(?P<e0>{EVENTS[0][0]})|\\b(?:" + "|".join(f"(?P<e{i}>{p})" for i, (p, _) in enumerate(EVENTS) if i) + ")",
    re.I,
)
_EVENT_NAMES = {f"e{i}": attribute for i, (_, attribute) in enumerate(EVENTS)}
# For text in lower case: the same alternation without groups and with each event's own '\b' left to
# the one outside, so that every alternative begins with a letter, which the engine compares before
# it enters the alternative (for exact letters only, not for letters in any case). Where it matches,
# the pattern with groups, tried there alone, tells which event it is.
_LOWER_EVENTS = re.compile(
    f"(?:{EVENTS[0][0]})|\\b(?:" + "|".join(pattern.removeprefix("\\b") for pattern, _ in EVENTS[1:]) + ")"
)
_LOWER_NAMED = re.compile(_EVENTS.pattern)


def find_events(text: str) -> list[tuple[int, str]]:
    """Where each event word starts in `text`, and the attribute it speaks of, in order."""
    if not text.isascii():  # (lower() changes letters outside ASCII that the pattern in any case matches)
        return [(m.start(), _EVENT_NAMES[m.lastgroup]) for m in _EVENTS.finditer(text) if m.lastgroup]
    lowered = text.lower()
    found = []
    for match in _LOWER_EVENTS.finditer(lowered):
        named = _LOWER_NAMED.match(lowered, match.start())
        if named is not None and named.lastgroup:  # (always: the same alternation, at the same place)
            found.append((match.start(), _EVENT_NAMES[named.lastgroup]))
    return found


_ABBREVIATIONS = re.compile(
    r"(?:\b(?:e\.g|i\.e|et al|vs|etc|Dr|Mr|Mrs|Ms|St|Jr|Sr|No|Inc|Ltd|approx|ca|cf)|\b[A-Z])\.$"
)
_SENTENCE = re.compile(r"(?<=[.!?])[\"”')\]]?\s+(?=[A-Z\"“(\[])")


def split_sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pieces of a line; abbreviations and initials do not end a sentence."""
    pieces: list[tuple[int, str]] = []
    start = 0
    for match in _SENTENCE.finditer(text):
        chunk = text[start : match.start()]
        if _ABBREVIATIONS.search(chunk.rstrip("\"”')]")):
            continue
        pieces.append((start, chunk))
        start = match.end()
    pieces.append((start, text[start:]))
    return [(o, s.strip()) for o, s in pieces if s.strip()]


def logical_lines(text: str, stop: int) -> list[tuple[int, str]]:
    """(line, text) of each claim-bearing line, with flattened table rows rebuilt.

    Several accounts write a table one cell per line: '| Phase |', 'Role |', ... A line that starts
    with '|' opens a row; following lines ending in '|' are its cells. Rows after the first become
    'Header: cell; Header: cell' text.
    """
    lines = text.split("\n")[:stop]
    result: list[tuple[int, str]] = []
    header: list[str] | None = None
    index = 0
    while index < len(lines):
        line = lines[index].rstrip()
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|") and stripped.count("|") == 2 and index + 1 < len(lines):
            cells, start = [stripped.strip("| ").strip()], index
            index += 1
            while index < len(lines):
                nxt = lines[index].strip()
                if nxt.startswith("|") or not nxt.endswith("|"):
                    break
                cells.append(nxt.rstrip("|").strip())
                index += 1
            header, result = _table_row(cells, header, start + 1, result)
            continue
        if stripped.startswith("|") and stripped.count("|") >= 3:
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                header, result = _table_row(cells, header, index + 1, result)
            index += 1
            continue
        header = None if stripped else header
        if stripped.startswith("#"):
            index += 1
            continue  # a heading names a section; it states nothing on its own
        if stripped:
            result.append((index + 1, re.sub(r"^\s*(?:[-*•]|\d{1,3}[.)])\s+", "", stripped)))
        index += 1
    return result


def _table_row(
    cells: list[str], header: list[str] | None, line: int, result: list[tuple[int, str]]
) -> tuple[list[str], list[tuple[int, str]]]:
    if header is None or len(cells) != len(header):
        return cells, result  # the first row of a table is its header
    text = "; ".join(f"{h}: {c}" for h, c in zip(header, cells, strict=True) if c)
    result.append((line, text))
    return header, result


def extract_claims(account: Account, text: str, gazetteer: Gazetteer, registry: Registry | None = None) -> list[Claim]:
    """The account's claims, in order. Its reference list is not a claim."""
    stop = len(text.split("\n"))  # the reference list states dates too ('leaves OpenAI, Feb 14 2024')
    markers: dict[int, list[str]] = {}
    if account.inline_markers_resolve:
        for marker in find_inline_markers(account, text):
            markers.setdefault(marker.line, []).append(marker.ref)
    claims: list[Claim] = []
    for line_no, line in logical_lines(text, stop):
        context: str | None = None
        for _, sentence in split_sentences(line):
            claim = make_claim(account.id, line_no, sentence, gazetteer, context)
            if claim is None:
                continue
            others = [n for n in claim.names if n != gazetteer.default_subject]
            context = others[-1] if others else context
            refs = re.findall(r"\[(\d{1,4})\]", sentence) if account.inline_markers_resolve else []
            ids = []
            for ref in refs:
                source = registry.resolve(f"{account.id}:{ref}") if registry else None
                if source is not None and source.id not in ids:
                    ids.append(source.id)
            claims.append(Claim(**{**claim.__dict__, "citations": tuple(ids)}))
    return claims


def make_claim(
    account: str, line: int, sentence: str, gazetteer: Gazetteer, context: str | None = None
) -> Claim | None:
    """A claim from one sentence, or None when it is too short to state anything.

    `context` is the last entity named earlier in the same paragraph: 'Both are tiny, with about
    100 and 50 lines' speaks of the work the previous sentence named.
    """
    clean = re.sub(r"\s*\[\d{1,4}(?:\s*[-–,]\s*\d{1,4})*\]", "", sentence).strip()
    if len(re.findall(r"[A-Za-z]{2,}", clean)) < 3:
        return None  # 'MEDIUM | HIGH', '| 2016 |': structure, not a statement
    date_values = find_date_values(clean)
    dates = tuple(date_values)
    quantities = tuple(find_quantities(clean, date_values))
    mentions = gazetteer.mentions(clean)
    names = tuple(dict.fromkeys(m.entity for m in mentions))
    facets = tuple(_facets(clean, dates, quantities, mentions, gazetteer, context))
    return Claim(account, line, clean, dates, quantities, names, (), facets)


WORK_DATES = {"published", "released", "announced", "coined", "date", "talk"}
# Percentages and spans of time measure many different things in one text: too ambiguous to compare.
SHARES_AND_SPANS = {"percent", "years", "months", "days", "hours"}
# Events the profile's subject has in person; any other date about "him" is too vague to compare.
PERSONAL_EVENTS = {"born"}


def _facets(
    text: str,
    dates: tuple[DateValue, ...],
    quantities: tuple[Quantity, ...],
    mentions: list[Mention],
    gazetteer: Gazetteer,
    context: str | None = None,
) -> list[Facet]:
    facets: list[Facet] = []
    default = gazetteer.default_subject
    events: list[tuple[int, str]] = []  # (only a date that is not a range looks for an event word)
    if any(not date.is_range for date in dates):
        events = find_events(text)
    for date in dates:
        attribute = "period" if date.is_range else _nearest_event(events, date.offset, 80)
        window = 60 if date.is_range else 80
        if attribute is None:
            # Timeline lines: '2025-12-20 Year-in-review — ...', '(agentic engineering, Jan 27 2026)'.
            after = [m for m in mentions if 0 <= m.start - (date.offset + len(date.text)) <= 3]
            before = [m for m in mentions if 0 <= date.offset - m.end <= 3]
            adjacent = [m for m in after + before if m.entity != default]
            if not adjacent:
                continue
            attribute, subject = "date", adjacent[0].entity
        else:
            subject = _nearest_subject(text, mentions, date.offset, default, window)
        if subject is None and attribute in PERSONAL_EVENTS:
            subject = default
        if subject and gazetteer.kinds.get(subject) == "work" and attribute in WORK_DATES:
            attribute = "appeared"  # a work has one date of appearance, however an account words it
        if subject:
            facets.append(Facet(subject, attribute, date))
    facets = _align_disputed_dates(text, dates, facets)
    for quantity in quantities:
        subject = _nearest_subject(text, mentions, quantity.offset, default, 60)
        if subject is None and not [m for m in mentions if m.entity != default]:
            subject = context
        # Counts belong to works and organizations: '150-line micrograd', 'a 1M car fleet at Tesla'.
        if quantity.unit in SHARES_AND_SPANS:
            continue
        if subject and gazetteer.kinds.get(subject) != "person":
            facets.append(Facet(subject, quantity.unit, quantity))
    # A count left without a subject shares that of a same-unit count in the claim ('"1M car fleet";
    # the AI Day transcript gives 1.5 million').
    for quantity in quantities:
        if quantity.unit in SHARES_AND_SPANS or any(f.value is quantity for f in facets):
            continue
        peer = next((f for f in facets if isinstance(f.value, Quantity) and f.value.unit == quantity.unit), None)
        if peer is not None:
            facets.append(Facet(peer.subject, peer.attribute, quantity))
    return facets


DISPUTE = re.compile(r"\b(?:or|vs\.?|versus|conflict\w*|discrepan\w*|disagree\w*|contradict\w*|gives|but)\b", re.I)


def _align_disputed_dates(text: str, dates: tuple[DateValue, ...], facets: list[Facet]) -> list[Facet]:
    """'On October 4, 2024 (per the README) or October 15, 2024 (per the blog)': two dates set against
    each other in one claim speak of the same subject and attribute, whichever names sit nearer."""
    by_date = {id(f.value): f for f in facets}
    result = list(facets)
    for i, first in enumerate(dates):
        for second in dates[i + 1 :]:
            between = text[first.offset + len(first.text) : second.offset]
            if len(between) > 160 or not DISPUTE.search(between) or first.is_range != second.is_range:
                continue
            if first.start[:4] != second.start[:4] or first.start == second.start:
                continue
            anchor = by_date.get(id(first)) or by_date.get(id(second))
            if anchor is None:
                continue
            for date in (first, second):
                existing = by_date.get(id(date))
                if existing is not None and existing.key != anchor.key:
                    result.remove(existing)
                    existing = None
                if existing is None:
                    facet = Facet(anchor.subject, anchor.attribute, date)
                    result.append(facet)
                    by_date[id(date)] = facet
    return result


def _nearest_event(events: list[tuple[int, str]], offset: int, window: int) -> str | None:
    # An event word before the date usually governs it ('returned to OpenAI in 2023 following ...').
    def distance(event: tuple[int, str]) -> int:
        return offset - event[0] if event[0] <= offset else 2 * (event[0] - offset)

    best = min(events, key=distance, default=None)
    return best[1] if best and distance(best) <= window else None


def _nearest_subject(text: str, mentions: list[Mention], offset: int, default: str, window: int) -> str | None:
    """The named entity (other than the profile's subject, named everywhere) a value belongs to.

    Names before the value win over names after it ('OpenAI founding member 2015–2017, Tesla'), and
    a comma or semicolon in between weakens the link.
    """

    def distance(mention: Mention) -> int:
        if mention.end <= offset:
            gap, weight = text[mention.end : offset], 1
        else:
            gap, weight = text[offset : mention.start], 3
        return weight * len(gap) + (25 if re.search(r"[;,]", gap) else 0)

    candidates = [m for m in mentions if m.entity != default]
    if not candidates:
        return None
    best = min(candidates, key=distance)
    return best.entity if distance(best) <= window else None
