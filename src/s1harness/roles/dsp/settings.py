"""What configures a DSP: its switches, its identity and keys, and what it trusts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from s1harness.smki.certificate import SmkiCertificate
from s1harness.smki.keys import PrivateKey
from s1harness.smki.keystore import Keystore
from s1harness.smki.validation import TrustAnchor
from s1harness.spec.identifiers import DCC_EUI, Eui64


@dataclass(frozen=True)
class DspSettings:
    """The DSP's switches.

    Attributes:
        mp107: SECMP0107's single switch for all S1SPs: with it on, a SMETS1 6.15.1 from an ED
            or GT targeting the NetworkOperator certificates is exempt from SRPD 6.1(f)
            (:func:`s1harness.spec.checks.mp107_exempt`).
        mp058: The optional SECMP0058 check: a Supplier placing NO certificates on an ESME
            with a known MPAN must place the MPAN's distributor's (off by default).
        security_credentials_updated: Send the ``SecurityCredentialsUpdated`` DCC alert to the
            party whose certificates were placed, after a NO or Supplier replacement.
        gbcs_version: ``PreCommand/GBCSVersion``.
        response_timeout: Seconds a routed request may wait for its device (or S1SP) before
            the DSP answers E21 "no response from the Device" (checked by :meth:`Dsp.tick`).
    """

    mp107: bool = False
    mp058: bool = False
    security_credentials_updated: bool = True
    gbcs_version: str = "4.2"
    response_timeout: float = 60.0


@dataclass(frozen=True)
class DspCredentials:
    """The DCC's keys: XML signing (role 137) and, as ACB, GBCS DS and KA.

    Attributes:
        xml_key / xml_certificate: Sign every DUIS response and alert, and countersignatures.
        acb_ds_key / acb_ka_key: Sign 6.21 handover commands; MAC every SMETS2 command.
        keystore: Every certificate the DSP trusts by issuer and serial: Users' XML-signing
            certificates (role 135), S1SPs' signing certificates, devices' KA certificates.
        trust_anchors: The organisation roots replacement certificates must chain to.
    """

    xml_key: PrivateKey
    xml_certificate: SmkiCertificate
    acb_ds_key: PrivateKey
    acb_ka_key: PrivateKey
    keystore: Keystore
    trust_anchors: tuple[TrustAnchor | SmkiCertificate, ...] = field(default=())
    dcc_eui: Eui64 = DCC_EUI
    s1sps: Mapping[str, Eui64] = field(default_factory=dict)
    """Each cohort's S1SP: the EUI of the certificate its messages must be signed with."""
