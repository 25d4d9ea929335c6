"""Validate a config bundle in the layers a user meets later (SPEC §3): Quay's config-tool, the
operator's checks against a QuayRegistry, the guide's advice, and opt-in online probes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from quayops.config.advice import advise
from quayops.config.bundle import Bundle
from quayops.config.validating import run_config_tool
from quayops.model.findings import Finding
from quayops.model.quayregistry import components, minimal_registry
from quayops.operator.checks import check_registry
from quayops.operator.components import is_managed
from quayops.operator.defaults import ensure_default_components
from quayops.operator.platform import Platform
from quayops.errors import QuayopsError

# The field group each managed component writes into the final config (operator-facts §6.2): config-tool
# runs on the final config, so the user's bundle is not judged for groups the operator fills in.
MANAGED_FIELD_GROUPS = {
    "clair": "SecurityScanner",
    "postgres": "Database",
    "redis": "Redis",
    "objectstorage": "DistributedStorage",
    "route": "HostSettings",
    "mirror": "RepoMirror",
}
ASSUMED_REGISTRY = (
    "No QuayRegistry given: checked against the guide's minimal QuayRegistry (4.1), where every "
    "component is managed. Pass --registry to check your own components."
)


@dataclass
class ValidationReport:
    """What every layer said about one bundle; `valid` is false when any layer found an error."""

    stage: str
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    probes: list = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        out = {
            "valid": self.valid,
            "stage": self.stage,
            "errors": [f.to_dict() for f in self.errors],
            "warnings": [f.to_dict() for f in self.warnings],
        }
        if self.probes:
            out["probes"] = [p.to_dict() for p in self.probes]
        return out


def validate_bundle(
    bundle: Bundle,
    *,
    registry: dict | None = None,
    platform: Platform | None = None,
    related_images: Mapping[str, str] | None = None,
    online: bool = False,
) -> ValidationReport:
    """Run every layer on a bundle and return the report; changes nothing and never raises for bad
    content (only for programming errors)."""
    platform = platform or Platform()
    result = run_config_tool(bundle)
    if result.stage == "load":
        return ValidationReport(stage="load", errors=list(result.findings))
    config = result.config or {}
    warnings: list[Finding] = []
    if registry is None:
        registry = minimal_registry()
        warnings.append(Finding("operator", ASSUMED_REGISTRY))

    defaulted = _defaulted_components(registry, bundle, platform)
    managed = {c["kind"]: is_managed(defaulted, c["kind"]) for c in defaulted}
    filled = {MANAGED_FIELD_GROUPS[k] for k, m in managed.items() if m and k in MANAGED_FIELD_GROUPS}
    errors = [f for f in result.findings if f.field_group not in filled]
    errors += check_registry(registry, bundle, platform=platform, related_images=related_images or {})
    env = {
        c["kind"]: {e.get("name") for e in ((c.get("overrides") or {}).get("env") or [])}
        for c in defaulted
    }
    warnings += advise(config, bundle.files, managed=managed, env_overrides=env)
    report = ValidationReport(stage="validate", errors=errors, warnings=warnings)
    if online:
        from quayops.config.probes import probe_config

        report.probes = probe_config(config)
        report.errors += [p.finding() for p in report.probes if not p.ok and not p.message.startswith("not probed")]
    return report


def _defaulted_components(registry: dict, bundle: Bundle, platform: Platform) -> list[dict]:
    """The components the operator would write back (§2.2); the declared list when defaulting fails
    (check_registry reports that failure)."""
    try:
        return ensure_default_components(
            components(registry), platform=platform, bundle_has_tls_pair=bundle.has_pair()
        )
    except QuayopsError:
        return components(registry)
