"""The ``zaz1`` key source: the DCC Boxed ZAZ1 test keystore, so an estate uses the identities
and keys the DUIS request templates and the RTDS vectors were made with.

Where the keystore has what the protocol needs, it is used:

* **Party DS and KA** credentials: the entries for the party's EUI and SMKI role — supplier
  90B3D51F30010000 and 90B3D51F30030000 (role 2), network operator 90B3D51F30020000 (3), the
  Other Users 00DB123456780004 and 90B3D51F30010009 (127), the ACB 90B3D51F30000002 (4), and
  any other identity the keystore holds. Of two generations, ``Z1-…`` (2015) and ``Z1b-…``
  (2016), the first — the earliest notBefore — is used: it is what the RTDS devices trust and
  what signs every RTDS command. The second shares its keys with the 2025 certificates the DUIS
  templates place, so replaying a template's SRV 6.15.1 replaces a party's credentials with ones
  whose private keys the keystore also holds.
* **XML signing**: a User's role-135 entry, the DSP's role-137 entry (``dsp-xml-sign-…``).
* **Device cells**: those parties' certificates, plus recovery 90B3D51F30000001, transitional
  CoS 90B3D51F30000004, load controller 90B3D51F30010008 and the supplier's prepayment top-up
  KA (the entry named ``…PP-ka``), as in the RTDS device.

**Root.** The ZA root certificate is not public, so the real Z1
issuing CA (``smki/Z1-issuing-ca.pem``) is the anchor: it fills every device's root cell and is
the DSP's only trust anchor, and it is the one CertificationPathCertificate requests carry, as in
every template. A certificate Z1 issued therefore chains in one step; the Z1 → ZA link is never
checked (it cannot be).

**Fallbacks** to the project's ``TestPki(seed)``, where the keystore has nothing:

* every S1SP's signing certificate (ZAZ1 has no S1SP);
* a party's XML-signing certificate when the keystore has none (supplier 2 90B3D51F30030000, the
  MDR 90B3D51F30010009);
* a party's DS and KA together when the keystore lacks either for its role. These do not chain
  to Z1, so in a ``zaz1`` estate no SRV can place them;
* a device's own DS and KA, unless the keystore holds device credentials with keys for it. The
  RTDS vectors publish device certificates but no device DS private key, and
  a device must sign its responses, so devices are issued by the test PKI's device CA.

The keystore and Z1 are read where :func:`s1harness.locations.find` finds
``smki/zaz1-keystore.json`` (``$S1HARNESS_VECTORS/smki`` when the variable is set, and only
there).
"""

from __future__ import annotations

import os
from pathlib import Path

from s1harness import locations
from s1harness.estate.errors import EstateError
from s1harness.estate.keys import Clock, KeySource, PartyKeys
from s1harness.roles.smets2.cells import LAYOUTS, TrustAnchorCells
from s1harness.roles.smets2.cells import DeviceType as CellLayout
from s1harness.roles.smets2.commissioning import (
    DEFAULT_LOAD_CONTROLLER_ID,
    DEFAULT_RECOVERY_ID,
    DEFAULT_TRANSITIONAL_COS_ID,
    Commissioning,
    device_credentials,
)
from s1harness.roles.smets2.device import Smets2Device
from s1harness.smki import (
    CertificateKind,
    IssuedCertificate,
    Keystore,
    KeystoreEntry,
    PartyCredentials,
    SmkiCertificate,
    TestPki,
    TrustAnchor,
    read_certificates,
)
from s1harness.spec.errors import HarnessError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole

KEYSTORE = "zaz1-keystore.json"
"""The keystore file, in the vectors' ``smki`` folder."""
ANCHOR = "Z1-issuing-ca.pem"
"""The Z1 issuing CA certificate, beside the keystore."""
VECTORS_VARIABLE = "S1HARNESS_VECTORS"
TOP_UP_SUFFIX = "PP-ka"
"""How the keystore names a supplier's prepayment top-up KA entries (``Z1-supplierPP-ka``)."""
_DS, _KA = KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_AGREEMENT


