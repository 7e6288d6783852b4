"""Trust anchor cells, floors, mode rules, commissioning and frame protection of the SMETS2
device emulator."""

from __future__ import annotations

import pytest

from s1harness.gbcs.crypto import verify_mac
from s1harness.gbcs.frames import Cra, MacEnvelope, SignatureField, build_general_signing, decode
from s1harness.gbcs.payloads import (
    AuthorisingRemotePartyControl,
    ReplacementMode,
    SeqNumberChange,
    SpecialistSeqNumber,
)
from s1harness.roles.smets2 import (
    ACB_KA,
    CS02B_ALERT,
    CS02G_ALERT,
    LAYOUTS,
    LOAD_CONTROLLER_DS,
    NETWORK_OPERATOR_DS,
    NETWORK_OPERATOR_KA,
    ROOT,
    RULES,
    SUPPLIER_DS,
    SUPPLIER_KA,
    SUPPLIER_KA_TOP_UP,
    CellContent,
    DeviceKeys,
    DeviceType,
    FloorSeqNumbers,
    Smets2Device,
    TrustAnchorCells,
    protect,
    root_anchor,
    rule_for,
)
from s1harness.roles.smets2.cells import LOAD_CONTROLLER_CELLS, NETWORK_OPERATOR_CELLS
from s1harness.roles.smets2.floors import seq_number_changes
from s1harness.smki import TestPki
from s1harness.spec import InputError, RemotePartyRole
from unit.roles.smets2_support import ACB_ID, ESME_ID, NO_ID, SUPPLIER_ID, ManualClock, parties

ROLE = RemotePartyRole


def test_each_device_type_has_the_cells_rtds_shows() -> None:
    esme, gsme, gpf = (set(LAYOUTS[t]) for t in (DeviceType.ESME, DeviceType.GSME, DeviceType.GPF))
    assert len(esme) == 11 and ROOT in esme and SUPPLIER_KA_TOP_UP in esme
    assert gsme == esme - {*NETWORK_OPERATOR_CELLS, *LOAD_CONTROLLER_CELLS}
    assert gpf == esme - set(LOAD_CONTROLLER_CELLS)
    assert all(cell.role != ROLE.WAN_PROVIDER for cell in esme)


def test_a_commissioned_device_trusts_its_parties_under_the_pki_root(pki: TestPki) -> None:
    known = parties(pki)
    esme = Smets2Device.commissioned(
        pki,
        ESME_ID,
        "ESME",
        supplier=known.supplier,
        network_operator=known.network_operator,
        acb=known.acb,
        clock=ManualClock(),
    )
    cells = esme.cells
    assert cells.root_anchor == root_anchor(pki)
    assert cells[ROOT].subject_unique_id == "0000000000000000"
    assert cells[ROOT].subject_key_id == pki.org_root.certificate.ski
    assert cells[SUPPLIER_DS].subject_unique_id == SUPPLIER_ID
    assert cells[SUPPLIER_KA_TOP_UP].certificate == known.supplier.ka.certificate
    assert cells[NETWORK_OPERATOR_KA].serial == known.network_operator.ka.certificate.serial
    assert cells[ACB_KA].subject_unique_id == ACB_ID
    assert all(cells[c].certificate is not None for c in cells if c != ROOT)
    assert esme.ds_certificate.eui == ESME_ID and esme.ka_certificate.eui == ESME_ID
    assert "networkOperator/digitalSignature" in repr(cells)


def test_placeholders_put_acb_certificates_in_supplier_and_no_cells(pki: TestPki) -> None:
    known = parties(pki)
    gpf = Smets2Device.commissioned(
        pki,
        "00DB1234567890A3",
        DeviceType.GPF,
        supplier=None,
        network_operator=None,
        acb=known.acb,
        clock=ManualClock(),
    )
    for cell in (SUPPLIER_DS, SUPPLIER_KA, SUPPLIER_KA_TOP_UP, NETWORK_OPERATOR_DS):
        assert gpf.cells[cell].subject_unique_id == ACB_ID
    assert LOAD_CONTROLLER_DS not in gpf.cells


def test_cells_refuse_what_does_not_fit(pki: TestPki) -> None:
    known = parties(pki)
    anchor = root_anchor(pki)
    no_ds = {NETWORK_OPERATOR_DS: known.network_operator.ds.certificate}
    with pytest.raises(InputError, match="no certificate cell"):
        TrustAnchorCells.for_device(DeviceType.GSME, root=anchor, certificates=no_ds)
    wrong_usage = {NETWORK_OPERATOR_DS: known.network_operator.ka.certificate}
    with pytest.raises(InputError, match="does not fit"):
        TrustAnchorCells.for_device(DeviceType.ESME, root=anchor, certificates=wrong_usage)
    with pytest.raises(InputError, match="root"):
        TrustAnchorCells({ROOT: CellContent()})
    empty = TrustAnchorCells.for_device(DeviceType.ESME, root=anchor, certificates={})
    assert empty[SUPPLIER_DS].subject_key_id == bytes(8) and empty.certificate(SUPPLIER_DS) is None


