"""run_config_tool: the load stage, constructor order and the validate stage (config-facts §1.1, §9, §10)."""

import time

from quayops.config.bundle import Bundle
from quayops.config.fieldgroups import CONSTRUCTION_ORDER, VALIDATION_ORDER
from quayops.config.validating import certificate_files, run_config_tool

WRAP = ("An error occurred during validation. Process could not marshal config.yaml. This is most likely due to "
        "an incorrect type. \nMore info: ")


def test_missing_config_yaml():
    result = run_config_tool(Bundle({}, source="/conf/stack"))
    assert result.stage == "load" and result.config is None
    assert [(f.message, f.field_group) for f in result.findings] == [
        ("open /conf/stack/config.yaml: no such file or directory", None)
    ]


def test_empty_config(ct):
    result = ct.run_yaml("")
    assert result.stage == "validate" and result.config == {}
    assert [(f.field_group, f.message) for f in result.findings] == [
        ("Database", "DB_URI is required."),
        ("DistributedStorage", "DISTRIBUTED_STORAGE_CONFIG must contain at least one storage location."),
        ("HostSettings", "SERVER_HOSTNAME is required"),
        ("HostSettings", "SERVER_HOSTNAME must be of type Hostname"),
        ("Redis", "BUILDLOGS_REDIS is required"),
    ]
    assert all(f.layer == "config" for f in result.findings)


def test_base_config_is_clean(ct):
    result = ct.run_yaml(ct.base_yaml)
    assert result.stage == "validate" and result.findings == []


def test_yaml_errors_are_load_stage(ct):
    result = ct.run_yaml("A: 1\nA: 2\n")
    assert result.stage == "load"
    assert result.findings[0].message == 'yaml: unmarshal errors:\n  line 2: mapping key "A" already defined at line 1'


def test_yes_is_fatal_for_a_bool_field(ct):
    result = ct.run_yaml(ct.base_yaml + "FEATURE_USER_CREATION: yes\n")
    assert result.stage == "load" and result.config["FEATURE_USER_CREATION"] == "yes"
    assert [f.message for f in result.findings] == [WRAP + "FEATURE_USER_CREATION must be of type bool"]


def test_type_errors_fatal_even_for_disabled_features(ct):
    result = ct.run_yaml(ct.base_yaml + "MAIL_PORT: '587'\n")
    assert result.findings[0].message == WRAP + "MAIL_PORT must be of type int"


def test_first_constructor_in_order_wins(ct):
    # Redis (21st) and SecurityScanner (3rd): the scanner's error is the one reported
    result = ct.run_yaml(ct.base_yaml.replace("port: 6379", "port: '6379'") + "FEATURE_SECURITY_SCANNER: 1\n")
    assert result.findings[0].message == WRAP + "FEATURE_SECURITY_SCANNER must be of type bool"
    # FEATURE_MAILING is read by JWTAuthentication (19th) before Email (20th); same text either way
    assert ct.run_yaml(ct.base_yaml + "FEATURE_MAILING: on\n").findings[0].message == (
        WRAP + "FEATURE_MAILING must be of type bool")


def test_crash_is_load_stage_without_wrapping(ct):
    result = ct.run_yaml(ct.base_yaml + "BRANDING: logo.png\n")
    assert result.stage == "load"
    assert result.findings[0].message == (
        "BRANDING is a string, not a mapping; Quay's config-tool itself would crash on this input (Go panic, "
        "exit status 2, no report), so Quay 3.7 would not start"
    )


def test_orders():
    assert [g.GROUP for g in CONSTRUCTION_ORDER] == [
        "BitbucketBuildTrigger", "ElasticSearch", "SecurityScanner", "ActionLogArchiving", "UserVisibleSettings",
        "HostSettings", "GoogleLogin", "GitHubLogin", "RepoMirror", "AppTokenAuthentication", "QuayDocumentation",
        "GitHubBuildTrigger", "GitLabBuildTrigger", "Database", "TimeMachine", "TeamSyncing", "DistributedStorage",
        "AccessSettings", "JWTAuthentication", "Email", "Redis", "LDAP", "OIDC", "BuildManager",
    ]
    assert [g.GROUP for g in VALIDATION_ORDER] == sorted(g.GROUP for g in CONSTRUCTION_ORDER)
    assert len(VALIDATION_ORDER) == 24


def test_findings_in_alphabetical_group_order(ct):
    result = ct.run_yaml("TEAM_RESYNC_STALE_TIME: x\nAUTHENTICATION_TYPE: x\n")
    groups = [f.field_group for f in result.findings]
    assert groups == sorted(groups) and "AccessSettings" in groups and "TeamSyncing" in groups


def test_certificate_files():
    bundle = Bundle({"config.yaml": b"", "ssl.cert": b"c", "ssl.key": b"k", "extra_ca_certs/a.crt": b"a",
                     "database.pem": b"d", "clair-config.yaml": b"x", "../escape.pem": b"e", "notes.txt": b"n"})
    assert sorted(certificate_files(bundle)) == ["database.pem", "extra_ca_certs/a.crt", "ssl.cert", "ssl.key"]


def test_200_key_bundle_is_fast(ct):
    text = ct.base_yaml + "".join(f"KEY_{i}: value-{i}\n" for i in range(200))
    start = time.perf_counter()
    result = ct.run_yaml(text)
    assert time.perf_counter() - start < 0.1 and result.findings == []


def test_validating_imports_stay_light():
    import subprocess
    import sys

    code = ("import sys, quayops.config.validating; "
            "print(sorted(m for m in ('kubernetes','boto3','psycopg','pandas','requests') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
