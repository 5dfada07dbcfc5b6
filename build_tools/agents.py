"""Outputs for LLM agents, rendered from our own data (never scraped from the HTML)."""

from __future__ import annotations

from dataclasses import dataclass

LLMS_TXT_BUDGET = 50_000


@dataclass(frozen=True)
class PageEntry:
    """What llms.txt lists for one page."""

    title: str
    url: str
    description: str
    confidence: str = ""
    section: str = ""


def llms_txt(site_name: str, summary: str, pages: list[PageEntry], optional: list[PageEntry]) -> str:
    """An llms.txt per llmstxt.org: H1, blockquote summary, how to read, H2 sections of links."""
    lines = [f"# {site_name}", "", f"> {summary.strip() or site_name}", ""]
    lines.append(
        "Each page carries a confidence badge (high, medium, low) earned by the tiers of the sources it "
        "cites: tier 1 is self-published or official, tier 2 mainstream press or reference works, tier 3 "
        "blogs, fan transcripts and compiled accounts. Citations resolve to the sources page."
    )
    lines.append("")
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


def _link(entry: PageEntry) -> str:
    description = entry.description.strip().replace("\n", " ")
    if entry.confidence:
        description = (
            f"{description} (confidence: {entry.confidence})" if description else f"confidence: {entry.confidence}"
        )
    return f"- [{entry.title}]({entry.url})" + (f": {description}" if description else "")
