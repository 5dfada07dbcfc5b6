"""Rendering for readers: numbered citations, a page's reference list, the sources page."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import TypeVar

from build_tools.accounts import Account
from build_tools.claims import MARKERS
from build_tools.docs import Citation, mask_code
from build_tools.project import is_account
from build_tools.registry import TIER_NAMES, Registry, Source


@dataclass(frozen=True)
class RenderedPage:
    markdown: str
    cited: tuple[Source, ...]  # in order of first citation: number n is cited[n - 1]


def replace_citations(
    body: str,
    citations: list[Citation],
    registry: Registry,
    render_group: Callable[[list[tuple[Citation, Source | None, int]]], str],
) -> tuple[str, list[Source]]:
    """Replace each citation group of `body` with `render_group`'s text, numbering sources in the
    order of their first citation (0 for an unknown key); also return the cited sources in order."""
    numbers: dict[str, int] = {}
    cited: list[Source] = []
    groups: dict[tuple[int, int], list[Citation]] = defaultdict(list)
    for citation in citations:
        groups[(citation.group_start, citation.group_end)].append(citation)
    pieces: list[str] = []
    cursor = 0
    for (start, end), members in sorted(groups.items()):
        numbered = []
        for citation in members:
            source = registry.resolve(citation.key)
            if source is not None and source.id not in numbers:
                numbers[source.id] = len(cited) + 1
                cited.append(source)
            numbered.append((citation, source, numbers[source.id] if source else 0))
        pieces.append(body[cursor:start])
        pieces.append(render_group(numbered))
        cursor = end
    pieces.append(body[cursor:])
    return "".join(pieces), cited


class Stash:
    """HTML kept out of Markdown's way: a plain token goes through Markdown untouched, and the HTML
    comes back after rendering. Markdown's own raw-HTML handling is the slowest part of a page."""

    def __init__(self, prefix: str = "zqprovz") -> None:
        self.prefix = prefix
        self.items: dict[str, str] = {}
        self.for_search: dict[str, str] = {}  # what search sees instead, where it differs

    def put(self, html: str, *, search: str | None = None) -> str:
        """A token for the HTML; `search` is what the search index gets in its place ("" for
        citation marks and reference lists, noise in every result)."""
        token = f"{self.prefix}{len(self.items):05d}z"
        self.items[token] = html
        if search is not None and search != html:
            self.for_search[token] = search
        return token

    def restore_both(self, html: str) -> tuple[str, str]:
        """The HTML with every token put back, and the HTML search should see (the same object when
        nothing differs), in one pass. A token alone in a paragraph takes the paragraph's <p> with
        it. (Found with str.find: a pattern that also matches the <p> is tried at every position.)"""
        if not self.items:
            return html, html
        page: list[str] = []
        search: list[str] = []
        cursor = 0
        width = len(self.prefix) + 6  # the prefix, five digits, "z"
        at = html.find(self.prefix)
        while at >= 0:
            token = html[at : at + width]
            item = self.items.get(token)
            if item is None:  # not one of ours
                at = html.find(self.prefix, at + 1)
                continue
            start, end = at, at + width
            opening = html.rfind("<p>", cursor, at)
            if opening >= 0 and not html[opening + 3 : at].strip():
                closing = html.find("</p>", end)
                if closing >= 0 and not html[end:closing].strip():
                    start, end = opening, closing + 4
            before = html[cursor:start]
            page += (before, item)
            search += (before, self.for_search.get(token, item))
            cursor = end
            at = html.find(self.prefix, cursor)
        page.append(html[cursor:])
        if not self.for_search:
            full = "".join(page)
            return full, full
        search.append(html[cursor:])
        # A References heading left with nothing under it goes too.
        return "".join(page), _EMPTY_REFERENCES.sub("", "".join(search))


_EMPTY_REFERENCES = re.compile(r'<h2 id="references[^"]*"[^>]*>(?:(?!</h2>).)*</h2>\s*\Z', re.S)


# A raw HTML list of our own, from its opening line to its closing line.
_HTML_BLOCK = re.compile(r"^<(ul|ol)\b[^>\n]*>\n.*?\n</\1>$", re.M | re.S)


