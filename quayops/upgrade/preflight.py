"""Preflight risks of an upgrade, Cincinnati-style: each a named check with a message and the guide
section (12.2–12.5). `check_upgrade` is pure; `gather_preflight` reads what it needs from a cluster."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from quayops.config.bundle import Bundle
from quayops.model.conditions import ConditionType, Status, get_condition
from quayops.model.versions import Version, parse_version
from quayops.upgrade.planning import UpgradeRefused, plan_upgrade

BLOCK, WARN, INFO = "block", "warn", "info"
FEATURES_37 = ("FEATURE_QUOTA_MANAGEMENT", "FEATURE_PROXY_CACHE", "FEATURE_BUILD_SUPPORT", "FEATURE_STORAGE_REPLICATION")
_CSV_VERSION = re.compile(r"v?(\d+\.\d+\.\d+)")


@dataclass(frozen=True)
class Risk:
    """One preflight finding. `block` risks stop `upgrade run` unless explicitly overridden."""

    name: str
    severity: str
    message: str
    section: str

    def to_dict(self) -> dict:
        return {"check": self.name, "severity": self.severity, "message": self.message, "guide": self.section}


@dataclass
class PreflightInput:
    """What the checks read: the registry, its bundle, OLM's objects and the upgrade Job."""

    registry: dict
    target: Version
    config: dict = field(default_factory=dict)
    bundle: Bundle = field(default_factory=Bundle)
    operator_version: Version | None = None
    subscription: dict | None = None
    install_plans: list[dict] = field(default_factory=list)
    operator_group: dict | None = None
    upgrade_job: dict | None = None
    quay_route: dict | None = None


def check_upgrade(inp: PreflightInput) -> list[Risk]:
    """Every risk of taking `inp.registry` to `inp.target`, blocking ones first."""
    status = inp.registry.get("status") or {}
    current = status.get("currentVersion") or (str(inp.operator_version) if inp.operator_version else "")
    risks: list[Risk] = []
    source = parse_version(current, field="status.currentVersion") if current else None
    path: list[Version] = []
    if source is None:
        risks.append(Risk("current-version", INFO, "status.currentVersion is unset: the operator reconciles "
                          "normally and installs its own version; there is nothing to upgrade yet.", "12.3"))
    else:
        try:
            path = plan_upgrade(source, inp.target).path
        except UpgradeRefused as e:
            risks.append(Risk("supported-path", BLOCK, str(e), "12.2"))
    available = get_condition(status.get("conditions") or [], ConditionType.AVAILABLE)
    if not (available and available.get("status") == Status.TRUE):
        risks.append(Risk("registry-available", BLOCK, "the registry is not Available: fix it before upgrading "
                          "(`quayops status` says what blocks it).", "11.1, 12.3"))
    risks += _job_risks(inp.upgrade_job)
    risks += _olm_risks(inp, source)
    if source and path:
        risks += _config_risks(inp, source, path)
    order = {BLOCK: 0, WARN: 1, INFO: 2}
    return sorted(risks, key=lambda r: order[r.severity])


def _job_risks(job: dict | None) -> list[Risk]:
    if not job:
        return []
    st = job.get("status") or {}
    name = job["metadata"]["name"]
    if st.get("failed") and not st.get("succeeded"):
        failed = next((c for c in st.get("conditions") or [] if c.get("type") == "Failed"), {})
        return [Risk("upgrade-job", BLOCK, f"job {name} failed ({failed.get('message') or 'failed to run migrations'}): "
                     "look at its pod logs and restore from backup if the database is damaged.", "12.3")]
    if st.get("active"):
        return [Risk("upgrade-job", BLOCK, f"job {name} is still running database migrations: wait for it "
                     "before starting another upgrade.", "12.3")]
    return []


def _olm_risks(inp: PreflightInput, source: Version | None) -> list[Risk]:
    risks = []
    sub = inp.subscription
    if sub and (sub.get("spec") or {}).get("installPlanApproval", "Automatic") == "Automatic":
        risks.append(Risk("approval-strategy", WARN, f"Subscription {sub['metadata']['name']} approves InstallPlans "
                          "automatically: OLM would apply the next operator version on its own, even one the guide "
                          "does not support from here. Set installPlanApproval: Manual for the upgrade.", "12.1, 12.2.5"))
    for plan in inp.install_plans:
        spec = plan.get("spec") or {}
        if spec.get("approved"):
            continue
        for csv in spec.get("clusterServiceVersionNames") or []:
            m = _CSV_VERSION.search(csv)
            if not (m and source):
                continue
            try:
                hop = plan_upgrade(source, parse_version(m.group(1)))
                why = "" if hop.hops <= 1 else (f"{source} → {m.group(1)} is not one supported hop; the supported "
                                                f"path is {' → '.join(map(str, hop.path))}")
            except UpgradeRefused as e:
                why = str(e)
            if why:
                risks.append(Risk("next-installplan", BLOCK, f"InstallPlan {plan['metadata']['name']} would install "
                                  f"{csv}: {why}. Do not approve it.", "12.2"))
    group = inp.operator_group
    if group and (group.get("spec") or {}).get("targetNamespaces"):
        risks.append(Risk("single-namespace-monitoring", WARN, f"OperatorGroup {group['metadata']['name']} installs "
                          "the operator for one namespace: monitoring stays unmanaged; reinstall it for all "
                          "namespaces after the upgrade to get the console dashboards.", "12.5.1"))
    return risks


