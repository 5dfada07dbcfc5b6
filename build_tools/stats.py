"""How much the profile says and what it rests on: pages, words, citations, claims by tier.

A claim is one citation group (``[@a; @b]``): the statement it closes rests on its best source, so
a claim citing a tier-1 and a tier-3 source counts as tier 1. A claim citing an account only
(the account's own unsourced statement) is counted apart from other tier-3 sources.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from build_tools import claims
from build_tools.checks import page_citations
from build_tools.docs import mask_code
from build_tools.project import Project, is_account

_NOT_WORDS = re.compile(r"\[@[^\]\n]*\]|\]\([^)\n]*\)|<[^>\n]*>|\{:[^}\n]*\}")
_WORD = re.compile(r"[\w’'-]+")


def profile_stats(project: Project) -> dict[str, Any]:
    """Figures for the whole profile and for each page, in the order of the pages' paths."""
    pages = []
    for page in sorted(project.pages, key=lambda p: p.rel_path):
        if page.error:
            continue
        citations = page_citations(page)[0]
        groups: dict[int, list[Any]] = {}
        for citation in citations:
            source = project.registry.resolve(citation.key)
            if source is not None:
                groups.setdefault(citation.group_start, []).append(source)
        by_tier: Counter[str] = Counter()
        for sources in groups.values():
            real = [s for s in sources if not is_account(s)]
            by_tier[f"tier {min(s.tier for s in real)}" if real else "account only"] += 1
        levels: Counter[str] = Counter()
        for paragraph in claims.paragraphs(page.body, page.body_start):
            cited = [
                project.registry.resolve(c.key)
                for c in citations
                if paragraph.start <= c.group_start < paragraph.end and project.registry.resolve(c.key)
            ]
            level = claims.support_level(cited)  # type: ignore[arg-type]
            levels[level or "uncited"] += 1
        pages.append(
            {
                "page": page.rel_path,
                "title": str(page.meta.get("title") or ""),
                "confidence": str(page.meta.get("confidence") or ""),
                "depth": str(page.meta.get("depth") or ""),
                "words": len(_WORD.findall(_NOT_WORDS.sub(" ", mask_code(page.body)))),
                "citations": len(citations),
                "claims": sum(by_tier.values()),
                "claims_by_tier": dict(sorted(by_tier.items())),
                "paragraphs_by_support": dict(sorted(levels.items())),
                "sources": len({s.id for sources in groups.values() for s in sources}),
            }
        )
    total: dict[str, Any] = {"pages": len(pages)}
    for key in ("words", "citations", "claims"):
        total[key] = sum(p[key] for p in pages)
    for key in ("claims_by_tier", "paragraphs_by_support"):
        merged: Counter[str] = Counter()
        for p in pages:
            merged.update(p[key])
        total[key] = dict(sorted(merged.items()))
    cited_sources = {
        s.id
        for page in project.pages
        for c in page_citations(page)[0]
        if (s := project.registry.resolve(c.key)) is not None
    }
    total["sources_cited"] = len(cited_sources)
    total["sources_registered"] = len(project.registry.sources)
    return {"total": total, "pages": pages}


def render_text(stats: dict[str, Any]) -> str:
    tiers = ("tier 1", "tier 2", "tier 3", "account only")
    head = f"{'page':44} {'words':>6} {'cites':>6} {'claims':>6} " + " ".join(f"{t:>12}" for t in tiers)
    lines = [head, "-" * len(head)]
    for p in stats["pages"]:
        counts = " ".join(f"{p['claims_by_tier'].get(t, 0):>12}" for t in tiers)
        lines.append(f"{p['page'][:44]:44} {p['words']:>6} {p['citations']:>6} {p['claims']:>6} {counts}")
    t = stats["total"]
    counts = " ".join(f"{t['claims_by_tier'].get(x, 0):>12}" for x in tiers)
    lines.append("-" * len(head))
    lines.append(
        f"{'total (' + str(t['pages']) + ' pages)':44} {t['words']:>6} {t['citations']:>6} {t['claims']:>6} {counts}"
    )
    support = ", ".join(f"{k} {v}" for k, v in t["paragraphs_by_support"].items())
    lines.append(f"paragraphs by support: {support}")
    lines.append(f"sources: {t['sources_cited']} of {t['sources_registered']} registered are cited by a page")
    lines.append("a claim is one citation group, counted at the tier of its best source")
    return "\n".join(lines) + "\n"
