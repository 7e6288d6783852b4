"""An external Mosquitto broker for the tests that run against one.

Started from the ``mosquitto`` binary on a free port with ``max_queued_messages 0`` (the
default of 1000 silently drops QoS 1 bursts). Without the binary the tests skip, saying why —
unless ``S1HARNESS_REQUIRE_MOSQUITTO`` is set (CI installs it), when they fail instead.
"""

from __future__ import annotations

import asyncio
import getpass
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from s1harness.services.broker import EmbeddedBroker
from s1harness.services.mqtt import BrokerAccess, MqttBus, parse_url
from s1harness.spec.bus import Envelope, Kind, on_wire, s1sp_requests
from s1harness.spec.wire import acknowledgements, decode, encode_ack

if TYPE_CHECKING:
    import aiomqtt


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def tls_files(name: str = "s1harness test broker CA") -> tuple[bytes, bytes, bytes]:
    """(CA certificate, server certificate for 127.0.0.1, server key), PEM."""
    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    return _pem(ca), _pem(server), key_pem


CONFIG = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
set_tcp_nodelay true
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mosquitto exited with status {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"mosquitto did not listen on port {port} within {timeout} s")


def _binary(name: str) -> str:
    """The Mosquitto program ``name``, or skip (fail when CI requires Mosquitto)."""
    found = shutil.which(name) or next(
        (str(p) for d in ("/usr/sbin", "/usr/local/sbin", "/usr/bin")
         if (p := Path(d) / name).exists()), None,
    )  # fmt: skip
    if found is None:
        if os.environ.get("S1HARNESS_REQUIRE_MOSQUITTO"):
            pytest.fail(f"{name} is required here (S1HARNESS_REQUIRE_MOSQUITTO) but not installed")
        pytest.skip(f"{name} is not installed (apt-get install mosquitto)")
    return found


@contextmanager
def _running(folder: Path, config: str, port: int) -> Iterator[None]:
    path = folder / "mosquitto.conf"
    path.write_text(config)
    with (folder / "mosquitto.log").open("wb") as log:
        process = subprocess.Popen([_binary("mosquitto"), "-c", str(path)], stdout=log, stderr=log)
        try:
            wait_for(port, process)
            yield
        finally:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def mosquitto(folder: Path) -> Iterator[str]:
    """A Mosquitto broker for the duration; yields its URL."""
    port = free_port()
    with _running(folder, CONFIG.format(port=port), port):
        yield f"mqtt://127.0.0.1:{port}"


RECIPE = Path(__file__).parent.parent / "emulators" / "mosquitto"


@contextmanager
def secured_mosquitto(folder: Path, ca: bytes, cert: bytes, key: bytes,
                      passwords: dict[str, str]) -> Iterator[str]:  # fmt: skip
    """Mosquitto run from the TLS recipe (``emulators/mosquitto/mosquitto-tls.conf`` and its
    ``acl``) with these TLS files and users, on a free port on 127.0.0.1; yields its URL."""
    for name, data in (("ca.pem", ca), ("server.pem", cert), ("server-key.pem", key)):
        (folder / name).write_bytes(data)
    (folder / "passwords").write_text("")
    for user, password in passwords.items():
        subprocess.run([_binary("mosquitto_passwd"), "-b", str(folder / "passwords"), user,
                        password], check=True, capture_output=True)  # fmt: skip
    shutil.copy(RECIPE / "acl", folder / "acl")
    port = free_port()
    lines = []
    for line in (RECIPE / "mosquitto-tls.conf").read_text().splitlines():
        word, _, value = line.partition(" ")
        if word == "listener":
            lines.append(f"listener {port} 127.0.0.1")
        elif word in ("cafile", "certfile", "keyfile", "password_file", "acl_file"):
            lines.append(f"{word} {folder / value}")
        else:
            lines.append(line)
    lines.append(f"user {getpass.getuser()}")  # run as root, it would otherwise drop to mosquitto
    with _running(folder, "\n".join(lines) + "\n", port):
        yield f"mqtts://127.0.0.1:{port}"


def login(broker: EmbeddedBroker, name: str = "harness") -> dict[str, str]:
    """The user name and password an aiomqtt client gives the embedded broker as ``name``."""
    return _login(broker.access(name))


def login_env(broker: EmbeddedBroker, name: str = "harness") -> dict[str, str]:
    """The environment a process of its own needs to log in to the embedded broker as ``name``."""
    given = login(broker, name)
    return {
        "S1HARNESS_BROKER_USERNAME": given["username"],
        "S1HARNESS_BROKER_PASSWORD": given["password"],
    }


async def forged_acknowledgements_change_nothing(
    url: str, access: Callable[[str], BrokerAccess], run: str
) -> None:
    """A DSP's request to the IOC S1SP stays with the DSP, resent, while a client logged in as
    ``devices`` acknowledges it — under its own name (the producer ignores it) and under the
    S1SP's (the broker's access list refuses it) — and ends only when the S1SP takes it.

    The attacker is handed the message's ID and ``ack_to`` (read by a ``harness`` client): the
    worst case, since its own access list does not let it read the S1SP's requests.
    """
    topic = s1sp_requests("IOC")
    async with (
        MqttBus(url, access=access("dsp"), run=run, retry_interval=0.3) as dsp,
        _client(url, access("harness")) as spy,
        _client(url, access("devices")) as rogue,
    ):
        await spy.subscribe(on_wire(run, topic), qos=1)
        await dsp.publish(Envelope(topic, Kind.COUNTERSIGNED_REQUEST, b"<r/>", "c-1"))
        async with asyncio.timeout(10):
            message = await anext(aiter(spy.messages))
        assert isinstance(message.payload, bytes)
        seen = decode(topic, message.payload)
        assert seen.ack_to is not None
        for name in ("devices", "s1sp-IOC"):
            forged = on_wire(run, acknowledgements(seen.ack_to, name))
            await rogue.publish(forged, encode_ack([seen.message_id]), qos=1)
        await asyncio.sleep(1.0)
        assert dsp.busy(), "a forged acknowledgement ended the resending"
        assert dsp.stats.forged_acks == 1  # the devices' own-name one, seen and ignored
        async with MqttBus(url, access=access("s1sp-IOC"), run=run) as s1sp:
            taken = s1sp.subscribe(topic)
            assert (await taken.get(10)).correlation_id == "c-1"
            async with asyncio.timeout(10):
                while dsp.busy():
                    await asyncio.sleep(0.05)
        assert dsp.stats.acked == 1


def _client(url: str, access: BrokerAccess) -> aiomqtt.Client:
    import aiomqtt  # the test extra's independent client; a feature run never gets here

    host, port = parse_url(url)
    return aiomqtt.Client(host, port, **_login(access), tls_context=access.tls_context())


def _login(access: BrokerAccess) -> dict[str, str]:
    assert access.username is not None and access.password is not None
    return {"username": access.username, "password": access.password}
