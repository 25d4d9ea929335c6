"""Per-component rendering, overrides (§4) and the final config.yaml merge (§6), one behaviour per test."""

import random

from ruamel.yaml import YAML

from quayops.config.bundle import Bundle
from quayops.operator.defaults import ensure_default_components
from quayops.operator.platform import OperatorEnv, Platform
from quayops.operator.rendering import render_registry
from quayops.operator.rendering.keys import ManagedKeys

REGISTRY = {"apiVersion": "quay.redhat.com/v1", "kind": "QuayRegistry",
            "metadata": {"name": "r", "namespace": "ns", "uid": "uid-1"}, "spec": {}}
KEYS = ManagedKeys(DATABASE_SECRET_KEY="d", SECRET_KEY="s", DB_URI="postgresql://r-quay-database:pw@r-quay-database:5432/db",
                   DB_ROOT_PW="root", CONFIG_EDITOR_PW="c", SECURITY_SCANNER_V4_PSK="psk")
QUAY_ENV = [{"name": "QE_K8S_CONFIG_SECRET"}, {"name": "QE_K8S_NAMESPACE"}, {"name": "DEBUGLOG", "value": "false"}]


OPERATOR = OperatorEnv()


def render(*declared, config="", operator=OPERATOR, upgrading=False, files=None):
    components = ensure_default_components(list(declared), platform=Platform(), bundle_has_tls_pair=False)
    bundle = Bundle({"config.yaml": config.encode(), **(files or {})})
    return render_registry(REGISTRY, bundle, components, platform=Platform(), operator=operator, keys=KEYS,
                           random=random.Random(0), upgrading=upgrading)


def names(rendered):
    """Kind/name of every object, generated Secrets without their content-hash suffix."""
    return sorted(f"{o['kind']}/{o['metadata']['name'].rsplit('-', 1)[0] if o['kind'] == 'Secret' else o['metadata']['name']}"
                  for o in rendered.objects)


def find(rendered, kind, name):
    return next(o for o in rendered.objects if o["kind"] == kind and o["metadata"]["name"] == f"r-{name}")


def env(deployment, container=0):
    return [(e["name"], e.get("value")) for e in deployment["spec"]["template"]["spec"]["containers"][container]["env"]]


def final_config(rendered):
    secret = next(o for o in rendered.objects if o["metadata"]["name"].startswith("r-quay-config-secret-"))
    return YAML(typ="safe").load(secret["stringData"]["config.yaml"]), secret["stringData"]


def unmanaged(*kinds):
    return [{"kind": k, "managed": False} for k in kinds]


ALL_UNMANAGED = unmanaged("postgres", "clair", "redis", "horizontalpodautoscaler", "objectstorage", "route", "mirror",
                          "monitoring", "tls", "clairpostgres")


def test_everything_unmanaged_renders_the_13_base_objects():
    assert len(render(*ALL_UNMANAGED).objects) == 13


def test_each_managed_component_adds_its_objects():
    base = set(names(render(*ALL_UNMANAGED)))
    counts = {"postgres": 7, "clair": 4, "redis": 3, "horizontalpodautoscaler": 3, "objectstorage": 1, "route": 3,
              "mirror": 1, "monitoring": 8, "tls": 0, "clairpostgres": 5}
    for kind, count in counts.items():
        declared = [c for c in ALL_UNMANAGED if c["kind"] != kind] + [{"kind": kind, "managed": True}]
        assert len(set(names(render(*declared))) - base) == count, kind


def test_postgres_objects():
    declared = [c for c in ALL_UNMANAGED if c["kind"] != "postgres"]
    added = set(names(render(*declared))) - set(names(render(*ALL_UNMANAGED)))
    assert added == {
        "Deployment/r-quay-database", "PersistentVolumeClaim/r-quay-database", "Service/r-quay-database",
        "ServiceAccount/r-quay-database", "ConfigMap/r-postgres-conf-sample", "Secret/r-postgres-config-secret",
        "Secret/r-postgres-bootstrap"}


def test_postgres_secret_parsed_from_db_uri():
    rendered = render()
    secret = next(o for o in rendered.objects if o["metadata"]["name"].startswith("r-postgres-config-secret-"))
    assert secret["stringData"] == {"database-name": "db", "database-password": "pw",
                                    "database-root-password": "root", "database-username": "r-quay-database"}


def test_hpas_target_their_deployments():
    bounds = [(o["metadata"]["name"], o["spec"]["minReplicas"], o["spec"]["maxReplicas"])
              for o in render().objects if o["kind"] == "HorizontalPodAutoscaler"]
    assert bounds == [("r-quay-app", 2, 20), ("r-clair-app", 2, 10), ("r-quay-mirror", 2, 20)]


