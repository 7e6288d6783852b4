"""The DSP's transform of DUIS 6.15.1 bodies to GBCS pre-commands, against RTDS (DUIS CV 4)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from s1harness.duis import xml
from s1harness.duis.messages import Request, parse_message
from s1harness.gbcs.frames import GeneralSigningApdu, decode
from s1harness.gbcs.payloads import decode_update_security_credentials
from s1harness.roles.dsp.transform import GBCS_CANCELLATION, precommand, update_security_credentials

pytestmark = pytest.mark.vectors
PAIRS = [
    ("CS02bNOByNO_6.15.1_SUCCESS", "6.15.1_CS02bNOByNO/CS02bNOByNO_6.15.1_SUCCESS"),
    *(
        (f"CS02bSupplierBySupplier_6.15.1_{kind}_SUCCESS",
         f"6.15.1_CS02bSupplierBySupplier/CS02bSupplierBySupplier_6.15.1_{kind}_SUCCESS")
        for kind in ("IMMEDIATE", "FUTURE_DATED", "CANCELLATION")
    ),
    *(
        (f"CS02gLoadControllerBySupplier_6.15.1_{kind}_SUCCESS",
         f"6.15.1_CS02gLoadControllerBySupplier/CS02gLoadControllerBySupplier_6.15.1_{kind}_SUCCESS")
        for kind in ("IMMEDIATE", "FUTURE_DATED", "CANCELLATION")
    ),
]  # fmt: skip


@pytest.mark.parametrize(("template", "rtds"), PAIRS)
def test_transforming_a_template_gives_the_rtds_precommand(
    vectors: Path, template: str, rtds: str
) -> None:
    """The DUIS templates carry the 2025 re-issued certificates and RTDS the 2016 ones, so the
    RTDS certificates are put into the body first; everything else must come out identical."""
    request = parse_message(
        xml.parse((vectors / f"duis/requests/{template}_REQUEST_DUIS.XML").read_bytes())
    )
    assert isinstance(request, Request)
    expected = decode(bytes.fromhex((vectors / f"rtds/{rtds}_PRECOMMAND_GBCS.HEX").read_text()))
    assert isinstance(expected, GeneralSigningApdu)
    rtds_payload = decode_update_security_credentials(expected.content)
    body = request.body
    certificates = dataclasses.replace(
        body.replacement_certificates,  # type: ignore[union-attr]
        **dict(
            zip(_present(body), (r.certificate for r in rtds_payload.replacements), strict=True)
        ),
    )
    body = dataclasses.replace(body, replacement_certificates=certificates)  # type: ignore[type-var]
    assert precommand(body, request.header.request_id).raw == expected.raw  # type: ignore[arg-type]


def _present(body: object) -> list[str]:
    certificates = body.replacement_certificates  # type: ignore[attr-defined]
    names = ("digital_signing", "key_agreement", "key_agreement_top_up")
    return [n for n in names if getattr(certificates, n) is not None]


def test_a_duis_cancellation_becomes_the_gbcs_never(vectors: Path) -> None:
    name = "CS02bSupplierBySupplier_6.15.1_CANCELLATION_SUCCESS_REQUEST_DUIS.XML"
    request = parse_message(xml.parse((vectors / "duis/requests" / name).read_bytes()))
    assert isinstance(request, Request)
    payload = update_security_credentials(request.body, 1002)  # type: ignore[arg-type]
    assert payload.execution_date_time == GBCS_CANCELLATION
