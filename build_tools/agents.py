"""Outputs for LLM agents, rendered from our own data (never scraped from the HTML).

llms.txt (llmstxt.org), a markdown twin of every page, llms-full.txt, and sources.json and
conflicts.json with their JSON Schemas. Pure functions: the plugin collects, these render.
"""

from __future__ import annotations

import functools
import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from build_tools.docs import Citation, mask_code
from build_tools.registry import TIER_NAMES, Registry, Source
from build_tools.render import replace_citations

LLMS_TXT_BUDGET = 50_000
HOW_TO_READ = (
    "Each page carries a confidence badge (high, medium, low) earned by the tiers of the sources it "
    "cites: tier 1 is self-published or official, tier 2 mainstream press or reference works, tier 3 "
    "blogs, fan transcripts and compiled accounts. Every link below is a clean markdown copy of a page; "
    "each copy lists its sources with their tiers, and points to where the accounts disagree."
)


@dataclass(frozen=True)
class PageEntry:
    """What llms.txt lists for one page."""

    title: str
    url: str
    description: str
    confidence: str = ""
    section: str = ""


@dataclass
class TwinPage:
    """Everything a page's markdown twin is made from."""

    src_uri: str
    title: str
    description: str
    html_url: str  # absolute
    twin_url: str  # absolute
    markdown: str  # the page's own markdown, without front matter
    citations: list[Citation] = field(default_factory=list)
    confidence: str = ""
    depth: str = ""
    last_reviewed: str = ""
    section: str = ""
    page_url: str = ""  # the page's url inside the site, as MkDocs gives it
    notice: list[tuple[str, str, str]] = field(default_factory=list)  # (subject, state, url)
    generated: bool = False


def twin_paths(page_url: str) -> list[str]:
    """Site paths of a page's twin: '<url>.md' and '<url>index.html.md' for directory URLs."""
    if page_url in ("", "/"):
        return ["index.html.md", "index.md"]
    if page_url.endswith("/"):
        return [page_url.rstrip("/") + ".md", page_url + "index.html.md"]
    if page_url.endswith(".html"):
        return [page_url + ".md", page_url[: -len(".html")] + ".md"]
    return [page_url + ".md"]


def llms_txt(site_name: str, summary: str, pages: list[PageEntry], optional: list[PageEntry]) -> str:
    """An llms.txt per llmstxt.org: H1, blockquote summary, how to read, H2 sections of links."""
    lines = [f"# {site_name}", "", f"> {_one_line(summary) or site_name}", "", HOW_TO_READ, ""]
    sections: dict[str, list[PageEntry]] = {}
    for page in pages:
        sections.setdefault(page.section or "Pages", []).append(page)
    for section, entries in sections.items():
        lines.append(f"## {section}")
        lines.append("")
        lines.extend(_link(entry) for entry in entries)
        lines.append("")
    if optional:
        lines.append("## Optional")
        lines.append("")
        lines.extend(_link(entry) for entry in optional)
        lines.append("")
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _link(entry: PageEntry) -> str:
    description = _one_line(entry.description)
    if entry.confidence:
        description = (
            f"{description} (confidence: {entry.confidence})" if description else f"confidence: {entry.confidence}"
        )
    title = entry.title.replace("[", "(").replace("]", ")")
    return f"- [{title}]({entry.url})" + (f": {description}" if description else "")


_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]\n]*)\]\((?P<target>[^)\s]+)(?P<title>\s+\"[^\"]*\")?\)")


def rewrite_links(markdown: str, src_uri: str, twin_of: dict[str, str]) -> str:
    """Relative links to other pages become absolute links to their twins (code left alone)."""
    masked = mask_code(markdown)
    pieces, cursor = [], 0
    for match in _LINK.finditer(masked):
        target = match.group("target")
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target, re.I):
            continue
        path, _, anchor = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(src_uri), path)) if path else src_uri
        url = twin_of.get(resolved)
        if url is None:
            continue
        pieces.append(markdown[cursor : match.start("target")])
        pieces.append(url + (f"#{anchor}" if anchor else ""))
        cursor = match.end("target")
    pieces.append(markdown[cursor:])
    return "".join(pieces)


_ATTRIBUTE_LIST = re.compile(r"[ \t]*\{:[^}\n]*\}")  # `{: #id }` after a heading: not for readers


def render_twin(page: TwinPage, registry: Registry, twin_of: dict[str, str], sources_twin: str) -> str:
    """A page as clean markdown: a YAML header, the text with numbered citations, its references."""

    def labels(members: list[tuple[Citation, Source | None, int]]) -> str:
        return "".join(f"[{n}]" if source else f"[?{citation.key}]" for citation, source, n in members)

    text, cited = replace_citations(page.markdown, page.citations, registry, labels)
    text = _ATTRIBUTE_LIST.sub("", text)  # only now: the citations' offsets point into the original
    body = rewrite_links(text, page.src_uri, twin_of).strip("\n")
    header: dict[str, Any] = {"title": page.title, "url": page.html_url, "markdown": page.twin_url}
    if page.description:
        header["description"] = _one_line(page.description)
    for key in ("confidence", "depth", "last_reviewed"):
        value = getattr(page, key)
        if value:
            header[key] = str(value)
    if cited:
        header["sources"] = [_source_header(s, n + 1) for n, s in enumerate(cited)]
    parts = ["---", yaml_header(header), "---", ""]
    parts.append(f"# {page.title}")
    parts.append("")
    if page.notice:
        items = "; ".join(f"[{subject}]({url}) ({state})" for subject, state, url in page.notice)
        parts.append(f"> The accounts disagree here: {items}.")
        parts.append("")
    parts.append(body)
    if cited:
        parts.append("")
        parts.append("## References")
        parts.append("")
        for n, source in enumerate(cited, start=1):
            facts = [source.kind, source.publisher if source.publisher != "account" else "", source.date]
            described = ", ".join(f for f in facts if f)
            link = f" <{source.url}>" if source.url else ""
            parts.append(
                f"{n}. {source.title}{f' ({described})' if described else ''}. Tier {source.tier}.{link} "
                f"Source id `{source.id}`: {sources_twin}#{source.id}"
            )
    return "\n".join(parts).rstrip() + "\n"


