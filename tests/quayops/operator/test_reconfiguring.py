"""The config editor's /reconfigure call (operator-facts §13)."""

import base64
import random

from quayops.operator.reconfiguring import plan_reconfigure

REGISTRY = {"apiVersion": "quay.redhat.com/v1", "kind": "QuayRegistry",
            "metadata": {"name": "example-registry", "namespace": "quay-enterprise"},
            "spec": {"configBundleSecret": "old", "components": [
                {"kind": "quay", "managed": False}, {"kind": "postgres", "managed": True, "overrides": {"volumeSize": "60Gi"}},
                {"kind": "redis", "managed": False}, {"kind": "route", "managed": True},
                {"kind": "mirror", "managed": True}, {"kind": "horizontalpodautoscaler", "managed": False}]}}
BODY = {"config.yaml": {"DB_URI": "postgresql://db/quay", "FEATURE_REPO_MIRROR": True, "SERVER_HOSTNAME": "q"},
        "certs": {"ssl.cert": b"CERT", "extra_ca_certs/corp.crt": b"CA"},
        "namespace": "quay-enterprise", "quayRegistryName": "example-registry"}


def reconfigure(method="POST", **kwargs):
    return plan_reconfigure(method, BODY, REGISTRY, {"clair-config.yaml": b"x: 1\n"}, random=random.Random(0), **kwargs)


def test_only_post():
    assert reconfigure("GET").code == 405


def test_bearer_token_checked_in_3_8():
    assert (reconfigure(password="pw", authorization="Basic pw").code, reconfigure(password="pw").message) == (
        404, "Invalid token format")
    assert reconfigure(password="pw", authorization="Bearer nope").message == "Invalid token"
    assert reconfigure(password="pw", authorization="Bearer pw").code == 200


def test_new_secret_files():
    result = reconfigure()
    meta = result.secret["metadata"]
    assert meta["generateName"] == "example-registry-quay-config-bundle-"
    assert meta["labels"] == {"quay-registry": "example-registry"}
    assert set(result.secret["data"]) == {"config.yaml", "ssl.cert", "extra_ca_cert_corp.crt", "clair-config.yaml"}
    assert base64.b64decode(result.secret["data"]["clair-config.yaml"]) == b"x: 1\n"
    assert result.spec["configBundleSecret"] == meta["name"]


def test_components_rederived_from_the_new_config():
    assert reconfigure().spec["components"] == [
        {"kind": "quay", "managed": True}, {"kind": "postgres", "managed": False}, {"kind": "redis", "managed": True},
        {"kind": "route", "managed": True}, {"kind": "mirror", "managed": True},
        {"kind": "horizontalpodautoscaler", "managed": False}]
