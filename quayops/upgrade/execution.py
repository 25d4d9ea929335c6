"""Upgrade a registry through OLM one supported hop at a time (guide 12.2.4, 12.2.5, 12.3): back up, switch the
channel, approve only the InstallPlan of the planned hop, then follow the operator's migration to Available."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from quayops.errors import StepFailedError
from quayops.install.olm import OLM, PACKAGE, _wait_for_csv
from quayops.kube.client import Cluster
from quayops.kube.watching import wait_for
from quayops.model.conditions import ConditionType, Reason, Status, get_condition
from quayops.model.quayregistry import API_VERSION, KIND
from quayops.model.versions import Version, parse_version
from quayops.reconcile import is_available
from quayops.upgrade.planning import UpgradePlan, UpgradeRefused, plan_upgrade
from quayops.upgrade.preflight import BLOCK, check_upgrade, gather_preflight

_CSV = re.compile(rf"^{PACKAGE}\.v(\d+\.\d+\.\d+)$")
NOTHING_CHANGED = "Nothing was changed."
HOP_COLUMNS = ("hop", "channel", "install_plan", "csv", "status", "current_version", "seconds", "message")


class UpgradeFailed(StepFailedError):
    """A hop failed after it started; the message says what state it left and how to recover. `hops` holds
    the record of every hop so far."""

    def __init__(self, message: str, *, hops: list[HopRecord], **kw) -> None:
        super().__init__(message, **kw)
        self.hops = hops


@dataclass
class HopRecord:
    """One hop as it went: the InstallPlan and CSV OLM offered, and the registry's `currentVersion` after it."""

    source: str
    target: str
    channel: str
    install_plan: str = ""
    csv: str = ""
    status: str = "pending"
    current_version: str = ""
    seconds: float = 0.0
    message: str = ""

    def row(self) -> dict:
        return {"hop": f"{self.source} → {self.target}", **{k: v for k, v in asdict(self).items()
                                                              if k not in ("source", "target")}}


@dataclass
class UpgradeRun:
    """The outcome of `run_upgrade`: `upgraded`, `nothing-to-do` or `awaiting-approval`, and the hops taken."""

    registry: str
    outcome: str
    message: str
    path: list[str] = field(default_factory=list)
    hops: list[HopRecord] = field(default_factory=list)
    backup: object = None

    def to_frame(self):
        """The hops as a DataFrame (hop, channel, install_plan, csv, status, current_version, seconds, message)."""
        import pandas as pd

        return pd.DataFrame([h.row() for h in self.hops], columns=list(HOP_COLUMNS))


# -- pure decisions --------------------------------------------------------------------------------

def csv_version(name: str) -> Version | None:
    """The Quay version a quay-operator CSV name carries (`quay-operator.v3.7.14` → 3.7.14), else None."""
    m = _CSV.match(name or "")
    return parse_version(m.group(1)) if m else None


def channel_for(version: Version) -> str:
    """The update channel that ships a minor (guide 12.2.1): `stable-3.7`."""
    return f"stable-{version.minor_name}"


def hop_matches(planned: Version, offered: Version) -> bool:
    """Whether OLM's offer is the planned hop: the same minor when the plan names none, else the same release."""
    return offered == planned if planned.patch is not None else offered.minor_key == planned.minor_key


def plan_start(registry: dict, target: str | Version, *, operator: Version | None) -> tuple[UpgradePlan | None, str]:
    """The operator's start-up logic (guide 12.3) as quayops checks it: (plan, "") to proceed, or (None, why)
    when there is nothing to do. Unsupported paths raise UpgradeRefused; nothing is changed either way."""
    meta = registry["metadata"]
    current = (registry.get("status") or {}).get("currentVersion") or ""
    if not current:
        return None, (f"QuayRegistry {meta['namespace']}/{meta['name']} has no status.currentVersion: the operator "
                      "reconciles it as a new registry with its own version (guide 12.3); there is nothing to upgrade.")
    plan = plan_upgrade(parse_version(current, field="status.currentVersion"), target)
    if plan.hops == 0:
        return None, (f"QuayRegistry {meta['namespace']}/{meta['name']} is at {current}, which is {target} already "
                      "(guide 12.3: equal versions reconcile normally); there is nothing to upgrade.")
    first = plan.path[1]
    if operator is not None and operator.minor_key > first.minor_key:
        raise UpgradeRefused(
            f"the operator runs {operator} but QuayRegistry {meta['namespace']}/{meta['name']} is at {current}: the "
            f"planned first hop {plan.path[0]} → {first} is behind the operator, so the registry's own upgrade is "
            f"unfinished. {NOTHING_CHANGED}", step="plan",
            hint=f"See why with `quayops upgrade check {meta['name']} -n {meta['namespace']} --to {target}`.")
    return plan, ""


