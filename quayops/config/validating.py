"""config-tool v0.1.12 `validate`, offline: load config.yaml, run the 24 constructors in config.NewConfig's
order, then every group's static rules in alphabetical order. Mirrors config-tool commands/validate.go
(config-facts §1.1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from quayops.config.bundle import Bundle
from quayops.config.errors import ConfigLoadError, FieldTypeError
from quayops.config.fieldgroups import CONSTRUCTION_ORDER, VALIDATION_ORDER
from quayops.config.loading import parse_config_yaml
from quayops.model.findings import Finding

MISSING_CONFIG = "open {source}/config.yaml: no such file or directory"
MARSHAL_ERROR = (
    "An error occurred during validation. Process could not marshal config.yaml. This is most likely "
    "due to an incorrect type. \nMore info: {error}"
)
CERT_SUFFIXES = (".crt", ".cert", ".key", ".pem")


@dataclass(frozen=True)
class ConfigToolResult:
    """What config-tool would report: one fatal load-stage finding, or the validate-stage rows.

    `config` is the loaded config.yaml (nulls removed) when it loaded, else None.
    """

    stage: Literal["load", "validate"]
    findings: list[Finding]
    config: dict | None


def run_config_tool(bundle: Bundle) -> ConfigToolResult:
    """Run config-tool's static validation on a bundle; never raises for bad content."""
    text = bundle.config_text
    if text is None:
        return _load_failure(MISSING_CONFIG.format(source=bundle.source.rstrip("/")), None)
    try:
        config = parse_config_yaml(text)
    except ConfigLoadError as e:
        return _load_failure(e.message, None)
    try:
        for group in CONSTRUCTION_ORDER:
            group.parse(config)
    except FieldTypeError as e:
        return _load_failure(MARSHAL_ERROR.format(error=e.message), config)
    except ConfigLoadError as e:
        return _load_failure(e.message, config)
    files = certificate_files(bundle)
    findings = [f for group in VALIDATION_ORDER for f in group.validate(config, files)]
    return ConfigToolResult("validate", findings, config)


def certificate_files(bundle: Bundle) -> dict[str, bytes]:
    """shared.LoadCerts: files ending in .crt/.cert/.key/.pem by relative path; paths with `..` skipped."""
    return {
        name: content
        for name, content in bundle.files.items()
        if name.endswith(CERT_SUFFIXES) and ".." not in name
    }


def _load_failure(message: str, config: dict | None) -> ConfigToolResult:
    return ConfigToolResult("load", [Finding(layer="config", message=message)], config)
