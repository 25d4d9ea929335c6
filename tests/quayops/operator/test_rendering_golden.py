"""The default `example-registry` in `quay-enterprise` renders the objects of operator-facts §5."""

import io
import random
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from quayops.config.bundle import Bundle
from quayops.model.quayregistry import minimal_registry
from quayops.operator.defaults import ensure_default_components
from quayops.operator.platform import OperatorEnv, Platform
from quayops.operator.rendering import render_registry
from quayops.operator.rendering.keys import ManagedKeys

GOLDEN = Path(__file__).parents[2] / "golden" / "operator"
STORED = ManagedKeys(
    DATABASE_SECRET_KEY="d" * 80, SECRET_KEY="s" * 80,
    DB_URI="postgresql://example-registry-quay-database:pw@example-registry-quay-database:5432/"
           "example-registry-quay-database",
    DB_ROOT_PW="r" * 32, CONFIG_EDITOR_PW="c" * 16, SECURITY_SCANNER_V4_PSK="cHNr",
)


def render(keys, upgrading):
    cr = minimal_registry()
    cr["metadata"]["uid"] = "00000000-0000-0000-0000-000000000001"
    components = ensure_default_components([], platform=Platform(), bundle_has_tls_pair=False)
    return render_registry(cr, Bundle({}), components, platform=Platform(), operator=OperatorEnv(), keys=keys,
                           random=random.Random(0), upgrading=upgrading)


def dump(objects):
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump_all(sorted(objects, key=lambda o: (o["kind"], o["metadata"]["name"])), out)
    return out.getvalue()


@pytest.mark.parametrize(("case", "upgrading", "count"), [("example-registry", False, 48),
                                                          ("example-registry-upgrade", True, 49)])
def test_default_registry_golden(request, case, upgrading, count):
    rendered = render(STORED, upgrading)
    assert len(rendered.objects) == count
    text = dump(rendered.objects)
    path = GOLDEN / f"{case}.output.yaml"
    if request.config.getoption("--update-golden"):
        path.write_text(text)
    assert text == path.read_text()


def test_fresh_registry_takes_upgrade_path_and_generates_keys():
    rendered = render(None, upgrading=True)
    assert rendered.upgrade and rendered.database_changed
    assert len(rendered.keys.CONFIG_EDITOR_PW) == 16 and len(rendered.keys.DB_ROOT_PW) == 32
    assert rendered.keys.DB_URI.startswith("postgresql://example-registry-quay-database:")


def test_status_fields():
    rendered = render(STORED, False)
    assert rendered.registry_endpoint == "https://example-registry-quay-quay-enterprise.apps.cluster.example.com"
    assert rendered.config_editor_endpoint == (
        "https://example-registry-quay-config-editor-quay-enterprise.apps.cluster.example.com"
    )
    assert rendered.config_editor_credentials_secret.startswith("example-registry-quay-config-editor-credentials-")
