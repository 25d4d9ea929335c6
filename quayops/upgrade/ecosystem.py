"""QuayEcosystem → QuayRegistry (guide 12.6): inventory, the operator's own rules as a prediction (operator-facts
§11), the label, the follow-up to the new QuayRegistry and its endpoint, and the revert path (12.6.1)."""

from __future__ import annotations

import json
import random as random_module
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from quayops.errors import StepFailedError
from quayops.kube.client import Cluster
from quayops.kube.watching import wait_for
from quayops.model.conditions import EcosystemConditionType, Status
from quayops.model.quayregistry import API_VERSION, KIND
from quayops.operator.migration import (
    ALWAYS_REMOVED,
    MIGRATE_LABEL,
    MIGRATION_COMPLETE_LABEL,
    OLD_CONFIG_SECRET,
    plan_ecosystem_migration,
)
from quayops.reconcile import wait_for_registry
from quayops.upgrade.planning import UpgradeRefused

ECOSYSTEM = ("redhatcop.redhat.io/v1alpha1", "QuayEcosystem")
ROUTE_API = "route.openshift.io/v1"
# The Route as it was before the migration, kept on the QuayEcosystem for the revert (12.6.1).
ROUTE_ANNOTATION = "quayops.dev/route-before-migration"
BLOCK, MANUAL, INFO = "block", "manual", "info"
COMPONENT_ORDER = ("objectstorage", "postgres", "route", "tls", "redis", "mirror", "clair")
NOTHING_CHANGED = "Nothing was changed."


@dataclass(frozen=True)
class Finding:
    """What the migration would do to one part, and whether it blocks it (`block`) or needs you (`manual`)."""

    severity: str
    what: str
    message: str
    section: str = "12.6.2"

    def to_dict(self) -> dict:
        return {"severity": self.severity, "what": self.what, "message": self.message, "guide": self.section}


@dataclass
class EcosystemPrediction:
    """The operator's decision for a QuayEcosystem, and the guide's limits it does not check itself."""

    name: str
    components: list[dict]
    findings: list[Finding]
    registry: dict | None = None

    @property
    def blocked(self) -> bool:
        return any(f.severity == BLOCK for f in self.findings)

    def components_frame(self):
        import pandas as pd

        return pd.DataFrame(self.components, columns=["component", "QuayEcosystem", "QuayRegistry", "note"])

    def findings_frame(self):
        import pandas as pd

        return pd.DataFrame([f.to_dict() for f in self.findings], columns=["severity", "what", "message", "guide"])


def old_service_name(name: str) -> str:
    """The Quay Service the old (redhat-cop) operator created: `<name>-quay`; its Route has the same name."""
    return f"{name}-quay"


def predict_ecosystem_migration(ecosystem: dict, old_secret: dict | None, *, route: dict | None = None) -> EcosystemPrediction:
    """What the operator will make of `ecosystem` once labelled, by its own rules, plus the guide's limits (12.6.2).

    Pure. `old_secret` is Secret `quay-enterprise-config-secret`; `route` the live Route, for its termination.
    """
    meta = ecosystem["metadata"]
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != MIGRATION_COMPLETE_LABEL}
    labelled = {**ecosystem, "metadata": {**meta, "labels": {**labels, MIGRATE_LABEL: "true"}}, "status": {}}
    decision = plan_ecosystem_migration(labelled, old_secret, random=random_module.Random(0),
                                        now=datetime(2000, 1, 1, tzinfo=UTC))
    findings = [Finding(BLOCK, c["type"], f"the operator would refuse: {c['message']} ({c['reason']})")
                for c in (decision.status or {}).get("conditions") or [] if c.get("status") == Status.TRUE]
    spec = ecosystem.get("spec") or {}
    quay = spec.get("quay") or {}
    database = quay.get("database") or {}
    if not database.get("server") and not database.get("volumeSize"):
        findings.append(Finding(BLOCK, "database", "the database has no volumeSize: an ephemeral database is not "
                                "supported. The operator would carry its DB_URI over as an unmanaged postgres that "
                                "still points at the old database pod. Set spec.quay.database.volumeSize first."))
    findings += _access_findings(meta["name"], quay, route)
    if decision.postgres is not None:
        pg = decision.postgres
        findings.append(Finding(INFO, "database", f"the data moves into PVC {pg.pvc} ({pg.volume_size}) through "
                                f"Deployment {pg.deployment}; the old {pg.old_deployment} is kept unchanged but no "
                                "longer used (12.6.1 note)."))
    config = _old_config(old_secret)
    dropped = [k for k in ALWAYS_REMOVED if k in config]
    if dropped:
        findings.append(Finding(INFO, "config", f"removed from config.yaml: {', '.join(dropped)} (image signing is "
                                "gone from the operator's Quay)."))
    declared = {c["kind"]: c["managed"] for c in ((decision.registry or {}).get("spec") or {}).get("components") or []}
    rows = [{"component": kind, "QuayEcosystem": _was(kind, spec, quay, old_secret, route),
             "QuayRegistry": ("unmanaged" if declared.get(kind) is False else "managed") if decision.registry else "—",
             "note": _note(kind, declared, decision)} for kind in COMPONENT_ORDER]
    return EcosystemPrediction(meta["name"], rows, findings, decision.registry)