def yaml_header(header: dict[str, Any]) -> str:
    """A flat YAML header, written directly (PyYAML's representer costs about a millisecond a page).
    Strings are JSON-quoted, which YAML reads as the same strings."""
    lines = []
    for key, value in header.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            for item in value:
                fields = ", ".join(f"{k}: {_quoted(v)}" for k, v in item.items())
                lines.append(f"- {{{fields}}}")
        else:
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines)


@functools.lru_cache(maxsize=65536)
def _quoted(value: Any) -> str:
    """A YAML scalar as JSON; titles and urls of sources repeat from page to page, so remember them."""
    return json.dumps(value, ensure_ascii=False)


def _source_header(source: Source, number: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"n": number, "id": source.id, "title": source.title, "tier": source.tier}
    if source.url:
        entry["url"] = source.url
    return entry


def llms_full(site_name: str, summary: str, twins: list[tuple[TwinPage, str]]) -> str:
    """Every page's twin in nav order, each under a header with its canonical URL and badges."""
    out = [f"# {site_name}", "", f"> {_one_line(summary)}", "", HOW_TO_READ, ""]
    for page, twin in twins:
        body = twin.split("\n---\n", 1)[1] if twin.startswith("---\n") else twin
        body = re.sub(r"^# .*\n", "", body.lstrip("\n"), count=1)
        badges = ", ".join(f"{k}: {getattr(page, k)}" for k in ("confidence", "depth") if getattr(page, k))
        out.append(f'<page url="{page.html_url}" markdown="{page.twin_url}">')
        out.append("")
        out.append(f"# {page.title}")
        out.append("")
        out.append(f"Source: {page.html_url}" + (f" ({badges})" if badges else ""))
        out.append("")
        out.append(body.strip("\n"))
        out.append("")
        out.append("</page>")
        out.append("")
    return "\n".join(out)


def sources_json(registry: Registry, site_url: str) -> dict[str, Any]:
    """The registry as data: every source with its tier, aliases and origins."""
    return {
        "$schema": site_url + "sources.schema.json",
        "tiers": {str(k): v for k, v in TIER_NAMES.items()},
        "sources": [
            {
                "id": s.id,
                "title": s.title,
                "tier": s.tier,
                "kind": s.kind,
                "publisher": s.publisher,
                "url": s.url or None,
                "date": s.date or None,
                "aliases": list(s.aliases),
                "page": f"{site_url}sources/#{s.id}",
            }
            for s in sorted(registry.sources.values(), key=lambda s: s.id)
        ],
    }


def conflicts_json(report: dict[str, Any], site_url: str) -> dict[str, Any]:
    """The conflict register and what reconcile detected, as data."""
    return {"$schema": site_url + "conflicts.schema.json", **report}


SOURCES_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Source registry",
    "type": "object",
    "required": ["sources"],
    "properties": {
        "tiers": {"type": "object", "additionalProperties": {"type": "string"}},
        "sources": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "title", "tier"],
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]*$"},
                    "title": {"type": "string"},
                    "tier": {"type": "integer", "enum": [1, 2, 3]},
                    "kind": {"type": "string"},
                    "publisher": {"type": "string"},
                    "url": {"type": ["string", "null"]},
                    "date": {"type": ["string", "null"], "pattern": "^\\d{4}(-\\d{2}(-\\d{2})?)?$"},
                    "aliases": {"type": "array", "items": {"type": "string"}},
                    "page": {"type": "string"},
                },
            },
        },
    },
}
CLAIM = {
    "type": "object",
    "required": ["account", "line", "text"],
    "properties": {"account": {"type": "string"}, "line": {"type": "integer"}, "text": {"type": "string"}},
}
CONFLICTS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Where the accounts disagree",
    "type": "object",
    "required": ["claims", "clusters", "conflicts"],
    "properties": {
        "claims": {"type": "integer"},
        "clusters": {"type": "integer"},
        "conflicts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "subject", "registered", "values"],
                "properties": {
                    "id": {"type": "string"},
                    "subject": {"type": "string"},
                    "registered": {"type": "boolean"},
                    "verdict": {"type": "string"},
                    "resolution": {"type": "string"},
                    "values": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["value", "rank", "claims"],
                            "properties": {
                                "value": {"type": "string"},
                                "rank": {"enum": ["preferred", "normal", "deprecated"]},
                                "reason": {"type": "string"},
                                "sources": {"type": "array", "items": {"type": "string"}},
                                "claims": {"type": "array", "items": CLAIM},
                            },
                        },
                    },
                },
            },
        },
    },
}


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
