"""Remote party roles and key usages, with the values the specifications give them.

``RemotePartyRole`` is the GBCS RemotePartyRole (0–8, 127) extended with the SMKI repository
"CertificateRole" values of the XML-signing certificates (135 xmlSign, 137 dspXmlSign), because
an organisation certificate's subject OU carries any of them as two upper-case hex digits.
"""

from __future__ import annotations

import enum

from s1harness.spec.errors import InputError


class RemotePartyRole(enum.IntEnum):
    """Remote party role as carried in an organisation certificate's OU (GBCS §12, SMKI)."""

    ROOT = 0
    RECOVERY = 1
    SUPPLIER = 2
    NETWORK_OPERATOR = 3
    ACCESS_CONTROL_BROKER = 4
    TRANSITIONAL_COS = 5
    WAN_PROVIDER = 6
    ISSUING_AUTHORITY = 7
    LOAD_CONTROLLER = 8
    OTHER = 127
    XML_SIGN = 135
    DSP_XML_SIGN = 137

    @property
    def spec_name(self) -> str:
        """The name the GBCS ASN.1 / SMKI repository uses (``networkOperator``)."""
        return _SPEC_NAMES[self]

    @property
    def ou(self) -> str:
        """The subject OU value: two upper-case hex digits (``03``, ``87``)."""
        return f"{self.value:02X}"

    @classmethod
    def parse(cls, text: str | int) -> RemotePartyRole:
        """Read a role from a number (``3``, ``0x87``, ``135``), an OU, or a name.

        Names are matched case-insensitively against the spec name (``networkOperator``) and
        the enum name (``NETWORK_OPERATOR``).

        Raises:
            InputError: if no role has that number or name.
        """
        if isinstance(text, int):
            return cls._from_int(text, repr(text))
        key = text.strip()
        by_name = _BY_NAME.get(key.replace("_", "").replace("-", "").lower())
        if by_name is not None:
            return by_name
        try:
            number = int(key, 16) if key.lower().startswith("0x") else int(key, 10)
        except ValueError:
            raise InputError(f"unknown remote party role {text!r}") from None
        return cls._from_int(number, repr(text))

    @classmethod
    def _from_int(cls, number: int, shown: str) -> RemotePartyRole:
        try:
            return cls(number)
        except ValueError:
            raise InputError(f"unknown remote party role code {shown}") from None


_SPEC_NAMES = {
    RemotePartyRole.ROOT: "root",
    RemotePartyRole.RECOVERY: "recovery",
    RemotePartyRole.SUPPLIER: "supplier",
    RemotePartyRole.NETWORK_OPERATOR: "networkOperator",
    RemotePartyRole.ACCESS_CONTROL_BROKER: "accessControlBroker",
    RemotePartyRole.TRANSITIONAL_COS: "transitionalCoS",
    RemotePartyRole.WAN_PROVIDER: "wanProvider",
    RemotePartyRole.ISSUING_AUTHORITY: "issuingAuthority",
    RemotePartyRole.LOAD_CONTROLLER: "loadController",
    RemotePartyRole.OTHER: "other",
    RemotePartyRole.XML_SIGN: "xmlSign",
    RemotePartyRole.DSP_XML_SIGN: "dspXmlSign",
}

_BY_NAME = {
    **{role.spec_name.lower(): role for role in RemotePartyRole},
    **{role.name.replace("_", "").lower(): role for role in RemotePartyRole},
}


class KeyUsage(enum.StrEnum):
    """X.509 keyUsage bits that occur on SMKI certificates (RFC 5280 names)."""

    DIGITAL_SIGNATURE = "digitalSignature"
    NON_REPUDIATION = "nonRepudiation"
    KEY_AGREEMENT = "keyAgreement"
    KEY_CERT_SIGN = "keyCertSign"
    CRL_SIGN = "cRLSign"

    @classmethod
    def parse(cls, text: str) -> KeyUsage:
        """Read ``DS``/``KA`` (DUIS and file-name style) or an RFC 5280 name.

        Raises:
            InputError: for anything else.
        """
        key = text.strip().lower()
        usage = _USAGE_ALIASES.get(key) or next((u for u in cls if u.value.lower() == key), None)
        if usage is None:
            raise InputError(f"unknown key usage {text!r} (expected DS or KA)")
        return usage

    @property
    def short(self) -> str:
        """``ds`` / ``ka`` as in keystore file names; the RFC name otherwise."""
        return _SHORT.get(self, self.value)


_SHORT = {KeyUsage.DIGITAL_SIGNATURE: "ds", KeyUsage.KEY_AGREEMENT: "ka"}

_USAGE_ALIASES = {
    "ds": KeyUsage.DIGITAL_SIGNATURE,
    "ka": KeyUsage.KEY_AGREEMENT,
    "digitalsigning": KeyUsage.DIGITAL_SIGNATURE,
}


_SHORT = {KeyUsage.DIGITAL_SIGNATURE: "ds", KeyUsage.KEY_AGREEMENT: "ka"}
