"""Errors raised while rendering: TLS pair vs hosts, volume shrink, image overrides (operator-facts §3.4)."""

import pytest

from quayops.operator.checks import (
    check_image_override,
    check_tls_for,
    check_volume_sizes,
    quantity_value,
    refuse_rendering,
)
from quayops.operator.defaults import ensure_default_components
from quayops.operator.platform import Platform


def components(*declared):
    return ensure_default_components(list(declared), platform=Platform(), bundle_has_tls_pair=False)


def volume(kind, size, managed=True):
    return {"kind": kind, "managed": managed, "overrides": {"volumeSize": size}}


def test_tls_without_pair_is_not_checked():
    assert check_tls_for({}, "quay.example.com", None) is None
    assert check_tls_for({"ssl.cert": b"", "ssl.key": b"KEY"}, "quay.example.com", None) is None


def test_tls_pair_valid_for_server_and_builder_hosts(cert_factory):
    cert, key = cert_factory(dns=("registry.company.com", "builder.company.com"))
    files = {"ssl.cert": cert, "ssl.key": key}
    assert check_tls_for(files, "registry.company.com", "builder.company.com:443") is None


def test_tls_pair_not_valid_for_server_hostname(cert_factory):
    cert, key = cert_factory(cn="nonexistent.company.com", dns=("nonexistent.company.com",))
    assert check_tls_for({"ssl.cert": cert, "ssl.key": key}, "registry.company.com", None) == (
        "provided certificate pair not valid for host 'registry.company.com': "
        "x509: certificate is valid for nonexistent.company.com, not registry.company.com"
    )


def test_tls_pair_not_valid_for_builder_host_without_port(cert_factory):
    cert, key = cert_factory(dns=("registry.company.com",))
    message = check_tls_for({"ssl.cert": cert, "ssl.key": key}, "registry.company.com", "builder.company.com:443")
    assert message.startswith("provided certificate pair not valid for host 'builder.company.com': x509: ")


def test_tls_key_not_matching_cert(cert_factory):
    cert, _ = cert_factory(dns=("registry.company.com",))
    _, other_key = cert_factory(dns=("registry.company.com",))
    message = check_tls_for({"ssl.cert": cert, "ssl.key": other_key}, "registry.company.com", None)
    assert message == (
        "provided certificate pair not valid for host 'registry.company.com': "
        "tls: private key does not match public key"
    )


@pytest.mark.parametrize("size", ["10Gi", "49Gi", "1000Mi", 1073741824, "50G"])
def test_postgres_volume_shrink_refused(size):
    assert check_volume_sizes(components(volume("postgres", size))) == (
        f"cannot shrink volume override size from 50Gi to {size}"
    )


@pytest.mark.parametrize("size", ["50Gi", "60Gi", "1Ti", "53687091200"])
def test_volume_equal_or_larger_passes(size):
    assert check_volume_sizes(components(volume("postgres", size))) is None


def test_clair_volume_override_resizes_clair_postgres_pvc():
    assert check_volume_sizes(components(volume("clair", "20Gi"))) == (
        "cannot shrink volume override size from 50Gi to 20Gi"
    )


def test_clair_volume_override_ignored_while_clairpostgres_unmanaged():
    declared = [volume("clair", "20Gi"), {"kind": "clairpostgres", "managed": False}]
    assert check_volume_sizes(components(*declared)) is None


def test_quantity_value_parses_suffixes():
    assert quantity_value("50Gi") == 50 * 2**30
    assert quantity_value("1.5k") == 1500
    assert quantity_value("2e3") == 2000
    assert quantity_value("lots") is None


@pytest.mark.parametrize(
    "image",
    ["registry.redhat.io/quay/quay-rhel8@sha256:abc", "quay.io/projectquay/quay:v3.7.0", "quay:latest"],
)
def test_image_override_by_digest_or_single_colon_tag(image):
    assert check_image_override(image) is None


@pytest.mark.parametrize("image", ["host:5000/x:tag", "quay.io/projectquay/quay", "a@b@c"])
def test_image_override_malformed(image):
    assert check_image_override(image) == f"image override must be reference by tag or digest: {image}"


def test_rendering_refusal_image_order_spec_then_quay():
    images = {"RELATED_IMAGE_COMPONENT_QUAY": "host:5000/q:1", "RELATED_IMAGE_COMPONENT_REDIS": "redis"}
    refusal = refuse_rendering(
        components(), {}, server_hostname="quay.example.com", buildman_hostname="", related_images=images
    )
    assert refusal.message == (
        "could not inflate kubernetes objects: image override must be reference by tag or digest: redis"
    )
    assert (refusal.reason, refusal.component) == ("ComponentCreationFailed", "redis")


def test_rendering_refusal_volume_shrink_prefixed():
    refusal = refuse_rendering(
        components(volume("postgres", "10Gi")), {}, server_hostname="q", buildman_hostname="", related_images={}
    )
    assert refusal.message == (
        "could not inflate kubernetes objects: cannot shrink volume override size from 50Gi to 10Gi"
    )
