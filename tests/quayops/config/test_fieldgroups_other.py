"""The smaller field groups (config-facts §4.5–§4.13) and the rules that do not exist (§5)."""

import pytest


def msgs(ct, group, **changes):
    return ct.messages(ct.run_config(ct.base_config() | changes), group)


def load_error(ct, **changes):
    result = ct.run_config(ct.base_config() | changes)
    assert result.stage == "load"
    return result.findings[0].message.split("More info: ", 1)[-1]


# --- AccessSettings ---------------------------------------------------------------------------------

def test_authentication_type_case_sensitive(ct):
    assert msgs(ct, "AccessSettings", AUTHENTICATION_TYPE="ldap") == [
        "AUTHENTICATION_TYPE must be one of Database, LDAP, JWT, Keystone, OIDC, AppToken."
    ]


def test_no_login_method(ct):
    assert msgs(ct, "AccessSettings", FEATURE_DIRECT_LOGIN=False) == [
        "At least one of FEATURE_DIRECT_LOGIN,FEATURE_GITHUB_LOGIN,FEATURE_GOOGLE_LOGIN must be enabled"
    ]


def test_any_login_config_mapping_counts_as_oidc(ct):
    changes = {"FEATURE_DIRECT_LOGIN": False, "KEYCLOAK_LOGIN_CONFIG": {}}
    assert msgs(ct, "AccessSettings", **changes) == []
    assert msgs(ct, "OIDC", **changes) == [
        f"KEYCLOAK_LOGIN_CONFIG.{k} is required" for k in ("OIDC_SERVER", "CLIENT_ID", "CLIENT_SECRET", "SERVICE_NAME")
    ]


def test_time_patterns_and_empty_skip(ct):
    assert msgs(ct, "AccessSettings", FRESH_LOGIN_TIMEOUT="10 minutes", USER_RECOVERY_TOKEN_LIFETIME="") == [
        "FRESH_LOGIN_TIMEOUT must have the regex pattern ^[0-9]+(w|m|d|h|s)$"
    ]


def test_invite_only_needs_user_creation(ct):
    assert msgs(ct, "AccessSettings", FEATURE_USER_CREATION=False, FEATURE_INVITE_ONLY_USER_CREATION=True) == [
        "INVITE_USER_ONLY_CREATION requires FEATURE_USER_CREATION to be enabled"
    ]


def test_user_initialize_type_only(ct):
    assert msgs(ct, "AccessSettings", FEATURE_USER_INITIALIZE=True) == []
    assert load_error(ct, FEATURE_USER_INITIALIZE="yes") == "FEATURE_USER_INITIALIZE must be of type bool"


def test_quota_garbage_values_not_checked(ct):
    result = ct.run_config(ct.base_config() | {
        "FEATURE_QUOTA_MANAGEMENT": "maybe", "DEFAULT_SYSTEM_REJECT_QUOTA_BYTES": [1], "FEATURE_PROXY_CACHE": 3,
        "SUPER_USERS": "quayadmin", "BROWSER_API_CALLS_XHR_ONLY": "no", "BUILDMAN_HOSTNAME": {"x": 1},
        "MAXIMUM_LAYER_SIZE": 5, "REGISTRY_STATE": "broken", "SECRET_KEY": 1, "DATA_MODEL_CACHE_CONFIG": "x",
        "FEATURE_GENERAL_OCI_SUPPORT": "on", "UNKNOWN_KEY": None,
    })
    assert result.stage == "validate" and result.findings == []


# --- AppToken / JWT / LDAP / OIDC / logins -----------------------------------------------------------