def keystore_folder() -> Path:
    """The folder holding the ZAZ1 keystore and Z1 (:func:`s1harness.locations.find`).

    Raises:
        EstateError: naming where it looked and ``S1HARNESS_VECTORS``.
    """
    found = locations.find("smki", KEYSTORE)
    if found is not None:
        return found
    configured = os.environ.get(VECTORS_VARIABLE)
    where = f"{Path(configured) / 'smki' / KEYSTORE}" if configured else f"smki/{KEYSTORE}"
    looked = "" if configured else f" ({VECTORS_VARIABLE} is not set; no shared/vectors folder)"
    raise EstateError(
        f"the ZAZ1 key source needs {where}, which does not exist{looked}; "
        f"set {VECTORS_VARIABLE} to the public vectors folder"
    )


def _read_keystore(path: Path) -> Keystore:
    try:
        return Keystore.load(path)
    except HarnessError as exc:
        raise EstateError(f"the ZAZ1 key source: {exc.message}") from None


def _read_anchor(path: Path) -> SmkiCertificate:
    if not path.is_file():
        raise EstateError(
            f"the ZAZ1 key source needs the Z1 issuing CA at {path}, which does not exist"
        )
    try:
        found = [c for c in read_certificates(path) if c.kind is CertificateKind.CA]
    except HarnessError as exc:
        raise EstateError(f"the ZAZ1 key source: {exc.message}") from None
    if not found:
        raise EstateError(f"{path}: holds no CA certificate (expected Z1)")
    return found[0]


def _is_top_up(entry: KeystoreEntry) -> bool:
    return entry.name is not None and entry.name.endswith(TOP_UP_SUFFIX)


def _earliest(entries: list[KeystoreEntry], *, top_up: bool = False) -> IssuedCertificate | None:
    """The earliest-issued entry with a private key (of the top-up KAs, or of the others)."""
    hits = [e for e in entries if e.private_key is not None and _is_top_up(e) is top_up]
    if not hits:
        return None
    first = min(hits, key=lambda e: e.certificate.not_before)
    assert first.private_key is not None  # filtered above
    return IssuedCertificate(first.certificate, first.private_key)


