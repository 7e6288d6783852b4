"""SMETS1 ESME and GPF emulators: integrity, anti-replay, execution, alerts, commissioning
(docs/smets1-instruction-frame.md §5, §6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s1harness.roles.smets1 import (
    AlertCode,
    CertificateId,
    Cohort,
    CredentialRecord,
    CredentialsRecorded,
    CredentialUpdate,
    DeviceAlert,
    DeviceResponse,
    DeviceState,
    DeviceStatus,
    DeviceType,
    EsmeState,
    ImportReading,
    Instruction,
    InstructionCode,
    OutageAlert,
    RejectionReason,
    ResponseStatus,
    Smets1Commissioning,
    Smets1Device,
    Smets1Esme,
    Smets1Gpf,
    SupplyReport,
    SupplyState,
    Tlv,
    decode,
    diagnostic,
    seal,
    unseal,
    verify,
)
from s1harness.roles.smets1.frames import integrity_tag
from s1harness.spec import InputError, RemotePartyRole

SEED = b"s1harness unit-test seed (not a secret)"
ESME_ID, GPF_ID = "00DB1234567890A0", "00DB1234567890A3"
COMMISSIONING = Smets1Commissioning(SEED)
T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
NO, SUPPLIER = RemotePartyRole.NETWORK_OPERATOR, RemotePartyRole.SUPPLIER
IC = InstructionCode


class Clock:
    """A device clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def esme(clock: Clock) -> Smets1Esme:
    return COMMISSIONING.esme(ESME_ID, Cohort.MOC, clock, EsmeState(import_register_wh=1000))


@pytest.fixture
def gpf(clock: Clock) -> Smets1Gpf:
    return COMMISSIONING.gpf(GPF_ID, Cohort.MOC, clock)


class S1sp:
    """Just enough of an S1SP to instruct one device: counters and the device key."""

    def __init__(self, device: Smets1Device) -> None:
        self.device, self.sequence, self.correlation = device, 0, 5000
        self.key = COMMISSIONING.device_key(device.device_id)

    def frame(self, code: int, body: tuple[Tlv, ...] = (), **fields: object) -> bytes:
        self.sequence += 1
        self.correlation += 1
        header: dict[str, object] = {
            "cohort": self.device.cohort,
            "device_id": self.device.device_id,
            "sequence": self.sequence,
            "correlation": self.correlation,
        }
        header.update(fields)
        return seal(Instruction(**header, code=code, body=body), self.key)  # type: ignore[arg-type]

    def send(self, code: int, body: tuple[Tlv, ...] = (), **fields: object) -> DeviceResponse:
        return self.deliver(self.frame(code, body, **fields))

    def deliver(self, frame: bytes) -> DeviceResponse:
        [reply] = self.device.receive(frame)
        response = unseal(reply, self.key)
        assert isinstance(response, DeviceResponse)
        sent = decode(frame)
        assert isinstance(sent, Instruction)
        assert (response.correlation, response.code) == (sent.correlation, sent.code)
        assert (response.device_id, response.cohort) == (self.device.device_id, self.device.cohort)
        return response


def _update(role: RemotePartyRole = NO, serial: int = 0x1234) -> tuple[Tlv, ...]:
    ids = CertificateId(serial, "Z1"), CertificateId(serial + 1, "Z1")
    return CredentialUpdate(role, *ids).to_body()


@pytest.mark.parametrize("code", [IC.JOIN, IC.PING])
def test_join_and_ping_report_device_type_and_clock(
    esme: Smets1Esme, gpf: Smets1Gpf, clock: Clock, code: InstructionCode
) -> None:
    clock.advance(seconds=30.7)
    for device, kind in ((esme, DeviceType.ESME), (gpf, DeviceType.GPF)):
        response = S1sp(device).send(code)
        assert response.status == ResponseStatus.OK
        expected = DeviceStatus(kind, T0 + timedelta(seconds=30))
        assert DeviceStatus.from_body(response.body) == expected


