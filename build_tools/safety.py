"""Raw HTML in contributed markdown that could run script in a reader's browser.

Parsed with beautifulsoup4, not regular expressions: attackers write `<ScRiPt>`, split attributes
across lines and entity-encode `javascript:`.
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from build_tools.docs import mask_code

DANGEROUS_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "frame",
    "frameset",
    "applet",
    "base",
    "meta",
    "form",
    "svg",
    "math",
    "style",
    "link",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcset"}
_MD_LINK_TARGET = re.compile(r"\]\(\s*<?([^)>\s]*)")


@dataclass(frozen=True)
class Unsafe:
    line: int  # 1-based within the body
    column: int
    what: str


def unsafe_html(body: str) -> Iterator[Unsafe]:
    """Script-capable HTML and links: tags, on* handlers, javascript:/data:/vbscript: urls."""
    masked = mask_code(body)
    if "<" in masked:
        # Imported on first use: beautifulsoup4 takes about 0.1 s to import, which the build's helper
        # process (started afresh on every build) would otherwise spend before reading a page.
        from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning
        from bs4.exceptions import ParserRejectedMarkup

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            try:
                soup = BeautifulSoup(masked, "html.parser")
            except ParserRejectedMarkup:
                # What the checker cannot read, a browser may still run: refuse it.
                yield Unsafe(1, 1, "markup the HTML parser rejects (e.g. a broken '<!' declaration)")
                soup = BeautifulSoup("", "html.parser")
        for tag in soup.find_all(True):
            line, column = (tag.sourceline or 1), (tag.sourcepos or 0) + 1
            name = tag.name.lower()
            reasons = [f"<{name}> element"] if name in DANGEROUS_TAGS else []
            for attribute, value in tag.attrs.items():
                attr = attribute.lower()
                text = " ".join(value) if isinstance(value, list) else str(value)
                if attr.startswith("on"):
                    reasons.append(f"event handler attribute '{attribute}' on <{name}>")
                elif attr in URL_ATTRIBUTES and is_script_url(text):
                    reasons.append(f"'{attribute}' with a {scheme_of(text)}: url on <{name}>")
                elif attr == "style" and re.search(r"expression\s*\(|url\s*\(\s*['\"]?\s*javascript:", text, re.I):
                    reasons.append(f"script in a style attribute on <{name}>")
            if reasons:
                yield Unsafe(line, column, "; ".join(reasons))
    for index, line_text in enumerate(masked.split("\n"), start=1):
        for match in _MD_LINK_TARGET.finditer(line_text):
            if is_script_url(match.group(1)):
                yield Unsafe(index, match.start(1) + 1, f"markdown link to a {scheme_of(match.group(1))}: url")


def scheme_of(url: str) -> str:
    cleaned = re.sub(r"[\x00-\x20]+", "", html.unescape(html.unescape(url))).lower()
    return cleaned.split(":", 1)[0] if ":" in cleaned else ""


def is_script_url(url: str) -> bool:
    """javascript:, vbscript: or data: after entity decoding and with control characters removed."""
    return scheme_of(url) in ("javascript", "vbscript", "data")