def test_the_device_checks_its_own_credentials(pki: TestPki) -> None:
    known = parties(pki)
    cells = TrustAnchorCells.for_device(DeviceType.ESME, root=root_anchor(pki), certificates={})
    ds = pki.issue_device(ESME_ID, SUPPLIER_DS.key_usage)
    ka = pki.issue_device(ESME_ID, SUPPLIER_KA.key_usage)
    other = pki.issue_device("00DB1234567890A1", SUPPLIER_KA.key_usage)
    with pytest.raises(InputError, match="does not match"):
        Smets2Device(
            ESME_ID,
            "ESME",
            ds_key=ka.private_key,
            ds_certificate=ds.certificate,
            ka_key=ka.private_key,
            ka_certificate=ka.certificate,
            cells=cells,
            clock=ManualClock(),
        )
    with pytest.raises(InputError, match="00DB1234567890A1"):
        Smets2Device(
            ESME_ID,
            "ESME",
            ds_key=ds.private_key,
            ds_certificate=ds.certificate,
            ka_key=other.private_key,
            ka_certificate=other.certificate,
            cells=cells,
            clock=ManualClock(),
        )
    assert known.acb.ka.certificate.eui == ACB_ID


def test_floors_rise_with_accepted_counters_and_reset_by_changes() -> None:
    floors = FloorSeqNumbers.initial({ROLE.SUPPLIER: 10})
    assert not floors.accepts(ROLE.SUPPLIER, 10) and floors.accepts(ROLE.SUPPLIER, 11)
    assert floors.accepts(ROLE.NETWORK_OPERATOR, 1) and not floors.accepts(ROLE.NETWORK_OPERATOR, 0)
    raised = floors.with_counter(ROLE.SUPPLIER, 1000)
    assert raised.floor(ROLE.SUPPLIER) == 1000 and floors.floor(ROLE.SUPPLIER) == 10
    reset = raised.with_changes(
        [
            SeqNumberChange(ROLE.SUPPLIER, 0, (SpecialistSeqNumber(0, 5),)),
            SeqNumberChange(ROLE.ACCESS_CONTROL_BROKER, 3),
        ]
    )
    assert reset.floor(ROLE.SUPPLIER) == 0 and reset.specialist_floor(ROLE.SUPPLIER) == 5
    assert reset.floor(ROLE.ACCESS_CONTROL_BROKER) == 3


def test_seq_number_changes_list_the_authoriser_first_then_the_others() -> None:
    specialist = (SpecialistSeqNumber(0, 0),)
    other = (
        SeqNumberChange(ROLE.SUPPLIER, 0, specialist),
        SeqNumberChange(ROLE.NETWORK_OPERATOR, 0),
    )
    control = AuthorisingRemotePartyControl(
        mode=ReplacementMode.ANY_EXCEPT_ABNORMAL_ROOT_BY_RECOVERY,
        seq_number=7000,
        floor_seq_number=0,
        other_seq_number_changes=other,
    )
    assert seq_number_changes(control, ROLE.RECOVERY) == (SeqNumberChange(ROLE.RECOVERY, 0), *other)
    bare = AuthorisingRemotePartyControl(mode=ReplacementMode.TRANS_COS_BY_TRANS_COS, seq_number=1)
    assert seq_number_changes(bare, ROLE.TRANSITIONAL_COS) == ()


@pytest.mark.parametrize("mode", list(ReplacementMode))
def test_every_mode_has_a_rule_or_is_unsupported(mode: ReplacementMode) -> None:
    rule = rule_for(mode)
    unsupported = {0, 1, 9}
    assert (rule is None) is (mode in unsupported)
    if rule is not None:
        assert rule.signed is (mode != ReplacementMode.ACCESS_CONTROL_BROKER_BY_ACB)
        assert rule.mac_required is (mode != ReplacementMode.ANY_EXCEPT_ABNORMAL_ROOT_BY_RECOVERY)
        assert ROOT not in rule.targets
        assert rule.alert_message_code == (CS02G_ALERT if mode >= 10 else CS02B_ALERT)
    assert rule_for(int(mode) + 100) is None
    assert len(RULES) == 9


def test_a_non_critical_message_is_maced_for_its_targets_ka_certificate(pki: TestPki) -> None:
    known = parties(pki)
    esme = Smets2Device.commissioned(
        pki,
        ESME_ID,
        "ESME",
        supplier=known.supplier,
        network_operator=known.network_operator,
        acb=known.acb,
        clock=ManualClock(),
    )
    own = (
        pki.issue_device(ESME_ID, SUPPLIER_DS.key_usage),
        pki.issue_device(ESME_ID, SUPPLIER_KA.key_usage),
    )
    keys = DeviceKeys(ESME_ID, own[0].private_key, own[1].private_key)
    apdu = build_general_signing(
        cra=Cra.RESPONSE,
        counter=9,
        originator=ESME_ID,
        target=NO_ID,
        other_information=0x0027,
        content=b"\x01",
    )

    envelope = decode(protect(apdu, critical=False, keys=keys, cells=esme.cells))

    assert isinstance(envelope, MacEnvelope)
    assert envelope.apdu.signature_field is SignatureField.EMPTY
    assert verify_mac(
        envelope, known.network_operator.ka.private_key, esme.ka_certificate.public_key()
    )
    stranger = build_general_signing(
        cra=Cra.ALERT,
        counter=1,
        originator=ESME_ID,
        target="90B3D51F3000FFFF",
        other_information=0x1001,
        content=b"",
    )
    with pytest.raises(InputError, match="no KA certificate"):
        protect(stranger, critical=False, keys=keys, cells=esme.cells)
