"""Meter point identifiers: the MPAN core (electricity) and the MPRN (gas).

* :class:`Mpan` is the 13-digit MPAN core: distributor ID (2) + meter point ID (10) + check
  digit (1), validated with the prime-weight mod-11 algorithm (:func:`mpan_check_digit`).
* :class:`Mprn` is the gas meter point reference: DUIS ``MPRN`` allows 1–10 characters, so
  1–10 digits are accepted. The two-digit MPRN check is unofficial, so it is
  offered as a soft check (:func:`mprn_check_ok`) and never enforced.
* :data:`DISTRIBUTORS` maps distributor IDs 10–38 to the DNOs (10–23) and IDNOs (24+). The
  list is a snapshot of Market Domain Data, so :class:`Mpan` accepts any distributor ID and
  :attr:`Mpan.distributor` is ``None`` for one it does not know.

Both identifiers are ``str`` subclasses, so they serialise (XML, JSON, SQLite) as themselves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from s1harness.spec.errors import InputError

MPAN_WEIGHTS = (3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43)
"""The primes from 3 upward with 11 left out, one per digit of the first 12."""

IGT_MPRN_PREFIXES = ("74", "75", "76", "77")
"""Leading digits of Independent Gas Transporter MPRNs (unofficial)."""

_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also accepts e.g. Arabic-Indic digits


class MpxnError(InputError, ValueError):
    """A malformed MPAN or MPRN; an :class:`InputError` that is also a ``ValueError``."""


def _digits(value: object, what: str, lengths: range) -> str:
    if not isinstance(value, str) or not _DIGITS.fullmatch(value) or len(value) not in lengths:
        size = f"{lengths.start}" if len(lengths) == 1 else f"{lengths.start}–{lengths.stop - 1}"
        raise MpxnError(f"{what} must be {size} digits, got {value!r}")
    return value


def mpan_check_digit(first12: str) -> int:
    """The MPAN core check digit for the first 12 digits.

    ``S = Σ d_i × W_i`` over the 12 digits with :data:`MPAN_WEIGHTS`; the check digit is
    ``(S mod 11) mod 10`` (a remainder of 10 becomes 0).

    Raises:
        MpxnError: if ``first12`` is not exactly 12 digits.
    """
    _digits(first12, "the first part of an MPAN core", range(12, 13))
    total = sum(int(digit) * weight for digit, weight in zip(first12, MPAN_WEIGHTS, strict=True))
    return total % 11 % 10


@dataclass(frozen=True, slots=True)
class Distributor:
    """An electricity distributor: a DNO licence area (10–23) or an IDNO (24+).

    Attributes:
        id: The distributor ID, the first two digits of the MPAN core.
        name: The operator (licensee or brand), as Market Domain Data names it.
        mpid: The Market Participant ID.
        is_idno: True for an Independent DNO, which may operate in any GSP group.
        area: The licence area (DNOs only).
        gsp_group: The GSP group ID, e.g. ``_A`` (DNOs only).
    """

    id: int
    name: str
    mpid: str
    is_idno: bool
    area: str | None = None
    gsp_group: str | None = None


def _dno(id_: int, name: str, mpid: str, area: str, gsp_group: str) -> Distributor:
    return Distributor(id_, name, mpid, False, area, gsp_group)


def _idno(id_: int, name: str, mpid: str) -> Distributor:
    return Distributor(id_, name, mpid, True)


_NGED = "National Grid Electricity Distribution"
_TABLE = (
    _dno(10, "UK Power Networks (EPN)", "EELC", "Eastern England", "_A"),
    _dno(11, f"{_NGED} (East Midlands)", "EMEB", "East Midlands", "_B"),
    _dno(12, "UK Power Networks (LPN)", "LOND", "London", "_C"),
    _dno(13, "SP Energy Networks (SP Manweb)", "MANW", "Merseyside & North Wales", "_D"),
    _dno(14, f"{_NGED} (West Midlands)", "MIDE", "West Midlands", "_E"),
    _dno(15, "Northern Powergrid (North East)", "NEEB", "North East England", "_F"),
    _dno(16, "Electricity North West", "NORW", "North West England", "_G"),
    _dno(17, "SSEN (Scottish Hydro Electric PD)", "HYDE", "North Scotland", "_P"),
    _dno(18, "SP Energy Networks (SP Distribution)", "SPOW", "South Scotland", "_N"),
    _dno(19, "UK Power Networks (SPN)", "SEEB", "South East England", "_J"),
    _dno(20, "SSEN (Southern Electric PD)", "SOUT", "Southern England", "_H"),
    _dno(21, f"{_NGED} (South Wales)", "SWAE", "South Wales", "_K"),
    _dno(22, f"{_NGED} (South West)", "SWEB", "South West England", "_L"),
    _dno(23, "Northern Powergrid (Yorkshire)", "YELG", "Yorkshire", "_M"),
    _idno(24, "Independent Power Networks (Envoy)", "IPNL"),
    _idno(25, "ESP Electricity", "LENG"),
    _idno(26, "Last Mile Electricity", "GUCL"),
    _idno(27, "The Electricity Network Company (GTC)", "ETCL"),
    _idno(28, "UK Power Networks (IDNO)", "EDFI"),
    _idno(29, "Harlaxton Energy Networks", "HARL"),
    _idno(30, "Leep Electricity Networks", "PENL"),
    _idno(31, "UK Power Distribution", "UKPD"),
    _idno(32, "Energy Assets Networks", "UDNL"),
    _idno(33, "Eclipse Power Networks", "GGEN"),
    _idno(34, "Murphy Power", "MPDL"),
    _idno(35, "Fulcrum Electricity Assets", "FEAL"),
    _idno(36, "Vattenfall Networks", "VATT"),
    _idno(37, "Optimal Power Networks", "FORB"),
    _idno(38, "Indigo Power", "INDI"),
)

DISTRIBUTORS: Mapping[int, Distributor] = MappingProxyType({d.id: d for d in _TABLE})
"""Distributor ID → :class:`Distributor` for 10–38; read-only."""


class Mpan(str):
    """A 13-digit MPAN core with a valid check digit (:func:`mpan_check_digit`).

    Raises:
        MpxnError: if the text is not 13 ASCII digits or its check digit is wrong.
    """

    __slots__ = ()

    def __new__(cls, value: str) -> Mpan:
        if isinstance(value, Mpan):
            return value
        text = _digits(value, "an MPAN core", range(13, 14))
        expected = mpan_check_digit(text[:12])
        if int(text[12]) != expected:
            raise MpxnError(f"MPAN core {text} has check digit {text[12]}, expected {expected}")
        return super().__new__(cls, text)

    @property
    def distributor_id(self) -> int:
        """The distributor ID: the first two digits."""
        return int(self[:2])

    @property
    def distributor(self) -> Distributor | None:
        """The distributor from :data:`DISTRIBUTORS`, or ``None`` for an unknown ID."""
        return DISTRIBUTORS.get(self.distributor_id)

    @property
    def meter_point_id(self) -> str:
        """The 10-digit meter point ID within the distributor's area."""
        return self[2:12]


