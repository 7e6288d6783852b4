"""A test PKI in the SMKI profiles, deterministic from a seed (SMKI Organisation and Device
Certificate Profiles; GBCS §12).

Two hierarchies, as in the SMKI: an organisation hierarchy (root ``OU=00, CN=ZT`` → issuing CA
``OU=07, CN=T1``, like ZA → Z1) and a device hierarchy (root ``CN=TDR`` → device CA
``CN=T357``, like the absent E357), each with its own policy OID. The names differ from the
real DCC test CAs on purpose, so a test certificate is never mistaken for a ZAZ1 one.

Keys, serials and (RFC 6979) signatures all derive from the seed and the certificate's identity
(EUI, role, usage, generation), so the same seed always yields byte-identical certificates and a
PKI re-creates itself from its seed alone. Issue a second generation of the same identity to get
a different key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, cached_property

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from s1harness.smki import _builder
from s1harness.smki._templates import Fields, Template, sign_tbs
from s1harness.smki.certificate import CertificateKind, SmkiCertificate, parse_certificate
from s1harness.smki.keys import (
    PrivateKey,
    derive_bytes,
    derive_private_key,
    private_key_pem,
    public_point,
    ski_method2,
)
from s1harness.smki.names import DistinguishedName
from s1harness.smki.oids import (
    AUTHORITY_KEY_IDENTIFIER,
    CERTIFICATE_POLICIES,
    COMMON_NAME,
    DEVICE_POLICY,
    ECDSA_WITH_SHA256,
    KEY_USAGE,
    ORGANISATION_POLICY,
    ORGANIZATIONAL_UNIT,
    SUBJECT_ALT_NAME,
    SUBJECT_KEY_IDENTIFIER,
    X500_UNIQUE_IDENTIFIER,
)
from s1harness.smki.raw import RawCertificate
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole

DEFAULT_SEED = b"s1harness test PKI"
CA_VALIDITY = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC))
ORGANISATION_VALIDITY = (
    datetime(2025, 9, 1, tzinfo=UTC),
    datetime(2035, 9, 1, 23, 59, 59, tzinfo=UTC),
)
DEVICE_VALIDITY = (
    datetime(2025, 9, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
)
_END_ENTITY_USAGES = (KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_AGREEMENT)
_USAGE_SETS = {usage: frozenset({usage}) for usage in KeyUsage}
_ORG_EXTENSIONS = (
    (KEY_USAGE, True),
    (SUBJECT_KEY_IDENTIFIER, False),
    (CERTIFICATE_POLICIES, True),
    (AUTHORITY_KEY_IDENTIFIER, False),
)
_DEVICE_EXTENSIONS = (
    (KEY_USAGE, True),
    (SUBJECT_KEY_IDENTIFIER, False),
    (SUBJECT_ALT_NAME, True),
    (CERTIFICATE_POLICIES, True),
    (AUTHORITY_KEY_IDENTIFIER, False),
)


_X962 = serialization.Encoding.X962
_UNCOMPRESSED = serialization.PublicFormat.UncompressedPoint


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    """A certificate with its private key."""

    certificate: SmkiCertificate
    private_key: PrivateKey

    def certificate_pem(self) -> bytes:
        """The certificate as PEM."""
        return pem(self.certificate.der)

    def private_key_pem(self) -> bytes:
        """The key as unencrypted PKCS#8 PEM (the DCC Boxed keystore format)."""
        return private_key_pem(self.private_key)


@dataclass(frozen=True, slots=True)
class PartyCredentials:
    """A party's digital-signing and key-agreement certificates for one role."""

    ds: IssuedCertificate
    ka: IssuedCertificate


def pem(der: bytes) -> bytes:
    """Wrap a DER certificate as PEM."""
    cert = x509.load_der_x509_certificate(der)
    return cert.public_bytes(serialization.Encoding.PEM)


