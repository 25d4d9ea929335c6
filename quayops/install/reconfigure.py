"""Reconfigure a running registry (guide 5, 6): change config.yaml, validate it against the live QuayRegistry,
apply it through a new bundle Secret or the config editor, follow the redeploy, and check the change is live."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from quayops.bundles import dump_yaml
from quayops.config.bundle import Bundle, bundle_from_secret
from quayops.config.loading import parse_config_yaml
from quayops.errors import StepFailedError
from quayops.install import InstallParametersInvalid
from quayops.install.configure import COMPONENTS_ANNOTATION
from quayops.kube.client import Cluster
from quayops.model.quayregistry import API_VERSION, KIND
from quayops.reconcile import BUNDLE_LABEL, is_available
from quayops.redaction import redact
from quayops.runbooks.secrets import mark_secret

METHODS = ("bundle", "config-editor")
DEFAULT_LISTS = {"TAG_EXPIRATION_OPTIONS": ["2w"]}  # Quay's value when the key is absent (guide 6.3.2 shows 2w)
CONFIG_SECRET_MARK = "-quay-config-secret-"


@dataclass
class ConfigChange:
    """The new bundle, the values that must be live afterwards, and the change as rows (key, before, after)."""

    bundle: Bundle
    config: dict
    expected: dict
    rows: list[dict] = field(default_factory=list)

    def table(self):
        import pandas as pd

        return pd.DataFrame(self.rows, columns=["key", "before", "after"])


def read_live_bundle(cluster: Cluster, *, name: str, namespace: str) -> tuple[dict, Bundle]:
    """The QuayRegistry and the bundle its `spec.configBundleSecret` names (values marked secret)."""
    registry = cluster.get(API_VERSION, KIND, name, namespace=namespace)
    secret_name = (registry.get("spec") or {}).get("configBundleSecret")
    if not secret_name:
        raise StepFailedError(f"QuayRegistry {namespace}/{name} has no configBundleSecret. Nothing was changed.",
                              step="read", hint="Deploy it with 04-deploy first.")
    bundle = bundle_from_secret(cluster.get("v1", "Secret", secret_name, namespace=namespace))
    mark_secret(parse_config_yaml(bundle.config_text or "") or {})
    return registry, bundle


def plan_config_change(bundle: Bundle, *, add_to_lists: dict[str, list] | None = None,
                       set_values: dict | None = None, files: dict[str, bytes] | None = None) -> ConfigChange:
    """The bundle with list items added (e.g. `4w` to TAG_EXPIRATION_OPTIONS, a name to SUPER_USERS), values set
    and files added (`extra_ca_cert_*`, `ssl.cert`/`ssl.key`). Pure; refuses a change that changes nothing."""
    config = parse_config_yaml(bundle.config_text or "") or {}
    new, expected, rows = copy.deepcopy(config), {}, []
    for key, items in (add_to_lists or {}).items():
        before = list(config.get(key, DEFAULT_LISTS.get(key, [])))
        after = before + [i for i in items if i not in before]
        if after != before:
            new[key] = after
            rows.append({"key": key, "before": _shown(key, before), "after": _shown(key, after)})
        expected[key] = after
    for key, value in (set_values or {}).items():
        if config.get(key) != value:
            new[key] = value
            rows.append({"key": key, "before": _shown(key, config.get(key)), "after": _shown(key, value)})
        expected[key] = value
    added = dict(files or {})
    for key, content in added.items():
        if bundle.files.get(key) != content:
            rows.append({"key": key, "before": "present" if key in bundle.files else "absent",
                         "after": f"{len(content)} bytes"})
    if not rows:
        raise InstallParametersInvalid("the requested change is already in the config; nothing to do",
                                       field="add_to_lists", hint="Ask for a different change, or skip 06-reconfigure.")
    files_out = {**bundle.files, **added, "config.yaml": dump_yaml(new).encode()}
    return ConfigChange(Bundle(files_out, source="reconfigured bundle"), new, expected, rows)


def apply_config_change(cluster: Cluster, change: ConfigChange, registry: dict, *, method: str = "bundle",
                        session=None) -> str:
    """Apply the change and return the bundle Secret now in effect.

    `bundle`: a new Secret `<registry>-config-bundle-<hash>` and the QuayRegistry pointed at it (guide 5.1; the old
    Secret stays for a rollback). `config-editor`: the editor's commit to the operator (guide 6.1.3), with the
    credentials from `status.configEditorCredentialsSecret`.
    """
    if method not in METHODS:
        raise InstallParametersInvalid(f"method {method!r} is unknown", field="method",
                                       hint=f"Use one of {', '.join(METHODS)}.")
    meta = registry["metadata"]
    name, namespace = meta["name"], meta["namespace"]
    if method == "config-editor":
        return _commit_through_editor(cluster, change, registry, session)
    digest = hashlib.sha256(json.dumps({k: base64.b64encode(v).decode() for k, v in sorted(change.bundle.files.items())}
                                       ).encode()).hexdigest()[:8]
    secret_name = f"{name}-config-bundle-{digest}"
    old = cluster.find("v1", "Secret", registry["spec"]["configBundleSecret"], namespace=namespace) or {}
    annotations = {k: v for k, v in (old.get("metadata", {}).get("annotations") or {}).items()
                   if k == COMPONENTS_ANNOTATION}
    cluster.apply({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                   "metadata": {"name": secret_name, "namespace": namespace, "labels": {BUNDLE_LABEL: "true"},
                                "annotations": annotations},
                   "data": {k: base64.b64encode(v).decode() for k, v in change.bundle.files.items()}}, force=True)
    cluster.patch(API_VERSION, KIND, name, {"spec": {"configBundleSecret": secret_name}}, namespace=namespace)
    return secret_name


def _commit_through_editor(cluster: Cluster, change: ConfigChange, registry: dict, session) -> str:
    status = registry.get("status") or {}
    namespace = registry["metadata"]["namespace"]
    if not status.get("configEditorEndpoint"):
        raise InstallParametersInvalid("the config editor has no endpoint (the route component is unmanaged)",
                                       field="method", hint="Use method='bundle'.")
    user, password = _editor_credentials(cluster, registry)
    certs = {k: base64.b64encode(v).decode() for k, v in change.bundle.files.items() if k != "config.yaml"}
    response = session.post(f"{status['configEditorEndpoint']}/api/v1/config/operator", auth=(user, password),
                            json={"config.yaml": change.config, "certs": certs}, timeout=60)
    if response.status_code != 200:
        raise StepFailedError(f"the config editor refused the change (HTTP {response.status_code}): "
                              f"{response.text[:200]}. Nothing was changed.", step="apply",
                              hint="Validate the change above, or use method='bundle'.")
    # config-tool answers with the request it forwarded; the operator's commit shows on the QuayRegistry
    live = cluster.get(API_VERSION, KIND, registry["metadata"]["name"], namespace=namespace)
    return live["spec"]["configBundleSecret"]


def wait_for_config_live(cluster: Cluster, *, name: str, namespace: str, expected: dict, timeout: float = 300,
                         report: Callable[[str], None] | None = print) -> dict:
    """Follow the redeploy until quay-app runs the config holding `expected` and the registry is Available;
    return the live config.yaml (the one the quay-app pods mount)."""
    deadline, last = time.monotonic() + timeout, ""
    while True:
        state, config = _rollout_state(cluster, name=name, namespace=namespace, expected=expected)
        if report and state != last:
            report(state)
            last = state
        if config is not None:
            return config
        if time.monotonic() > deadline:
            raise StepFailedError(f"the new config is not live after {timeout:.0f} s: {state}.", step="redeploy",
                                  hint="The change is applied; see `quayops status` and rerun this step to resume.")
        time.sleep(0.5)


def _mounted_config(cluster: Cluster, dep: dict) -> tuple[str | None, dict]:
    """(Secret, parsed config.yaml) of the final config a quay-app Deployment mounts at /conf/stack."""
    volumes = dep["spec"]["template"]["spec"].get("volumes") or []
    names = [s.get("secret", {}).get("name") or "" for v in volumes for s in (v.get("projected") or {}).get("sources")
             or []] + [(v.get("secret") or {}).get("secretName") or "" for v in volumes]
    secret = next((n for n in names if CONFIG_SECRET_MARK in n), None)
    found = cluster.find("v1", "Secret", secret, namespace=dep["metadata"]["namespace"]) if secret else None
    text = base64.b64decode(((found or {}).get("data") or {}).get("config.yaml", "")).decode()
    return secret, mark_secret(parse_config_yaml(text) or {} if text else {})


def _rollout_state(cluster: Cluster, *, name: str, namespace: str, expected: dict) -> tuple[str, dict | None]:
    dep = cluster.find("apps/v1", "Deployment", f"{name}-quay-app", namespace=namespace)
    if dep is None:
        return "quay-app Deployment not found", None
    secret, config = _mounted_config(cluster, dep)
    missing = [k for k, v in expected.items() if config.get(k) != v]
    if missing:
        return f"waiting for the operator to render a config with {', '.join(missing)}", None
    status, spec = dep.get("status") or {}, dep.get("spec") or {}
    replicas = spec.get("replicas", 1)
    if status.get("observedGeneration", 0) < dep["metadata"].get("generation", 0) or \
            status.get("updatedReplicas", 0) < replicas or status.get("availableReplicas", 0) < replicas:
        return (f"quay-app rolling out config {secret}: {status.get('updatedReplicas', 0)}/{replicas} updated, "
                f"{status.get('availableReplicas', 0)} available"), None
    if not is_available(cluster.get(API_VERSION, KIND, name, namespace=namespace)):
        return "quay-app rolled out; waiting for Available=True", None
    return f"quay-app runs config {secret}; registry Available", config


def verify_live_config(session, cluster: Cluster, *, name: str, namespace: str, expected: dict):
    """Read the live config and compare: a DataFrame (key, expected, live, ok, read from). Through the config
    editor (`GET /api/v1/config`, guide 5.3) when it has a route, else the config the quay-app pods mount.
    Raises StepFailedError when a value differs."""
    import pandas as pd

    registry = cluster.get(API_VERSION, KIND, name, namespace=namespace)
    status = registry.get("status") or {}
    if status.get("configEditorEndpoint"):
        user, password = _editor_credentials(cluster, registry)
        response = session.get(f"{status['configEditorEndpoint']}/api/v1/config", auth=(user, password), timeout=30)
        if response.status_code != 200:
            raise StepFailedError(f"cannot read the live config from the config editor: HTTP {response.status_code}",
                                  step="verify", hint="Check the config editor pod and route.")
        live, source = mark_secret(response.json().get("config.yaml") or {}), "config editor /api/v1/config"
    else:
        dep = cluster.get("apps/v1", "Deployment", f"{name}-quay-app", namespace=namespace)
        live, source = _mounted_config(cluster, dep)[1], "quay-app /conf/stack/config.yaml"
    rows = [{"key": k, "expected": _shown(k, v), "live": _shown(k, live.get(k)), "ok": live.get(k) == v,
             "read from": source} for k, v in expected.items()]
    table = pd.DataFrame(rows, columns=["key", "expected", "live", "ok", "read from"])
    if not table["ok"].all():
        raise StepFailedError(f"the live config differs: {', '.join(table.loc[~table['ok'], 'key'])}", step="verify",
                              hint="The operator may still be reconciling; rerun this step.")
    return table


def _editor_credentials(cluster: Cluster, registry: dict) -> tuple[str, str]:
    """The config editor's username and password (guide 5.2), both marked secret."""
    status, namespace = registry.get("status") or {}, registry["metadata"]["namespace"]
    data = cluster.get("v1", "Secret", status["configEditorCredentialsSecret"], namespace=namespace).get("data") or {}
    user, password = (mark_secret(base64.b64decode(data[k]).decode()) for k in ("username", "password"))
    return user, password


def _shown(key: str, value) -> str:
    return json.dumps(redact({key: value})[key]) if value is not None else "absent"
