"""The SMETS1 frame codec: golden bytes, round trips, strict decoding, integrity, fuzzing
(docs/smets1-instruction-frame.md §2, §4.3, §7)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s1harness.roles.smets1 import (
    AlertCode,
    CertificateId,
    Cohort,
    CredentialUpdate,
    DeviceAlert,
    DeviceResponse,
    EsmeState,
    Frame,
    Instruction,
    InstructionCode,
    ResponseStatus,
    Smets1CodecError,
    Smets1Commissioning,
    Smets1IntegrityError,
    Tlv,
    TlvTag,
    _layout,
    decode,
    encode,
    seal,
    unseal,
    verify,
)
from s1harness.roles.smets1.frames import integrity_tag
from s1harness.spec import InputError, RemotePartyRole

DOC = Path(__file__).resolve().parents[3] / "docs" / "smets1-instruction-frame.md"
SEED = b"s1harness example seed, not secret"
DEVICE = "00DB1234567890A0"
KEY = bytes.fromhex("B77A47BDEC8B593472522804F127DE7C18BCFBB9B29E614B1E12CE996C475ED7")
NOON = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

GOLDEN = {
    "read-instruction": "533101010100DB1234567890A0000000000000000100000000000003E80101000000"
    "E69DC183C052D21669596715101C99B2",
    "read-response": "533101020100DB1234567890A0000000000000000100000000000003E801010000161200"
    "080000000000BC614E11000800000000665B0D400EBF96813B7ECB63B685071F4B36E464",
    "credentials-instruction": "533101010100DB1234567890A0000000000000000200000000000003E902010000"
    "180100010302000212340300025A3104000212350500025A3130D94B42CDB13D0757A951B6F971C9E4",
    "credentials-response": "533101020100DB1234567890A0000000000000000200000000000003E902010000"
    "0B01000103060004000000012600DF5EC5E4F37ABBD336B98E38FAB4",
    "outage-alert": "533101030100DB1234567890A0000000000000000300000000000000008F5700001620000800"
    "000000665B0AE821000800000000665B0AE816A1F3427BA9A7CCFE20B30595D72101",
    "restored-alert": "533101030100DB1234567890A0000000000000000400000000000000008F360000212000"
    "0800000000665B0D0421000800000000665B0AE822000800000000665B0D04415CBC843F4CA034DAEFDBF67F5E5CF3",
}
"""The worked examples of docs/smets1-instruction-frame.md §7, byte for byte."""


def golden(name: str) -> bytes:
    return bytes.fromhex(GOLDEN[name])


def _instruction(sequence: int, correlation: int, code: int, body: tuple[Tlv, ...] = ()) -> bytes:
    frame = Instruction(
        cohort=Cohort.IOC,
        device_id=DEVICE,
        sequence=sequence,
        correlation=correlation,
        code=code,
        body=body,
    )
    return seal(frame, KEY)


def test_the_example_key_derives_from_the_example_seed() -> None:
    assert Smets1Commissioning(SEED).device_key(DEVICE) == KEY


def test_golden_instructions_are_built_byte_for_byte() -> None:
    update = CredentialUpdate(
        RemotePartyRole.NETWORK_OPERATOR, CertificateId(0x1234, "Z1"), CertificateId(0x1235, "Z1")
    )
    read = InstructionCode.READ_INSTANTANEOUS_IMPORT
    assert _instruction(1, 1000, read) == golden("read-instruction")
    credentials = InstructionCode.UPDATE_SECURITY_CREDENTIALS
    assert _instruction(2, 1001, credentials, update.to_body()) == golden("credentials-instruction")


def test_golden_device_frames_are_what_the_emulated_esme_sends() -> None:
    esme = Smets1Commissioning(SEED).esme(
        DEVICE, Cohort.IOC, lambda: NOON, EsmeState(import_register_wh=12_345_678)
    )
    assert esme.receive(golden("read-instruction")) == [golden("read-response")]
    assert esme.receive(golden("credentials-instruction")) == [golden("credentials-response")]
    assert esme.power_outage(datetime(2024, 6, 1, 11, 50, tzinfo=UTC)) == [golden("outage-alert")]
    restored = esme.power_restored(datetime(2024, 6, 1, 11, 59, tzinfo=UTC))
    assert restored == [golden("restored-alert")]


def test_the_doc_shows_the_golden_bytes() -> None:
    blocks = set(re.findall(r"^([0-9A-F]{64,})$", DOC.read_text(), flags=re.MULTILINE))
    assert {KEY.hex().upper(), *GOLDEN.values()} <= blocks


def test_golden_response_decodes_field_by_field() -> None:
    frame = decode(golden("read-response"))
    assert frame == DeviceResponse(
        cohort=Cohort.IOC,
        device_id=DEVICE,
        sequence=1,
        correlation=1000,
        code=InstructionCode.READ_INSTANTANEOUS_IMPORT,
        status=ResponseStatus.OK,
        body=(
            Tlv(TlvTag.IMPORT_REGISTER, (12_345_678).to_bytes(8, "big")),
            Tlv(TlvTag.DEVICE_TIME, int(NOON.timestamp()).to_bytes(8, "big")),
        ),
        integrity_tag=bytes.fromhex("0EBF96813B7ECB63B685071F4B36E464"),
    )


def test_golden_alert_decodes_with_its_gbcs_code() -> None:
    frame = decode(golden("restored-alert"))
    assert isinstance(frame, DeviceAlert)
    assert (frame.alert_code, frame.sequence) == (AlertCode.SUPPLY_OUTAGE_RESTORED_3_MINUTES, 4)


def _every_frame() -> list[Frame]:
    common = {"cohort": Cohort.MOC, "device_id": DEVICE, "sequence": 7}
    body = (Tlv(TlvTag.DIAGNOSTIC, b"why"), Tlv(0xEE, b""))
    frames: list[Frame] = [
        Instruction(**common, correlation=9, code=code, body=body) for code in InstructionCode
    ]
    frames += [
        DeviceResponse(**common, correlation=9, code=0x0101, status=status, body=body)
        for status in ResponseStatus
    ]
    frames += [DeviceAlert(**common, alert_code=code, body=body) for code in AlertCode]
    frames.append(Instruction(**common, correlation=0, code=0xBEEF))
    return frames


@pytest.mark.parametrize("frame", _every_frame(), ids=repr)
def test_every_frame_type_code_and_status_round_trips(frame: Frame) -> None:
    data = encode(frame)
    assert decode(data) == frame
    assert encode(decode(data)) == data
    sealed = seal(frame, KEY)
    assert verify(sealed, KEY)
    assert unseal(sealed, KEY) == replace(frame, integrity_tag=sealed[-16:])


def test_golden_frames_re_encode_to_themselves() -> None:
    for name in GOLDEN:
        assert encode(decode(golden(name))) == golden(name), name


def test_unknown_codes_and_tags_decode_as_integers() -> None:
    frame = decode(_instruction(1, 1, 0xBEEF, (Tlv(0xEE, b"x"),)))
    assert isinstance(frame, Instruction)
    assert (frame.code, frame.body[0].tag) == (0xBEEF, 0xEE)
    assert not isinstance(frame.code, InstructionCode)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_the_construct_layout_reads_what_the_decoder_reads(name: str) -> None:
    assert _as_layout_reads(decode(golden(name))) == _layout_reading(golden(name))


def test_the_header_format_is_the_construct_header() -> None:
    values = {
        "frame_type": 2,
        "cohort": 3,
        "device_id": bytes(range(8)),
        "sequence": 2**64 - 1,
        "correlation": 7,
        "code": 0xBEEF,
        "status": 1,
        "body_length": 0xFFFF,
    }
    packed = _layout.HEADER_FORMAT.pack(_layout.MAGIC, _layout.VERSION, *values.values())
    assert _layout.HEADER_FORMAT.size == _layout.HEADER_LENGTH
    assert packed == _layout.Header.build(values)


def _patched(name: str, at: int, octets: bytes) -> bytes:
    data = bytearray(golden(name))
    data[at : at + len(octets)] = octets
    return bytes(data)


def _body_length(name: str, length: int, *, cut: int = 0) -> bytes:
    """The frame announcing a body of ``length`` octets, less its last ``cut`` octets."""
    data = _patched(name, 32, length.to_bytes(2, "big"))
    return data[: len(data) - cut]


CODEC_ERRORS = [
    (b"", "frame.header", 0),
    (golden("read-instruction")[:49], "frame.header", 49),
    (_patched("read-instruction", 0, b"S2"), "frame.magic", 0),
    (_patched("read-instruction", 2, b"\x02"), "frame.version", 2),
    (_patched("read-instruction", 3, b"\x04"), "frame.frame-type", 3),
    (_patched("read-instruction", 4, b"\x00"), "frame.cohort", 4),
    (_patched("read-instruction", 31, b"\x01"), "frame.status", 31),
    (_patched("read-response", 31, b"\x09"), "frame.status", 31),
    (_patched("outage-alert", 28, b"\x01"), "frame.correlation", 21),
    (_patched("outage-alert", 31, b"\x02"), "frame.status", 31),
    (_body_length("read-instruction", 40), "frame.body", 50),
    (_body_length("read-instruction", 10), "frame.integrity-tag", 50),
    (golden("read-instruction") + b"\x00", "frame.end", 50),
    (_body_length("read-response", 21, cut=1), "frame.body[1].length", 46),
    (_body_length("read-response", 13, cut=9), "frame.body[1]", 45),
]


@pytest.mark.parametrize(("data", "field", "offset"), CODEC_ERRORS)
def test_malformed_frames_fail_with_field_and_offset(data: bytes, field: str, offset: int) -> None:
    with pytest.raises(Smets1CodecError) as caught:
        decode(data)
    assert (caught.value.field, caught.value.offset) == (field, offset)
    assert caught.value.message.startswith(f"{field} at byte {offset}: ")


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_one_flipped_bit_anywhere_fails_verification(name: str) -> None:
    data = golden(name)
    assert verify(data, KEY)
    for at in range(len(data)):
        for bit in (0x01, 0x80):
            flipped = data[:at] + bytes([data[at] ^ bit]) + data[at + 1 :]
            assert not verify(flipped, KEY), (at, bit)


def test_verification_needs_the_device_key_and_a_whole_frame() -> None:
    data = golden("read-instruction")
    assert not verify(data, Smets1Commissioning(SEED).device_key("00DB1234567890A1"))
    assert not verify(data[:-1], KEY)
    assert not verify(b"", KEY)
    with pytest.raises(Smets1IntegrityError):
        unseal(data[:-1] + b"\x00", KEY)
    with pytest.raises(InputError, match="32 octets"):
        verify(data, KEY[:16])


def test_unseal_authenticates_before_it_parses() -> None:
    garbage = b"S1 not a frame at all, but sealed with the right key"
    sealed = garbage + integrity_tag(garbage, KEY)
    assert verify(sealed, KEY)
    with pytest.raises(Smets1CodecError):
        unseal(sealed, KEY)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Instruction(cohort=1, device_id=DEVICE, sequence=-1, correlation=0, code=1),
        lambda: Instruction(cohort=1, device_id=DEVICE, sequence=2**64, correlation=0, code=1),
        lambda: Instruction(cohort=1, device_id=DEVICE, sequence=1, correlation=2**64, code=1),
        lambda: Instruction(cohort=1, device_id=DEVICE, sequence=1, correlation=0, code=0x10000),
        lambda: Instruction(cohort=4, device_id=DEVICE, sequence=1, correlation=0, code=1),
        lambda: Instruction(cohort=1, device_id="00DB", sequence=1, correlation=0, code=1),
        lambda: DeviceAlert(cohort=1, device_id=DEVICE, sequence=1, alert_code=0x10000),
        lambda: DeviceAlert(
            cohort=1, device_id=DEVICE, sequence=1, alert_code=1, integrity_tag=b"short"
        ),
        lambda: DeviceAlert(
            cohort=1, device_id=DEVICE, sequence=1, alert_code=1, body=(Tlv(1, bytes(65533)),)
        ),
        lambda: Tlv(0x100, b""),
        lambda: Tlv(1, bytes(65536)),
    ],
)
def test_frames_that_cannot_be_encoded_are_refused_when_built(build: object) -> None:
    with pytest.raises(InputError):
        build()  # type: ignore[operator]


def test_a_maximal_body_encodes_and_decodes() -> None:
    body = (Tlv(1, bytes(65532)),)
    frame = DeviceAlert(cohort=Cohort.FOC, device_id=DEVICE, sequence=1, alert_code=1, body=body)
    assert decode(encode(frame)) == frame


def _decode_or_codec_error(data: bytes) -> None:
    """Either the codec's own error, where it stopped, or a frame that re-encodes to ``data``
    and that the declarative layout reads the same way."""
    refusal: Smets1CodecError | None = None
    try:
        frame = decode(data)
    except Smets1CodecError as error:
        refusal = error
    if refusal is not None:
        assert refusal.field.startswith("frame.") and 0 <= refusal.offset <= len(data)
        return
    assert encode(frame) == data
    assert _as_layout_reads(frame) == _layout_reading(data)


def _as_layout_reads(frame: Frame) -> tuple[object, ...]:
    """The frame's fields as the construct layout parses them."""
    return (
        int(frame.FRAME_TYPE),
        int(frame.cohort),
        frame.device_id.octets,
        frame.sequence,
        0 if isinstance(frame, DeviceAlert) else frame.correlation,
        int(frame.alert_code if isinstance(frame, DeviceAlert) else frame.code),
        int(frame.status) if isinstance(frame, DeviceResponse) else 0,
        [(int(t.tag), t.value) for t in frame.body],
        frame.integrity_tag,
    )


