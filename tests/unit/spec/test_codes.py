"""The one code table: every code has a source, and every DUIS code validates where it is used."""

from __future__ import annotations

import pytest

from s1harness.duis import xml
from s1harness.duis.ns import SR
from s1harness.duis.schema import load_schema
from s1harness.spec import InputError
from s1harness.spec.checks import answering
from s1harness.spec.codes import CODES, CodeKind, CodeSource, code

RESPONSE = (
    '<sr:Response xmlns:sr="{sr}" schemaVersion="5.4"><sr:Header><sr:ResponseCode>{code}'
    "</sr:ResponseCode><sr:ResponseDateTime>2026-11-21T00:00:00.000Z</sr:ResponseDateTime>"
    "</sr:Header><sr:Body><sr:ResponseMessage><sr:ServiceReference>6.15</sr:ServiceReference>"
    "<sr:ServiceReferenceVariant>6.15.1</sr:ServiceReferenceVariant></sr:ResponseMessage>"
    "</sr:Body></sr:Response>"
)


def test_every_code_says_what_it_means_and_where_that_comes_from() -> None:
    for entry in CODES.values():
        assert entry.meaning and entry.source in CodeSource
    assert code("S1VE4").source is CodeSource.SEED
    assert answering(code("E4")).name == "SRPD 6.1(f)"
    with pytest.raises(InputError, match="unknown code"):
        code("E999")


@pytest.mark.vectors
def test_every_response_code_validates_and_the_proposal_needs_its_overlay(vectors: object) -> None:
    plain, proposed = load_schema(), load_schema(("SECMP0058",))
    for entry in CODES.values():
        if entry.kind is not CodeKind.RESPONSE:
            continue
        document = xml.parse(RESPONSE.format(sr=SR, code=entry.code).encode())
        if entry.code == "E061510":
            assert plain.validate(document) != []
            assert proposed.validate(document) == []
        else:
            assert plain.validate(document) == [], entry.code