def _old_config(old_secret: dict | None) -> dict:
    from quayops.config.bundle import bundle_from_secret
    from quayops.operator.checks import parse_bundle_yaml

    if old_secret is None:
        return {}
    config, _err = parse_bundle_yaml(bundle_from_secret(old_secret).files.get("config.yaml"))
    return config or {}


def _termination(quay: dict, route: dict | None) -> str:
    live = (((route or {}).get("spec") or {}).get("tls") or {}).get("termination")
    return live or ((quay.get("externalAccess") or {}).get("tls") or {}).get("termination") or "passthrough"


def _access_findings(name: str, quay: dict, route: dict | None) -> list[Finding]:
    access = quay.get("externalAccess") or {}
    kind, hostname = access.get("type") or "", access.get("hostname") or ""
    new_service = f"{name}-quay-app"
    if kind == "Route":
        termination = _termination(quay, route)
        if termination != "passthrough":
            return [Finding(BLOCK, "route", f"the Route terminates TLS with {termination!r}: only passthrough routes "
                            "migrate automatically; other access needs a manual migration.")]
        return []
    if kind == "LoadBalancer" and not hostname:
        return [Finding(MANUAL, "service", f"LoadBalancer without a custom hostname. After the QuayEcosystem is "
                        f"labelled {MIGRATION_COMPLETE_LABEL}, remove metadata.ownerReferences from the old Service "
                        f"{old_service_name(name)} so Kubernetes does not collect it (and its load balancer), then set "
                        f"its spec.selector to the new Service {new_service}'s: traffic to the old endpoint reaches "
                        "the new pods. The old Service is then yours; the operator does not manage it.")]
    if kind in ("LoadBalancer", "NodePort", "Ingress"):
        return [Finding(MANUAL, "service", f"{kind} with hostname {hostname or '(none)'}: the operator creates a "
                        f"LoadBalancer Service {new_service}; point your DNS at its status.loadBalancer endpoint.")]
    return [Finding(MANUAL, "service", "no external access configured: the route component becomes unmanaged; "
                    "expose Quay yourself.")]


def _was(kind: str, spec: dict, quay: dict, old_secret: dict | None, route: dict | None) -> str:
    if kind == "objectstorage":
        if quay.get("registryStorage") is not None:
            return "registryStorage (a volume)"
        backends = quay.get("registryBackends") or []
        return ", ".join(next((k for k in b if k != "name"), "?") for b in backends) or "none"
    if kind == "postgres":
        db = quay.get("database") or {}
        return f"server {db['server']}" if db.get("server") else \
            f"managed, volumeSize {db['volumeSize']}" if db.get("volumeSize") else "managed, ephemeral"
    if kind == "route":
        access = quay.get("externalAccess") or {}
        return f"{access.get('type') or 'none'}" + (f", {_termination(quay, route)}" if access.get("type") == "Route"
                                                     else "")
    if kind == "tls":
        files = set((old_secret or {}).get("data") or {})
        return "ssl.cert and ssl.key in the old secret" if {"ssl.cert", "ssl.key"} <= files else "no certificate"
    if kind == "redis":
        redis = spec.get("redis")
        return "none" if redis is None else f"hostname {redis['hostname']}" if redis.get("hostname") else "managed"
    if kind == "mirror":
        return "enabled" if quay.get("enableRepoMirroring") is True else "disabled"
    return "enabled" if (spec.get("clair") or {}).get("enabled") is True else "disabled"


