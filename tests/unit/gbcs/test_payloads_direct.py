"""The CS02b command written and read directly, against the asn1crypto model.

The command is written field by field for speed (:mod:`s1harness.gbcs.payloads._der`);
asn1crypto's generic encoder of the same model is the reference it must equal, octet for
octet, on any command it can encode. A command in canonical DER is read straight from its
octets (:mod:`s1harness.gbcs.payloads._canonical`); the full, asn1crypto-backed reader is the
reference it must equal on everything it accepts — and it must leave everything else, faults
included, to that reader.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s1harness.gbcs.errors import GbcsCodecError
from s1harness.gbcs.payloads import (
    COMMAND,
    AuthorisingRemotePartyControl,
    ReplacementMode,
    SeqNumberChange,
    SpecialistSeqNumber,
    TrustAnchorCell,
    TrustAnchorReplacement,
    UpdateSecurityCredentials,
    _asn1,
    _canonical,
    cs02b,
    decode_update_security_credentials,
    encode_update_security_credentials,
)
from s1harness.gbcs.payloads._convert import utc_time
from s1harness.gbcs.payloads._node import embed
from s1harness.smki import TestPki
from s1harness.spec import InputError, KeyUsage, RemotePartyRole

if TYPE_CHECKING:
    from unit.gbcs.conftest import RtdsPayload

_PKI = TestPki("gbcs-der")
_DERS = (
    _PKI.issue_organisation(
        "90B3D51F30010000", RemotePartyRole.SUPPLIER, KeyUsage.DIGITAL_SIGNATURE
    ).certificate.der,
    _PKI.issue_organisation(
        "90B3D51F30010000", RemotePartyRole.SUPPLIER, KeyUsage.KEY_AGREEMENT
    ).certificate.der,
    _PKI.org_ca.certificate.der,
)


def _reference(command: UpdateSecurityCredentials) -> bytes:
    """asn1crypto's encoding of the same model value (the writer before it was hand-written)."""
    value: dict[str, Any] = {
        "authorisingRemotePartyControl": cs02b._control_value(command.control),
        "replacements": [cs02b._replacement_value(r) for r in command.replacements],
        "certificationPathCertificates": [
            embed(_asn1.Certificate, der, "path") for der in command.certification_path_certificates
        ],
    }
    if command.execution_date_time is not None:
        value["executionDateTime"] = utc_time(command.execution_date_time, "when")
    return bytes(_asn1.UpdateSecurityCredentials(value).dump())


_INTEGERS = st.one_of(
    st.integers(0, 300),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, 127, 128, 255, 256, -1, -128, -129, 2**63 - 1, 2**64]),
)
_USAGES = st.sampled_from(list(KeyUsage))
_CELLS = st.builds(TrustAnchorCell, _INTEGERS, _USAGES, _INTEGERS)
_SPECIALISTS = st.lists(st.builds(SpecialistSeqNumber, _INTEGERS, _INTEGERS), max_size=3)
_CHANGES = st.lists(
    st.builds(SeqNumberChange, _INTEGERS, _INTEGERS, st.none() | _SPECIALISTS.map(tuple)),
    max_size=3,
)
_CONTROLS = st.builds(
    AuthorisingRemotePartyControl,
    mode=_INTEGERS,
    seq_number=_INTEGERS,
    authorising_cell=st.none() | _CELLS,
    apply_time_based_cpv_checks=st.none() | _INTEGERS,
    plaintext_symmetric_key=st.none() | st.binary(max_size=200),
    floor_seq_number=st.none() | _INTEGERS,
    specialist_floor_seq_numbers=st.none() | _SPECIALISTS.map(tuple),
    other_seq_number_changes=st.none() | _CHANGES.map(tuple),
)
_WHEN = st.none() | st.datetimes(
    min_value=datetime(1950, 1, 1),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5, minutes=-30))]),
)
_COMMANDS = st.builds(
    UpdateSecurityCredentials,
    control=_CONTROLS,
    replacements=st.lists(
        st.builds(TrustAnchorReplacement, st.sampled_from(_DERS), _CELLS), max_size=3
    ).map(tuple),
    certification_path_certificates=st.lists(st.sampled_from(_DERS), max_size=2).map(tuple),
    execution_date_time=_WHEN,
)


@settings(max_examples=300, deadline=None)
@given(_COMMANDS)
def test_the_writer_equals_the_asn1crypto_model(command: UpdateSecurityCredentials) -> None:
    assert encode_update_security_credentials(command) == _reference(command)