def _layout_reading(data: bytes) -> tuple[object, ...]:
    parsed = _layout.Frame.parse(data)
    return (
        parsed.frame_type,
        parsed.cohort,
        parsed.device_id,
        parsed.sequence,
        parsed.correlation,
        parsed.code,
        parsed.status,
        [(t.tag, t.value) for t in parsed.body],
        parsed.integrity_tag,
    )


@given(st.binary(max_size=200))
def test_random_bytes_raise_only_the_codec_error(data: bytes) -> None:
    _decode_or_codec_error(data)
    assert not verify(data, KEY) or len(data) >= 50


@given(st.binary(min_size=34, max_size=34), st.binary(max_size=60))
def test_random_headers_with_plausible_magic_raise_only_the_codec_error(
    header: bytes, rest: bytes
) -> None:
    _decode_or_codec_error(b"S1\x01" + header[3:] + rest)


@st.composite
def mutations(draw: st.DrawFn) -> bytes:
    data = bytearray(golden(draw(st.sampled_from(sorted(GOLDEN)))))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if action == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 4))]
        else:
            del data[at:]
    return bytes(data)


@given(mutations())
def test_mutated_frames_fail_verification_and_raise_only_the_codec_error(data: bytes) -> None:
    if data not in {golden(name) for name in GOLDEN}:
        assert not verify(data, KEY)
    _decode_or_codec_error(data)
    resealed = data[:-16] + integrity_tag(data[:-16], KEY) if len(data) >= 16 else data
    _decode_or_codec_error(resealed)