_CITED_ON = re.compile(r'<br><span class="cited-on"[^>]*>.*?</span>')


def stash_html_blocks(markdown: str, stash: Stash) -> str:
    """Our generated pages' raw HTML lists, kept out of Markdown (only for HTML we wrote ourselves).
    Search gets them without the sources page's "cited on" lists (page titles, a hit for each)."""
    return _HTML_BLOCK.sub(lambda m: stash.put(m.group(0), search=_CITED_ON.sub("", m.group(0))), markdown)


def render_citations(
    body: str, citations: list[Citation], registry: Registry, sources_url: str, stash: Stash | None = None
) -> RenderedPage:
    """Replace each ``[@a; @b]`` group with numbered links, and append a References list."""

    def group_html(members: list[tuple[Citation, Source | None, int]]) -> str:
        links = []
        for citation, source, n in members:
            if source is None:
                links.append(f'<span class="citation-missing" title="unknown source">[?{escape(citation.key)}]</span>')
                continue
            start, end = _citation_link(source, sources_url)
            links.append(f"{start}{n}{end}")
        html = '<sup class="citations" data-search-exclude>[' + ", ".join(links) + "]</sup>"
        return stash.put(html, search="") if stash else html

    markdown, cited = replace_citations(body, citations, registry, group_html)
    if cited:
        markdown = markdown.rstrip("\n") + "\n\n" + references_section(cited, sources_url, stash)
    return RenderedPage(markdown, tuple(cited))


T = TypeVar("T")


def _once_per_source(make: Callable[[Source, str], T]) -> Callable[[Source, str], T]:
    """`make(source, sources_url)` kept by source id and url: a page repeats its sources, a site its
    pages, and the url differs only with the page's depth. (functools.lru_cache would hash the whole
    frozen Source, origins and all, on every call.) A new Source object with the same id (the next
    build) is made afresh."""
    made: dict[tuple[str, str], tuple[Source, T]] = {}

    def cached(source: Source, sources_url: str) -> T:
        key = (source.id, sources_url)
        hit = made.get(key)
        if hit is not None and hit[0] is source:
            return hit[1]
        if len(made) > 8192:
            made.clear()
        value = make(source, sources_url)
        made[key] = (source, value)
        return value

    return cached


@_once_per_source
def _citation_link(source: Source, sources_url: str) -> tuple[str, str]:
    """A citation link's HTML around its number."""
    return (
        f'<a class="citation tier-{source.tier}" href="{sources_url}#{escape(source.id)}" title="{tooltip(source)}">',
        f'<span class="tier-chip">T{source.tier}</span></a>',
    )


# The separator in the HTML we write, as an entity: a page whose own text is ASCII stays ASCII, which
# Python stores and encodes for writing (as UTF-8) faster than text with one character outside it.
DOT = " &middot; "


def tooltip(source: Source) -> str:
    """A citation's title attribute, escaped: the source's title, publisher, date and tier."""
    parts = [source.title]
    if source.publisher and source.publisher != "account":
        parts.append(source.publisher)
    if source.date:
        parts.append(source.date)
    parts.append(f"tier {source.tier}: {TIER_NAMES[source.tier]}")
    return DOT.join(escape(part) for part in parts)


def references_section(cited: tuple[Source, ...] | list[Source], sources_url: str, stash: Stash | None = None) -> str:
    lines = ['<ol class="references" data-search-exclude>']
    lines.extend(_reference_item(source, sources_url) for source in cited)
    lines.append("</ol>")
    html = "\n".join(lines)
    return "## References\n\n" + (stash.put(html, search="") if stash else html) + "\n"


@_once_per_source
def _reference_item(source: Source, sources_url: str) -> str:
    return (
        f'<li id="ref-{escape(source.id)}"><a href="{sources_url}#{escape(source.id)}">{escape(source.title)}</a>'
        f"{_facts(source)}</li>"
    )


def _facts(source: Source) -> str:
    facts = []
    if source.kind:
        facts.append(escape(source.kind))
    if source.date:
        facts.append(escape(source.date))
    facts.append(f'<span class="tier tier-{source.tier}">Tier {source.tier}</span>')
    link = f'{DOT}<a href="{escape(source.url)}" rel="nofollow noopener">link</a>' if source.url else ""
    return DOT + DOT.join(facts) + link


