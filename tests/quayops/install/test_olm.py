"""Operator install parameters: channels, approval, namespaces and digest-only image overrides (guide 2, 8.4)."""

from __future__ import annotations

import pytest

from quayops.install import InstallParametersInvalid
from quayops.install.olm import check_image_overrides, plan_operator_install

DIGEST = "quay.io/projectquay/quay@sha256:" + "c" * 64


def test_all_namespaces_subscribes_in_openshift_operators_without_a_group_of_its_own():
    install = plan_operator_install(channel="stable-3.7")
    assert (install.namespace, install.operator_group) == ("openshift-operators", None)
    assert install.subscription["spec"] == {"channel": "stable-3.7", "installPlanApproval": "Automatic",
                                            "name": "quay-operator", "source": "redhat-operators",
                                            "sourceNamespace": "openshift-marketplace"}


def test_one_namespace_gets_an_operator_group_targeting_it():
    install = plan_operator_install(channel="stable-3.6", all_namespaces=False, namespace="quay-registry",
                                    approval="Manual")
    assert install.operator_group["spec"] == {"targetNamespaces": ["quay-registry"]}
    assert install.subscription["metadata"]["namespace"] == "quay-registry"


def test_an_unsupported_channel_says_which_ones_to_use():
    with pytest.raises(InstallParametersInvalid) as e:
        plan_operator_install(channel="stable-3.9")
    assert e.value.field == "channel"
    assert str(e.value) == ("channel 'stable-3.9' is not a Quay Operator channel quayops supports (guide 2) Set channel "
                            "to one of stable-3.4, stable-3.5, stable-3.6, stable-3.7; stable-3.7 is the guide's.")


def test_an_image_override_by_tag_is_refused():
    with pytest.raises(InstallParametersInvalid, match=r"RELATED_IMAGE_COMPONENT_QUAY='quay.io/q:latest' is not pinned"):
        check_image_overrides({"quay": "quay.io/q:latest"})


def test_short_override_names_map_to_the_operator_env():
    assert check_image_overrides({"quay": DIGEST}) == {"RELATED_IMAGE_COMPONENT_QUAY": DIGEST}
    with pytest.raises(InstallParametersInvalid, match="names no operator image"):
        check_image_overrides({"builder": DIGEST})
