"""The managed `objectstorage` component's ObjectBucketClaim. Mirrors quay-operator
kustomize/components/objectstorage (operator-facts §5.2; the NooBaa manifest there is not rendered)."""

from __future__ import annotations

from quayops.operator.rendering.base import Context, obj


def render(ctx: Context) -> list[dict]:
    return [obj("objectbucket.io/v1alpha1", "ObjectBucketClaim", ctx.n("quay-datastore"), component="objectstorage",
                label="quay-datastore", spec={
                    "generateBucketName": "quay-datastore",
                    "storageClassName": "openshift-storage.noobaa.io",
                    "additionalConfig": {"bucketclass": "noobaa-default-bucket-class"},
                })]