@st.composite
def frames(draw: st.DrawFn) -> Frame:
    common = {
        "cohort": draw(st.sampled_from(Cohort)),
        "device_id": draw(st.binary(min_size=8, max_size=8)).hex(),
        "sequence": draw(st.integers(0, 2**64 - 1)),
        "body": tuple(
            Tlv(draw(st.integers(0, 255)), draw(st.binary(max_size=40)))
            for _ in range(draw(st.integers(0, 4)))
        ),
    }
    kind = draw(st.sampled_from(["instruction", "response", "alert"]))
    if kind == "alert":
        return DeviceAlert(**common, alert_code=draw(st.integers(0, 0xFFFF)))
    correlation, code = draw(st.integers(0, 2**64 - 1)), draw(st.integers(0, 0xFFFF))
    if kind == "instruction":
        return Instruction(**common, correlation=correlation, code=code)
    status = draw(st.sampled_from(ResponseStatus))
    return DeviceResponse(**common, correlation=correlation, code=code, status=status)


@given(frames())
def test_any_frame_round_trips_and_the_layout_agrees(frame: Frame) -> None:
    sealed = seal(frame, KEY)
    decoded = unseal(sealed, KEY)
    assert encode(decoded) == sealed
    assert decoded == replace(frame, integrity_tag=sealed[-16:])
    assert _as_layout_reads(decoded) == _layout_reading(sealed)
