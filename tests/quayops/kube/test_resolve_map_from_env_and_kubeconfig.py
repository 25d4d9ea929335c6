"""The resolve map: curl-style entries with `*.` wildcards, read from the kubeconfig extension `quayops.dev/resolve`
(context, then cluster) and overridden by QUAYOPS_RESOLVE; no kubeconfig or no extension means no map."""

from __future__ import annotations

import base64

import pytest
import yaml

from quayops.kube.resolve import cluster_ca, lookup, parse_resolve, resolve_map


def _kubeconfig(tmp_path, *, context_entries=(), cluster_entries=()):
    def ext(entries):
        return {"extensions": [{"name": "quayops.dev/resolve", "extension": {"resolve": list(entries)}}]} \
            if entries else {}

    doc = {"apiVersion": "v1", "kind": "Config", "current-context": "sim",
           "clusters": [{"name": "sim", "cluster": {"server": "https://127.0.0.1:6443",
                                                    "certificate-authority-data": base64.b64encode(b"CA").decode(),
                                                    **ext(cluster_entries)}}],
           "contexts": [{"name": "sim", "context": {"cluster": "sim", "user": "sim", **ext(context_entries)}}],
           "users": [{"name": "sim", "user": {"token": "t"}}]}
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_exact_entries_win_over_the_longest_wildcard():
    mapping = parse_resolve("*.apps.example.com:443:127.0.0.1:9443,*.example.com:443:127.0.0.1:1,"
                            "quay.apps.example.com:443:127.0.0.1:8443")
    assert lookup(mapping, "QUAY.apps.example.com", 443) == ("127.0.0.1", 8443)
    assert lookup(mapping, "s3-openshift-storage.apps.example.com", 443) == ("127.0.0.1", 9443)
    assert lookup(mapping, "other.example.com", 443) == ("127.0.0.1", 1)
    assert lookup(mapping, "apps.example.com.evil", 443) is None
    assert lookup(mapping, "s3-openshift-storage.apps.example.com", 80) is None


def test_kubeconfig_extension_then_env_override(tmp_path, monkeypatch):
    path = _kubeconfig(tmp_path, context_entries=["*.apps.sim:443:127.0.0.1:9443"],
                       cluster_entries=["*.apps.sim:80:127.0.0.1:9080", "*.apps.sim:443:127.0.0.1:1"])
    monkeypatch.delenv("QUAYOPS_RESOLVE", raising=False)
    assert resolve_map(kubeconfig=path) == {("*.apps.sim", 443): ("127.0.0.1", 9443),
                                            ("*.apps.sim", 80): ("127.0.0.1", 9080)}
    monkeypatch.setenv("QUAYOPS_RESOLVE", "*.apps.sim:443:127.0.0.2:7443")
    assert resolve_map(kubeconfig=path)[("*.apps.sim", 443)] == ("127.0.0.2", 7443)
    assert cluster_ca(kubeconfig=path) == b"CA"


def test_no_kubeconfig_and_no_extension_mean_no_map(tmp_path, monkeypatch):
    monkeypatch.delenv("QUAYOPS_RESOLVE", raising=False)
    assert resolve_map(kubeconfig=tmp_path / "missing") == {}
    assert resolve_map(kubeconfig=_kubeconfig(tmp_path)) == {}
    assert cluster_ca(kubeconfig=tmp_path / "missing") is None
    with pytest.raises(ValueError, match="QUAYOPS_RESOLVE entry 'a.example:443'"):
        resolve_map(kubeconfig=tmp_path / "missing", resolve="a.example:443")
