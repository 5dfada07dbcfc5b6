"""Supply chain: every dependency pinned with a hash, every enabled plugin locked, schemas in step."""

from __future__ import annotations

import json
import re
import subprocess
from importlib.metadata import entry_points

import yaml

from build_tools.checks import FRONT_MATTER_KEYS
from build_tools.project import settings_from_config

from conftest import ROOT


def _locked(lock: str) -> set[str]:
    return {m.lower() for m in re.findall(r"^([A-Za-z0-9_.-]+)==", (ROOT / lock).read_text(), re.M)}


def test_every_locked_requirement_is_pinned_with_a_hash() -> None:
    for lock in ("requirements.lock", "requirements-test.lock", "requirements-bench.lock"):
        text = (ROOT / lock).read_text()
        blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", text.split("\n", 1)[1])
        for block in blocks:
            name = re.match(r"\s*([A-Za-z0-9_.-]+)==", block)
            if name:
                assert "--hash=sha256:" in block, (lock, name.group(1))
    makefile = (ROOT / "Makefile").read_text()
    assert makefile.count("--require-hashes") >= 3


def test_every_plugin_enabled_in_mkdocs_yml_comes_from_the_lock() -> None:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    names = [next(iter(p)) if isinstance(p, dict) else p for p in config["plugins"]]
    locked = _locked("requirements.lock")
    available = {ep.name: ep for ep in entry_points(group="mkdocs.plugins")}
    for name in names:
        assert name in available, f"plugin '{name}' is not installed"
        dist = available[name].dist
        assert dist is not None
        project = dist.metadata["Name"].lower()
        assert project == "build-tools" or project in locked, f"plugin '{name}' comes from '{project}', not in the lock"


def test_theme_is_material_and_offline() -> None:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    assert config["theme"]["name"] == "material"
    assert config["theme"]["font"] == "false"  # no Google Fonts
    assert "repo_url" not in config  # the theme would ask GitHub's API for stars
    assert "analytics" not in json.dumps(config.get("extra", {}))


def test_front_matter_schema_knows_the_same_keys_as_the_check() -> None:
    schema = json.loads((ROOT / "build_tools/schemas/front-matter.schema.json").read_text())
    assert set(schema["properties"]) == FRONT_MATTER_KEYS
    registry_schema = json.loads((ROOT / "build_tools/schemas/registry.schema.json").read_text())
    fields = set(registry_schema["properties"]["sources"]["items"]["properties"])
    data = yaml.safe_load((ROOT / "sources/registry.yml").read_text())
    for source in data["sources"]:
        assert set(source) <= fields, source["id"]
    assert settings_from_config(ROOT / "mkdocs.yml").registry_path.is_file()


def test_make_bench_installs_every_peer_the_bench_runs() -> None:
    # linkchecker (the link check's reference) comes from the test lock; a fresh clone's bench once
    # stopped after 18 minutes without it.
    dry = subprocess.run(["make", "-n", "-B", "bench"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "-r requirements-test.lock" in dry and "-r requirements-bench.lock" in dry
    assert "linkchecker" in _locked("requirements-test.lock")
    assert {"mkdocs-llmstxt", "matplotlib"} <= _locked("requirements-bench.lock")
