"""config-tool's 24 field groups (pkg/lib/fieldgroups/*), one module each: `parse(config)` is the
constructor's type check, `validate(config, files)` the group's static rules. Pure."""

from __future__ import annotations

from quayops.config.fieldgroups import (
    accesssettings,
    actionlogarchiving,
    apptokenauthentication,
    bitbucketbuildtrigger,
    buildmanager,
    database,
    distributedstorage,
    elasticsearch,
    email,
    githubbuildtrigger,
    githublogin,
    gitlabbuildtrigger,
    googlelogin,
    hostsettings,
    jwtauthentication,
    ldap,
    oidc,
    quaydocumentation,
    redis,
    repomirror,
    securityscanner,
    teamsyncing,
    timemachine,
    uservisiblesettings,
)

# config.NewConfig's constructor order: it decides which type error is reported (config-facts §1.1 step 5)
CONSTRUCTION_ORDER = (
    bitbucketbuildtrigger, elasticsearch, securityscanner, actionlogarchiving, uservisiblesettings,
    hostsettings, googlelogin, githublogin, repomirror, apptokenauthentication, quaydocumentation,
    githubbuildtrigger, gitlabbuildtrigger, database, timemachine, teamsyncing, distributedstorage,
    accesssettings, jwtauthentication, email, redis, ldap, oidc, buildmanager,
)
# Validate runs on every group, in alphabetical order of group name (config-facts §1.1 step 7)
VALIDATION_ORDER = tuple(sorted(CONSTRUCTION_ORDER, key=lambda module: module.GROUP))
