"""One pass of the Quay Operator's main controller over a QuayRegistry, as a Plan.

Mirrors quay-operator controllers/quay/quayregistry_controller.go Reconcile and the probes of
controllers/quay/features.go, step by step as operator-facts §9 numbers them. The checks, defaulting
and rendering are the ones `quayops.operator` already has; this module only orders them and turns
each early return into a Plan.
"""

from __future__ import annotations

import random as random_module
from dataclasses import replace
from datetime import UTC, datetime

from quayops.model.conditions import (
    ALL_OBJECTS_CREATED,
    MIGRATIONS_RUNNING,
    ConditionType,
    Reason,
    Status,
    get_condition,
    remove_condition,
    render_condition,
)
from quayops.model.quayregistry import components as declared_components
from quayops.operator.checks import (
    ROUTES_CHECK_FAILED,
    Refusal,
    parse_bundle_yaml,
    refuse_component_config,
    refuse_dependencies,
    refuse_overrides,
    refuse_rendering,
)
from quayops.operator.components import Kind, components_match, is_managed
from quayops.operator.defaults import ComponentDefaultError, ensure_default_components
from quayops.operator.deletion import CLUSTER_MONITORING_LABEL, MANAGED_LABEL, plan_deletion
from quayops.operator.plan import (
    CLUSTER_CA,
    FINALIZER,
    REQUEUE_SECONDS,
    ROUTE_PROBE_POLL_SECONDS,
    ROUTE_PROBE_TIMEOUT_SECONDS,
    SECRET_NOT_FOUND,
    SUCCESS_REQUEUE_SECONDS,
    ObjectRef,
    Observed,
    Patch,
    Plan,
    Step,
    detect_cluster_hostname,
    plan_condition,
    render_generated_name,
    render_probe_route,
    render_status,
)
from quayops.operator.platform import OperatorEnv, buildman_hostname, server_hostname
from quayops.operator.rendering import render_registry
from quayops.operator.rendering.configmerge import base_config, dump_yaml
from quayops.operator.rendering.registry import owner_reference
from quayops.operator.upgrades import needs_migration, plan_migration_check

BUNDLE_CREATE_FAILED = "unable to create base config bundle `Secret`: {err}"
BUNDLE_UNREADABLE = "unable to get `configBundleSecret`: {err}"
CLUSTER_CA_FAILED = "unable to check cluster CA certs: {err}"
MANAGED_KEYS_FAILED = "unable to retrieve managed keys `Secret`: {err}"
APPLY_FAILED = "error creating object: {err}"
# k8s.io/apimachinery wait.ErrWaitTimeout: the probe Route got no ingress within 5 minutes.
ROUTE_PROBE_TIMED_OUT = "timed out waiting for the condition"
MONITORING_LABELS = {CLUSTER_MONITORING_LABEL: "true", MANAGED_LABEL: "true"}
# Which step a dependency refusal of reconcile steps 9–12 ends the pass in.
DEPENDENCY_STEPS = {
    Reason.ROUTE_COMPONENT_DEPENDENCY_ERROR: Step.ROUTES,
    Reason.OBJECT_STORAGE_COMPONENT_DEPENDENCY_ERROR: Step.OBJECT_STORAGE,
    Reason.CONFIG_INVALID: Step.BUILD_MANAGER,
    Reason.MONITORING_COMPONENT_DEPENDENCY_ERROR: Step.MONITORING,
}
# Failures the driver meets while carrying out a Plan (steps 4, 20, 21): reason and message template.
DRIVER_FAILURES = {
    Step.INITIAL_BUNDLE: (Reason.CONFIG_INVALID, BUNDLE_CREATE_FAILED),
    Step.APPLY: (Reason.COMPONENT_CREATION_FAILED, APPLY_FAILED),
    Step.NAMESPACE_LABELS: (Reason.MONITORING_COMPONENT_DEPENDENCY_ERROR, "{err}"),
}


