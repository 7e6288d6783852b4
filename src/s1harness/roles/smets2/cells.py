"""The trust anchor cells of a SMETS2 device (GBCS §4.3.2).

A device keeps one cell per (remote party role, key usage, cell usage). Every cell but the root
holds an organisation certificate; the root cell holds only a public key and its key identifier
(a :class:`~s1harness.smki.TrustAnchor`), from which every replacement certificate is validated.

Which cells a device type has (a choice, documented here because the references are partial):

* **ESME**: root, recovery DS, supplier DS / KA / KA-prepaymentTopUp, network operator DS / KA,
  ACB KA, transitional CoS DS, load controller DS / KA. RTDS shows every one of them on
  00DB1234567890A0 (the recovery command replaces the first eight, the contingency response
  the root, the CS02g vectors the load controller cells).
* **GSME**: as the ESME without network operator and load controller cells: the RTDS GSME
  00DB1234567890A1 answers CS02a for the network operator with trustAnchorNotFound (25).
* **GPF**: as the ESME without load controller cells (RTDS 6.21 replaces the GPF's supplier ×3
  and network operator ×2 cells).

The ACB has a KA cell only: the RTDS ESME and GSME report no ACB DS cell (CS02a, recovery), and
ACB-by-ACB is MAC-only on these devices. The WAN provider and ACB DS cells belong to the CHF,
which is not modelled; their identifiers exist so the mode rules can name them.

:class:`TrustAnchorCells` is immutable: a replacement returns a new store, so a device commits
the state of a command only once the command has been fully processed.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from s1harness.gbcs.payloads import CellUsage, TrustAnchorCell
from s1harness.smki import SmkiCertificate, TrustAnchor
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole

_DS, _KA = KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_AGREEMENT
_ROLE = RemotePartyRole

ROOT = TrustAnchorCell(_ROLE.ROOT, KeyUsage.KEY_CERT_SIGN)
RECOVERY_DS = TrustAnchorCell(_ROLE.RECOVERY, _DS)
SUPPLIER_DS = TrustAnchorCell(_ROLE.SUPPLIER, _DS)
SUPPLIER_KA = TrustAnchorCell(_ROLE.SUPPLIER, _KA)
SUPPLIER_KA_TOP_UP = TrustAnchorCell(_ROLE.SUPPLIER, _KA, CellUsage.PREPAYMENT_TOP_UP)
NETWORK_OPERATOR_DS = TrustAnchorCell(_ROLE.NETWORK_OPERATOR, _DS)
NETWORK_OPERATOR_KA = TrustAnchorCell(_ROLE.NETWORK_OPERATOR, _KA)
ACB_DS = TrustAnchorCell(_ROLE.ACCESS_CONTROL_BROKER, _DS)
ACB_KA = TrustAnchorCell(_ROLE.ACCESS_CONTROL_BROKER, _KA)
TRANSITIONAL_COS_DS = TrustAnchorCell(_ROLE.TRANSITIONAL_COS, _DS)
WAN_PROVIDER_DS = TrustAnchorCell(_ROLE.WAN_PROVIDER, _DS)
LOAD_CONTROLLER_DS = TrustAnchorCell(_ROLE.LOAD_CONTROLLER, _DS)
LOAD_CONTROLLER_KA = TrustAnchorCell(_ROLE.LOAD_CONTROLLER, _KA)

SUPPLIER_CELLS = (SUPPLIER_DS, SUPPLIER_KA, SUPPLIER_KA_TOP_UP)
NETWORK_OPERATOR_CELLS = (NETWORK_OPERATOR_DS, NETWORK_OPERATOR_KA)
LOAD_CONTROLLER_CELLS = (LOAD_CONTROLLER_DS, LOAD_CONTROLLER_KA)
ROOT_SUBJECT_UNIQUE_ID = Eui64("0000000000000000")
"""What a device reports as the root cell's subjectUniqueID (RTDS contingency response)."""
EMPTY_KEY_ID = bytes(8)
"""What this emulator reports for an empty cell (RTDS has no empty cells)."""


class DeviceType(enum.StrEnum):
    """The SMETS2 device types this package emulates."""

    ESME = "ESME"
    GSME = "GSME"
    GPF = "GPF"


_COMMON = (ROOT, RECOVERY_DS, *SUPPLIER_CELLS, ACB_KA, TRANSITIONAL_COS_DS)
LAYOUTS: Mapping[DeviceType, tuple[TrustAnchorCell, ...]] = {
    DeviceType.ESME: (*_COMMON, *NETWORK_OPERATOR_CELLS, *LOAD_CONTROLLER_CELLS),
    DeviceType.GSME: _COMMON,
    DeviceType.GPF: (*_COMMON, *NETWORK_OPERATOR_CELLS),
}
"""The cells each device type has (see the module docstring for the evidence)."""