def check_install_plan(plan: dict, *, installed: Version | None, hop: Version) -> str:
    """Why an InstallPlan must not be approved for `hop` ("" when it is the planned hop)."""
    names = (plan.get("spec") or {}).get("clusterServiceVersionNames") or []
    versions = [csv_version(n) for n in names]
    if len(versions) != 1 or versions[0] is None:
        return f"it installs {', '.join(names) or 'nothing'}, not one {PACKAGE} release"
    offered = versions[0]
    if hop_matches(hop, offered):
        return ""
    why = f"it installs {names[0]} (Quay {offered}), not the planned hop {installed or '?'} → {hop}"
    if installed is None:
        return why
    try:
        path = plan_upgrade(installed, offered)
    except UpgradeRefused as e:
        return f"{why}; {e}"
    if path.hops > 1:
        return f"{why}; {installed} → {offered} is not one supported hop (the supported path is " \
               f"{' → '.join(map(str, path.path))}, guide 12.2)"
    return why


def detect_registry_progress(registry: dict | None, *, version: Version) -> tuple[str, str]:
    """Where the operator's upgrade of a registry stands: ("done" | "failed" | "waiting", what is seen).

    Done: `currentVersion` is the hop's version, ComponentsCreated and Available are True (operator-facts §10).
    Failed: ComponentsCreated=False/MigrationsFailed, with the upgrade Job's message.
    """
    if registry is None:
        return "failed", "the QuayRegistry was deleted"
    status = registry.get("status") or {}
    conditions = status.get("conditions") or []
    created = get_condition(conditions, ConditionType.COMPONENTS_CREATED) or {}
    if created.get("status") == Status.FALSE and created.get("reason") == Reason.MIGRATIONS_FAILED:
        return "failed", created.get("message", "")
    current = status.get("currentVersion") or ""
    at = bool(current) and parse_version(current, field="status.currentVersion") == version
    if at and created.get("status") == Status.TRUE and is_available(registry):
        return "done", f"currentVersion {current}, Available"
    seen = f"{created.get('reason', 'no ComponentsCreated')}, currentVersion {current or 'unset'}"
    return "waiting", seen if is_available(registry) else f"{seen}, not Available"


def command_backup(command: str) -> Callable[[], dict]:
    """A backup procedure that runs `command` (no shell) and must exit 0: your backup tool, until quayops'
    own backup (guide 11) plugs in here. Returns what it ran and how long it took."""
    import shlex
    import subprocess

    from quayops.redaction import mask_uri

    argv = shlex.split(command)

    def take() -> dict:
        started = time.monotonic()
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or [""])[-1]
            raise StepFailedError(f"backup command {argv[0]} exited {done.returncode}: {mask_uri(last)[:200]}",
                                  step="backup")
        return {"command": argv[0], "seconds": round(time.monotonic() - started, 1)}

    return take


# -- against a cluster -----------------------------------------------------------------------------

def find_subscription(cluster: Cluster) -> dict:
    """The `quay-operator` Subscription, in whatever namespace OLM installed it."""
    subs = [s for s in cluster.list(OLM, "Subscription").get("items") or []
            if (s.get("spec") or {}).get("name") == PACKAGE]
    if len(subs) != 1:
        raise UpgradeRefused(
            f"expected one Subscription to {PACKAGE}, found {len(subs)}: quayops upgrades the operator OLM installed "
            f"(guide 12.1). {NOTHING_CHANGED}", step="subscription",
            hint="Install the operator through OLM first (runbook install/02-install-operator).")
    return subs[0]


