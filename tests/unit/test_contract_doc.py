"""The facts the build documents state, recomputed from the code that running builds use, so the
documents cannot drift from it (docs/contract.md; docs/smets1-instruction-frame.md §4.3–4.4)."""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from pathlib import Path

import pytest
from lxml import etree

from s1harness.duis import xml
from s1harness.duis.messages import GenericBody, Request, RequestHeader, RequestId
from s1harness.duis.ns import ds, sr
from s1harness.duis.signature import verify
from s1harness.duis.srv import SRVS
from s1harness.estate import build
from s1harness.estate.build import System
from s1harness.estate.model import DEFAULT_S1SP_IDS
from s1harness.estate.presets import WRONG_NETWORK_OPERATOR, preset
from s1harness.registry.model import Cohort
from s1harness.roles.countersigned import CountersignedRequest
from s1harness.roles.dsp.service import Dsp
from s1harness.roles.dsp.settings import DspSettings
from s1harness.roles.s1sp import checks as s1sp_checks
from s1harness.roles.s1sp import replies
from s1harness.roles.s1sp.store import SlotRole, SlotStore
from s1harness.roles.smets1 import Cohort as FrameCohort
from s1harness.roles.smets1 import (
    DeviceResponse,
    DeviceState,
    Instruction,
    InstructionCode,
    ResponseStatus,
    Smets1Commissioning,
    seal,
    unseal,
)
from s1harness.roles.smets1.commissioning import KEY_LABEL
from s1harness.roles.smets2.floors import FloorSeqNumbers
from s1harness.smki import Keystore, KeystoreEntry, SmkiCertificate, TestPki
from s1harness.smki.oids import COMMON_NAME, ORGANIZATIONAL_UNIT
from s1harness.spec import codes
from s1harness.spec.checks import Refusal
from s1harness.spec.identifiers import DCC_EUI, Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole

DOCS = Path(__file__).resolve().parents[2] / "docs"
FRAME_DOC = DOCS / "smets1-instruction-frame.md"
CONTRACT = DOCS / "contract.md"
CHECKS_DOC = DOCS / "checks.md"


def small() -> System:
    """The ``small`` preset, built as ``s1harness up`` and the Harness build it (afresh: the
    tests change its devices' state)."""
    estate = preset("small")
    return build(estate, clock=lambda: estate.start)


def section(path: Path, heading: str) -> str:
    """The text of ``path`` from ``heading`` to the next heading of the same or a higher level."""
    text = path.read_text(encoding="utf-8")
    start = text.index(heading)
    level = heading.split(" ", 1)[0]
    following = re.compile(rf"^#{{1,{len(level)}}} ", re.MULTILINE)
    end = following.search(text, start + len(heading))
    return text[start : end.start() if end else len(text)]


