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
from quayops.operator.platform import OperatorEnv, Platform
from quayops.operator.rendering.base import FIELD_GROUP_NAMES

ASSUMED_REGISTRY = (
    "No QuayRegistry given: checked against the guide's minimal QuayRegistry (4.1), where every "
    "component is defaulted. Pass --registry to check your own components."
)
# Files Quay's pod sees in /conf/stack beside config.yaml: the TLS secret and the extra CAs.
MOUNTED_FILES = ("ssl.cert", "ssl.key")


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
    """Run every layer on a bundle and return the report. Changes nothing.

    config-tool judges the config Quay's pod would mount: the user's config.yaml merged with what the
    operator injects for managed components (operator-facts §6), as Quay validates it at start-up.
    """
    platform = platform or Platform()
    loaded = run_config_tool(bundle)
    if loaded.stage == "load":
        return ValidationReport(stage="load", errors=list(loaded.findings))
    config = loaded.config or {}
    warnings: list[Finding] = []
    if registry is None:
        registry = minimal_registry()
        warnings.append(Finding("operator", ASSUMED_REGISTRY))
    registry.setdefault("metadata", {}).setdefault("namespace", "quay-enterprise")

    operator_errors = check_registry(registry, bundle, platform=platform, related_images=related_images or {})
    defaulted = ensure_default_components(
        components(registry), platform=platform, bundle_has_tls_pair=bundle.has_pair(), strict=False
    )
    if operator_errors:
        # The operator would not render: judge the user's bundle, minus the groups it would fill in.
        result = loaded
        filled = {FIELD_GROUP_NAMES[c["kind"]] for c in defaulted if c.get("managed") and c["kind"] in FIELD_GROUP_NAMES}
        errors = [f for f in result.findings if f.field_group not in filled] + operator_errors
    else:
        result = run_config_tool(_final_bundle(registry, bundle, platform, related_images))
        errors = list(result.findings)

    managed = {c["kind"]: is_managed(defaulted, c["kind"]) for c in defaulted}
    env = {c["kind"]: {e.get("name") for e in ((c.get("overrides") or {}).get("env") or [])} for c in defaulted}
    warnings += advise(config, bundle.files, managed=managed, env_overrides=env)
    report = ValidationReport(stage=result.stage, errors=errors, warnings=warnings)
    if online:
        from quayops.config.probes import probe_config

        report.probes = probe_config(config)
        report.errors += [p.finding() for p in report.probes if not p.ok and not p.message.startswith("not probed")]
    return report


def _final_bundle(registry: dict, bundle: Bundle, platform: Platform,
                  related_images: Mapping[str, str] | None) -> Bundle:
    """The bundle Quay's pod mounts at /conf/stack once the operator has rendered this registry."""
    from quayops.reconcile import preview

    operator = OperatorEnv(related_images=tuple((related_images or {}).items()) or OperatorEnv().related_images)
    rendered = preview(registry, bundle, platform=platform, operator=operator)
    name = registry["metadata"]["name"]
    secret = next(o for o in rendered.objects
                  if o["kind"] == "Secret" and o["metadata"]["name"].startswith(f"{name}-quay-config-secret-"))
    files = {k: v.encode() for k, v in secret["stringData"].items()}
    files |= {k: v for k, v in bundle.files.items() if k in MOUNTED_FILES or k.startswith("extra_ca_cert")}
    return Bundle(files=files, source=bundle.source)
