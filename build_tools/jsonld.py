"""Structured data for a profile page: a schema.org ProfilePage whose main entity is the Person.

The person's facts come from the page's front matter (`person:`), each affiliation with the source
that supports it; sameAs links come from the registry urls of the tier-1 sources it names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from build_tools.registry import Registry


def problems(person: Any, registry: Registry) -> Iterator[str]:
    """What is wrong with a `person:` block (no name, an affiliation without a known source, ...)."""
    if not isinstance(person, dict) or not person.get("name"):
        yield "'person' needs a 'name'"
        return
    for key in ("affiliations", "alumni_of"):
        for item in person.get(key) or []:
            if not isinstance(item, dict) or not item.get("name"):
                yield f"each of '{key}' needs a 'name'"
            elif registry.resolve(str(item.get("source") or "")) is None:
                yield f"'{item.get('name')}' in '{key}' needs a 'source' from the registry"
    for source_id in person.get("same_as") or []:
        source = registry.resolve(str(source_id))
        if source is None or source.tier != 1:
            yield f"same_as '{source_id}' must be a tier-1 source of the registry"


def profile_page(person: dict[str, Any], registry: Registry, url: str, description: str, modified: str) -> str:
    def role(item: dict[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = {"@type": "Role", "affiliation": {"@type": "Organization", "name": item["name"]}}
        for key, field in (("start", "startDate"), ("end", "endDate"), ("role", "roleName")):
            if item.get(key):
                entry[field] = str(item[key])
        return entry

    same_as = [
        s.url for s in (registry.resolve(str(i)) for i in person.get("same_as") or []) if s is not None and s.url
    ]
    entity: dict[str, Any] = {"@type": "Person", "name": person["name"]}
    if description:
        entity["description"] = description
    if person.get("affiliations"):
        entity["affiliation"] = [role(i) for i in person["affiliations"]]
    if person.get("alumni_of"):
        entity["alumniOf"] = [role(i) for i in person["alumni_of"]]
    if same_as:
        entity["sameAs"] = same_as
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": "ProfilePage", "url": url, "mainEntity": entity}
    if modified:
        data["dateModified"] = modified
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'
