"""Commands in pods and local ports to pods, over the API server's WebSocket subresources (`pods/exec`,
`pods/portforward`) with the `kubernetes` client: what `oc exec` and `oc port-forward` do, on any cluster."""

from __future__ import annotations

import ast
import contextlib
import json
import logging
import re
import socket
import threading
from collections.abc import Iterator, Sequence
from typing import IO

from quayops.errors import ClusterError
from quayops.kube.errors import status_error

log = logging.getLogger(__name__)

STDIN, STDOUT, STDERR, ERROR, CLOSE = 0, 1, 2, 3, 255
V5 = "v5.channel.k8s.io"
CHUNK = 1024 * 1024
STDERR_LIMIT = 64 * 1024
_HANDSHAKE = re.compile(r"Handshake status (\d+)")


def exec_in_pod(cluster, namespace: str, pod: str, argv: Sequence[str], *, container: str | None = None,
                stdin: bytes | IO[bytes] | None = None, stdout: IO[bytes] | None = None,
                timeout: float | None = None) -> tuple[int, str]:
    """Run `argv` in the pod; returns (exit code, the last 64 KiB of stderr).

    Output streams into `stdout` as it arrives (never held in memory); `stdin` is sent, then closed (needs
    `v5.channel.k8s.io`, Kubernetes 1.30+). `timeout` bounds each wait for the server. Raises ClusterError
    when the pod or container cannot be reached, or the runtime fails before an exit code.
    """
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException
    from kubernetes.stream import stream
    from websocket import ABNF, WebSocketException

    action = f"exec {list(argv)[:1]} in pod {namespace}/{pod}"
    kwargs = {"container": container} if container else {}
    try:
        ws = stream(client.CoreV1Api(cluster.api).connect_get_namespaced_pod_exec, pod, namespace,
                    command=list(argv), stdin=stdin is not None, stdout=True, stderr=True, tty=False,
                    _preload_content=False, binary=True, **kwargs)
    except ApiException as e:
        raise _handshake_error(e, action=action) from e
    sock = ws.sock
    sock.settimeout(timeout)
    feeder = None
    if stdin is not None:
        if ws.subprotocol != V5:
            ws.close()
            raise ClusterError(f"{action}: the server speaks {ws.subprotocol or 'an old protocol'}, which cannot "
                               "close stdin", hint="Feeding stdin needs v5.channel.k8s.io (Kubernetes 1.30+).")
        feeder = threading.Thread(target=_feed, args=(ws, stdin), daemon=True, name="exec-stdin")
        feeder.start()
    stderr, error = bytearray(), bytearray()
    try:
        while True:
            opcode, frame = sock.recv_data_frame(True)
            if opcode == ABNF.OPCODE_CLOSE:
                break
            if opcode not in (ABNF.OPCODE_BINARY, ABNF.OPCODE_TEXT) or not frame.data:
                continue
            channel, data = frame.data[0], frame.data[1:]
            if channel == STDOUT and stdout is not None and data:
                stdout.write(data)
            elif channel == STDERR:
                stderr += data
                del stderr[:-STDERR_LIMIT]
            elif channel == ERROR:
                error += data
    except WebSocketException as e:
        raise ClusterError(f"{action}: the stream broke: {type(e).__name__}: {e}") from e
    except TimeoutError as e:
        raise ClusterError(f"{action}: no answer within {timeout} s") from e
    finally:
        with contextlib.suppress(Exception):
            ws.close()
    return _exit_code(bytes(error), action=action), stderr.decode(errors="replace")


def _feed(ws, source: bytes | IO[bytes]) -> None:
    """stdin → channel 0, then the v5 close signal for channel 0 (EOF for the command)."""
    from websocket import WebSocketException

    try:
        if isinstance(source, bytes):
            for i in range(0, len(source), CHUNK):
                ws.write_channel(STDIN, source[i:i + CHUNK])
        else:
            while chunk := source.read(CHUNK):
                ws.write_channel(STDIN, chunk)
        ws.close_channel(STDIN)
    except (WebSocketException, OSError) as e:  # the command ended first: its exit code and stderr say why
        log.debug("stdin not fully sent: %s", e)


def _exit_code(error: bytes, *, action: str) -> int:
    """The error channel's Status → exit code; any other failure → ClusterError with the server's message."""
    if not error:
        return 0
    try:
        status = json.loads(error)
    except ValueError:
        raise ClusterError(f"{action}: {error.decode(errors='replace')[:256]}") from None
    if status.get("status") == "Success":
        return 0
    causes = (status.get("details") or {}).get("causes") or []
    if status.get("reason") == "NonZeroExitCode":
        for cause in causes:
            if cause.get("reason") == "ExitCode":
                return int(cause["message"])
    raise ClusterError(f"{action}: {str(status.get('message') or status)[:256]}")


def _handshake_error(e, *, action: str) -> ClusterError:
    """The kubernetes client reports a refused WebSocket upgrade as status 0 with the answer in `reason`."""
    reason = str(e.reason or "")
    match = _HANDSHAKE.search(reason)
    body: bytes | str = reason
    if "-+-+- " in reason:
        with contextlib.suppress(ValueError, SyntaxError):
            body = ast.literal_eval(reason.rsplit("-+-+- ", 1)[1].strip())
    return status_error(int(match.group(1)) if match else 0, body, action=action)


@contextlib.contextmanager
def port_forward(cluster, namespace: str, pod: str, port: int, *, local_port: int = 0) -> Iterator[tuple[str, int]]:
    """Listen on 127.0.0.1 (`local_port`, default any) and forward each connection to the pod's `port`,
    as `oc port-forward` does; yields the local (host, port). Each connection has its own WebSocket."""
    listener = socket.create_server(("127.0.0.1", local_port))
    address = listener.getsockname()[:2]

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=_forward, args=(cluster, namespace, pod, port, conn), daemon=True,
                             name=f"port-forward-{port}").start()

    acceptor = threading.Thread(target=accept, daemon=True, name=f"port-forward-{port}-accept")
    acceptor.start()
    try:
        yield address
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        acceptor.join(5)


def _forward(cluster, namespace: str, pod: str, port: int, conn: socket.socket) -> None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException
    from kubernetes.stream import portforward

    try:
        forward = portforward(client.CoreV1Api(cluster.api).connect_get_namespaced_pod_portforward, pod,
                              namespace, ports=str(port))
        remote = forward.socket(port)
        remote.setblocking(True)
    except (ApiException, OSError) as e:
        log.warning("port-forward to %s/%s:%s failed: %s", namespace, pod, port, getattr(e, "reason", e))
        conn.close()
        return
    back = threading.Thread(target=_copy, args=(remote, conn), daemon=True)
    back.start()
    _copy(conn, remote)
    back.join()
    if forward.error(port):
        log.warning("port-forward to %s/%s:%s: %s", namespace, pod, port, forward.error(port))


def _copy(source: socket.socket, sink: socket.socket) -> None:
    """Bytes one way until EOF or an error; then the other side learns it (the forward ends with either)."""
    try:
        while data := source.recv(CHUNK):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (sink, source):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sink.close()