class Zaz1Keys:
    """Keys and certificates from the DCC Boxed ZAZ1 keystore (see the module docstring).

    Args:
        seed: Seeds the test PKI of the fallbacks (the estate's seed).
        keystore: The keystore to read; by default the published one (``smki/zaz1-keystore.json``).

    Raises:
        EstateError: when the keystore or Z1 cannot be found or read (one line, with the path).
    """

    name = "zaz1"

    def __init__(self, seed: str, *, keystore: Keystore | None = None) -> None:
        folder = keystore_folder()
        self.keystore = keystore if keystore is not None else _read_keystore(folder / KEYSTORE)
        self.anchor = _read_anchor(folder / ANCHOR)
        self.pki = TestPki(seed)

    # -- look-ups --------------------------------------------------------------------------------

    def credential(
        self, eui: Eui64, role: RemotePartyRole, usage: KeyUsage
    ) -> IssuedCertificate | None:
        """The earliest-issued keystore entry with a private key for ``eui``/``role``/``usage``,
        prepayment top-up KAs left out (None when there is none)."""
        return _earliest(self.keystore.find(eui=eui, key_usage=usage, role=role))

    def credentials(self, eui: Eui64, role: RemotePartyRole) -> PartyCredentials | None:
        """DS and KA from the keystore, or None unless it has both."""
        ds, ka = self.credential(eui, role, _DS), self.credential(eui, role, _KA)
        return PartyCredentials(ds, ka) if ds and ka else None

    def top_up(self, supplier: Eui64) -> IssuedCertificate | None:
        """The supplier's earliest prepayment top-up KA entry, if the keystore has one."""
        found = self.keystore.find(eui=supplier, key_usage=_KA, role=RemotePartyRole.SUPPLIER)
        return _earliest(found, top_up=True)

    def device_credentials(self, device_id: Eui64) -> PartyCredentials:
        """The device's own DS and KA: the keystore's device certificates when it has both with
        keys, otherwise issued by the test PKI's device CA (no RTDS device DS key is public)."""
        ds, ka = (
            _earliest(self.keystore.find(eui=device_id, key_usage=u, kind=CertificateKind.DEVICE))
            for u in (_DS, _KA)
        )
        return PartyCredentials(ds, ka) if ds and ka else device_credentials(self.pki, device_id)

    # -- the KeySource questions -----------------------------------------------------------------

    def party(self, user_id: Eui64, role: RemotePartyRole) -> PartyKeys:
        """The keystore's DS/KA for ``role`` and XML signing (role 135), each pair falling back
        to the test PKI on its own."""
        credentials = self.credentials(user_id, role) or self.pki.issue_party(user_id, role)
        xml = self.credential(user_id, RemotePartyRole.XML_SIGN, _DS)
        return PartyKeys(
            user_id,
            role,
            credentials,
            xml or self.pki.issue_organisation(user_id, RemotePartyRole.XML_SIGN, _DS),
        )

    def dsp_xml(self, dcc_id: Eui64) -> IssuedCertificate:
        """The DCC's role-137 entry (``dsp-xml-sign-90B3D51F30000002-ds``)."""
        found = self.credential(dcc_id, RemotePartyRole.DSP_XML_SIGN, _DS)
        return found or self.pki.issue_organisation(dcc_id, RemotePartyRole.DSP_XML_SIGN, _DS)

    def acb(self, dcc_id: Eui64) -> PartyCredentials:
        """The DCC's role-4 DS and KA (``Z1-accessControlBroker-…``)."""
        role = RemotePartyRole.ACCESS_CONTROL_BROKER
        return self.credentials(dcc_id, role) or self.pki.issue_party(dcc_id, role)

    def s1sp_signer(self, s1sp_id: Eui64) -> IssuedCertificate:
        """From the test PKI, unless the keystore has a role-127 DS entry for ``s1sp_id``."""
        found = self.credential(s1sp_id, RemotePartyRole.OTHER, _DS)
        return found or self.pki.issue_organisation(s1sp_id, RemotePartyRole.OTHER, _DS)

    def trust_anchors(self) -> tuple[TrustAnchor | SmkiCertificate, ...]:
        """Z1 alone (the ZA root is not public)."""
        return (self.anchor,)

    def path_certificates(self) -> tuple[SmkiCertificate, ...]:
        """Z1, as every DUIS template carries it."""
        return (self.anchor,)

    def smets2_device(
        self,
        device_id: Eui64,
        layout: CellLayout,
        *,
        supplier: PartyCredentials | None,
        network_operator: PartyCredentials | None,
        acb: PartyCredentials,
        clock: Clock,
    ) -> Smets2Device:
        """A device whose cells hold the ZAZ1 parties under the Z1 root (module docstring)."""
        supplier_eui = supplier.ds.certificate.eui if supplier else None
        trusted = Commissioning.from_pki(
            self.pki,
            acb=acb,
            supplier=supplier,
            network_operator=network_operator,
            recovery=self.credential(DEFAULT_RECOVERY_ID, RemotePartyRole.RECOVERY, _DS),
            transitional_cos=self.credential(
                DEFAULT_TRANSITIONAL_COS_ID, RemotePartyRole.TRANSITIONAL_COS, _DS
            ),
            load_controller=self.credentials(
                DEFAULT_LOAD_CONTROLLER_ID, RemotePartyRole.LOAD_CONTROLLER
            ),
            supplier_top_up_ka=self.top_up(supplier_eui) if supplier_eui else None,
        )
        present = {
            cell: certificate
            for cell, certificate in trusted.certificates().items()
            if cell in LAYOUTS[layout]
        }
        own = self.device_credentials(device_id)
        return Smets2Device(
            device_id,
            layout,
            ds_key=own.ds.private_key,
            ds_certificate=own.ds.certificate,
            ka_key=own.ka.private_key,
            ka_certificate=own.ka.certificate,
            cells=TrustAnchorCells.for_device(
                layout, root=TrustAnchor.from_certificate(self.anchor), certificates=present
            ),
            clock=clock,
        )


def zaz1_keys(seed: str) -> KeySource:
    """The ``zaz1`` entry of :data:`~s1harness.estate.sources.KEY_SOURCES` (imported when first
    used, since this module builds on that one)."""
    return Zaz1Keys(seed)


__all__ = ["ANCHOR", "KEYSTORE", "Zaz1Keys", "keystore_folder", "zaz1_keys"]
