"""A Content-Security-Policy for every page: only the site's own scripts and styles run.

The theme has a few inline scripts of its own (scope, palette). They are allowed by their sha256
hash, and only when they sit outside the page's content: a script that a contribution slips into
the article is not hashed, so the browser refuses to run it, and inline event handlers are never
allowed.
"""

from __future__ import annotations

import base64
import hashlib
import re

_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S | re.I)
_CONTENT = re.compile(r'<article class="md-content__inner[^"]*">.*?</article>', re.S)
DATA_TYPES = ("application/json", "application/ld+json")


def theme_script_hashes(html: str) -> list[str]:
    """'sha256-…' of each executable inline script outside the page's article."""
    content = [(m.start(), m.end()) for m in _CONTENT.finditer(html)]
    hashes = []
    for match in _SCRIPT.finditer(html):
        attrs = match.group("attrs")
        if "src=" in attrs or any(t in attrs for t in DATA_TYPES):
            continue
        if any(start <= match.start() < end for start, end in content):
            continue
        digest = base64.b64encode(hashlib.sha256(match.group("body").encode("utf-8")).digest()).decode()
        if f"sha256-{digest}" not in hashes:
            hashes.append(f"sha256-{digest}")
    return hashes


def policy(html: str) -> str:
    scripts = " ".join(["'self'", *(f"'{h}'" for h in theme_script_hashes(html))])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-src 'none'; base-uri 'self'; "
        "form-action 'self'"
    )


def add_policy(html: str) -> str:
    """The page with a CSP meta tag as the first element of its head."""
    if "<head>" not in html:
        return html
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy(html)}">'
    return html.replace("<head>", f"<head>\n    {meta}", 1)