def sources_page(
    registry: Registry,
    accounts: list[Account],
    title: str = "Sources",
    back_links: dict[str, list[tuple[str, str]]] | None = None,
) -> str:
    """The generated sources page: every source by tier, with its id as anchor, the accounts that
    cite it, and the pages that cite it (`back_links`: source id -> [(page title, url from here)])."""
    back_links = back_links or {}
    account_titles = {a.id: a.title for a in accounts}
    lines = [
        "---",
        f"title: {title}",
        "description: Every source cited by the accounts and the pages, grouped by tier.",
        "---",
        "",
        "Every source that the raw accounts or the curated pages cite, registered once. The tier says "
        "how much a source can carry on its own: **Tier 1** self-published or official, **Tier 2** "
        "mainstream press or reference works, **Tier 3** blogs, fan transcripts and compiled accounts.",
        "",
    ]
    regular = [s for s in registry.sources.values() if not is_account(s)]
    for tier in (1, 2, 3):
        members = sorted((s for s in regular if s.tier == tier), key=lambda s: (s.title.lower(), s.id))
        lines.append(f"## Tier {tier}: {TIER_NAMES[tier]} {{: #tier-{tier} }}")
        lines.append("")
        lines.append(f"{len(members)} sources.")
        lines.append("")
        lines.append('<ul class="source-list">')
        for source in members:
            cited_by = ", ".join(
                f"{escape(account_titles.get(o.account, o.account))} [{escape(o.ref)}]" for o in source.origins
            )
            pages = ", ".join(
                f'<a href="{escape(url)}">{escape(name)}</a>' for name, url in back_links.get(source.id, [])
            )
            lines.append(
                f'<li id="{escape(source.id)}" class="source tier-{source.tier}"><strong>{escape(source.title)}</strong>'
                f"{_facts(source)}<br><code>{escape(source.id)}</code>"
                + (f' <span class="cited-by">cited by {cited_by}</span>' if cited_by else "")
                + (f'<br><span class="cited-on" data-search-exclude>cited on: {pages}</span>' if pages else "")
                + "</li>"
            )
        lines.append("</ul>")
        lines.append("")
    lines.append("## The accounts {: #accounts }")
    lines.append("")
    lines.append(
        "The raw accounts this profile is compiled from. All are tier 3: compiled or unsourced secondary "
        "accounts. They are kept byte for byte; a page cites one as `[@account-id]` to say whose claim it reports."
    )
    lines.append("")
    lines.append('<ul class="source-list">')
    for account in accounts:
        lines.append(
            f'<li id="{escape(account.id)}" class="source tier-{account.tier}"><strong>{escape(account.title)}</strong>'
            f'{DOT}{escape(account.kind)}{DOT}<span class="tier tier-{account.tier}">Tier {account.tier}</span>'
            f"<br><code>{escape(account.id)}</code>{DOT}sha256 <code>{account.sha256[:16]}&hellip;</code>"
            f"<br><small>{escape(account.produced_by)}</small></li>"
        )
    lines.append("</ul>")
    return "\n".join(lines) + "\n"


def mark_unverified(markdown: str, stash: Stash | None = None) -> str:
    """Show `[UNVERIFIED ...]` and `[citation needed]` markers as visible labels (not in code)."""
    masked = mask_code(markdown)
    pieces, cursor = [], 0
    for match in MARKERS.finditer(masked):
        text = markdown[match.start() + 1 : match.end() - 1]
        pieces.append(markdown[cursor : match.start()])
        html = f'<span class="unverified" title="{escape(text)}">{escape(text.split(" ")[0].upper())}</span>'
        pieces.append(stash.put(html) if stash else html)
        cursor = match.end()
    pieces.append(markdown[cursor:])
    return "".join(pieces)


AUDIT_TITLE = "Source audit"
AUDIT_ABOUT = "What each raw account is, how it was produced, and the citation defects found in it."
DISAGREEMENTS_TITLE = "Where the accounts disagree"
DISAGREEMENTS_ABOUT = "Every disagreement between the accounts, the value we prefer and why; and what they agree on."


