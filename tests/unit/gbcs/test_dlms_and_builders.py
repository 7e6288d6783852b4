"""DLMS alert payloads, and whole messages built from payload builders up."""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s1harness.gbcs import dlms
from s1harness.gbcs.crypto import sign_apdu, sign_precommand, wrap_mac
from s1harness.gbcs.errors import GbcsCodecError
from s1harness.gbcs.frames import (
    Cra,
    MacEnvelope,
    SignatureField,
    build_general_signing,
    decode,
)
from s1harness.gbcs.inspect import Inspector
from s1harness.gbcs.payloads import (
    AuthorisingRemotePartyControl,
    CellUsage,
    ReplacementMode,
    TrustAnchorCell,
    TrustAnchorReplacement,
    UpdateSecurityCredentials,
    decode_payload,
    encode_payload,
)
from s1harness.smki import Keystore, TestPki
from s1harness.spec import KeyUsage, RemotePartyRole
from support import rtds_frames

NO = RemotePartyRole.NETWORK_OPERATOR
DS, KA = KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_AGREEMENT
ECS80 = "NA_ECS80/ECS80_NA_8F36_ALERT_GBCS.HEX"


@pytest.mark.vectors
def test_every_dlms_alert_in_the_vectors_decodes_and_re_encodes(vectors: Path) -> None:
    seen = 0
    for path, data in rtds_frames():
        frame = decode(data)
        apdu = frame.apdu if isinstance(frame, MacEnvelope) else frame
        if apdu.cra is Cra.ALERT and apdu.content[:1] == b"\x0f":
            alert = dlms.decode_dlms_alert(apdu.content)
            assert alert.encode() == apdu.content, path.name
            seen += 1
    assert seen == 8


@pytest.mark.vectors
def test_the_outage_alert_to_the_network_operator(vectors: Path) -> None:
    frame = decode(bytes.fromhex((vectors / "rtds" / ECS80).read_text()))
    assert not isinstance(frame, MacEnvelope)
    assert (frame.message_code, frame.target, frame.counter) == (0x0067, "90B3D51F30020000", 2003)
    alert = dlms.decode_dlms_alert(frame.content)
    assert (alert.alert_code, alert.alert_counter) == (0x8F36, 2003)
    assert alert.alert_time == datetime(2015, 1, 1)
    assert alert.extra_times == (datetime(2014, 12, 31, 23, 50), datetime(2014, 12, 31, 23, 59))
    rebuilt = dlms.outage_restored_alert(2003, *(alert.alert_time, *alert.extra_times))
    assert rebuilt.encode() == frame.content


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x0e" + bytes(11),
        b"\x0f\x20\x00\x07\xd3\x01\x02\x01\x12\x8f\x36\x00",
        b"\x0f\x20\x00\x07\xd3\x00\x02\x01\x12\x8f",
        b"\x0f\x20\x00\x07\xd3\x00\x02\x02\x12\x8f\x36\x09\x0c" + bytes(12),
        b"\x0f\x20\x00\x07\xd3\x00\x02\x01\x12\x8f\x36\x00",
    ],
)
def test_malformed_dlms_alerts_raise_codec_errors(content: bytes) -> None:
    with pytest.raises(GbcsCodecError):
        dlms.decode_dlms_alert(content)


@given(st.binary(max_size=80))
def test_random_dlms_content_raises_only_codec_errors(data: bytes) -> None:
    with contextlib.suppress(GbcsCodecError):
        dlms.decode_dlms_alert(b"\x0f\x20\x00\x00\x01\x00" + data)


def test_a_cs02b_command_built_from_payload_up_inspects_clean(pki: TestPki) -> None:
    """A NO replaces the NO cells on a device: payload, PRECOMMAND, signature, ACB MAC."""
    old_no = pki.issue_organisation("90B3D51F30020000", NO, DS)
    new_no = pki.issue_party("90B3D51F30020001", NO)
    acb = pki.issue_organisation("90B3D51F30000002", RemotePartyRole.ACCESS_CONTROL_BROKER, KA)
    device = pki.issue_device("00DB1234567890A0", KA)
    payload = UpdateSecurityCredentials(
        control=AuthorisingRemotePartyControl(
            mode=ReplacementMode.NETWORK_OPERATOR_BY_NETWORK_OPERATOR,
            seq_number=1200,
            authorising_cell=TrustAnchorCell(NO, DS, CellUsage.MANAGEMENT),
            floor_seq_number=0,
        ),
        replacements=(
            TrustAnchorReplacement(
                new_no.ds.certificate.der, TrustAnchorCell(NO, DS, CellUsage.MANAGEMENT)
            ),
            TrustAnchorReplacement(
                new_no.ka.certificate.der, TrustAnchorCell(NO, KA, CellUsage.MANAGEMENT)
            ),
        ),
        certification_path_certificates=(pki.org_ca.certificate.der,),
        execution_date_time=None,
    )
    precommand = build_general_signing(
        cra=Cra.COMMAND,
        counter=1200,
        originator="90B3D51F30020000",
        target="00DB1234567890A0",
        other_information=payload.message_code,
        content=encode_payload(payload),
    )
    command = wrap_mac(
        sign_precommand(precommand, old_no.private_key),
        acb.private_key,
        device.certificate.public_key(),
    )
    keystore = Keystore.from_issued([old_no, acb, device])
    result = Inspector(keystore).inspect(command.raw)
    assert (result.signature.valid, result.mac.valid) == (True, True)
    assert result.payload is not None and result.payload["type"] == "UpdateSecurityCredentials"
    assert decode_payload(0x0103, Cra.COMMAND, result.apdu.content) == payload


def test_a_device_signed_ecs80_alert_inspects_clean(pki: TestPki) -> None:
    device = pki.issue_device("00DB1234567890A0", DS)
    content = dlms.outage_restored_alert(
        7,
        datetime(2026, 11, 21, 10, 5),
        datetime(2026, 11, 21, 9, 0),
        datetime(2026, 11, 21, 10, 4),
    ).encode()
    unsigned = build_general_signing(
        cra=Cra.ALERT,
        counter=7,
        originator="00DB1234567890A0",
        target="90B3D51F30020000",
        other_information=0x0067,
        content=content,
        signature_field=SignatureField.EMPTY,
    )
    alert = sign_apdu(unsigned, device.private_key)
    result = Inspector(Keystore.from_issued([device])).inspect(alert.raw)
    assert result.signature.valid is True and result.mac.present is False
    assert result.payload is not None
    assert result.payload["alert_code"] == "8F36"
    assert result.payload["extra_times"] == ["2026-11-21T09:00:00", "2026-11-21T10:04:00"]