@dataclass(frozen=True, slots=True)
class CellContent:
    """What one cell holds: a certificate, or (root cell) a trust anchor; both None if empty."""

    certificate: SmkiCertificate | None = None
    anchor: TrustAnchor | None = None

    @property
    def subject_unique_id(self) -> Eui64:
        """The certificate's EUI; all zeros for the root cell and an empty cell."""
        if self.certificate is not None and self.certificate.eui is not None:
            return self.certificate.eui
        return ROOT_SUBJECT_UNIQUE_ID

    @property
    def subject_key_id(self) -> bytes:
        """The SKI of the certificate or anchor; eight zero octets for an empty cell."""
        if self.certificate is not None and self.certificate.ski is not None:
            return self.certificate.ski
        return self.anchor.ski if self.anchor is not None else EMPTY_KEY_ID

    @property
    def serial(self) -> int | None:
        """The certificate serial, if the cell holds a certificate."""
        return self.certificate.serial if self.certificate is not None else None


def normalise(cell: TrustAnchorCell) -> TrustAnchorCell:
    """The cell with known enum members (decoded identifiers may carry plain integers)."""
    role = RemotePartyRole(cell.role) if cell.role in _ROLE_VALUES else cell.role
    usage = CellUsage(cell.cell_usage) if cell.cell_usage in _USAGE_VALUES else cell.cell_usage
    return TrustAnchorCell(role, cell.key_usage, usage)


_ROLE_VALUES = frozenset(int(r) for r in RemotePartyRole)
_USAGE_VALUES = frozenset(int(u) for u in CellUsage)


class TrustAnchorCells(Mapping[TrustAnchorCell, CellContent]):
    """A device's trust anchor store: cell identifier → content, in the layout's order.

    Args:
        contents: Every cell the device has, with what it holds.

    Raises:
        InputError: if there is no root cell holding a trust anchor.
    """

    __slots__ = ("_contents",)

    def __init__(self, contents: Mapping[TrustAnchorCell, CellContent]) -> None:
        self._contents = {normalise(cell): content for cell, content in contents.items()}
        if self._contents.get(ROOT, CellContent()).anchor is None:
            raise InputError("a trust anchor store needs a root cell holding the root key")

    @classmethod
    def for_device(
        cls,
        device_type: DeviceType,
        *,
        root: TrustAnchor,
        certificates: Mapping[TrustAnchorCell, SmkiCertificate],
    ) -> TrustAnchorCells:
        """The cells of ``device_type``: the root key, the given certificates, others empty.

        Raises:
            InputError: for a cell the device type lacks, or a certificate whose key usage is
                not the cell's.
        """
        layout = LAYOUTS[device_type]
        contents = {cell: CellContent() for cell in layout}
        contents[ROOT] = CellContent(anchor=root)
        for cell, certificate in certificates.items():
            wanted = normalise(cell)
            if wanted not in contents or wanted == ROOT:
                raise InputError(f"a {device_type} has no certificate cell {describe(wanted)}")
            if wanted.key_usage not in certificate.key_usages:
                raise InputError(f"{certificate!r} does not fit cell {describe(wanted)}")
            contents[wanted] = CellContent(certificate=certificate)
        return cls(contents)

    def __getitem__(self, cell: TrustAnchorCell) -> CellContent:
        return self._contents[normalise(cell)]

    def __iter__(self) -> Iterator[TrustAnchorCell]:
        return iter(self._contents)

    def __len__(self) -> int:
        return len(self._contents)

    def __contains__(self, cell: object) -> bool:
        return isinstance(cell, TrustAnchorCell) and normalise(cell) in self._contents

    @property
    def root_anchor(self) -> TrustAnchor:
        """The key every replacement certificate must chain to."""
        anchor = self._contents[ROOT].anchor
        assert anchor is not None  # checked by the constructor
        return anchor

    def certificate(self, cell: TrustAnchorCell) -> SmkiCertificate | None:
        """The certificate in ``cell``; None when the device lacks the cell or it is empty."""
        content = self._contents.get(normalise(cell))
        return content.certificate if content is not None else None

    def with_certificate(
        self, cell: TrustAnchorCell, certificate: SmkiCertificate
    ) -> TrustAnchorCells:
        """A copy with ``certificate`` in ``cell`` (which the device must have)."""
        contents = dict(self._contents)
        contents[normalise(cell)] = CellContent(certificate=certificate)
        return TrustAnchorCells(contents)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{describe(c)}={v.subject_unique_id}/{v.subject_key_id.hex().upper()}"
            for c, v in self._contents.items()
        )
        return f"<TrustAnchorCells {shown}>"


def describe(cell: TrustAnchorCell) -> str:
    """``networkOperator/digitalSignature`` (``/prePaymentTopUp`` for the top-up cell)."""
    role = cell.role.spec_name if isinstance(cell.role, RemotePartyRole) else str(cell.role)
    usage = "/prePaymentTopUp" if cell.cell_usage == CellUsage.PREPAYMENT_TOP_UP else ""
    return f"{role}/{cell.key_usage.value}{usage}"
