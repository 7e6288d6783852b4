"""``s1harness up --duis-port``: the DCC Boxed DUIS web service of a running estate, in its own
process — the boxed template through Transform and Send Command, E13 on the wrong URL, and the
device's response POSTed to the User's receive URL."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from s1harness.duis import xml
from s1harness.duis.messages import (
    GbcsPayload,
    PreCommand,
    Request,
    RequestHeader,
    Response,
    ResponseMessage,
    SignedPreCommand,
    parse_message,
    parse_request,
    to_element,
)
from s1harness.duis.signature import sign
from s1harness.gbcs.crypto import sign_precommand
from s1harness.gbcs.frames import GeneralSigningApdu, decode
from s1harness.smki import Keystore, KeystoreEntry
from s1harness.suite.audit import DuisAudit

from .test_duis_http import NO_BY_NO, receiving

pytestmark = [pytest.mark.mqtt, pytest.mark.vectors]


def _entry(keystore: Keystore, name: str) -> KeystoreEntry:
    return next(e for e in keystore if e.name == name)


async def _post(url: str, body: bytes) -> Response:
    """POST a signed request; the answer, checked XSD-valid as it came."""
    async with (
        aiohttp.ClientSession() as client,
        client.post(url, data=body, headers={"Content-Type": "application/xml"}) as answer,
    ):
        assert answer.status == 200, await answer.text()
        raw = await answer.read()
        assert DuisAudit.problem(raw) is None
        message = parse_message(xml.parse(raw))
    assert isinstance(message, Response)
    return message


async def test_the_boxed_template_through_a_running_estate(vectors: Path) -> None:
    zaz1 = Keystore.load(vectors / "smki" / "zaz1-keystore.json")
    xml_key = _entry(zaz1, "xml-sign-90B3D51F30020000-ds")
    ds_key = _entry(zaz1, "Z1-networkOperator-ds")
    assert xml_key.private_key is not None and ds_key.private_key is not None
    template = xml.parse((vectors / "duis" / "requests" / NO_BY_NO).read_bytes())
    signed = xml.serialise(sign(template, xml_key.private_key, xml_key.certificate))
    request_id = parse_request(xml.parse(signed)).header.request_id
    async with receiving() as receiver:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "s1harness", "up", "--estate", "boxed", "--duis-port", "0",
            "--receive-url", f"90B3D51F30020000={receiver.url}",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        assert process.stdout is not None
        try:
            ready = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
            found = re.search(r"DUIS endpoint (http://\S+)", ready)
            assert found, ready
            base = found.group(1).rstrip(";")
            wrong = await _post(f"{base}/api/v1/serviceS", signed)  # CV 4 is a Transform
            assert wrong.header.response_code == "E13"
            answer = await _post(f"{base}/api/v1/serviceT", signed)
            assert answer.header.response_code == "I0"
            assert isinstance(answer.body, ResponseMessage)
            assert isinstance(answer.body.content, PreCommand)
            precommand = decode(answer.body.content.payload)
            assert isinstance(precommand, GeneralSigningApdu)
            cv5 = Request(
                RequestHeader(request_id, 5, "6.15", "6.15.1"),
                SignedPreCommand(sign_precommand(precommand, ds_key.private_key).raw),
            )
            body = xml.serialise(sign(to_element(cv5), xml_key.private_key, xml_key.certificate))
            acknowledged = await _post(f"{base}/api/v1/serviceS", body)
            assert acknowledged.header.response_code == "I99"
            response = await receiver.response(
                lambda m: (
                    isinstance(m.body, ResponseMessage) and isinstance(m.body.content, GbcsPayload)
                )
            )
            assert response.header.request_id == request_id
            assert all(DuisAudit.problem(body) is None for _, _, body in receiver.posts)
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, err.decode()
