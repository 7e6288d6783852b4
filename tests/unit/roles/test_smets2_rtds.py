"""Golden checks: the emulated device answers the RTDS CS02b/CS02g commands as the RTDS device
did.

The device is set up in the state the RTDS vectors imply:

* its cells hold the ZAZ1 certificates of ``vectors/rtds/keystore`` (ACB certificates in the
  supplier and network operator cells of the GPF before the 6.21 handover);
* its **root cell trusts Z1** (``vectors/smki/Z1-issuing-ca.pem``) rather than the ZA root,
  whose key is not public. The paths carried by the commands ([Z1]) then end at the anchor
  itself. One consequence: the CS02g IMMEDIATE_ERROR vectors, which fail only because their Z1
  copy has a corrupted signature, cannot fail here and are left out;
* its clock is 2020-01-01, when the 2015/2016 certificates are in date;
* its own DS and KA keys come from the test PKI: no RTDS device private key is public, so
  its signatures differ from RTDS and only the payloads and header fields are compared;
* the MAC is checked from the ACB side (ECDH is symmetric): the ACB private key of whichever
  certificate the ACB KA cell holds × the RTDS device KA certificate, through the device's
  ``mac_verifier`` seam. After 8.5 replaces that cell, the Z1b ACB key is the one that works.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from s1harness.gbcs.crypto import sign_apdu, verify_mac, wrap_mac
from s1harness.gbcs.frames import (
    Cra,
    GeneralSigningApdu,
    MacEnvelope,
    SignatureField,
    build_general_signing,
    decode,
)
from s1harness.gbcs.payloads import (
    CpvChecks,
    ReplacementMode,
    UpdateSecurityCredentials,
    decode_payload,
    encode_payload,
)
from s1harness.roles.smets2 import (
    ACB_KA,
    LAYOUTS,
    NETWORK_OPERATOR_DS,
    NETWORK_OPERATOR_KA,
    RECOVERY_DS,
    SUPPLIER_DS,
    SUPPLIER_KA,
    SUPPLIER_KA_TOP_UP,
    TRANSITIONAL_COS_DS,
    DeviceType,
    RejectionReason,
    Smets2Device,
    TrustAnchorCells,
    device_credentials,
)
from s1harness.roles.smets2.cells import LOAD_CONTROLLER_DS, LOAD_CONTROLLER_KA, ROOT
from s1harness.smki import Keystore, SmkiCertificate, TestPki, TrustAnchor
from s1harness.spec import Eui64
from support import load
from unit.roles.smets2_support import update

DEVICE_CLOCK = datetime(2020, 1, 1, tzinfo=UTC)
_CELL_FILES = {
    RECOVERY_DS: "90b3d51f30000001-ds",
    SUPPLIER_DS: "90b3d51f30010000-ds",
    SUPPLIER_KA: "90b3d51f30010000-ka",
    SUPPLIER_KA_TOP_UP: "90b3d51f30010000-pp-ka",
    NETWORK_OPERATOR_DS: "90b3d51f30020000-ds",
    NETWORK_OPERATOR_KA: "90b3d51f30020000-ka",
    ACB_KA: "90b3d51f30000002-ka",
    TRANSITIONAL_COS_DS: "90b3d51f30000004-ds",
    LOAD_CONTROLLER_DS: "90b3d51f30010008-ds",
    LOAD_CONTROLLER_KA: "90b3d51f30010008-ka",
}
_PLACEHOLDERS = {
    SUPPLIER_DS: "90b3d51f30000002-ds",
    SUPPLIER_KA: "90b3d51f30000002-ka",
    SUPPLIER_KA_TOP_UP: "90b3d51f30000002-ka",
    NETWORK_OPERATOR_DS: "90b3d51f30000002-ds",
    NETWORK_OPERATOR_KA: "90b3d51f30000002-ka",
}
_DEVICE_TYPES = {"00DB1234567890A0": DeviceType.ESME, "00DB1234567890A3": DeviceType.GPF}
CASES = [
    ("6.15.1_CS02bNOByNO", "CS02bNOByNO_6.15.1_SUCCESS"),
    ("6.15.1_CS02bSupplierBySupplier", "CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS"),
    ("6.15.1_CS02bSupplierBySupplier", "CS02bSupplierBySupplier_6.15.1_IMMEDIATE_ERROR"),
    ("6.15.1_CS02bSupplierBySupplier", "CS02bSupplierBySupplier_6.15.1_FUTURE_DATED_SUCCESS"),
    ("6.15.1_CS02bSupplierBySupplier", "CS02bSupplierBySupplier_6.15.1_CANCELLATION_SUCCESS"),
    ("6.21_CS02bNOByNOHandover", "CS02bNOByNOHandover_6.21_SUCCESS"),
    ("6.21_CS02bSupplierBySupplierHandover", "CS02bSupplierBySupplierHandover_6.21_SUCCESS"),
    ("6.23_CS02bSupplierByTransCoS", "CS02bSupplierByTransCoS_6.23_IMMEDIATE_SUCCESS"),
    ("8.5_CS02bACBByACB", "CS02bACBByACB_8.5_SUCCESS"),
    ("NA_CS02bTransCoSByTransCoS", "CS02bTransCoSByTransCoS_NA_SUCCESS"),
    ("NA_CS02bAnyExceptAbnormalRootByRecovery", "CS02bAnyExceptAbnormalRootByRecovery_NA_SUCCESS"),
    (
        "6.15.1_CS02gLoadControllerBySupplier",
        "CS02gLoadControllerBySupplier_6.15.1_IMMEDIATE_SUCCESS",
    ),
]


@pytest.fixture(scope="module")
def keys(vectors: Path) -> Keystore:
    """The RTDS keystore and the ZAZ1 keystore (which holds the Z1b replacement keys)."""
    return Keystore.load(vectors / "rtds" / "keystore", vectors / "smki" / "zaz1-keystore.json")


def _frame(vectors: Path, folder: str, name: str) -> bytes:
    return bytes.fromhex((vectors / "rtds" / folder / f"{name}_GBCS.HEX").read_text().strip())


def _apdu(frame: bytes) -> GeneralSigningApdu:
    decoded = decode(frame)
    return decoded.apdu if isinstance(decoded, MacEnvelope) else decoded


def rtds_device(
    vectors: Path, pki: TestPki, keys: Keystore, device_id: Eui64, *, handover: bool
) -> Smets2Device:
    """A device in the state the RTDS vectors imply (see the module docstring)."""
    kind = _DEVICE_TYPES[device_id]
    files = {**_CELL_FILES, **(_PLACEHOLDERS if handover else {})}
    store = vectors / "rtds" / "keystore"
    certificates = {
        cell: load(store / f"{name}.pem") for cell, name in files.items() if cell in LAYOUTS[kind]
    }
    root = TrustAnchor.from_certificate(load(vectors / "smki" / "Z1-issuing-ca.pem"))
    device_ka = load(store / f"{device_id.lower()}-ka.pem")
    own = device_credentials(pki, device_id)

    def from_the_acb_side(envelope: MacEnvelope, acb: SmkiCertificate) -> bool:
        private = next(
            e.private_key for e in keys if e.certificate.public_point == acb.public_point
        )
        assert private is not None
        return verify_mac(envelope, private, device_ka.public_key())

    return Smets2Device(
        device_id,
        kind,
        ds_key=own.ds.private_key,
        ds_certificate=own.ds.certificate,
        ka_key=own.ka.private_key,
        ka_certificate=own.ka.certificate,
        cells=TrustAnchorCells.for_device(kind, root=root, certificates=certificates),
        clock=lambda: DEVICE_CLOCK,
        mac_verifier=from_the_acb_side,
    )


@pytest.mark.vectors
@pytest.mark.parametrize(("folder", "stem"), CASES, ids=[stem for _, stem in CASES])
def test_the_device_answers_rtds_commands_as_the_rtds_device(
    vectors: Path, pki: TestPki, keys: Keystore, folder: str, stem: str
) -> None:
    command = _frame(vectors, folder, f"{stem}_COMMAND")
    expected = _apdu(_frame(vectors, folder, f"{stem}_RESPONSE"))
    device_id = _apdu(command).target
    device = rtds_device(vectors, pki, keys, device_id, handover=folder.startswith("6.21"))

    reception = device.receive_detailed(command)

    assert reception.rejection is None, reception.rejection
    [frame] = reception.frames
    ours = _apdu(frame)
    assert ours.cra is Cra.RESPONSE and ours.signature_field is SignatureField.PRESENT
    fields = ("counter", "originator", "target", "message_code")
    assert [getattr(ours, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert ours.content == expected.content  # outcomes, SKIs, floors and the 82 00 nn lengths
    assert decode_payload(ours.message_code, Cra.RESPONSE, ours.content) == decode_payload(
        expected.message_code, Cra.RESPONSE, expected.content
    )


@pytest.mark.vectors
def test_after_rtds_no_by_no_only_the_z1b_network_operator_is_trusted(
    vectors: Path, pki: TestPki, keys: Keystore
) -> None:
    command = _frame(vectors, "6.15.1_CS02bNOByNO", "CS02bNOByNO_6.15.1_SUCCESS_COMMAND")
    device = rtds_device(vectors, pki, keys, Eui64("00DB1234567890A0"), handover=False)
    device.receive(command)
    z1b = next(e for e in keys if e.name == "Z1b-networkOperator-ds")
    assert device.cells[NETWORK_OPERATOR_DS].certificate == z1b.certificate
    assert device.cells[ROOT].subject_key_id.hex().upper() == "4F5688D7EC933BE2"

    replayed = device.receive_detailed(command).rejection
    assert replayed is not None and replayed.reason is RejectionReason.SIGNATURE_FAILURE
    z1_ka = next(e for e in keys if e.name == "Z1-networkOperator-ka")
    payload = update(
        pki,
        ReplacementMode.NETWORK_OPERATOR_BY_NETWORK_OPERATOR,
        1,
        [(z1_ka.certificate.der, NETWORK_OPERATOR_KA)],
        path=(load(vectors / "smki" / "Z1-issuing-ca.pem").der,),
        cpv=CpvChecks.DISAPPLY,
    )
    assert z1b.private_key is not None
    signed = sign_apdu(_precommand(payload, device), z1b.private_key)
    acb = next(e for e in keys if e.name == "Z1-accessControlBroker-ka")
    assert acb.private_key is not None
    mac = wrap_mac(
        signed,
        acb.private_key,
        load(vectors / "rtds" / "keystore" / "00db1234567890a0-ka.pem").public_key(),
    )
    assert device.receive(mac.raw)
    assert device.cells[NETWORK_OPERATOR_KA].certificate == z1_ka.certificate


@pytest.mark.vectors
def test_after_rtds_acb_by_acb_only_the_z1b_acb_key_macs(
    vectors: Path, pki: TestPki, keys: Keystore
) -> None:
    device = rtds_device(vectors, pki, keys, Eui64("00DB1234567890A0"), handover=False)
    device.receive(_frame(vectors, "8.5_CS02bACBByACB", "CS02bACBByACB_8.5_SUCCESS_COMMAND"))
    assert device.cells[ACB_KA].subject_key_id.hex().upper() == "4897771D34FCB0C6"

    no_by_no = _frame(vectors, "6.15.1_CS02bNOByNO", "CS02bNOByNO_6.15.1_SUCCESS_COMMAND")
    refused = device.receive_detailed(no_by_no).rejection
    assert refused is not None and refused.reason is RejectionReason.MAC_FAILURE
    z1b_acb = next(e for e in keys if e.name == "Z1b-accessControlBroker-ka")
    assert z1b_acb.private_key is not None
    device_ka = load(vectors / "rtds" / "keystore" / "00db1234567890a0-ka.pem")
    remacked = wrap_mac(_apdu(no_by_no), z1b_acb.private_key, device_ka.public_key())
    assert device.receive(remacked.raw)


def _precommand(payload: UpdateSecurityCredentials, device: Smets2Device) -> GeneralSigningApdu:
    return build_general_signing(
        cra=Cra.COMMAND,
        counter=payload.control.seq_number,
        originator="90B3D51F30020000",
        target=device.device_id,
        other_information=0x0103,
        content=encode_payload(payload),
    )
