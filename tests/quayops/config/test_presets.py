"""`config new` presets validate clean, and the guide's broken examples come out fixed with a note."""

import pytest

from quayops.bundles import write_new_bundle
from quayops.config.presets import STORAGE, new_bundle
from quayops.errors import PreconditionFailed


def write(tmp_path, **kwargs):
    spec = new_bundle(**kwargs)
    _, report = write_new_bundle(spec, tmp_path / "b", name="example-registry", namespace="quay-enterprise")
    return spec, report


@pytest.mark.parametrize("storage", ["managed", *STORAGE])
def test_each_storage_preset_validates_clean(tmp_path, storage):
    spec, report = write(tmp_path, storage=storage)
    assert report.valid, report.to_dict()
    assert not [w for w in report.warnings if w.layer == "guide"], report.to_dict()
    assert ({"kind": "objectstorage", "managed": False} in spec.components) == (storage != "managed")


def test_guide_examples_that_fail_as_written_come_with_a_note(tmp_path):
    for storage, words in (("azure", "illegal base64"), ("radosgw", "is_secure must be of type boolean")):
        spec, _ = write(tmp_path / storage, storage=storage)
        assert any(words in note for note in spec.notes), spec.notes


def test_external_database_and_redis_are_unmanaged_and_valid(tmp_path):
    spec, report = write(tmp_path, db_uri="", redis={})
    assert report.valid, report.to_dict()
    assert spec.config["DB_URI"].startswith("postgresql://")
    assert {"kind": "postgres", "managed": False} in spec.components
    assert {"kind": "redis", "managed": False} in spec.components


def test_custom_tls_pair_is_valid_for_its_hostname(tmp_path, cert_factory):
    pair = cert_factory(cn="quay.apps.example.com", dns=("quay.apps.example.com",))
    spec, report = write(tmp_path, hostname="quay.apps.example.com", tls_pair=pair)
    assert report.valid, report.to_dict()
    assert {"kind": "tls", "managed": False} in spec.components
    assert (tmp_path / "b" / "ssl.key").stat().st_mode & 0o077 == 0


def test_features_preset_with_managed_storage_leaves_replication_out(tmp_path):
    spec, report = write(tmp_path, features=True)
    assert report.valid, report.to_dict()
    assert "FEATURE_STORAGE_REPLICATION" not in spec.config
    assert any("ConfigInvalid" in note for note in spec.notes)
    # the guide's own warning for its 3.1.5 example: builders need unmanaged TLS (3.4, 9.3.1)
    assert [w.field for w in report.warnings if w.layer == "guide"] == ["FEATURE_BUILD_SUPPORT"]


def test_features_preset_with_unmanaged_storage_keeps_replication_and_its_prerequisites(tmp_path):
    spec, report = write(tmp_path, features=True, storage="s3")
    assert report.valid, report.to_dict()
    assert spec.config["FEATURE_STORAGE_REPLICATION"] is True
    assert {"postgres", "redis", "clairpostgres", "tls"} <= {w.component for w in report.warnings}


def test_existing_directory_is_not_overwritten(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "config.yaml").write_text("KEEP: me\n")
    with pytest.raises(PreconditionFailed, match="nothing was written"):
        write(tmp_path)
    assert (tmp_path / "b" / "config.yaml").read_text() == "KEEP: me\n"


def test_unknown_storage_and_local_with_replication_are_refused():
    with pytest.raises(ValueError, match="storage must be one of"):
        new_bundle(storage="ibm")
    with pytest.raises(ValueError, match="LocalStorage"):
        new_bundle(storage="local", features=True)
