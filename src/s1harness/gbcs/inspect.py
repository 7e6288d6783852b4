"""Inspect GBCS frames: decode, decode the payload, check signature and MAC with a keystore.

The signature is checked with the DS certificates the keystore holds for the Business
Originator (any of them may be the one in the device's anchor cell, so the first that verifies
is reported). The MAC is checked with every KA pair the keystore can form between the two
parties that share the MAC key — the Access Control Broker and the target device for a remote
party's command, the originator and the target otherwise. ECDH needs one private key and the
other party's certificate, whichever side it is on. ``valid`` is ``None`` when no key is
available, which is different from ``False``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from s1harness.gbcs import dlms
from s1harness.gbcs.crypto import verify_mac, verify_signature
from s1harness.gbcs.errors import GbcsError
from s1harness.gbcs.frames import Cra, Frame, GeneralSigningApdu, MacEnvelope, decode
from s1harness.gbcs.message_codes import lookup
from s1harness.gbcs.payloads import decode_payload, payload_to_json
from s1harness.smki.certificate import CertificateKind
from s1harness.smki.keys import PrivateKey, PublicKey
from s1harness.smki.keystore import Keystore, KeystoreEntry
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole

DLMS_ALERT_CODES = frozenset({0x0067, 0x00CC, 0x1000, 0x1001})


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of a signature or MAC check; ``valid`` is None when no key was available."""

    present: bool
    valid: bool | None
    key: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"present": self.present, "valid": self.valid}
        if self.key is not None:
            out["key"] = self.key
        return out


@dataclass(frozen=True, slots=True)
class Inspection:
    """A decoded frame with its payload and the outcome of its security checks."""

    frame: Frame
    payload: dict[str, Any] | None
    payload_error: str | None
    signature: Check
    mac: Check

    @property
    def apdu(self) -> GeneralSigningApdu:
        return self.frame.apdu if isinstance(self.frame, MacEnvelope) else self.frame

    def as_dict(self) -> dict[str, Any]:
        """The JSON object ``s1harness gbcs inspect`` prints."""
        apdu = self.apdu
        entry = lookup(apdu.message_code)
        out: dict[str, Any] = {
            "frame": "mac-envelope" if isinstance(self.frame, MacEnvelope) else "general-signing",
            "cra": apdu.cra.name.lower(),
            "counter": apdu.counter,
            "originator": apdu.originator,
            "target": apdu.target,
            "message_code": apdu.message_code,
            "message_code_hex": f"0x{apdu.message_code:04X}",
            "use_case": entry.use_case if entry else None,
            "message_name": entry.name if entry else None,
            "date_time": _date_time(apdu.date_time),
            "content_length": apdu.content_end - apdu.content_start,
            "signature_field": apdu.signature_field.value,
            "payload": self.payload,
            "signature": self.signature.as_dict(),
            "mac": self.mac.as_dict(),
        }
        if len(apdu.other_information) > 2:
            out["supplementary"] = _supplementary(apdu)
        if self.payload_error is not None:
            out["payload"] = {"error": self.payload_error}
        return out


