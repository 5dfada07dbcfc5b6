"""Internal links and anchors of the built site: our in-process checker, and linkchecker as the reference."""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
from pathlib import Path

from build_tools.cli import main
from build_tools.links import check_site, linkchecker_config, parse_linkchecker_csv

from conftest import ROOT


def test_real_site_has_no_broken_internal_links_or_anchors(tmp_path: Path) -> None:
    committed = (ROOT / "llms.txt").read_text()
    try:
        assert main(["-f", str(ROOT / "mkdocs.yml"), "build", "--strict", "--site-dir", str(tmp_path / "s")]) == 0
    finally:
        (ROOT / "llms.txt").write_text(committed)
    assert check_site(tmp_path / "s") == []


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except ConnectionError:
            pass  # linkchecker hangs up early on some requests


def test_seeded_broken_links_are_found_by_both_checkers(tiny_profile: Path, tmp_path: Path, capsys) -> None:
    (tiny_profile / "docs/broken.md").write_text(
        "---\ntitle: Broken\ndescription: D\nconfidence: low\ndepth: low\n---\n\n"
        '<a href="../no-such-page/">a missing page</a> and <a href="../people/apprentices/#no-such-anchor">a missing anchor</a>.\n'
    )
    site = tmp_path / "site"
    assert main(["-f", str(tiny_profile / "mkdocs.yml"), "build", "--site-dir", str(site)]) == 0
    assert capsys.readouterr().err.count("L001 warning") == 2
    ours = {(b.page, b.href) for b in check_site(site)}
    assert ours == {
        ("broken/index.html", "../no-such-page/"),
        ("broken/index.html", "../people/apprentices/#no-such-anchor"),
    }
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("linkchecker")),
                "-f",
                str(linkchecker_config(tmp_path / "lc.ini")),
                "--no-status",
                "-o",
                "csv",
                base,  # from the root: a start page under broken/ would make ../ links "external"
            ],  # fmt: skip
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        server.shutdown()
        server.server_close()
    found = parse_linkchecker_csv(result.stdout)
    urls = {url for url, _, _ in found}
    assert "../no-such-page/" in urls
    warnings = result.stdout
    assert "no-such-anchor" in warnings  # the anchor plugin reports the missing anchor
