"""GBCS framing against the RTDS vectors."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest
from construct import ConstructError
from hypothesis import given
from hypothesis import strategies as st

from s1harness.gbcs import _frames
from s1harness.gbcs.errors import GbcsCodecError
from s1harness.gbcs.frames import (
    Cra,
    GeneralSigningApdu,
    MacEnvelope,
    OtherInformation,
    SignatureField,
    build_general_signing,
    build_mac_envelope,
    decode,
    encode,
    frame_octets,
)
from s1harness.spec import Eui64
from support import rtds_frames

HEAD = b"\xdf\x09\x01" + bytes(8) + b"\x08" + bytes(8) + b"\x08" + bytes(8)
"""A General-Signing header up to the date-time length: command, counter 0, zero EUIs."""
CS02B_G_COMMAND_CODES = {*range(0x0102, 0x010A), 0x0125, 0x0126}


def _apdu(frame: GeneralSigningApdu | MacEnvelope) -> GeneralSigningApdu:
    return frame.apdu if isinstance(frame, MacEnvelope) else frame


@pytest.mark.vectors
def test_every_vector_decodes_and_encodes_to_the_same_bytes(vectors: Path) -> None:
    frames = rtds_frames()
    assert len(frames) == 168
    for path, data in frames:
        frame = decode(data)
        assert encode(frame) == data, path.name
        if isinstance(frame, MacEnvelope):
            assert (frame.security_control, frame.invocation_counter) == (0x11, 0), path.name


@pytest.mark.vectors
def test_frame_census_matches_the_reference(vectors: Path) -> None:
    census: collections.Counter[tuple[str, int, str]] = collections.Counter()
    for _, data in rtds_frames():
        frame = decode(data)
        apdu = _apdu(frame)
        kind = "DD" if isinstance(frame, MacEnvelope) else "DF"
        census[(kind, int(apdu.cra), apdu.signature_field.value)] += 1
    assert census == {
        ("DD", 1, "present"): 42,
        ("DD", 1, "empty"): 12,
        ("DF", 1, "present"): 4,
        ("DF", 1, "absent"): 35,
        ("DF", 2, "present"): 49,
        ("DD", 2, "empty"): 11,
        ("DF", 3, "present"): 15,
    }


@pytest.mark.vectors
def test_known_offsets_of_the_no_by_no_command(vectors: Path) -> None:
    data = vectors / "rtds/6.15.1_CS02bNOByNO/CS02bNOByNO_6.15.1_SUCCESS_COMMAND_GBCS.HEX"
    frame = decode(bytes.fromhex(data.read_text()))
    assert isinstance(frame, MacEnvelope)
    apdu = frame.apdu
    assert 15 + apdu.content_start == 51
    assert frame.raw[16 : 15 + apdu.content_end] == apdu.signed_region
    assert len(apdu.signed_region) == 1327
    assert (apdu.cra, apdu.counter, apdu.message_code) == (Cra.COMMAND, 1200, 0x0103)
    assert (apdu.originator, apdu.target) == ("90B3D51F30020000", "00DB1234567890A0")
    assert frame.mac.hex().upper() == "5EF46D9F5E4564B1D6C7DEB5"


@pytest.mark.vectors
def test_header_rules(vectors: Path) -> None:
    by_name = {path.name: _apdu(decode(data)) for path, data in rtds_frames()}
    pairs = 0
    for name, command in by_name.items():
        response = by_name.get(name.replace("_COMMAND_", "_RESPONSE_"))
        if "_COMMAND_" not in name or response is None:
            continue
        assert response.counter == command.counter, name
        assert response.message_code == command.message_code, name
        assert (response.originator, response.target) == (command.target, command.originator)
        pairs += 1
    assert pairs >= 40
    for name, apdu in by_name.items():
        if apdu.cra in (Cra.COMMAND, Cra.ALERT):
            assert apdu.date_time is None, name
        if apdu.cra is Cra.RESPONSE and apdu.message_code in CS02B_G_COMMAND_CODES:
            assert apdu.date_time == bytes.fromhex("07DF0101FF000000008000FF"), name
        if name.startswith("CCS02"):
            info = apdu.supplementary()
            assert len(apdu.other_information) == 18
            assert info.supplementary_remote_party_id == "90B3D51F30010000"
            assert info.supplementary_remote_party_counter in (1002, 1003)


@pytest.mark.vectors
def test_precommand_is_the_command_apdu_without_its_signature(vectors: Path) -> None:
    by_name = {path.name: data for path, data in rtds_frames()}
    pairs = 0
    for name, data in by_name.items():
        if "_PRECOMMAND_" in name:
            command = decode(by_name[name.replace("_PRECOMMAND_", "_COMMAND_")])
            assert _apdu(command).unsigned == data
            assert decode(data).signature_field is SignatureField.ABSENT  # type: ignore[union-attr]
            pairs += 1
    assert pairs == 35


def _oracle(data: bytes) -> tuple[object, ...]:
    """The construct layout's reading of a frame, for comparison with the decoder."""
    if data[0] == 0xDD:
        envelope = _frames.MacEnvelope.parse(data)
        offset, data = envelope.apdu_start, envelope.apdu
    else:
        offset = 0
    parsed = _frames.GeneralSigning.parse(data)
    return (
        parsed.cra,
        parsed.counter,
        parsed.originator,
        parsed.target,
        parsed.date_time or None,
        parsed.other_information,
        offset + parsed.content_start,
        offset + parsed.content_end,
        parsed.signature or None,
    )


