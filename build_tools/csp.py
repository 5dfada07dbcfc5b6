"""A Content-Security-Policy for every page: only the site's own scripts and styles run.

The theme has a few inline scripts of its own (scope, palette). They are allowed by their sha256
hash, and only when they sit outside the page's content: a script that a contribution slips into
the article is not hashed, so the browser refuses to run it, and inline event handlers are never
allowed.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Iterator

_ARTICLE = '<article class="md-content__inner'
DATA_TYPES = ("application/json", "application/ld+json")


def theme_script_hashes(html: str) -> list[str]:
    """'sha256-…' of each executable inline script outside the page's article."""
    start = html.find(_ARTICLE)
    end = html.rfind("</article>") if start >= 0 else -1
    # Only the theme's part of the page is searched: the article is most of it, and none of its
    # scripts may run (a contribution's "</article>" cannot end the article early: the last one does).
    outside = [(0, start), (end, len(html))] if 0 <= start < end else [(0, len(html))]
    hashes = []
    for first, last in outside:
        for attrs, body in _scripts(html, first, last):
            if "src=" in attrs or any(t in attrs for t in DATA_TYPES):
                continue
            digest = _digest(body)
            if digest not in hashes:
                hashes.append(digest)
    return hashes


def _scripts(html: str, first: int, last: int) -> Iterator[tuple[str, str]]:
    """(attributes, body) of each complete <script> element that starts in html[first:last].
    Found with str.find, not a regular expression: a page has tens of kilobytes to search and a
    script body of several (the theme's configuration), which a lazy pattern walks one character
    at a time."""
    at = html.find("<script", first, last)
    while at >= 0:
        close = html.find(">", at, last)
        end = html.find("</script>", close, last) if close >= 0 else -1
        if end < 0:
            return
        attrs = html[at + 7 : close]
        if not attrs or attrs[0] in " \t\n/":  # <script ...>, not <scripts>
            yield attrs, html[close + 1 : end]
        at = html.find("<script", end + 9, last)


@functools.lru_cache(maxsize=256)
def _digest(body: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()


@functools.lru_cache(maxsize=64)
def _policy(hashes: tuple[str, ...]) -> str:
    scripts = " ".join(["'self'", *(f"'{h}'" for h in hashes)])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-src 'none'; base-uri 'self'; "
        "form-action 'self'"
    )


def policy(html: str) -> str:
    return _policy(tuple(theme_script_hashes(html)))


def add_policy(html: str) -> str:
    """The page with a CSP meta tag as the first element of its head."""
    if "<head>" not in html:
        return html
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy(html)}">'
    return html.replace("<head>", f"<head>\n    {meta}", 1)
