"""Bad input is refused as kube-apiserver refuses it, and leaves the store unchanged."""

from __future__ import annotations

import base64
import json

import pytest
from kubernetes.client.rest import ApiException


def refused(call) -> dict:
    with pytest.raises(ApiException) as err:
        call()
    body = json.loads(err.value.body)
    assert body["kind"] == "Status" and body["code"] == err.value.status
    return body


def test_wrong_api_version_or_kind(sim, core, ns):
    before = sim.store.resource_version
    body = refused(lambda: core.create_namespaced_config_map(ns, {"apiVersion": "v2", "kind": "ConfigMap",
                                                                  "metadata": {"name": "x"}}))
    assert body["reason"] == "BadRequest" and "does not match the expected API version (v1)" in body["message"]
    body = refused(lambda: core.create_namespaced_config_map(ns, {"apiVersion": "v1", "kind": "Secret",
                                                                  "metadata": {"name": "x"}}))
    assert "does not match the expected kind (ConfigMap)" in body["message"]
    assert sim.store.resource_version == before


def test_missing_name(sim, core, ns):
    before = sim.store.resource_version
    body = refused(lambda: core.create_namespaced_config_map(ns, {"metadata": {}}))
    assert (body["code"], body["reason"]) == (422, "Invalid")
    assert body["message"] == ('ConfigMap "" is invalid: metadata.name: Required value: name or generateName is '
                               "required")
    assert body["details"]["causes"][0]["field"] == "metadata.name"
    assert sim.store.resource_version == before


def test_invalid_label_value(sim, core, ns):
    before = sim.store.resource_version
    body = refused(lambda: core.create_namespaced_config_map(ns, {"metadata": {"name": "x", "labels": {
        "app": "bad value!"}}}))
    assert body["code"] == 422 and 'metadata.labels: Invalid value: "bad value!"' in body["message"]
    assert sim.store.resource_version == before


def test_deployment_selector_is_immutable(sim, apps, ns, manifests):
    apps.create_namespaced_deployment(ns, manifests.deployment("d"))
    before = apps.read_namespaced_deployment("d", ns)
    changed = manifests.deployment("d", labels={"app": "other"})
    body = refused(lambda: apps.replace_namespaced_deployment("d", ns, changed))
    assert body["code"] == 422 and "spec.selector: Invalid value" in body["message"]
    assert "field is immutable" in body["message"]
    after = apps.read_namespaced_deployment("d", ns)
    assert after.metadata.resource_version == before.metadata.resource_version


def test_three_mib_secret_is_too_large(sim, core, ns):
    before = sim.store.resource_version
    data = base64.b64encode(b"x" * (3 * 1024 * 1024)).decode()
    body = refused(lambda: core.create_namespaced_secret(ns, {"metadata": {"name": "big"}, "data": {"blob": data}}))
    assert body["code"] == 413 and body["reason"] == "RequestEntityTooLarge"
    body = refused(lambda: core.create_namespaced_secret(ns, {"metadata": {"name": "big"}, "data": {
        "blob": base64.b64encode(b"x" * (1024 * 1024 + 1)).decode()}}))
    assert body["code"] == 422 and "data: Too long" in body["message"]
    assert sim.store.resource_version == before


def test_unknown_field_is_a_strict_decoding_error_for_kubectl(kubectl, ns):
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nbogus: 1\n"
    result = kubectl("apply", "-n", ns, "-f", "-", input=manifest, check=False)
    assert result.returncode != 0 and 'unknown field "bogus"' in result.stderr
    assert kubectl("get", "configmaps", "-n", ns, "-o", "name").stdout == ""


def test_custom_resource_schema_errors_are_422(dyn, ns, sim):
    registries = dyn.resources.get(api_version="quay.redhat.com/v1", kind="QuayRegistry")
    before = sim.store.resource_version
    with pytest.raises(ApiException) as err:
        registries.create(namespace=ns, body={"apiVersion": "quay.redhat.com/v1", "kind": "QuayRegistry",
                                              "metadata": {"name": "r"}, "spec": {"components": [{"kind": "clair"}]}})
    body = json.loads(err.value.body)
    assert body["code"] == 422 and "spec.components[0].managed: Required value" in body["message"]
    assert sim.store.resource_version == before


def test_creating_in_a_missing_namespace_is_404(core):
    body = refused(lambda: core.create_namespaced_config_map("no-such-ns", {"metadata": {"name": "x"}}))
    assert body["code"] == 404 and body["message"] == 'namespaces "no-such-ns" not found'
