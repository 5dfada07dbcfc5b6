"""Builds are atomic and deterministic; hostile input never reaches the user as a traceback."""

from __future__ import annotations

import importlib.metadata
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from build_tools.bench import generate_corpus
from build_tools.cli import main

from conftest import ROOT, tree


def test_two_builds_of_the_same_commit_are_byte_identical(tmp_path: Path) -> None:
    committed = (ROOT / "llms.txt").read_text()
    try:
        assert main(["-f", str(ROOT / "mkdocs.yml"), "build", "--site-dir", str(tmp_path / "a")]) == 0
        time.sleep(1.1)  # a clock-dependent output would differ now
        assert main(["-f", str(ROOT / "mkdocs.yml"), "build", "--site-dir", str(tmp_path / "b")]) == 0
    finally:
        (ROOT / "llms.txt").write_text(committed)
    first, second = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []


def _interruptible() -> None:
    """In the child, before it runs: Ctrl-C's signal at its default (a shell that runs the tests in
    the background ignores SIGINT, its children inherit that, and Python then never turns SIGINT
    into KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_killed_or_interrupted_build_leaves_the_previous_site(tmp_path: Path) -> None:
    root = tmp_path / "big"
    generate_corpus(root, 200)
    site = root / "site"
    assert main(["-f", str(root / "mkdocs.yml"), "build"]) == 0
    before = tree(site)
    (root / "docs/section-000/page-00000.md").write_text(
        "---\ntitle: Changed\ndescription: D\nconfidence: low\ndepth: low\n---\nChanged.\n"
    )
    for how in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        log = (tmp_path / "build.log").open("w+b")  # a file, not a pipe: a full pipe would stall the build
        process = subprocess.Popen(
            [sys.executable, "-m", "build_tools", "build"],
            cwd=root,
            stdout=log,
            stderr=log,
            preexec_fn=_interruptible,
        )
        deadline = time.monotonic() + 60
        while not list(root.glob(".site.building-*/assets")) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not list(root.glob(".site.building-*")):
            process.kill()
            process.wait()
            raise AssertionError("the build never started writing: " + (tmp_path / "build.log").read_text()[-2000:])
        process.send_signal(how)
        process.wait(timeout=60)
        log.close()
        assert process.returncode != 0, (tmp_path / "build.log").read_text()[-2000:]
        assert "Traceback" not in (tmp_path / "build.log").read_text()
        assert tree(site) == before, f"site/ changed after {how!r}"
        if how != signal.SIGKILL:
            assert not list(root.glob(".site.building-*")), "staging folder left behind"
    # The next build cleans what a SIGKILL left, and publishes the change.
    assert main(["-f", str(root / "mkdocs.yml"), "build"]) == 0
    assert not list(root.glob(".site.*"))
    assert "Changed" in (site / "section-000/page-00000/index.html").read_text()
    assert os.path.isdir(site / "assets")


def test_a_build_keeps_the_staging_folder_of_a_build_still_running(tmp_path: Path) -> None:
    root = tmp_path / "tiny"
    generate_corpus(root, 3)
    running = root / f".site.building-{os.getpid()}-abc"  # this test process stands in for a live build
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    killed = root / f".site.building-{dead.stdout.strip()}-abc"
    running.mkdir()
    killed.mkdir()
    assert main(["-f", str(root / "mkdocs.yml"), "build"]) == 0
    assert running.is_dir(), "a concurrent build's staging folder was deleted"
    assert not killed.exists(), "a dead build's staging folder was left behind"


def test_a_kept_result_is_keyed_by_its_inputs_the_code_and_the_day(monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime

    from build_tools import cache

    key = cache.key_of(b"inputs")
    assert cache.key_of(b"inputs") == key != cache.key_of(b"inputs2")
    assert cache.key_of(b"ab", b"c") != cache.key_of(b"a", b"bc")  # parts are told apart

    tomorrow = datetime.date.fromordinal(datetime.date.today().toordinal() + 1)

    class Tomorrow(datetime.date):
        @classmethod
        def today(cls) -> datetime.date:
            return tomorrow

    with monkeypatch.context() as patch:
        patch.setattr(cache.datetime, "date", Tomorrow)
        assert cache.key_of(b"inputs") != key  # a check compares dates with today
    with monkeypatch.context() as patch:
        patch.setattr(cache, "_code_digest", lambda: b"other code")
        assert cache.key_of(b"inputs") != key
    version = importlib.metadata.version
    with monkeypatch.context() as patch:  # another release of a library the checks use
        patch.setattr(importlib.metadata, "version", lambda name: version(name) + ("1" if name == "PyYAML" else ""))
        cache._code_digest.cache_clear()
        assert cache.key_of(b"inputs") != key
    cache._code_digest.cache_clear()
    assert cache.key_of(b"inputs") == key


def test_the_key_of_a_projects_checks_covers_every_file_the_project_is_loaded_from(
    tiny_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from build_tools import kept
    from build_tools.project import load_project, settings_from_config

    settings = settings_from_config(tiny_profile / "mkdocs.yml")
    read: list[str] = []
    read_bytes = Path.read_bytes

    def reading(path: Path) -> bytes:
        data = read_bytes(path)
        read.append(os.path.realpath(path))  # (once read)
        return data

    monkeypatch.setattr(Path, "read_bytes", reading)
    project = load_project(settings, with_pages=False)
    loaded, read[:] = set(read), []
    key = kept.key_of(settings)
    keyed = {path for path in read if path.startswith(os.path.realpath(tiny_profile))}  # (not the code's files)
    assert loaded and loaded | {os.path.realpath(a.path) for a in project.accounts} == keyed

    assert kept.key_of(replace(settings, site_dir=tmp_path, exclude_docs="x/\n")) == key  # (no part of it)
    assert kept.key_of(replace(settings, severity={"C204": "off"})) != key
    keys = {key}
    for name in ("registry.yml", "accounts.yml", "gazetteer.yml", "conflicts.yml", "accounts/quill-digest.txt"):
        path = tiny_profile / "sources" / name
        original = path.read_bytes() if path.is_file() else None
        path.write_bytes((original or b"") + b"\n# one more line\n")  # (the profile has no register: made)
        keys.add(kept.key_of(settings))
        path.unlink()
        if original is not None:
            keys.add(kept.key_of(settings))  # (gone)
            path.write_bytes(original)
    account = tiny_profile / "sources/accounts/quill-report.txt"
    elsewhere = tmp_path / "same-bytes.txt"
    elsewhere.write_bytes(account.read_bytes())
    account.unlink()
    account.symlink_to(elsewhere)  # the same bytes, read from somewhere else
    keys.add(kept.key_of(settings))
    assert len(keys) == 1 + 5 + 4 + 1 and None not in keys  # each change told apart


def test_a_kept_result_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    from build_tools import cache

    key = cache.key_of(b"inputs")
    assert cache.store(tmp_path / "kept.pickle", key, {"a": [1, 2]})
    assert cache.load(tmp_path / "kept.pickle", key) == {"a": [1, 2]}
    assert cache.load(tmp_path / "kept.pickle", cache.key_of(b"other")) is None
    assert cache.load(tmp_path / "missing.pickle", key) is None
    (tmp_path / "file").write_text("")
    assert not cache.store(tmp_path / "file" / "kept.pickle", key, 1)  # its folder cannot be made
    assert not cache.store(tmp_path / "lambda.pickle", key, lambda: 1)  # cannot be pickled
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "kept.pickle"]  # nothing half-written
