"""Reconcile claims: merge what accounts repeat, find where they disagree.

Merging blocks claims on shared rare words, names and values before comparing text with rapidfuzz,
so the cost grows close to linearly with the number of claims. Disagreements come from facets:
claims about the same subject and attribute whose values cannot both be true.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from build_tools.conflicts import Register, RegisterEntry
from build_tools.project import Project
from build_tools.statements import DISPUTE, Claim, Facet, extract_claims
from build_tools.values import TIME_VARYING, DateValue, Quantity, dates_agree, quantities_agree

MATCH_SCORE = 85.0
MAX_BLOCK = 60
STOP = set(
    "the a an and or of on in for to with by from via as at is are was were be been its it into than that this these "
    "those he his him she her they their them who which what when where while also not no but has have had did do "
    "does about after before over under more most such can could would should will may might one two all any each "
    "other".split()
)


@dataclass
class ValueGroup:
    """One of the competing values of a conflict, with the claims that state it."""

    value: DateValue | Quantity
    claims: list[Claim] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(self.value)

    @property
    def accounts(self) -> list[str]:
        return sorted({c.account for c in self.claims})


@dataclass
class Conflict:
    id: str
    subject: str
    attribute: str
    values: list[ValueGroup]

    @property
    def key(self) -> tuple[str, str]:
        return (self.subject, self.attribute)


@dataclass
class Series:
    """A time-varying figure (stars, citations, ...) stated with different as-of dates."""

    subject: str
    attribute: str
    points: list[tuple[str, ValueGroup]]


@dataclass
class Result:
    claims: list[Claim]
    clusters: list[list[Claim]]
    conflicts: list[Conflict]
    series: list[Series]
    agreements: list[tuple[tuple[str, str], ValueGroup]]  # facet values stated by several accounts


def reconcile(claims: list[Claim]) -> Result:
    clusters = cluster_claims(claims)
    conflicts, series, agreements = find_conflicts(claims)
    return Result(claims, clusters, conflicts, series, agreements)


# Merging duplicates ---------------------------------------------------------------------------


def normalize(text: str) -> str:
    return " ".join(w for w in re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", text.lower()) if w not in STOP)


def blocking_keys(claim: Claim, frequency: dict[str, int], limit: int, words: set[str] | None = None) -> set[str]:
    """The blocks a claim goes in: its rarest words (`words`: its normalized words, when known) and values."""
    if words is None:
        words = set(normalize(claim.text).split())
    rare = sorted((w for w in words if frequency.get(w, 0) <= limit and len(w) > 3), key=lambda w: (frequency[w], w))
    keys = {f"w:{w}" for w in rare[:4]}
    keys.update(f"v:{v}" for v in (*claim.dates, *claim.quantities))
    keys.update(f"n:{name}" for name in claim.names)
    return keys


def candidate_pairs(claims: list[Claim], texts: list[str] | None = None) -> set[tuple[int, int]]:
    """Pairs worth comparing: claims that share a rare word or a value (blocks over MAX_BLOCK skipped).
    `texts`: the claims' normalized texts, when they are known already."""
    if texts is None:
        texts = [normalize(c.text) for c in claims]
    normalized = [set(text.split()) for text in texts]
    frequency: dict[str, int] = defaultdict(int)
    for words in normalized:
        for word in words:
            frequency[word] += 1
    limit = max(3, len(claims) // 100)
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, claim in enumerate(claims):
        for key in blocking_keys(claim, frequency, limit, normalized[index]):
            blocks[key].append(index)
    pairs: set[tuple[int, int]] = set()
    # Identical wording: chain the repeats (linear), the clustering joins them all.
    exact: dict[str, list[int]] = defaultdict(list)
    for index, text in enumerate(texts):
        exact[text].append(index)
    for members in exact.values():
        pairs.update(zip(members, members[1:], strict=False))
    for members in blocks.values():
        if len(members) > MAX_BLOCK:
            continue
        for i, left in enumerate(members):
            for right in members[i + 1 :]:
                pairs.add((left, right))
    return pairs


def similar(a: str, b: str) -> bool:
    """Two normalized claim texts say the same thing."""
    (count_a, sorted_a), (count_b, sorted_b) = _tokens(a), _tokens(b)
    if min(count_a, count_b) < 4:
        return a == b
    # fuzz.ratio of the words sorted is token_sort_ratio, with each text's words sorted once, not once
    # per pair. With a cutoff, rapidfuzz stops as soon as the score cannot reach it (and returns 0).
    return fuzz.ratio(sorted_a, sorted_b, score_cutoff=MATCH_SCORE) >= MATCH_SCORE or (
        min(len(a), len(b)) >= 0.6 * max(len(a), len(b)) and fuzz.token_set_ratio(a, b, score_cutoff=95) >= 95
    )


@functools.lru_cache(maxsize=1 << 17)
def _tokens(text: str) -> tuple[int, str]:
    """A normalized text's number of words, and its words sorted (a claim is compared many times)."""
    words = text.split()
    return len(words), " ".join(sorted(words))


def same_claim(a: Claim, b: Claim, a_text: str, b_text: str) -> bool:
    """Two claims say the same thing: close wording, and neither names someone the other does not
    ('Project A was released in 2014' and 'Project B was released in 2014' are two facts)."""
    names_a, names_b = set(a.names), set(b.names)
    if names_a and names_b and not (names_a <= names_b or names_b <= names_a):
        return False
    return similar(a_text, b_text)


def cluster_claims(claims: list[Claim], pairs: Iterable[tuple[int, int]] | None = None) -> list[list[Claim]]:
    """Groups of claims that say the same thing (singletons included), by union-find."""
    texts = [normalize(c.text) for c in claims]
    parent = list(range(len(claims)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for left, right in pairs if pairs is not None else candidate_pairs(claims, texts):
        if same_claim(claims[left], claims[right], texts[left], texts[right]):
            parent[find(left)] = find(right)
    groups: dict[int, list[Claim]] = defaultdict(list)
    for index, claim in enumerate(claims):
        groups[find(index)].append(claim)
    return sorted(groups.values(), key=lambda g: (-len({c.account for c in g}), -len(g), g[0].account, g[0].line))


# Finding disagreements --------------------------------------------------------------------------


def comparable(a: DateValue | Quantity, b: DateValue | Quantity) -> bool:
    """Whether two values plausibly describe the same thing (else: two events, two stints, two parts)."""
    if isinstance(a, DateValue) and isinstance(b, DateValue):
        if a.is_range != b.is_range:
            return False
        if a.is_range:
            return _years(a.start) <= _years(b.end, high=True) and _years(b.start) <= _years(a.end, high=True)
        if len(a.start) >= 7 and len(b.start) >= 7:  # both give a month: one event is dated weeks apart at most
            months = (int(a.start[:4]) * 12 + int(a.start[5:7])) - (int(b.start[:4]) * 12 + int(b.start[5:7]))
            return abs(months) <= 1
        return abs(_years(a.start) - _years(b.start)) <= 1
    if isinstance(a, Quantity) and isinstance(b, Quantity):
        low, high = sorted((a.value, b.value))
        return low > 0 and high / low <= 10
    return False


def _years(iso: str, high: bool = False) -> int:
    if iso == "present":
        return 9999
    return int(iso[:4])


def agree(a: DateValue | Quantity, b: DateValue | Quantity) -> bool:
    if isinstance(a, DateValue) and isinstance(b, DateValue):
        return dates_agree(a, b)
    if isinstance(a, Quantity) and isinstance(b, Quantity):
        return quantities_agree(a, b)
    return False


def find_conflicts(
    claims: list[Claim],
) -> tuple[list[Conflict], list[Series], list[tuple[tuple[str, str], ValueGroup]]]:
    by_key: dict[tuple[str, str], list[tuple[Facet, Claim]]] = defaultdict(list)
    for claim in claims:
        for facet in claim.facets:
            by_key[facet.key].append((facet, claim))
    conflicts: list[Conflict] = []
    series: list[Series] = []
    agreements: list[tuple[tuple[str, str], ValueGroup]] = []
    for key, items in sorted(by_key.items()):
        groups = group_values(items)
        for group in groups:
            if len(group.accounts) >= 2:
                agreements.append((key, group))
        clashing = clashing_groups(groups)
        if not clashing:
            continue
        if key[1] in TIME_VARYING and _as_of_dates_differ(clashing):
            series.append(Series(key[0], key[1], [(_as_of(g), g) for g in clashing]))
            continue
        conflicts.append(Conflict(conflict_id(*key), key[0], key[1], clashing))
    return conflicts, series, agreements


def _precision(value: DateValue | Quantity) -> int:
    if isinstance(value, DateValue):
        return len(value.start) + len(value.end)
    return 0 if value.approximate else 1


def group_values(items: list[tuple[Facet, Claim]]) -> list[ValueGroup]:
    """Group equal values; a vaguer value ('October 2024') supports every precise group it fits
    ('2024-10-04', '2024-10-15') instead of swallowing them into one."""
    groups: list[ValueGroup] = []
    ordered = sorted(items, key=lambda item: -_precision(item[0].value))
    for facet, claim in ordered:
        fits = [g for g in groups if agree(g.value, facet.value) and comparable(g.value, facet.value)]
        same = [g for g in fits if _precision(g.value) == _precision(facet.value)]
        if same or (fits and _precision(facet.value) < _precision(fits[0].value)):
            for group in same or fits:
                if claim not in group.claims:
                    group.claims.append(claim)
        else:
            groups.append(ValueGroup(facet.value, [claim]))
    return groups


def clashing_groups(groups: list[ValueGroup]) -> list[ValueGroup]:
    """Groups whose value disagrees with another comparable group's, stated by different claims."""
    result: list[ValueGroup] = []
    for i, left in enumerate(groups):
        for right in groups[i + 1 :]:
            if not comparable(left.value, right.value) or agree(left.value, right.value):
                continue
            # A claim stating both values ('100 and 50 lines') is two facts, not a dispute, unless it
            # says they compete ('October 4 or October 15', '1M ... gives 1.5 million', 'discrepancy').
            lefts, rights = {id(c) for c in left.claims}, {id(c) for c in right.claims}
            shared = [c for c in left.claims if id(c) in rights]
            if (lefts <= rights or rights <= lefts) and not any(_disputed(c, left.value, right.value) for c in shared):
                continue
            for group in (left, right):
                if group not in result:
                    result.append(group)
    return result


def _disputed(claim: Claim, a: DateValue | Quantity, b: DateValue | Quantity) -> bool:
    """Whether the words between two values of one claim set them against each other."""
    offsets = sorted(
        v.offset
        for v in (*claim.dates, *claim.quantities)
        if (agree(v, a) and comparable(v, a)) or (agree(v, b) and comparable(v, b))
    )
    if len(offsets) < 2:
        return False
    return bool(DISPUTE.search(claim.text[offsets[0] : offsets[-1]]))


def _as_of(group: ValueGroup) -> str:
    dates = [d for c in group.claims for d in c.dates]
    return dates[0].start if dates else ""


def _as_of_dates_differ(groups: list[ValueGroup]) -> bool:
    stamps = [_as_of(g) for g in groups]
    return all(stamps) and len(set(stamps)) == len(stamps)


def conflict_id(subject: str, attribute: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", f"{subject} {attribute}".lower()).strip("-")


# The project and its register ----------------------------------------------------------------


def account_claims(project: Project) -> list[Claim]:
    """Every claim of every account of the project, in account and line order."""
    claims: list[Claim] = []
    for account in project.accounts:
        if account.path.is_file():
            claims.extend(extract_claims(account, account.read_text(), project.gazetteer, project.registry))
    return claims


_LAST: list[tuple[Project, Result]] = []


def reconcile_project(project: Project) -> Result:
    """Reconcile the project's accounts (once per loaded project: the checks and the report ask for
    it in turn). The project is kept with its result, so a later project cannot take its place."""
    if not _LAST or _LAST[0][0] is not project:
        _LAST[:] = [(project, reconcile(account_claims(project)))]
    return _LAST[0][1]


@dataclass
class Comparison:
    """Detected conflicts against the register."""

    registered: list[tuple[Conflict, RegisterEntry]]
    unregistered: list[Conflict]
    stale: list[tuple[RegisterEntry, str]]


def compare(
    result: Result, register: Register, claims_by_ref: dict[tuple[str, int], list[Claim]] | None = None
) -> Comparison:
    by_match = register.by_match()
    detected = {c.key: c for c in result.conflicts}
    registered = [(c, by_match[c.key]) for c in result.conflicts if c.key in by_match]
    unregistered = [c for c in result.conflicts if c.key not in by_match]
    refs = claims_by_ref
    if refs is None:
        refs = defaultdict(list)
        for claim in result.claims:
            refs[(claim.account, claim.line)].append(claim)
    stale: list[tuple[RegisterEntry, str]] = []
    for entry in register.entries.values():
        if entry.match and entry.match not in detected:
            stale.append((entry, f"reconcile no longer detects {entry.match[0]!r} / {entry.match[1]!r}"))
            continue
        for value in entry.values:
            for ref in value.claims:
                if (ref.account, ref.line) not in refs:
                    stale.append(
                        (entry, f"value '{value.value}' points to {ref.account}:{ref.line}, where no claim is")
                    )
    return Comparison(registered, unregistered, stale)


def report(project: Project) -> dict[str, object]:
    """The machine-readable reconciliation: claims, clusters, conflicts (registered or not), series."""
    result = reconcile_project(project)
    comparison = compare(result, project.register)
    texts: dict[tuple[str, int], str] = {}
    for claim in result.claims:
        texts.setdefault((claim.account, claim.line), claim.text)
    conflicts: list[dict[str, object]] = []
    detected_ids = set()
    for _conflict, entry in comparison.registered:
        detected_ids.add(entry.id)
        conflicts.append(_entry_json(entry, texts, detected=True))
    for entry in project.register.entries.values():
        if entry.id not in detected_ids:
            conflicts.append(_entry_json(entry, texts, detected=False))
    for conflict in comparison.unregistered:
        conflicts.append(
            {
                "id": conflict.id,
                "subject": f"{conflict.subject}: {conflict.attribute}",
                "registered": False,
                "detected": True,
                "verdict": "unreviewed",
                "values": [
                    {
                        "value": group.label,
                        "rank": "normal",
                        "claims": [{"account": c.account, "line": c.line, "text": c.text} for c in group.claims],
                    }
                    for group in conflict.values
                ],
            }
        )
    corroborated = [c for c in result.clusters if len({x.account for x in c}) > 1]
    return {
        "claims": len(result.claims),
        "clusters": len(result.clusters),
        "corroborated_clusters": len(corroborated),
        "conflicts": conflicts,
        "stale": [{"id": entry.id, "reason": reason} for entry, reason in comparison.stale],
        "series": [
            {
                "subject": s.subject,
                "attribute": s.attribute,
                "points": [{"as_of": d, "value": g.label} for d, g in s.points],
            }
            for s in result.series
        ],
        "agreements": [
            {"subject": key[0], "attribute": key[1], "value": group.label, "accounts": group.accounts}
            for key, group in result.agreements
        ],
    }


def _entry_json(entry: RegisterEntry, texts: dict[tuple[str, int], str], *, detected: bool) -> dict[str, object]:
    return {
        "id": entry.id,
        "subject": entry.subject,
        "registered": True,
        "detected": detected,
        "verdict": entry.verdict,
        "resolution": entry.resolution,
        "values": [
            {
                "value": value.value,
                "rank": value.rank,
                "reason": value.reason,
                "sources": value.sources,
                "claims": [
                    {"account": ref.account, "line": ref.line, "text": texts.get((ref.account, ref.line), "")}
                    for ref in value.claims
                ],
            }
            for value in entry.values
        ],
    }