def test_a_long_command_uses_long_lengths() -> None:
    replacement = TrustAnchorReplacement(_DERS[0], TrustAnchorCell(2, KeyUsage.DIGITAL_SIGNATURE))
    command = UpdateSecurityCredentials(
        AuthorisingRemotePartyControl(2, 1, plaintext_symmetric_key=bytes(70_000)),
        (replacement,) * 3,
        _DERS,
    )
    assert encode_update_security_credentials(command) == _reference(command)


@pytest.mark.parametrize(
    "control",
    [
        AuthorisingRemotePartyControl(2, "1"),  # type: ignore[arg-type]
        AuthorisingRemotePartyControl(2, 1, floor_seq_number=1.5),  # type: ignore[arg-type]
        AuthorisingRemotePartyControl(2, 1, plaintext_symmetric_key="key"),  # type: ignore[arg-type]
        AuthorisingRemotePartyControl(
            2,
            1,
            specialist_floor_seq_numbers=(SpecialistSeqNumber(0, None),),  # type: ignore[arg-type]
        ),
    ],
)
def test_values_that_cannot_be_encoded_are_input_errors(
    control: AuthorisingRemotePartyControl,
) -> None:
    command = UpdateSecurityCredentials(control, (), ())
    with pytest.raises(InputError, match="cannot encode UpdateSecurityCredentials"):
        encode_update_security_credentials(command)
    with pytest.raises((TypeError, ValueError)):  # asn1crypto refuses the same values
        _reference(command)


def _read_directly(content: bytes) -> object:
    """The canonical reader's value, or the marker that it left the octets to the full one."""
    try:
        return cs02b._canonical_command(content)
    except _canonical.NotCanonical:
        return _canonical.NotCanonical


@settings(max_examples=300, deadline=None)
@given(_COMMANDS)
def test_the_direct_reader_reads_what_the_full_reader_reads(
    command: UpdateSecurityCredentials,
) -> None:
    content = encode_update_security_credentials(command)
    direct = _read_directly(content)
    assert cs02b._decode(content) == command
    if command.execution_date_time is None:
        assert direct == command
    else:
        assert direct is _canonical.NotCanonical


@settings(max_examples=500, deadline=None)
@given(_COMMANDS, st.data())
def test_the_direct_reader_accepts_nothing_the_full_reader_would_not_read_alike(
    command: UpdateSecurityCredentials, data: st.DataObject
) -> None:
    content = bytearray(encode_update_security_credentials(command))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(content) - 1))
        content[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(content)))
    for candidate in (bytes(content), bytes(content[:cut])):
        direct = _read_directly(candidate)
        if direct is _canonical.NotCanonical:
            continue
        assert cs02b._decode(candidate) == direct


def test_non_canonical_forms_are_left_to_the_full_reader() -> None:
    command = UpdateSecurityCredentials(
        AuthorisingRemotePartyControl(3, 1200, TrustAnchorCell(3, KeyUsage.DIGITAL_SIGNATURE)),
        (TrustAnchorReplacement(_DERS[0], TrustAnchorCell(3, KeyUsage.DIGITAL_SIGNATURE)),),
        (_DERS[2],),
    )
    content = encode_update_security_credentials(command)
    assert _read_directly(content) == command
    long_length = content[:1] + bytes([0x82]) + len(content[2:]).to_bytes(2, "big") + content[2:]
    if content[1] < 0x80:  # a short length written long: BER, not DER
        assert _read_directly(long_length) is _canonical.NotCanonical
    padded = content.replace(bytes.fromhex("8302 04B0"), bytes.fromhex("8303 0004B0"), 1)
    assert padded != content
    assert _read_directly(padded) is _canonical.NotCanonical  # a non-minimal integer
    with pytest.raises(GbcsCodecError):
        decode_update_security_credentials(content + b"\x00")


@pytest.mark.vectors
def test_the_rtds_commands_read_alike(cs02_payloads: tuple[RtdsPayload, ...]) -> None:
    codes = {mode.message_code for mode in ReplacementMode}
    commands = [p for p in cs02_payloads if p.cra == COMMAND and p.message_code in codes]
    direct = 0
    for p in commands:
        value = _read_directly(p.content)
        full = cs02b._decode(p.content)
        assert decode_update_security_credentials(p.content) == full, p.name
        if value is not _canonical.NotCanonical:
            assert value == full, p.name
            direct += 1
        else:
            assert full.execution_date_time is not None, p.name
    assert commands and direct >= len(commands) // 2
