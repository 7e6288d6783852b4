"""An external Mosquitto broker for the tests that run against one.

Started from the ``mosquitto`` binary on a free port with ``max_queued_messages 0`` (the
default of 1000 silently drops QoS 1 bursts). Without the binary the tests skip, saying why —
unless ``S1HARNESS_REQUIRE_MOSQUITTO`` is set (CI installs it), when they fail instead.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

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
