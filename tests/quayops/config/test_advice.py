"""The guide's stricter advice: warnings only, each naming its guide section."""

from quayops.config.advice import advise, advise_image_override

ALL_MANAGED = {k: True for k in ("quay", "postgres", "clair", "redis", "horizontalpodautoscaler",
                                 "objectstorage", "route", "mirror", "monitoring", "tls", "clairpostgres")}


def messages(findings):
    assert all(f.layer == "guide" for f in findings)
    return [f.message for f in findings]


def test_clean_config_gets_no_advice():
    assert advise({"SERVER_HOSTNAME": "q.example.com"}, {}, managed=ALL_MANAGED) == []


def test_tls_managed_with_route_unmanaged_warns_with_guide_3_4():
    out = messages(advise({}, {}, managed={**ALL_MANAGED, "route": False}))
    assert len(out) == 1 and "(3.4)" in out[0] and "tls is managed while route is unmanaged" in out[0]


def test_builders_with_managed_tls_warn():
    out = messages(advise({"FEATURE_BUILD_SUPPORT": True}, {}, managed=ALL_MANAGED))
    assert out and "does not support builders" in out[0] and "9.3.1" in out[0]
    assert advise({"FEATURE_BUILD_SUPPORT": True}, {}, managed={**ALL_MANAGED, "tls": False}) == []


def test_certificate_without_sans_warns(cert_factory):
    cert, key = cert_factory(cn="quay.example.com")
    out = messages(advise({"SERVER_HOSTNAME": "quay.example.com"}, {"ssl.cert": cert, "ssl.key": key},
                          managed={**ALL_MANAGED, "tls": False}))
    assert len(out) == 1 and "no Subject Alternative Names" in out[0] and "GODEBUG=x509ignoreCN=0" in out[0]


def test_certificate_missing_builder_host_warns_but_wildcard_covers_it(cert_factory):
    config = {"SERVER_HOSTNAME": "quay.apps.example.com",
              "BUILDMAN_HOSTNAME": "r-quay-builder-ns.apps.example.com:443"}
    cert, key = cert_factory(dns=("quay.apps.example.com",))
    out = messages(advise(config, {"ssl.cert": cert, "ssl.key": key}, managed={**ALL_MANAGED, "tls": False}))
    assert len(out) == 1 and "r-quay-builder-ns.apps.example.com" in out[0]
    cert, key = cert_factory(dns=("*.apps.example.com",))
    assert advise(config, {"ssl.cert": cert, "ssl.key": key}, managed={**ALL_MANAGED, "tls": False}) == []


def test_storage_preference_naming_unknown_location_warns():
    config = {"DISTRIBUTED_STORAGE_CONFIG": {"radosGWStorage": ["RadosGWStorage", {}]},
              "DISTRIBUTED_STORAGE_PREFERENCE": ["default"], "DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS": []}
    found = advise(config, {}, managed=ALL_MANAGED)
    assert [f.field for f in found] == ["DISTRIBUTED_STORAGE_PREFERENCE"]
    assert "names default" in found[0].message and "radosGWStorage" in found[0].message


def test_job_registration_timeout_under_3600_warns():
    config = {"BUILD_MANAGER": ["ephemeral", {"JOB_REGISTRATION_TIMEOUT": 600}]}
    out = messages(advise(config, {}, managed={**ALL_MANAGED, "tls": False}))
    assert len(out) == 1 and "is 600" in out[0]
    config["BUILD_MANAGER"][1]["JOB_REGISTRATION_TIMEOUT"] = 3600
    assert advise(config, {}, managed={**ALL_MANAGED, "tls": False}) == []


def test_swift_v3_without_tenant_id_warns():
    entry = ["SwiftStorage", {"auth_version": 3, "os_options": {"user_domain_name": "d"}}]
    out = messages(advise({"DISTRIBUTED_STORAGE_CONFIG": {"sw": entry}}, {}, managed=ALL_MANAGED))
    assert len(out) == 1 and "tenant_id" in out[0] and "12.2.3" in out[0]
    entry[1]["os_options"]["tenant_id"] = "t"
    assert advise({"DISTRIBUTED_STORAGE_CONFIG": {"sw": entry}}, {}, managed=ALL_MANAGED) == []


def test_redis_ssl_not_on_6380_warns():
    config = {"BUILDLOGS_REDIS": {"host": "r", "port": 6379, "ssl": True}}
    assert [f.field for f in advise(config, {}, managed=ALL_MANAGED)] == ["BUILDLOGS_REDIS.port"]


def test_geo_replication_prerequisites(cert_factory):
    config = {"FEATURE_STORAGE_REPLICATION": True}
    found = advise(config, {}, managed=ALL_MANAGED)
    assert {f.component for f in found} >= {"objectstorage", "postgres", "redis", "clairpostgres", "tls"}
    cert, key = cert_factory(dns=("q",))
    unmanaged = {**ALL_MANAGED, **{k: False for k in ("objectstorage", "postgres", "redis", "clairpostgres", "tls")}}
    env = {"quay": {"QUAY_DISTRIBUTED_STORAGE_PREFERENCE"}, "mirror": {"QUAY_DISTRIBUTED_STORAGE_PREFERENCE"}}
    assert advise(config, {"ssl.cert": cert, "ssl.key": key}, managed=unmanaged, env_overrides=env) == []
    found = advise(config, {"ssl.cert": cert, "ssl.key": key}, managed=unmanaged, env_overrides={})
    assert [f.field for f in found] == ["QUAY_DISTRIBUTED_STORAGE_PREFERENCE"]


def test_image_override_by_tag_warns_by_digest_not():
    assert advise_image_override("RELATED_IMAGE_COMPONENT_QUAY", "quay.io/projectquay/quay:3.7.0")
    assert advise_image_override("RELATED_IMAGE_COMPONENT_QUAY", "quay.io/projectquay/quay@sha256:" + "a" * 64) == []