def make_mpan(distributor_id: int, serial: int) -> Mpan:
    """A valid MPAN core for a known distributor and a meter point serial (estate generation).

    Args:
        distributor_id: A key of :data:`DISTRIBUTORS`.
        serial: The meter point ID, 0 ≤ serial < 10¹⁰ (zero-padded to 10 digits).

    Raises:
        MpxnError: for an unknown distributor or a serial out of range.
    """
    if distributor_id not in DISTRIBUTORS:
        raise MpxnError(f"unknown distributor ID {distributor_id!r} (known: 10–38)")
    if not 0 <= serial < 10**10:
        raise MpxnError(f"MPAN serial must be 0 ≤ serial < 10^10, got {serial}")
    first12 = f"{distributor_id:02d}{serial:010d}"
    return Mpan(f"{first12}{mpan_check_digit(first12)}")


class Mprn(str):
    """A gas Meter Point Reference Number: 1–10 ASCII digits (DUIS ``MPRN``).

    The unofficial check digits are not enforced; see :func:`mprn_check_ok`.

    Raises:
        MpxnError: if the text is not 1–10 digits.
    """

    __slots__ = ()

    def __new__(cls, value: str) -> Mprn:
        if isinstance(value, Mprn):
            return value
        return super().__new__(cls, _digits(value, "an MPRN", range(1, 11)))

    @property
    def check_ok(self) -> bool:
        """Whether the unofficial two-digit check holds (:func:`mprn_check_ok`)."""
        return mprn_check_ok(self)

    @property
    def looks_igt(self) -> bool:
        """Whether it starts like an IGT MPRN (74–77; unofficial)."""
        return self.startswith(IGT_MPRN_PREFIXES)


def mprn_check_digits(body: str) -> str:
    """The unofficial two check digits for an MPRN body.

    For body digits b1…bn, ``S = Σ b_i × (n − i + 1)``; the check is ``S mod 11``, zero-padded
    to two digits. Example: body ``39384244`` → S = 179 → ``03``.

    Raises:
        MpxnError: if the body is not 1–8 digits.
    """
    _digits(body, "an MPRN body", range(1, 9))
    total = sum(
        int(digit) * weight for digit, weight in zip(body, range(len(body), 0, -1), strict=True)
    )
    return f"{total % 11:02d}"


def mprn_check_ok(mprn: str) -> bool:
    """Soft check: do the last two digits of a 3–10 digit MPRN check the rest?

    Found in no official text, so callers may warn on ``False`` but must not reject. Anything
    that is not 3–10 digits gives ``False``.
    """
    if not isinstance(mprn, str) or not _DIGITS.fullmatch(mprn) or not 3 <= len(mprn) <= 10:
        return False
    return mprn_check_digits(mprn[:-2]) == mprn[-2:]


def make_mprn(serial: int, *, prefix: str = "") -> Mprn:
    """A 10-digit MPRN that passes the soft check, for estate generation.

    Args:
        serial: Zero-padded to fill the 8-digit body after ``prefix``.
        prefix: Leading body digits, e.g. one of :data:`IGT_MPRN_PREFIXES` for an IGT meter.

    Raises:
        MpxnError: for a bad prefix or a serial that does not fit.
    """
    if prefix:
        _digits(prefix, "an MPRN prefix", range(1, 8))
    width = 8 - len(prefix)
    if not 0 <= serial < 10**width:
        raise MpxnError(f"MPRN serial must be 0 ≤ serial < 10^{width}, got {serial}")
    body = f"{prefix}{serial:0{width}d}"
    return Mprn(body + mprn_check_digits(body))