class TestPki:
    """Issues organisation, device and CA certificates in the SMKI profiles.

    Args:
        seed: Everything derives from it; the default gives the project's standard PKI.
        org_root / org_ca / device_root / device_ca: CA common names.
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(
        self,
        seed: bytes | str = DEFAULT_SEED,
        *,
        org_root: str = "ZT",
        org_ca: str = "T1",
        device_root: str = "TDR",
        device_ca: str = "T357",
    ) -> None:
        self.seed = seed.encode() if isinstance(seed, str) else seed
        self.names = (org_root, org_ca, device_root, device_ca)
        self._templates: dict[tuple[object, ...], Template] = {}

    # -- the four CAs ------------------------------------------------------------------------

    @cached_property
    def org_root(self) -> IssuedCertificate:
        """Self-signed organisation root, ``OU=00`` (root)."""
        name = _builder.ca_name(self.names[0], RemotePartyRole.ROOT.ou)
        return self._ca("org-root", name, None, None, ORGANISATION_POLICY)

    @cached_property
    def org_ca(self) -> IssuedCertificate:
        """Organisation issuing CA, ``OU=07`` (issuingAuthority), pathLenConstraint 0."""
        name = _builder.ca_name(self.names[1], RemotePartyRole.ISSUING_AUTHORITY.ou)
        return self._ca("org-ca", name, self.org_root, 0, ORGANISATION_POLICY)

    @cached_property
    def device_root(self) -> IssuedCertificate:
        """Self-signed device root."""
        name = _builder.ca_name(self.names[2], None)
        return self._ca("device-root", name, None, None, DEVICE_POLICY)

    @cached_property
    def device_ca(self) -> IssuedCertificate:
        """Device issuing CA, pathLenConstraint 0."""
        name = _builder.ca_name(self.names[3], None)
        return self._ca("device-ca", name, self.device_root, 0, DEVICE_POLICY)

    def _ca(
        self,
        label: str,
        subject: x509.Name,
        parent: IssuedCertificate | None,
        path_length: int | None,
        policy: str,
    ) -> IssuedCertificate:
        key = derive_private_key(self.seed, f"key|{label}")
        ski = ski_method2(public_point(key))
        issuer_name = _x509_name(parent.certificate) if parent else subject
        der = _builder.build_ca(
            issuer=issuer_name,
            subject=subject,
            serial=self._serial(label),
            validity=CA_VALIDITY,
            public_key=key.public_key(),
            ski=ski,
            aki=parent.certificate.ski if parent else None,
            path_length=path_length,
            policy=policy,
            issuer_key=parent.private_key if parent else key,
        )
        return IssuedCertificate(parse_certificate(der), key)

    # -- end entities ------------------------------------------------------------------------

    def issue_organisation(
        self,
        eui: Eui64 | str,
        role: RemotePartyRole,
        usage: KeyUsage,
        *,
        common_name: str | None = None,
        validity: tuple[datetime, datetime] = ORGANISATION_VALIDITY,
        generation: int = 0,
    ) -> IssuedCertificate:
        """Issue an organisation certificate from the issuing CA.

        Raises:
            InputError: for a usage other than DS/KA or a CA role (root, issuingAuthority).
        """
        eui = Eui64(eui)
        _require_end_entity(usage)
        if role in (RemotePartyRole.ROOT, RemotePartyRole.ISSUING_AUTHORITY):
            raise InputError(f"role {role.spec_name} is for CA certificates, not organisations")
        label = f"org|{eui}|{role.ou}|{usage.short}|{generation}"
        template = self._org_template(role, usage, common_name, validity)
        subject = _organisation_subject(eui, role, common_name)
        raw = self._issue(
            label,
            template,
            eui=eui,
            subject=subject,
            validity=validity,
            usage=usage,
            hardware_module_name=None,
        )
        return IssuedCertificate(
            SmkiCertificate(raw[0], CertificateKind.ORGANISATION, eui, role), raw[1]
        )

    def issue_party(
        self, eui: Eui64 | str, role: RemotePartyRole, *, common_name: str | None = None
    ) -> PartyCredentials:
        """Issue a party's DS and KA certificates for ``role``."""
        return PartyCredentials(
            ds=self.issue_organisation(
                eui, role, KeyUsage.DIGITAL_SIGNATURE, common_name=common_name
            ),
            ka=self.issue_organisation(eui, role, KeyUsage.KEY_AGREEMENT),
        )

    def issue_device(
        self,
        eui: Eui64 | str,
        usage: KeyUsage,
        *,
        validity: tuple[datetime, datetime] = DEVICE_VALIDITY,
        generation: int = 0,
    ) -> IssuedCertificate:
        """Issue a device certificate from the device CA (notAfter 9999-12-31 by GBCS §12)."""
        eui = Eui64(eui)
        _require_end_entity(usage)
        label = f"device|{eui}|{usage.short}|{generation}"
        template = self._device_template(usage, validity)
        hw_name = _builder.hardware_module_name(eui)
        raw = self._issue(
            label,
            template,
            eui=eui,
            subject=DistinguishedName(()),
            validity=validity,
            usage=usage,
            hardware_module_name=hw_name,
        )
        return IssuedCertificate(SmkiCertificate(raw[0], CertificateKind.DEVICE, eui, None), raw[1])

    # -- internals ---------------------------------------------------------------------------

    def _issue(
        self,
        label: str,
        template: Template,
        *,
        eui: Eui64,
        subject: DistinguishedName,
        validity: tuple[datetime, datetime],
        usage: KeyUsage,
        hardware_module_name: bytes | None,
    ) -> tuple[RawCertificate, PrivateKey]:
        """Derive the key, patch the template, sign; the fields are known, so nothing is
        re-parsed (tests check that parsing the DER gives the same value)."""
        key = derive_private_key(self.seed, f"key|{label}")
        point = key.public_key().public_bytes(_X962, _UNCOMPRESSED)  # public_point, unchecked
        fields = Fields(self._serial_bytes(label), eui.octets, point, ski_method2(point))
        issuer = self.device_ca if hardware_module_name else self.org_ca
        tbs = template.tbs(fields)
        der, signature = sign_tbs(tbs, issuer.private_key)
        raw = RawCertificate(
            der=der,
            tbs=tbs,
            signature=signature,
            signature_oid=ECDSA_WITH_SHA256,
            null_parameters=False,
            serial=int.from_bytes(fields.serial, "big"),
            issuer=issuer.certificate.subject,
            subject=subject,
            not_before=validity[0],
            not_after=validity[1],
            public_point=point,
            key_usages=_USAGE_SETS[usage],
            ski=fields.ski,
            aki=issuer.certificate.ski,
            policy_oids=(DEVICE_POLICY if hardware_module_name else ORGANISATION_POLICY,),
            is_ca=False,
            path_length=None,
            hardware_module_name=hardware_module_name,
            extensions=_DEVICE_EXTENSIONS if hardware_module_name else _ORG_EXTENSIONS,
        )
        return raw, key

    def _serial_bytes(self, label: str) -> bytes:
        # 16 octets, top bit clear, second-highest set: positive, no leading 00, 127 bits long.
        raw = bytearray(derive_bytes(self.seed, f"serial|{label}", 16))
        raw[0] = (raw[0] & 0x3F) | 0x40
        return bytes(raw)

    def _serial(self, label: str) -> int:
        return int.from_bytes(self._serial_bytes(label), "big")

    def _org_template(
        self,
        role: RemotePartyRole,
        usage: KeyUsage,
        common_name: str | None,
        validity: tuple[datetime, datetime],
    ) -> Template:
        key = ("org", role, usage, common_name, validity)
        made = self._templates.get(key)
        if made is not None:  # the usual case: no closure to make
            return made

        def identity(eui: Eui64) -> dict[str, object]:
            return {"subject": _builder.organisation_name(eui, role, common_name)}

        return self._template(key, _builder.build_organisation, identity, usage, validity)

    def _device_template(self, usage: KeyUsage, validity: tuple[datetime, datetime]) -> Template:
        def identity(eui: Eui64) -> dict[str, object]:
            return {"eui": eui}

        key = ("device", usage, validity)
        return self._template(key, _builder.build_device, identity, usage, validity)

    def _template(
        self,
        key: tuple[object, ...],
        build: Callable[..., bytes],
        identity: Callable[[Eui64], dict[str, object]],
        usage: KeyUsage,
        validity: tuple[datetime, datetime],
    ) -> Template:
        """The cached template for ``key``, made once from a sample built by ``build``."""
        if key not in self._templates:
            device = build is _builder.build_device
            ca = self.device_ca if device else self.org_ca

            def sample_der(sample: Fields) -> bytes:
                return build(
                    issuer=_x509_name(ca.certificate),
                    serial=int.from_bytes(sample.serial, "big"),
                    validity=validity,
                    public_key=derive_private_key(self.seed, "template").public_key(),
                    ski=sample.ski,
                    aki=_required(ca.certificate.ski),
                    usage=usage,
                    policy=DEVICE_POLICY if device else ORGANISATION_POLICY,
                    issuer_key=ca.private_key,
                    **identity(Eui64(sample.eui)),
                )

            self._templates[key] = Template(sample_der, self._sample())
        return self._templates[key]

    def _sample(self) -> Fields:
        point = public_point(derive_private_key(self.seed, "template"))
        return Fields(
            self._serial_bytes("template"),
            derive_bytes(self.seed, "template-eui", 8),
            point,
            ski_method2(point),
        )


def _require_end_entity(usage: KeyUsage) -> None:
    if usage not in _END_ENTITY_USAGES:
        raise InputError(f"end-entity certificates carry DS or KA, not {usage.value}")


def _required(value: bytes | None) -> bytes:
    if value is None:
        raise AssertionError("CA certificate without a subjectKeyIdentifier")
    return value


def _x509_name(cert: SmkiCertificate) -> x509.Name:
    # The issuer name is copied byte for byte from the CA's subject, string types included.
    return x509.load_der_x509_certificate(cert.der).subject


def _organisation_subject(
    eui: Eui64, role: RemotePartyRole, common_name: str | None
) -> DistinguishedName:
    return DistinguishedName(
        (
            *_subject_prefix(role, common_name),
            (X500_UNIQUE_IDENTIFIER, "#030900" + eui.lower()),  # the octets' hex
        )
    )


@cache
def _subject_prefix(role: RemotePartyRole, common_name: str | None) -> tuple[tuple[str, str], ...]:
    head = ((COMMON_NAME, common_name),) if common_name is not None else ()
    return (*head, (ORGANIZATIONAL_UNIT, role.ou))