def test_esme_reads_its_import_register(esme: Smets1Esme) -> None:
    response = S1sp(esme).send(IC.READ_INSTANTANEOUS_IMPORT)
    assert ImportReading.from_body(response.body) == ImportReading(1000, T0)


def test_import_register_accrues_only_while_supply_flows(clock: Clock) -> None:
    esme = COMMISSIONING.esme(ESME_ID, Cohort.IOC, clock, import_rate_kw=2.0)
    s1sp = S1sp(esme)
    clock.advance(hours=1)
    assert esme.import_register_wh == 2000
    s1sp.send(IC.DISCONNECT_SUPPLY)
    clock.advance(hours=5)
    assert esme.import_register_wh == 2000
    s1sp.send(IC.RECONNECT_SUPPLY)
    clock.advance(minutes=30)
    esme.consume(0.25)
    assert ImportReading.from_body(s1sp.send(IC.READ_INSTANTANEOUS_IMPORT).body).register_wh == 3250
    esme.power_outage()
    clock.advance(hours=2)
    esme.power_restored()
    clock.advance(minutes=15)
    assert esme.import_register_wh == 3750


def test_import_register_never_decreases_when_the_clock_goes_back(clock: Clock) -> None:
    esme = COMMISSIONING.esme(ESME_ID, Cohort.IOC, clock, import_rate_kw=1.0)
    clock.advance(hours=1)
    esme.consume(0)
    clock.advance(hours=-3)
    assert esme.import_register_wh == 1000
    clock.advance(hours=3)
    assert esme.import_register_wh == 1000
    clock.advance(hours=1)
    assert esme.import_register_wh == 2000


def test_consumption_must_be_positive_and_needs_supply(esme: Smets1Esme) -> None:
    with pytest.raises(InputError, match="negative"):
        esme.consume(-1)
    with pytest.raises(InputError, match="negative"):
        COMMISSIONING.esme(ESME_ID, Cohort.IOC, lambda: T0, import_rate_kw=-1)
    S1sp(esme).send(IC.DISCONNECT_SUPPLY)
    with pytest.raises(InputError, match="no supply"):
        esme.consume(1)


def test_esme_disconnects_and_reconnects(esme: Smets1Esme) -> None:
    s1sp = S1sp(esme)
    for code, state in [
        (IC.DISCONNECT_SUPPLY, SupplyState.DISCONNECTED),
        (IC.DISCONNECT_SUPPLY, SupplyState.DISCONNECTED),
        (IC.RECONNECT_SUPPLY, SupplyState.CONNECTED),
    ]:
        response = s1sp.send(code)
        assert SupplyReport.from_body(response.body) == SupplyReport(state)
        assert esme.supply_state == state


@pytest.mark.parametrize(
    "code", [IC.DISCONNECT_SUPPLY, IC.RECONNECT_SUPPLY, IC.READ_INSTANTANEOUS_IMPORT]
)
def test_gpf_refuses_esme_instructions(gpf: Smets1Gpf, code: InstructionCode) -> None:
    before = gpf.state
    response = S1sp(gpf).send(code)
    assert response.status == ResponseStatus.NOT_SUPPORTED_BY_DEVICE_TYPE
    assert diagnostic(response.body) == f"{code.name} is not supported by a GPF"
    assert gpf.state == DeviceState(1, 1, before.credentials, None)
    assert gpf.last_rejection is not None
    assert gpf.last_rejection.reason == RejectionReason.NOT_SUPPORTED
    assert gpf.last_rejection.answered


