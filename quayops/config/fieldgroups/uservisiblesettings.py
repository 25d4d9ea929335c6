"""Mirrors config-tool pkg/lib/fieldgroups/uservisiblesettings (config-facts §4.8): type checks only."""

from __future__ import annotations

from quayops.config.fieldgroups.rules import Field, read_fields, read_mapping
from quayops.model.findings import Finding

GROUP = "UserVisibleSettings"
AVATAR = (Field("AVATAR_KIND", str, "string", "local"),)
BRANDING_FIELDS = (
    Field("logo", str, "string", "/static/img/quay-horizontal-color.svg"),
    Field("footer_img", str, "string", ""),
    Field("footer_url", str, "string", ""),
)
REST = (
    Field("CONTACT_INFO", list, "[]interface{}", []),
    Field("REGISTRY_TITLE", str, "string", "Project Quay"),
    Field("REGISTRY_TITLE_SHORT", str, "string", "Project Quay"),
    Field("SEARCH_MAX_RESULT_PAGE_COUNT", int, "int", 10),
    Field("SEARCH_RESULTS_PER_PAGE", int, "int", 10),
)


def parse(config: dict) -> dict:
    """The constructor: AVATAR_KIND, BRANDING (a mapping, or a panic), then the rest in order."""
    fg = read_fields(config, AVATAR)
    branding = read_mapping(config, "BRANDING")
    fg["BRANDING"] = None if branding is None else read_fields(branding, BRANDING_FIELDS)
    return fg | read_fields(config, REST)


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """config-tool's Validate is empty for this group: only the constructor can fail."""
    parse(config)
    return []