def front_matter(title: str, description: str) -> list[str]:
    """A generated page's front matter, as lines (MkDocs reads it before the page is rendered)."""
    return ["---", f"title: {title}", f"description: {description}", "---"]


def source_audit_page(accounts: list[Account], findings: list, registry: Registry, title: str = AUDIT_TITLE) -> str:
    """A page on how reliable each raw account is: what it is, and the defects the checks found in it."""
    lines = [
        *front_matter(title, AUDIT_ABOUT),
        "",
        "The profile is compiled from the raw accounts below. They are kept byte for byte and never edited; "
        "this page lists what the checks found in each, so a reader can judge how far to trust it.",
        "",
    ]
    for account in accounts:
        own = sorted((f for f in findings if f.path == account.rel_path), key=lambda f: (f.line, f.code))
        registered = sum(1 for s in registry.sources.values() for o in s.origins if o.account == account.id)
        lines.append(f"## {account.title} {{: #audit-{account.id} }}")
        lines.append("")
        lines.append(f"- **Kind:** {account.kind}; tier {account.tier} as an account")
        lines.append(f"- **How it was produced:** {account.produced_by}")
        lines.append(f"- **Sources it lists:** {registered} (registered in the sources page)")
        lines.append(f"- **Cite it as:** `[@{account.id}]`")
        lines.append("")
        if own:
            lines.append("| line | check | finding |")
            lines.append("|---|---|---|")
            for finding in own:
                message = str(finding.message).replace("|", "\\|")
                lines.append(f"| {finding.line} | {finding.code} | {message} |")
        else:
            lines.append("No citation defects found by the checks.")
        lines.append("")
    return "\n".join(lines) + "\n"


RANK_LABELS = {"preferred": "Preferred", "normal": "Normal", "deprecated": "Deprecated"}
VERDICT_LABELS = {"conflict": "Disagreement", "reconciled": "Reconciled", "not a conflict": "Not a disagreement"}


def disagreements_page(  # type: ignore[type-arg]
    data: dict, registry: Registry, accounts: list[Account], sources_url: str = "../sources/", *, plain: bool = False
) -> str:
    """'Where the accounts disagree': every conflict with its values, ranks, reasons, accounts and
    sources, then what several accounts agree on and what rests on one account."""
    titles = {a.id: a.title for a in accounts}
    lines = [
        *front_matter(DISAGREEMENTS_TITLE, DISAGREEMENTS_ABOUT),
        "",
        "The accounts behind this profile disagree on dates, numbers and titles. Each disagreement is "
        "listed here with every competing value, who states it (account and line) and the sources "
        "behind it. A **preferred** value is the one the pages use; a **deprecated** value is kept so "
        "nobody adds it back. An **open** disagreement has no preferred value yet, and lowers the "
        "confidence of the pages that touch it.",
        "",
    ]
    conflicts = [c for c in data["conflicts"] if c["verdict"] != "not a conflict"]
    false_alarms = [c for c in data["conflicts"] if c["verdict"] == "not a conflict"]
    lines.append(f"{len(conflicts)} disagreements; {len(data['stale'])} register entries out of date.")
    lines.append("")
    for conflict in conflicts:
        verdict = conflict["verdict"]
        has_preferred = any(v["rank"] == "preferred" for v in conflict["values"])
        status = VERDICT_LABELS.get(verdict, "Not yet reviewed")
        if verdict == "conflict":
            status = "Resolved" if has_preferred else "Open"
        lines.append(f"## {escape(conflict['subject'])} {{: #{conflict['id']} }}")
        lines.append("")
        lines.append(f"**{status}.** {escape(conflict.get('resolution') or '')}".rstrip())
        lines.append("")
        lines.append("| Value | Rank | Stated by | Sources | Why |")
        lines.append("|---|---|---|---|---|")
        for value in conflict["values"]:
            stated = "; ".join(
                f"{escape(titles.get(c['account'], c['account']))}, line {c['line']}" for c in value["claims"]
            )
            sources = ", ".join(_source_chip(registry, s, sources_url, plain) for s in value.get("sources", []))
            reason = escape(value.get("reason") or "").replace("|", "\\|")
            lines.append(
                f"| {escape(value['value'])} | {RANK_LABELS.get(value['rank'], value['rank'])} | {stated} | {sources} | {reason} |"
            )
        lines.append("")
    if false_alarms:
        lines.append("## Checked and not a disagreement {: #not-a-disagreement }")
        lines.append("")
        for conflict in false_alarms:
            lines.append(
                f'- <span id="{conflict["id"]}"></span>**{escape(conflict["subject"])}**: {escape(conflict.get("resolution") or "")}'
            )
        lines.append("")
    lines.append("## What several accounts agree on {: #agreement }")
    lines.append("")
    agreements = sorted(data["agreements"], key=lambda a: (-len(a["accounts"]), a["subject"], a["attribute"]))
    if agreements:
        lines.append("| Subject | What | Value | Accounts |")
        lines.append("|---|---|---|---|")
        for item in agreements:
            names = ", ".join(escape(titles.get(a, a)) for a in item["accounts"])
            lines.append(
                f"| {escape(item['subject'])} | {escape(item['attribute'])} | {escape(item['value'])} | {len(item['accounts'])}: {names} |"
            )
        lines.append("")
    lines.append(
        f"Of {data['claims']} claims read from the accounts, {data['corroborated_clusters']} groups of near-identical "
        f"wording appear in more than one account; every other claim rests on one account alone. "
        "Machine-readable: `python -m build_tools reconcile --format json`."
    )
    return "\n".join(lines) + "\n"