def run_upgrade(cluster: Cluster, name: str, *, namespace: str, target: str | Version, approve: bool = False,
                backup: Callable[[], object] | None = None, skip_backup: bool = False, timeout: float = 900,
                report: Callable[[str], None] | None = print) -> UpgradeRun:
    """Take QuayRegistry `name` to `target` through OLM, one supported hop at a time.

    Refuses (UpgradeRefused, nothing changed) an unsupported path, a blocking preflight risk, Automatic approval
    and a missing backup (`backup` callable, or `skip_backup=True`). Per hop: switch the channel, check OLM's
    InstallPlan is the planned hop, approve it (only with `approve`; otherwise stop there, outcome
    `awaiting-approval`), wait for the CSV, the operator pod and the registry's migration. The first failing hop
    raises UpgradeFailed saying how to recover. `timeout` bounds each hop, in seconds.
    """
    say = report or (lambda _line: None)
    target = target if isinstance(target, Version) else parse_version(target, field="--to")
    registry = cluster.get(API_VERSION, KIND, name, namespace=namespace)
    sub = find_subscription(cluster)
    installed = csv_version((sub.get("status") or {}).get("installedCSV", ""))
    plan, why = plan_start(registry, target, operator=installed)
    if plan is None:
        say(why)
        return UpgradeRun(name, "nothing-to-do", why)
    path = [str(v) for v in plan.path]
    say(f"planned path: {' → '.join(path)} ({plan.hops} hop{'s' if plan.hops > 1 else ''}, guide 12.2)")
    _refuse_before_changes(cluster, sub, name, namespace=namespace, target=target, approve=approve, backup=backup,
                           skip_backup=skip_backup)
    taken = None
    if approve and backup is not None:
        say("backing up before the upgrade (guide 11) …")
        try:
            taken = backup()
        except Exception as e:
            raise UpgradeRefused(f"the backup before the upgrade failed: {e}. {NOTHING_CHANGED}", step="backup",
                                 hint="Fix the backup and rerun; never upgrade without one.") from e
        say(f"backup taken: {str(taken)[:200]}")
    elif skip_backup and approve:
        say("no backup taken (skip_backup=True): restoring after a failed migration will not be possible")
    hops: list[HopRecord] = []
    for source, hop in zip(plan.path, plan.path[1:], strict=False):
        record = HopRecord(str(source), str(hop), channel_for(hop))
        hops.append(record)
        started = time.monotonic()
        try:
            done = _run_hop(cluster, record, name, namespace=namespace, hop=hop, approve=approve,
                            deadline=started + timeout, backup=taken, say=say)
        except UpgradeRefused as e:
            record.status, record.message = "refused", e.message
            raise UpgradeRefused(_left_after(e.message, hops), step=e.step, hint=e.hint) from e
        except UpgradeFailed as e:
            record.status, record.message = "failed", e.message
            e.hops = hops
            raise
        except StepFailedError as e:  # a wait timed out: say where the hop stopped
            record.status, record.message = "failed", e.message
            raise UpgradeFailed(_left_after(f"hop {source} → {hop} stopped: {e.message}", hops), hops=hops,
                                step=e.step, hint="Rerun to resume: each hop starts from what the cluster shows "
                                                  "(channel, InstallPlan, installed CSV, currentVersion).") from e
        finally:
            record.seconds = round(time.monotonic() - started, 1)
        if not done:
            message = (f"InstallPlan {record.install_plan} ({record.csv}) is the planned hop {source} → {hop} and "
                       "waits for approval; nothing is installed yet. Review it (guide 12.2.5) and rerun with "
                       "approve (--approve) to continue.")
            record.status, record.message = "awaiting approval", message
            say(message)
            return UpgradeRun(name, "awaiting-approval", message, path, hops, taken)
    message = f"QuayRegistry {namespace}/{name} upgraded along {' → '.join(path)}: currentVersion " \
              f"{hops[-1].current_version}, Available."
    say(message)
    return UpgradeRun(name, "upgraded", message, path, hops, taken)


def _refuse_before_changes(cluster: Cluster, sub: dict, name: str, *, namespace: str, target: Version,
                           approve: bool, backup, skip_backup: bool) -> None:
    """Every refusal that needs no change to decide: Automatic approval, no backup, blocking preflight risks."""
    ref = f"{sub['metadata']['namespace']}/{sub['metadata']['name']}"
    if (sub.get("spec") or {}).get("installPlanApproval", "Automatic") != "Manual":
        raise UpgradeRefused(
            f"Subscription {ref} approves InstallPlans automatically: OLM would install whatever the new channel "
            f"offers before quayops can check it is the planned hop (guide 12.1, 12.2.5). {NOTHING_CHANGED}",
            step="approval", hint=f"oc patch subscription {sub['metadata']['name']} -n {sub['metadata']['namespace']} "
                                  "--type merge -p '{\"spec\":{\"installPlanApproval\":\"Manual\"}}', then rerun.")
    if approve and backup is None and not skip_backup:
        raise UpgradeRefused(f"no backup to take before upgrading {namespace}/{name}: a failed migration can only be "
                             f"undone by restoring one (guide 11, 12.2). {NOTHING_CHANGED}", step="backup",
                             hint="Pass a backup procedure, or skip_backup=True (--skip-backup) to go without.")
    blocks = [r for r in check_upgrade(gather_preflight(cluster, name, namespace=namespace, target=target))
              if r.severity == BLOCK]
    if blocks:
        listed = "; ".join(f"{r.name}: {r.message} (guide {r.section})" for r in blocks)
        raise UpgradeRefused(f"preflight blocks the upgrade of {namespace}/{name}: {listed} {NOTHING_CHANGED}",
                             step="preflight", hint=f"`quayops upgrade check {name} -n {namespace} --to {target}` "
                                                    "lists every risk.")


