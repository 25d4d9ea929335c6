import base64
import json

import pytest

from quayops.config.bundle import Bundle, bundle_from_secret, load_bundle_path
from quayops.errors import BundleUnreadable


def test_directory_bundle_keys_are_relative_paths(tmp_path):
    (tmp_path / "config.yaml").write_text("SERVER_HOSTNAME: q\n")
    (tmp_path / "extra_ca_certs").mkdir()
    (tmp_path / "extra_ca_certs" / "ca.crt").write_text("x")
    b = load_bundle_path(tmp_path)
    assert sorted(b.files) == ["config.yaml", "extra_ca_certs/ca.crt"]
    assert b.config_text == "SERVER_HOSTNAME: q\n"


def test_secret_manifest_yaml_data_and_stringdata_merge(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: cb}\n"
        f"data:\n  config.yaml: {base64.b64encode(b'A: 1').decode()}\n"
        "stringData:\n  ssl.cert: PEM\n"
    )
    b = load_bundle_path(p)
    assert b.files == {"config.yaml": b"A: 1", "ssl.cert": b"PEM"}
    assert "cb" in b.source


def test_secret_manifest_json(tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"kind": "Secret", "data": {"config.yaml": base64.b64encode(b"B: 2").decode()}}))
    assert load_bundle_path(p).files["config.yaml"] == b"B: 2"


def test_bad_base64_names_the_key():
    with pytest.raises(BundleUnreadable) as e:
        bundle_from_secret({"kind": "Secret", "data": {"config.yaml": "not base64!"}})
    assert e.value.field == "data.config.yaml"


def test_not_a_secret_and_missing_path_are_unreadable(tmp_path):
    with pytest.raises(BundleUnreadable, match="expected a Secret, got ConfigMap"):
        bundle_from_secret({"kind": "ConfigMap"})
    with pytest.raises(BundleUnreadable, match="no such file"):
        load_bundle_path(tmp_path / "missing.yaml")


def test_repr_never_shows_content():
    b = Bundle(files={"config.yaml": b"DB_URI: postgresql://u:topsecret@h/d"})
    assert "topsecret" not in repr(b) and "config.yaml" in repr(b)