def _decoded(data: bytes) -> tuple[object, ...]:
    frame = decode(data)
    apdu = _apdu(frame)
    offset = len(frame.raw) - len(apdu.raw) - 12 if isinstance(frame, MacEnvelope) else 0
    return (
        int(apdu.cra),
        apdu.counter,
        apdu.originator_octets,
        apdu.target_octets,
        apdu.date_time,
        apdu.other_information,
        offset + apdu.content_start,
        offset + apdu.content_end,
        apdu.signature,
    )


@pytest.mark.vectors
def test_the_declarative_layout_agrees_with_the_decoder(vectors: Path) -> None:
    for path, data in rtds_frames():
        assert _oracle(data) == _decoded(data), path.name


@pytest.mark.parametrize(
    ("data", "field", "offset"),
    [
        (b"", "frame", 0),
        (b"\x00\x01", "frame.tag", 0),
        (b"\xdd\x05" + bytes(20), "general-ciphering.transaction-id", 1),
        (b"\xdf\x09\x01" + bytes(5), "general-signing.header", 8),
        (b"\xdf\x08" + bytes(40), "general-signing.transaction-id-length", 1),
        (b"\xdf\x09\x07" + bytes(40), "general-signing.cra", 2),
        (b"\xdf\x09\x01" + bytes(8) + b"\x07" + bytes(30), "general-signing.originator-length", 11),
        (HEAD + b"\x05", "general-signing.date-time-length", 29),
        (HEAD + b"\x00\x84", "general-signing.other-information-length", 30),
        (HEAD + b"\x00\x03abc\x01x", "general-signing.other-information", 31),
        (HEAD + b"\x00\x02\x01\x03\x82\x05\x0c", "general-signing.content", 36),
        (HEAD + b"\x00\x02\x01\x03\x01x\x07", "general-signing.signature-length", 35),
        (HEAD + b"\x00\x02\x01\x03\x01x\x00\x00", "general-signing.end", 36),
        (b"\xdd" + bytes(6) + b"\x05\x11" + bytes(4), "general-ciphering.ciphered-content", 8),
        (b"\xdd" + bytes(6) + b"\x20\x12" + bytes(31), "general-ciphering.security-control", 8),
    ],
)  # fmt: skip
def test_malformed_frames_name_the_field_and_offset(data: bytes, field: str, offset: int) -> None:
    with pytest.raises(GbcsCodecError) as raised:
        decode(data)
    assert (raised.value.field, raised.value.offset) == (field, offset), str(raised.value)


def _sample() -> bytes:
    apdu = build_general_signing(
        cra=Cra.RESPONSE,
        counter=1200,
        originator="00DB1234567890A0",
        target="90B3D51F30020000",
        other_information=0x0103,
        content=bytes(range(200)),
        date_time=bytes.fromhex("07DF0101FF000000008000FF"),
        signature_field=SignatureField.PRESENT,
        signature=bytes(range(64)),
    )
    return build_mac_envelope(apdu, bytes(12)).raw


@given(st.binary(max_size=300))
def test_random_bytes_raise_only_codec_errors(data: bytes) -> None:
    for candidate in (data, b"\xdf" + data, b"\xdd\x00\x00\x00\x00\x00\x00" + data):
        try:
            decode(candidate)
        except GbcsCodecError:
            continue