@pytest.mark.parametrize("device_type", ["esme", "gpf"])
def test_credential_updates_record_generations_per_role(
    request: pytest.FixtureRequest, device_type: str
) -> None:
    device: Smets1Device = request.getfixturevalue(device_type)
    s1sp = S1sp(device)
    for generation, serial in enumerate((0x10, 0x20), start=1):
        response = s1sp.send(IC.UPDATE_SECURITY_CREDENTIALS, _update(NO, serial))
        assert CredentialsRecorded.from_body(response.body) == CredentialsRecorded(NO, generation)
    only_critical = CredentialUpdate(SUPPLIER, critical=CertificateId(7, "Z1")).to_body()
    s1sp.send(IC.UPDATE_SECURITY_CREDENTIALS, only_critical)
    assert device.credential_generation(NO) == 2
    assert device.credential_generation(SUPPLIER) == 1
    assert device.credential_generation(RemotePartyRole.ROOT) == 0
    assert device.state.credentials == {
        NO: CredentialRecord(2, CertificateId(0x20, "Z1"), CertificateId(0x21, "Z1")),
        SUPPLIER: CredentialRecord(1, CertificateId(7, "Z1")),
    }


def test_a_partial_update_keeps_the_other_slot(gpf: Smets1Gpf) -> None:
    s1sp = S1sp(gpf)
    s1sp.send(IC.UPDATE_SECURITY_CREDENTIALS, _update(NO, 0x10))
    s1sp.send(
        IC.UPDATE_SECURITY_CREDENTIALS,
        CredentialUpdate(NO, non_critical=CertificateId(0x99, "Z1")).to_body(),
    )
    assert gpf.state.credentials[NO] == CredentialRecord(
        2, CertificateId(0x10, "Z1"), CertificateId(0x99, "Z1")
    )


@pytest.mark.parametrize(
    ("code", "body", "fields", "why"),
    [
        (IC.UPDATE_SECURITY_CREDENTIALS, (Tlv(1, b"\x00"),), {}, "role 0 has no slot"),
        (IC.UPDATE_SECURITY_CREDENTIALS, _update()[:2], {}, "critical-certificate-issuer"),
        (IC.DISCONNECT_SUPPLY, (Tlv(1, b"\x03"),), {}, "not expected"),
        (0x7777, (), {}, "unknown instruction code 7777"),
        (IC.DISCONNECT_SUPPLY, (), {"cohort": Cohort.FOC}, "from the FOC S1SP"),
    ],
)
def test_bad_instructions_are_refused_and_change_nothing_but_the_floor(
    esme: Smets1Esme, code: int, body: tuple[Tlv, ...], fields: dict[str, object], why: str
) -> None:
    before = esme.state
    response = S1sp(esme).send(code, body, **fields)
    assert response.status == ResponseStatus.BAD_INSTRUCTION
    assert why in (diagnostic(response.body) or "")
    assert esme.state == EsmeState(1, 1, {}, None, SupplyState.CONNECTED, 1000)
    assert (before.instruction_floor, before.sequence) == (0, 0)
    assert esme.last_rejection is not None
    assert esme.last_rejection.reason == RejectionReason.BAD_INSTRUCTION


def test_a_replayed_instruction_is_refused_and_does_nothing(esme: Smets1Esme) -> None:
    s1sp = S1sp(esme)
    disconnect = s1sp.frame(IC.DISCONNECT_SUPPLY)
    assert s1sp.deliver(disconnect).status == ResponseStatus.OK
    assert s1sp.send(IC.RECONNECT_SUPPLY).status == ResponseStatus.OK
    before = esme.state
    replayed = s1sp.deliver(disconnect)
    assert replayed.status == ResponseStatus.REPLAY
    assert diagnostic(replayed.body) == "sequence 1 is not above 2"
    assert esme.supply_state == SupplyState.CONNECTED
    assert esme.state == EsmeState(2, 3, {}, None, SupplyState.CONNECTED, before.import_register_wh)
    assert esme.last_rejection is not None
    assert esme.last_rejection.reason == RejectionReason.REPLAY


def test_a_lower_counter_is_a_replay_and_the_floor_survives_restart(clock: Clock) -> None:
    esme = COMMISSIONING.esme(ESME_ID, Cohort.MOC, clock, EsmeState(instruction_floor=41))
    s1sp = S1sp(esme)
    s1sp.sequence = 40
    assert s1sp.send(IC.PING).status == ResponseStatus.REPLAY
    assert s1sp.send(IC.PING).status == ResponseStatus.OK
    assert esme.state.instruction_floor == 42