def _note(kind: str, declared: dict, decision) -> str:
    if decision.registry is None:
        return ""
    if kind == "objectstorage":
        return "always unmanaged: the config's storage is kept"
    if kind == "postgres" and decision.postgres is not None:
        return f"managed: data copied into {decision.postgres.pvc}"
    if kind == "tls" and declared.get("tls") is False:
        return "your certificate is kept"
    return "config fields removed; the operator manages it" if declared.get(kind) is not False else "config kept"


# -- against a cluster -----------------------------------------------------------------------------

@dataclass
class EcosystemInventory:
    """A QuayEcosystem and what its migration reads: the old config Secret, its Route and Services."""

    ecosystem: dict
    old_secret: dict | None = field(repr=False)
    route: dict | None
    services: list[dict]

    def frame(self):
        """The old deployment at a glance, no secret values: object, detail."""
        import pandas as pd

        meta, spec = self.ecosystem["metadata"], self.ecosystem.get("spec") or {}
        rows = [{"object": f"QuayEcosystem {meta['name']}",
                 "detail": f"image {(spec.get('quay') or {}).get('image', '?')}, labels "
                           f"{', '.join(f'{k}={v}' for k, v in (meta.get('labels') or {}).items()) or 'none'}"},
                {"object": f"Secret {OLD_CONFIG_SECRET}",
                 "detail": "missing" if self.old_secret is None else f"keys {', '.join(sorted(self.old_secret.get('data') or {}))}"}]
        if self.route is not None:
            rspec = self.route.get("spec") or {}
            rows.append({"object": f"Route {self.route['metadata']['name']}",
                         "detail": f"{rspec.get('host', '')} → Service {(rspec.get('to') or {}).get('name')}, "
                                   f"{(rspec.get('tls') or {}).get('termination', 'no TLS')}"})
        rows += [{"object": f"Service {s['metadata']['name']}", "detail": (s.get("spec") or {}).get("type", "ClusterIP")}
                 for s in self.services]
        return pd.DataFrame(rows, columns=["object", "detail"])


def read_ecosystem(cluster: Cluster, name: str, *, namespace: str) -> EcosystemInventory | None:
    """The QuayEcosystem `name` and what its migration reads, or None when there is none."""
    ecosystem = cluster.find(*ECOSYSTEM, name, namespace=namespace)
    if ecosystem is None:
        return None
    services = [s for s in cluster.list("v1", "Service", namespace=namespace).get("items") or []
                if s["metadata"]["name"].startswith(f"{name}-")]
    return EcosystemInventory(ecosystem, cluster.find("v1", "Secret", OLD_CONFIG_SECRET, namespace=namespace),
                              cluster.find(ROUTE_API, "Route", old_service_name(name), namespace=namespace), services)


@dataclass
class EcosystemMigrationRun:
    """How a migration went: the prediction, the new QuayRegistry and whether its endpoint answered."""

    prediction: EcosystemPrediction
    outcome: str  # predicted (dry run), migrated
    registry: dict | None = None
    endpoint: str = ""
    access: int | None = None