class Inspector:
    """Decodes frames and checks them with the keys of a keystore (keys are looked up once)."""

    def __init__(self, keystore: Keystore | None = None) -> None:
        self._keystore = keystore if keystore is not None else Keystore()
        self._signers: dict[bytes, list[tuple[str, PublicKey]]] = {}
        acb = self._keystore.find(role=RemotePartyRole.ACCESS_CONTROL_BROKER)
        self._acb = {Eui64(e.certificate.eui).octets for e in acb if e.certificate.eui}

    def inspect(self, data: bytes) -> Inspection:
        """Decode and check one frame.

        Raises:
            GbcsCodecError: when the frame does not decode (payload errors are reported in the
                inspection instead, with the frame still described).
        """
        frame = decode(data)
        apdu = frame.apdu if isinstance(frame, MacEnvelope) else frame
        payload, error = _payload(apdu)
        return Inspection(frame, payload, error, self.check_signature(apdu), self.check_mac(frame))

    def check_signature(self, apdu: GeneralSigningApdu) -> Check:
        """Verify with the originator's DS certificates."""
        if apdu.signature is None:
            return Check(False, None)
        candidates = self.signer_keys(apdu.originator_octets)
        if not candidates:
            return Check(True, None)
        for label, key in candidates:
            if verify_signature(apdu, key):
                return Check(True, True, label)
        return Check(True, False)

    def check_mac(self, frame: Frame) -> Check:
        """Verify the MAC with any KA pair between originator, target and ACB."""
        if not isinstance(frame, MacEnvelope):
            return Check(False, None)
        pairs = self._ka_pairs(frame.apdu)
        if not pairs:
            return Check(True, None)
        for label, own, peer in pairs:
            if verify_mac(frame, own, peer):
                return Check(True, True, label)
        return Check(True, False)

    def signer_keys(self, originator: bytes) -> list[tuple[str, PublicKey]]:
        """The DS keys the keystore holds for an originator, with labels (cached)."""
        if originator not in self._signers:
            entries = self._keystore.find(
                eui=Eui64(originator), key_usage=KeyUsage.DIGITAL_SIGNATURE
            )
            self._signers[originator] = [(_label(e), e.certificate.public_key()) for e in entries]
        return self._signers[originator]

    def _ka_pairs(self, apdu: GeneralSigningApdu) -> list[tuple[str, PrivateKey, PublicKey]]:
        parties = self._mac_parties(apdu)
        entries = [
            e
            for party in parties
            for e in self._keystore.find(eui=Eui64(party), key_usage=KeyUsage.KEY_AGREEMENT)
        ]
        return [
            (f"{_label(own)} x {_label(peer)}", own.private_key, peer.certificate.public_key())
            for own in entries
            if own.private_key is not None
            for peer in entries
            if peer.certificate.eui != own.certificate.eui
        ]

    def _mac_parties(self, apdu: GeneralSigningApdu) -> set[bytes]:
        """Who shares the MAC key: for a remote party's command the DCC (ACB) and the target
        device; for a device's own frames, the originator and the target."""
        if apdu.cra is Cra.COMMAND and not self._is_device(apdu.originator_octets):
            return self._acb | {apdu.target_octets}
        return {apdu.originator_octets, apdu.target_octets}

    def _is_device(self, eui: bytes) -> bool:
        return bool(self._keystore.find(eui=Eui64(eui), kind=CertificateKind.DEVICE))


def _label(entry: KeystoreEntry) -> str:
    return f"{entry.certificate.eui}/{entry.certificate.serial_hex}"


def _payload(apdu: GeneralSigningApdu) -> tuple[dict[str, Any] | None, str | None]:
    content = apdu.content
    try:
        if apdu.message_code in DLMS_ALERT_CODES and content[:1] == b"\x0f":
            return _dlms_json(dlms.decode_dlms_alert(content)), None
        payload = decode_payload(apdu.message_code, apdu.cra, content)
    except GbcsError as exc:
        return None, exc.message
    return (payload_to_json(payload) if payload is not None else None), None


def _dlms_json(alert: dlms.DlmsAlert) -> dict[str, Any]:
    return {
        "type": "DlmsAlert",
        "alert_code": f"{alert.alert_code:04X}",
        "alert_counter": alert.alert_counter,
        "alert_time": alert.alert_time.isoformat(),
        "extra": [{"tag": e.tag, "value": e.value.hex().upper()} for e in alert.extra],
        "extra_times": [t.isoformat() for t in alert.extra_times],
    }


def _date_time(value: bytes | None) -> str | None:
    if value is None:
        return None
    try:
        return dlms.decode_date_time(value).isoformat()
    except GbcsError:
        return value.hex().upper()


def _supplementary(apdu: GeneralSigningApdu) -> dict[str, Any]:
    info = apdu.supplementary()
    return {
        "remote_party_id": info.supplementary_remote_party_id,
        "remote_party_counter": info.supplementary_remote_party_counter,
        "originator_counter": info.supplementary_originator_counter,
        "ka_certificate_length": len(info.supplementary_remote_party_ka_certificate or b""),
    }
