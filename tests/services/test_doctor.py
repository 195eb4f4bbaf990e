"""The doctor's judgements: connection budget, versions, disk, and the public address's TLS
certificate checked against a real TLS server on 127.0.0.1."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import make_settings
from vellarys.domain import doctor
from vellarys.domain.doctor import GIB, Budget, budget_check, disk_check, versions_check
from vellarys.services.doctor import tls_checks


def _budget(api: int, workers: int, max_connections: int) -> Budget:
    return Budget(
        api_processes=api,
        worker_processes=workers,
        pool_size=10,
        max_overflow=20,
        worker_queue_connections=4,
        api_extra_connections=6,
        headroom=3,
        max_connections=max_connections,
        reserved_connections=3,
        in_use=0,
    )


def test_two_apis_and_two_workers_do_not_fit_the_default_max_connections() -> None:
    assert budget_check(_budget(1, 1, 100)).status == "ok"  # 73 of 97
    tight = budget_check(_budget(1, 1, 85))  # 73 of 82: above 80 %
    assert tight.status == "warn"
    over = budget_check(_budget(2, 2, 100))  # 2 x (30 + 6) + 2 x 34 + 3 = 143 of 97
    assert over.status == "fail" and "143 of 97" in over.detail


def test_versions_and_disk_thresholds() -> None:
    assert versions_check(140010, "14.10", "0.8.0").status == "fail"
    assert versions_check(150020, "15.20", None).status == "fail"
    assert versions_check(150020, "15.20", "0.5.1").status == "fail"
    assert versions_check(160002, "16.2", "0.6.2").status == "ok"
    assert disk_check("/d", free=GIB // 2, total=100 * GIB).status == "fail"
    assert disk_check("/d", free=4 * GIB, total=20 * GIB).status == "warn"
    assert disk_check("/d", free=50 * GIB, total=100 * GIB).status == "ok"


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A TLS server for 'localhost' with a self-signed certificate valid for 30 days."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass  # a client that refuses our certificate hangs up mid-handshake

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], cert_file
    stop.set()
    thread.join()
    listener.close()


def test_the_tls_check_refuses_an_untrusted_certificate_and_reads_a_trusted_ones_expiry(
    tls_server: tuple[int, Path], tmp_path: Path
) -> None:
    port, cert_file = tls_server
    settings = make_settings(
        "postgresql://x@h/db",
        tmp_path,
        environment="production",
        secret_key="s" * 40,
        public_url=f"https://localhost:{port}",
    )
    untrusted = tls_checks(settings)
    assert [c.status for c in untrusted] == ["ok", "fail"]
    assert "self-signed" in untrusted[1].detail or "verify" in untrusted[1].detail
    trusted = tls_checks(settings, str(cert_file))[1]
    assert trusted.status == "ok"
    assert "valid for 29 more days" in trusted.detail or "valid for 30 more days" in trusted.detail


def test_workers_are_counted_as_the_processes_the_operator_started() -> None:
    two_of_two = doctor.workers_check(alive=4, heartbeat_seconds=60, per_process=2, expected=2)
    assert (two_of_two.status, two_of_two.detail.split(" (")[0]) == ("ok", "2 of 2 processes alive")
    one_missing = doctor.workers_check(alive=2, heartbeat_seconds=60, per_process=2, expected=2)
    assert one_missing.status == "warn" and "1 of 2" in one_missing.detail
    assert doctor.workers_check(alive=0, heartbeat_seconds=60).status == "warn"
