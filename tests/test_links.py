"""Internal links and anchors of the built site: our in-process checker, and linkchecker as the reference."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from build_tools.cli import main
from build_tools.links import check_site, linkchecker_config, parse_linkchecker_csv, serve_site

from conftest import ROOT


def test_real_site_has_no_broken_internal_links_or_anchors(tmp_path: Path) -> None:
    committed = (ROOT / "llms.txt").read_text()
    try:
        assert main(["-f", str(ROOT / "mkdocs.yml"), "build", "--strict", "--site-dir", str(tmp_path / "s")]) == 0
    finally:
        (ROOT / "llms.txt").write_text(committed)
    assert check_site(tmp_path / "s") == []


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
    server = serve_site(site)
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


def test_the_local_server_takes_a_client_hanging_up_early_quietly(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import socket
    import time

    (tmp_path / "big.html").write_bytes(b"x" * 20_000_000)
    server = serve_site(tmp_path)
    try:
        for _ in range(3):  # linkchecker reads a page's head and hangs up
            client = socket.create_connection(server.server_address)
            client.sendall(b"GET /big.html HTTP/1.1\r\nHost: x\r\n\r\n")
            client.recv(1024)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            client.close()
        time.sleep(0.5)
        with socket.create_connection(server.server_address) as client:  # and it still serves
            client.sendall(b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n")
            assert client.recv(1024).startswith(b"HTTP/1.0 404")
    finally:
        server.shutdown()
        server.server_close()
    assert "Traceback" not in capfd.readouterr().err
