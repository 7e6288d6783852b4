"""The public DUIS templates and DCC Boxed responses through the typed model."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from s1harness.duis import xml
from s1harness.duis.messages import (
    DuisRemotePartyRole,
    GbcsPayload,
    GenericBody,
    Request,
    RequestHandoverOfDCCControlledDevice,
    RequestId,
    Response,
    ResponseMessage,
    UpdateSecurityCredentialsKRP,
    parse_message,
    parse_request,
    parse_response,
    to_element,
)
from s1harness.spec import Eui64
from support import pem_der

pytestmark = pytest.mark.vectors

SUPPLIER = "90-B3-D5-1F-30-01-00-00"
NO = "90-B3-D5-1F-30-02-00-00"
DCC = "90-B3-D5-1F-30-00-00-02"
ESME = "00-DB-12-34-56-78-90-A0"
HANDOVER_ESME = "00-DB-12-34-56-78-90-A3"
KRP = "UpdateSecurityCredentialsKRP"
HANDOVER = "RequestHandoverOfDCCControlledDevice"

# file prefix (before _REQUEST_DUIS.XML): CV, SR, SRV, originator, target, counter, body.
TEMPLATES = {
    "8.2_READ_INVENTORY": (8, "8.2", "8.2", SUPPLIER, DCC, 1000, "ReadInventory"),
    "CS02aMAC_6.24.1_SUCCESS": (
        1,
        "6.24",
        "6.24.1",
        SUPPLIER,
        ESME,
        1000,
        "RetrieveDeviceSecurityCredentialsKRP",
    ),
    "CS02fMAC_6.24.1_SUCCESS": (
        1,
        "6.24",
        "6.24.1",
        DCC,
        ESME,
        1302,
        "RetrieveDeviceSecurityCredentialsKRP",
    ),
    "CS02bACBByACB_8.5_SUCCESS": (1, "8.5", "8.5", SUPPLIER, ESME, 1005, "ServiceOptOut"),
    "CS02bNOByNOHandover_6.21_SUCCESS": (
        1,
        "6.21",
        "6.21",
        SUPPLIER,
        HANDOVER_ESME,
        1001,
        HANDOVER,
    ),
    "CS02bSupplierBySupplierHandover_6.21_SUCCESS": (
        1,
        "6.21",
        "6.21",
        SUPPLIER,
        HANDOVER_ESME,
        1000,
        HANDOVER,
    ),
    "CS02bNOByNO_6.15.1_SUCCESS": (4, "6.15", "6.15.1", NO, ESME, 1200, KRP),
    **{
        f"{family}_6.15.1_{when}_SUCCESS": (4, "6.15", "6.15.1", SUPPLIER, ESME, counter, KRP)
        for family in ("CS02bSupplierBySupplier", "CS02gLoadControllerBySupplier")
        for when, counter in (("IMMEDIATE", 1000), ("FUTURE_DATED", 1001), ("CANCELLATION", 1002))
    },
    **{
        f"CS02bSupplierByTransCoS_6.23_{when}_SUCCESS": (
            1,
            "6.23",
            "6.23",
            SUPPLIER,
            ESME,
            counter,
            "UpdateSecurityCredentialsCoS",
        )
        for when, counter in (("IMMEDIATE", 1006), ("FUTURE_DATED", 1007), ("CANCELLATION", 1008))
    },
    "CS02c_6.17_SUCCESS": (4, "6.17", "6.17", SUPPLIER, ESME, 1000, "IssueSecurityCredentials"),
    "CS02d_6.15.2_SUCCESS": (
        4,
        "6.15",
        "6.15.2",
        SUPPLIER,
        ESME,
        1000,
        "UpdateSecurityCredentialsDevice",
    ),
    "CS02e_6.24.2_SUCCESS": (
        4,
        "6.24",
        "6.24.2",
        SUPPLIER,
        ESME,
        1000,
        "RetrieveDeviceSecurityCredentialsDevice",
    ),
    "CS03A1_8.7.1_SUCCESS": (4, "8.7", "8.7.1", SUPPLIER, ESME, 1000, "JoinServiceCritical"),
    "ECS17b_4.1.1": (2, "4.1", "4.1.1", SUPPLIER, ESME, 1000, "ReadInstantaneousImportRegisters"),
    **{
        f"ECS17b_4.1.1_{kind}": (
            1,
            "4.1",
            "4.1.1",
            SUPPLIER,
            ESME,
            1000,
            "ReadInstantaneousImportRegisters",
        )
        for kind in ("SINGLE_SUCCESS", "DSP_FUTURE_DATED")
    },
    "ECS17b_4.1.1_TWIN_SUCCESS": (
        1,
        "4.1",
        "4.1.1",
        NO,
        ESME,
        1200,
        "ReadInstantaneousImportRegisters",
    ),
}


def _load(vectors: Path, name: str) -> etree._Element:
    return xml.parse((vectors / "duis" / "requests" / f"{name}_REQUEST_DUIS.XML").read_bytes())


def test_the_table_covers_every_template(vectors: Path) -> None:
    names = {
        p.name.removesuffix("_REQUEST_DUIS.XML")
        for p in (vectors / "duis" / "requests").glob("*.XML")
    }
    assert names == set(TEMPLATES)
    assert len(names) == 24


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_parses_with_the_documented_header_and_body(
    vectors: Path, name: str
) -> None:
    cv, reference, variant, originator, target, counter, body_name = TEMPLATES[name]
    request = parse_request(_load(vectors, name))
    assert request.schema_version == "5.4"
    header = request.header
    assert header.request_id == RequestId(Eui64(originator), Eui64(target), counter)
    assert str(header.request_id) == f"{originator}:{target}:{counter}"
    assert (header.command_variant, header.service_reference) == (cv, reference)
    assert header.service_reference_variant == variant
    assert header.first_in_sequence is None and header.preceding_request_id is None
    expected_type = {
        KRP: UpdateSecurityCredentialsKRP,
        HANDOVER: RequestHandoverOfDCCControlledDevice,
    }
    assert type(request.body) is expected_type.get(body_name, GenericBody)
    if isinstance(request.body, GenericBody):
        assert request.body.name == body_name


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_is_rebuilt_equivalently(
    vectors: Path, name: str, canonical_form: Callable[[etree._Element], bytes]
) -> None:
    original = _load(vectors, name)
    rebuilt = to_element(parse_message(original))
    assert canonical_form(rebuilt) == canonical_form(original)
    assert rebuilt.nsmap == {"sr": "http://www.dccinterface.co.uk/ServiceUserGateway", **_DS_XSI}


_DS_XSI = {
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}


def test_the_6_15_1_bodies_carry_the_documented_values(vectors: Path) -> None:
    z1 = pem_der(vectors / "smki" / "Z1-issuing-ca.pem")
    rows = {
        "CS02bNOByNO_6.15.1_SUCCESS": (DuisRemotePartyRole.NETWORK_OPERATOR, None, (1, 1, 0), True),
        "CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS": (
            DuisRemotePartyRole.SUPPLIER,
            None,
            (1, 1, 1),
            False,
        ),
        "CS02bSupplierBySupplier_6.15.1_FUTURE_DATED_SUCCESS": (
            DuisRemotePartyRole.SUPPLIER,
            datetime(2030, 1, 15, tzinfo=UTC),
            (1, 1, 1),
            True,
        ),
        "CS02bSupplierBySupplier_6.15.1_CANCELLATION_SUCCESS": (
            DuisRemotePartyRole.SUPPLIER,
            datetime(3000, 12, 31, tzinfo=UTC),
            (1, 1, 1),
            True,
        ),
        "CS02gLoadControllerBySupplier_6.15.1_IMMEDIATE_SUCCESS": (
            DuisRemotePartyRole.LOAD_CONTROLLER,
            None,
            (1, 1, 0),
            True,
        ),
    }
    for name, (role, when, slots, cpv) in rows.items():
        body = parse_request(_load(vectors, name)).body
        assert isinstance(body, UpdateSecurityCredentialsKRP), name
        certificates = body.replacement_certificates
        present = (
            certificates.digital_signing,
            certificates.key_agreement,
            certificates.key_agreement_top_up,
        )
        assert (
            body.remote_party_role,
            body.execution_date_time,
            body.apply_time_based_cpv_checks,
        ) == (role, when, cpv), name
        assert tuple(int(c is not None) for c in present) == slots, name
        assert all(c is None or c.startswith(b"\x30\x82") for c in present)
        assert body.certification_path_certificates == (z1,), name
        assert body.remote_party_floor_seq_number == 0


def test_the_6_21_bodies_have_mandatory_ds_and_no_wrapper(vectors: Path) -> None:
    supplier = parse_request(_load(vectors, "CS02bSupplierBySupplierHandover_6.21_SUCCESS")).body
    no = parse_request(_load(vectors, "CS02bNOByNOHandover_6.21_SUCCESS")).body
    assert isinstance(supplier, RequestHandoverOfDCCControlledDevice)
    assert isinstance(no, RequestHandoverOfDCCControlledDevice)
    assert supplier.remote_party_role is DuisRemotePartyRole.SUPPLIER
    assert supplier.remote_party_prepayment_top_up_floor_seq_number == 0
    assert supplier.replacement_certificates.key_agreement_top_up is not None
    assert no.remote_party_role is DuisRemotePartyRole.NETWORK_OPERATOR
    assert no.replacement_certificates.key_agreement_top_up is None
    assert no.replacement_certificates.digital_signing is not None


def _response(vectors: Path, name: str) -> etree._Element:
    return xml.parse((vectors / "duis" / "responses" / name).read_bytes())


def test_the_real_device_response_parses(vectors: Path) -> None:
    response = parse_response(_response(vectors, "readfw-response.xml"))
    assert response.schema_version == "5.1"
    header = response.header
    assert header.response_code == "I0"
    assert header.response_date_time == datetime(2022, 8, 17, 15, 45, 42, 790000, tzinfo=UTC)
    assert header.request_id == RequestId.parse(f"{SUPPLIER}:88-73-84-57-00-2F-96-1E:1660751141087")
    assert header.response_id == header.request_id.swapped()
    body = response.body
    assert isinstance(body, ResponseMessage)
    assert (body.service_reference, body.service_reference_variant) == ("11.2", "11.2")
    assert isinstance(body.content, GbcsPayload)
    assert body.content.payload == base64.b64decode(
        "3QAAAAAAAFURAAAAAN8JAgAAAYKse1oHCIhzhFcAL5YeCJCz1R8wAAACABIAWZCz1R8wAQAAAAABgqx7WN8R2iB7WgcAAAEJBAwjAAABAQAAnbt9CWxcgwworYef"
    )


def test_the_real_error_acknowledgement_parses(vectors: Path) -> None:
    response = parse_response(_response(vectors, "acknowledgement-error.xml"))
    assert response == Response(
        response.header, ResponseMessage("11.2", "11.2", None), schema_version="5.1"
    )
    assert response.header.response_code == "E65"
    assert response.header.response_id is None
    assert response.header.response_date_time == datetime(
        2022, 7, 22, 9, 37, 56, 134000, tzinfo=UTC
    )


@pytest.mark.parametrize("name", ["readfw-response.xml", "acknowledgement-error.xml"])
def test_the_real_responses_are_rebuilt_equivalently(
    vectors: Path, name: str, canonical_form: Callable[[etree._Element], bytes]
) -> None:
    original = _response(vectors, name)
    rebuilt = to_element(parse_message(original))
    assert canonical_form(rebuilt) == canonical_form(original)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_rebuilt_templates_validate(vectors: Path, name: str, duis_schema: etree.XMLSchema) -> None:
    request = parse_message(_load(vectors, name))
    assert isinstance(request, Request)
    duis_schema.assertValid(to_element(request))