def _config_risks(inp: PreflightInput, source: Version, path: list[Version]) -> list[Risk]:
    risks = []
    through = {v.minor_key for v in path[1:]}
    route = inp.quay_route or {}
    if source.minor_key == (3, 3) and (3, 4) in through and ((route.get("spec") or {}).get("tls") or {}).get(
            "termination") == "edge":
        risks.append(Risk("edge-routing-3.3", WARN, "3.3 with edge routing cannot upgrade to 3.4; go 3.3 → 3.6 "
                          "directly (`quayops upgrade plan` lists it as an alternative).", "12.2.2.1"))
    cert = inp.bundle.files.get("ssl.cert")
    if cert and (3, 6) <= inp.target.minor_key and _without_san(cert):
        risks.append(Risk("tls-without-san", BLOCK, "ssl.cert has no Subject Alternative Names: from 3.6 the "
                          "deployment is blocked. Re-issue the certificate with SANs; GODEBUG=x509ignoreCN=0 on "
                          "quay-app, quay-upgrade and quay-config-editor is a workaround that does not persist.",
                          "12.2.2.2"))
    storage = inp.config.get("DISTRIBUTED_STORAGE_CONFIG") or {}
    for loc, entry in storage.items() if isinstance(storage, dict) else ():
        if isinstance(entry, list) and len(entry) > 1 and entry[0] == "SwiftStorage":
            args = entry[1] if isinstance(entry[1], dict) else {}
            if str(args.get("auth_version")) == "3" and "tenant_id" not in (args.get("os_options") or {}):
                risks.append(Risk("swift-v3-tenant-id", BLOCK, f"Swift location {loc} uses auth v3 without "
                                  "os_options.tenant_id: storage fails with 'Swift auth v3 requires tenant_id "
                                  "(string) in os_options' after the upgrade. Add tenant_id first.", "12.2.3"))
    if source.minor_key < (3, 6) <= inp.target.minor_key and not inp.config.get("SECURITY_SCANNER_V4_ENDPOINT"):
        risks.append(Risk("clair-v4", INFO, "the target runs Clair v4: keep clair managed and the operator sets it "
                          "up, or configure SECURITY_SCANNER_V4_ENDPOINT for your own Clair v4.", "12.2.2.3"))
    if source.minor_key < (3, 6) <= inp.target.minor_key and "FEATURE_GENERAL_OCI_SUPPORT" not in inp.config:
        risks.append(Risk("feature-oci", INFO, "after the upgrade, set FEATURE_GENERAL_OCI_SUPPORT: true for Helm "
                          "and OCI artifacts if your old version had them off.", "12.5.2"))
    if source.minor_key < (3, 7) <= inp.target.minor_key:
        missing = [f for f in FEATURES_37 if f not in inp.config]
        if missing:
            risks.append(Risk("features-3.7", INFO, f"3.7 features to enable after the upgrade if wanted: "
                              f"{', '.join(missing)}.", "12.4"))
    return risks


def _without_san(pem: bytes) -> bool:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(pem)
        cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return True
    except ValueError:
        return False
    return False


def gather_preflight(cluster, name: str, *, namespace: str, target: str | Version) -> PreflightInput:
    """Read the registry, its bundle, the quay-operator Subscription, pending InstallPlans, the
    OperatorGroup and the upgrade Job from the cluster (any namespace holding the Subscription)."""
    from quayops.config.bundle import bundle_from_secret
    from quayops.config.loading import parse_config_yaml
    from quayops.errors import QuayopsError
    from quayops.model.quayregistry import API_VERSION, KIND

    registry = cluster.get(API_VERSION, KIND, name, namespace=namespace)
    secret_name = (registry.get("spec") or {}).get("configBundleSecret")
    secret = cluster.find("v1", "Secret", secret_name, namespace=namespace) if secret_name else None
    bundle = bundle_from_secret(secret) if secret else Bundle()
    try:
        config = parse_config_yaml(bundle.config_text or "")
    except QuayopsError:
        config = {}
    olm = "operators.coreos.com/v1alpha1"
    subs = [s for s in cluster.list(olm, "Subscription").get("items") or []
            if (s.get("spec") or {}).get("name") == "quay-operator"]
    sub = subs[0] if subs else None
    sub_ns = sub["metadata"]["namespace"] if sub else None
    plans = cluster.list(olm, "InstallPlan", namespace=sub_ns).get("items") or [] if sub_ns else []
    groups = cluster.list("operators.coreos.com/v1", "OperatorGroup", namespace=sub_ns).get("items") or [] if sub_ns else []
    installed = ((sub or {}).get("status") or {}).get("installedCSV", "")
    m = _CSV_VERSION.search(installed)
    return PreflightInput(
        registry=registry,
        target=target if isinstance(target, Version) else parse_version(target, field="--to"),
        config=config, bundle=bundle,
        operator_version=parse_version(m.group(1)) if m else None,
        subscription=sub, install_plans=plans, operator_group=groups[0] if groups else None,
        upgrade_job=cluster.find("batch/v1", "Job", f"{name}-quay-app-upgrade", namespace=namespace),
        quay_route=cluster.find("route.openshift.io/v1", "Route", f"{name}-quay", namespace=namespace),
    )
