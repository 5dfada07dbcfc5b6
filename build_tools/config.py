"""The plugin's configuration schema (mkdocs.yml: plugins: - provenance: ...)."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c

from build_tools.project import DEFAULTS


class ProvenanceConfig(base.Config):
    registry = c.Type(str, default=DEFAULTS["registry"])
    accounts = c.Type(str, default=DEFAULTS["accounts"])
    sources_page = c.Type(str, default=DEFAULTS["sources_page"])
    gazetteer = c.Type(str, default=DEFAULTS["gazetteer"])
    conflicts = c.Type(str, default=DEFAULTS["conflicts"])
    # The page that explains the badges and tiers (the badges link to it); "" for none.
    about_page = c.Type(str, default="about.md")
    # The generated page on where the accounts disagree; "" turns it off.
    disagreements_page = c.Type(str, default=DEFAULTS["disagreements_page"])
    # The generated page on the raw accounts' reliability; "" turns it off.
    source_audit_page = c.Type(str, default="source-audit.md")
    # Also write the built llms.txt to this path (relative to mkdocs.yml), e.g. "llms.txt".
    llms_txt_copy = c.Type(str, default=DEFAULTS["llms_txt_copy"])
    # llms.txt, markdown twins, llms-full.txt, sources.json, conflicts.json.
    agent_outputs = c.Type(bool, default=True)
    # Per-check severity, e.g. {C202: error, R020: off}: error, warning, note or off.
    severity = c.Type(dict, default={})
    # Keep the checks of the registry, accounts and pages for the next run, a build or `check` (as
    # mkdocs-material's plugins keep theirs): a run whose inputs, code and day are unchanged takes them.
    cache = c.Type(bool, default=DEFAULTS["cache"])
    cache_dir = c.Type(str, default=DEFAULTS["cache_dir"])  # relative to mkdocs.yml
