from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def tiny_profile(tmp_path: Path) -> Path:
    """A copy of the invented test profile, safe to modify."""
    target = tmp_path / "tiny-profile"
    shutil.copytree(FIXTURES / "tiny-profile", target)
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root`, by relative path, with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def count_project_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item each time a project's own checks run (reconciliation included) from now on: here, or
    in a build's helper process when the build asks it to."""
    from build_tools import checks, outputs

    runs: list[int] = []
    check_project = checks.check_project
    monkeypatch.setattr(checks, "check_project", lambda *args: runs.append(1) or check_project(*args))
    ask = outputs.Outputs.check_project
    monkeypatch.setattr(
        outputs.Outputs, "check_project", lambda *args: (asked := ask(*args)) and runs.append(1) or asked
    )
    return runs