def reconcile(observed: Observed, *, random: random_module.Random, now: datetime) -> Plan:
    """Decide the operator's next step for one QuayRegistry, following operator-facts §9 in order.

    Pure; the caller carries out the Plan. `random` generates the initial bundle's name and any missing
    managed keys; `now` stamps conditions and `lastUpdated`.
    """
    registry = observed.registry
    if registry is None:  # 1: deleted; nothing to do, no requeue
        return Plan(Step.NOT_FOUND, requeue_after=None)
    meta, spec = registry["metadata"], registry.get("spec") or {}
    status = registry.get("status") or {}
    if meta.get("deletionTimestamp"):  # 2
        return plan_deletion(observed)
    created = get_condition(status.get("conditions") or [], ConditionType.COMPONENTS_CREATED)
    if created and created.get("reason") == Reason.MIGRATIONS_IN_PROGRESS:  # 3
        return plan_migration_check(registry, observed.upgrade_job, quay_version=observed.operator.quay_version,
                                    now=now)
    if not spec.get("configBundleSecret"):  # 4
        return plan_initial_bundle(registry, operator=observed.operator, random=random)

    def blocked(step: Step, reason: Reason, message: str, **plan) -> Plan:
        """An early return of steps 5–19: RolloutBlocked=True on the registry as fetched, requeue 10 s."""
        result = plan_condition(registry, step, ConditionType.ROLLOUT_BLOCKED, Status.TRUE, reason, message,
                                now=now)
        return replace(result, **plan)

    bundle = observed.bundle  # 5
    if bundle is None:
        err = observed.read_errors.get("bundle") or SECRET_NOT_FOUND.format(name=spec["configBundleSecret"])
        return blocked(Step.BUNDLE_SECRET, Reason.CONFIG_INVALID, BUNDLE_UNREADABLE.format(err=err))
    has_tls_pair = bundle.has_pair()  # 6
    if err := observed.read_errors.get("cluster-ca"):  # 7
        return blocked(Step.CLUSTER_CA, Reason.CONFIG_INVALID, CLUSTER_CA_FAILED.format(err=err))
    patches = plan_ca_annotations(observed)
    if err := observed.read_errors.get("managed-keys"):  # 8
        return blocked(Step.MANAGED_KEYS, Reason.CONFIG_INVALID, MANAGED_KEYS_FAILED.format(err=err),
                       patch=patches)
    declared = declared_components(registry)
    refusal = refuse_dependencies(declared, bundle.files, platform=observed.platform,
                                  bucket_claim_pending=observed.bucket_claim_pending)
    if refusal and refusal.reason == Reason.ROUTE_COMPONENT_DEPENDENCY_ERROR:  # 9: config.yaml parsed first
        return blocked(Step.ROUTES, refusal.reason, refusal.message, patch=patches)
    platform, deletes = observed.platform, ()
    if platform.routes:  # 9: create the probe Route, wait for its ingress, delete it
        probe = observed.probe_route
        if probe is None:
            return Plan(Step.ROUTE_PROBE_CREATED, requeue_after=ROUTE_PROBE_POLL_SECONDS,
                        create=(render_probe_route(registry),), patch=patches)
        hostname = detect_cluster_hostname(probe)
        if hostname is None:
            if _age_seconds(probe, now) < ROUTE_PROBE_TIMEOUT_SECONDS:
                return Plan(Step.ROUTE_PROBE_WAITING, requeue_after=ROUTE_PROBE_POLL_SECONDS, patch=patches)
            return blocked(Step.ROUTES, Reason.ROUTE_COMPONENT_DEPENDENCY_ERROR,
                           ROUTES_CHECK_FAILED.format(err=ROUTE_PROBE_TIMED_OUT), patch=patches)
        platform = replace(platform, cluster_hostname=hostname)
        deletes = (ObjectRef.of(probe),)
    else:
        platform = replace(platform, cluster_hostname="", cluster_wildcard_cert=b"")
    if refusal:  # 10–12
        return blocked(DEPENDENCY_STEPS[refusal.reason], refusal.reason, refusal.message, patch=patches,
                       delete=deletes)

    def early(step: Step, refusal: Refusal | None = None, **plan) -> Plan:
        """An early return after the probe: the probe's deletion and the CA patches go with it."""
        if refusal is None:
            return Plan(step, delete=deletes, patch=patches, **plan)
        return blocked(step, refusal.reason, refusal.message, delete=deletes, patch=patches, **plan)

    try:  # 13: no condition; the error is returned and retried with backoff
        components = ensure_default_components(declared, platform=platform, bundle_has_tls_pair=has_tls_pair)
    except ComponentDefaultError as e:
        return early(Step.DEFAULTING, requeue_after=None, error=e.message)
    if refusal := refuse_overrides(components):  # 14
        return early(Step.OVERRIDES, refusal)
    if not components_match(declared, components):  # 15
        return early(Step.WRITE_BACK, spec={**spec, "components": components})
    config, err = parse_bundle_yaml(bundle.files.get("config.yaml"))  # 16
    if err:
        return early(Step.CONFIG, Refusal(err, Reason.CONFIG_INVALID))
    working = remove_condition(status.get("conditions") or [], ConditionType.ROLLOUT_BLOCKED)  # 17
    if refusal := refuse_component_config(components, config, bundle.files):  # 18
        return early(Step.COMPONENT_CONFIG, refusal)
    name, namespace = meta["name"], meta["namespace"]
    if refusal := refuse_rendering(  # 19
        components, bundle.files,
        server_hostname=server_hostname(config, name=name, namespace=namespace, platform=platform),
        buildman_hostname=buildman_hostname(config), related_images=dict(observed.operator.related_images),
    ):
        return early(Step.RENDER, refusal)
    quay_version = observed.operator.quay_version
    upgrading = needs_migration(status.get("currentVersion", ""), quay_version)
    rendered = render_registry(registry, bundle, components, platform=platform, operator=observed.operator,
                               keys=observed.managed_keys, random=random, upgrading=upgrading,
                               bucket=observed.bucket, ca_hashes=observed.ca_hashes)
    jobs = tuple(o for o in rendered.objects if o["kind"] == "Job")  # 20: Jobs deleted and re-created
    applied = tuple(sorted((o for o in rendered.objects if o["kind"] != "Job"), key=lambda o: o["kind"] == "Deployment"))
    deletes += tuple(ObjectRef.of(job, propagation="Foreground") for job in jobs)
    if platform.supports_monitoring:  # 21: depends on cluster support alone
        labels = ((observed.namespace or {}).get("metadata") or {}).get("labels") or {}
        if labels.get(CLUSTER_MONITORING_LABEL) != "true":
            patches += (Patch(ObjectRef("v1", "Namespace", namespace, ""), {"metadata": {"labels": MONITORING_LABELS}}),)
    written = [render_condition(ConditionType.ROLLOUT_BLOCKED, Status.FALSE,  # 22, 23
                                Reason.COMPONENTS_CREATION_SUCCESS, ALL_OBJECTS_CREATED, now=now)]
    fields = {"configEditorEndpoint": rendered.config_editor_endpoint,
              "configEditorCredentialsSecret": rendered.config_editor_credentials_secret}

    def done(step: Step, requeue_after: float = REQUEUE_SECONDS, **plan) -> Plan:
        return Plan(step, requeue_after=requeue_after, create=jobs, delete=deletes, apply=applied, patch=patches,
                    conditions=tuple(written), rendered=rendered,
                    status=render_status({**status, "conditions": working}, written, now=now, **fields), **plan)

    if is_managed(components, Kind.OBJECTSTORAGE) and not observed.storage_initialized:  # 24
        return done(Step.STORAGE_PENDING)
    if rendered.registry_endpoint:  # 25: else left unchanged
        fields["registryEndpoint"] = rendered.registry_endpoint
    if upgrading:  # 26
        written.append(render_condition(ConditionType.COMPONENTS_CREATED, Status.FALSE,
                                        Reason.MIGRATIONS_IN_PROGRESS, MIGRATIONS_RUNNING, now=now))
        return done(Step.MIGRATIONS_STARTED)
    finalizer = "" if FINALIZER in (meta.get("finalizers") or []) else FINALIZER  # 27
    return done(Step.COMPLETE, requeue_after=SUCCESS_REQUEUE_SECONDS, add_finalizer=finalizer)  # 28


