"""A thin REST client over the `kubernetes` ApiClient for any kind in `kinds.py`, as plain dicts.

The typed clients would need one API class per kind; the DynamicClient needs discovery first. This
builds URLs from the kinds table and speaks JSON, so runbooks handle core kinds, OpenShift kinds and
CRDs the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from urllib.parse import quote, urlencode

from quayops.errors import ClusterError
from quayops.kube.errors import status_error
from quayops.kube.kinds import Kind, find_kind

FIELD_MANAGER = "quayops"


class Cluster:
    """One cluster, through one ApiClient. Every method names its action in the errors it raises."""

    def __init__(self, api_client) -> None:
        self.api = api_client

    @classmethod
    def connect(cls, target: str | None = None, *, kubeconfig=None) -> Cluster:
        from quayops.kube.connect import connect

        return cls(connect(target, kubeconfig=kubeconfig))

    # -- reads ---------------------------------------------------------------------------------
    def get(self, api_version: str, kind: str, name: str, *, namespace: str | None = None) -> dict:
        return self._call("GET", self._path(api_version, kind, name, namespace), action=f"get {kind} {_ref(namespace, name)}")

    def find(self, api_version: str, kind: str, name: str, *, namespace: str | None = None) -> dict | None:
        """The object, or None when it does not exist."""
        from quayops.kube.errors import NotFoundError

        try:
            return self.get(api_version, kind, name, namespace=namespace)
        except NotFoundError:
            return None

    def list(self, api_version: str, kind: str, *, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None) -> dict:
        """The List object (items plus metadata.resourceVersion), across namespaces when namespace is None."""
        query = {"labelSelector": label_selector, "fieldSelector": field_selector}
        path = self._path(api_version, kind, None, namespace, query=query)
        return self._call("GET", path, action=f"list {kind} in {namespace or 'all namespaces'}")

    def server_version(self) -> dict:
        """The API server's `/version` (gitVersion, major, minor, platform)."""
        return self._call("GET", "/version", action="get the server version")

    def served_kinds(self, api_version: str) -> set[str]:
        """The kinds the server serves in one group version (discovery); empty when it serves none."""
        from quayops.kube.errors import NotFoundError

        path = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
        try:
            resources = self._call("GET", path, action=f"discover {api_version}").get("resources") or []
        except NotFoundError:
            return set()
        return {r["kind"] for r in resources if "/" not in r.get("name", "")}

    def watch(self, api_version: str, kind: str, *, namespace: str | None = None, resource_version: str = "",
              label_selector: str | None = None, field_selector: str | None = None,
              timeout_seconds: int = 300) -> Iterator[dict]:
        """Raw watch events `{"type", "object"}` from a resourceVersion; ends when the server closes."""
        from kubernetes.watch.watch import iter_resp_lines

        query = {"watch": "true", "resourceVersion": resource_version or None, "labelSelector": label_selector,
                 "fieldSelector": field_selector, "timeoutSeconds": str(timeout_seconds),
                 "allowWatchBookmarks": "true"}
        resp = self._request("GET", self._path(api_version, kind, None, namespace, query=query),
                             action=f"watch {kind} in {namespace or 'all namespaces'}", stream=True,
                             timeout=timeout_seconds + 10)
        try:
            for line in iter_resp_lines(resp.response):
                if line:
                    yield json.loads(line)
        finally:
            resp.response.release_conn()

    # -- writes --------------------------------------------------------------------------------
    def create(self, obj: Mapping, *, dry_run: bool = False) -> dict:
        """Create an object; `dry_run` asks the server to check the request without persisting it."""
        meta = obj.get("metadata") or {}
        query = {"dryRun": "All"} if dry_run else None
        path = self._path(obj["apiVersion"], obj["kind"], None, meta.get("namespace"), query=query)
        return self._call("POST", path, body=obj,
                          action=f"{'dry-run ' if dry_run else ''}create {obj['kind']} {_ref(meta.get('namespace'), meta.get('name') or meta.get('generateName'))}")

    def replace(self, obj: Mapping, *, subresource: str | None = None) -> dict:
        meta = obj["metadata"]
        path = self._path(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"), subresource=subresource)
        return self._call("PUT", path, body=obj, action=f"update {obj['kind']} {_ref(meta.get('namespace'), meta['name'])}")

    def patch(self, api_version: str, kind: str, name: str, patch: Mapping | list, *, namespace: str | None = None,
              patch_type: str = "merge", subresource: str | None = None) -> dict:
        """Merge (default), json or strategic patch of one object or its subresource."""
        ctype = {"merge": "application/merge-patch+json", "json": "application/json-patch+json",
                 "strategic": "application/strategic-merge-patch+json"}[patch_type]
        path = self._path(api_version, kind, name, namespace, subresource=subresource)
        return self._call("PATCH", path, body=patch, content_type=ctype,
                          action=f"patch {kind} {_ref(namespace, name)}{'/' + subresource if subresource else ''}")

    def apply(self, obj: Mapping, *, field_manager: str = FIELD_MANAGER, force: bool = False) -> dict:
        """Server-side apply: creates or updates the fields this manager owns."""
        meta = obj["metadata"]
        query = {"fieldManager": field_manager, "force": "true" if force else None}
        path = self._path(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"), query=query)
        return self._call("PATCH", path, body=obj, content_type="application/apply-patch+yaml",
                          action=f"apply {obj['kind']} {_ref(meta.get('namespace'), meta['name'])}")

    def delete(self, api_version: str, kind: str, name: str, *, namespace: str | None = None,
               propagation: str = "Background") -> dict:
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation}
        return self._call("DELETE", self._path(api_version, kind, name, namespace), body=body,
                          action=f"delete {kind} {_ref(namespace, name)}")

    # -- plumbing ------------------------------------------------------------------------------
    def _path(self, api_version: str, kind: str, name: str | None, namespace: str | None, *,
              subresource: str | None = None, query: Mapping | None = None) -> str:
        k: Kind | None = find_kind(api_version, kind)
        if k is None:
            raise ClusterError(f"unknown kind {api_version}/{kind}: quayops.kube.kinds does not list it", field="kind")
        base = f"/api/{k.version}" if not k.group else f"/apis/{k.group}/{k.version}"
        if k.namespaced and namespace:
            base += f"/namespaces/{quote(namespace)}"
        path = f"{base}/{k.plural}"
        if name:
            path += f"/{quote(name)}"
        if subresource:
            path += f"/{subresource}"
        params = {key: v for key, v in (query or {}).items() if v is not None}
        return path + (f"?{urlencode(params)}" if params else "")

    def _request(self, method: str, path: str, *, action: str, body=None, content_type: str = "application/json",
                 stream: bool = False, timeout: float = 60):
        from urllib3.exceptions import HTTPError

        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        auth_headers: dict = {}
        self.api.update_params_for_auth(auth_headers, [], ["BearerToken"], path, method, body)
        headers.update(auth_headers)
        url = self.api.configuration.host + path
        # the REST client JSON-encodes bodies of JSON content types itself; apply-patch+yaml goes as text
        data = body if body is None or "json" in content_type else json.dumps(body)
        try:
            resp = self.api.call_api(method, url, header_params=headers, body=data, _request_timeout=timeout)
        except (HTTPError, OSError) as e:
            raise ClusterError(f"{action}: cannot reach the API server at {self.api.configuration.host}: {e}",
                               step=action) from e
        if resp.status >= 400:
            raise status_error(resp.status, resp.read(), action=action)
        return resp

    def _call(self, method: str, path: str, *, action: str, **kw) -> dict:
        return json.loads(self._request(method, path, action=action, **kw).read() or b"{}")


def _ref(namespace: str | None, name: str | None) -> str:
    return f"{namespace}/{name}" if namespace else str(name)