def _source_chip(registry: Registry, source_id: str, sources_url: str, plain: bool = False) -> str:
    source = registry.resolve(source_id)
    if source is None:
        return escape(source_id)
    if plain:
        return f"`{source.id}` (tier {source.tier})"
    return (
        f'<a class="citation tier-{source.tier}" href="{sources_url}#{escape(source.id)}" '
        f'title="{tooltip(source)}">{escape(source.id)}<span class="tier-chip">T{source.tier}</span></a>'
    )


def conflict_notice(entries: list, page_url_to_disagreements: str) -> str:  # type: ignore[type-arg]
    """An admonition for a page that touches registered disagreements (material styles it as is)."""
    items = []
    for entry in entries:
        preferred = next((v.value for v in entry.values if v.rank == "preferred"), None)
        state = (
            f"we use {escape(preferred)}" if preferred else ("open" if entry.verdict == "conflict" else "reconciled")
        )
        values = DOT.join(
            f"<s>{escape(v.value)}</s>" if v.rank == "deprecated" else escape(v.value) for v in entry.values
        )
        items.append(
            f'<li><a href="{page_url_to_disagreements}#{entry.id}">{escape(entry.subject)}</a>: {values}. '
            f"<em>{state[:1].upper() + state[1:]}.</em></li>"  # not str.capitalize: it lowers names
        )
    return (
        '<div class="admonition warning conflict-notice"><p class="admonition-title">The accounts disagree here</p>'
        f"<ul>{''.join(items)}</ul></div>\n\n"
    )


def sources_markdown(registry: Registry, accounts: list[Account]) -> str:
    """The sources page as plain markdown, for its twin: one line per source, grouped by tier."""
    lines = ["Every source cited by the accounts or the pages, by tier. Each line: id, title, kind, date, link.", ""]
    regular = [s for s in registry.sources.values() if not is_account(s)]
    for tier in (1, 2, 3):
        lines.append(f"## Tier {tier}: {TIER_NAMES[tier]}")
        lines.append("")
        for source in sorted((s for s in regular if s.tier == tier), key=lambda s: s.id):
            facts = ", ".join(f for f in (source.kind, source.publisher, source.date) if f)
            link = f" <{source.url}>" if source.url else ""
            lines.append(
                f'- <a id="{source.id}"></a>`{source.id}`: {source.title}{f" ({facts})" if facts else ""}.{link}'
            )
        lines.append("")
    lines.append("## The accounts")
    lines.append("")
    for account in accounts:
        lines.append(
            f'- <a id="{account.id}"></a>`{account.id}`: {account.title} ({account.kind}, tier {account.tier}). {account.produced_by}'
        )
    return "\n".join(lines) + "\n"