def _left_after(message: str, hops: list[HopRecord]) -> str:
    done = [h for h in hops if h.status == "done"]
    if not done:
        return message
    return f"{message} (after {len(done)} of the planned hops: the registry is at {done[-1].current_version})"


def _run_hop(cluster: Cluster, record: HopRecord, name: str, *, namespace: str, hop: Version, approve: bool,
             deadline: float, backup: object, say: Callable[[str], None]) -> bool:
    """One hop; False when it stopped at the InstallPlan for want of `approve`."""
    sub = find_subscription(cluster)
    sub_ns = sub["metadata"]["namespace"]
    installed = csv_version((sub.get("status") or {}).get("installedCSV", ""))
    if installed is not None and hop_matches(hop, installed):
        say(f"hop {record.source} → {hop}: the operator {installed} is installed already; following the registry")
        record.csv = sub["status"]["installedCSV"]
    else:
        plan = _offered_install_plan(cluster, sub, record, hop=hop, installed=installed, deadline=deadline, say=say)
        if not (plan.get("spec") or {}).get("approved"):
            if not approve:
                return False
            cluster.patch(OLM, "InstallPlan", record.install_plan, {"spec": {"approved": True}}, namespace=sub_ns)
            say(f"approved InstallPlan {record.install_plan} for {record.csv} (guide 12.2.5)")
        csv = _wait_for_csv(cluster, sub_ns, record.csv, deadline=deadline, report=say)
        _wait_for_operator_pod(cluster, csv, deadline=deadline, say=say)
        installed = csv_version(record.csv)
    _follow_registry(cluster, record, name, namespace=namespace, version=installed, deadline=deadline,
                     backup=backup, say=say)
    return True


def _offered_install_plan(cluster: Cluster, sub: dict, record: HopRecord, *, hop: Version, installed: Version | None,
                          deadline: float, say: Callable[[str], None]) -> dict:
    """Switch the channel if needed, wait for OLM's InstallPlan and check it is the planned hop.

    A wrong one is left unapproved and the channel switched back: UpgradeRefused says so.
    """
    ns, sub_name = sub["metadata"]["namespace"], sub["metadata"]["name"]
    previous = (sub.get("spec") or {}).get("channel", "")
    before = {p["metadata"]["name"] for p in cluster.list(OLM, "InstallPlan", namespace=ns).get("items") or []}
    switched = previous != record.channel
    if switched:
        cluster.patch(OLM, "Subscription", sub_name, {"spec": {"channel": record.channel}}, namespace=ns)
        say(f"Subscription {ns}/{sub_name}: channel {previous} → {record.channel} (guide 12.2.4)")

    def offered(s: dict | None) -> bool:
        status = (s or {}).get("status") or {}
        ref = (status.get("installPlanRef") or {}).get("name", "")
        return bool(ref) and (ref not in before or not switched) and status.get("currentCSV") != \
            status.get("installedCSV")

    sub = wait_for(cluster, OLM, "Subscription", sub_name, namespace=ns, condition=offered,
                   timeout=max(1.0, deadline - time.monotonic()),
                   describe=lambda s: f"OLM offers no update from {((s or {}).get('status') or {}).get('installedCSV')} "
                                      f"on channel {record.channel} (state "
                                      f"{((s or {}).get('status') or {}).get('state', '?')}): does the catalog ship it?")
    plan = cluster.get(OLM, "InstallPlan", sub["status"]["installPlanRef"]["name"], namespace=ns)
    record.install_plan = plan["metadata"]["name"]
    record.csv = ", ".join((plan.get("spec") or {}).get("clusterServiceVersionNames") or [])
    say(f"InstallPlan {record.install_plan}: {record.csv}, {(plan.get('status') or {}).get('phase', '')}")
    why = check_install_plan(plan, installed=installed, hop=hop)
    if not why:
        return plan
    if (plan.get("spec") or {}).get("approved"):
        raise UpgradeFailed(f"InstallPlan {ns}/{record.install_plan} was approved already, yet {why}: OLM is "
                            "installing it. Follow the operator and the registry with `quayops status`; restore from "
                            "the backup if the migration fails.", hops=[], step="install plan")
    back = ""
    if switched:
        cluster.patch(OLM, "Subscription", sub_name, {"spec": {"channel": previous}}, namespace=ns)
        back = f" and the Subscription is back on channel {previous}"
    raise UpgradeRefused(
        f"InstallPlan {ns}/{record.install_plan} is not approved: {why}. It was left unapproved{back}; the operator "
        f"still runs {installed or 'as before'}. {NOTHING_CHANGED}", step="install plan",
        hint=f"Review it, then delete it (oc delete installplan {record.install_plan} -n {ns}); "
             "`quayops upgrade plan` shows the supported path.")


