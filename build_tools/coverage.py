"""Which sourced facts of the accounts the curated pages carry, so that a reader who searches the
site for one finds it.

A fact is a claim of an account that cites a tier-1 or tier-2 source. Its key terms are its years,
its figures, the names it mentions and its rarest words. The fact counts as covered when one page
holds all of its years, figures and names, and at least half of its rare words. This is a search
proxy, not a proof: a page can hold the terms and say something else, so `coverage` is a to-do
list for writers, and its percentage a trend to watch, not a verdict.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from build_tools.accounts import split_at_list
from build_tools.project import Project, is_account
from build_tools.reconcile import account_claims
from build_tools.statements import Claim

_WORD = re.compile(r"[a-z][a-z0-9'-]{5,}")
_STOP = set(
    "about across after again against almost already although always another around because become "
    "before behind being between beyond called cannot could during either enough especially every "
    "having however itself little mostly neither nothing others rather really should simply since "
    "something still their there these thing things think those though through together toward under "
    "until using which while within without would years source sources report tier".split()
)
RARE_WORDS = 3


@dataclass(frozen=True)
class Fact:
    account: str
    line: int
    text: str
    terms: tuple[str, ...]  # every one must appear
    words: tuple[str, ...]  # half of these must appear


def facts(project: Project, *, sourced_only: bool = True) -> list[Fact]:
    """The accounts' claims that rest on a tier-1 or tier-2 source (every claim, with
    `sourced_only=False`), with their key terms. Source
    lists are bibliography, not facts; terms in more than a fifth of the facts (the subject's own
    name, the current year) pick nothing out and are dropped."""
    body_ends = {a.id: split_at_list(a, a.read_text()) for a in project.accounts if a.path.is_file()}
    claims = [
        c
        for c in account_claims(project)
        if c.line <= body_ends.get(c.account, c.line) and (not sourced_only or _sourced(c, project))
    ]
    terms_of = {id(c): _terms(c) for c in claims}
    counts = Counter(t for ts in terms_of.values() for t in ts)
    common = {t for t, n in counts.items() if n * 5 > len(claims) and n >= 5}
    frequency = Counter(w for c in claims for w in set(_words(c.text)))
    result = []
    for claim in claims:
        terms = terms_of[id(claim)] - common
        rare = sorted(set(_words(claim.text)), key=lambda w: (frequency[w], w))[:RARE_WORDS]
        if len(terms) >= 2:
            rare = []  # figures, dates and names are what a reader searches for
        if terms or rare:
            result.append(Fact(claim.account, claim.line, claim.text, tuple(sorted(terms)), tuple(rare)))
    return result


def _terms(claim: Claim) -> set[str]:
    terms = {d.start[:4] for d in claim.dates}
    terms |= {n for q in claim.quantities if (n := _number(q.text))}
    return terms | {n.lower() for n in claim.names}


def coverage(project: Project, *, sourced_only: bool = True) -> dict[str, Any]:
    """Each fact, covered (with the page that holds it) or missing (with the page that comes
    closest, where a writer would add it)."""
    pages = {p.rel_path: _normal(p.body) for p in project.pages if not p.error}
    variants: dict[str, list[str]] = {}  # a name is found under any of its aliases
    for alias, name in project.gazetteer.aliases.items():
        variants.setdefault(name.lower(), []).append(alias)
    covered, missing = [], []
    for fact in facts(project, sourced_only=sourced_only):
        entry = {"account": fact.account, "line": fact.line, "text": fact.text, "terms": [*fact.terms, *fact.words]}
        where = next((path for path, text in pages.items() if _holds(text, fact, variants)), None)
        if where:
            covered.append({**entry, "page": where})
            continue
        scores = {path: sum(_contains(text, t) for t in entry["terms"]) for path, text in pages.items()}
        best = max(scores, key=lambda path: (scores[path], path), default=None)
        missing.append({**entry, "nearest_page": best if best and scores[best] else None})
    total = len(covered) + len(missing)
    return {
        "kind": "sourced facts" if sourced_only else "claims (sourced or not)",
        "facts": total,
        "covered": len(covered),
        "share": round(len(covered) / total, 3) if total else 1.0,
        "missing": missing,
        "covered_facts": covered,
    }


def render_text(data: dict[str, Any]) -> str:
    lines = []
    by_page: dict[str, list[dict[str, Any]]] = {}
    for fact in data["missing"]:
        by_page.setdefault(fact["nearest_page"] or "(no page comes close)", []).append(fact)
    for page in sorted(by_page):
        lines.append(f"{page}:")
        for fact in by_page[page]:
            text = fact["text"] if len(fact["text"]) <= 150 else fact["text"][:147] + "..."
            lines.append(f"  {fact['account']}:{fact['line']}: [{', '.join(fact['terms'])}] {text}")
    lines.append(
        f"{data['covered']} of {data['facts']} {data['kind']} found on a page ({data['share']:.0%}); "
        "a fact is found when one page holds its years, figures and names (or half its rarest words)"
    )
    return "\n".join(lines) + "\n"


def _holds(text: str, fact: Fact, variants: dict[str, list[str]]) -> bool:
    if not all(any(_contains(text, t) for t in variants.get(term, [term])) for term in fact.terms):
        return False
    found = sum(1 for w in fact.words if _contains(text, w))
    return found * 2 >= len(fact.words)


def _contains(text: str, term: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", text) is not None


def _sourced(claim: Claim, project: Project) -> bool:
    for key in claim.citations:
        source = project.registry.resolve(key)
        if source is not None and not is_account(source) and source.tier <= 2:
            return True
    return False


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


def _number(text: str) -> str:
    digits = re.search(r"\d[\d,.]*", text)
    return digits.group(0).rstrip(".,").replace(",", "") if digits else ""


def _normal(text: str) -> str:
    """Lower case, thousands separators dropped, typographic dashes and quotes plain."""
    text = text.lower().replace("’", "'").replace("–", "-").replace("—", "-")
    return re.sub(r"(?<=\d),(?=\d{3})", "", text)
