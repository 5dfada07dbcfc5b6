"""Values stated in claims: dates (single, ranges, numeric, qualified) and numbers with units."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from build_tools.dates import MONTHS, find_dates, matches_at, month_starts, parse_iso


@dataclass(frozen=True)
class DateValue:
    """A date or a period. `start`/`end` are ISO ('2015', '2015-12', '2015-12-01'); equal for a single date."""

    text: str
    start: str
    end: str
    offset: int
    approximate: bool = False

    @property
    def is_range(self) -> bool:
        return self.start != self.end

    def __str__(self) -> str:
        return self.start if not self.is_range else f"{self.start}/{self.end}"


@dataclass(frozen=True)
class Quantity:
    """A number with its unit, e.g. 150 lines, 1.5 million cars, 5.1 percent."""

    value: float
    unit: str
    text: str
    offset: int
    approximate: bool = False

    def __str__(self) -> str:
        number = f"{self.value:g}" if self.value < 1e6 else f"{self.value:,.0f}"
        return f"{'~' if self.approximate else ''}{number} {self.unit}"


_YEAR = r"(?:19|20)\d\d"
_DIGIT = re.compile(r"\d")


def states_values(text: str) -> bool:
    """Whether `text` can state a date or a number: every one is written with a digit."""
    return _DIGIT.search(text) is not None


_RANGE = re.compile(
    r"(?<![\w/])(?P<a>" + _YEAR + r")\s*(?:[–—-]|to)\s*(?P<b>" + _YEAR + r"|present|now|today)(?![\w/])", re.I
)
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_MONTH_RANGE = re.compile(
    r"\b(?P<m1>"
    + _MONTH_NAMES
    + r")\.?\s+(?P<y1>"
    + _YEAR
    + r")\s*[–—-]\s*(?P<m2>"
    + _MONTH_NAMES
    + r")\.?\s+(?P<y2>"
    + _YEAR
    + r")\b",
    re.I,
)
_APPROX_DATE = re.compile(r"(?:~|\babout|\baround|\bcirca|\bc\.)\Z")  # just before the date
_NUMERIC = re.compile(r"(?<![\w/.])(?P<m>[01]?\d)/(?P<d>[0-3]?\d)/(?P<y>\d\d(?:\d\d)?)(?![\w/])")
_QUALIFIED = re.compile(r"\b(?P<q>early|mid|late|spring|summer|autumn|fall|winter)[\s-]+(?P<y>" + _YEAR + r")\b", re.I)


def find_date_values(text: str) -> list[DateValue]:
    """Every date or period in `text`: ranges first, then numeric and qualified dates, then the rest."""
    if not states_values(text):
        return []
    found: list[DateValue] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return not any(start < b and a < end for a, b in taken)

    def add(value: DateValue, end: int) -> None:
        found.append(value)
        taken.append((value.offset, end))

    starts = month_starts(text) if "–" in text or "-" in text or "—" in text else []
    for match in _MONTH_RANGE.finditer(text) if starts is None else matches_at(_MONTH_RANGE, text, starts):
        start = f"{match.group('y1')}-{MONTHS[match.group('m1').casefold()]:02d}"
        end = f"{match.group('y2')}-{MONTHS[match.group('m2').casefold()]:02d}"
        add(DateValue(match.group(0), start, end, match.start()), match.end())
    for match in _RANGE.finditer(text):
        if not free(match.start(), match.end()):
            continue
        b = match.group("b")
        end = b if b[0].isdigit() else "present"
        add(DateValue(match.group(0), match.group("a"), end, match.start()), match.end())
    for match in _NUMERIC.finditer(text) if "/" in text else ():
        if not free(match.start(), match.end()):
            continue
        year = match.group("y")
        year = ("20" + year) if len(year) == 2 else year
        iso = f"{year}-{int(match.group('m')):02d}-{int(match.group('d')):02d}"
        if parse_iso(iso):
            add(DateValue(match.group(0), iso, iso, match.start()), match.end())
    for match in _QUALIFIED.finditer(text):
        if free(match.start(), match.end()):
            year = match.group("y")
            add(DateValue(match.group(0), year, year, match.start(), approximate=True), match.end())
    for date in find_dates(text):
        if free(date.start, date.end):
            before = text[: date.start].rstrip()
            approx = _APPROX_DATE.search(before, max(0, len(before) - len("around"))) is not None
            add(DateValue(text[date.start : date.end], date.value, date.value, date.start, approx), date.end)
    return sorted(found, key=lambda d: d.offset)


UNITS = {
    "line": "lines",
    "lines": "lines",
    "loc": "lines",
    "minute": "minutes",
    "minutes": "minutes",
    "min": "minutes",
    "hour": "hours",
    "hours": "hours",
    "star": "stars",
    "stars": "stars",
    "student": "students",
    "students": "students",
    "citation": "citations",
    "citations": "citations",
    "people": "people",
    "person": "people",
    "mile": "miles",
    "miles": "miles",
    "experiment": "experiments",
    "experiments": "experiments",
    "optimization": "optimizations",
    "optimizations": "optimizations",
    "optimisations": "optimizations",
    "lecture": "lectures",
    "lectures": "lectures",
    "video": "videos",
    "videos": "videos",
    "chapter": "chapters",
    "chapters": "chapters",
    "camera": "cameras",
    "cameras": "cameras",
    "parameter": "parameters",
    "parameters": "parameters",
    "params": "parameters",
    "token": "tokens",
    "tokens": "tokens",
    "user": "users",
    "users": "users",
    "word": "words",
    "words": "words",
    "page": "pages",
    "pages": "pages",
    "author": "authors",
    "authors": "authors",
    "point": "points",
    "points": "points",
    "comment": "comments",
    "comments": "comments",
    "image": "images",
    "images": "images",
    "percent": "percent",
    "%": "percent",
    "car": "cars",
    "cars": "cars",
    "vehicle": "cars",
    "vehicles": "cars",
    "complaint": "complaints",
    "complaints": "complaints",
    "submission": "submissions",
    "submissions": "submissions",
    "views": "views",
    "signatory": "signatories",
    "signatories": "signatories",
    "interventions": "interventions",
    "intervention": "interventions",
    "gpu": "gpus",
    "gpus": "gpus",
    "file": "files",
    "files": "files",
    "day": "days",
    "days": "days",
    "month": "months",
    "months": "months",
    "year": "years",
    "years": "years",
}
# Counts that grow with time: two values with different as-of dates are a series, not a conflict.
TIME_VARYING = {"stars", "citations", "users", "views", "points", "comments", "submissions", "signatories", "cars"}
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9, "t": 1e12, "trillion": 1e12}
_APPROX_WORDS = r"(?:~|≈|about\s|approximately\s|roughly\s|around\s|nearly\s|over\s|more than\s|some\s|almost\s)"
_APPROX_LONGEST = len("approximately ")
# A number, then its unit: '150-line', '15,100 stars', '1.5 million cars', '8-lecture'.
_COUNT = re.compile(
    r"(?<![\w.$])(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s?(?P<scale>k|K|M|B|T|thousand|million|billion|trillion)?\+?"
    r"(?:[\s-]+(?:(?-i:[a-z]+)[\s-]+){0,2}?)?(?P<unit>"
    + "|".join(sorted((re.escape(u) for u in UNITS if u != "%"), key=len, reverse=True))
    + r")\b",
    re.I,
)
_PERCENT = re.compile(r"(?<![\w.])(?P<pnum>\d+(?:\.\d+)?)\s?%")
_NUMBER_START = re.compile(r"(?<![\w.])\d")
_APPROX_BEFORE = re.compile(_APPROX_WORDS + r"\Z", re.I)


def _quantity_matches(text: str) -> Iterator[tuple[re.Match[str], int, bool]]:
    """Each quantity stated in `text`, in order and without overlaps: (the count's or percentage's
    match, where the quantity starts with its 'about' or '~', whether it is approximate).

    One pattern with the approximating words in front, tried at every position of every claim, took
    a third of `reconcile`'s claim extraction: the numbers are found first here, and the words are
    looked for just before each one."""
    searched_from = 0  # quantities do not overlap: the next one starts after the last one found
    for digit in _NUMBER_START.finditer(text):
        at = digit.start()
        if at < searched_from:
            continue
        match = _COUNT.match(text, at) or _PERCENT.match(text, at)
        if match is None:
            continue
        approx = _APPROX_BEFORE.search(text, max(searched_from, at - _APPROX_LONGEST), at)
        yield match, approx.start() if approx else at, approx is not None
        searched_from = match.end()


def find_quantities(text: str, date_values: list[DateValue] | None = None) -> list[Quantity]:
    """Numbers with units: '150-line', '~15,100 stars', '5.1%', '1.5 million cars', '8-lecture'."""
    if not states_values(text):
        return []
    result = []
    if date_values is None:
        date_values = find_date_values(text)
    dates = [(d.offset, d.offset + len(d.text)) for d in date_values]
    for match, start, approx in _quantity_matches(text):
        offset = match.start()
        if match.re is _PERCENT:
            value, unit = float(match.group("pnum")), "percent"
        else:
            if any(a <= offset < b for a, b in dates):
                continue  # '2015 students' is a year followed by a noun, not a count
            value = float(match.group("num").replace(",", ""))
            scale = (match.group("scale") or "").lower()
            value *= _SCALE.get(scale, 1)
            unit = UNITS[match.group("unit").lower()]
            between = text[match.end("num") : match.start("unit")]
            if re.search(r"[.;:,()]", between):
                continue
        result.append(Quantity(value, unit, text[start : match.end()].strip(), offset, approx))
        # 'from 150 to 750 students', 'about 100 and 50 lines': the earlier number shares the unit.
        before = _leading(text, start) if unit != "percent" else None
        if before:
            lead = float(before.group("n").replace(",", "")) * _SCALE.get((before.group("s") or "").lower(), 1)
            result.append(
                Quantity(lead, unit, before.group(0).strip(), before.start("n"), approx or bool(before.group("a")))
            )
    # '... states "1M car fleet"; the transcript gives 1.5 million': a bare scaled number takes the unit
    # of the quantity stated before it in the same sentence.
    if result:
        taken = {q.offset for q in result}
        for match in _BARE_SCALED.finditer(text):
            if match.start("n") in taken or any(a <= match.start() < b for a, b in dates):
                continue
            earlier = [q for q in result if q.offset < match.start()]
            if earlier:
                value = float(match.group("n").replace(",", "")) * _SCALE[match.group("s").lower()]
                result.append(Quantity(value, earlier[-1].unit, match.group(0).strip(), match.start("n")))
    return sorted(result, key=lambda q: q.offset)


_BARE_SCALED = re.compile(
    r"(?<![\w.$])(?P<n>\d+(?:\.\d+)?)\s?(?P<s>million|billion|M|B)\b(?!\s*(?:\w+\s+){0,2}(?:"
    + "|".join(UNITS)
    + r")\b)"
)


_LEADING_JOINS = ("and", "or", "to", "→", "->")  # what joins the earlier number to the amount
_LEADING_APPROX = ("~", "about ", "roughly ")  # what may come between the join and the amount
_LEADING = re.compile(
    r"(?P<a>~|about |approximately |roughly |around )?(?<![\w.$])(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s?(?P<s>k|K|M|million)?"
    r"\s*(?:"
    + "|".join(map(re.escape, _LEADING_JOINS))
    + r")\s*(?:"
    + "|".join(map(re.escape, _LEADING_APPROX))
    + r")?$"
)


def _leading(text: str, start: int) -> re.Match[str] | None:
    """_LEADING in the text before `start` (where an amount begins).

    Searched for in full before every amount, the pattern took 6% of extracting a claim: it is tried
    at every position of what comes before. It can only match where that text ends with a joining
    word, perhaps followed by '~', 'about' or 'roughly', so that is looked at first."""
    before = text[:start]
    tail = before.rstrip()
    for word in _LEADING_APPROX:
        if tail.endswith(word.rstrip()):
            tail = tail[: -len(word.rstrip())].rstrip()
            break
    return _LEADING.search(before) if tail.endswith(_LEADING_JOINS) else None


def dates_agree(a: DateValue, b: DateValue) -> bool:
    """Whether two dates or periods can both be true: one contains or refines the other."""

    def within(x: str, y: str) -> bool:
        return x.startswith(y) or y.startswith(x)

    if a.approximate or b.approximate:
        return a.start[:4] == b.start[:4] or a.end[:4] == b.end[:4]
    if a.is_range and b.is_range:
        return within(a.start, b.start) and within(a.end, b.end)
    if a.is_range != b.is_range:
        rng, single = (a, b) if a.is_range else (b, a)
        return within(single.start, rng.start) or within(single.start, rng.end) or rng.start <= single.start <= rng.end
    return within(a.start, b.start)


def quantities_agree(a: Quantity, b: Quantity) -> bool:
    """Whether two amounts of the same unit agree, allowing 10% either way when one is approximate."""
    if a.value == b.value:
        return True
    tolerance = 0.1 if (a.approximate or b.approximate) else 0.005
    return abs(a.value - b.value) <= tolerance * max(a.value, b.value)
