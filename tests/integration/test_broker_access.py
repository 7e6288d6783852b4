"""A shared broker secured as emulators/mosquitto recommends: TLS checked against the CA, a
password per role from the environment (never printed), and the recipe's access list keeping
each role to its own topics. Bad access settings are one-line errors."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from brokers import forged_acknowledgements_change_nothing, secured_mosquitto, tls_files
from s1harness.services.mqtt import BrokerAccess, MqttBus
from s1harness.spec.bus import Envelope, Kind, dsp_requests, s1sp_requests
from s1harness.spec.errors import InputError

pytestmark = pytest.mark.mqtt

PASSWORDS = {
    "harness": "harness-pw-1",
    "dsp": "dsp-pw-2",
    "s1sp-IOC": "ioc-pw-3",
    "devices": "dev-pw-4",
}


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("secured")
    ca, cert, key = tls_files()
    with secured_mosquitto(folder, ca, cert, key, PASSWORDS) as url:
        yield url, folder / "ca.pem"


def _access(ca: Path, user: str | None, password: str | None = None) -> BrokerAccess:
    environ = {"S1HARNESS_BROKER_CA": str(ca)}
    if user is not None:
        environ["S1HARNESS_BROKER_USERNAME"] = user
        environ["S1HARNESS_BROKER_PASSWORD"] = password or PASSWORDS[user]
    return BrokerAccess.of("mqtts://127.0.0.1", environ)


def _bus(url: str, access: BrokerAccess, run: str) -> MqttBus:
    return MqttBus(url, access=access, run=run, connect_timeout=5, retry_interval=0.3)


async def test_roles_with_their_passwords_talk_over_tls_within_their_access_list(
    broker: tuple[str, Path],
) -> None:
    url, ca = broker
    async with (
        _bus(url, _access(ca, "harness"), "tls-1") as harness,
        _bus(url, _access(ca, "dsp"), "tls-1") as dsp,
        _bus(url, _access(ca, "s1sp-IOC"), "tls-1") as ioc,
    ):
        dsp_in = dsp.subscribe(dsp_requests())
        ioc_in = ioc.subscribe(s1sp_requests("IOC"))
        prying = ioc.subscribe(dsp_requests())  # not IOC's to read: the broker keeps it out
        for bus in (dsp, ioc):
            await bus.subscribed()
        await harness.publish(Envelope(dsp_requests(), Kind.GBCS_COMMAND, b"<r/>", "a"))
        assert (await dsp_in.get(10)).correlation_id == "a"
        await dsp.publish(Envelope(s1sp_requests("IOC"), Kind.GBCS_COMMAND, b"<r/>", "b"))
        assert (await ioc_in.get(10)).correlation_id == "b"
        # IOC may not write DSP requests: the broker drops it, so nobody acknowledges it
        await ioc.publish(Envelope(dsp_requests(), Kind.GBCS_COMMAND, b"<forged/>", "c"))
        await asyncio.sleep(1.0)
        assert dsp_in.pending() == 0 and prying.pending() == 0
        assert ioc.busy()  # still unacknowledged, resent in vain


async def test_a_forged_acknowledgement_under_the_recipe_changes_nothing(
    broker: tuple[str, Path],
) -> None:
    url, ca = broker
    await forged_acknowledgements_change_nothing(url, lambda login: _access(ca, login), "tls-3")


@pytest.mark.parametrize("who", ["wrong password", "no credentials", "untrusted CA"])
async def test_a_client_the_broker_refuses_is_one_line_without_the_password(
    broker: tuple[str, Path], who: str, tmp_path: Path
) -> None:
    url, ca = broker
    if who == "wrong password":
        access = _access(ca, "dsp", "not-the-s3cret")
    elif who == "no credentials":
        access = _access(ca, None)
    else:
        other = tmp_path / "other-ca.pem"
        other.write_bytes(tls_files("another CA")[0])
        access = _access(other, "dsp")
    # Refused at once, not at the end of the connect wait: a client that kept trying would
    # reach the (much shorter) timeout below and fail.
    bus = MqttBus(url, access=access, run="tls-2", connect_timeout=600)
    async with asyncio.timeout(60):
        with pytest.raises(InputError, match="cannot reach the MQTT broker") as refused:
            await bus.__aenter__()
    assert "\n" not in refused.value.message
    assert "not-the-s3cret" not in refused.value.message
    assert "s3cret" not in repr(access)


@pytest.mark.parametrize(
    ("environ", "why"),
    [
        ({"S1HARNESS_BROKER_PASSWORD": "x"}, "needs a user name"),
        ({"S1HARNESS_BROKER_USERNAME": "u", "S1HARNESS_BROKER_PASSWORD": "x",
          "S1HARNESS_BROKER_PASSWORD_FILE": "/nonexistent"}, "not both"),
        ({"S1HARNESS_BROKER_USERNAME": "u",
          "S1HARNESS_BROKER_PASSWORD_FILE": "/nonexistent"}, "cannot read it"),
        ({"S1HARNESS_BROKER_CA": "/nonexistent"}, "is not a file"),
    ],
)  # fmt: skip
def test_bad_access_settings_are_one_line(environ: dict[str, str], why: str) -> None:
    with pytest.raises(InputError, match=why):
        BrokerAccess.of("mqtts://broker", environ)


def test_a_password_file_and_plain_mqtt(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("from-a-file\n")
    environ = {"S1HARNESS_BROKER_USERNAME": "dsp", "S1HARNESS_BROKER_PASSWORD_FILE": str(secret)}
    access = BrokerAccess.of("mqtt://broker", environ)
    assert (access.username, access.password, access.tls) == ("dsp", "from-a-file", False)
    assert access.tls_context() is None
    with pytest.raises(InputError, match="for mqtts"):
        BrokerAccess.of("mqtt://broker", {"S1HARNESS_BROKER_CA": str(secret)})
