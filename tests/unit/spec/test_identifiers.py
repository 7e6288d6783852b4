from __future__ import annotations

import pytest

from s1harness.spec import Eui64, InputError, KeyUsage, RemotePartyRole


@pytest.mark.parametrize(
    "text", ["90-B3-D5-1F-30-01-00-00", "90b3d51f30010000", "90:B3:D5:1F:30:01:00:00"]
)
def test_eui64_normalises_every_written_form(text: str) -> None:
    eui = Eui64(text)
    assert eui == "90B3D51F30010000"
    assert eui.octets == bytes.fromhex("90b3d51f30010000")
    assert eui.duis == "90-B3-D5-1F-30-01-00-00"


def test_eui64_from_octets_round_trips() -> None:
    assert Eui64(bytes.fromhex("00db123456789001")) == "00DB123456789001"
    assert Eui64(Eui64("00db123456789001")) == "00DB123456789001"


@pytest.mark.parametrize("bad", ["", "90B3D51F3001000", "90B3D51F300100000", "ZZB3D51F30010000"])
def test_eui64_rejects_malformed_text(bad: str) -> None:
    for _ in range(2):  # a refusal is not remembered as a value
        with pytest.raises(InputError, match="EUI-64"):
            Eui64(bad)


def test_eui64_text_forms_give_the_same_value_each_time() -> None:
    first, again = Eui64("90-b3-d5-1f-30-01-00-00"), Eui64("90-b3-d5-1f-30-01-00-00")
    assert type(first) is type(again) is Eui64
    assert first == again == Eui64("90B3D51F30010000") == "90B3D51F30010000"


def test_eui64_rejects_wrong_octet_count() -> None:
    with pytest.raises(InputError, match="8 octets"):
        Eui64(b"\x00" * 7)


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("networkOperator", RemotePartyRole.NETWORK_OPERATOR),
        ("NETWORK_OPERATOR", RemotePartyRole.NETWORK_OPERATOR),
        ("3", RemotePartyRole.NETWORK_OPERATOR),
        ("0x87", RemotePartyRole.XML_SIGN),
        ("135", RemotePartyRole.XML_SIGN),
        ("dspXmlSign", RemotePartyRole.DSP_XML_SIGN),
        (127, RemotePartyRole.OTHER),
    ],
)
def test_role_parse_accepts_names_and_codes(text: str | int, role: RemotePartyRole) -> None:
    assert RemotePartyRole.parse(text) is role


@pytest.mark.parametrize("bad", ["42", "0x42", "supplierish", 9, ""])
def test_role_parse_rejects_unknown_codes(bad: str | int) -> None:
    with pytest.raises(InputError, match="unknown remote party role"):
        RemotePartyRole.parse(bad)


def test_role_ou_is_two_upper_case_hex_digits() -> None:
    assert RemotePartyRole.NETWORK_OPERATOR.ou == "03"
    assert RemotePartyRole.XML_SIGN.ou == "87"
    assert RemotePartyRole.DSP_XML_SIGN.ou == "89"
    assert RemotePartyRole.OTHER.ou == "7F"


def test_key_usage_parse() -> None:
    assert KeyUsage.parse("DS") is KeyUsage.DIGITAL_SIGNATURE
    assert KeyUsage.parse("ka") is KeyUsage.KEY_AGREEMENT
    assert KeyUsage.parse("keyAgreement") is KeyUsage.KEY_AGREEMENT
    with pytest.raises(InputError, match="key usage"):
        KeyUsage.parse("XX")