def test_app_token(ct):
    assert msgs(ct, "AppTokenAuthentication", AUTHENTICATION_TYPE="AppToken", FEATURE_APP_SPECIFIC_TOKENS=False) == [
        "FEATURE_APP_SPECIFIC_TOKENS must be enabled if AUTHENTICATION_TYPE is AppToken",
        "FEATURE_DIRECT_LOGIN must be disabled if AUTHENTICATION_TYPE is AppToken",
    ]
    assert msgs(ct, "AccessSettings", AUTHENTICATION_TYPE="AppToken", FEATURE_DIRECT_LOGIN=False) == [
        "At least one of FEATURE_DIRECT_LOGIN,FEATURE_GITHUB_LOGIN,FEATURE_GOOGLE_LOGIN must be enabled"
    ]


def test_jwt(ct):
    assert msgs(ct, "JWTAuthentication", AUTHENTICATION_TYPE="JWT", JWT_QUERY_ENDPOINT="ftp://x") == [
        "JWT_VERIFY_ENDPOINT is required", "JWT_VERIFY_ENDPOINT must be a url", "JWT_QUERY_ENDPOINT must be a url",
        "JWT_AUTH_ISSUER is required for JWT",
    ]


def test_ldap(ct):
    assert msgs(ct, "LDAP", AUTHENTICATION_TYPE="LDAP", LDAP_URI="http://ldap") == [
        "LDAP_ADMIN_DN is required", "LDAP_ADMIN_PASSWD is required", "LDAP_URI must be one of ldap, ldaps.",
    ]
    ok = {"AUTHENTICATION_TYPE": "LDAP", "LDAP_ADMIN_DN": "cn=a", "LDAP_ADMIN_PASSWD": "p", "LDAP_URI": "LDAPS://x"}
    assert msgs(ct, "LDAP", **ok) == []
    files = {"ldap.crt": b"nope"}
    assert ct.messages(ct.run_config(ct.base_config() | ok, files), "LDAP") == ["Could not successfully load ldap.crt"]
    assert load_error(ct, LDAP_BASE_DN="dc=x") == "LDAP_BASE_DN must be of type array"


def test_oidc_trailing_slash(ct):
    conf = {"OIDC_SERVER": "https://sso/realms/q", "CLIENT_ID": "c", "CLIENT_SECRET": "s", "SERVICE_NAME": "SSO"}
    assert msgs(ct, "OIDC", SSO_LOGIN_CONFIG=conf) == ["OIDC_SERVER must end with a trailing /"]
    assert msgs(ct, "OIDC", SSO_LOGIN_CONFIG=conf | {"OIDC_SERVER": "https://sso/realms/q/"}) == []
    assert load_error(ct, SSO_LOGIN_CONFIG=conf | {"CLIENT_SECRET": 1}) == "CLIENT_SECRET must be of type bool"


def test_github_login(ct):
    conf = {"GITHUB_ENDPOINT": "github.com", "ORG_RESTRICT": True}
    assert msgs(ct, "GitHubLogin", FEATURE_GITHUB_LOGIN=True, GITHUB_LOGIN_CONFIG=conf) == [
        "GITHUB_LOGIN_CONFIG.GITHUB_ENDPOINT must be a url",
        "GITHUB_LOGIN_CONFIG.CLIENT_ID is required for GitHubLogin",
        "GITHUB_LOGIN_CONFIG.CLIENT_SECRET is required for GitHubLogin",
        "GITHUB_LOGIN_CONFIG.ALLOWED_ORGANIZATIONS must contain values if GITHUB_LOGIN_CONFIG.ORG_RESTRICT is true",
    ]
    assert msgs(ct, "GitHubLogin", FEATURE_GITHUB_LOGIN=True) == ["GITHUB_LOGIN_CONFIG is required for GitHubLogin"]


def test_github_trigger_empty_endpoint_gives_two_errors(ct):
    changes = {"FEATURE_BUILD_SUPPORT": True, "FEATURE_GITHUB_BUILD": True,
               "GITHUB_TRIGGER_CONFIG": {"CLIENT_ID": "i", "CLIENT_SECRET": "s"}}
    assert msgs(ct, "GitHubBuildTrigger", **changes) == [
        "GITHUB_TRIGGER_CONFIG.GITHUB_ENDPOINT is required for GitHubBuildTrigger",
        "GITHUB_TRIGGER_CONFIG.GITHUB_ENDPOINT must be a url",
    ]
    assert msgs(ct, "GitHubBuildTrigger", **(changes | {"FEATURE_BUILD_SUPPORT": False})) == []