def fenced(text: str) -> str:
    """The first fenced block of ``text``."""
    match = re.search(r"^```[a-z]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert match, "no fenced block"
    return match.group(1)


def labelled(block: str) -> dict[str, str]:
    """``label  value`` lines (labels are words separated by single spaces)."""
    pairs = (re.match(r"(\S+(?: \S+)*)\s{2,}(.+)$", line) for line in block.splitlines())
    return {m.group(1): m.group(2).strip() for m in pairs if m}


# -- the SMETS1 device key ------------------------------------------------------------------------


def worked_example() -> dict[str, str]:
    heading = "### 4.4 Worked example: from the estate seed to a tag"
    return labelled(fenced(section(FRAME_DOC, heading)))


def test_the_device_key_example_is_what_an_estate_build_derives() -> None:
    example, system = worked_example(), small()
    estate = system.estate
    assert example["estate seed"] == estate.seed
    seed = bytes.fromhex(example["commissioning seed"])
    assert seed == hashlib.sha256(estate.seed.encode("utf-8")).digest()
    device, key = Eui64(example["device ID"]), bytes.fromhex(example["device key"])
    assert key == Smets1Commissioning(seed).device_key(device)
    assert KEY_LABEL == b"s1harness/smets1/device-key/v1" and len(KEY_LABEL) == 30
    assert system.cohorts[device] is Cohort.IOC
    assert system.s1sps[Cohort.IOC].device_key(device) == key  # what the estate's S1SP holds


def test_the_example_instruction_is_sealed_as_documented_and_the_device_answers_it() -> None:
    example, system = worked_example(), small()
    device, key = Eui64(example["device ID"]), bytes.fromhex(example["device key"])
    ping = Instruction(
        cohort=FrameCohort.IOC,
        device_id=device,
        sequence=1,
        correlation=1,
        code=InstructionCode.PING,
    )
    sealed = seal(ping, key)
    assert sealed.hex().upper() == example["frame before tag"] + example["integrity tag"]
    (answer,) = system.smets1[device].receive(sealed)
    response = unseal(answer, key)
    assert isinstance(response, DeviceResponse) and response.status is ResponseStatus.OK


# -- what the DSP carries out ---------------------------------------------------------------------


def _srv_order(variant: str) -> tuple[int, ...]:
    return tuple(int(part) for part in variant.split("."))


def test_the_checks_page_names_the_srvs_the_dsp_carries_out_and_those_it_only_knows() -> None:
    text = " ".join(CHECKS_DOC.read_text(encoding="utf-8").split())
    carried: dict[str, list[int]] = {}
    for variant, command_variant in sorted(Dsp.HANDLERS):
        carried.setdefault(variant, []).append(command_variant)
    said = " and ".join(
        f"{v} ({', '.join(f'CV {cv}' for cv in cvs)})" for v, cvs in carried.items()
    )
    assert f"The DSP carries out {said} only." in text
    known = ", ".join(sorted(set(SRVS) - set(carried), key=_srv_order))
    assert f"An SRV in its SRV table that it does not carry out — {known} —" in text


# -- certificates ---------------------------------------------------------------------------------

USAGES = {"DS": KeyUsage.DIGITAL_SIGNATURE, "KA": KeyUsage.KEY_AGREEMENT}


def table(text: str) -> list[dict[str, str]]:
    """The first Markdown table of ``text``, one dict per row, by column heading."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return [dict(zip(cells[0], row, strict=True)) for row in cells[2:]]


def _credentials(system: System) -> dict[tuple[str, str], list[tuple[SmkiCertificate, str]]]:
    """Each row's certificates in the built estate, each with the EUI the row's EUI cell means."""
    parties, dcc = system.parties.values(), system.estate.dcc_id
    devices = system.smets2.values()
    return {
        ("DCC User", "XML signing"): [(p.xml.certificate, p.user_id) for p in parties],
        ("DCC User", "Digital Signing"): [
            (p.credentials.ds.certificate, p.user_id) for p in parties
        ],
        ("DCC User", "Key Agreement"): [(p.credentials.ka.certificate, p.user_id) for p in parties],
        ("DSP", "XML signing"): [(system.dsp.credentials.xml_certificate, dcc)],
        ("DSP as ACB", "Digital Signing"): [(system.acb.ds.certificate, dcc)],
        ("DSP as ACB", "Key Agreement"): [(system.acb.ka.certificate, dcc)],
        ("S1SP", "XML signing"): [
            (s1sp.signer.certificate, DEFAULT_S1SP_IDS[cohort])
            for cohort, s1sp in system.s1sps.items()
        ],
        ("SMETS2 device", "Digital Signing"): [(d.ds_certificate, d.device_id) for d in devices],
        ("SMETS2 device", "Key Agreement"): [(d.ka_certificate, d.device_id) for d in devices],
    }


def test_every_certificate_row_is_what_the_estate_build_issues() -> None:
    system = small()
    rows = table(section(CONTRACT, "### 1.1 Certificates by holder"))
    built = _credentials(system)
    assert {(row["holder"], row["credential"]) for row in rows} == set(built)
    for row in rows:
        for certificate, eui in built[(row["holder"], row["credential"])]:
            where = f"{row['holder']} {row['credential']} {eui}"
            assert certificate.eui == eui, where
            assert certificate.key_usage is USAGES[row["key usage"]], where
            assert certificate.issuer.get(COMMON_NAME) == row["issuer"], where
            role = certificate.role
            shown = "none (device certificate)" if role is None else f"{role} {role.spec_name}"
            assert shown in row["role"], where


def test_a_users_remote_party_role_follows_its_user_roles_as_the_table_says() -> None:
    system = small()
    rows = {(r["holder"], r["credential"]): r for r in table(section(CONTRACT, "### 1.1"))}
    cell = rows[("DCC User", "Digital Signing")]["role"]
    by_user_role = {
        user_role: int(number)
        for number, listed in re.findall(r"(\d+) \w+ \(([A-Z, ]+)\)", cell)
        for user_role in listed.split(", ")
    }
    assert "127 other (any other party)" in cell
    for party in system.estate.parties:
        numbers = {by_user_role[r] for r in party.roles if r in by_user_role} or {127}
        keys = system.parties[party.user_id].credentials
        assert {keys.ds.certificate.role, keys.ka.certificate.role} == numbers, party


def test_the_fixed_identities_are_the_code_defaults() -> None:
    rows = {(r["holder"], r["credential"]): r for r in table(section(CONTRACT, "### 1.1"))}
    assert f"{DCC_EUI} by default" in rows[("DSP", "XML signing")]["EUI"]
    s1sp = rows[("S1SP", "XML signing")]["EUI"]
    numbered = {cohort: digit for digit, cohort in re.findall(r"(\d) (IOC|MOC|FOC)", s1sp)}
    assert s1sp.startswith("90B3D51F3005000n")
    assert {str(c): str(e) for c, e in DEFAULT_S1SP_IDS.items()} == {
        cohort: f"90B3D51F3005000{digit}" for cohort, digit in numbered.items()
    }


def test_the_test_pki_hierarchy_and_validity_are_as_described() -> None:
    system, text = small(), " ".join(CONTRACT.read_text(encoding="utf-8").split())
    pki = TestPki(system.estate.seed)
    for ca in (pki.org_root, pki.org_ca, pki.device_root, pki.device_ca):
        name = ", ".join(
            f"{label}={ca.certificate.subject.get(oid)}"
            for label, oid in (("CN", COMMON_NAME), ("OU", ORGANIZATIONAL_UNIT))
            if ca.certificate.subject.get(oid) is not None
        )
        assert f"`{name}`" in text
    assert [a.subject.get(COMMON_NAME) for a in system.keys.trust_anchors()] == ["ZT"]
    assert [c.subject.get(COMMON_NAME) for c in system.keys.path_certificates()] == ["T1"]
    party = next(iter(system.parties.values())).credentials.ds.certificate
    device = next(iter(system.smets2.values())).ds_certificate
    assert (party.not_before.date().isoformat(), party.not_after.date().isoformat()) == (
        "2025-09-01",
        "2035-09-01",
    )
    assert device.not_after.date().isoformat() == "9999-12-31"
    assert "valid 2025-09-01 to 2035-09-01" in text and "valid to 9999-12-31" in text


# -- the S1SP's signature -------------------------------------------------------------------------


def digested(element: etree._Element) -> bytes:
    """The rule of docs/contract.md §6, step by step: the element as a standalone document,
    its ds:Signature removed, only the namespaces its names use, inclusive C14N 1.0."""
    standalone = etree.fromstring(etree.tostring(element))
    for signature in standalone.findall(ds("Signature")):
        standalone.remove(signature)
    etree.cleanup_namespaces(standalone)
    return etree.tostring(standalone, method="c14n", exclusive=False, with_comments=False)


def _signing_example() -> tuple[bytes, str]:
    """The digested octets (the fenced XML, joined: C14N of a compact element has no line
    breaks) and the DigestValue the section shows."""
    text = section(CONTRACT, "## 6. Signing S1SP messages")
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    octets = "".join(blocks[0].splitlines()).encode("utf-8")
    return octets, labelled(blocks[1])["DigestValue"]


def _the_refusal(system: System) -> tuple[RequestId, str]:
    """The worked example's request and the reason S1SR 4.2 gives for refusing it."""
    device, sender = Eui64("00DB111000000001"), WRONG_NETWORK_OPERATOR
    request_id = RequestId(sender, device, 1000)
    header = RequestHeader(request_id, 5, "6.15", "6.15.1")
    request = Request(header, GenericBody.of(etree.Element(sr("SignedPreCommand"))))
    received = CountersignedRequest(device, "IOC", "ED", system.estate.start, b"")
    store = system.s1sps[Cohort.IOC].store
    with pytest.raises(Refusal) as refused:
        s1sp_checks.owner(store, received, request, SlotRole.NETWORK_OPERATOR)
    assert refused.value.answer is codes.S1VE64
    return request_id, refused.value.detail


def test_the_s1sp_digest_is_the_documented_rule_standalone_and_embedded() -> None:
    system, (octets, digest) = small(), _signing_example()
    s1sp = system.s1sps[Cohort.IOC]
    request_id, reason = _the_refusal(system)
    sent = replies.alert(
        s1sp.signer, codes.S1VE64, request_id=request_id, device_id=request_id.target,
        reason=reason, at=system.estate.start,
    )  # fmt: skip
    alert = xml.parse(sent.payload)
    assert set(alert.nsmap) == {"sr", "ds", "xsi"}
    assert digested(alert) == octets
    assert base64.b64encode(hashlib.sha256(octets).digest()).decode() == digest
    assert alert.findtext(f"{ds('Signature')}/{ds('SignedInfo')}/{ds('Reference')}/"
                          f"{ds('DigestValue')}") == digest  # fmt: skip
    trusted = Keystore([KeystoreEntry(s1sp.signer.certificate)])
    assert verify(alert, trusted, expected_eui=None, expected_role=None, embedded=True)

    (relayed,) = system.dsp.handle(sent)  # DCC alert N43 to the sender
    response = xml.parse(relayed.payload)
    assert set(response.nsmap) == {"sr", "ds", "xsi"}
    embedded = response.find(f".//{sr('S1SPAlertDSP')}/{sr('S1SPAlert')}")
    assert embedded is not None and digested(embedded) == octets
    assert verify(embedded, trusted, expected_eui=None, expected_role=None, embedded=True)
    plain = copy.deepcopy(embedded)
    plain.remove(plain.find(ds("Signature")))
    assert etree.tostring(plain, method="c14n") != octets  # the in-scope ds and xsi would count


# -- counters -------------------------------------------------------------------------------------


def test_the_start_values_in_the_counter_table_are_the_codes() -> None:
    rows = {r["counter"]: r for r in table(section(CONTRACT, "## 3. Counters"))}
    store, device = SlotStore.open(":memory:"), Eui64("00DB111000000001")
    assert (
        store.floor(device, SlotRole.SUPPLIER) == -1
        and store.pending_counter(device, SlotRole.SUPPLIER) == -1
    )
    assert rows["Execution Counter"]["starts"] == "none: any counter of 0 or more passes"
    assert store.accept_inbound(device, 0)
    assert rows["device link floor"]["starts"] == "nothing accepted: any sequence passes"
    assert store.next_outbound(device) == 1
    assert rows["instruction sequence"]["starts"] == "the first instruction is 1"
    fresh = DeviceState()
    assert (fresh.instruction_floor, fresh.sequence) == (0, 0)
    assert rows["instruction floor"]["starts"].startswith("0, so the first instruction needs 1")
    assert rows["outbound sequence"]["starts"].startswith("0, so the first frame has 1")
    assert FloorSeqNumbers().floor(RemotePartyRole.SUPPLIER) == 0
    text = " ".join(CONTRACT.read_text(encoding="utf-8").split())
    assert DspSettings().response_timeout == 60 and "within 60 seconds of routing" in text