def migrate_ecosystem(cluster: Cluster, name: str, *, namespace: str, dry_run: bool = False, timeout: float = 600,
                      session=None, report: Callable[[str], None] | None = print) -> EcosystemMigrationRun:
    """Migrate QuayEcosystem `name` (guide 12.6): predict, label, follow to the QuayRegistry, check its endpoint.

    Refuses (UpgradeRefused, nothing changed) when the prediction has a blocker; `dry_run` only predicts.
    `session` (a requests Session reaching route hosts) checks `<registryEndpoint>/health/instance`.
    """
    say = report or (lambda _line: None)
    inventory = read_ecosystem(cluster, name, namespace=namespace)
    if inventory is None:
        raise UpgradeRefused(f"no QuayEcosystem {namespace}/{name}. {NOTHING_CHANGED}", step="inventory")
    prediction = predict_ecosystem_migration(inventory.ecosystem, inventory.old_secret, route=inventory.route)
    done = (inventory.ecosystem["metadata"].get("labels") or {}).get(MIGRATION_COMPLETE_LABEL) == "true"
    if dry_run:
        return EcosystemMigrationRun(prediction, "predicted")
    if prediction.blocked and not done:
        listed = "; ".join(f"{f.what}: {f.message}" for f in prediction.findings if f.severity == BLOCK)
        raise UpgradeRefused(f"QuayEcosystem {namespace}/{name} cannot migrate automatically: {listed} "
                             f"(guide 12.6.2). {NOTHING_CHANGED}", step="predict",
                             hint="Migrate it by hand, or change what blocks it and rerun.")
    if not done:
        annotations = {}
        if inventory.route is not None:
            annotations[ROUTE_ANNOTATION] = json.dumps(_route_snapshot(inventory.route), sort_keys=True)
        cluster.patch(*ECOSYSTEM, name, {"metadata": {"labels": {MIGRATE_LABEL: "true"}, "annotations": annotations}},
                      namespace=namespace)
        say(f"QuayEcosystem {namespace}/{name}: labelled {MIGRATE_LABEL}=true (guide 12.6, step 1)")
    deadline = time.monotonic() + timeout
    _wait_for_label(cluster, name, namespace=namespace, deadline=deadline, say=say)
    wait_for_registry(cluster, name, namespace=namespace, timeout=max(1.0, deadline - time.monotonic()), report=say)
    registry = cluster.get(API_VERSION, KIND, name, namespace=namespace)
    endpoint = (registry.get("status") or {}).get("registryEndpoint", "")
    access = verify_access(session, endpoint) if session is not None and endpoint else None
    if access is not None:
        say(f"{endpoint}/health/instance answered {access} (guide 12.6, step 3)")
    return EcosystemMigrationRun(prediction, "migrated", registry, endpoint, access)


def _route_snapshot(route: dict) -> dict:
    """The Route's spec without key material (a revert restores the passthrough route, which has none)."""
    spec = json.loads(json.dumps(route.get("spec") or {}))
    for key in ("key", "certificate", "caCertificate", "destinationCACertificate"):
        (spec.get("tls") or {}).pop(key, None)
    return spec


def _wait_for_label(cluster: Cluster, name: str, *, namespace: str, deadline: float, say) -> None:
    """Until the operator labels the QuayEcosystem migration-complete; its failure condition raises StepFailedError."""
    def check(eco: dict | None) -> bool:
        if eco is None:
            raise StepFailedError(f"QuayEcosystem {namespace}/{name} was deleted during the migration",
                                  step="migration")
        for c in (eco.get("status") or {}).get("conditions") or []:
            if c.get("type") in set(EcosystemConditionType) and c.get("status") == Status.TRUE:
                raise StepFailedError(
                    f"the operator did not migrate QuayEcosystem {namespace}/{name}: {c['type']} {c.get('reason')}: "
                    f"{c.get('message')}. The QuayEcosystem still serves Quay as before.", step="migration",
                    hint=f"Fix it and the operator retries; or stop: oc label quayecosystem {name} -n {namespace} "
                         f"{MIGRATE_LABEL}-")
        return (eco["metadata"].get("labels") or {}).get(MIGRATION_COMPLETE_LABEL) == "true"

    wait_for(cluster, *ECOSYSTEM, name, namespace=namespace, condition=check,
             timeout=max(1.0, deadline - time.monotonic()),
             describe=lambda e: "no migration-complete label yet: is the Quay Operator running and watching "
                                f"{namespace}?")
    say(f"QuayEcosystem {namespace}/{name}: {MIGRATION_COMPLETE_LABEL}=true, QuayRegistry {name} created (step 2)")