def _rolled_out(dep: dict | None) -> bool:
    """A Deployment whose current generation is observed and whose wanted replicas are updated and available."""
    if dep is None:
        return False
    status = dep.get("status") or {}
    wanted = (dep.get("spec") or {}).get("replicas", status.get("replicas", 1))
    return status.get("observedGeneration", 0) >= dep["metadata"].get("generation", 0) \
        and status.get("updatedReplicas", 0) >= wanted and status.get("availableReplicas", 0) >= wanted \
        and status.get("replicas", 0) == wanted


def _wait_for_operator_pod(cluster: Cluster, csv: dict, *, deadline: float, say: Callable[[str], None]) -> None:
    ns = csv["metadata"]["namespace"]
    for entry in csv["spec"]["install"]["spec"]["deployments"]:
        dep = wait_for(cluster, "apps/v1", "Deployment", entry["name"], namespace=ns, condition=_rolled_out,
                       timeout=max(1.0, deadline - time.monotonic()),
                       describe=lambda d: f"the operator Deployment is not rolled out: {(d or {}).get('status')}")
        selector = ",".join(f"{k}={v}" for k, v in dep["spec"]["selector"].get("matchLabels", {}).items())
        pods = [p["metadata"]["name"] for p in cluster.list("v1", "Pod", namespace=ns, label_selector=selector)
                .get("items") or [] if (p.get("status") or {}).get("phase") == "Running"
                and not p["metadata"].get("deletionTimestamp")]
        say(f"operator {entry['name']} running: pod {', '.join(pods) or '(none listed)'}")


def _follow_registry(cluster: Cluster, record: HopRecord, name: str, *, namespace: str, version: Version,
                     deadline: float, backup: object, say: Callable[[str], None]) -> None:
    """Follow the operator's upgrade of the registry: migrations, `currentVersion`, Available, quay-app rolled out."""
    seen: dict[str, tuple] = {}
    job = f"{name}-quay-app-upgrade"

    def on_change(obj: dict | None) -> None:
        for c in ((obj or {}).get("status") or {}).get("conditions") or []:
            key = (c.get("status"), c.get("reason"), c.get("message"))
            if c["type"] in (ConditionType.COMPONENTS_CREATED, ConditionType.AVAILABLE,
                             ConditionType.ROLLOUT_BLOCKED) and seen.get(c["type"]) != key:
                seen[c["type"]] = key
                say(f"QuayRegistry {name}: {c['type']}={c.get('status')} {c.get('reason', '')}: {c.get('message', '')}")
        state, what = detect_registry_progress(obj, version=version)
        if state == "failed":
            restore = (f"restore from the backup taken before this run ({str(backup)[:120]}) with the restore "
                       "procedure (guide 11.2)") if backup is not None else \
                "restore from your latest backup (guide 11.2); none was taken by this run"
            raise UpgradeFailed(
                f"hop {record.source} → {version} failed: the operator's upgrade Job {namespace}/{job} failed: {what} "
                f"(ComponentsCreated=False/MigrationsFailed). The operator {version} is installed and Quay is not "
                f"serving (quay-app stays at 0 replicas during migrations). Its logs: oc logs -n {namespace} job/{job}. "
                f"The operator re-runs the Job on its next pass; if the database is damaged, {restore}. Do not roll the "
                "operator back: Quay does not migrate its database down (guide 12.2).", hops=[], step="migration")

    def describe(obj: dict | None) -> str:
        return detect_registry_progress(obj, version=version)[1]

    final = wait_for(cluster, API_VERSION, KIND, name, namespace=namespace,
                     condition=lambda r: detect_registry_progress(r, version=version)[0] == "done",
                     timeout=max(1.0, deadline - time.monotonic()), describe=describe, on_change=on_change)
    wait_for(cluster, "apps/v1", "Deployment", f"{name}-quay-app", namespace=namespace, condition=_rolled_out,
             timeout=max(1.0, deadline - time.monotonic()),
             describe=lambda d: f"quay-app is not rolled out: {(d or {}).get('status')}")
    record.current_version = final["status"]["currentVersion"]
    record.status, record.message = "done", f"currentVersion {record.current_version}, Available"
    say(f"hop {record.source} → {version} done: {record.message}")
