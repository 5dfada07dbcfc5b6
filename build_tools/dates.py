"""Dates as accounts write them, normalized to ISO text: 'YYYY-MM-DD', 'YYYY-MM' or 'YYYY'."""

from __future__ import annotations

import datetime as _dt
import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_PATTERNS = [
    re.compile(r"\b(?P<iso>(?:19|20)\d\d-[01]\d-[0-3]\d)\b"),
    re.compile(_MONTH + r"\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?,?\s+" + _YEAR + r"\b", re.I),
    re.compile(r"\b(?P<day>[0-3]?\d)\s+" + _MONTH + r",?\s+" + _YEAR + r"\b", re.I),
    re.compile(r"\b" + _MONTH + r",?\s+" + _YEAR + r"\b", re.I),
    re.compile(r"(?<![\w.:/-])" + _YEAR + r"(?![\w:/-]|\.\d)"),
]
_STARTS_WITH_MONTH = (1, 3)  # indexes in _PATTERNS
_ACCESSED = re.compile(r"(accessed|retrieved|checked|fetched|as of)\s*$", re.I)


@dataclass(frozen=True)
class FoundDate:
    """A date found in text: its ISO value and where it was."""

    value: str
    start: int
    end: int


_HAS_MONTH = re.compile(r"\b(?:" + "|".join(MONTHS) + r")", re.I)
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_MONTH_PREFIXES = sorted({name[:3] for name in MONTHS})


def month_starts(text: str) -> list[int] | None:
    """Where a month's name may begin in `text` (its first three letters, in any case), in order:
    the only places a pattern that begins with a month can match. None where only the patterns can
    tell: 'ſ' matches 's' in any case, and is the only letter outside ASCII that matches one of theirs.

    Month patterns tried at every position were most of the time spent finding dates; three-letter
    look-ups are not."""
    if "ſ" in text:
        return None
    folded = text.translate(_ASCII_LOWER)  # (lower() can change the length outside ASCII)
    starts = []
    for prefix in _MONTH_PREFIXES:
        at = folded.find(prefix)
        while at >= 0:
            starts.append(at)
            at = folded.find(prefix, at + 1)
    return sorted(starts)


def matches_at(pattern: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """What `pattern.finditer(text)` finds, for a pattern that can only match at `starts` (in order)."""
    end = 0
    for at in starts:
        if at >= end and (match := pattern.match(text, at)) is not None:
            yield match
            end = match.end()


def _word_start(text: str, at: int) -> bool:
    """Whether a word starts at `at` (a letter there), as `\\b` sees it."""
    return at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_")


def find_dates(text: str) -> list[FoundDate]:
    """Every date in `text`, most specific first where two overlap, in text order."""
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    starts = month_starts(text)
    if starts is None:
        has_month = bool(_HAS_MONTH.search(text))
    else:
        has_month = any(_word_start(text, at) for at in starts)
    for index, pattern in enumerate(_PATTERNS):
        if 1 <= index <= 3 and not has_month:
            continue  # the month patterns cannot match
        if starts is not None and index in _STARTS_WITH_MONTH:
            matches: Iterable[re.Match[str]] = matches_at(pattern, text, starts)
        else:
            matches = pattern.finditer(text)
        for match in matches:
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            value = _normalize(match)
            if value:
                found.append(FoundDate(value, match.start(), match.end()))
                taken.append((match.start(), match.end()))
    return sorted(found, key=lambda d: d.start)


def first_date(text: str) -> str | None:
    """The most specific publication-like date in `text` (the first among equals).

    Access dates ('accessed Mar 2026') are skipped, and 'Tesla Autonomy Day 2019 recap,
    Apr 23 2019' gives '2019-04-23', not the bare year of the event's name.
    """
    candidates = [f for f in find_dates(text) if not _ACCESSED.search(text[: f.start])]
    if not candidates:
        return None
    return max(candidates, key=lambda f: (len(f.value), -f.start)).value


def parse_iso(value: str) -> _dt.date | None:
    """Parse 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD' to the first day it covers; None if invalid."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value.strip())
    if not match:
        return None
    year, month, day = match.group(1), match.group(2) or "01", match.group(3) or "01"
    try:
        return _dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _normalize(match: re.Match[str]) -> str | None:
    groups = match.groupdict()
    if groups.get("iso"):
        return groups["iso"] if parse_iso(groups["iso"]) else None
    year = int(groups["year"])
    if not groups.get("month"):
        return f"{year:04d}"
    month = MONTHS[groups["month"].casefold()]  # (casefold: "ſep" is "sep" to the pattern)
    if not groups.get("day"):
        return f"{year:04d}-{month:02d}"
    value = f"{year:04d}-{month:02d}-{int(groups['day']):02d}"
    return value if parse_iso(value) else None
