"""Countersigned requests made the way the contract describes them, without a DSP: the User's
signed service request and GBCS-signed pre-command, wrapped and XML-signed by whoever the test
says (the DSP's key, or a forger's) — for S1SP tests that judge the S1SP alone."""

from __future__ import annotations

from dataclasses import dataclass

from s1harness.duis import xml
from s1harness.duis.messages import (
    Request,
    RequestBody,
    RequestHandoverOfDCCControlledDevice,
    RequestHeader,
    RequestId,
    SignedPreCommand,
    to_element,
)
from s1harness.duis.signature import sign
from s1harness.gbcs.crypto import sign_precommand
from s1harness.gbcs.frames import Cra, GeneralSigningApdu, build_general_signing
from s1harness.gbcs.message_codes import for_replacement_mode
from s1harness.gbcs.payloads import (
    AuthorisingRemotePartyControl,
    ReplacementMode,
    TrustAnchorCell,
    TrustAnchorReplacement,
    UpdateSecurityCredentials,
    encode_payload,
)
from s1harness.roles import countersigned
from s1harness.smki import PartyCredentials
from s1harness.smki.certificate import SmkiCertificate
from s1harness.smki.keys import PrivateKey
from s1harness.spec.bus import Envelope, Kind, s1sp_requests
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole

from .unit_estate import NOW, Wired


@dataclass(frozen=True)
class Signer:
    """XML-signing credentials: the DSP's, or someone pretending to be it."""

    key: PrivateKey
    certificate: SmkiCertificate


def dsp_signer(wired: Wired) -> Signer:
    credentials = wired.dsp.credentials
    return Signer(credentials.xml_key, credentials.xml_certificate)


def party_signer(wired: Wired, party: Eui64) -> Signer:
    """A party's own XML-signing credentials (role 135): a countersignature no S1SP takes."""
    xml_keys = wired.system.parties[party].xml
    return Signer(xml_keys.private_key, xml_keys.certificate)


def no_precommand(
    sender: Eui64, device: Eui64, counter: int, placed: PartyCredentials, ds_key: PrivateKey
) -> GeneralSigningApdu:
    """A CS02b networkOperatorByNetworkOperator command placing ``placed``'s DS and KA
    certificates in the NO cells, GBCS-signed with ``ds_key``."""
    nop = RemotePartyRole.NETWORK_OPERATOR
    mode = ReplacementMode.NETWORK_OPERATOR_BY_NETWORK_OPERATOR
    payload = UpdateSecurityCredentials(
        control=AuthorisingRemotePartyControl(
            mode=mode,
            seq_number=counter,
            authorising_cell=TrustAnchorCell(nop, KeyUsage.DIGITAL_SIGNATURE),
        ),
        replacements=(
            TrustAnchorReplacement(
                placed.ds.certificate.der, TrustAnchorCell(nop, KeyUsage.DIGITAL_SIGNATURE)
            ),
            TrustAnchorReplacement(
                placed.ka.certificate.der, TrustAnchorCell(nop, KeyUsage.KEY_AGREEMENT)
            ),
        ),
        certification_path_certificates=(),
    )
    command = build_general_signing(
        cra=Cra.COMMAND,
        counter=counter,
        originator=sender,
        target=device,
        other_information=for_replacement_mode(int(mode)).code,
        content=encode_payload(payload),
    )
    return sign_precommand(command, ds_key)


def service_request(
    wired: Wired, sender: Eui64, request_id: RequestId, variant: int, body: RequestBody
) -> bytes:
    """The User's request as it signed it (XML-signing key, role 135)."""
    srv = "6.15.1" if isinstance(body, SignedPreCommand) else "6.21"
    header = RequestHeader(request_id, variant, ".".join(srv.split(".")[:2]), srv)
    xml_keys = wired.system.parties[sender].xml
    root = sign(to_element(Request(header, body)), xml_keys.private_key, xml_keys.certificate)
    return xml.serialise(root)


def countersign(
    signer: Signer,
    request_id: RequestId,
    *,
    cohort: str,
    user_role: str,
    service: bytes,
    precommand: bytes | None,
) -> Envelope:
    """The countersigned request on the S1SP's request topic."""
    request = countersigned.CountersignedRequest(
        device_id=request_id.target,
        cohort=cohort,
        user_role=user_role,
        received=NOW,
        service_request=service,
        signed_precommand=precommand,
    )
    root = sign(countersigned.to_element(request), signer.key, signer.certificate)
    return Envelope(
        s1sp_requests(cohort),
        Kind.COUNTERSIGNED_REQUEST,
        xml.serialise(root),
        str(request_id),
        (("device", str(request_id.target)),),
    )


def no_update(
    wired: Wired,
    sender: Eui64,
    device: Eui64,
    placed: Eui64,
    *,
    counter: int,
    signer: Signer | None = None,
    ds_key: PrivateKey | None = None,
    cohort: str = "IOC",
) -> Envelope:
    """A countersigned 6.15.1 (CV 5) from ``sender`` (as ED) placing ``placed``'s NO
    certificates; GBCS-signed with the sender's DS key unless ``ds_key`` is given,
    countersigned by the DSP unless ``signer`` is given."""
    request_id = RequestId(sender, device, counter)
    parties = wired.system.parties
    key = ds_key or parties[sender].credentials.ds.private_key
    precommand = no_precommand(sender, device, counter, parties[placed].credentials, key)
    service = service_request(wired, sender, request_id, 5, SignedPreCommand(precommand.raw))
    return countersign(
        signer or dsp_signer(wired), request_id, cohort=cohort, user_role="ED",
        service=service, precommand=precommand.raw,
    )  # fmt: skip


def handover(
    wired: Wired,
    supplier: Eui64,
    device: Eui64,
    body: RequestHandoverOfDCCControlledDevice,
    *,
    counter: int,
    cohort: str = "IOC",
) -> Envelope:
    """A countersigned 6.21 (CV 1) from ``supplier`` (as IS)."""
    request_id = RequestId(supplier, device, counter)
    service = service_request(wired, supplier, request_id, 1, body)
    return countersign(
        dsp_signer(wired), request_id, cohort=cohort, user_role="IS",
        service=service, precommand=None,
    )  # fmt: skip
