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
import re

_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S)
_ARTICLE = '<article class="md-content__inner'
DATA_TYPES = ("application/json", "application/ld+json")


def theme_script_hashes(html: str) -> list[str]:
    """'sha256-…' of each executable inline script outside the page's article."""
    start = html.find(_ARTICLE)
    end = html.rfind("</article>") if start >= 0 else -1
    # Only the theme's part of the page is searched: the article is most of it, and none of its
    # scripts may run (a contribution's "</article>" cannot end the article early: the last one does).
    outside = [html[:start], html[end:]] if 0 <= start < end else [html]
    hashes = []
    for part in outside:
        for match in _SCRIPT.finditer(part):
            attrs = match.group("attrs")
            if "src=" in attrs or any(t in attrs for t in DATA_TYPES):
                continue
            digest = _digest(match.group("body"))
            if digest not in hashes:
                hashes.append(digest)
    return hashes


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