def _flipped(frame: bytes, at: int) -> bytes:
    return frame[:at] + bytes([frame[at] ^ 0x40]) + frame[at + 1 :]


def test_one_flipped_byte_anywhere_is_dropped_in_silence(esme: Smets1Esme) -> None:
    frame = S1sp(esme).frame(IC.UPDATE_SECURITY_CREDENTIALS, _update())
    before = esme.state
    for at in range(len(frame)):
        assert esme.receive(_flipped(frame, at)) == [], at
        assert esme.state == before
        assert esme.last_rejection is not None
        assert esme.last_rejection.reason == RejectionReason.INTEGRITY_FAILURE
        assert not esme.last_rejection.answered
    assert S1sp(esme).deliver(frame).status == ResponseStatus.OK


def test_a_frame_sealed_with_another_key_is_dropped(esme: Smets1Esme, gpf: Smets1Gpf) -> None:
    frame = S1sp(gpf).frame(IC.DISCONNECT_SUPPLY, device_id=esme.device_id)
    assert esme.receive(frame) == []
    assert esme.supply_state == SupplyState.CONNECTED


def _authentic(esme: Smets1Esme, unsealed: bytes) -> bytes:
    return unsealed + integrity_tag(unsealed, COMMISSIONING.device_key(esme.device_id))


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda s: s.frame(IC.PING, device_id=GPF_ID), RejectionReason.WRONG_DEVICE),
        (
            lambda s: _authentic(s.device, s.frame(IC.PING)[:-16] + b"\x01"),
            RejectionReason.MALFORMED,
        ),
        (
            lambda s: seal(
                DeviceAlert(cohort=Cohort.MOC, device_id=ESME_ID, sequence=9, alert_code=0x8F57),
                s.key,
            ),
            RejectionReason.NOT_AN_INSTRUCTION,
        ),
    ],
)
def test_authentic_frames_it_cannot_answer_are_dropped(
    esme: Smets1Esme, build: object, reason: RejectionReason
) -> None:
    before = esme.state
    assert esme.receive(build(S1sp(esme))) == []  # type: ignore[operator]
    assert esme.state == before
    assert esme.last_rejection is not None
    assert esme.last_rejection.reason == reason


def test_a_device_without_supply_hears_nothing(esme: Smets1Esme, clock: Clock) -> None:
    s1sp = S1sp(esme)
    esme.power_outage()
    assert esme.receive(s1sp.frame(IC.PING)) == []
    assert esme.last_rejection is not None
    assert esme.last_rejection.reason == RejectionReason.POWERED_OFF
    clock.advance(minutes=1)
    esme.power_restored()
    assert s1sp.send(IC.PING).status == ResponseStatus.OK


def _alert(device: Smets1Device, frames: list[bytes]) -> tuple[DeviceAlert, OutageAlert]:
    [frame] = frames
    alert = unseal(frame, COMMISSIONING.device_key(device.device_id))
    assert isinstance(alert, DeviceAlert)
    assert (alert.device_id, alert.cohort) == (device.device_id, device.cohort)
    return alert, OutageAlert.from_body(alert.body)


@pytest.mark.parametrize(
    ("outage", "code"),
    [
        (timedelta(minutes=2, seconds=59), AlertCode.SUPPLY_OUTAGE_RESTORED),
        (timedelta(minutes=3), AlertCode.SUPPLY_OUTAGE_RESTORED_3_MINUTES),
        (timedelta(hours=7), AlertCode.SUPPLY_OUTAGE_RESTORED_3_MINUTES),
    ],
)
@pytest.mark.parametrize("device_type", ["esme", "gpf"])
def test_outage_and_restoration_alerts(
    request: pytest.FixtureRequest, device_type: str, outage: timedelta, code: AlertCode
) -> None:
    device: Smets1Device = request.getfixturevalue(device_type)
    start = T0 + timedelta(minutes=5, microseconds=900_000)
    lost, lost_body = _alert(device, device.power_outage(start))
    assert lost.alert_code == AlertCode.SUPPLY_INTERRUPTED
    assert lost_body == OutageAlert(start.replace(microsecond=0), start.replace(microsecond=0))
    back, back_body = _alert(device, device.power_restored(start + outage))
    assert back.alert_code == code
    assert back_body.duration == outage
    assert back_body.alert_time == back_body.outage_end
    assert (lost.sequence, back.sequence) == (1, 2)
    assert code.description.startswith("Supply Outage Restored")


