"""Build tools for sourced, static profile sites: registry, checks, MkDocs plugin, agent outputs."""

from __future__ import annotations

__version__ = "0.1.0"
