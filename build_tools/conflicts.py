"""The conflict register (sources/conflicts.yml), shaped like Wikidata's ranked statements.

Each conflict has an id, a subject, and its competing values. Each value lists the claims and
sources that state it and a rank: preferred, normal or deprecated; a rank other than normal needs
a written reason. A losing value is deprecated, never deleted, so nobody adds it back. `match`
ties an entry to what `reconcile` detects (a subject and an attribute); entries without it are
curated by hand (titles, roles) and guarded by their phrases.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from build_tools import yamlio
from build_tools.diagnostics import Diagnostic
from build_tools.values import DateValue, Quantity, find_date_values, find_quantities

RANKS = ("preferred", "normal", "deprecated")
VERDICTS = ("conflict", "reconciled", "not a conflict")


@dataclass(frozen=True)
class ClaimRef:
    account: str
    line: int


@dataclass
class RegisterValue:
    value: str
    rank: str
    reason: str = ""
    claims: list[ClaimRef] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    line: int = 0

    def parsed(self) -> DateValue | Quantity | None:
        """The value as a date or an amount, when it is one (for comparing with detected facets)."""
        return _parsed(self.value)


@functools.lru_cache(maxsize=4096)
def _parsed(value: str) -> DateValue | Quantity | None:
    """A register value read as a date or an amount. Kept by its text: the conflict guard asks for
    every value of every entry for each sentence of each page (70,000 times in one build of 22 pages)."""
    dates = find_date_values(value)
    if dates and dates[0].text.strip() == value.strip():
        return dates[0]
    quantities = find_quantities(value)
    if quantities:
        return quantities[0]
    return None


@dataclass
class RegisterEntry:
    id: str
    subject: str
    verdict: str = "conflict"
    resolution: str = ""
    match: tuple[str, str] | None = None  # (subject, attribute) as reconcile names them
    # Words one of which must share a sentence with a value's phrase for the sentence to speak of
    # this disagreement ("Google Brain" alone is not about where he interned in 2011).
    context: list[str] = field(default_factory=list)
    values: list[RegisterValue] = field(default_factory=list)
    line: int = 0

    @property
    def resolved(self) -> bool:
        return self.verdict != "conflict" or any(v.rank == "preferred" for v in self.values)


@dataclass
class Register:
    entries: dict[str, RegisterEntry] = field(default_factory=dict)
    path: str = "sources/conflicts.yml"

    def by_match(self) -> dict[tuple[str, str], RegisterEntry]:
        return {e.match: e for e in self.entries.values() if e.match}


def load_register(path: Path, rel: str) -> tuple[Register, list[Diagnostic]]:
    """Load the register; a missing file is an empty register (nothing curated yet)."""
    register = Register(path=rel)
    if not path.is_file():
        return register, []
    try:
        data = yamlio.load(path)
    except yamlio.YamlError as exc:
        return register, [Diagnostic(rel, exc.line, "K001", "error", exc.message)]
    entries = data.get("conflicts") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return register, [Diagnostic(rel, 1, "K001", "error", "expected a top-level 'conflicts:' list")]
    problems: list[Diagnostic] = []
    for raw in entries:
        entry, found = _parse_entry(raw, rel)
        problems.extend(found)
        if entry is None:
            continue
        if entry.id in register.entries:
            problems.append(Diagnostic(rel, entry.line, "K002", "error", f"duplicate conflict id '{entry.id}'"))
            continue
        register.entries[entry.id] = entry
    return register, problems


def _parse_entry(raw: object, rel: str) -> tuple[RegisterEntry | None, list[Diagnostic]]:
    line = yamlio.line_of(raw)
    if not isinstance(raw, dict) or not raw.get("id") or not raw.get("subject"):
        return None, [Diagnostic(rel, line, "K001", "error", "each conflict needs an 'id' and a 'subject'")]
    problems: list[Diagnostic] = []
    entry = RegisterEntry(id=str(raw["id"]), subject=str(raw["subject"]), line=line)
    entry.verdict = str(raw.get("verdict") or "conflict")
    if entry.verdict not in VERDICTS:
        problems.append(
            Diagnostic(rel, line, "K003", "error", f"verdict '{entry.verdict}' must be one of: {', '.join(VERDICTS)}")
        )
    entry.resolution = str(raw.get("resolution") or "").strip()
    entry.context = [str(word).lower() for word in raw.get("context") or []]
    match = raw.get("match")
    if isinstance(match, dict) and match.get("subject") and match.get("attribute"):
        entry.match = (str(match["subject"]), str(match["attribute"]))
    elif match is not None:
        problems.append(
            Diagnostic(rel, line, "K001", "error", f"conflict '{entry.id}': 'match' needs 'subject' and 'attribute'")
        )
    for raw_value in raw.get("values") or []:
        vline = yamlio.line_of(raw_value, line)
        if not isinstance(raw_value, dict) or "value" not in raw_value:
            problems.append(Diagnostic(rel, vline, "K001", "error", f"conflict '{entry.id}': each value needs 'value'"))
            continue
        value = RegisterValue(
            value=str(raw_value["value"]),
            rank=str(raw_value.get("rank") or "normal"),
            reason=str(raw_value.get("reason") or "").strip(),
            sources=[str(s) for s in raw_value.get("sources") or []],
            phrases=[str(p) for p in raw_value.get("phrases") or []],
            line=vline,
        )
        for ref in raw_value.get("claims") or []:
            if isinstance(ref, dict) and ref.get("account") and str(ref.get("line", "")).isdigit():
                value.claims.append(ClaimRef(str(ref["account"]), int(ref["line"])))
            else:
                problems.append(
                    Diagnostic(rel, vline, "K001", "error", f"conflict '{entry.id}': claims need 'account' and 'line'")
                )
        if value.rank not in RANKS:
            problems.append(
                Diagnostic(rel, vline, "K003", "error", f"rank '{value.rank}' must be one of: {', '.join(RANKS)}")
            )
        elif value.rank != "normal" and not value.reason:
            problems.append(
                Diagnostic(
                    rel,
                    vline,
                    "K004",
                    "error",
                    f"conflict '{entry.id}': the {value.rank} value '{value.value}' needs a 'reason'",
                )
            )
        entry.values.append(value)
    if entry.verdict == "conflict" and len(entry.values) < 2:
        problems.append(Diagnostic(rel, line, "K005", "error", f"conflict '{entry.id}' needs at least two values"))
    if entry.verdict == "conflict" and sum(v.rank == "preferred" for v in entry.values) > 1:
        problems.append(
            Diagnostic(rel, line, "K005", "error", f"conflict '{entry.id}' has more than one preferred value")
        )
    return entry, problems


# A sentence that reports what a source says, or sets values against each other, is not stating
# the value as fact.
ATTRIBUTION = re.compile(
    r"\b(?:claim\w*|say\w*|said|give\w*|gave|report\w*|according to|state[sd]?|stating|write\w*|wrote|"
    r"list\w*|call\w*|put\w*|dates?|dated|describ\w*|quot\w*|mention\w*|suggest\w*|assert\w*|attribut\w*|"
    r"disagree\w*|version|instead|while|whereas|rather than|not|unsourced|deprecated)\b",
    re.I,
)
_QUOTED = re.compile(r"[\"“][^\"“”]*[\"”]")


def quoted(sentence: str, start: int, end: int) -> bool:
    """Whether sentence[start:end] lies inside a quotation."""
    return any(m.start() < start and end <= m.end() for m in _QUOTED.finditer(sentence))


def phrases_of(value: RegisterValue) -> list[str]:
    """What a value is recognized by in a sentence, lower-cased: its phrases, or the value itself when
    it is plain text (not a date or an amount); phrases shorter than 4 characters are left out."""
    phrases = value.phrases or ([value.value] if value.parsed() is None else [])
    return [p.lower() for p in phrases if len(p) >= 4]


def phrase_hits(entry: RegisterEntry, text: str, *, unquoted_only: bool = False) -> Iterator[RegisterValue]:
    """Values of `entry` whose phrases (or, for plain text values, the value itself) occur in `text`."""
    lowered = text.lower()
    # (`in` first: most sentences hold neither the words nor the phrases, and it is far cheaper)
    if entry.context and not any(
        word in lowered and re.search(rf"\b{re.escape(word)}", lowered) for word in entry.context
    ):
        return
    for value in entry.values:
        for phrase in phrases_of(value):
            if phrase not in lowered:
                continue
            starts = [m.start() for m in re.finditer(re.escape(phrase), lowered)]
            if unquoted_only:
                starts = [s for s in starts if not quoted(text, s, s + len(phrase))]
            if starts:
                yield value
                break
