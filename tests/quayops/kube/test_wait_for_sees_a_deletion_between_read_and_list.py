"""wait_for: an object deleted between its first read and the watch's list counts as gone (no watch event follows)."""

from quayops.kube.watching import wait_for


class Racing:
    """The object exists when read, is gone when listed, and the watch brings nothing more."""

    def find(self, *_a, **_kw):
        return {"metadata": {"name": "r", "resourceVersion": "5"}}

    def list(self, *_a, **_kw):
        return {"items": [], "metadata": {"resourceVersion": "6"}}

    def watch(self, *_a, **_kw):
        return iter(())


def test_deletion_between_read_and_list_satisfies_a_wait_for_absence():
    assert wait_for(Racing(), "v1", "ConfigMap", "r", namespace="n", condition=lambda o: o is None, timeout=5) is None
