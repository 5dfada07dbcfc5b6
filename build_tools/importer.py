"""Register the sources the accounts cite: parse their lists, merge repeats, keep curated edits.

Re-running the import never rewrites a curated entry: an account reference already registered
(by its alias 'account:ref') is left alone; only new references are added, merged into an
existing source when they are clearly the same work (same url, or near-identical titles with
compatible dates). Pairs that only look alike are listed for a person to review.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from build_tools.accounts import Account, ReferenceEntry, parse_reference_list, split_publisher
from build_tools.dates import find_dates
from build_tools.diagnostics import Diagnostic
from build_tools.registry import Origin, Registry, Source, with_origins

MERGE_SCORE = 92.0
REVIEW_SCORE = 70.0
STOPWORDS = {
    "a",
    "an",
    "and",
    "the",
    "of",
    "on",
    "in",
    "for",
    "to",
    "with",
    "by",
    "from",
    "via",
    "as",
    "at",
    "is",
    "its",
    "it",
    "into",
    "than",
    "vs",
    "s",
}


@dataclass(frozen=True)
class ReviewPair:
    """Two registered sources that may be the same work: a person decides."""

    left: str
    right: str
    score: float
    reason: str


@dataclass
class ImportResult:
    sources: dict[str, Source]
    added: list[str] = field(default_factory=list)
    merged: list[tuple[str, str]] = field(default_factory=list)
    review: list[ReviewPair] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def import_sources(accounts: list[Account], existing: Registry | None = None) -> ImportResult:
    """Parse every account's list and fold new references into the registry's sources."""
    sources: dict[str, Source] = dict(existing.sources) if existing else {}
    known_aliases = {alias for source in sources.values() for alias in source.aliases}
    result = ImportResult(sources=sources)
    for account in accounts:
        if not account.path.is_file():
            continue
        entries, problems = parse_reference_list(account, account.read_text())
        result.diagnostics.extend(problems)
        for entry in entries:
            if f"{entry.account}:{entry.ref}" in known_aliases:
                continue
            origin = Origin(entry.account, entry.ref, entry.text)
            twin = _find_twin(entry, sources)
            if twin is not None:
                sources[twin] = with_origins(sources[twin], [origin])
                result.merged.append((twin, origin.alias))
            else:
                source_id = _unique_id(make_id(entry), sources)
                publisher, work = split_publisher(entry.title)
                sources[source_id] = Source(
                    id=source_id,
                    title=work,
                    tier=entry.tier or 3,
                    kind=entry.kind,
                    publisher=publisher or "",
                    url=entry.url or "",
                    date=entry.date or "",
                    origins=(origin,),
                )
                result.added.append(source_id)
            known_aliases.add(origin.alias)
    result.review = review_pairs(list(sources.values()))
    return result


def match_key(title: str) -> str:
    """A title reduced for matching: no dates, punctuation or case."""
    work = title
    for found in reversed(find_dates(work)):
        work = work[: found.start] + " " + work[found.end :]
    return " ".join(_tokens(work))


def _find_twin(entry: ReferenceEntry, sources: dict[str, Source]) -> str | None:
    if entry.url:
        for source in sources.values():
            if source.url and _same_url(source.url, entry.url):
                return source.id
    key = match_key(split_publisher(entry.title)[1])
    if not key:
        return None
    for source in sources.values():
        if any(o.account == entry.account for o in source.origins):
            continue  # an account's own list does not repeat itself by accident
        if fuzz.token_sort_ratio(key, match_key(source.title)) >= MERGE_SCORE and _dates_agree(entry.date, source.date):
            return source.id
    return None


def review_pairs(sources: list[Source]) -> list[ReviewPair]:
    """Pairs from different accounts whose titles or dates suggest the same work."""
    keys = [match_key(s.title) for s in sources]
    if not sources:
        return []
    # A word found in few titles (a repository or paper name) pairs titles that are worded apart.
    frequency: dict[str, int] = {}
    for key in keys:
        for word in set(key.split()):
            frequency[word] = frequency.get(word, 0) + 1
    rare = [{w for w in key.split() if frequency[w] <= 3 and len(w) >= 5 and w not in STOPWORDS} for key in keys]
    pairs: list[ReviewPair] = []
    for i, left in enumerate(sources):
        for j in range(i + 1, len(sources)):
            right = sources[j]
            if {o.account for o in left.origins} & {o.account for o in right.origins}:
                continue
            score = float(fuzz.token_sort_ratio(keys[i], keys[j]))
            subset = float(fuzz.token_set_ratio(keys[i], keys[j]))
            shorter = min(len(keys[i].split()), len(keys[j].split()))
            same_day = bool(left.date and len(left.date) == 10 and left.date == right.date)
            if shorter >= 3 and subset >= 85:
                score = max(score, subset)
            shared = sorted(rare[i] & rare[j])
            if score >= REVIEW_SCORE or (same_day and subset >= 40) or shared:
                if same_day:
                    reason = "same date, similar title"
                elif score >= REVIEW_SCORE:
                    reason = "similar title"
                else:
                    reason = "shared rare word " + ", ".join(f"'{w}'" for w in shared)
                pairs.append(ReviewPair(left.id, right.id, round(score, 1), reason))
    return sorted(pairs, key=lambda p: (-p.score, p.left, p.right))


def make_id(entry: ReferenceEntry) -> str:
    """A readable slug: '<lead>-<year>-<title words>', e.g. 'quill-2017-notes-on-gears-medium'."""
    publisher, work = split_publisher(entry.title)
    work = re.sub(r"\([^)]*\)", " ", work)
    for found in reversed(find_dates(work)):
        work = work[: found.start] + " " + work[found.end :]
    words = [w for w in _tokens(work) if w not in STOPWORDS]
    lead_words = _tokens(publisher)[:1] if publisher else []
    if entry.publisher is None and not publisher and entry.kind and entry.url is None and entry.heading_tier is None:
        lead_words = _tokens(entry.kind)[:1]
    if not lead_words:
        lead_words, words = words[:1], words[1:]
    if words and lead_words and words[0] == lead_words[0]:
        words = words[1:]
    year = entry.date[:4] if entry.date else ""
    parts = lead_words + ([year] if year else []) + words[:5]
    return "-".join(parts) or f"{entry.account}-{entry.ref}"


def _unique_id(base: str, sources: dict[str, Source]) -> str:
    candidate, n = base, 2
    while candidate in sources:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _tokens(text: str) -> list[str]:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", ascii_text)


def _same_url(a: str, b: str) -> bool:
    def norm(url: str) -> str:
        return re.sub(r"^https?://(www\.)?", "", url).rstrip("/").lower()

    return norm(a) == norm(b)


def _dates_agree(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return True
    return a.startswith(b) or b.startswith(a)