def test_gitlab_trigger_default_endpoint(ct):
    assert msgs(ct, "GitLabBuildTrigger", FEATURE_BUILD_SUPPORT=True, FEATURE_GITLAB_BUILD=True,
                GITLAB_TRIGGER_CONFIG={}) == [
        "GITLAB_TRIGGER_CONFIG.CLIENT_ID is required for GitLabBuildTrigger",
        "GITLAB_TRIGGER_CONFIG.CLIENT_SECRET is required for GitLabBuildTrigger",
    ]


def test_bitbucket_and_google(ct):
    assert msgs(ct, "BitbucketBuildTrigger", FEATURE_BUILD_SUPPORT=True, FEATURE_BITBUCKET_BUILD=True) == [
        "BITBUCKET_TRIGGER_CONFIG is required"
    ]
    assert msgs(ct, "BitbucketBuildTrigger", FEATURE_BUILD_SUPPORT=True, FEATURE_BITBUCKET_BUILD=True,
                BITBUCKET_TRIGGER_CONFIG={}) == [
        "BITBUCKET_TRIGGER_CONFIG.CONSUMER_KEY is required", "BITBUCKET_TRIGGER_CONFIG.CONSUMER_SECRET is required",
    ]
    assert msgs(ct, "GoogleLogin", FEATURE_GOOGLE_LOGIN=True, GOOGLE_LOGIN_CONFIG={"CLIENT_ID": "x"}) == [
        "GOOGLE_LOGIN_CONFIG.CLIENT_SECRET is required for GoogleLogin"
    ]


# --- SecurityScanner, RepoMirror, TimeMachine, TeamSyncing, docs, archiving, email, ES -----------------

@pytest.mark.parametrize(("endpoint", "ok"), [
    ("http://clairv4", True), ("ftp://clair", True), ("clairv4:8081", False), ("localhost:8080", False),
    ("10.0.0.1:8080", False), ("http://", False),
])
def test_security_scanner_url(ct, endpoint, ok):
    expected = [] if ok else ["SECURITY_SCANNER_V4_ENDPOINT must be of type URL"]
    assert msgs(ct, "SecurityScanner", FEATURE_SECURITY_SCANNER=True, SECURITY_SCANNER_V4_ENDPOINT=endpoint) == expected


def test_security_scanner_endpoint_required_psk_not(ct):
    assert msgs(ct, "SecurityScanner", FEATURE_SECURITY_SCANNER=True, SECURITY_SCANNER_V4_PSK="not base64!") == [
        "At least one of SECURITY_SCANNER_ENDPOINT,SECURITY_SCANNER_V4_ENDPOINT must be present"
    ]
    assert msgs(ct, "SecurityScanner", SECURITY_SCANNER_V4_ENDPOINT="bad") == []
    assert load_error(ct, SECURITY_SCANNER_INDEXING_INTERVAL=30.5) == "SECURITY_SCANNER_INDEXING_INTERVAL must be of type int"


def test_repo_mirror(ct):
    assert msgs(ct, "RepoMirror", FEATURE_REPO_MIRROR=True, REPO_MIRROR_SERVER_HOSTNAME="https://x") == [
        "REPO_MIRROR_SERVER_HOSTNAME must be of type Hostname"
    ]
    assert msgs(ct, "RepoMirror", REPO_MIRROR_SERVER_HOSTNAME="https://x") == []


