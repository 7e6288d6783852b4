"""An external Mosquitto broker for the tests that run against one.

Started from the ``mosquitto`` binary on a free port with ``max_queued_messages 0`` (the
default of 1000 silently drops QoS 1 bursts). Without the binary the tests skip, saying why —
unless ``S1HARNESS_REQUIRE_MOSQUITTO`` is set (CI installs it), when they fail instead.
"""

from __future__ import annotations

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


@contextmanager
def mosquitto(folder: Path) -> Iterator[str]:
    """A Mosquitto broker for the duration; yields its URL."""
    binary = shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None
    )
    if binary is None:
        if os.environ.get("S1HARNESS_REQUIRE_MOSQUITTO"):
            pytest.fail(
                "mosquitto is required here (S1HARNESS_REQUIRE_MOSQUITTO) but not installed"
            )
        pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
    port = free_port()
    config = folder / "mosquitto.conf"
    config.write_text(CONFIG.format(port=port))
    with (folder / "mosquitto.log").open("wb") as log:
        process = subprocess.Popen([binary, "-c", str(config)], stdout=log, stderr=log)
        try:
            wait_for(port, process)
            yield f"mqtt://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
