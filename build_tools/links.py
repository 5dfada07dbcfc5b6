"""Internal links and anchors of a built site, checked in-process (linkchecker stays the reference
and the checker for external urls: it runs as a subprocess, never imported)."""

from __future__ import annotations

import functools
import http.server
import posixpath
import re
import threading
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class BrokenLink:
    page: str  # site-relative path of the HTML file
    href: str
    reason: str


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name") and tag != "meta":
                self.ids.add(value)
            elif (name == "href" and tag in ("a", "link", "area")) or (name == "src" and tag in ("img", "script")):
                self.hrefs.append(value)


def _parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8", errors="replace"))
    return collector


def check_site(site: Path) -> list[BrokenLink]:
    """Every relative link of every HTML page: the target file exists, and so does its anchor."""
    pages = {p.relative_to(site).as_posix(): p for p in sorted(site.rglob("*.html"))}
    parsed = {rel: _parse(path) for rel, path in pages.items()}
    broken: list[BrokenLink] = []
    for rel, collector in parsed.items():
        for href in collector.hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:", "data:")):
                continue
            target = _resolve(rel, unquote(parts.path), site)
            if target is None:
                broken.append(BrokenLink(rel, href, "no such file"))
                continue
            anchor = unquote(parts.fragment)
            if anchor and target.endswith(".html") and anchor not in parsed.get(target, _Collector()).ids:
                broken.append(BrokenLink(rel, href, f"no anchor '#{anchor}' in {target}"))
    return broken


def _resolve(page: str, path: str, site: Path) -> str | None:
    if not path:
        return page
    if path.startswith("/"):  # root-relative (the 404 page): the site is served at its root
        joined = posixpath.normpath(path.lstrip("/")) or "."
    else:
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
    if joined.startswith(".."):
        return None
    candidate = site / joined
    if candidate.is_dir():
        joined = posixpath.join(joined, "index.html")
        candidate = site / joined
    return joined if candidate.is_file() else None


def linkchecker_config(path: Path) -> Path:
    """A linkchecker configuration: anchors checked, no rate limit on our own server."""
    path.write_text("[checking]\nmaxrequestspersecond=1000\n[AnchorCheck]\n", encoding="utf-8")
    return path


_CSV_BROKEN = re.compile(r"^(?P<url>[^;]*);(?P<parent>[^;]*);[^;]*;(?P<result>[^;]*);[^;]*;[^;]*;False;", re.M)


def parse_linkchecker_csv(text: str) -> list[tuple[str, str, str]]:
    """(url, parent, result) of each invalid link in linkchecker's CSV output."""
    return [(m["url"], m["parent"], m["result"]) for m in _CSV_BROKEN.finditer(text)]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up early (linkchecker does, on every page it has read enough of) is
        not an error worth a traceback; anything else still is."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def serve_site(directory: Path) -> http.server.ThreadingHTTPServer:
    """Serve a built site on 127.0.0.1 (a free port) from a daemon thread; call shutdown() and
    server_close() when done."""
    server = _QuietServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
