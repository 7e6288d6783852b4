"""GBCS signatures and MACs against the RTDS vectors."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from s1harness.gbcs.crypto import (
    compute_mac,
    der_signature,
    mac_key,
    sign_apdu,
    sign_precommand,
    verify_mac,
    verify_signature,
    wrap_mac,
)
from s1harness.gbcs.errors import GbcsError
from s1harness.gbcs.frames import (
    Cra,
    GeneralSigningApdu,
    MacEnvelope,
    SignatureField,
    build_general_signing,
    build_mac_envelope,
    decode,
    decode_general_signing,
)
from s1harness.smki import Keystore, KeystoreEntry, TestPki
from s1harness.spec import KeyUsage, RemotePartyRole
from support import rtds_frames

DS, KA = KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_AGREEMENT
ACB = "90B3D51F30000002"
NO_BY_NO = "rtds/6.15.1_CS02bNOByNO/CS02bNOByNO_6.15.1_SUCCESS_COMMAND_GBCS.HEX"


@pytest.fixture(scope="module")
def rtds_keys(vectors: Path) -> Keystore:
    return Keystore.load(vectors / "rtds" / "keystore")


def _apdu(frame: GeneralSigningApdu | MacEnvelope) -> GeneralSigningApdu:
    return frame.apdu if isinstance(frame, MacEnvelope) else frame


def _ka(store: Keystore, eui: str) -> KeystoreEntry:
    return store.get(eui, KA)


@pytest.mark.vectors
def test_every_signature_verifies_with_the_originators_ds_certificate(rtds_keys: Keystore) -> None:
    valid = 0
    for path, data in rtds_frames():
        apdu = _apdu(decode(data))
        if apdu.signature is None:
            continue
        signers = rtds_keys.find(eui=apdu.originator, key_usage=DS)
        assert signers, f"{path.name}: no DS certificate for {apdu.originator}"
        assert any(verify_signature(apdu, e.certificate.public_key()) for e in signers), path.name
        valid += 1
    assert valid == 110


def _mac_parties(apdu: GeneralSigningApdu) -> tuple[str, str]:
    """Who shares the key: ACB and device for a remote party's command, else both ends."""
    device_originator = apdu.originator.startswith("00DB")
    if apdu.cra is Cra.COMMAND and not device_originator:
        return ACB, apdu.target
    return apdu.originator, apdu.target


@pytest.mark.vectors
def test_every_mac_verifies_where_keys_exist(rtds_keys: Keystore) -> None:
    verified, unverifiable = 0, []
    for path, data in rtds_frames():
        frame = decode(data)
        if not isinstance(frame, MacEnvelope):
            continue
        a, b = _mac_parties(frame.apdu)
        holders = [e for x in (a, b) for e in rtds_keys.find(eui=x, key_usage=KA) if e.private_key]
        if not holders:
            unverifiable.append(path.parent.name)
            continue
        # A party may hold several KA keys (the supplier's prepayment KA): one pair must match.
        assert any(
            verify_mac(frame, own.private_key, peer.certificate.public_key())
            for own in holders
            if own.private_key is not None
            for peer in rtds_keys.find(eui=b if own.certificate.eui == a else a, key_usage=KA)
        ), path.name
        verified += 1
    assert verified == 63
    assert unverifiable == ["NA_PCS02", "NA_PCS02"]


@pytest.mark.vectors
def test_known_answers_and_the_wrong_keys(vectors: Path, rtds_keys: Keystore) -> None:
    frame = decode(bytes.fromhex((vectors / NO_BY_NO).read_text()))
    assert isinstance(frame, MacEnvelope)
    acb, device = _ka(rtds_keys, ACB), _ka(rtds_keys, "00DB1234567890A0")
    assert acb.private_key is not None
    key = mac_key(acb.private_key, device.certificate.public_key(), frame.apdu)
    assert key.hex().upper() == "5642F8D9C3873198DBBDC311D3623CE9"
    assert compute_mac(key, frame.apdu).hex().upper() == "5EF46D9F5E4564B1D6C7DEB5"
    # The 5-octet AAD variant (security header alone, no extra zero) does not verify.
    iv = frame.apdu.originator_octets + bytes(4)
    short = AESGCM(key).encrypt(iv, b"", b"\x11" + bytes(4) + frame.apdu.raw)[:12]
    assert short != frame.mac
    # The ACB KA key that 8.5 installs (Z1b) does not verify it.
    zaz1 = Keystore.load(vectors / "smki" / "zaz1-keystore.json")
    (z1b_acb,) = [
        e for e in zaz1.find(eui=ACB, key_usage=KA) if e.name == "Z1b-accessControlBroker-ka"
    ]
    assert z1b_acb.private_key is not None
    assert not verify_mac(frame, z1b_acb.private_key, device.certificate.public_key())
    # Nor does the NO signature verify with the Z1b NO key or the NO's XML-signing key.
    others = [
        e
        for e in zaz1.find(eui="90B3D51F30020000", key_usage=DS)
        if e.name != "Z1-networkOperator-ds"
    ]
    assert {e.name for e in others} == {"Z1b-networkOperator-ds", "xml-sign-90B3D51F30020000-ds"}
    assert not any(verify_signature(frame.apdu, e.certificate.public_key()) for e in others)