def plan_initial_bundle(registry: dict, *, operator: OperatorEnv, random: random_module.Random) -> Plan:
    """Reconcile step 4: create the base config bundle, point `spec.configBundleSecret` at it, requeue.

    The Secret keeps `generateName`; its name is drawn here as the API server would (seeded `random`),
    so the spec update in the same Plan can name it.
    """
    meta = registry["metadata"]
    prefix = f"{meta['name']}-config-bundle-"
    name = render_generated_name(prefix, random)
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
              "metadata": {"name": name, "generateName": prefix, "namespace": meta["namespace"],
                           "ownerReferences": [owner_reference(registry)]},
              "stringData": {"config.yaml": dump_yaml(base_config(operator.branding))}}
    return Plan(Step.INITIAL_BUNDLE, create=(secret,),
                spec={**(registry.get("spec") or {}), "configBundleSecret": name})


def plan_ca_annotations(observed: Observed) -> tuple[Patch, ...]:
    """checkClusterCAHash's writes: each CA ConfigMap gets its hash as annotation when it changed.

    The Deployments carry the same annotations, so a CA rotation rolls the pods.
    """
    patches = []
    for (suffix, _), digest in zip(CLUSTER_CA, observed.ca_hashes, strict=True):
        configmap = observed.get("ConfigMap", suffix)
        if configmap is not None and (configmap["metadata"].get("annotations") or {}).get(suffix) != digest:
            patches.append(Patch(ObjectRef.of(configmap), {"metadata": {"annotations": {suffix: digest}}}))
    return tuple(patches)


def plan_failure(registry: dict, step: Step, err: str, *, now: datetime) -> Plan:
    """What the operator does when a write of a Plan fails: RolloutBlocked=True with its message.

    `step` is INITIAL_BUNDLE (the create), APPLY (any object of step 20) or NAMESPACE_LABELS (step 21).
    """
    reason, template = DRIVER_FAILURES[step]
    return plan_condition(registry, step, ConditionType.ROLLOUT_BLOCKED, Status.TRUE, reason,
                          template.format(err=err), now=now)


def _age_seconds(obj: dict, now: datetime) -> float:
    stamp = obj["metadata"].get("creationTimestamp")
    if not stamp:
        return 0.0
    created = datetime.fromisoformat(stamp)
    return (now.astimezone(UTC) - created).total_seconds()