def test_alerts_and_responses_share_one_increasing_counter(esme: Smets1Esme, clock: Clock) -> None:
    s1sp = S1sp(esme)
    sequences = [s1sp.send(IC.PING).sequence]
    for _ in range(3):
        sequences.append(_alert(esme, esme.power_outage())[0].sequence)
        clock.advance(minutes=4)
        sequences.append(_alert(esme, esme.power_restored())[0].sequence)
        sequences.append(s1sp.send(IC.PING).sequence)
    assert sequences == list(range(1, 11))


def test_outage_calls_out_of_order_raise_nothing_or_fail_loudly(esme: Smets1Esme) -> None:
    assert esme.power_restored() == []
    assert len(esme.power_outage(T0)) == 1
    assert esme.power_outage(T0 + timedelta(minutes=1)) == []
    with pytest.raises(InputError, match="before it was lost"):
        esme.power_restored(T0 - timedelta(seconds=1))
    assert esme.state.sequence == 1


def test_an_estate_can_start_a_device_in_an_outage(clock: Clock) -> None:
    state = DeviceState(outage_start=T0 - timedelta(hours=1), sequence=10)
    gpf = COMMISSIONING.gpf(GPF_ID, Cohort.FOC, clock, state)
    assert not gpf.powered
    alert, body = _alert(gpf, gpf.power_restored())
    assert (alert.sequence, body.duration) == (11, timedelta(hours=1))


def test_commissioning_derives_one_key_per_device() -> None:
    keys = {COMMISSIONING.device_key(device) for device in (ESME_ID, GPF_ID)}
    assert len(keys) == 2
    assert all(len(key) == 32 for key in keys)
    assert Smets1Commissioning(SEED).device_key(ESME_ID.lower()) == COMMISSIONING.device_key(
        ESME_ID
    )
    assert Smets1Commissioning(SEED + b"!").device_key(ESME_ID) not in keys
    with pytest.raises(InputError, match="at least 16"):
        Smets1Commissioning(b"short")
    with pytest.raises(InputError, match="32 octets"):
        Smets1Gpf(GPF_ID, Cohort.IOC, bytes(31), lambda: T0)


def test_devices_seal_with_the_commissioned_key(esme: Smets1Esme) -> None:
    [reply] = esme.receive(S1sp(esme).frame(IC.PING))
    assert verify(reply, COMMISSIONING.device_key(ESME_ID))
    assert not verify(reply, COMMISSIONING.device_key(GPF_ID))


@st.composite
def hostile_frames(draw: st.DrawFn) -> bytes:
    """Random bytes, or a real instruction mutated and (sometimes) re-sealed with the key."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=120))
    code = draw(st.sampled_from([*InstructionCode, 0x0BAD]))
    body = _update() if code == IC.UPDATE_SECURITY_CREDENTIALS else ()
    frame = bytearray(S1sp(Smets1Esme(ESME_ID, Cohort.MOC, KEY, lambda: T0)).frame(code, body))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(frame) - 17))
        frame[at] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        frame[-16:] = integrity_tag(bytes(frame[:-16]), KEY)
    return bytes(frame)


KEY = COMMISSIONING.device_key(ESME_ID)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(hostile_frames(), max_size=4))
def test_hostile_input_never_crashes_a_device(esme: Smets1Esme, frames: list[bytes]) -> None:
    for frame in frames:
        replies = esme.receive(frame)
        assert len(replies) <= 1
        for reply in replies:
            assert isinstance(unseal(reply, KEY), DeviceResponse)