def test_routes_edge_when_tls_managed():
    route = find(render(), "Route", "quay")
    assert route["spec"]["tls"] == {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"}
    assert route["spec"]["port"] == {"targetPort": "http"}


def test_routes_passthrough_when_tls_unmanaged():
    rendered = render({"kind": "tls", "managed": False})
    assert find(rendered, "Route", "quay")["spec"]["tls"]["termination"] == "passthrough"
    assert find(rendered, "Route", "quay")["spec"]["port"] == {"targetPort": "https"}
    assert find(rendered, "Route", "quay-builder")["spec"]["port"] == {"targetPort": "grpc"}
    assert find(rendered, "Route", "quay-config-editor")["spec"]["tls"]["termination"] == "edge"


def test_unmanaged_tls_switches_probes_to_https():
    probe = find(render({"kind": "tls", "managed": False}), "Deployment", "quay-app")
    assert probe["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["scheme"] == "HTTPS"


def test_upgrade_overlay_keeps_http_probes_and_scales_quay_app_to_zero():
    rendered = render({"kind": "tls", "managed": False}, upgrading=True)
    app = find(rendered, "Deployment", "quay-app")
    assert app["spec"]["replicas"] == 0
    assert app["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["scheme"] == "HTTP"
    assert find(rendered, "Job", "quay-app-upgrade")["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "migrate", "head"]


def test_env_override_replaces_in_place_and_appends_new():
    declared = {"kind": "quay", "managed": True, "overrides": {"env": [
        {"name": "DEBUGLOG", "value": "true"}, {"name": "EXTRA", "value": "1"}]}}
    names_values = env(find(render(declared), "Deployment", "quay-app"))
    assert names_values[2] == ("DEBUGLOG", "true")
    assert names_values[-2:] == [("EXTRA", "1"), ("QUAY_VERSION", "v3.7.0")]


def test_quay_version_upserted_after_user_env():
    declared = {"kind": "quay", "managed": True, "overrides": {"env": [{"name": "QUAY_VERSION", "value": "mine"}]}}
    assert env(find(render(declared), "Deployment", "quay-app"))[-1] == ("QUAY_VERSION", "v3.7.0")


def test_quay_env_reaches_config_editor_but_not_mirror():
    declared = {"kind": "quay", "managed": True, "overrides": {"env": [{"name": "EXTRA", "value": "1"}]}}
    rendered = render(declared)
    assert ("EXTRA", "1") in env(find(rendered, "Deployment", "quay-config-editor"))
    assert ("EXTRA", "1") not in env(find(rendered, "Deployment", "quay-mirror"))
    assert not any(name == "QUAY_VERSION" for name, _ in env(find(rendered, "Deployment", "quay-mirror")))


def test_mirror_hpa_rendered_even_with_mirror_unmanaged():
    rendered = render({"kind": "mirror", "managed": False})
    assert [o["kind"] for o in rendered.objects if o["metadata"]["name"] == "r-quay-mirror"] == ["HorizontalPodAutoscaler"]


def test_replicas_default_to_two_when_hpa_unmanaged():
    rendered = render({"kind": "horizontalpodautoscaler", "managed": False})
    assert [find(rendered, "Deployment", d)["spec"]["replicas"] for d in ("quay-app", "clair-app", "quay-mirror")] == [
        2, 2, 2]


def test_replicas_override_when_hpa_unmanaged():
    rendered = render({"kind": "horizontalpodautoscaler", "managed": False},
                      {"kind": "clair", "managed": True, "overrides": {"replicas": 0}})
    assert find(rendered, "Deployment", "clair-app")["spec"]["replicas"] == 0


def test_replicas_zero_override_has_no_effect_with_hpa_managed():
    rendered = render({"kind": "clair", "managed": True, "overrides": {"replicas": 0}})
    assert "replicas" not in find(rendered, "Deployment", "clair-app")["spec"]


def test_fixed_replicas_are_never_overridden():
    rendered = render({"kind": "horizontalpodautoscaler", "managed": False})
    assert [find(rendered, "Deployment", d)["spec"]["replicas"]
            for d in ("quay-config-editor", "quay-database", "quay-redis", "clair-postgres")] == [1, 1, 1, 1]


def test_labels_override_skips_the_exception_list():
    labels = {"team": "a", "app": "x", "quay-component": "x", "quay-operator/quayregistry": "x"}
    app = find(render({"kind": "quay", "managed": True, "overrides": {"labels": labels}}), "Deployment", "quay-app")
    assert app["metadata"]["labels"] == {"quay-component": "quay", "app": "quay", "team": "a",
                                         "quay-operator/quayregistry": "r"}
    assert app["spec"]["template"]["metadata"]["labels"]["team"] == "a"


def test_annotations_override_has_no_exception_list():
    annotations = {"quay-component": "mine"}
    app = find(render({"kind": "quay", "managed": True, "overrides": {"annotations": annotations}}),
               "Deployment", "quay-app")
    assert app["metadata"]["annotations"]["quay-component"] == "mine"
    assert app["spec"]["template"]["metadata"]["annotations"]["quay-component"] == "mine"


def test_clairpostgres_overrides_never_reach_its_deployment():
    clairpostgres = find(render({"kind": "clairpostgres", "managed": True, "overrides": {"labels": {"team": "a"}}}),
                         "Deployment", "clair-postgres")
    assert "team" not in clairpostgres["metadata"]["labels"]


def test_affinity_override_replaces_config_editor_affinity_too():
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}}
    rendered = render({"kind": "quay", "managed": True, "overrides": {"affinity": affinity}})
    assert find(rendered, "Deployment", "quay-app")["spec"]["template"]["spec"]["affinity"] == affinity
    assert find(rendered, "Deployment", "quay-config-editor")["spec"]["template"]["spec"]["affinity"] == affinity


def test_default_affinity_spreads_over_nodes():
    affinity = find(render(), "Deployment", "clair-app")["spec"]["template"]["spec"]["affinity"]
    term = affinity["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
    assert term["weight"] == 100 and term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"


def test_volume_size_override_resizes_database_pvc():
    rendered = render({"kind": "postgres", "managed": True, "overrides": {"volumeSize": "70Gi"}})
    assert find(rendered, "PersistentVolumeClaim", "quay-database")["spec"]["resources"]["requests"]["storage"] == "70Gi"


def test_clair_volume_size_resizes_clair_postgres_pvc():
    rendered = render({"kind": "clair", "managed": True, "overrides": {"volumeSize": "80Gi"}})
    assert find(rendered, "PersistentVolumeClaim", "clair-postgres")["spec"]["resources"]["requests"]["storage"] == "80Gi"


def test_skip_resource_requests_removes_resources():
    rendered = render(operator=OperatorEnv(skip_resource_requests=True), upgrading=True)
    pods = [o["spec"]["template"]["spec"] for o in rendered.objects if o["kind"] in ("Deployment", "Job")]
    assert not any("resources" in c for pod in pods for c in pod["containers"])


def test_managed_mirror_overrides_user_interval():
    config, _ = final_config(render(config="REPO_MIRROR_INTERVAL: 10\n"))
    assert config["REPO_MIRROR_INTERVAL"] == 30


def test_user_value_kept_for_unmanaged_component_fields():
    config, _ = final_config(render({"kind": "mirror", "managed": False}, config="REPO_MIRROR_INTERVAL: 10\n"))
    assert config["REPO_MIRROR_INTERVAL"] == 10


def test_user_value_wins_over_base_config():
    config, _ = final_config(render(config="REGISTRY_TITLE: Corp\n"))
    assert (config["REGISTRY_TITLE"], config["REGISTRY_TITLE_SHORT"]) == ("Corp", "Red Hat Quay")


def test_final_config_always_has_the_keys():
    config, _ = final_config(render())
    assert (config["DATABASE_SECRET_KEY"], config["SECRET_KEY"], config["DB_URI"]) == ("d", "s", KEYS.DB_URI)


def test_certs_and_extra_cas_are_removed_from_the_final_secret():
    files = {"ssl.cert": b"C", "ssl.key": b"K", "clair-ssl.crt": b"c", "extra_ca_cert_a.crt": b"A",
             "clair-config.yaml": b"log_level: debug\n"}
    _, data = final_config(render({"kind": "tls", "managed": False}, files=files))
    assert set(data) == {"config.yaml", "clair-config.yaml"}


def test_route_field_group_external_tls_termination():
    config, _ = final_config(render())
    assert (config["SERVER_HOSTNAME"], config["PREFERRED_URL_SCHEME"], config["EXTERNAL_TLS_TERMINATION"]) == (
        "r-quay-ns.apps.cluster.example.com", "https", True)


def test_clair_connstring_pool_follows_hpa():
    def pool(*declared):
        secret = next(o for o in render(*declared).objects if o["metadata"]["name"].startswith("r-clair-config-secret-"))
        return YAML(typ="safe").load(secret["stringData"]["config.yaml"])["indexer"]["connstring"].rsplit("=", 1)[1]

    assert (pool(), pool({"kind": "horizontalpodautoscaler", "managed": False})) == ("33", "10")


def test_config_editor_read_only_field_groups_in_spec_order():
    editor = find(render(), "Deployment", "quay-config-editor")
    assert editor["spec"]["template"]["metadata"]["annotations"]["quay-managed-fieldgroups"] == (
        "Database,SecurityScanner,Redis,DistributedStorage,HostSettings,RepoMirror")