def verify_access(session, endpoint: str) -> int:
    """The HTTP status of `<endpoint>/health/instance` (200 when Quay answers), 0 when unreachable."""
    import requests

    try:
        return session.get(f"{endpoint}/health/instance", timeout=15).status_code
    except requests.RequestException:
        return 0


def revert_ecosystem_migration(cluster: Cluster, name: str, *, namespace: str, timeout: float = 300,
                               report: Callable[[str], None] | None = print) -> list[dict]:
    """Go back to the QuayEcosystem (guide 12.6.1): delete the QuayRegistry, point the Route at the old Service.

    The Route is restored from what `migrate_ecosystem` kept on the QuayEcosystem (else pointed at
    `<name>-quay`). Returns one row per step (step, result).
    """
    say = report or (lambda _line: None)
    ecosystem = cluster.find(*ECOSYSTEM, name, namespace=namespace)
    if ecosystem is None:
        raise UpgradeRefused(f"no QuayEcosystem {namespace}/{name} to go back to. {NOTHING_CHANGED}", step="revert")
    rows = []
    registry = cluster.find(API_VERSION, KIND, name, namespace=namespace)
    deadline = time.monotonic() + timeout
    if registry is not None:
        cluster.delete(API_VERSION, KIND, name, namespace=namespace)  # as `kubectl delete` (12.6.1): background
        wait_for(cluster, API_VERSION, KIND, name, namespace=namespace, condition=lambda r: r is None, timeout=timeout,
                 describe=lambda r: f"still there (finalizers {(r or {}).get('metadata', {}).get('finalizers')})")
        rows.append({"step": "delete QuayRegistry (12.6.1, step 1)", "result": f"{name} deleted"})
    else:
        rows.append({"step": "delete QuayRegistry (12.6.1, step 1)", "result": f"no QuayRegistry {name}"})
    say(rows[-1]["result"])
    if (((ecosystem.get("spec") or {}).get("quay") or {}).get("externalAccess") or {}).get("type") == "Route":
        if registry is not None:  # garbage collection first: the Route goes, or loses its owner reference
            uid = registry["metadata"]["uid"]
            wait_for(cluster, ROUTE_API, "Route", old_service_name(name), namespace=namespace,
                     condition=lambda r: r is None or all(o.get("uid") != uid
                                                          for o in r["metadata"].get("ownerReferences") or []),
                     timeout=max(1.0, deadline - time.monotonic()),
                     describe=lambda r: "garbage collection has not handled the Route the QuayRegistry owned")
        rows.append({"step": "point the Route back (12.6.1, step 2)",
                     "result": _restore_route(cluster, name, namespace=namespace, ecosystem=ecosystem)})
        say(rows[-1]["result"])
    rows.append({"step": "note", "result": "the QuayEcosystem and its database were left as they were; the new "
                 "config bundle Secret and any data the operator copied stay until you delete them."})
    return rows


def _restore_route(cluster: Cluster, name: str, *, namespace: str, ecosystem: dict) -> str:
    kept = (ecosystem["metadata"].get("annotations") or {}).get(ROUTE_ANNOTATION)
    route_name = old_service_name(name)
    live = cluster.find(ROUTE_API, "Route", route_name, namespace=namespace)
    if kept:
        spec = json.loads(kept)
    elif live is not None:
        spec = {**(live.get("spec") or {}), "to": {"kind": "Service", "name": old_service_name(name), "weight": 100}}
    else:
        return f"no Route {route_name} and none kept: recreate it for Service {old_service_name(name)} by hand"
    target = (spec.get("to") or {}).get("name")
    if live is None:
        cluster.create({"apiVersion": ROUTE_API, "kind": "Route",
                        "metadata": {"name": route_name, "namespace": namespace}, "spec": spec})
        return f"Route {route_name} recreated → Service {target} ({(spec.get('tls') or {}).get('termination')})"
    owners = [r for r in live["metadata"].get("ownerReferences") or [] if r.get("kind") != KIND]
    cluster.replace({**live, "metadata": {**live["metadata"], "ownerReferences": owners}, "spec": spec})
    return f"Route {route_name} → Service {target} again ({(spec.get('tls') or {}).get('termination')})"