@given(st.integers(0, len(_sample()) - 1), st.integers(1, 255), st.integers(0, len(_sample())))
def test_mutated_frames_decode_consistently_or_raise_codec_errors(
    at: int, flip: int, cut: int
) -> None:
    mutated = bytearray(_sample())
    mutated[at] ^= flip
    for candidate in (bytes(mutated), _sample()[:cut], bytes(mutated)[15:]):
        try:
            frame = decode(candidate)
        except GbcsCodecError:
            continue
        assert encode(frame) == candidate
        try:
            oracle = _oracle(candidate)
        except ConstructError:
            pytest.fail("the decoder accepted a frame the declarative layout refuses")
        assert oracle == _decoded(candidate)


def test_builders_round_trip() -> None:
    data = _sample()
    frame = decode(data)
    assert isinstance(frame, MacEnvelope)
    assert frame.apdu.content == bytes(range(200))
    assert frame.apdu.message_code == 0x0103
    info = OtherInformation(0x0002, Eui64("90B3D51F30010000"), 1002)
    apdu = build_general_signing(
        cra=Cra.COMMAND,
        counter=5,
        originator="90B3D51F30000002",
        target="00DB1234567890A2",
        other_information=info,
        content=b"\x01",
        signature_field=SignatureField.EMPTY,
    )
    assert apdu.supplementary() == info
    assert apdu.raw.endswith(b"\x01\x01\x00")


def test_frame_files_may_be_hex_text_or_binary() -> None:
    data = _sample()
    assert frame_octets(data) == data
    text = data.hex().upper().encode()
    assert frame_octets(text) == data
    assert frame_octets(b"  " + text[:10] + b"\n" + text[10:] + b"\r\n") == data


def test_the_message_code_table_agrees_with_the_replacement_modes() -> None:
    from s1harness.gbcs.message_codes import MESSAGE_CODES, for_replacement_mode, lookup
    from s1harness.gbcs.payloads import MODELLED_MESSAGE_CODES, ReplacementMode

    for mode in ReplacementMode:
        assert for_replacement_mode(mode).code == mode.message_code
        assert lookup(mode.message_code) is not None
    assert MESSAGE_CODES.keys() >= MODELLED_MESSAGE_CODES


@pytest.mark.vectors
def test_the_message_code_table_covers_every_code_in_the_vectors(vectors: Path) -> None:
    from s1harness.gbcs.message_codes import lookup

    codes = {_apdu(decode(data)).message_code for _, data in rtds_frames()}
    assert len(codes) == 27
    assert all(lookup(code) is not None for code in codes)


_OTHER_INFORMATION = st.sampled_from(
    [
        OtherInformation(0x0103),
        OtherInformation(0x0002, Eui64("90B3D51F30010000")),
        OtherInformation(0x0002, Eui64("90B3D51F30010000"), 1002),
        OtherInformation(0x0002, Eui64("90B3D51F30010000"), 1002, 7),
        OtherInformation(0x0002, Eui64("90B3D51F30010000"), 1002, None, bytes(300)),
    ]
)


@given(
    st.sampled_from(list(Cra)),
    st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([0, 2**63, 2**64 - 1])),
    st.binary(min_size=8, max_size=8),
    st.binary(min_size=8, max_size=8),
    st.sampled_from([b"", bytes(range(12))]),
    _OTHER_INFORMATION,
    st.sampled_from([0, 1, 127, 128, 255, 256, 300, 70_000]),
    st.sampled_from(list(SignatureField)),
)
def test_the_builder_writes_what_the_declarative_layout_builds(
    cra: Cra,
    counter: int,
    originator: bytes,
    target: bytes,
    date_time: bytes,
    other: OtherInformation,
    content_size: int,
    field: SignatureField,
) -> None:
    signature = bytes(range(64)) if field is SignatureField.PRESENT else None
    content = bytes(content_size)
    apdu = build_general_signing(
        cra=cra,
        counter=counter,
        originator=Eui64(originator),
        target=Eui64(target),
        other_information=other,
        content=content,
        date_time=date_time or None,
        signature_field=field,
        signature=signature,
    )
    length = {SignatureField.ABSENT: None, SignatureField.EMPTY: 0, SignatureField.PRESENT: 64}
    fields = {
        "cra": int(cra),
        "counter": counter,
        "originator": originator,
        "target": target,
        "date_time": date_time,
        "other_information_length": _layout_ber(len(other.encode())),
        "other_information": other.encode(),
        "content_length": _layout_ber(content_size),
        "content": content,
        "signature_length": length[field],
        "signature": signature,
    }
    assert apdu.raw == _frames.GeneralSigning.build(fields)


def _layout_ber(size: int) -> dict[str, int]:
    first = size if size < 0x80 else (0x81, 0x82, 0x83)[(size.bit_length() - 1) // 8]
    return {"first": first, "value": size}