@pytest.mark.vectors
def test_every_precommand_plus_signature_plus_fresh_mac_rebuilds_the_command(
    rtds_keys: Keystore,
) -> None:
    by_name = {path.name: data for path, data in rtds_frames()}
    acb = _ka(rtds_keys, ACB)
    assert acb.private_key is not None
    rebuilt = 0
    for name, data in by_name.items():
        if "_PRECOMMAND_" not in name:
            continue
        command = decode(by_name[name.replace("_PRECOMMAND_", "_COMMAND_")])
        assert isinstance(command, MacEnvelope), name
        assert command.apdu.signature is not None
        signed = decode_general_signing(data + b"\x40" + command.apdu.signature)
        device = _ka(rtds_keys, signed.target).certificate.public_key()
        assert wrap_mac(signed, acb.private_key, device).raw == command.raw, name
        rebuilt += 1
    assert rebuilt == 35


def _flip_positions(length: int) -> list[int]:
    return sorted({0, 1, length // 3, length // 2, length - 2, length - 1})


@pytest.mark.vectors
def test_flipping_a_byte_of_a_signed_region_fails_verification(rtds_keys: Keystore) -> None:
    checked = 0
    algorithm = ec.ECDSA(hashes.SHA256())
    for path, data in rtds_frames():
        apdu = _apdu(decode(data))
        if apdu.signature is None:
            continue
        (signer,) = [
            e.certificate.public_key()
            for e in rtds_keys.find(eui=apdu.originator, key_usage=DS)
            if verify_signature(apdu, e.certificate.public_key())
        ]
        region, signature = apdu.signed_region, der_signature(apdu.signature)
        every = range(len(region)) if "NOByNO_6.15.1_SUCCESS_RESPONSE" in path.name else None
        for at in every or _flip_positions(len(region)):
            mutated = bytearray(region)
            mutated[at] ^= 0x01
            with pytest.raises(InvalidSignature):
                signer.verify(signature, bytes(mutated), algorithm)
            checked += 1
    assert checked >= 110 * 6


@pytest.mark.vectors
def test_a_fresh_signature_over_a_precommand_verifies(vectors: Path, rtds_keys: Keystore) -> None:
    path = vectors / NO_BY_NO.replace("_COMMAND_", "_PRECOMMAND_")
    precommand = decode(bytes.fromhex(path.read_text()))
    assert isinstance(precommand, GeneralSigningApdu)
    no = rtds_keys.get("90B3D51F30020000", DS)
    assert no.private_key is not None
    signed = sign_precommand(precommand, no.private_key)
    assert signed.signature_field is SignatureField.PRESENT
    assert signed.unsigned == precommand.raw
    assert verify_signature(signed, no.certificate.public_key())
    assert sign_precommand(precommand, no.private_key) == signed  # RFC 6979: reproducible
    with pytest.raises(GbcsError, match="already signed"):
        sign_apdu(signed, no.private_key)


def test_a_placeholder_signature_length_is_dropped_before_signing(pki: TestPki) -> None:
    key = pki.issue_organisation("90B3D51F30020000", RemotePartyRole.NETWORK_OPERATOR, DS)
    placeholder = build_general_signing(
        cra=Cra.COMMAND,
        counter=1,
        originator="90B3D51F30020000",
        target="00DB1234567890A0",
        other_information=0x0103,
        content=b"\x30\x00",
        signature_field=SignatureField.EMPTY,
    )
    signed = sign_apdu(placeholder, key.private_key)
    assert signed.raw[: signed.content_end] == placeholder.raw[:-1]
    assert verify_signature(signed, key.certificate.public_key())


def test_built_command_response_and_alert_verify_end_to_end(pki: TestPki) -> None:
    """A user signs, the ACB MACs; the device signs its response and its alert."""
    no = pki.issue_organisation("90B3D51F30020000", RemotePartyRole.NETWORK_OPERATOR, DS)
    acb = pki.issue_organisation(ACB, RemotePartyRole.ACCESS_CONTROL_BROKER, KA)
    device_ds = pki.issue_device("00DB1234567890A0", DS)
    device_ka = pki.issue_device("00DB1234567890A0", KA)
    header = {"counter": 1200, "other_information": 0x0103}
    precommand = build_general_signing(
        cra=Cra.COMMAND, originator=no.certificate.eui or "", target="00DB1234567890A0",
        content=b"\x30\x03\x02\x01\x03", **header,  # type: ignore[arg-type]
    )  # fmt: skip
    command = wrap_mac(
        sign_precommand(precommand, no.private_key),
        acb.private_key,
        device_ka.certificate.public_key(),
    )
    received = decode(command.raw)
    assert isinstance(received, MacEnvelope)
    assert verify_signature(received.apdu, no.certificate.public_key())
    # The device checks the MAC from its side: its KA private key with the ACB's certificate.
    assert verify_mac(received, device_ka.private_key, acb.certificate.public_key())
    for cra in (Cra.RESPONSE, Cra.ALERT):
        unsigned = build_general_signing(
            cra=cra, originator="00DB1234567890A0", target=no.certificate.eui or "",
            content=b"\x30\x02\x05\x00", signature_field=SignatureField.EMPTY, **header,  # type: ignore[arg-type]
        )  # fmt: skip
        signed = decode(sign_apdu(unsigned, device_ds.private_key).raw)
        assert isinstance(signed, GeneralSigningApdu)
        assert verify_signature(signed, device_ds.certificate.public_key())
        assert not verify_signature(signed, no.certificate.public_key())
    tampered = build_mac_envelope(received.apdu, bytes(12))
    assert not verify_mac(tampered, device_ka.private_key, acb.certificate.public_key())