def test_time_machine(ct):
    rule = ["The default tag expiration period must be included in the allowed expiration periods."]
    assert msgs(ct, "TimeMachine", TAG_EXPIRATION_OPTIONS=[]) == rule
    assert msgs(ct, "TimeMachine", TAG_EXPIRATION_OPTIONS=["1d"], FEATURE_CHANGE_TAG_EXPIRATION=False) == rule
    assert msgs(ct, "TimeMachine", DEFAULT_TAG_EXPIRATION="2weeks", TAG_EXPIRATION_OPTIONS=["2weeks"]) == []
    assert msgs(ct, "TimeMachine", DEFAULT_TAG_EXPIRATION="4w") == []
    [crash] = msgs(ct, "TimeMachine", TAG_EXPIRATION_OPTIONS=[0, "2w"])
    assert "Quay's config-tool itself would crash" in crash


def test_team_syncing_always_checked(ct):
    rule = ["TEAM_RESYNC_STALE_TIME must have the regex pattern ^[0-9]+(w|m|d|h|s)$"]
    assert msgs(ct, "TeamSyncing", TEAM_RESYNC_STALE_TIME="") == rule
    assert msgs(ct, "TeamSyncing", TEAM_RESYNC_STALE_TIME="30m\n") == rule
    assert msgs(ct, "TeamSyncing", TEAM_RESYNC_STALE_TIME="1h") == []


@pytest.mark.parametrize(("root", "ok"), [("/docs/", True), ("https://docs.example.com/", True),
                                          ("good/path", False)])
def test_documentation_root(ct, root, ok):
    expected = [] if ok else ["Documentation root must be a valid url."]
    assert msgs(ct, "QuayDocumentation", DOCUMENTATION_ROOT=root) == expected


def test_action_log_archiving(ct):
    assert msgs(ct, "ActionLogArchiving", FEATURE_ACTION_LOG_ROTATION=True) == [
        "ACTION_LOG_ARCHIVE_PATH is required", "ACTION_LOG_ARCHIVE_LOCATION is required",
        "ACTION_LOG_ARCHIVE_LOCATION must be in DISTRIBUTED_STORAGE_CONFIG",
    ]
    assert msgs(ct, "ActionLogArchiving", FEATURE_ACTION_LOG_ROTATION=True, ACTION_LOG_ARCHIVE_PATH="/a",
                ACTION_LOG_ARCHIVE_LOCATION="default") == []


def test_mail_fips_rule_is_dead(ct):
    changes = {"FEATURE_MAILING": True, "MAIL_SERVER": "smtp", "MAIL_USE_TLS": False, "FEATURE_FIPS": True}
    assert msgs(ct, "Email", **changes) == []
    assert msgs(ct, "Email", FEATURE_MAILING=True) == ["MAIL_SERVER is required"]


def test_elasticsearch(ct):
    prefix = "LOGS_MODEL_CONFIG.ELASTIC_SEARCH_CONFIG"
    assert msgs(ct, "ElasticSearch", LOGS_MODEL="elasticsearch") == [
        "LOGS_MODEL_CONFIG is required for Elasticsearch"
    ]
    assert msgs(ct, "ElasticSearch", LOGS_MODEL="elasticsearch", LOGS_MODEL_CONFIG={"producer": "elasticsearch"}) == [
        f"{prefix} is required for Elasticsearch"
    ]
    assert msgs(ct, "ElasticSearch", LOGS_MODEL="elasticsearch",
                LOGS_MODEL_CONFIG={"elasticsearch_config": {"host": "es"}}) == [
        f"{prefix}.{k} is required for Elasticsearch" for k in ("PORT", "ACCESS_KEY", "SECRET_KEY")
    ]
    assert msgs(ct, "ElasticSearch", LOGS_MODEL="transition_reads_both_writes_es") == []


def test_user_visible_settings_types_only(ct):
    assert msgs(ct, "UserVisibleSettings", AVATAR_KIND="emoji", CONTACT_INFO=["anything"]) == []
    assert load_error(ct, CONTACT_INFO="mailto:x") == "CONTACT_INFO must be of type []interface{}"
    assert load_error(ct, SEARCH_RESULTS_PER_PAGE="10") == "SEARCH_RESULTS_PER_PAGE must be of type int"
