"""tls unmanaged with a certificate pair in the bundle (guide 3.4): the operator renders a passthrough route for
SERVER_HOSTNAME, the router passes TLS through by SNI, and Quay itself presents the bundle's certificate. The host
lies outside the apps domain, so the published resolve map gains an entry for it."""

from __future__ import annotations

import datetime
import socket
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from quayops.kube.resolve import lookup, resolve_map

HOST = "registry.example.test"


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pair(host: str) -> tuple[bytes, bytes, bytes]:
    """(CA, certificate, key) PEM: a private CA and a serving certificate for `host`."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test registry CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return ca.public_bytes(serialization.Encoding.PEM), cert.public_bytes(serialization.Encoding.PEM), _pem(key)


def test_passthrough_route_presents_quays_own_certificate(deploy, tmp_path):
    ca, cert, key = _pair(HOST)
    ca_file = tmp_path / "ca.crt"
    ca_file.write_bytes(ca)
    r = deploy({"SERVER_HOSTNAME": HOST}, files={"ssl.cert": cert, "ssl.key": key},
               components=[{"kind": "tls", "managed": False}], verify=str(ca_file))
    route = r.cluster.get("route.openshift.io/v1", "Route", f"{r.name}-quay", namespace=r.namespace)
    assert (route["spec"]["host"], route["spec"]["tls"]["termination"]) == (HOST, "passthrough")

    address = lookup(resolve_map(kubeconfig=r.sim.kubeconfig_path), HOST, 443)
    assert address is not None, "the kubeconfig's resolve map names the route's own host"
    only_test_ca = ssl.create_default_context(cafile=None, cadata=ca.decode())
    with socket.create_connection(address, timeout=10) as raw, \
            only_test_ca.wrap_socket(raw, server_hostname=HOST) as tls:
        assert tls.getpeercert()["subject"] == ((("commonName", HOST),),)

    health = r.session.get(f"https://{HOST}/health/instance", verify=str(ca_file), timeout=10)
    assert health.status_code == 200
    challenge = r.session.get(f"https://{HOST}/v2/", verify=str(ca_file), timeout=10)
    assert challenge.headers["WWW-Authenticate"].startswith(f'Bearer realm="https://{HOST}/v2/auth"')
